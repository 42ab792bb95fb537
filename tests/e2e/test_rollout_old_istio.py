"""The role end to end on a cluster with an Istio older than 1.22 (networking.istio.io v1beta1 and v1alpha3, no v1):
a healthy release is analysed with live traffic and Prometheus, promoted, then cleaned up, every Istio object at
v1beta1."""
import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, needs_crds
from tests.sandbox.apiserver import Emulator

pytestmark = needs_crds
OLD_ISTIO = {"networking.istio.io": ["v1beta1", "v1alpha3"]}


@pytest.fixture
def emulator(sandbox_home):  # pylint: disable=unused-argument  # overrides the sandbox's: this test's cluster
    with Emulator(served_versions=OLD_ISTIO) as started:
        yield started


def _virtual_service(podinfo, version):
    return podinfo.emulator.request("GET", "/apis/networking.istio.io/%s/namespaces/%s/virtualservices/podinfo"
                                    % (version, podinfo.namespace))


def test_a_release_on_istio_before_1_22_is_promoted_and_cleaned_up(podinfo):
    podinfo.load()
    assert _virtual_service(podinfo, "v1")[0] == 404

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE)

    assert returncode == 0, output
    assert result["outcome"] == "promoted" and [step["weight"] for step in result["steps"]] == [30, 60], result
    status, virtual_service = _virtual_service(podinfo, "v1beta1")
    assert status == 200 and virtual_service["apiVersion"] == "networking.istio.io/v1beta1"
    assert {item["destination"]["host"]: item["weight"] for item in virtual_service["spec"]["http"][-1]["route"]} == {
        "podinfo-primary": 100, "podinfo-canary": 0}
    assert podinfo.image("podinfo-primary") == NEW_IMAGE
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0

    returncode, _result, _plays, output = podinfo.run("cleanup")
    assert returncode == 0, output
    assert _virtual_service(podinfo, "v1beta1")[0] == 404
    assert podinfo.get("Deployment", "podinfo-primary") is None
