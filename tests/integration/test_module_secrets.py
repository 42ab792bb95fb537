"""canary_analysis and canary_webhook through ansible-playbook -vvv: credentials embedded in URLs never appear in the
output or the results (messages, fields, the invocation, a refused argument, a quoted response body), bad URLs and
inputs are refused with a message before anything is called, and validate_only checks everything, Prometheus parsing
every query, while calling nothing."""
import base64
import json
import re
import socket

from tests.integration.loopback_http import LoopbackServer, Reply, forwarding_responder
from tests.integration.test_analysis_module import run_playbook
from tests.sandbox.prometheus import istio_series, render_openmetrics

PROMETHEUS_PASSWORD = "prom-pa55-29c4e1"
HOOK_TOKEN = "hooktok-5b7a0c3e"
WEB_API_KEY = "webkey-8d2f6a1b"
SLACK_SECRET = "slackpart-0c9d8e7f6a"
SECRETS = (PROMETHEUS_PASSWORD, HOOK_TOKEN, WEB_API_KEY, SLACK_SECRET)
# As users give them, in variables (a vault, extra vars), not in the playbook text that Ansible quotes around a failure.
URLS = {"slack": "https://hooks.slack.com/services/T0WORKSPACE/B0CHANNEL/" + SLACK_SECRET}
SLACK_URL = "{{ urls.slack }}"
SUCCESS_RATE = {"name": "request-success-rate", "threshold_range": {"min": 50}}


def raw_placeholders(playbook_text):
    """Query placeholders passed through Ansible's templating untouched, as {% raw %} does in a playbook."""
    return re.sub(r"\{\{\s+(target|interval|nothing)\s+\}\}", r"{% raw %}{{ \1 }}{% endraw %}", playbook_text)


def closed_port_url():
    """The URL of a port nothing listens on (bound, never listening), for an unreachable Prometheus."""
    if not CLOSED_PORT:
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        CLOSED_PORT.append(holder)
    return "http://127.0.0.1:%d" % CLOSED_PORT[0].getsockname()[1]


CLOSED_PORT = []


def leaks(*texts):
    text = "".join(texts)
    return {secret: text.count(secret) for secret in SECRETS if secret in text}


def receiver_answer(request):
    """/score: a web check's JSON; /reject: 500 quoting the request line back, token and all (as some servers do)."""
    if request.path.startswith("/score"):
        return Reply(200, {"score": 0.9})
    if request.path.startswith("/reject"):
        return Reply(500, "rejected %s %s" % (request.method, request.path))
    return Reply(200, "ok")


def authenticating_proxy(prometheus):
    expected = "Basic " + base64.b64encode(("gate:" + PROMETHEUS_PASSWORD).encode()).decode()
    return LoopbackServer(forwarding_responder(prometheus.url, lambda request: request.headers.get("Authorization") == expected))


def with_credentials(url):
    return url.replace("http://", "http://gate:%s@" % PROMETHEUS_PASSWORD)


def secret_urls(receiver, proxy):
    """The URLs with secrets, as variables: ``{{ urls.<name> }}``."""
    return dict(URLS, hook="%s/reject?token=%s&app=podinfo" % (receiver.url, HOOK_TOKEN),
                score="%s/score?api_key=%s" % (receiver.url, WEB_API_KEY), prometheus=with_credentials(proxy.url))


