"""Every bad input is refused before the first write, with a clear message: a table of bad options and objects for
each changing module (init, shift, promote, rollback, cleanup, info), each asserting the message and that the
emulator logged no write; then the limits themselves (63-character names and label values) still work.

One sandbox serves the whole table (every case is refused without writing, so it stays as loaded); cases needing an
initialized canary or other objects set them up in their own emulator."""
import copy
import json

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from tests.integration.canary_scenario import (NAMESPACE, PODINFO_SERVICE, load_podinfo, podinfo_manifests,
                                               reset_request_log, run_playbook, writes)
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.apiserver import Emulator

pytestmark = pytest.mark.needs_crds

# 55 characters: "<target>-primary" is then exactly 63, the longest Service name.
LONG_TARGET = "a" + "b" * 54
LABEL_55 = "v" * 55
# A ConfigMap name whose "-primary" copy would be 254 characters, one more than a name may have.
LONG_CONFIG = "c" * 246


def _deployment(name, label_value, container_ports=None, env_from=None):
    deployment = copy.deepcopy(podinfo_manifests()["deployment"])
    deployment["metadata"] = {"name": name, "namespace": NAMESPACE}
    deployment["spec"]["replicas"] = 1
    deployment["spec"]["selector"] = {"matchLabels": {"app": label_value}}
    deployment["spec"]["template"]["metadata"]["labels"] = {"app": label_value}
    if container_ports is not None:
        deployment["spec"]["template"]["spec"]["containers"][0]["ports"] = container_ports
    if env_from is not None:
        deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"] = env_from
    return deployment


