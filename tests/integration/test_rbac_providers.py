"""docs/rbac/role.yml for the providers the role's e2e run does not use (tests/e2e/test_rbac.py runs Istio): a release
through the real modules (ansible-playbook: init, image, shift, rollback, a second release promoted, info, cleanup;
the second variant without the rollback) with provider gatewayapi (a generated HTTPRoute, then an adopted one) and openshift (an adopted Route, then one
created with service.expose), each request of the kubernetes client read from the emulator's request log. The Role
grants every one of them, and in the provider's API group nothing more."""
import pytest

from tests import rbac
from tests.integration.canary_scenario import NAMESPACE, load_podinfo, reset_request_log, run_playbook
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.test_openshift_route import user_route as openshift_user_route
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
PORT = {"port": 9898, "port_name": "http"}


def _gateway_user_route():
    """The user's own HTTPRoute for the apex Service (GAMMA), which init adopts."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "podinfo", "namespace": NAMESPACE},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "podinfo"}],
                     "rules": [{"backendRefs": [{"name": "podinfo", "port": 9898}]}]}}


# provider -> [(what, the user's route created beforehand or None, the service option)]
VARIANTS = {
    "gatewayapi": [("generated", None, PORT), ("adopted", _gateway_user_route(), PORT)],
    "openshift": [("adopted", openshift_user_route(), PORT), ("exposed", None, dict(PORT, expose=True))],
}
GROUPS = {"gatewayapi": ("gateway.networking.k8s.io",), "openshift": ("route.openshift.io",)}


def _life(provider, service, whole, image):
    """The tasks of a canary's life through the modules (load_podinfo's image is 3.1.2); ``whole``: with a release
    rolled back before the one promoted of ``image``."""
    common = {"target": "podinfo", "namespace": NAMESPACE, "provider": provider}
    release = dict(common, ready_timeout=60)
    rolled_back = [
        {"name": "bad image", "progressive.canary.canary_image": dict(common, image="stefanprodan/podinfo:3.1.1")},
        {"name": "shift", "progressive.canary.canary_shift": dict(release, weight=30)},
        {"name": "rollback", "progressive.canary.canary_rollback": release},
    ]
    return [{"name": "init", "progressive.canary.canary_init": dict(release, hpa="podinfo", service=service)}] + (
        rolled_back if whole else []) + [
        {"name": "good image", "progressive.canary.canary_image": dict(common, image=image)},
        {"name": "shift again", "progressive.canary.canary_shift": dict(release, weight=30)},
        {"name": "promote", "progressive.canary.canary_promote": release},
        {"name": "info", "progressive.canary.canary_info": common},
        {"name": "cleanup", "progressive.canary.canary_cleanup": release},
    ]


@pytest.mark.parametrize("provider", sorted(VARIANTS))
def test_the_role_grants_what_each_provider_uses_and_nothing_more(emulator, kube_api, kubeconfig, tmp_path, provider):  # noqa: F811
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    records = []
    for index, (what, user_route, service) in enumerate(VARIANTS[provider]):
        if user_route:
            kube_api.create(user_route)
        reset_request_log(emulator)
        run_dir = tmp_path / what
        run_dir.mkdir()
        returncode, results = run_playbook(run_dir, _life(provider, service, whole=index == 0, image="stefanprodan/podinfo:3.2.%d" % index), kubeconfig)
        assert returncode == 0, [(name, result.get("msg")) for name, result in results.items() if result.get("failed")]
        assert results["promote"]["changed"] and results["cleanup"]["changed"], results
        records.extend(emulator.request_log.records())
        if user_route:
            kube_api.delete(user_route["apiVersion"], user_route["kind"], NAMESPACE, user_route["metadata"]["name"])

    assert rbac.missing_from_manifest(records) == [], "docs/rbac/role.yml lacks what the modules used"
    needed, _cluster_scoped = rbac.used(records)
    assert rbac.unused_in_groups(needed, GROUPS[provider]) == [], "docs/rbac/role.yml grants what no run uses"
