"""The mesh's Istio-like resolution and deterministic traffic split, over a static set of objects."""

import pytest

from tests.sandbox.fixtures_mesh import (
    deployment_manifest,
    destination_rule_manifest,
    service_manifest,
    virtual_service_manifest,
)
from tests.sandbox.mesh import Mesh, StaticCluster, pick_weighted, request_candidates, resolve

NS = "test"


def podinfo_canary_objects(primary_weight, canary_weight, canary_ready=1, canary_error_rate=None):
    """The objects canary_init leaves for podinfo, with the VirtualService at the given weights."""
    return [
        deployment_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}, replicas=2, ready=2),
        deployment_manifest("podinfo", NS, {"app": "podinfo"}, replicas=1, ready=canary_ready, error_rate=canary_error_rate),
        service_manifest("podinfo", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-primary", NS, {"app": "podinfo-primary"}),
        service_manifest("podinfo-canary", NS, {"app": "podinfo"}),
        virtual_service_manifest("podinfo", NS, ["app.example.com", "podinfo"],
                                 {"podinfo-primary": primary_weight, "podinfo-canary": canary_weight}, gateways=["mesh"]),
    ]


def static_mesh(objects):
    mesh = Mesh()
    mesh.bind(StaticCluster(objects))
    return mesh


def test_virtual_service_weights_split_traffic_exactly():
    mesh = static_mesh(podinfo_canary_objects(80, 20))
    assert mesh.send("podinfo.test", 1000) == {200: 1000}
    counts = mesh.counts("podinfo.test")
    assert counts["by_workload"] == {"podinfo-primary": 800, "podinfo": 200}
    assert counts["failed"] == 0


def test_virtual_service_host_alias_resolves_in_the_client_namespace():
    mesh = static_mesh(podinfo_canary_objects(40, 60))
    mesh.send("app.example.com", 100, namespace=NS)
    assert mesh.counts("app.example.com")["by_workload"] == {"podinfo-primary": 40, "podinfo": 60}


def test_without_virtual_service_the_service_selector_decides():
    objects = [o for o in podinfo_canary_objects(0, 100) if o["kind"] != "VirtualService"]
    mesh = static_mesh(objects)
    mesh.send("podinfo.test", 10)
    mesh.send("podinfo-canary.test.svc.cluster.local", 10)
    assert mesh.counts("podinfo.test")["by_workload"] == {"podinfo-primary": 10}
    assert mesh.counts("podinfo-canary.test.svc.cluster.local")["by_workload"] == {"podinfo": 10}


def test_destination_without_ready_replicas_answers_503_counted_as_failed():
    mesh = static_mesh(podinfo_canary_objects(50, 50, canary_ready=0))
    assert mesh.send("podinfo.test", 100) == {200: 50, 503: 50}
    counts = mesh.counts("podinfo.test")
    assert counts["failed"] == 50
    assert counts["by_code"] == {"200": 50, "503": 50}
    assert counts["by_workload"] == {"podinfo-primary": 50}


def test_missing_service_answers_503():
    mesh = static_mesh([deployment_manifest("podinfo", NS, {"app": "podinfo"}, ready=1)])
    assert mesh.send("podinfo.test", 7) == {503: 7}
    assert mesh.failed("podinfo.test") == 7


def test_service_selecting_nothing_answers_503():
    # Flagger's outage after deleting a canary: the apex Service still selects the deleted primary.
    mesh = static_mesh([deployment_manifest("podinfo", NS, {"app": "podinfo"}, ready=2),
                        service_manifest("podinfo", NS, {"app": "podinfo-primary"})])
    assert mesh.send("podinfo.test", 5) == {503: 5}


def test_error_rate_annotation_fails_that_fraction_of_a_workloads_requests():
    mesh = static_mesh(podinfo_canary_objects(0, 100, canary_error_rate=0.1))
    assert mesh.send("podinfo.test", 1000) == {200: 900, 500: 100}
    assert mesh.counts("podinfo.test")["failed_by_workload"] == {"podinfo": 100}


def test_virtual_service_bound_only_to_a_gateway_does_not_route_mesh_traffic():
    objects = podinfo_canary_objects(0, 100)
    objects[-1]["spec"]["gateways"] = ["istio-system/public-gateway"]
    mesh = static_mesh(objects)
    mesh.send("podinfo.test", 10)
    assert mesh.counts("podinfo.test")["by_workload"] == {"podinfo-primary": 10}


def test_header_matched_route_is_skipped_by_plain_requests():
    ab_route = {"match": [{"headers": {"x-canary": {"exact": "insider"}}}],
                "route": [{"destination": {"host": "podinfo-canary"}}]}
    objects = [o for o in podinfo_canary_objects(0, 0) if o["kind"] != "VirtualService"]
    objects.append(virtual_service_manifest("podinfo", NS, ["podinfo"], {"podinfo-primary": 100}, http_extra=[ab_route]))
    mesh = static_mesh(objects)
    mesh.send("podinfo.test", 10)
    assert mesh.counts("podinfo.test")["by_workload"] == {"podinfo-primary": 10}


