"""canary_cleanup from the states a real run can leave behind: an init killed at several points (the
process really killed, its lease left behind), a failed rollout, a primary deleted by hand."""
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import set_weights
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryLeaseHeld, Lease, StateStore
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, REPO, load_podinfo, reset_request_log, user_view
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
APEX_HOST = "podinfo.test"
NAMES = CanaryNames("podinfo", NAMESPACE)
KINDS = {"deployment": ("apps/v1", "Deployment"), "service": ("v1", "Service"), "hpa": ("autoscaling/v2", "HorizontalPodAutoscaler")}
GENERATED = [(("apps/v1", "Deployment"), "podinfo-primary"), (("v1", "Service"), "podinfo-primary"), (("v1", "Service"), "podinfo-canary"),
             (("networking.istio.io/v1", "DestinationRule"), "podinfo-primary"), (("networking.istio.io/v1", "DestinationRule"), "podinfo-canary"),
             (("networking.istio.io/v1", "VirtualService"), "podinfo"), (("autoscaling/v2", "HorizontalPodAutoscaler"), "podinfo-primary"),
             (("v1", "ConfigMap"), "podinfo-canary-state")]
# A process running canary_init with a 2 s lease, as a playbook would (same code path, its own process).
INIT_PROCESS = """
import sys
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
service = {"port": 9898, "hosts": ["app.example.com"]}
run_init(connect({"kubeconfig": sys.argv[1]}), InitRequest("podinfo", "test", service, hpa="podinfo", ready_timeout=60,
                                                        lease_holder="killed-init", lease_seconds=2))
"""


def _snapshot(api):
    return dict((kind, user_view(api.get(pair[0], pair[1], NAMESPACE, "podinfo"))) for kind, pair in KINDS.items())


def _assert_reverted(api, before):
    assert _snapshot(api) == before
    for pair, name in GENERATED:
        assert api.get(pair[0], pair[1], NAMESPACE, name) is None, "%s %s left behind" % (pair[1], name)


@pytest.fixture
def podinfo(emulator, kube_api):  # noqa: F811  pylint: disable=redefined-outer-name
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    return _snapshot(kube_api)


def _kill_init_at(emulator, kubeconfig, verb, path_regex):
    """Start init in its own process, hold it on the request ``verb path_regex`` and SIGKILL it there."""
    # The held request is answered 503 after the kill, so it never takes effect: the kill happened before it.
    fault = emulator.faults.add(verb=verb, path_regex=path_regex, latency=20, status=503, times=1)
    env = dict(os.environ, PYTHONPATH="%s:%s" % (REPO, REPO / ".collections"))
    process = subprocess.Popen([sys.executable, "-c", INIT_PROCESS, kubeconfig], env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    while fault.matched == 0:
        if process.poll() is not None:
            pytest.fail("init ended before reaching %s %s: %s" % (verb, path_regex, process.stdout.read().decode()))
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    emulator.faults.clear()


@pytest.mark.parametrize("verb, path_regex", [
    ("POST", "/deployments$"),                       # after the originals were recorded and the Services created
    ("POST", "/horizontalpodautoscalers$"),          # primary ready, apex not yet re-pointed
    ("POST", "/virtualservices$"),                   # apex already re-pointed at the primary
    ("PATCH", "/deployments/podinfo$"),              # everything made, target about to be scaled to 0
    ("PUT", "/configmaps/podinfo-canary-state$"),    # lease taken (state created), originals not yet recorded
])
def test_cleanup_after_init_killed(emulator, kubeconfig, kube_api, podinfo, mesh, verb, path_regex):  # noqa: F811  pylint: disable=redefined-outer-name,too-many-arguments
    mesh.add_target(APEX_HOST)
    _kill_init_at(emulator, kubeconfig, verb, path_regex)
    state = StateStore(kube_api, NAMES).read()
    assert state["lease"]["holder"] == "killed-init", "the killed run left its lease"
    try:
        run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
        taken_over_at_once = True
    except CanaryLeaseHeld as error:
        assert "killed-init" in str(error)
        taken_over_at_once = False
    if not taken_over_at_once:
        while StateStore(kube_api, NAMES).read()["lease"]["expires"] >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()):
            time.sleep(0.2)
        result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
        assert result["changed"] and result["removed"][-1] == "ConfigMap test/podinfo-canary-state"
    _assert_reverted(kube_api, podinfo)
    mesh.send(APEX_HOST, 20)
    counts = mesh.counts(APEX_HOST)
    assert counts["failed"] == 0, counts


