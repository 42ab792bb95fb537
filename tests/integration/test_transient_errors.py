"""Transient API errors (5xx, 429, dropped connections, answers lost after the write) are retried as the same
request: every run then ends in the same cluster state as a run without faults. A write whose first try did reach
the server is recognised on the retry (409/422) and counted as done; a fault that outlasts the retries fails with a
message naming the object, the cause and how often it was tried."""
import json

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import record_in_state, run_checks
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, connect
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import MAX_ATTEMPTS
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState, StateStore
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, user_view
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.integration.release_scenario import set_template, shift
from tests.integration.test_init_refusals import FLAGGER_CANARY_CRD
from tests.sandbox.apiserver import Emulator
from tests.sandbox.apiserver.crds import load_crds
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds

COLLECTIONS = [("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
               ("networking.istio.io/v1", "DestinationRule"), ("networking.istio.io/v1", "VirtualService")]
# Written by the server or the clock, never by a run's decisions.
VOLATILE_STATE = ("last_transition_time", "lease")
VOLATILE_ANNOTATIONS = ("deployment.kubernetes.io/revision",)

# (phase the faults hit, fault): every one applies once.
TRANSIENT = {
    "init: 503 reading the target": ("init", dict(verb="GET", path_regex=r"/deployments/podinfo$", status=503)),
    "init: 429 reading the state": ("init", dict(verb="GET", path_regex=r"/configmaps/podinfo-canary-state$", status=429)),
    "init: dropped read of the apex Service": ("init", dict(verb="GET", path_regex=r"/services/podinfo$", drop=True)),
    "init: 503 on Istio discovery": ("init", dict(verb="GET", path_regex=r"^/apis/networking.istio.io/v1$", status=503)),
    "init: dropped Istio discovery": ("init", dict(verb="GET", path_regex=r"^/apis/networking.istio.io/v1$", drop=True)),
    # kubernetes.core's client re-reads /apis on a kind it misses, the light client reads the one group-version.
    "init: 503 on the Flagger CRD lookup": ("init", dict(verb="GET", path_regex=r"^/apis(/flagger\.app/v1beta1)?$", status=503)),
    "init: 502 creating a Service": ("init", dict(verb="POST", path_regex=r"/services$", status=502)),
    "init: dropped create of the primary": ("init", dict(verb="POST", path_regex=r"/deployments$", drop=True)),
    "init: lost answer of a created DestinationRule": ("init", dict(verb="POST", path_regex=r"/destinationrules$", drop_answer=True)),
    "init: lost answer of the state's create": ("init", dict(verb="POST", path_regex=r"/configmaps$", drop_answer=True)),
    "init: lost answer of a state PUT": ("init", dict(verb="PUT", path_regex=r"/configmaps/podinfo-canary-state$",
                                                      drop_answer=True)),
    "init: lost answer of the apex re-point (JSON patch with test)": (
        "init", dict(verb="PATCH", path_regex=r"/services/podinfo$", drop_answer=True)),
    "init: 504 scaling the target (merge patch)": ("init", dict(verb="PATCH", path_regex=r"/deployments/podinfo$", status=504)),
    "shift: 500 on the route": ("shift", dict(verb="PATCH", path_regex=r"/virtualservices/podinfo$", status=500)),
    "shift: lost answer of the route (JSON patch with test)": (
        "shift", dict(verb="PATCH", path_regex=r"/virtualservices/podinfo$", drop_answer=True)),
    "shift: lost answer of the target's scale-up": ("shift", dict(verb="PATCH", path_regex=r"/deployments/podinfo$", drop_answer=True)),
    "cleanup: 503 deleting a Service": ("cleanup", dict(verb="DELETE", path_regex=r"/services/podinfo-canary$", status=503)),
    "cleanup: lost answer of a delete": ("cleanup", dict(verb="DELETE", path_regex=r"/deployments/podinfo-primary$",
                                                         drop_answer=True)),
    "cleanup: dropped restore of the target": ("cleanup", dict(verb="PATCH", path_regex=r"/deployments/podinfo$", drop=True)),
    "cleanup: lost answer of the VirtualService delete": (
        "cleanup", dict(verb="DELETE", path_regex=r"/virtualservices/podinfo$", drop_answer=True)),
}

# Stale writes (another writer moved the object between our read and our write): init and cleanup read and plan
# again, as the release modules do.
STALE = {
    "init: 409 creating a Service": ("init", dict(verb="POST", path_regex=r"/services$", status=409)),
    "init: 422 (failed test) on the apex re-point": ("init", dict(verb="PATCH", path_regex=r"/services/podinfo$", status=422)),
    "cleanup: 409 restoring the apex Service": ("cleanup", dict(verb="PUT", path_regex=r"/services/podinfo$", status=409)),
    "cleanup: 422 on the target's restore": ("cleanup", dict(verb="PATCH", path_regex=r"/deployments/podinfo$", status=422)),
}


def _api(emulator, home):
    return connect({"kubeconfig": emulator.write_kubeconfig(home / ("kubeconfig-%d" % emulator.port))}, request_timeout=10)


def _prepare(emulator, api, phase):
    """The canary just before ``phase``."""
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    if phase == "init":
        return
    run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    if phase == "shift":
        set_template(api)


def _run(api, phase):
    if phase == "init":
        return run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    if phase == "shift":
        return shift(api, 20, ready_timeout=60)
    return run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))