def test_no_matching_http_route_answers_404():
    objects = [o for o in podinfo_canary_objects(0, 0) if o["kind"] != "VirtualService"]
    vs = virtual_service_manifest("podinfo", NS, ["podinfo"], {"podinfo-primary": 100})
    vs["spec"]["http"][0]["match"] = [{"uri": {"prefix": "/api"}}]
    objects.append(vs)
    assert static_mesh(objects).send("podinfo.test", 3) == {404: 3}


def test_subset_narrows_the_service_selector_by_destination_rule_labels():
    objects = [
        deployment_manifest("reviews-v1", NS, {"app": "reviews", "version": "v1"}, ready=1),
        deployment_manifest("reviews-v2", NS, {"app": "reviews", "version": "v2"}, ready=1),
        service_manifest("reviews", NS, {"app": "reviews"}),
        destination_rule_manifest("reviews", NS, "reviews", {"v1": {"version": "v1"}, "v2": {"version": "v2"}}),
        {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
         "metadata": {"name": "reviews", "namespace": NS},
         "spec": {"hosts": ["reviews"], "http": [{"route": [
             {"destination": {"host": "reviews", "subset": "v2"}, "weight": 75},
             {"destination": {"host": "reviews", "subset": "missing"}, "weight": 25}]}]}},
    ]
    mesh = static_mesh(objects)
    assert mesh.send("reviews.test", 100) == {200: 75, 503: 25}
    assert mesh.counts("reviews.test")["by_workload"] == {"reviews-v2": 75}


def test_service_spreads_requests_over_deployments_by_ready_replicas():
    objects = [
        deployment_manifest("a", NS, {"app": "shared", "track": "a"}, replicas=3, ready=3),
        deployment_manifest("b", NS, {"app": "shared", "track": "b"}, replicas=1, ready=1),
        service_manifest("shared", NS, {"app": "shared"}),
    ]
    mesh = static_mesh(objects)
    mesh.send("shared.test", 40)
    assert mesh.counts("shared.test")["by_workload"] == {"a": 30, "b": 10}


def test_reset_forgets_counts_of_one_host_or_all():
    mesh = static_mesh(podinfo_canary_objects(100, 0))
    mesh.send("podinfo.test", 3)
    mesh.send("app.example.com", 2, namespace=NS)
    mesh.reset("podinfo.test")
    assert mesh.counts("podinfo.test")["total"] == 0
    assert mesh.counts("app.example.com")["total"] == 2
    mesh.reset()
    assert mesh.all_counts() == {}


@pytest.mark.parametrize("host, namespace, expected", [
    ("podinfo", "test", ["podinfo.test.svc.cluster.local", "podinfo"]),
    ("podinfo.test", "other", ["podinfo.test.svc.cluster.local", "podinfo.test"]),
    ("podinfo.test.svc", "other", ["podinfo.test.svc.cluster.local", "podinfo.test.svc"]),
    ("app.example.com", "test", ["app.example.com"]),
])
def test_request_host_candidates_follow_the_dns_search_path(host, namespace, expected):
    assert request_candidates(host, namespace) == expected


def test_weighted_pick_is_smooth_and_exact():
    state = {}
    picks = [pick_weighted(state, {"primary": 80, "canary": 20}) for _pick in range(10)]
    # Two canary picks in ten, interleaved with the primary's rather than bunched at one end.
    assert [i for i, pick in enumerate(picks) if pick == "canary"] == [2, 7]


def test_resolve_reports_unknown_external_host_as_503():
    assert [d.local_status for d in resolve(StaticCluster([]), "api.example.org", NS)] == [503]


def test_a_service_selects_only_pods_carrying_every_selector_label():
    # As Kubernetes: a pod is an endpoint when its labels include all of the selector's; extra pod labels don't matter.
    web = "app.kubernetes.io/name"
    objects = [
        deployment_manifest("web-prod", NS, {web: "web", "instance": "prod", "tier": "front"}, replicas=1, ready=1),
        deployment_manifest("web-staging", NS, {web: "web", "instance": "staging"}, replicas=1, ready=1),
        service_manifest("by-name", NS, {web: "web"}),
        service_manifest("prod-only", NS, {web: "web", "instance": "prod"}),
        service_manifest("nothing", NS, {web: "web", "instance": "qa"}),
    ]
    mesh = static_mesh(objects)
    mesh.send("by-name.test", 100)
    mesh.send("prod-only.test", 100)
    assert mesh.send("nothing.test", 10) == {503: 10}
    assert mesh.counts("by-name.test")["by_workload"] == {"web-prod": 50, "web-staging": 50}
    assert mesh.counts("prod-only.test")["by_workload"] == {"web-prod": 100}
