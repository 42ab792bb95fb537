"""What the emulator refuses as a real API server (422 Invalid, field causes) and istiod's validating webhook (400,
`admission webhook "validation.istio.io" denied the request`) do: one accepted and one refused example per rule,
over HTTP, dry runs included. The rules are listed in docs/sandbox.md."""
import copy

import pytest

from tests.sandbox.apiserver.crds import crd_files

NAMESPACE = "test"
needs_crds = pytest.mark.skipif(not crd_files(), reason="../shared/crds is absent (set SHARED_DIR)")


def service(**changes):
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    return _changed(body, changes)


def deployment(**changes):
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1",
                                                           "ports": [{"name": "http", "containerPort": 8080}]}]}}}}
    return _changed(body, changes)


def configmap(**changes):
    return _changed({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}, "data": {"a": "b"}}, changes)


def virtual_service(**route_changes):
    route = {"route": [{"destination": {"host": "web-primary"}, "weight": 100},
                       {"destination": {"host": "web-canary"}, "weight": 0}]}
    body = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "web"},
            "spec": {"hosts": ["web"], "gateways": ["mesh"], "http": [route]}}
    spec_changes = {key[5:]: value for key, value in route_changes.items() if key.startswith("spec_")}
    body["spec"].update(spec_changes)
    route.update({key: value for key, value in route_changes.items() if not key.startswith("spec_")})
    return body


def destination_rule(traffic_policy):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "web-primary"},
            "spec": {"host": "web-primary", "trafficPolicy": traffic_policy}}


def _changed(body, changes):
    """`changes` as {"spec.ports": [...], "metadata.name": "x"}: dotted paths replaced in a copy of `body`."""
    body = copy.deepcopy(body)
    for path, value in changes.items():
        node = body
        keys = path.replace("__", ".").split(".")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[keys[-1]] = value
    return body


def _create(emulator, body, dry_run=False):
    emulator.ensure_namespace(NAMESPACE)
    path = emulator.collection_path(body["apiVersion"], body["kind"], NAMESPACE) + ("?dryRun=All" if dry_run else "")
    return emulator.request("POST", path, body)


LONG_63 = "a" * 63