def _snapshot(emulator):
    """Every object of the namespace as a user would see it, the state without its clock."""
    objects = {}
    for api_version, kind in COLLECTIONS:
        status, listed = emulator.request("GET", emulator.collection_path(api_version, kind, NAMESPACE))
        assert status == 200, listed
        for item in listed["items"]:
            view = user_view(item)
            annotations = view["metadata"].get("annotations") or {}
            for key in VOLATILE_ANNOTATIONS:
                annotations.pop(key, None)
            view["metadata"].pop("annotations", None) if not annotations else None
            view.get("spec", {}).pop("clusterIP", None)
            view.get("spec", {}).pop("clusterIPs", None)
            if kind == "ConfigMap" and "state.json" in (view.get("data") or {}):
                state = json.loads(view["data"]["state.json"])
                for key in VOLATILE_STATE:
                    state.pop(key, None)
                view["data"]["state.json"] = state
            objects["%s %s" % (kind, item["metadata"]["name"])] = view
    return objects


_BASELINES = {}


def _baseline(phase, home):
    """The end state of ``phase`` without any fault (computed once per phase)."""
    if phase not in _BASELINES:
        with Emulator() as clean:
            api = _api(clean, home)
            _prepare(clean, api, phase)
            _run(api, phase)
            _BASELINES[phase] = _snapshot(clean)
    return _BASELINES[phase]


@pytest.mark.parametrize("case", sorted(TRANSIENT) + sorted(STALE))
def test_a_transient_error_or_stale_write_changes_nothing_in_the_end_state(emulator, sandbox_home, case):
    phase, fault_spec = TRANSIENT.get(case) or STALE[case]
    api = _api(emulator, sandbox_home)
    _prepare(emulator, api, phase)
    fault = emulator.faults.add(times=1, **fault_spec)
    _run(api, phase)
    assert fault.matched == 1, "the fault never hit: %s" % case
    emulator.faults.clear()
    assert _snapshot(emulator) == _baseline(phase, sandbox_home)


def test_a_created_object_that_is_not_ours_after_a_lost_answer_is_a_clear_conflict(emulator, sandbox_home):
    """Our create did not get through, the retry finds the name taken by someone else's object: not accepted."""
    api = _api(emulator, sandbox_home)
    _prepare(emulator, api, "init")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": NAMESPACE}, "data": {"a": "1"}}
    emulator.load_manifests(yaml.safe_dump(dict(body, data={"a": "someone else's"})), namespace=NAMESPACE)
    emulator.faults.add(verb="POST", path_regex=r"/configmaps$", drop=True, times=1)
    with pytest.raises(CanaryApiError) as error:
        api.create(body)
    message = str(error.value)
    assert message.startswith("creating ConfigMap test/settings (v1) failed: it already exists and is not what we sent")
    assert "retried after a transient error" in message


