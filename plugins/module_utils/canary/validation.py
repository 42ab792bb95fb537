# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every input refused before the first write, in one place.

Each phase calls these at the start of its planning: the options (names, durations, Istio route settings), what
the target and its apex Service must be for the generated objects to be valid, and, for the objects canary_init
creates or changes, the API server's own judgement through a server-side dry run (``dryRun=All``: admission and
validating webhooks such as istiod's run, nothing is stored). What our checks miss, the server still refuses before
anything is written.

The rules follow the API server (pkg/apis/core/validation, apimachinery's IsDNS1123Label / IsValidLabelValue /
IsValidPortName) and istiod (pkg/config/validation: hosts, gateways, durations, HTTPRetry)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, describe
from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import go_duration_seconds
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import SERVICE, is_managed, MANAGED_BY_LABEL, TARGET_ANNOTATION
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import InputError
from ansible_collections.progressive.canary.plugins.module_utils.workloads.base import primary_value

# apimachinery's patterns. The sandbox (tests/sandbox/apiserver) keeps its own copy on purpose: an emulator that
# imported the code it judges could not catch that code's mistakes.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
WILDCARD_LABEL = re.compile(r"^(\*|\*?[a-z0-9]([-a-z0-9]*[a-z0-9])?)$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

# What a Service name may be (a DNS-1035 label): the apex, -primary and -canary Services are named after the target.
MAX_SERVICE_NAME = 63
MAX_LABEL_VALUE = 63
MAX_SUBDOMAIN = 253
# Envoy's retry-on policies istiod accepts in HTTPRetry.retryOn (besides HTTP status codes).
RETRY_ON_POLICIES = frozenset((
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
    "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
))
RETRY_FIELDS = ("attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff")
TRAFFIC_POLICY_FIELDS = ("loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings", "tunnel",
                         "proxyProtocol", "retryBudget")
LOAD_BALANCERS = ("UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST")


# -- names -------------------------------------------------------------------------------------------------------

def _dns1123_label_problem(value):
    if len(value) > 63:
        return "is %d characters long; at most 63 are allowed (a DNS-1123 label)" % len(value)
    if not DNS1123_LABEL.match(value):
        return "is not a DNS-1123 label (lower case letters, digits and '-', starting and ending with a letter or digit)"
    return None


def label_value_problem(value):
    """Why ``value`` cannot be a label value (None when it can)."""
    if len(value) > MAX_LABEL_VALUE:
        return "is %d characters long; a label value may have at most %d" % (len(value), MAX_LABEL_VALUE)
    if not LABEL_VALUE.match(value):
        return "is not a valid label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)"
    return None


def label_key_problem(key):
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > MAX_SUBDOMAIN or not DNS1123_SUBDOMAIN.match(prefix)):
        return "has a prefix that is not a DNS-1123 subdomain"
    if not name or len(name) > 63 or not QUALIFIED_NAME.match(name):
        return "is not a valid label key (at most 63 letters, digits, '-', '_' or '.' after an optional DNS prefix and '/')"
    return None


def check_names(names):
    """The target and namespace, and the names generated from them, are names the API server accepts."""
    target, namespace = names.target, names.namespace
    if not isinstance(namespace, str) or not namespace:
        raise InputError("namespace must be a non-empty name")
    problem = _dns1123_label_problem(namespace)
    if problem:
        raise InputError("namespace %r %s" % (namespace, problem))
    if not isinstance(target, str) or not target:
        raise InputError("target must be the name of a Deployment, got an empty name")
    if len(target) > MAX_SUBDOMAIN or not DNS1123_SUBDOMAIN.match(target):
        raise InputError("target %r is not a Deployment name (a DNS-1123 subdomain of at most 253 characters: lower case "
                         "letters, digits, '-' and '.')" % target)
    for service in (names.apex, names.primary, names.canary):
        if len(service) > MAX_SERVICE_NAME:
            raise InputError("target %r is too long: the Service %r would be %d characters, the API server allows %d; "
                             "use a target name of at most %d characters"
                             % (target, service, len(service), MAX_SERVICE_NAME, MAX_SERVICE_NAME - len("-primary")))
        if not DNS1035_LABEL.match(service):
            raise InputError("target %r cannot name a Service (%r is not a DNS-1035 label: lower case letters, digits and "
                             "'-', starting with a letter): the apex, -primary and -canary Services are named after it"
                             % (target, service))


def check_not_generated(names, target):
    """A Deployment generated by progressive.canary (a ``-primary``) is never a canary target itself."""
    metadata = (target or {}).get("metadata") or {}
    if is_managed(target):
        raise InputError("Deployment %s/%s is itself generated by progressive.canary (for canary %s, label %s); it cannot "
                         "be a canary target: use that canary's own target"
                         % (names.namespace, names.target,
                            (metadata.get("annotations") or {}).get(TARGET_ANNOTATION) or "unknown", MANAGED_BY_LABEL))


