"""A VirtualService init did not make and may not take: one of another name that routes the canary's host (any of its
forms, or a configured host), and one named like ours created after init recorded the originals (between a killed
init and its re-run). Both are refused before the first write, naming the object and saying how to go on."""
import copy

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, reset_request_log
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
VS = ("networking.istio.io/v1", "VirtualService")
ROUTES = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "podinfo-routes", "namespace": NAMESPACE},
          "spec": {"hosts": ["podinfo"], "http": [{"route": [{"destination": {"host": "podinfo"}}]}]}}


def _init(api):
    return run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))


def _load(emulator, *objects):
    load_podinfo(emulator, with_hpa=False)
    if objects:
        emulator.load_manifests(yaml.safe_dump_all(list(objects)), namespace=NAMESPACE)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)


def _routes(hosts, gateways=None):
    routes = copy.deepcopy(ROUTES)
    routes["spec"]["hosts"] = hosts
    if gateways is not None:
        routes["spec"]["gateways"] = gateways
    return routes


@pytest.mark.parametrize("hosts, shared", [
    (["podinfo"], "podinfo.test.svc.cluster.local"),
    (["podinfo.test"], "podinfo.test.svc.cluster.local"),
    (["podinfo.test.svc"], "podinfo.test.svc.cluster.local"),
    (["other", "podinfo.test.svc.cluster.local"], "podinfo.test.svc.cluster.local"),
    (["app.example.com"], "app.example.com"),             # a configured host
    (["*.example.com"], "app.example.com"),
])
def test_a_virtual_service_of_another_name_for_the_same_host_is_refused(emulator, kube_api, hosts, shared):  # noqa: F811
    _load(emulator, _routes(hosts))
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        _init(kube_api)
    message = str(error.value)
    assert message.startswith("VirtualService test/podinfo-routes already routes %s, which the canary's VirtualService podinfo "
                              "would route too" % shared), message
    assert "Nothing was changed. Either rename it to podinfo (canary_init then adopts it" in message
    assert emulator.request_log.writes() == []
    assert kube_api.get(*VS, NAMESPACE, "podinfo") is None


def test_virtual_services_for_other_hosts_or_other_gateways_are_no_conflict(emulator, kube_api):  # noqa: F811
    _load(emulator, _routes(["admin", "podinfo.other"]),
          dict(_routes(["app.example.com"], gateways=["istio-system/public"]), metadata={"name": "public", "namespace": NAMESPACE}))
    assert _init(kube_api)["phase"] == "Initialized"


def test_a_virtual_service_named_like_ours_created_after_the_record_is_not_taken_over(emulator, kube_api):  # noqa: F811
    _load(emulator)
    _init(kube_api)
    # What a killed init leaves (originals recorded, no VirtualService yet), then a user creates one named podinfo.
    kube_api.delete(*VS, NAMESPACE, "podinfo")
    users = dict(_routes(["podinfo"]), metadata={"name": "podinfo", "namespace": NAMESPACE, "labels": {"team": "web"}})
    emulator.load_manifests(yaml.safe_dump(users), namespace=NAMESPACE)
    before = kube_api.get(*VS, NAMESPACE, "podinfo")
    reset_request_log(emulator)
    with pytest.raises(Refusal) as error:
        _init(kube_api)
    assert str(error.value).startswith("VirtualService test/podinfo was created after canary_init recorded the originals (it was not "
                                       "there then): it is not taken over. Nothing was changed."), str(error.value)
    assert emulator.request_log.writes() == []
    assert kube_api.get(*VS, NAMESPACE, "podinfo") == before