def test_no_secret_of_a_url_in_any_result_or_output(tmp_path, prometheus_backfill):
    prometheus = prometheus_backfill(render_openmetrics(istio_series("test", "podinfo", 10, 0.0, 30)))
    with LoopbackServer(receiver_answer) as receiver, authenticating_proxy(prometheus) as proxy:
        hook_url = "{{ urls.hook }}"
        analysis = {"namespace": "test", "target": "podinfo", "evaluation_time": str(prometheus.default_query_time),
                    "prometheus": {"url": "{{ urls.prometheus }}"}}
        web = {"name": "score", "threshold_range": {"min": 0.5}, "web": {"url": "{{ urls.score }}", "value_path": "score"}}
        results, output = run_playbook(tmp_path, [
            # Refused by Ansible's argument validation, before any of our code runs: the invocation still hides the URL.
            {"progressive.canary.canary_webhook": {"type": "rollout", "name": "podinfo", "namespace": "test",
                                                   "webhooks": [{"name": "slack", "type": "post-rolout", "url": SLACK_URL}]}},
            {"progressive.canary.canary_webhook": {"type": "rollout", "name": "podinfo", "namespace": "test",
                                                   "webhooks": [{"name": "load", "type": "rollout", "url": hook_url}]}},
            {"progressive.canary.canary_webhook": {"type": "post-rollout", "name": "podinfo", "namespace": "test",
                                                   "webhooks": [{"name": "slack", "type": "post-rollout", "url": SLACK_URL, "timeout": "2s"}]}},
            {"progressive.canary.canary_analysis": dict(analysis, checks=[SUCCESS_RATE, web])},
            {"progressive.canary.canary_analysis": dict(analysis, checks=[SUCCESS_RATE], validate_only=True,
                                                        prometheus={"url": "{{ urls.prometheus }}/nowhere"})},
        ], extra_vars={"urls": secret_urls(receiver, proxy)})
    refused, rejected, slack, analysed, unreachable = results
    assert leaks(output, json.dumps(results)) == {}
    assert refused["failed"] is True and "post-rolout" in refused["msg"]
    # -vvv shows each module's invocation (registered results do not keep it): the URLs in it are redacted too.
    assert output.count('"url": "https://hooks.slack.com/services/REDACTED"') >= 2, "the refused task's invocation and the slack task's"
    assert '"url": "%s"' % with_credentials(proxy.url).replace(PROMETHEUS_PASSWORD, "REDACTED") in output
    assert rejected["failed"] is True and rejected["hooks"][0]["status"] == 500
    assert rejected["hooks"][0]["url"] == "%s/reject?token=REDACTED&app=podinfo" % receiver.url
    # The receiver quoted the token back, outside any URL: Ansible masks it as a no_log value.
    assert "rejected POST /reject?token=********&app=podinfo" in rejected["msg"]
    assert any(HOOK_TOKEN in request.path for request in receiver.requests), "the hook was called with its real URL"
    assert slack["failed"] is True and "https://hooks.slack.com/services/REDACTED" in slack["msg"]
    assert analysed["passed"] is True and [check["verdict"] for check in analysed["checks"]] == ["pass", "pass"]
    assert analysed["checks"][1]["url"] == "%s/score?api_key=REDACTED" % receiver.url
    assert unreachable["failed"] is True and "Prometheus could not check the query" in unreachable["msg"]
    assert "http://gate:REDACTED@127.0.0.1:%s/nowhere/api/v1/query answered HTTP 404" % proxy.url.rsplit(":", 1)[1] in unreachable["msg"]


def test_bad_inputs_are_refused_with_a_message_before_anything_is_called(tmp_path):
    with LoopbackServer(receiver_answer) as receiver:
        def webhook(url, hook_type="rollout"):
            return {"progressive.canary.canary_webhook": {"type": "rollout", "name": "podinfo", "namespace": "test",
                                                          "webhooks": [{"name": "load", "type": "rollout", "url": receiver.url + "/load"},
                                                                       {"name": "bad", "type": hook_type, "url": url}]}}

        def analysis(**options):
            return {"progressive.canary.canary_analysis": dict({"namespace": "test", "target": "podinfo"}, **options)}

        web_check = {"name": "score", "threshold_range": {"min": 1}, "web": {"url": "file:///etc/hostname", "value_path": "a"}}
        results, output = run_playbook(tmp_path, [
            webhook("file:///etc/passwd"),
            webhook("data:,{}"),
            webhook("ftp://files.test/x", hook_type="post-rollout"),  # not called now, refused all the same
            analysis(checks=[web_check]),
            analysis(checks=[dict(web_check, web={"url": "data:application/json,{\"a\":1}", "value_path": "a"})]),
            analysis(checks=[SUCCESS_RATE], prometheus={"url": "prometheus:9090"}),
            analysis(checks=[dict(SUCCESS_RATE, threshold_range={"min": 99, "max": 50})], prometheus={"url": receiver.url}),
            analysis(checks=[{"name": "q", "query": "sum(x{a=\"{{ nothing }}\"})", "threshold_range": {"min": 1}}], prometheus={"url": receiver.url}),
            analysis(checks=[], webhooks=[{"name": "bad", "type": "pre-rollout", "url": "file:///etc/passwd"}], webhook_type="pre-rollout"),
        ], edit=raw_placeholders)
    expected = [
        "invalid webhooks: webhook 'bad': url 'file:///etc/passwd' is not an http:// or https:// URL with a host",
        "invalid webhooks: webhook 'bad': url 'data:,{}' is not an http:// or https:// URL with a host",
        "invalid webhooks: webhook 'bad': url 'ftp://files.test/x' is not an http:// or https:// URL with a host",
        "invalid analysis: check 'score': web.url 'file:///etc/hostname' is not an http:// or https:// URL with a host",
        "invalid analysis: check 'score': web.url 'data:application/json,{\"a\":1}' is not an http:// or https:// URL",
        "invalid analysis: the Prometheus URL 'prometheus:9090' is not an http:// or https:// URL with a host",
        "invalid analysis: check 'request-success-rate': threshold_range min 99.0 is above max 50.0",
        "invalid analysis: check 'q': query template uses undefined variable(s) nothing",
        "invalid analysis: webhook 'bad': url 'file:///etc/passwd' is not an http:// or https:// URL with a host",
    ]
    assert [result["failed"] for result in results] == [True] * len(expected)
    for result, message in zip(results, expected):
        assert result["msg"].startswith(message), result["msg"]
    assert "not supported between" not in output and "Traceback" not in output
    assert receiver.requests == [], "nothing was called"