# -- numbers -----------------------------------------------------------------------------------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_common(lease_seconds, ready_timeout=None, ready_timeout_zero_means_default=False, selector_labels=None):
    """Options every changing module takes."""
    if not _is_int(lease_seconds) or lease_seconds < 1:
        raise InputError("lease_seconds must be a positive number of seconds, got %r" % (lease_seconds,))
    if ready_timeout is not None:
        lowest = 0 if ready_timeout_zero_means_default else 1
        if not _is_int(ready_timeout) or ready_timeout < lowest:
            raise InputError("ready_timeout must be %s number of seconds, got %r"
                             % ("a positive (or 0: the Deployment's progress deadline)" if lowest == 0 else "a positive",
                                ready_timeout))
    if selector_labels is not None:
        if not selector_labels:
            raise InputError("selector_labels must name at least one label key")
        for key in selector_labels:
            problem = label_key_problem(key) if isinstance(key, str) and key else "is empty"
            if problem:
                raise InputError("selector_labels: %r %s" % (key, problem))


def check_weight(weight):
    if not _is_int(weight) or not 0 <= weight <= 100:
        raise InputError("weight must be between 0 and 100, got %r" % (weight,))


# -- durations ---------------------------------------------------------------------------------------------------

def check_istio_duration(option, value):
    """An Istio Duration: a Go duration of at least 1 ms, to millisecond precision."""
    try:
        seconds = go_duration_seconds(value)
    except ValueError:
        raise InputError("%s %r is not a duration like 10s, 1m30s or 250ms" % (option, value))
    if seconds < 0.001:
        raise InputError("%s %r must be at least 1ms" % (option, value))
    if int(round(seconds * 1e9)) % 1000000:
        raise InputError("%s %r: Istio supports durations to the millisecond only" % (option, value))


# -- the service option (canary_init) ----------------------------------------------------------------------------

def port_name_problem(name):
    """Why ``name`` cannot be a container port name a Service's targetPort refers to (an IANA service name)."""
    if len(name) > 15:
        return "is longer than 15 characters"
    if not re.match(r"^[-a-z0-9]+$", name):
        return "may only contain lower case letters, digits and '-'"
    if not re.search("[a-z]", name):
        return "must contain at least one letter"
    if "--" in name or name.startswith("-") or name.endswith("-"):
        return "may not begin or end with '-' nor contain '--'"
    return None


def _check_port(service):
    port = service.get("port")
    if not _is_int(port) or not 1 <= port <= 65535:
        raise InputError("service.port must be a port number between 1 and 65535, got %r" % (port,))
    target_port = service.get("target_port")
    if target_port is None:
        return
    if _is_int(target_port) or (isinstance(target_port, str) and target_port.isdigit()):
        if not 1 <= int(target_port) <= 65535:
            raise InputError("service.target_port must be between 1 and 65535, got %r" % (target_port,))
        return
    if not isinstance(target_port, str) or not target_port:
        raise InputError("service.target_port must be a port number or a container port name, got %r" % (target_port,))
    problem = port_name_problem(target_port)
    if problem:
        raise InputError("service.target_port %r is not a container port name: it %s" % (target_port, problem))


def _check_port_name(service):
    name = service.get("port_name")
    if not name:
        return  # the Services then name their port "http"
    problem = _dns1123_label_problem(name) if isinstance(name, str) else "is not a string"
    if problem:
        raise InputError("service.port_name %r %s; the API server refuses it as a Service port name" % (name, problem))


def host_problem(host):
    """Why istiod refuses ``host`` in a VirtualService's hosts (None when it accepts it)."""
    if not host:
        return "is empty"
    if len(host) > 255:
        return "is longer than 255 characters"
    if IPV4.match(host) or ":" in host:
        return None
    first, dot, rest = host.partition(".")
    if len(first) > 63 or not WILDCARD_LABEL.match(first):
        return "is not a DNS name (label %r is invalid; only the first label may be a wildcard)" % first
    if not dot:
        return None
    labels = rest.split(".")
    if labels[-1].isdigit():
        return "has an all-numeric top level domain"
    for index, label in enumerate(labels):
        if index == len(labels) - 1 and label == "":
            return None
        if len(label) > 63 or not DNS1123_LABEL.match(label):
            return "is not a DNS name (label %r is invalid)" % label
    return None


