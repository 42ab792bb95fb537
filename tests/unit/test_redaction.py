"""Credentials in URLs: what is replaced, what stays readable, what Ansible is asked to mask, what the state keeps."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.http_client import HttpRequestError, http_request, http_url_problem
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact, redact_text, redact_url, secrets_in
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import stored


@pytest.mark.parametrize("url, shown", [
    ("http://gate:pa55@127.0.0.1:9090", "http://gate:REDACTED@127.0.0.1:9090"),
    ("https://ghp_tok3n@github.com/org/repo", "https://REDACTED@github.com/org/repo"),
    ("http://hooks.test/load?token=abc&mode=short", "http://hooks.test/load?token=REDACTED&mode=short"),
    ("http://h/x?Access_Token=a;api_key=b&APIKEY=c&key=d&password=e&secret=f&sig=g&signature=h&auth=i&code=j&app=podinfo",
     "http://h/x?Access_Token=REDACTED;api_key=REDACTED&APIKEY=REDACTED&key=REDACTED&password=REDACTED&secret=REDACTED"
     "&sig=REDACTED&signature=REDACTED&auth=REDACTED&code=REDACTED&app=podinfo"),
    ("https://s3.test/b/o?X-Amz-Signature=abc&routing_key=def", "https://s3.test/b/o?X-Amz-Signature=REDACTED&routing_key=REDACTED"),
    ("http://h/cb#access_token=zz&state=1", "http://h/cb#access_token=REDACTED&state=1"),
    ("https://hooks.slack.com/services/T00/B00/XXXX", "https://hooks.slack.com/services/REDACTED"),
    ("https://hooks.slack.com/workflows/T00/A00/123/abc", "https://hooks.slack.com/workflows/REDACTED"),
    ("https://contoso.webhook.office.com/webhookb2/1f0e@2e1d/IncomingWebhook/abc/3c2b",
     "https://contoso.webhook.office.com/webhookb2/REDACTED"),
    ("https://outlook.office.com/webhook/1f0e@2e1d/IncomingWebhook/abc/3c2b", "https://outlook.office.com/webhook/REDACTED"),
    ("https://prod-01.westus.logic.azure.com:443/workflows/9a/triggers/manual/paths/invoke?api-version=2016-06-01&sv=1.0&sig=S1G",
     "https://prod-01.westus.logic.azure.com:443/workflows/9a/triggers/manual/paths/invoke?api-version=2016-06-01&sv=1.0&sig=REDACTED"),
    ("https://discord.com/api/webhooks/123/t0k", "https://discord.com/api/webhooks/REDACTED"),
    ("https://chat.googleapis.com/v1/spaces/AAA/messages?key=K3Y&token=T0K",
     "https://chat.googleapis.com/v1/spaces/AAA/messages?key=REDACTED&token=REDACTED"),
    ("https://webexapis.com/v1/webhooks/incoming/Y2lz", "https://webexapis.com/v1/webhooks/incoming/REDACTED"),
    ("https://chat.example.com/mattermost/hooks/xyz123", "https://chat.example.com/mattermost/hooks/REDACTED"),
])
def test_secret_parts_are_replaced_and_the_rest_kept(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize("url", [
    "http://prometheus.istio-system:9090",
    "http://flagger-loadtester.test/gate/check?app=podinfo&mode=slow",
    "https://hooks.slack.com/",
    "http://h/hooks/",
    "not a url",
    "",
])
def test_urls_without_secrets_are_unchanged(url):
    assert redact_url(url) == url


def test_text_keeps_sentence_punctuation_around_redacted_urls():
    text = ("webhook 'slack' (post-rollout) at https://hooks.slack.com/services/T/B/X. failed "
            "(Prometheus at http://u:p@prom:9090/api/v1/query, then 'https://h/x?token=t')")
    assert redact_text(text) == ("webhook 'slack' (post-rollout) at https://hooks.slack.com/services/REDACTED. failed "
                                 "(Prometheus at http://u:REDACTED@prom:9090/api/v1/query, then 'https://h/x?token=REDACTED')")


def test_redact_copies_any_structure_and_leaves_the_input_alone():
    result = {"msg": "at http://h/?token=t", "hooks": [{"url": "http://u:p@h", "status": 500}], "passed": False, "n": (1, "x")}
    shown = redact(result)
    assert shown == {"msg": "at http://h/?token=REDACTED", "hooks": [{"url": "http://u:REDACTED@h", "status": 500}],
                     "passed": False, "n": (1, "x")}
    assert result["hooks"][0]["url"] == "http://u:p@h"


def test_secrets_for_ansible_to_mask_are_every_form_of_every_secret_part():
    params = {"prometheus": {"url": "http://gate:p%40ss@prom:9090"},
              "webhooks": [{"url": "https://hooks.slack.com/services/T0SLACKWS42/B0C/s3cr3tpart-long"},
                           {"url": "http://h/x?token=abc&app=podinfo"}],
              "checks": [{"query": "sum(rate(x[1m]))"}], "timeout": 10}
    assert secrets_in(params) == {"p%40ss", "p@ss", "T0SLACKWS42/B0C/s3cr3tpart-long", "T0SLACKWS42", "s3cr3tpart-long", "abc"}


def test_state_texts_are_redacted_but_the_originals_are_kept_exactly():
    data = {"failure_reason": "webhook 'x' at http://h/?token=t failed", "last_failed_check": "http://u:p@h",
            "originals": {"virtual_service": {"spec": {"http": [{"redirect": {"uri": "/login?token=keep-me"}},
                                                                {"mirror": {"host": "http://u:p@m"}}]}}}}
    written = stored(data)
    assert written["failure_reason"] == "webhook 'x' at http://h/?token=REDACTED failed"
    assert written["last_failed_check"] == "http://u:REDACTED@h"
    assert written["originals"] == data["originals"]


@pytest.mark.parametrize("url, problem", [
    ("file:///etc/passwd", "'file:///etc/passwd' is not an http:// or https:// URL with a host"),
    ("data:,{}", "'data:,{}' is not an http:// or https:// URL with a host"),
    ("ftp://h/x", "is not an http:// or https:// URL"),
    ("prometheus:9090", "is not an http:// or https:// URL"),
    ("http:///path", "is not an http:// or https:// URL with a host"),
    ("http://h:port/", "is not a valid URL"),
    ("file:///x?token=t0p", "'file:///x?token=REDACTED' is not"),
])
def test_only_http_urls_with_a_host_can_be_called(url, problem):
    assert problem in http_url_problem(url)
    with pytest.raises(HttpRequestError) as raised:
        http_request(url)
    assert problem in str(raised.value) and "t0p" not in str(raised.value)


@pytest.mark.parametrize("url", ["http://h", "https://user:pw@h:8443/x?y=1", "HTTP://H/"])
def test_http_urls_are_accepted(url):
    assert http_url_problem(url) is None