def test_validate_only_has_prometheus_parse_every_query_and_calls_nothing(tmp_path, prometheus_backfill):
    prometheus = prometheus_backfill(render_openmetrics(istio_series("test", "podinfo", 10, 0.0, 30)))
    with LoopbackServer(receiver_answer) as receiver:
        hooks = [{"name": hook_type, "type": hook_type, "url": receiver.url + "/" + hook_type}
                 for hook_type in ("pre-rollout", "rollout", "confirm-promotion", "post-rollout", "rollback")]
        base = {"namespace": "test", "target": "ghost", "prometheus": {"url": prometheus.url}, "webhooks": hooks,
                "validate_only": True, "record_in_state": True}
        web = {"name": "score", "threshold_range": {"min": 0.5}, "web": {"url": receiver.url + "/score", "value_path": "score"}}
        requests_per_second = {"name": "rps", "threshold_range": {"min": 1},
                               "query": "sum(rate(istio_requests_total{destination_workload=\"{{ target }}\"}[{{ interval }}]))"}

        def query_check(promql):
            return {"name": "custom", "query": promql, "threshold_range": {"min": 1}}

        results, _output = run_playbook(tmp_path, [
            {"progressive.canary.canary_analysis": dict(base, checks=[SUCCESS_RATE, requests_per_second, web])},
            {"progressive.canary.canary_analysis": dict(base, checks=[query_check("sum(rate(istio_requests_total{a=\"b\"}[1m])")])},
            {"progressive.canary.canary_analysis": dict(base, checks=[query_check("istio_requests_total[5m]")])},
            {"progressive.canary.canary_analysis": dict(base, checks=[], webhooks=[])},
            # An outage says nothing about the settings: not a refusal (a promotion left half done must still finish).
            {"progressive.canary.canary_analysis": dict(base, checks=[SUCCESS_RATE], prometheus={"url": closed_port_url()})},
        ], edit=raw_placeholders)
    valid, syntax_error, range_vector, empty, outage = results
    assert receiver.requests == [], "no webhook and no web endpoint is called when validating"
    assert valid.get("failed") is False and valid["changed"] is False and valid["passed"] is True
    assert [check["verdict"] for check in valid["checks"]] == ["valid", "valid", "valid"], "no data is fine at this stage"
    assert valid["skipped_hooks"] == [hook["name"] for hook in hooks] and valid["hooks"] == [] and "state" not in valid
    assert valid["msg"] == "valid: 3 checks (2 queries parsed by Prometheus) and 5 webhooks; nothing was called or written"
    assert 'destination_workload="ghost"' in valid["checks"][1]["query"] and "[1m]" in valid["checks"][1]["query"]
    assert syntax_error["failed"] is True and "check 'custom': Prometheus refused the query" in syntax_error["msg"]
    assert "HTTP 400: bad_data" in syntax_error["msg"] and "parse error" in syntax_error["msg"]
    assert range_vector["failed"] is True and "returns a range vector" in range_vector["msg"]
    assert empty.get("failed") is False and empty["msg"].startswith("valid: 0 checks")
    assert outage.get("failed") is False and outage["checks"][0]["parsed"] is False and valid["checks"][0]["parsed"] is True
    assert outage["msg"].startswith("valid: 1 checks (0 queries parsed by Prometheus)")
    assert "Prometheus could not parse the query now: Prometheus at %s/api/v1/query unreachable: connection refused" % closed_port_url() in outage["msg"]