def _check_hosts(service):
    gateways = service.get("gateways") or ["mesh"]
    for host in service.get("hosts") or []:
        problem = host_problem(host) if isinstance(host, str) else "is not a string"
        if problem:
            raise InputError("service.hosts: %r %s; istiod refuses it in a VirtualService" % (host, problem))
        if host == "*" and "mesh" in gateways:
            raise InputError("service.hosts: '*' is not allowed for a VirtualService bound to the mesh gateway (istiod refuses it)")


def _check_gateways(service):
    for gateway in service.get("gateways") or []:
        if not isinstance(gateway, str) or not gateway:
            raise InputError("service.gateways: %r is not a gateway name" % (gateway,))
        namespace, slash, name = gateway.partition("/")
        if slash:
            if _dns1123_label_problem(namespace) or _dns1123_label_problem(name):
                raise InputError("service.gateways: %r must be <namespace>/<name>, both DNS-1123 labels" % gateway)
        elif gateway != "mesh" and host_problem(gateway):
            raise InputError("service.gateways: %r is not a gateway name (%s)" % (gateway, host_problem(gateway)))


def _check_retries(retries):
    if retries is None:
        return
    if not isinstance(retries, dict):
        raise InputError("service.retries must be a dict (an Istio HTTPRetry), got %r" % (retries,))
    unknown = sorted(set(retries) - set(RETRY_FIELDS))
    if unknown:
        raise InputError("service.retries: unknown field(s) %s; an Istio HTTPRetry has %s" % (", ".join(unknown), ", ".join(RETRY_FIELDS)))
    attempts = retries.get("attempts", 0)
    if not _is_int(attempts) or attempts < 0:
        raise InputError("service.retries.attempts must be a number of retries (0 or more), got %r" % (attempts,))
    if attempts == 0 and any(retries.get(field) not in (None, "") for field in ("perTryTimeout", "retryOn", "retryRemoteLocalities")):
        raise InputError("service.retries: attempts is 0 (retries disabled) but perTryTimeout/retryOn are set; istiod refuses that")
    for field in ("perTryTimeout", "backoff"):
        if retries.get(field) is not None:
            check_istio_duration("service.retries.%s" % field, retries[field])
    retry_on = retries.get("retryOn")
    if retry_on not in (None, ""):  # istiod skips an empty retryOn
        if not isinstance(retry_on, str):
            raise InputError("service.retries.retryOn must be a comma-separated string, got %r" % (retry_on,))
        for policy in retry_on.split(","):
            if policy not in RETRY_ON_POLICIES and not (policy.isdigit() and 100 <= int(policy) <= 599):
                raise InputError("service.retries.retryOn: %r is not a retry policy (one of %s, or an HTTP status code)"
                                 % (policy, ", ".join(sorted(RETRY_ON_POLICIES))))


def _check_traffic_policy(policy):
    if policy is None:
        return
    if not isinstance(policy, dict) or not policy:
        raise InputError("service.traffic_policy must be a non-empty dict (an Istio TrafficPolicy), got %r" % (policy,))
    unknown = sorted(set(policy) - set(TRAFFIC_POLICY_FIELDS))
    if unknown:
        raise InputError("service.traffic_policy: unknown field(s) %s; an Istio TrafficPolicy has %s"
                         % (", ".join(unknown), ", ".join(TRAFFIC_POLICY_FIELDS)))
    balancer = policy.get("loadBalancer")
    if balancer is not None and not isinstance(balancer, dict):
        raise InputError("service.traffic_policy.loadBalancer must be a dict, got %r" % (balancer,))
    simple = (balancer or {}).get("simple")
    if simple is not None and simple not in LOAD_BALANCERS:
        raise InputError("service.traffic_policy.loadBalancer.simple %r is not a load balancer (one of %s)"
                         % (simple, ", ".join(LOAD_BALANCERS)))


def check_service_options(service, istio_timeout=True):
    """canary_init's ``service`` option: what the API server and istiod would refuse in the generated objects.
    ``istio_timeout``: ``timeout`` is an Istio Duration (another provider's router checks its own, Router.check_service)."""
    _check_port(service)
    _check_port_name(service)
    _check_gateways(service)
    _check_hosts(service)
    if service.get("timeout") and istio_timeout:  # an empty timeout sets none, as the route is built
        check_istio_duration("service.timeout", service["timeout"])
    _check_retries(service.get("retries"))
    _check_traffic_policy(service.get("traffic_policy"))
    for option in ("headers", "cors_policy"):
        if service.get(option) is not None and not isinstance(service[option], dict):
            # the value is not shown: header values can be credentials
            raise InputError("service.%s must be a dict, got a %s" % (option, type(service[option]).__name__))


# -- what init makes of the live objects ---------------------------------------------------------------------------