# (id, body, field of the 422 cause, text in its message)
API_SERVER_REFUSALS = [
    ("service-port-name-not-a-dns-label", service(**{"spec.ports": [{"name": "Bad_Name!", "port": 80}]}),
     "spec.ports[0].name", "a lowercase RFC 1123 label must consist of"),
    ("service-port-name-too-long", service(**{"spec.ports": [{"name": "a" * 64, "port": 80}]}),
     "spec.ports[0].name", "must be no more than 63 characters"),
    ("service-port-names-duplicate", service(**{"spec.ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}),
     "spec.ports[1].name", "Duplicate value"),
    ("service-ports-unnamed-when-several", service(**{"spec.ports": [{"name": "http", "port": 80}, {"port": 81}]}),
     "spec.ports[1].name", "Required value"),
    ("target-port-name-too-long", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "abcdefghijklmnop"}]}),
     "spec.ports[0].targetPort", "must be no more than 15 characters"),
    ("target-port-name-without-letter", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "80-80"}]}),
     "spec.ports[0].targetPort", "must contain at least one letter (a-z)"),
    ("target-port-name-consecutive-hyphens", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "a--b"}]}),
     "spec.ports[0].targetPort", "must not contain consecutive hyphens"),
    ("target-port-name-leading-hyphen", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "-http"}]}),
     "spec.ports[0].targetPort", "must not begin or end with a hyphen"),
    ("target-port-name-uppercase", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "HTTP"}]}),
     "spec.ports[0].targetPort", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
    ("container-port-name-not-iana", deployment(**{"spec.template.spec.containers": [
        {"name": "web", "image": "nginx:1", "ports": [{"name": "http_web", "containerPort": 8080}]}]}),
     "spec.template.spec.containers[0].ports[0].name", "must contain only alpha-numeric characters"),
    ("service-name-not-dns-1035", service(**{"metadata.name": "1web"}), "metadata.name", "a DNS-1035 label"),
    ("service-name-64-chars", service(**{"metadata.name": "a" * 64}), "metadata.name", "must be no more than 63 characters"),
    ("deployment-name-not-subdomain", deployment(**{"metadata.name": "Web"}), "metadata.name", "RFC 1123 subdomain"),
    ("configmap-name-254-chars", configmap(**{"metadata.name": "a" * 254}), "metadata.name", "must be no more than 253 characters"),
    ("label-value-64-chars", configmap(**{"metadata.labels": {"app": "a" * 64}}), "metadata.labels", "must be no more than 63 characters"),
    ("label-value-bad-characters", configmap(**{"metadata.labels": {"app": "a b"}}), "metadata.labels", "a valid label must be"),
    ("label-key-bad", configmap(**{"metadata.labels": {"bad key": "a"}}), "metadata.labels", "name part must consist of"),
    ("service-selector-value-64-chars", service(**{"spec.selector": {"app": "a" * 64}}),
     "spec.selector", "must be no more than 63 characters"),
    ("selector-in-without-values", deployment(**{"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": []}]}}),
     "spec.selector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"),
    ("selector-exists-with-values", deployment(**{"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "Exists", "values": ["a"]}]}}),
     "spec.selector.matchExpressions[0].values", "may not be specified when `operator` is 'Exists'"),
    ("selector-unknown-operator", deployment(**{"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "Equals", "values": ["a"]}]}}),
     "spec.selector.matchExpressions[0].operator", "not a valid selector operator"),
    ("selector-expression-value-64-chars", deployment(**{"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "NotIn", "values": ["a" * 64]}]}}),
     "spec.selector.matchExpressions[0].values[0]", "must be no more than 63 characters"),
    ("deployment-selector-value-64-chars", deployment(**{"spec.selector": {"matchLabels": {"app": "a" * 64}},
                                                         "spec.template.metadata.labels": {"app": "a" * 64}}),
     "spec.selector.matchLabels", "must be no more than 63 characters"),
]

API_SERVER_ACCEPTS = [
    ("service-port-name-63-chars", service(**{"spec.ports": [{"name": LONG_63, "port": 80}]})),
    ("service-port-name-digits-only", service(**{"spec.ports": [{"name": "8080", "port": 80}]})),
    ("target-port-name-15-chars", service(**{"spec.ports": [{"name": "http", "port": 80, "targetPort": "abcdefghijklmno"}]})),
    ("service-name-63-chars", service(**{"metadata.name": "a" * 63})),
    ("configmap-name-253-chars", configmap(**{"metadata.name": ".".join(["a" * 63] * 4)[:253]})),
    ("label-value-63-chars", configmap(**{"metadata.labels": {"app": LONG_63}})),
    ("label-value-empty", configmap(**{"metadata.labels": {"app": ""}})),
    ("selector-expressions", deployment(**{"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "NotIn", "values": ["db"]}, {"key": "track", "operator": "DoesNotExist"}]}})),
    ("selector-value-63-chars", deployment(**{"spec.selector": {"matchLabels": {"app": LONG_63}},
                                              "spec.template.metadata.labels": {"app": LONG_63}})),
]


@pytest.mark.parametrize("body, field, text", [case[1:] for case in API_SERVER_REFUSALS],
                         ids=[case[0] for case in API_SERVER_REFUSALS])
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_api_server_refuses_as_422_invalid(emulator, body, field, text, dry_run):
    status, answer = _create(emulator, body, dry_run=dry_run)
    assert (status, answer["reason"]) == (422, "Invalid")
    causes = answer["details"]["causes"]
    assert any(cause["field"] == field and text in cause["message"] for cause in causes), causes


@pytest.mark.parametrize("body", [case[1] for case in API_SERVER_ACCEPTS], ids=[case[0] for case in API_SERVER_ACCEPTS])
def test_api_server_accepts_the_limits(emulator, body):
    status, answer = _create(emulator, body)
    assert status == 201, answer


# -- the Istio CRDs' CEL rules (API server, 422) ------------------------------------------------------------------

CEL_REFUSALS = [
    ("timeout-1x", virtual_service(timeout="1x"), "spec.http[0].timeout", 'unknown unit "x"'),
    ("timeout-below-1ms", virtual_service(timeout="500us"), "spec.http[0].timeout", "must be a valid duration greater than 1ms"),
    ("per-try-timeout-garbage", virtual_service(retries={"attempts": 3, "perTryTimeout": "soon"}),
     "spec.http[0].retries.perTryTimeout", "must be a valid duration greater than 1ms"),
]


@needs_crds
@pytest.mark.parametrize("body, field, text", [case[1:] for case in CEL_REFUSALS], ids=[case[0] for case in CEL_REFUSALS])
def test_crd_duration_rules_refuse_as_422(emulator, body, field, text):
    status, answer = _create(emulator, body, dry_run=True)
    assert (status, answer["reason"]) == (422, "Invalid")
    assert any(cause["field"] == field and text in cause["message"] for cause in answer["details"]["causes"]), answer


@needs_crds
def test_crd_cel_rules_refuse_a_wildcard_subset_label(emulator):
    body = destination_rule({"loadBalancer": {"simple": "ROUND_ROBIN"}})
    body["spec"]["workloadSelector"] = {"matchLabels": {"version": "v*"}}
    status, answer = _create(emulator, body)
    assert status == 422 and "wildcard not allowed in label value match" in answer["message"]


def http_route(backend_ref):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "web", "port": 80}],
                     "rules": [{"backendRefs": [dict({"name": "web-primary", "weight": 100}, **backend_ref)]}]}}


@needs_crds
def test_crd_cel_rules_refuse_a_service_backend_ref_without_port(emulator):
    status, answer = _create(emulator, http_route({}), dry_run=True)
    assert status == 422 and "spec.rules[0].backendRefs[0]" in answer["message"], answer
    assert "Must have port for Service reference" in answer["message"]
    assert _create(emulator, http_route({"port": 80}), dry_run=True)[0] == 201
    assert _create(emulator, http_route({"group": "example.com", "kind": "Backend"}), dry_run=True)[0] == 201


def http_route_rule(**fields):
    """An HTTPRoute whose one rule (to a Service with its port) also has ``fields`` (matches, filters, timeouts)."""
    body = http_route({"port": 80})
    body["spec"]["rules"][0].update(copy.deepcopy(fields))
    return body


def _header_filter(kind="RequestHeaderModifier", field="requestHeaderModifier"):
    return {"type": kind, field: {"set": [{"name": "x-release", "value": "canary"}]}}


# (id, rule fields, field of the 422 cause, text in its message): the HTTPRoute CRD's CEL rules (schema_cel_gateway_api.py)
HTTP_ROUTE_CEL_REFUSALS = [
    ("path-not-absolute", {"matches": [{"path": {"type": "PathPrefix", "value": "api"}}]}, "spec.rules[0].matches[0].path",
     "value must be an absolute path and start with '/'"),
    ("path-double-slash", {"matches": [{"path": {"type": "Exact", "value": "/a//b"}}]}, "spec.rules[0].matches[0].path",
     "must not contain '//'"),
    ("path-dot-segment", {"matches": [{"path": {"value": "/a/../b"}}]}, "spec.rules[0].matches[0].path", "must not contain '/../'"),
    ("path-invalid-character", {"matches": [{"path": {"type": "PathPrefix", "value": "/a b"}}]}, "spec.rules[0].matches[0].path",
     "must only contain valid characters"),
    ("path-type-unknown", {"matches": [{"path": {"type": "Glob", "value": "/"}}]}, "spec.rules[0].matches[0].path.type",
     'Unsupported value: "Glob"'),
    ("header-match-type-unknown", {"matches": [{"headers": [{"name": "x-canary", "value": "1", "type": "Prefix"}]}]},
     "spec.rules[0].matches[0].headers[0].type", 'Unsupported value: "Prefix"'),
    ("filter-without-its-body", {"filters": [{"type": "RequestHeaderModifier"}]}, "spec.rules[0].filters[0]",
     "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type"),
    ("filter-body-of-another-type", {"filters": [{"type": "ResponseHeaderModifier", "requestHeaderModifier": {"remove": ["a"]}}]},
     "spec.rules[0].filters[0]", "filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier"),
    ("filter-repeated", {"filters": [_header_filter(), _header_filter()]}, "spec.rules[0].filters",
     "RequestHeaderModifier filter cannot be repeated"),
    ("redirect-with-backends", {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]},
     "spec.rules[0]", "RequestRedirect filter must not be used together with backendRefs"),
    ("rewrite-prefix-without-one-prefix-match", {
        "matches": [{"path": {"type": "Exact", "value": "/a"}}],
        "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}}}]},
     "spec.rules[0]", "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ("backend-timeout-above-request", {"timeouts": {"request": "1s", "backendRequest": "2s"}}, "spec.rules[0].timeouts",
     "backendRequest timeout cannot be longer than request timeout"),
    ("timeout-not-a-gateway-duration", {"timeouts": {"request": "1.5s"}}, "spec.rules[0].timeouts.request",
     "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"),
]
HTTP_ROUTE_CEL_ACCEPTS = [
    ("path-regex-is-the-implementation-s", {"matches": [{"path": {"type": "RegularExpression", "value": "^/a//b(.*)"}}]}),
    ("matches-headers-query-method", {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}, "method": "GET",
                                                   "headers": [{"name": "x-canary", "value": "insider"}],
                                                   "queryParams": [{"type": "RegularExpression", "name": "v", "value": "^2"}]}]}),
    ("one-filter-of-each-type", {"filters": [_header_filter(), _header_filter("ResponseHeaderModifier", "responseHeaderModifier")]}),
    ("rewrite-prefix-with-one-prefix-match", {
        "matches": [{"path": {"type": "PathPrefix", "value": "/a"}}],
        "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}}}]}),
    ("backend-timeout-within-request", {"timeouts": {"request": "1m30s", "backendRequest": "30s"}}),
    ("request-timeout-0s-disables-it", {"timeouts": {"request": "0s", "backendRequest": "2s"}}),
]


@needs_crds
@pytest.mark.parametrize("fields, field, text", [case[1:] for case in HTTP_ROUTE_CEL_REFUSALS],
                         ids=[case[0] for case in HTTP_ROUTE_CEL_REFUSALS])
def test_http_route_rules_refuse_as_422(emulator, fields, field, text):
    status, answer = _create(emulator, http_route_rule(**fields), dry_run=True)
    assert (status, answer["reason"]) == (422, "Invalid"), answer
    assert any(cause["field"] == field and text in cause["message"] for cause in answer["details"]["causes"]), answer


@needs_crds
@pytest.mark.parametrize("fields", [case[1] for case in HTTP_ROUTE_CEL_ACCEPTS], ids=[case[0] for case in HTTP_ROUTE_CEL_ACCEPTS])
def test_http_route_rules_accept(emulator, fields):
    status, answer = _create(emulator, http_route_rule(**fields), dry_run=True)
    assert status == 201, answer


# -- istiod's validating webhook (400) ---------------------------------------------------------------------------

WEBHOOK_REFUSALS = [
    ("host-not-a-host", virtual_service(spec_hosts=["not a host!!"]), 'domain name "not a host!!" invalid (label "not a host!!" invalid)'),
    ("host-wildcard-on-mesh", virtual_service(spec_hosts=["*"]), "wildcard host * is not allowed for virtual services bound to the mesh"),
    ("host-wildcard-on-mesh-and-gateway", virtual_service(spec_hosts=["*"], spec_gateways=["mesh", "istio-system/public"]),
     "wildcard host * is not allowed for virtual services bound to the mesh"),
    ("host-empty", virtual_service(spec_hosts=["web", ""]), "empty domain name not allowed"),
    ("hosts-duplicate", virtual_service(spec_hosts=["web", "web"]), "duplicate hosts in virtual service: web & web"),
    ("host-all-numeric-tld", virtual_service(spec_hosts=["web.123"]), "top level domain \"123\" cannot be all-numeric"),
    ("gateway-bad-name", virtual_service(spec_gateways=["istio-system/Bad_Gw"]), 'invalid value for gateway name: "Bad_Gw"'),
    ("timeout-microseconds", virtual_service(timeout="1.0005s"), "only durations to ms precision are supported"),
    ("retries-negative-attempts", virtual_service(retries={"attempts": -1}), "attempts cannot be negative"),
    ("retries-bad-retry-on", virtual_service(retries={"attempts": 3, "retryOn": "5xx,sometimes"}), '"sometimes" is not a valid retryOn policy'),
    ("retries-zero-attempts-with-policy", virtual_service(retries={"attempts": 0, "retryOn": "5xx"}),
     "http retry policy configured when attempts are set to 0 (disabled)"),
    ("weight-negative", virtual_service(route=[{"destination": {"host": "web-primary"}, "weight": -10},
                                               {"destination": {"host": "web-canary"}, "weight": 110}]), "weight -10 < 0"),
    ("weights-all-zero", virtual_service(route=[{"destination": {"host": "web-primary"}, "weight": 0},
                                                {"destination": {"host": "web-canary"}, "weight": 0}]), "total destination weight = 0"),
    ("destination-host-invalid", virtual_service(route=[{"destination": {"host": "web_primary"}}]), 'domain name "web_primary" invalid'),
    ("route-missing", virtual_service(route=[]), "HTTP route, redirect or direct_response is required"),
    ("no-http-tcp-tls", virtual_service(spec_http=[]), "http, tcp or tls must be provided in virtual service"),
    ("header-pseudo-set", virtual_service(headers={"request": {"set": {":path": "/x"}}}), 'invalid header ":path": header cannot have ":" prefix'),
    ("header-remove-host", virtual_service(headers={"request": {"remove": ["Host"]}}), 'invalid header "Host": cannot set Host header'),
    ("header-value-control-character", virtual_service(headers={"response": {"add": {"x-a": "a\nb"}}}),
     "header value configuration a\nb is invalid"),
    ("cors-unknown-method", virtual_service(corsPolicy={"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["FETCH"]}),
     '"FETCH" is not a supported HTTP method'),
    ("cors-empty-origin", virtual_service(corsPolicy={"allowOrigins": [{"exact": ""}]}),
     "'' is not a valid match type for CORS allow origins"),
    ("cors-bad-header-name", virtual_service(corsPolicy={"allowOrigins": [{"prefix": "https://"}], "allowHeaders": ["x a"]}),
     "header name x a is not a valid header name"),
    ("cors-max-age-fraction", virtual_service(corsPolicy={"allowOrigins": [{"prefix": "https://"}], "maxAge": "1.5s"}),
     "max_age duration is accurate only to seconds precision"),
    ("traffic-policy-empty", destination_rule({}), "traffic policy must have at least one field"),
    ("connection-pool-empty", destination_rule({"connectionPool": {}}), "connection pool must have at least one field"),
    ("connection-pool-negative", destination_rule({"connectionPool": {"tcp": {"maxConnections": -1}}}),
     "max connections must be non-negative"),
    ("outlier-percent-over-100", destination_rule({"outlierDetection": {"maxEjectionPercent": 150}}),
     "percentage 150 is not in range 0..100"),
    ("local-origin-failures-without-split", destination_rule({"outlierDetection": {"consecutiveLocalOriginFailures": 3}}),
     "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false"),
]

WEBHOOK_ACCEPTS = [
    ("seed-route", virtual_service(retries={"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"},
                                   timeout="10s")),
    ("go-duration", virtual_service(timeout="1m30s")),
    ("retry-on-status-code", virtual_service(retries={"attempts": 2, "retryOn": "503,reset"})),
    ("wildcard-host-on-gateway", virtual_service(spec_hosts=["*.example.com", "web"], spec_gateways=["istio-system/public"])),
    ("ip-host", virtual_service(spec_hosts=["10.0.0.1"])),
    ("wildcard-host-on-gateway-only", virtual_service(spec_hosts=["*"], spec_gateways=["istio-system/public"])),
    ("weights-above-100", virtual_service(route=[{"destination": {"host": "web-primary"}, "weight": 150},
                                                 {"destination": {"host": "web-canary"}, "weight": 50}])),
    ("headers-and-cors", virtual_service(headers={"request": {"set": {"x-canary": "true", ":authority": "app"}},
                                                  "response": {"remove": ["x-powered-by"]}},
                                         corsPolicy={"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["GET", "POST"],
                                                     "allowHeaders": ["*", "x-token"], "maxAge": "24h"})),
    ("round-robin", destination_rule({"loadBalancer": {"simple": "ROUND_ROBIN"}})),
    ("connection-pool", destination_rule({"connectionPool": {"http": {"http1MaxPendingRequests": 10}}})),
]


@needs_crds
@pytest.mark.parametrize("body, text", [case[1:] for case in WEBHOOK_REFUSALS], ids=[case[0] for case in WEBHOOK_REFUSALS])
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_istio_webhook_denies_as_400(emulator, body, text, dry_run):
    status, answer = _create(emulator, body, dry_run=dry_run)
    assert status == 400 and "reason" not in answer, answer
    assert answer["message"].startswith('admission webhook "validation.istio.io" denied the request: configuration is invalid: ')
    assert text in answer["message"]


@needs_crds
@pytest.mark.parametrize("body", [case[1] for case in WEBHOOK_ACCEPTS], ids=[case[0] for case in WEBHOOK_ACCEPTS])
def test_istio_webhook_admits(emulator, body):
    status, answer = _create(emulator, body)
    assert status == 201, answer


@needs_crds
def test_istio_webhook_lists_several_errors_like_go_multierror(emulator):
    status, answer = _create(emulator, virtual_service(spec_hosts=["not a host!!"], timeout="1.0005s"))
    assert status == 400
    assert answer["message"].endswith(
        'configuration is invalid: 2 errors occurred:\n\t* domain name "not a host!!" invalid (label "not a host!!" invalid)'
        "\n\t* only durations to ms precision are supported\n\n")


@needs_crds
def test_load_balancer_name_is_refused_by_the_crd_enum(emulator):
    status, answer = _create(emulator, destination_rule({"loadBalancer": {"simple": "ROUND_ROBINS"}}))
    assert (status, answer["reason"]) == (422, "Invalid") and "Unsupported value" in answer["message"]


@needs_crds
def test_istio_webhook_judges_patches_too(emulator):
    assert _create(emulator, virtual_service())[0] == 201
    path = emulator.collection_path("networking.istio.io/v1", "VirtualService", NAMESPACE) + "/web"
    status, answer = emulator.request("PATCH", path, {"spec": {"hosts": ["not a host!!"]}},
                                      content_type="application/merge-patch+json")
    assert status == 400 and "not a host!!" in answer["message"]
    assert emulator.request("GET", path)[1]["spec"]["hosts"] == ["web"]


def test_dry_runs_are_not_writes_in_the_request_log(emulator):
    emulator.ensure_namespace(NAMESPACE)
    emulator.request("POST", emulator.collection_path("v1", "ConfigMap", NAMESPACE) + "?dryRun=All", configmap())
    log = emulator.request_log
    assert [r.path for r in log.writes()] == ["/api/v1/namespaces"]
    assert [(r.method, r.path, r.status) for r in log.dry_runs()] == [("POST", "/api/v1/namespaces/test/configmaps", 201)]
    assert emulator.request("GET", emulator.collection_path("v1", "ConfigMap", NAMESPACE) + "/web")[0] == 404


def test_faults_hit_real_writes_unless_asked_for_dry_runs(emulator):
    emulator.ensure_namespace(NAMESPACE)
    path = emulator.collection_path("v1", "ConfigMap", NAMESPACE)
    write_fault = emulator.faults.add(verb="POST", path_regex="/configmaps$", status=503, times=1)
    assert emulator.request("POST", path + "?dryRun=All", configmap())[0] == 201
    dry_run_fault = emulator.faults.add(verb="POST", path_regex="/configmaps$", status=500, times=1, dry_runs=True)
    assert emulator.request("POST", path + "?dryRun=All", configmap())[0] == 500
    assert emulator.request("POST", path, configmap())[0] == 503
    assert (write_fault.matched, dry_run_fault.matched) == (1, 1)


def _hpa():
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 3}}


def _secret():
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web"}, "stringData": {"a": "b"}}


BUILT_IN_KINDS = (("Deployment", deployment), ("Service", service), ("ConfigMap", configmap), ("Secret", _secret),
                  ("HorizontalPodAutoscaler", _hpa))
DRY_RUN_KINDS = [pytest.param(make, id=kind) for kind, make in BUILT_IN_KINDS] + [
    pytest.param(virtual_service, id="VirtualService", marks=needs_crds),
    pytest.param(lambda: destination_rule({"loadBalancer": {"simple": "RANDOM"}}), id="DestinationRule", marks=needs_crds)]


@pytest.mark.parametrize("make", DRY_RUN_KINDS)
def test_dry_run_of_every_kind_we_write_stores_nothing(emulator, make):
    body = make()
    collection = emulator.collection_path(body["apiVersion"], body["kind"], NAMESPACE)
    item = collection + "/" + body["metadata"]["name"]
    assert _create(emulator, body, dry_run=True)[0] == 201
    assert emulator.request("GET", item)[0] == 404, "a dry-run create stores nothing"
    status, created = _create(emulator, body)
    assert status == 201, created
    changed = dict(created, metadata=dict(created["metadata"], labels={"changed": "yes"}))
    assert emulator.request("PUT", item + "?dryRun=All", changed)[0] == 200
    assert emulator.request("PATCH", item + "?dryRun=All", {"metadata": {"labels": {"changed": "yes"}}},
                            content_type="application/merge-patch+json")[0] == 200
    assert emulator.request("DELETE", item + "?dryRun=All")[0] == 200
    status, live = emulator.request("GET", item)
    assert status == 200 and "changed" not in (live["metadata"].get("labels") or {})