def test_the_flagger_canary_list_is_retried(sandbox_home):
    with Emulator(crds=list(load_crds()) + [FLAGGER_CANARY_CRD]) as cluster:
        api = _api(cluster, sandbox_home)
        _prepare(cluster, api, "init")
        fault = cluster.faults.add(verb="GET", path_regex=r"/apis/flagger.app/v1beta1/namespaces/test/canaries$", status=503, times=1)
        result = _run(api, "init")
        assert fault.matched == 1 and result["phase"] == "Initialized"


PERSISTENT = {
    "reading": (dict(verb="GET", path_regex=r"/deployments/podinfo$", status=503),
                "reading Deployment test/podinfo (apps/v1) failed: HTTP 503: the server is currently unable to handle the request"),
    "creating": (dict(verb="POST", path_regex=r"/services$", drop=True),
                 "creating Service test/podinfo-primary (v1) failed: cannot reach the API server"),
    "patching": (dict(verb="PATCH", path_regex=r"/services/podinfo$", status=429),
                 "patching Service test/podinfo (v1) failed: HTTP 429: the server has received too many requests"),
    "discovery": (dict(verb="GET", path_regex=r"^/apis/networking.istio.io/v1$", status=503),
                  "looking up DestinationRule (networking.istio.io/v1) failed: the API server's discovery did not answer"),
}


@pytest.mark.parametrize("case", sorted(PERSISTENT))
def test_a_fault_that_outlasts_the_retries_names_object_cause_and_attempts(emulator, sandbox_home, case):
    fault_spec, expected = PERSISTENT[case]
    api = _api(emulator, sandbox_home)
    _prepare(emulator, api, "init")
    fault = emulator.faults.add(**fault_spec)
    with pytest.raises(CanaryApiError) as error:
        _run(api, "init")
    message = str(error.value)
    assert message.startswith(expected), message
    assert "(tried %d times: transient errors are retried %d times)" % (MAX_ATTEMPTS, MAX_ATTEMPTS - 1) in message
    assert fault.matched >= MAX_ATTEMPTS


def test_a_failed_check_whose_state_write_lost_its_answer_is_counted_once(emulator, sandbox_home):
    """The PUT recording a failed check happened but its answer was lost: the retry meets 409, and re-applying the
    mutation would count the check twice. The live state holds exactly what was sent: the write counts as done."""
    api = _api(emulator, sandbox_home)
    emulator.ensure_namespace(NAMESPACE)
    store = StateStore(api, CanaryNames("podinfo", NAMESPACE))
    store.create(CanaryState({"phase": "Progressing"}))
    state_put = r"/configmaps/podinfo-canary-state$"
    emulator.faults.add(verb="PUT", path_regex=state_put, latency=0.001, times=1)    # the lease's PUT goes through
    lost = emulator.faults.add(verb="PUT", path_regex=state_put, drop_answer=True, times=1)
    with LoopbackServer(lambda request: Reply(200, {"score": 0.5})) as endpoint:
        check = {"name": "score", "web": {"url": endpoint.url, "value_path": "score"}, "threshold_range": {"min": 0.9}}
        failed = run_checks(None, [check], {"namespace": NAMESPACE, "target": "podinfo"})
    assert record_in_state(store, failed, lease_holder="test-run")["failed_checks"] == 1
    assert lost.matched == 1
    assert store.read()["failed_checks"] == 1 and store.read().get("lease") is None


def test_a_re_planned_cleanup_reports_what_every_plan_restored_and_removed(emulator, sandbox_home):
    api = _api(emulator, sandbox_home)
    _prepare(emulator, api, "cleanup")
    fault = emulator.faults.add(verb="PUT", path_regex=r"/services/podinfo$", status=409, times=1)   # after the target's restore
    result = _run(api, "cleanup")
    assert fault.matched == 1
    assert result["restored"] == ["Deployment test/podinfo", "Service test/podinfo"], result
    assert "Deployment test/podinfo-primary" in result["removed"] and "Service test/podinfo-canary" in result["removed"], result
    assert result["actions"][0].startswith("restore Deployment test/podinfo:"), result
