"""istiod's validating webhook (`validation.istio.io`) for VirtualService and DestinationRule, on create and update.

Rules paraphrased from istio/istio `pkg/config/validation` (validation.go, virtualservice.go, agent/validation.go),
only those the CRD schemas do not already express; every rule here is listed in docs/sandbox.md. The API server calls
the webhook after its own schema validation, dry runs included (istiod declares no side effects), and answers a denial
as HTTP 400 with the text `admission webhook "validation.istio.io" denied the request: configuration is invalid: ...`;
several errors are listed the way go-multierror prints them.
"""
import ipaddress
import re

from tests.sandbox.apiserver.durations import GoDurationError, parse_go_duration
from tests.sandbox.apiserver.re2 import re2_error

WEBHOOK_NAME = "validation.istio.io"
GROUP = "networking.istio.io"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A DNS-1123 label that may also be `*` or start with `*` (Istio's IsWildcardDNS1123Label).
WILDCARD_LABEL = re.compile(r"^(\*|\*?[a-z0-9]([-a-z0-9]*[a-z0-9])?)$")

# Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies Istio accepts in `retryOn` (besides HTTP status codes).
RETRY_ON_POLICIES = frozenset((
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
    "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
))
# The HTTP status codes Go's net/http.StatusText knows (a retryOn entry may be one of them).
HTTP_STATUS_CODES = frozenset(
    list(range(100, 104)) + list(range(200, 209)) + [226] + list(range(300, 309)) + list(range(400, 419))
    + [421, 422, 423, 424, 425, 426, 428, 429, 431, 451] + list(range(500, 509)) + [510, 511])
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$")
# Control characters other than a tab may not appear in a header value (Envoy's rule, as istiod applies it).
HEADER_VALUE = re.compile("^[^\x00-\x08\x0a-\x1f\x7f]*$")
CORS_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"))
TRAFFIC_POLICY_FIELDS = ("outlierDetection", "connectionPool", "loadBalancer", "tls", "portLevelSettings", "tunnel",
                         "proxyProtocol", "retryBudget")
PORT_POLICY_FIELDS = ("outlierDetection", "connectionPool", "loadBalancer", "tls")


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


# -- names and durations ----------------------------------------------------------------------------------------

def _dns1123_labels(domain):
    parts = domain.split(".")
    top = parts[-1]
    if top.isdigit():
        return [f'domain name "{domain}" invalid (top level domain "{top}" cannot be all-numeric)']
    for index, label in enumerate(parts):
        if index == len(parts) - 1 and label == "":
            return []  # a trailing dot: an unambiguous absolute name
        if len(label) > 63 or not DNS1123_LABEL.match(label):
            return [f'domain name "{domain}" invalid (label "{label}" invalid)']
    return []


def _domain_preconditions(domain):
    if len(domain) > 255:
        return [f'domain name "{domain}" too long (max 255)']
    if not domain:
        return ["empty domain name not allowed"]
    return []


def wildcard_domain_errors(domain):
    """Istio's ValidateWildcardDomain: a DNS name whose first label may be a wildcard."""
    found = _domain_preconditions(domain)
    if found:
        return found
    first, _dot, rest = domain.partition(".")
    if len(first) > 63 or not WILDCARD_LABEL.match(first):
        return [f'domain name "{domain}" invalid (label "{first}" invalid)']
    return _dns1123_labels(rest) if _dot else []


def fqdn_errors(name):
    return _domain_preconditions(name) or _dns1123_labels(name)


def _is_ip(value):
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def duration_errors(value):
    """Istio's ValidateDuration on a protobuf Duration decoded from its JSON string."""
    try:
        seconds = parse_protobuf_duration(value)
    except GoDurationError as exc:
        return [f"error decoding configuration: {exc}"]
    if seconds < 0.001:
        return ["duration must be greater than 1ms"]
    if round(seconds * 1e9) % 1_000_000:
        return ["only durations to ms precision are supported"]
    return []


def parse_protobuf_duration(value):
    """Seconds of a protobuf JSON Duration (`1.5s`); Istio's decoder also accepts Go durations (`1m30s`)."""
    if not isinstance(value, str):
        raise GoDurationError(f"bad Duration: {value!r}")
    return parse_go_duration(value)


# -- VirtualService ---------------------------------------------------------------------------------------------

def _gateway_errors(gateways):
    found = []
    for gateway in gateways:
        if not isinstance(gateway, str):
            continue
        namespace, slash, name = gateway.partition("/")
        if not slash:
            return found + fqdn_errors(gateway)
        if not namespace or not name:
            found.append("config namespace and gateway name cannot be empty")
        if not DNS1123_LABEL.match(namespace) or len(namespace) > 63:
            found.append(f'invalid value for namespace: "{namespace}"')
        if not DNS1123_LABEL.match(name) or len(name) > 63:
            found.append(f'invalid value for gateway name: "{name}"')
    return found


def _host_errors(hosts, mesh_only):
    found, all_valid = [], True
    for host in hosts:
        if not isinstance(host, str):
            continue
        problems = wildcard_domain_errors(host)
        if problems and not _is_ip(host):
            found += problems
            all_valid = False
        elif not problems and mesh_only and host == "*":
            found.append("wildcard host * is not allowed for virtual services bound to the mesh gateway")
            all_valid = False
    if all_valid:
        for index, first in enumerate(hosts):
            for second in hosts[index + 1:]:
                if _hosts_overlap(first, second):
                    found.append(f"duplicate hosts in virtual service: {first} & {second}")
    return found


def _hosts_overlap(first, second):
    """Istio's host.Name.Matches: equal, or one wildcard covering the other."""
    if first == second:
        return True
    for wildcard, other in ((first, second), (second, first)):
        if wildcard.startswith("*") and other.endswith(wildcard[1:]):
            return True
    return False


def retry_errors(retries):
    """Istio's ValidateHTTPRetry."""
    retries = _dict(retries)
    if not retries:
        return []
    found = []
    attempts = retries.get("attempts") or 0
    if isinstance(attempts, int) and attempts < 0:
        found.append("attempts cannot be negative")
    if attempts == 0 and (retries.get("perTryTimeout") is not None or retries.get("retryOn")
                          or retries.get("retryRemoteLocalities") is not None):
        found.append("http retry policy configured when attempts are set to 0 (disabled)")
    if retries.get("perTryTimeout") is not None:
        found += duration_errors(retries["perTryTimeout"])
    retry_on = retries.get("retryOn")
    if isinstance(retry_on, str) and retry_on:
        for policy in retry_on.split(","):
            if not (policy.isdigit() and int(policy) in HTTP_STATUS_CODES) and policy not in RETRY_ON_POLICIES:
                found.append(f'"{policy}" is not a valid retryOn policy')
    if retries.get("backoff") is not None:
        found += duration_errors(retries["backoff"])
    return found


def _destination_errors(destination):
    destination = _dict(destination)
    host = destination.get("host")
    found = []
    if host == "*":
        found.append("invalid destination host *")
    elif isinstance(host, str):
        found += wildcard_domain_errors(host)
    subset = destination.get("subset")
    if isinstance(subset, str) and subset and (not DNS1123_LABEL.match(subset) or len(subset) > 63):
        found.append(f"subset name is invalid: {subset}")
    port = _dict(destination.get("port")).get("number")
    if isinstance(port, int) and not 1 <= port <= 65535:
        found.append(f"port number {port} must be in the range 1..65535")
    return found


def route_destination_errors(routes):
    """Istio's validateHTTPRouteDestinations: each destination valid, no negative weight, not all weights 0."""
    found, total = [], 0
    for item in routes:
        if not isinstance(item, dict):
            found.append("weight may not be nil")
            continue
        if item.get("destination") is None:
            found.append("destination is required")
        found += headers_errors(item.get("headers"))
        found += _destination_errors(item.get("destination"))
        weight = item.get("weight") or 0
        if isinstance(weight, int):
            if weight < 0:
                found.append(f"weight {weight} < 0")
            total += weight
    if len(routes) > 1 and total == 0:
        found.append("total destination weight = 0")
    return found


def _set_header_name_errors(name):
    """ValidateHTTPHeaderWithAuthorityOperationName: request headers added or set."""
    if not name:
        return ["header name cannot be empty"]
    lowered = name.lower()
    if (name.startswith(":") or lowered == "host") and lowered not in (":authority", "host"):
        return [f'invalid header "{name}": header cannot have ":" prefix']
    return []


def _header_operation_name_errors(name):
    """ValidateHTTPHeaderOperationName: request headers removed, response headers changed."""
    if not name:
        return ["header name cannot be empty"]
    if name.lower() == "host":
        return [f'invalid header "{name}": cannot set Host header']
    if name.startswith(":"):
        return [f'invalid header "{name}": header cannot have ":" prefix']
    return []


def _header_value_errors(value):
    if isinstance(value, str) and not HEADER_VALUE.match(value):
        return [f"header value configuration {value} is invalid"]
    return []


def headers_errors(headers):
    """The header manipulations of a route or a destination (request/response add, set, remove)."""
    found = []
    for direction in ("request", "response"):
        operations = _dict(_dict(headers).get(direction))
        name_check = _set_header_name_errors if direction == "request" else _header_operation_name_errors
        for operation in ("add", "set"):
            for name, value in _dict(operations.get(operation)).items():
                found += name_check(name) + _header_value_errors(value)
        for name in _list(operations.get("remove")):
            found += _header_operation_name_errors(name)
    return found


def cors_errors(policy):
    """validateCORSPolicy: origins with a non-empty match, known methods, header names, max age in seconds."""
    if policy is None:
        return []
    policy = _dict(policy)
    found = []
    for origin in _list(policy.get("allowOrigins")):
        match = next((v for k, v in _dict(origin).items() if k in ("exact", "prefix", "regex")), "")
        if not match:
            found.append(f"'{match}' is not a valid match type for CORS allow origins")
    for method in _list(policy.get("allowMethods")):
        if method not in CORS_METHODS:
            found.append(f'"{method}" is not a supported HTTP method')
    for name in _list(policy.get("allowHeaders")) + _list(policy.get("exposeHeaders")):
        if not name:
            found.append("header name cannot be empty")
        elif name != "*" and not HEADER_NAME.match(name):
            found.append(f"header name {name} is not a valid header name")
    max_age = policy.get("maxAge")
    if max_age is not None:
        found += duration_errors(max_age)
        try:
            if not found and parse_protobuf_duration(max_age) % 1:
                found.append("max_age duration is accurate only to seconds precision")
        except GoDurationError:
            pass
    return found


def _string_match_errors(match, where, empty_prefix_ok=False):
    """validateStringMatch / validateStringMatchRegexp: no empty prefix (but for ``uri``), a non-empty RE2 regex of at
    most 1024 characters."""
    match = _dict(match)
    if not empty_prefix_ok and match.get("prefix") == "" and "exact" not in match and "regex" not in match:
        return [f'"{where}": prefix string match should not be empty']
    regex = match.get("regex")
    if not isinstance(regex, str) or "exact" in match or "prefix" in match:
        return []
    if regex == "":
        return [f'"{where}": regex string match should not be empty']
    if len(regex) > 1024:
        return [f'"{where}": regex is too large, max length allowed is 1024']
    problem = re2_error(regex)
    if problem:
        return [f'"{where}": {problem}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)']
    return []


def _header_match_name_errors(name):
    """ValidateHTTPHeaderNameOrJwtClaimRoute."""
    if name.startswith("@request.auth.claims"):
        return []
    if not name:
        return ["header name cannot be empty"]
    if not HEADER_NAME.match(name):
        return [f"header name {name} is not a valid header name"]
    return []


def match_errors(matches):
    """validateHTTPRouteMatchRequest: header names and string matches (regexes are RE2), source namespace."""
    found = []
    for match in _list(matches):
        match = _dict(match)
        for name, header in _dict(match.get("headers")).items():
            if header is None:
                found.append(f"header match {name} cannot be null")
            found += _header_match_name_errors(name) + _string_match_errors(header, "headers")
        for name, header in _dict(match.get("withoutHeaders")).items():
            found += _header_match_name_errors(name)
            if _dict(header).get("regex") != "*":   # `*` means presence, not a regex
                found += _string_match_errors(header, "withoutHeaders")
        found += _string_match_errors(match.get("uri"), "uri", empty_prefix_ok=True)
        for field in ("scheme", "method", "authority"):
            found += _string_match_errors(match.get(field), field)
        for value in _dict(match.get("queryParams")).values():
            found += _string_match_errors(value, "queryParams")
    for match in _list(matches):
        namespace = _dict(match).get("sourceNamespace")
        if isinstance(namespace, str) and namespace and (not DNS1123_LABEL.match(namespace) or len(namespace) > 63):
            found.append(f"sourceNamespace match {namespace} is invalid")
    return found


def mirror_errors(route):
    """The mirror fields: percentages within 0..100, valid destinations. A mirror's subset need not exist (istiod does
    not look; the shadow then finds no cluster)."""
    found = []
    legacy = route.get("mirrorPercent", route.get("mirror_percent"))
    if isinstance(legacy, int) and legacy > 100:
        found.append(f"mirror_percent must have a max value of 100 (it has {legacy})")
    value = _dict(route.get("mirrorPercentage")).get("value")
    if isinstance(value, (int, float)) and value > 100:
        found.append(f"mirror_percentage must have a max value of 100 (it has {float(value):f})")
    if isinstance(value, (int, float)) and value < 0:
        found.append(f"mirror_percentage must have a min value of 0 (it has {float(value):f})")
    if route.get("mirror") is not None:
        found += _destination_errors(route["mirror"])
    for mirror in _list(route.get("mirrors")):
        mirror = _dict(mirror)
        if mirror.get("destination") is None:
            found.append("destination is required for mirrors")
        found += _destination_errors(mirror.get("destination"))
        value = _dict(mirror.get("percentage")).get("value")
        if isinstance(value, (int, float)) and not 0 <= value <= 100:
            found.append(f"mirror percentage must have a value between 0 and 100 (it has {float(value):f})")
    return found


def http_route_errors(route):
    route = _dict(route)
    found = []
    if route.get("redirect") is None and route.get("directResponse") is None and not _list(route.get("route")) \
            and route.get("delegate") is None:
        found.append("HTTP route, redirect or direct_response is required")
    if route.get("redirect") is not None and _list(route.get("route")):
        found.append("HTTP route cannot contain both route and redirect")
    if route.get("mirror") is not None and _list(route.get("mirrors")):
        found.append("HTTP route cannot contain both mirror and mirrors")
    found += match_errors(route.get("match"))
    found += headers_errors(route.get("headers"))
    found += cors_errors(route.get("corsPolicy"))
    found += retry_errors(route.get("retries"))
    found += mirror_errors(route)
    found += route_destination_errors(_list(route.get("route")))
    if route.get("timeout") is not None:
        found += duration_errors(route["timeout"])
    return found


def virtual_service_errors(spec):
    spec = _dict(spec)
    hosts = _list(spec.get("hosts"))
    gateways = _list(spec.get("gateways"))
    found = []
    if not hosts and gateways:
        found.append("delegate virtual service must have no gateways specified")
    found += _gateway_errors(gateways)
    mesh_only = not gateways or "mesh" in gateways  # bound to the mesh too (istiod: not isGateway)
    found += _host_errors(hosts, mesh_only)
    if not _list(spec.get("http")) and not _list(spec.get("tcp")) and not _list(spec.get("tls")):
        found.append("http, tcp or tls must be provided in virtual service")
    for route in _list(spec.get("http")):
        if route is None:
            found.append("http route may not be null")
            continue
        found += http_route_errors(route)
    return found


# -- DestinationRule --------------------------------------------------------------------------------------------

def _percent_errors(value):
    if isinstance(value, int) and not 0 <= value <= 100:
        return [f"percentage {value} is not in range 0..100"]
    return []


def _outlier_errors(outlier):
    outlier = _dict(outlier)
    found = []
    for field in ("baseEjectionTime", "interval"):
        if outlier.get(field) is not None:
            found += duration_errors(outlier[field])
    if not outlier.get("splitExternalLocalOriginErrors") and (outlier.get("consecutiveLocalOriginFailures") or 0) > 0:
        found.append("outlier detection consecutive local origin failures is specified, but split external local "
                     "origin errors is set to false")
    return found + _percent_errors(outlier.get("maxEjectionPercent")) + _percent_errors(outlier.get("minHealthPercent"))


def _connection_pool_errors(pool):
    if pool is None:
        return []
    pool = _dict(pool)
    if pool.get("http") is None and pool.get("tcp") is None:
        return ["connection pool must have at least one field"]
    found = []
    http = _dict(pool.get("http"))
    for field, text in (("http1MaxPendingRequests", "http1 max pending requests"), ("http2MaxRequests", "http2 max requests"),
                        ("maxRequestsPerConnection", "max requests per connection"), ("maxRetries", "max retries"),
                        ("maxConcurrentStreams", "max concurrent streams")):
        if isinstance(http.get(field), int) and http[field] < 0:
            found.append(f"{text} must be non-negative")
    if http.get("idleTimeout") is not None:
        found += duration_errors(http["idleTimeout"])
    tcp = _dict(pool.get("tcp"))
    if isinstance(tcp.get("maxConnections"), int) and tcp["maxConnections"] < 0:
        found.append("max connections must be non-negative")
    for field in ("connectTimeout", "maxConnectionDuration"):
        if tcp.get(field) is not None:
            found += duration_errors(tcp[field])
    return found


def _load_balancer_errors(balancer):
    balancer = _dict(balancer)
    found = []
    consistent = _dict(balancer.get("consistentHash"))
    cookie = consistent.get("httpCookie")
    if isinstance(cookie, dict) and not cookie.get("name"):
        found.append("name required for HttpCookie")
    if balancer.get("localityLbSetting") is not None and balancer.get("zoneAwareLbSetting") is not None:
        found.append("only one of localityLbSetting and zoneAwareLbSetting can be set")
    warmup = balancer.get("warmup")
    if isinstance(warmup, dict):
        if warmup.get("duration") is None:
            found.append("duration is required")
        else:
            found += duration_errors(warmup["duration"])
    return found


def traffic_policy_errors(policy):
    """Istio's validateTrafficPolicy (TLS, locality and tunnel details are not checked here)."""
    if policy is None:
        return []
    policy = _dict(policy)
    if not any(policy.get(field) is not None for field in TRAFFIC_POLICY_FIELDS):
        return ["traffic policy must have at least one field"]
    if policy.get("tunnel") is not None and policy.get("proxyProtocol") is not None:
        return ["tunnel and proxyProtocol must not be set together"]
    found = (_outlier_errors(policy.get("outlierDetection")) + _connection_pool_errors(policy.get("connectionPool"))
             + _load_balancer_errors(policy.get("loadBalancer")))
    for port_policy in _list(policy.get("portLevelSettings")):
        port_policy = _dict(port_policy)
        if port_policy.get("port") is None:
            found.append("portTrafficPolicy must have valid port")
        if not any(port_policy.get(field) is not None for field in PORT_POLICY_FIELDS):
            found.append("port traffic policy must have at least one field")
        else:
            found += (_outlier_errors(port_policy.get("outlierDetection"))
                      + _connection_pool_errors(port_policy.get("connectionPool"))
                      + _load_balancer_errors(port_policy.get("loadBalancer")))
    return found


def destination_rule_errors(spec):
    spec = _dict(spec)
    found = wildcard_domain_errors(spec["host"]) if isinstance(spec.get("host"), str) else []
    found += traffic_policy_errors(spec.get("trafficPolicy"))
    names = set()
    for subset in _list(spec.get("subsets")):
        subset = _dict(subset)
        name = subset.get("name") or ""
        if name in names:
            found.append(f"duplicate subset names: {name}")
        names.add(name)
        if not name:
            found.append("subset name cannot be empty")
        elif not DNS1123_LABEL.match(name) or len(name) > 63:
            found.append(f"subset name is invalid: {name}")
        found += traffic_policy_errors(subset.get("trafficPolicy"))
    return found


CHECKS = {"VirtualService": virtual_service_errors, "DestinationRule": destination_rule_errors}


def denial(group, kind, obj):
    """The webhook's denial text for `obj`, or None when istiod admits it (or does not validate the kind)."""
    check = CHECKS.get(kind) if group == GROUP else None
    if check is None:
        return None
    found = check(_dict(obj).get("spec"))
    if not found:
        return None
    if len(found) == 1:
        detail = found[0]
    else:
        detail = "%d errors occurred:\n\t%s\n\n" % (len(found), "\n\t".join("* " + item for item in found))
    return f'admission webhook "{WEBHOOK_NAME}" denied the request: configuration is invalid: {detail}'