def check_primary_selector(names, label, value, primary_value):
    """The primary's selector takes the target's with the selector label's value suffixed: it must stay a label value."""
    problem = label_value_problem(primary_value)
    if problem:
        raise InputError("Deployment %s/%s: the primary's selector would need %s=%s, which %s; shorten the target's %s "
                         "label value %r (at most %d characters)"
                         % (names.namespace, names.target, label, primary_value, problem, label, value,
                            MAX_LABEL_VALUE - (len(primary_value) - len(value))))


def check_apex_service(names, apex):
    """An apex Service without a selector sends its traffic to Endpoints written by hand: init would replace them
    by a selector, so it is refused."""
    if apex is None:
        return
    spec = apex.get("spec") or {}
    if spec.get("type") == "ExternalName":
        raise InputError("Service %s/%s is an ExternalName Service: it has no pods to route, canary_init cannot manage it"
                         % (names.namespace, names.apex))
    if not spec.get("selector"):
        raise InputError("Service %s/%s has no selector: its traffic goes to Endpoints written by hand, and canary_init "
                         "would replace them by a selector on the primary; give it a selector on the target's pods, or "
                         "rename it" % (names.namespace, names.apex))


def check_copy_names(names, sources):
    """The ``-primary`` copies of (kind, name) pairs (HPA, ConfigMaps, Secrets) must still be valid names."""
    for kind, name in sources:
        copy_name = names.primary_copy(name)
        if len(copy_name) > MAX_SUBDOMAIN:
            raise InputError("%s %s/%s: the primary's copy %r would be %d characters, the API server allows %d; shorten "
                             "its name" % (kind, names.namespace, name, copy_name, len(copy_name), MAX_SUBDOMAIN))


# -- the API server's judgement ------------------------------------------------------------------------------------

def _whole_object(body):
    metadata = (body or {}).get("metadata") if isinstance(body, dict) else None
    return bool(metadata and metadata.get("name") and body.get("apiVersion") and body.get("kind"))


def _needs_resource_version(api_version):
    """Custom resources refuse an update without a resourceVersion; built-in kinds (core and dot-less groups such as
    apps, autoscaling) take one, and get none here: controllers move theirs all the time, and a dry run judges the
    object, not whether it is stale (the real write keeps its own guard)."""
    group = api_version.rpartition("/")[0]
    return "." in group


def _dry_run(api, step):
    """One step's object sent as a dry run: a create when the step makes it, else a replace of the live object."""
    body = dict(step.after, metadata=dict(step.after["metadata"]))
    body.pop("status", None)
    metadata = body["metadata"]
    what = describe(body["apiVersion"], body["kind"], metadata.get("namespace"), metadata["name"])
    try:
        if step.before is None:
            api.dry_run(body)
        else:
            metadata.pop("resourceVersion", None)
            if _needs_resource_version(body["apiVersion"]):
                metadata["resourceVersion"] = (step.before.get("metadata") or {}).get("resourceVersion")
            api.dry_run(body, replace=True)
    except CanaryApiError as exc:
        if exc.status in (400, 422):
            marker = "HTTP %s: " % exc.status
            cause = str(exc).split(marker, 1)[-1]
            raise InputError("the API server refuses %s in a server-side dry run of \"%s\", nothing was written: %s%s"
                             % (what, step.description, marker, cause))
        raise


def dry_run_plan(api, plan):
    """Send every object the plan creates or replaces to the API server as a dry run (nothing is stored); a 400/422
    (the API server's validation or a validating webhook such as istiod's) becomes an InputError naming the object."""
    for step in plan.steps:
        if step.changes and _whole_object(step.after):
            _dry_run(api, step)


# -- per phase: called first thing when a phase plans ---------------------------------------------------------------

def check_init_request(request):
    """canary_init's options (InitRequest), before anything is read."""
    check_names(request.names)
    check_common(request.lease_seconds, request.ready_timeout, selector_labels=request.selector_labels)
    check_service_options(request.service, istio_timeout=request.provider == "istio")
    if request.hpa is not None:
        check_copy_names(request.names, [("HorizontalPodAutoscaler", request.hpa)])


def check_init_facts(request, facts):
    """What init would make of the live objects (InitFacts), before its plan is built."""
    names = request.names
    check_primary_selector(names, facts.label, facts.value, primary_value(facts.value))
    check_apex_service(names, facts.services.get(SERVICE, names.apex))
    check_copy_names(names, sorted(facts.tracked))


def check_release_request(request):
    """canary_shift / canary_promote / canary_rollback options (ReleaseRequest)."""
    check_names(request.names)
    check_common(request.lease_seconds, request.ready_timeout, ready_timeout_zero_means_default=True)
    if "weight" in request.extra:
        check_weight(request.extra["weight"])


def check_cleanup_request(request):
    check_names(request.names)
    check_common(request.lease_seconds, request.ready_timeout, selector_labels=request.selector_labels)