def test_cleanup_after_a_failed_rollout_gives_back_the_promoted_template(emulator, kube_api, podinfo, mesh):  # noqa: F811  pylint: disable=redefined-outer-name
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    mesh.add_target(APEX_HOST)
    # What a failed rollout can leave: the target scaled up with a new template that never becomes ready,
    # traffic routed back 100/0, phase Failed.
    bad_template = {"metadata": {"annotations": {"sandbox.progressive.canary/behaviour": "never-ready"}},
                    "spec": {"containers": [{"name": "podinfod", "image": "ghcr.io/stefanprodan/podinfo:6.0.1"}]}}
    bad = {"spec": {"replicas": 2, "template": bad_template}}
    kube_api.patch("apps/v1", "Deployment", NAMESPACE, "podinfo", bad, "strategic")
    with Lease(StateStore(kube_api, NAMES), holder="rollout") as lease:
        lease.update(lambda state: state.set_phase("Failed"))
    virtual_service = kube_api.get("networking.istio.io/v1", "VirtualService", NAMESPACE, "podinfo")
    kube_api.patch("networking.istio.io/v1", "VirtualService", NAMESPACE, "podinfo", {"spec": set_weights(virtual_service["spec"], NAMES, 100, 0)})

    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert result["restored"][0] == "Deployment test/podinfo"
    _assert_reverted(kube_api, podinfo)
    target = kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert target["status"]["readyReplicas"] == 2
    counts = mesh.counts(APEX_HOST)
    assert counts["total"] > 0 and counts["failed"] == 0, counts


def test_cleanup_after_the_primary_was_deleted_by_hand(emulator, kube_api, podinfo):  # noqa: F811  pylint: disable=redefined-outer-name,unused-argument
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    kube_api.delete("apps/v1", "Deployment", NAMESPACE, "podinfo-primary")
    kube_api.delete("networking.istio.io/v1", "DestinationRule", NAMESPACE, "podinfo-canary")
    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert "Deployment test/podinfo-primary" not in result["removed"] and "Service test/podinfo-primary" in result["removed"]
    _assert_reverted(kube_api, podinfo)
    assert kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo")["status"]["readyReplicas"] == 2


def test_cleanup_refuses_when_the_target_was_deleted_by_hand(emulator, kube_api, podinfo):  # noqa: F811  pylint: disable=redefined-outer-name,unused-argument
    # Restoring the apex selector would then select nothing and deleting the primary would end all service.
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    kube_api.delete("apps/v1", "Deployment", NAMESPACE, "podinfo")
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert "Deployment test/podinfo is missing" in str(error.value)
    assert emulator.request_log.writes() == []
    assert kube_api.get("v1", "Service", NAMESPACE, "podinfo")["spec"]["selector"] == {"app": "podinfo-primary"}
    assert kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo-primary") is not None


def test_cleanup_refuses_while_another_run_holds_the_lease(emulator, kube_api, podinfo):  # noqa: F811  pylint: disable=redefined-outer-name,unused-argument
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    with Lease(StateStore(kube_api, NAMES), holder="awx-job-7", duration=60):
        with pytest.raises(CanaryLeaseHeld) as error:
            run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert "awx-job-7" in str(error.value)
    assert kube_api.get("apps/v1", "Deployment", NAMESPACE, "podinfo-primary") is not None


def test_cleanup_after_the_state_was_deleted_by_hand(emulator, kube_api, podinfo, mesh):  # noqa: F811  pylint: disable=redefined-outer-name,unused-argument
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    mesh.add_target(APEX_HOST)
    kube_api.delete("v1", "ConfigMap", NAMESPACE, "podinfo-canary-state")
    # Traffic flows before the cleanup starts, so that "no failed request" counts requests, even on a loaded machine.
    wait_for(lambda: mesh.counts(APEX_HOST)["total"] >= 20, what="traffic to the apex host")
    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    # Without the record the apex selector is pointed back at the target (its other fields were never changed).
    assert result["restored"] == ["Deployment test/podinfo", "Service test/podinfo"]
    _assert_reverted(kube_api, podinfo)
    counts = mesh.counts(APEX_HOST)
    assert counts["total"] > 0 and counts["failed"] == 0, counts


def test_cleanup_warns_about_a_config_changed_in_place_and_never_promoted(emulator, kube_api):  # noqa: F811
    emulator.load_manifests(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "podinfo-config"},
                                            "data": {"color": "blue"}}), namespace=NAMESPACE)
    load_podinfo(emulator, deployment_changes={"spec.template.spec.volumes": [{"name": "config", "configMap": {"name": "podinfo-config"}}]})
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    assert run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE), check_mode=True).get("warnings") is None, "no drift yet"
    # A config rollout that failed: the user changed the original in place; the promoted copy keeps "blue".
    kube_api.patch("v1", "ConfigMap", NAMESPACE, "podinfo-config", {"data": {"color": "red"}})
    result = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert result["warnings"] == ["ConfigMap test/podinfo-config holds data that was never promoted (its promoted copy podinfo-config-primary "
                                  "differs): the restored target test/podinfo uses it from now on; revert it if that data is what failed"]
    assert kube_api.get("v1", "ConfigMap", NAMESPACE, "podinfo-config")["data"] == {"color": "red"}, "the user's object is not overwritten"
    assert kube_api.get("v1", "ConfigMap", NAMESPACE, "podinfo-config-primary") is None
