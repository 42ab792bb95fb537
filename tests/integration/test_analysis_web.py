"""The web check against a local JSON server: value extracted with JMESPath, bounds, missing path = no data."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import AnalysisConfigError, run_checks
from tests.integration.loopback_http import LoopbackServer, Reply

CONTEXT = {"namespace": "test", "target": "podinfo"}
DOCUMENT = {"results": [{"app": "podinfo", "score": 0.97, "text": "0.5"}, {"app": "other", "score": 0.2}], "empty": None}


def web_check(url, value_path, **extra):
    bounds = extra.pop("threshold_range", {"min": 0.9})
    web = {"url": url + "/score", "value_path": value_path}
    web.update(extra)
    return {"name": "score", "web": web, "threshold_range": bounds}


def run_one(check):
    outcome = run_checks(None, [check], CONTEXT)
    assert len(outcome["checks"]) == 1
    return outcome, outcome["checks"][0]


@pytest.fixture
def endpoint():
    with LoopbackServer(lambda request: Reply(200, DOCUMENT)) as server:
        yield server


def test_value_extracted_and_within_bounds(endpoint):  # pylint: disable=redefined-outer-name
    outcome, check = run_one(web_check(endpoint.url, "results[?app=='podinfo'] | [0].score"))
    assert outcome["passed"] is True and check["value"] == pytest.approx(0.97) and check["type"] == "web"
    assert check["url"] == endpoint.url + "/score" and endpoint.requests[0].method == "GET"


def test_value_out_of_bounds_fails(endpoint):  # pylint: disable=redefined-outer-name
    outcome, check = run_one(web_check(endpoint.url, "results[1].score"))
    assert outcome["passed"] is False and check["verdict"] == "fail" and "below the minimum 0.9" in check["reason"]


def test_numeric_string_is_a_value(endpoint):  # pylint: disable=redefined-outer-name
    _outcome, check = run_one(web_check(endpoint.url, "results[0].text", threshold_range={"max": 1}))
    assert check["verdict"] == "pass" and check["value"] == 0.5


@pytest.mark.parametrize("path", ["results[5].score", "missing.path", "empty"])
def test_missing_path_is_no_data(endpoint, path):  # pylint: disable=redefined-outer-name
    outcome, check = run_one(web_check(endpoint.url, path))
    assert outcome["passed"] is False and check["verdict"] == "no data" and path in check["reason"]


def test_non_number_is_an_error(endpoint):  # pylint: disable=redefined-outer-name
    _outcome, check = run_one(web_check(endpoint.url, "results[0].app"))
    assert check["verdict"] == "error" and "not a number" in check["reason"]


def test_post_sends_the_json_body_and_headers():
    with LoopbackServer(lambda request: Reply(200, {"value": 3})) as server:
        check_spec = web_check(server.url, "value", method="POST", body={"app": "podinfo"}, headers={"X-Team": "web"},
                               threshold_range={"max": 5})
        _outcome, check = run_one(check_spec)
    assert check["verdict"] == "pass"
    request = server.requests[0]
    assert request.method == "POST" and request.json() == {"app": "podinfo"} and request.headers.get("X-Team") == "web"


def test_error_status_and_non_json_are_errors():
    with LoopbackServer(lambda request: Reply(500, "boom")) as failing, LoopbackServer(lambda request: Reply(200, "<html>")) as html:
        _outcome, failed = run_one(web_check(failing.url, "value"))
        _other, not_json = run_one(web_check(html.url, "value"))
    assert failed["verdict"] == "error" and "HTTP 500: boom" in failed["reason"]
    assert not_json["verdict"] == "error" and "not JSON" in not_json["reason"]


def test_prometheus_checks_need_a_connection():
    with pytest.raises(AnalysisConfigError, match="prometheus.url"):
        run_checks(None, [{"name": "request-duration", "threshold_range": {"max": 500}}], CONTEXT)
