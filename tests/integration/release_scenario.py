"""Support for the release tests (canary_shift / canary_promote / canary_rollback / canary_info): the reference
scenario of canary_scenario after canary_init, and the release calls the tests make."""
from ansible_collections.progressive.canary.plugins.module_utils.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.shift import ShiftRun
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo
from tests.sandbox.fixtures_mesh import wait_ready

NEW_IMAGE = "stefanprodan/podinfo:3.1.1"
DEPLOYMENT = ("apps/v1", "Deployment")
VIRTUAL_SERVICE = ("networking.istio.io/v1", "VirtualService")


def init_podinfo(emulator, api, deployment_changes=None, with_hpa=True):
    """podinfo 2/2 under canary management (phase Initialized), as the seed after the Canary was created."""
    load_podinfo(emulator, with_hpa=with_hpa, deployment_changes=deployment_changes)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    result = run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo" if with_hpa else None, ready_timeout=60))
    assert result["phase"] == "Initialized", result
    return result


def get(api, kind_pair, name):
    return api.get(kind_pair[0], kind_pair[1], NAMESPACE, name)


def set_template(api, image=NEW_IMAGE, annotations=None):
    """What `kubectl set image` (plus, when given, a pod-template annotation change) does to the target."""
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "podinfod", "image": image}]}}}}
    if annotations:
        patch["spec"]["template"]["metadata"] = {"annotations": annotations}
    api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "podinfo", patch, "strategic")


def route(api):
    """[(destination host, weight)] of the managed route of the VirtualService podinfo."""
    return [(item["destination"]["host"], item["weight"]) for item in get(api, VIRTUAL_SERVICE, "podinfo")["spec"]["http"][0]["route"]]


def shift(api, weight, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, weight=weight, **options), ShiftRun, check_mode=check_mode)


def promote(api, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, **options), PromoteRun, check_mode=check_mode)


def rollback(api, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, **options), RollbackRun, check_mode=check_mode)
