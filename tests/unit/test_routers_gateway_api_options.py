"""routers/gateway_api_options.py: service.match / headers / timeout as HTTPRoute rule fields (Flagger's mapping), what
the HTTPRoute CRD would refuse refused naming the option, and how a generated and an adopted rule take them."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.validation import InputError
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api_options import (
    apply_route_options, check_route_options, route_header_filters, route_matches, route_timeout)


def test_istio_matches_become_gateway_api_matches_spelled_as_the_api_server_defaults_them():
    matches = route_matches([
        {"uri": {"prefix": "/api"}, "method": {"exact": "POST"}, "headers": {"x-user": {"regex": "^b"}, "x-canary": {"exact": "insider"}}},
        {"uri": {"regex": "^/v[0-9]+"}, "queryParams": {"beta": {"exact": "1"}}},
        {"headers": {"cookie": {"regex": ".*canary=1.*"}}},
        {},
    ])
    assert matches == [
        {"path": {"type": "PathPrefix", "value": "/api"}, "method": "POST",
         "headers": [{"type": "Exact", "name": "x-canary", "value": "insider"}, {"type": "RegularExpression", "name": "x-user", "value": "^b"}]},
        {"path": {"type": "RegularExpression", "value": "^/v[0-9]+"}, "queryParams": [{"type": "Exact", "name": "beta", "value": "1"}]},
        {"path": {"type": "PathPrefix", "value": "/"}, "headers": [{"type": "RegularExpression", "name": "cookie", "value": ".*canary=1.*"}]},
        {"path": {"type": "PathPrefix", "value": "/"}},
    ]
    assert route_matches(None) is None


def test_headers_become_one_modifier_filter_per_direction_sorted_by_name():
    assert route_header_filters({"request": {"set": {"x-b": "2", "x-a": "1"}, "remove": ["x-debug"]},
                                 "response": {"add": {"x-served-by": "podinfo"}}}) == {
        "RequestHeaderModifier": {"type": "RequestHeaderModifier", "requestHeaderModifier": {
            "set": [{"name": "x-a", "value": "1"}, {"name": "x-b", "value": "2"}], "remove": ["x-debug"]}},
        "ResponseHeaderModifier": {"type": "ResponseHeaderModifier", "responseHeaderModifier": {
            "add": [{"name": "x-served-by", "value": "podinfo"}]}}}
    assert route_header_filters({"response": {}}) == {"ResponseHeaderModifier": None}, "an empty direction removes its filter"


@pytest.mark.parametrize("timeout", ["10s", "1m30s", "1500ms", "0s", "1h2m3s4ms"])
def test_gateway_api_durations_are_taken(timeout):
    assert route_timeout(timeout) == timeout


@pytest.mark.parametrize("service, text", [
    ({"match": []}, "service.match must be a non-empty list"),
    ({"match": [{"uri": {"suffix": ".js"}}]}, "service.match[0].uri.suffix has no Gateway API equivalent: an HTTPRoute matches it by exact, prefix or regex"),
    ({"match": [{"authority": {"exact": "a"}}]}, "service.match[0].authority has no Gateway API equivalent"),
    ({"match": [{"withoutHeaders": {"a": {"exact": "1"}}}]}, "service.match[0].withoutHeaders has no Gateway API equivalent"),
    ({"match": [{"uri": {"prefix": "api"}}]}, "service.match[0].uri: the path 'api' must be an absolute path"),
    ({"match": [{"uri": {"exact": "/a//b"}}]}, "must not contain '//'"),
    ({"match": [{"uri": {"prefix": "/a b"}}]}, "may only hold URL path characters"),
    ({"match": [{}, {"method": {"exact": "FETCH"}}]}, "service.match[1].method.exact 'FETCH' is not an HTTP method"),
    ({"match": [{"method": {"regex": "GET|HEAD"}}]}, "service.match[0].method.regex has no Gateway API equivalent: an HTTPRoute matches it by exact"),
    ({"match": [{"uri": {"exact": "/", "prefix": "/"}}]}, "service.match[0].uri must be one of exact, prefix or regex with a value"),
    ({"match": [{"headers": {"x-canary": {"prefix": "in"}}}]},
     "service.match[0].headers.x-canary.prefix has no Gateway API equivalent: an HTTPRoute matches it by exact or regex; "
     "for a prefix use regex: '^<prefix>'"),
    ({"match": [{"headers": {"x canary": {"exact": "1"}}}]}, "the name 'x canary' is not an HTTP header name"),
    ({"match": [{"queryParams": {"v": {"exact": ""}}}]}, "service.match[0].queryParams.v.exact must be a non-empty string"),
    ({"match": [{}] * 65}, "service.match has 65 entries; an HTTPRoute rule takes at most 64"),
    ({"headers": {"requests": {}}}, "service.headers.requests is not a direction"),
    ({"headers": {"request": {"append": {"a": "b"}}}}, "service.headers.request.append is not a header operation"),
    ({"headers": {"request": {"set": {"x-token": ""}}}}, "service.headers.request.set.x-token: the value must be a string of 1 to 4096"),
    ({"headers": {"response": {"remove": ["a", "a"]}}}, "service.headers.response.remove names a header twice"),
    ({"timeout": "1.5s"}, "service.timeout '1.5s' is not a Gateway API duration"),
    ({"timeout": "10 seconds"}, "service.timeout '10 seconds' is not a Gateway API duration"),
])
def test_what_the_http_route_would_refuse_is_refused_naming_the_option(service, text):
    with pytest.raises(InputError) as refused:
        check_route_options(service)
    assert text in str(refused.value)


def test_a_header_value_is_never_shown():
    with pytest.raises(InputError) as refused:
        check_route_options({"headers": {"request": {"set": {"authorization": "Bearer s3cr3t" * 400}}}})
    assert "s3cr3t" not in str(refused.value)


OPTIONS = {"match": [{"uri": {"prefix": "/api"}}], "headers": {"request": {"set": {"x-release": "canary"}}}, "timeout": "10s"}


def test_a_generated_rule_takes_every_path_unless_narrowed():
    assert apply_route_options({}, {}, generated=True) == {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}
    assert apply_route_options({}, OPTIONS, generated=True) == {
        "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
        "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-release", "value": "canary"}]}}],
        "timeouts": {"request": "10s"}}


def _user_rule():
    return {"matches": [{"path": {"type": "Exact", "value": "/"}}],
            "filters": [{"type": "URLRewrite", "urlRewrite": {"hostname": "podinfo.internal"}},
                        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "x-team", "value": "web"}]}},
                        {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"remove": ["server"]}}],
            "timeouts": {"request": "30s", "backendRequest": "5s"}}


def test_an_adopted_rule_keeps_its_own_unless_the_option_is_given():
    assert apply_route_options(_user_rule(), {}, generated=False) == _user_rule()
    rule = apply_route_options(_user_rule(), OPTIONS, generated=False)
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/api"}}]
    assert rule["filters"] == [_user_rule()["filters"][0], OPTIONS_REQUEST_FILTER, _user_rule()["filters"][2]], \
        "the request modifier replaced in its place, the rewrite and the response modifier kept"
    assert rule["timeouts"] == {"request": "10s", "backendRequest": "5s"}


OPTIONS_REQUEST_FILTER = {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-release", "value": "canary"}]}}


def test_an_empty_direction_removes_the_adopted_rule_s_filter_of_that_type():
    rule = apply_route_options({"filters": [_user_rule()["filters"][2]]}, {"headers": {"response": {}}}, generated=False)
    assert "filters" not in rule
