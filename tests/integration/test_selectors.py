"""Generated Services select exactly the pods they mean. A Deployment selected by two labels (name web, instance
prod) beside two other instances of the same app: ``staging``, not a canary, and ``qa``, a canary of its own. No
request to the prod apex host may reach them at any phase (init, every step, promote, rollback, cleanup): the
``-canary`` Service selects the target's whole selector, the ``-primary`` and apex Services the primary's."""
import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, SERVICE
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from tests.integration.canary_scenario import NAMESPACE
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
SERVICE_OPTIONS = {"port": 9898}
APEX_HOST = "web-prod." + NAMESPACE


def _instance(instance, replicas):
    labels = {NAME: "web", INSTANCE: instance}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web-" + instance, "labels": dict(labels)},
                  "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                           "template": {"metadata": {"labels": dict(labels)},
                                        "spec": {"containers": [{"name": "web", "image": "stefanprodan/podinfo:3.1.0",
                                                                 "ports": [{"name": "http", "containerPort": 9898}]}]}}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-" + instance, "labels": dict(labels)},
               "spec": {"selector": dict(labels), "ports": [{"name": "http", "port": 9898, "targetPort": 9898}]}}
    return [deployment, service]


def _request(target, **extra):
    return ReleaseRequest(target, NAMESPACE, ready_timeout=60, **extra)


def _set_image(api, image):
    api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "web-prod",
              {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}, "strategic")


def _assert_only_prod(mesh, phase):
    mesh.send(APEX_HOST, 200)
    counts = mesh.counts(APEX_HOST)
    assert set(counts["by_workload"]) <= {"web-prod", "web-prod-primary"}, (phase, counts)
    assert counts["failed"] == 0, (phase, counts)
    return counts


def test_no_request_of_the_apex_host_reaches_another_instance(emulator, kube_api, mesh):  # noqa: F811  pylint: disable=redefined-outer-name
    emulator.load_manifests(yaml.safe_dump_all(_instance("prod", 2) + _instance("staging", 2) + _instance("qa", 1)), namespace=NAMESPACE)
    for instance, replicas in (("prod", 2), ("staging", 2), ("qa", 1)):
        wait_ready(emulator.url, NAMESPACE, "web-" + instance, replicas=replicas)
    run_init(kube_api, InitRequest("web-qa", NAMESPACE, SERVICE_OPTIONS, selector_labels=[NAME], ready_timeout=60))
    mesh.reset(APEX_HOST)

    run_init(kube_api, InitRequest("web-prod", NAMESPACE, SERVICE_OPTIONS, selector_labels=[NAME], ready_timeout=60))
    primary_selector = {NAME: "web-primary", INSTANCE: "prod"}
    for name, selector in (("web-prod", primary_selector), ("web-prod-primary", primary_selector),
                           ("web-prod-canary", {NAME: "web", INSTANCE: "prod"})):
        assert kube_api.get(SERVICE[0], SERVICE[1], NAMESPACE, name)["spec"]["selector"] == selector, name
    _assert_only_prod(mesh, "init")

    _set_image(kube_api, "stefanprodan/podinfo:3.1.1")
    for weight in (20, 40, 60):
        execute(kube_api, _request("web-prod", weight=weight), ShiftRun)
        counts = _assert_only_prod(mesh, "step %d" % weight)
    assert counts["by_workload"].get("web-prod", 0) > 0, "the canary got its share"
    execute(kube_api, _request("web-prod"), PromoteRun)
    _assert_only_prod(mesh, "promote")

    _set_image(kube_api, "stefanprodan/podinfo:3.1.2")
    execute(kube_api, _request("web-prod", weight=50), ShiftRun)
    _assert_only_prod(mesh, "step 50 of the second release")
    execute(kube_api, _request("web-prod", reason="test"), RollbackRun)
    _assert_only_prod(mesh, "rollback")

    run_cleanup(kube_api, CleanupRequest("web-prod", NAMESPACE, selector_labels=[NAME], ready_timeout=60))
    assert kube_api.get(SERVICE[0], SERVICE[1], NAMESPACE, "web-prod")["spec"]["selector"] == {NAME: "web", INSTANCE: "prod"}
    _assert_only_prod(mesh, "cleanup")


def test_a_canary_initialized_by_an_earlier_release_gets_whole_selectors_before_traffic_moves(emulator, kube_api, mesh):  # noqa: F811  pylint: disable=redefined-outer-name
    emulator.load_manifests(yaml.safe_dump_all(_instance("prod", 2) + _instance("staging", 2) + _instance("qa", 1)), namespace=NAMESPACE)
    for instance, replicas in (("prod", 2), ("staging", 2), ("qa", 1)):
        wait_ready(emulator.url, NAMESPACE, "web-" + instance, replicas=replicas)
    for target in ("web-qa", "web-prod"):
        run_init(kube_api, InitRequest(target, NAMESPACE, SERVICE_OPTIONS, selector_labels=[NAME], ready_timeout=60))
    # What the previous release left: the generated Services and the apex on the selector label alone.
    for name, value in (("web-prod", "web-primary"), ("web-prod-primary", "web-primary"), ("web-prod-canary", "web")):
        kube_api.patch(SERVICE[0], SERVICE[1], NAMESPACE, name, [{"op": "replace", "path": "/spec/selector", "value": {NAME: value}}], "json")
    _set_image(kube_api, "stefanprodan/podinfo:3.1.1")
    mesh.reset(APEX_HOST)

    result = execute(kube_api, _request("web-prod", weight=50), ShiftRun)

    assert [action for action in result["actions"] if action.startswith("select ")] == [
        "select Service test/web-prod-canary with the whole selector %s=prod,%s=web" % (INSTANCE, NAME),
        "select Service test/web-prod-primary with the whole selector %s=prod,%s=web-primary" % (INSTANCE, NAME),
        "select Service test/web-prod with the whole selector %s=prod,%s=web-primary" % (INSTANCE, NAME)]
    counts = _assert_only_prod(mesh, "step 50 after the upgrade")
    assert counts["by_workload"].get("web-prod", 0) > 0
    assert execute(kube_api, _request("web-prod", weight=50), ShiftRun)["changed"] is False