def _objects():
    """Besides podinfo: a target whose label value is one character too long for the primary's, a target whose apex
    Service has no selector, and a 55-character target with a 55-character label value (the limits exactly)."""
    return [
        _deployment("longlabel", "x" * 56),
        _deployment("noselector", "noselector"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "noselector", "namespace": NAMESPACE},
         "spec": {"ports": [{"name": "http", "port": 9898}]}},
        _deployment(LONG_TARGET, LABEL_55, container_ports=[{"name": "a" * 15, "containerPort": 9898}]),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": LONG_CONFIG, "namespace": NAMESPACE}, "data": {"a": "b"}},
        _deployment("longconfig", "longconfig", env_from=[{"configMapRef": {"name": LONG_CONFIG}}]),
    ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One emulator with podinfo and the objects above; (emulator, KubeApi)."""
    home = tmp_path_factory.mktemp("refusals")
    with Emulator() as emulator:
        load_podinfo(emulator)
        emulator.load_manifests(yaml.safe_dump_all(_objects()), namespace=NAMESPACE)
        yield emulator, connect({"kubeconfig": emulator.write_kubeconfig(home / "kubeconfig")}, request_timeout=10)


def _service(**changes):
    service = dict(PODINFO_SERVICE)
    service.update(changes)
    return service


# (id, target, service option, other InitRequest options, expected text in the message)
INIT_CASES = [
    ("empty-target", "", _service(), {}, "target must be the name of a Deployment, got an empty name"),
    ("target-upper-case", "Podinfo", _service(), {}, "is not a Deployment name"),
    ("target-with-dot-cannot-name-a-service", "pod.info", _service(), {}, "cannot name a Service"),
    ("target-starts-with-digit", "1podinfo", _service(), {}, "is not a DNS-1035 label"),
    ("target-too-long-for-primary-service", "a" * 56, _service(), {}, "use a target name of at most 55 characters"),
    ("namespace-upper-case", "podinfo", _service(), {"namespace": "Test"}, "namespace 'Test' is not a DNS-1123 label"),
    ("namespace-empty", "podinfo", _service(), {"namespace": ""}, "namespace must be a non-empty name"),
    ("lease-seconds-zero", "podinfo", _service(), {"lease_seconds": 0}, "lease_seconds must be a positive number of seconds, got 0"),
    ("lease-seconds-negative", "podinfo", _service(), {"lease_seconds": -30}, "lease_seconds must be a positive number"),
    ("ready-timeout-negative", "podinfo", _service(), {"ready_timeout": -1}, "ready_timeout must be a positive number of seconds, got -1"),
    ("ready-timeout-zero", "podinfo", _service(), {"ready_timeout": 0}, "ready_timeout must be a positive number"),
    ("selector-label-bad-key", "podinfo", _service(), {"selector_labels": ["bad key"]}, "selector_labels: 'bad key' is not a valid label key"),
    ("port-zero", "podinfo", _service(port=0), {}, "service.port must be a port number between 1 and 65535, got 0"),
    ("port-too-big", "podinfo", _service(port=70000), {}, "service.port must be a port number between 1 and 65535"),
    ("target-port-too-big", "podinfo", _service(target_port=70000), {}, "service.target_port must be between 1 and 65535"),
    ("target-port-bad-name", "podinfo", _service(target_port="Bad_Name!"), {}, "is not a container port name"),
    ("target-port-name-too-long", "podinfo", _service(target_port="a-very-long-port-name"), {}, "longer than 15 characters"),
    ("port-name-bad", "podinfo", _service(port_name="Bad_Name!"), {}, "service.port_name 'Bad_Name!' is not a DNS-1123 label"),
    ("port-name-too-long", "podinfo", _service(port_name="a" * 64), {}, "is 64 characters long; at most 63"),
    ("host-not-a-host", "podinfo", _service(hosts=["not a host!!"]), {}, "service.hosts: 'not a host!!' is not a DNS name"),
    ("host-wildcard-on-mesh", "podinfo", _service(hosts=["*"]), {}, "'*' is not allowed for a VirtualService bound to the mesh"),
    ("host-wildcard-on-mesh-and-gateway", "podinfo", _service(hosts=["*"], gateways=["mesh", "istio-system/public"]), {},
     "'*' is not allowed for a VirtualService bound to the mesh gateway"),
    ("host-wildcard-beside-the-apex-host", "podinfo", _service(hosts=["*"], gateways=["istio-system/public"]), {},
     "duplicate hosts in virtual service: * & podinfo"),
    ("host-empty", "podinfo", _service(hosts=[""]), {}, "service.hosts: '' is empty"),
    ("host-empty-label", "podinfo", _service(hosts=["app..example.com"]), {}, "label '' is invalid"),
    ("host-numeric-tld", "podinfo", _service(hosts=["app.123"]), {}, "all-numeric top level domain"),
    ("host-wildcard-inside", "podinfo", _service(hosts=["app.*.example.com"]), {}, "label '*' is invalid"),
    ("gateway-bad-name", "podinfo", _service(gateways=["istio-system/Bad_Gw"]), {}, "must be <namespace>/<name>"),
    ("gateway-empty-name", "podinfo", _service(gateways=["istio-system/"]), {}, "must be <namespace>/<name>"),
    ("gateway-with-space", "podinfo", _service(gateways=["my gateway"]), {}, "is not a gateway name"),
    ("timeout-1x", "podinfo", _service(timeout="1x"), {}, "service.timeout '1x' is not a duration like 10s"),
    ("timeout-no-unit", "podinfo", _service(timeout="10"), {}, "service.timeout '10' is not a duration"),
    ("timeout-zero", "podinfo", _service(timeout="0s"), {}, "service.timeout '0s' must be at least 1ms"),
    ("timeout-negative", "podinfo", _service(timeout="-1s"), {}, "must be at least 1ms"),
    ("timeout-microseconds", "podinfo", _service(timeout="1500us"), {}, "Istio supports durations to the millisecond only"),
    ("retries-not-a-dict", "podinfo", _service(retries="3"), {}, "service.retries must be a dict"),
    ("retries-negative-attempts", "podinfo", _service(retries={"attempts": -1}), {}, "service.retries.attempts must be a number of retries"),
    ("retries-attempts-a-string", "podinfo", _service(retries={"attempts": "three"}), {}, "service.retries.attempts must be"),
    ("retries-typo", "podinfo", _service(retries={"attempts": 3, "perTryTimout": "1s"}), {}, "unknown field(s) perTryTimout"),
    ("retries-bad-per-try-timeout", "podinfo", _service(retries={"attempts": 3, "perTryTimeout": "1x"}), {},
     "service.retries.perTryTimeout '1x' is not a duration"),
    ("retries-bad-backoff", "podinfo", _service(retries={"attempts": 3, "backoff": "fast"}), {}, "service.retries.backoff 'fast'"),
    ("retries-bad-retry-on", "podinfo", _service(retries={"attempts": 3, "retryOn": "5xx,sometimes"}), {},
     "service.retries.retryOn: 'sometimes' is not a retry policy"),
    ("retries-disabled-with-policy", "podinfo", _service(retries={"attempts": 0, "retryOn": "5xx"}), {}, "attempts is 0 (retries disabled)"),
    ("traffic-policy-empty", "podinfo", _service(traffic_policy={}), {}, "service.traffic_policy must be a non-empty dict"),
    ("traffic-policy-typo", "podinfo", _service(traffic_policy={"loadBalanser": {"simple": "RANDOM"}}), {}, "unknown field(s) loadBalanser"),
    ("load-balancer-unknown", "podinfo", _service(traffic_policy={"loadBalancer": {"simple": "ROUND_ROBINS"}}), {},
     "loadBalancer.simple 'ROUND_ROBINS' is not a load balancer"),
    ("target-trailing-hyphen", "podinfo-", _service(), {}, "is not a Deployment name"),
    ("target-underscore", "pod_info", _service(), {}, "is not a Deployment name"),
    ("namespace-too-long", "podinfo", _service(), {"namespace": "n" * 64}, "is 64 characters long; at most 63"),
    ("selector-label-bad-prefix", "podinfo", _service(), {"selector_labels": ["Example.com/app"]}, "has a prefix that is not a DNS-1123 subdomain"),
    ("target-port-negative", "podinfo", _service(target_port=-1), {}, "service.target_port must be between 1 and 65535, got -1"),
    ("target-port-a-list", "podinfo", _service(target_port=["http"]), {}, "must be a port number or a container port name"),
    ("timeout-with-space", "podinfo", _service(timeout="10 s"), {}, "service.timeout '10 s' is not a duration"),
    ("timeout-days", "podinfo", _service(timeout="1d"), {}, "service.timeout '1d' is not a duration"),
    ("retries-per-try-timeout-zero", "podinfo", _service(retries={"attempts": 3, "perTryTimeout": "0s"}), {}, "must be at least 1ms"),
    ("retries-retry-on-unknown-status", "podinfo", _service(retries={"attempts": 3, "retryOn": "999"}), {}, "'999' is not a retry policy"),
    ("retries-retry-on-a-list", "podinfo", _service(retries={"attempts": 3, "retryOn": ["5xx"]}), {}, "must be a comma-separated string"),
    ("traffic-policy-a-string", "podinfo", _service(traffic_policy="ROUND_ROBIN"), {}, "service.traffic_policy must be a non-empty dict"),
    ("load-balancer-a-string", "podinfo", _service(traffic_policy={"loadBalancer": "RANDOM"}), {}, "loadBalancer must be a dict"),
    ("cors-policy-a-list", "podinfo", _service(cors_policy=["*"]), {}, "service.cors_policy must be a dict"),
    ("headers-not-a-dict", "podinfo", _service(headers="x-a: b"), {}, "service.headers must be a dict"),
    ("hpa-name-too-long-for-its-copy", "podinfo", _service(), {"hpa": "h" * 250}, "the primary's copy"),
    # Refused by what the live objects would become
    ("primary-label-value-too-long", "longlabel", _service(), {},
     "the primary's selector would need app=%s-primary, which is 64 characters long" % ("x" * 56)),
    ("config-copy-name-too-long", "longconfig", _service(), {}, "the primary's copy '%s-primary' would be 254 characters" % LONG_CONFIG),
    ("apex-service-without-selector", "noselector", _service(), {}, "Service test/noselector has no selector"),
    # What only the API server judges: its schema and istiod's webhook, through the server-side dry run
    ("cors-policy-wrong-type", "podinfo", _service(cors_policy={"allowOrigins": "https://example.com"}), {},
     "the API server refuses VirtualService test/podinfo"),
    ("header-pseudo-header-set", "podinfo", _service(headers={"request": {"set": {":path": "/admin"}}}), {},
     'invalid header ":path": header cannot have ":" prefix'),
    ("cors-unknown-method", "podinfo", _service(cors_policy={"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["FETCH"]}),
     {}, '"FETCH" is not a supported HTTP method'),
    ("connection-pool-empty", "podinfo", _service(traffic_policy={"connectionPool": {}}), {},
     'admission webhook "validation.istio.io" denied the request: configuration is invalid: connection pool must have at least one field'),
    ("connection-pool-negative", "podinfo", _service(traffic_policy={"connectionPool": {"tcp": {"maxConnections": -1}}}), {},
     "max connections must be non-negative"),
    ("outlier-percent-over-100", "podinfo", _service(traffic_policy={"outlierDetection": {"maxEjectionPercent": 150}}), {},
     "percentage 150 is not in range 0..100"),
    ("hosts-overlapping", "podinfo", _service(hosts=["app.example.com", "*.example.com"]), {},
     "duplicate hosts in virtual service: app.example.com & *.example.com"),
    ("cookie-without-name", "podinfo", _service(traffic_policy={"loadBalancer": {"consistentHash": {"httpCookie": {"ttl": "10s"}}}}), {},
     "the API server refuses DestinationRule test/podinfo-primary"),
]


def _clear(message):
    """A message for a person: no Python error text."""
    assert "Traceback" not in message and "Unknown error" not in message and "object has no attribute" not in message
    return message


@pytest.mark.parametrize("target, service, options, expected", [case[1:] for case in INIT_CASES],
                         ids=[case[0] for case in INIT_CASES])
@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_init_refuses_bad_input_before_writing(cluster, target, service, options, expected, check_mode):
    emulator, api = cluster
    options = dict(options)
    namespace = options.pop("namespace", NAMESPACE)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_init(api, InitRequest(target, namespace, service, **dict({"ready_timeout": 30}, **options)), check_mode=check_mode)
    assert expected in _clear(str(error.value))
    assert writes(emulator) == [], "refused before the first write"


# (id, run class, ReleaseRequest keywords, expected text)
RELEASE_CASES = [
    ("shift-empty-target", ShiftRun, {"target": "", "weight": 10}, "target must be the name of a Deployment"),
    ("shift-weight-negative", ShiftRun, {"weight": -10}, "weight must be between 0 and 100, got -10"),
    ("shift-weight-over-100", ShiftRun, {"weight": 101}, "weight must be between 0 and 100, got 101"),
    ("shift-lease-zero", ShiftRun, {"weight": 10, "lease_seconds": 0}, "lease_seconds must be a positive number"),
    ("shift-ready-timeout-negative", ShiftRun, {"weight": 10, "ready_timeout": -5}, "ready_timeout must be a positive (or 0"),
    ("promote-empty-target", PromoteRun, {"target": ""}, "target must be the name of a Deployment"),
    ("promote-lease-negative", PromoteRun, {"lease_seconds": -1}, "lease_seconds must be a positive number"),
    ("promote-bad-namespace", PromoteRun, {"namespace": "not_a_namespace"}, "namespace 'not_a_namespace' is not a DNS-1123 label"),
    ("rollback-empty-target", RollbackRun, {"target": ""}, "target must be the name of a Deployment"),
    ("rollback-ready-timeout-negative", RollbackRun, {"ready_timeout": -1}, "ready_timeout must be"),
    ("shift-namespace-empty", ShiftRun, {"weight": 10, "namespace": ""}, "namespace must be a non-empty name"),
    ("promote-ready-timeout-negative", PromoteRun, {"ready_timeout": -30}, "ready_timeout must be"),
    ("rollback-lease-zero", RollbackRun, {"lease_seconds": 0}, "lease_seconds must be a positive number"),
    ("rollback-target-too-long", RollbackRun, {"target": "r" * 60}, "use a target name of at most 55 characters"),
]


@pytest.mark.parametrize("run_class, keywords, expected", [case[1:] for case in RELEASE_CASES], ids=[case[0] for case in RELEASE_CASES])
def test_release_modules_refuse_bad_input_before_writing(cluster, run_class, keywords, expected):
    emulator, api = cluster
    keywords = dict({"target": "podinfo", "namespace": NAMESPACE}, **keywords)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        execute(api, ReleaseRequest(**keywords), run_class)
    assert expected in _clear(str(error.value))
    assert writes(emulator) == []


CLEANUP_CASES = [
    ("empty-target", {"target": ""}, "target must be the name of a Deployment"),
    ("lease-zero", {"lease_seconds": 0}, "lease_seconds must be a positive number"),
    ("ready-timeout-negative", {"ready_timeout": -1}, "ready_timeout must be a positive number"),
    ("selector-label-bad-key", {"selector_labels": ["app/"]}, "selector_labels: 'app/' is not a valid label key"),
    ("bad-namespace", {"namespace": "Test"}, "namespace 'Test' is not a DNS-1123 label"),
    ("target-too-long", {"target": "c" * 56}, "use a target name of at most 55 characters"),
    ("target-upper-case", {"target": "Podinfo"}, "is not a Deployment name"),
]


@pytest.mark.parametrize("keywords, expected", [case[1:] for case in CLEANUP_CASES], ids=[case[0] for case in CLEANUP_CASES])
def test_cleanup_refuses_bad_input_before_writing(cluster, keywords, expected):
    emulator, api = cluster
    keywords = dict({"target": "podinfo", "namespace": NAMESPACE}, **keywords)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_cleanup(api, CleanupRequest(**keywords))
    assert expected in _clear(str(error.value))
    assert writes(emulator) == []


def test_info_refuses_an_empty_target(cluster):
    emulator, api = cluster
    with pytest.raises(Refusal) as error:
        canary_info(api, CanaryNames("", NAMESPACE))
    assert "target must be the name of a Deployment, got an empty name" in str(error.value)


def test_the_dry_run_judges_what_init_would_write(cluster):
    """A refusal by the API server's own validation or istiod's webhook costs dry runs only, never a write."""
    emulator, api = cluster
    reset_request_log(emulator)
    with pytest.raises(Refusal):
        run_init(api, InitRequest("podinfo", NAMESPACE, _service(traffic_policy={"connectionPool": {}}), ready_timeout=30))
    dry_runs = emulator.request_log.dry_runs()
    assert writes(emulator) == [] and dry_runs
    assert all(record.status in (201, 200, 400, 422) for record in dry_runs)
    assert dry_runs[-1].status == 400 and "/destinationrules" in dry_runs[-1].path


def test_cleanup_refuses_a_generated_primary_as_target(emulator, kube_api):  # noqa: F811
    load_podinfo(emulator)
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_cleanup(kube_api, CleanupRequest("podinfo-primary", NAMESPACE))
    assert "Deployment test/podinfo-primary is itself generated by progressive.canary (for canary podinfo" in str(error.value)
    assert writes(emulator) == []


def test_the_limits_exactly_still_work(emulator, kube_api):  # noqa: F811
    """A 55-character target (63-character -primary Service), a 55-character label value (63 with -primary), a
    63-character Service port name and a 15-character named target port: init succeeds and a re-run writes nothing."""
    emulator.load_manifests(yaml.safe_dump_all([obj for obj in _objects() if obj["metadata"]["name"] == LONG_TARGET]),
                            namespace=NAMESPACE)
    service = {"port": 9898, "target_port": "a" * 15, "port_name": "p" * 63, "hosts": ["app.example.com", "*.apps.example.com"],
               "gateways": ["istio-system/public"], "timeout": "1m30s",
               "retries": {"attempts": 2, "perTryTimeout": "1.5s", "retryOn": "503,reset"},
               "traffic_policy": {"loadBalancer": {"simple": "LEAST_REQUEST"}}}
    result = run_init(kube_api, InitRequest(LONG_TARGET, NAMESPACE, service, ready_timeout=60))
    assert result["phase"] == "Initialized"
    primary_service = kube_api.get("v1", "Service", NAMESPACE, LONG_TARGET + "-primary")
    assert len(primary_service["metadata"]["name"]) == 63
    assert primary_service["spec"]["selector"] == {"app": LABEL_55 + "-primary"}
    reset_request_log(emulator)
    assert run_init(kube_api, InitRequest(LONG_TARGET, NAMESPACE, service, ready_timeout=60))["changed"] is False
    assert writes(emulator) == []


def test_modules_fail_with_a_message_not_a_traceback(tmp_path, emulator, kubeconfig):
    """Through ansible-playbook: each bad input fails its task with the message, nothing is written."""
    load_podinfo(emulator)
    service = dict(PODINFO_SERVICE)
    tasks = [
        {"name": "init-empty-target", "progressive.canary.canary_init": {"target": "", "namespace": NAMESPACE, "service": service}},
        {"name": "init-bad-host", "progressive.canary.canary_init": {
            "target": "podinfo", "namespace": NAMESPACE, "service": dict(service, hosts=["not a host!!"])}},
        {"name": "init-lease-zero", "progressive.canary.canary_init": {
            "target": "podinfo", "namespace": NAMESPACE, "service": service, "lease_seconds": 0}},
        {"name": "shift-weight", "progressive.canary.canary_shift": {"target": "podinfo", "namespace": NAMESPACE, "weight": 120}},
        {"name": "cleanup-empty-target", "progressive.canary.canary_cleanup": {"target": "", "namespace": NAMESPACE}},
        {"name": "info-empty-target", "progressive.canary.canary_info": {"target": "", "namespace": NAMESPACE}},
        {"name": "info-request-timeout", "progressive.canary.canary_info": {
            "target": "podinfo", "namespace": NAMESPACE, "request_timeout": -1}},
    ]
    for task in tasks:
        task["ignore_errors"] = True
    reset_request_log(emulator)
    _rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    expected = {
        "init-empty-target": "target must be the name of a Deployment, got an empty name",
        "init-bad-host": "service.hosts: 'not a host!!' is not a DNS name",
        "init-lease-zero": "lease_seconds must be a positive number of seconds, got 0",
        "shift-weight": "weight must be between 0 and 100, got 120",
        "cleanup-empty-target": "target must be the name of a Deployment, got an empty name",
        "info-empty-target": "target must be the name of a Deployment, got an empty name",
        "info-request-timeout": "request_timeout must be a positive number of seconds, got -1",
    }
    for name, text in expected.items():
        result = results[name]
        assert result.get("failed") and text in result["msg"], (name, result)
        assert "module_stderr" not in result and "Traceback" not in result["msg"], (name, result)
    assert writes(emulator) == []


def test_cleanup_refuses_a_recorded_apex_service_the_api_server_refuses(emulator, kube_api):  # noqa: F811
    """A state whose recorded apex Service is garbage (edited by hand, or written by a buggy release): cleanup's dry run
    finds it before the target is scaled back or anything is deleted, instead of failing half-way."""
    load_podinfo(emulator)
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    state = kube_api.get("v1", "ConfigMap", NAMESPACE, "podinfo-canary-state")
    data = json.loads(state["data"]["state.json"])
    data["originals"]["apex_service"]["spec"]["ports"][0]["name"] = "Bad_Name!"
    state["data"]["state.json"] = json.dumps(data)
    kube_api.replace(state)
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert ('the API server refuses Service test/podinfo (v1) in a server-side dry run of "restore Service test/podinfo as recorded", '
            "nothing was written: HTTP 422: " in str(error.value))
    assert "spec.ports[0].name" in str(error.value)
    assert writes(emulator) == []
