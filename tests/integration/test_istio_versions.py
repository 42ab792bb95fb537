"""Istio before 1.22 and OpenShift Service Mesh 2.x serve networking.istio.io/v1beta1 (and v1alpha3), not v1: the
canary's DestinationRules and VirtualService are read and written at the newest version the cluster serves, through
a whole lifecycle (init, shift, promote, cleanup), and the user's VirtualService is adopted and restored there."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import VIRTUAL_SERVICE
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, user_view
from tests.integration.release_scenario import NEW_IMAGE, promote, set_template, shift
from tests.sandbox.apiserver import Emulator
from tests.sandbox.apiserver.crds import crd_files
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.skipif(not crd_files(), reason="../shared/crds is absent (set SHARED_DIR)")
ISTIO = "/apis/networking.istio.io/%s/namespaces/" + NAMESPACE + "/%s"


@pytest.fixture(params=[["v1beta1"], ["v1beta1", "v1alpha3"], ["v1alpha3"]], ids=["v1beta1", "v1beta1+v1alpha3", "v1alpha3"])
def old_istio(request, sandbox_home):
    with Emulator(served_versions={"networking.istio.io": request.param}) as cluster:
        cluster.served = request.param
        cluster.api = connect({"kubeconfig": cluster.write_kubeconfig(sandbox_home / "kubeconfig")}, request_timeout=10)
        yield cluster


def _get(cluster, version, plural, name):
    return cluster.request("GET", ISTIO % (version, plural) + "/" + name)


def test_the_emulator_serves_only_the_versions_asked(old_istio):
    assert _get(old_istio, "v1", "virtualservices", "any")[0] == 404
    status, discovery = old_istio.request("GET", "/apis/networking.istio.io")
    assert [item["version"] for item in discovery["versions"]] == old_istio.served
    body = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "vs"}, "spec": {"hosts": ["a"]}}
    old_istio.ensure_namespace(NAMESPACE)
    status, answer = old_istio.request("POST", ISTIO % (old_istio.served[0], "virtualservices"), body)
    assert status == 400 and "does not match the expected API version" in answer["message"], answer


def test_a_whole_lifecycle_at_the_newest_served_version(old_istio):
    api, version = old_istio.api, old_istio.served[0]
    load_podinfo(old_istio)
    wait_ready(old_istio.url, NAMESPACE, "podinfo", replicas=2)
    service_before = user_view(old_istio.request("GET", "/api/v1/namespaces/%s/services/podinfo" % NAMESPACE)[1])

    result = run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))
    assert result["phase"] == "Initialized", result
    for plural, name in (("virtualservices", "podinfo"), ("destinationrules", "podinfo-primary"), ("destinationrules", "podinfo-canary")):
        status, obj = _get(old_istio, version, plural, name)
        assert status == 200 and obj["apiVersion"] == "networking.istio.io/" + version, obj
    assert api.served_api_version(*VIRTUAL_SERVICE) == "networking.istio.io/" + version
    assert not run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60))["changed"]

    set_template(api)
    assert shift(api, 20, ready_timeout=60)["weight"] == 20
    route = _get(old_istio, version, "virtualservices", "podinfo")[1]["spec"]["http"][0]["route"]
    assert [(item["destination"]["host"], item["weight"]) for item in route] == [("podinfo-primary", 80), ("podinfo-canary", 20)]
    assert promote(api, ready_timeout=60)["phase"] == "Succeeded"
    primary = old_istio.request("GET", "/apis/apps/v1/namespaces/%s/deployments/podinfo-primary" % NAMESPACE)[1]
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE

    result = run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert result["changed"], result
    for plural, name in (("virtualservices", "podinfo"), ("destinationrules", "podinfo-primary")):
        assert _get(old_istio, version, plural, name)[0] == 404
    assert user_view(old_istio.request("GET", "/api/v1/namespaces/%s/services/podinfo" % NAMESPACE)[1]) == service_before


def test_a_users_virtual_service_is_adopted_and_restored_at_the_served_version(old_istio):
    api, version = old_istio.api, old_istio.served[0]
    load_podinfo(old_istio)
    wait_ready(old_istio.url, NAMESPACE, "podinfo", replicas=2)
    spec = {"hosts": ["podinfo"], "http": [{"route": [{"destination": {"host": "podinfo"}}], "timeout": "5s"}]}
    status, created = old_istio.request("POST", ISTIO % (version, "virtualservices"), {
        "apiVersion": "networking.istio.io/" + version, "kind": "VirtualService", "metadata": {"name": "podinfo"}, "spec": spec})
    assert status == 201, created

    run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
    adopted = _get(old_istio, version, "virtualservices", "podinfo")[1]["spec"]["http"][0]
    assert [item["destination"]["host"] for item in adopted["route"]] == ["podinfo-primary", "podinfo-canary"]

    run_cleanup(api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert _get(old_istio, version, "virtualservices", "podinfo")[1]["spec"] == spec
