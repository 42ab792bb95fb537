"""What each provider's routing object says of a change in effect (Router.settled), and the settle time's sources
(routers/settling.py). The waits themselves, against a mesh whose proxies learn late: test_routing_propagation.py."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import VIRTUAL_SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers import settling
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import Observed
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import GatewayApiObserved, GatewayApiRouter
from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import IstioRouter
from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import OpenShiftRouter

NAMES = CanaryNames("podinfo", "test")


def _virtual_service(status=None, generation=3):
    vs = {"apiVersion": VIRTUAL_SERVICE[0], "kind": VIRTUAL_SERVICE[1],
          "metadata": {"name": "podinfo", "namespace": "test", "generation": generation},
          "spec": {"hosts": ["podinfo"], "http": [{"route": [{"destination": {"host": "podinfo-primary"}, "weight": 100},
                                                             {"destination": {"host": "podinfo-canary"}, "weight": 0}]}]}}
    if status is not None:
        vs["status"] = status
    observed = Observed(None, NAMES)
    observed.live[(VIRTUAL_SERVICE, "podinfo")] = vs
    return observed


def _reconciled(observed_generation, status="True"):
    return {"observedGeneration": observed_generation,
            "conditions": [{"type": "Reconciled", "status": status, "message": "4/4 proxies up to date."}]}


@pytest.mark.parametrize("status, verdict", [
    (None, None),                                       # istiod without status: the settle time
    ({"validationMessages": []}, None),                 # status, but no distribution tracking
    (_reconciled(2), False),                            # the previous generation
    (_reconciled("3", status="False"), False),          # not every proxy yet (observedGeneration as a string)
    (_reconciled(3), True),
])
def test_istio_reads_reconciled_at_the_current_generation(status, verdict):
    result = IstioRouter().settled(_virtual_service(status))
    assert (result if result is None else result[0]) is verdict
    assert result is None or result[2] is False


def test_istio_without_its_virtual_service_has_nothing_to_read():
    observed = Observed(None, NAMES)
    observed.live[(VIRTUAL_SERVICE, "podinfo")] = None
    assert IstioRouter().settled(observed) is None


def _http_route(parents_status=None, generation=2):
    parent = {"group": "", "kind": "Service", "name": "podinfo", "port": 9898}
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "podinfo", "namespace": "test", "generation": generation},
             "spec": {"parentRefs": [parent], "rules": [{"backendRefs": [
                 {"name": "podinfo-primary", "port": 9898, "weight": 100}, {"name": "podinfo-canary", "port": 9898, "weight": 0}]}]}}
    if parents_status is not None:
        route["status"] = {"parents": [{"parentRef": parent, "controllerName": "example.com/gateway",
                                        "conditions": parents_status}]}
    observed = GatewayApiObserved(None, NAMES)
    observed.routes = [route]
    return observed


def _conditions(accepted=("True", 2), resolved=("True", 2)):
    return [{"type": "Accepted", "status": accepted[0], "observedGeneration": accepted[1], "reason": "Accepted"},
            {"type": "ResolvedRefs", "status": resolved[0], "observedGeneration": resolved[1], "reason": "BackendNotFound"}]


@pytest.mark.parametrize("conditions, verdict, final", [
    (None, None, None),
    (_conditions(accepted=("True", 1)), False, False),
    (_conditions(resolved=("False", 2)), False, False),
    (_conditions(accepted=("False", 2)), False, True),  # the implementation refused this generation: waiting cannot help
    (_conditions(), True, False),
])
def test_gateway_api_reads_accepted_and_resolved_refs_per_parent(conditions, verdict, final):
    result = GatewayApiRouter().settled(_http_route(conditions))
    assert result == (None if verdict is None else (verdict, result[1], final))


def test_openshift_routes_report_nothing_usable():
    route = {"metadata": {"name": "podinfo", "namespace": "test"}, "spec": {"to": {"kind": "Service", "name": "podinfo-primary"}},
             "status": {"ingress": [{"routerName": "default", "conditions": [{"type": "Admitted", "status": "True"}]}]}}
    observed = Observed(None, NAMES)
    observed.live[("route.openshift.io/v1", "Route"), "podinfo"] = route
    assert OpenShiftRouter().settled(observed) is None


def test_the_settle_time_comes_from_the_option_else_the_environment_else_the_default(monkeypatch):
    monkeypatch.delenv(settling.SETTLE_ENV, raising=False)
    assert settling.settle_seconds(None) == settling.DEFAULT_SETTLE_SECONDS == 10
    monkeypatch.setenv(settling.SETTLE_ENV, "2.5")
    assert settling.settle_seconds(None) == 2.5
    assert settling.settle_seconds(0) == 0
    monkeypatch.setenv(settling.SETTLE_ENV, "soon")
    with pytest.raises(Refusal, match="PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS must be a number of seconds >= 0, got 'soon'"):
        settling.settle_seconds(None)
    with pytest.raises(Refusal, match="route_settle_seconds must be a number of seconds >= 0, got -1"):
        settling.settle_seconds(-1)
