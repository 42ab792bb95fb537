"""Traffic mirroring as Envoy shadows requests for Istio's ``mirror`` + ``mirrorPercentage`` (Flagger's Blue/Green with
``analysis.mirror``: pkg/router/istio.go sets ``http[0].mirror`` to the canary Service and ``mirrorPercentage`` to the
mirror weight): a copy goes to the mirror's workload, its response never reaches the user and never counts as the
user's failure, and only the destination reporter records it (istio/istio#23496: no source-reporter metrics for
shadow traffic)."""

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.istio_queries import REQUEST_SUCCESS_RATE, builtin_query
from tests.sandbox.fixtures_strategies import HOST, NS, USERS, destination, metric_total, static_mesh, virtual_service
from tests.sandbox.prometheus import sample_values


def mirrored_routes(percentage=None, **mirror_fields):
    """Flagger's Blue/Green routes with mirroring: everything to the primary, a copy to the canary."""
    route = {"route": [destination("podinfo-primary", 100), destination("podinfo-canary", 0)],
             "mirror": {"host": "podinfo-canary"}}
    if percentage is not None:
        route["mirrorPercentage"] = {"value": percentage}
    route.update(mirror_fields)
    return [route]


def test_mirrored_copies_reach_the_canary_and_never_the_user(mesh, istio_cluster):
    istio_cluster(mirrored_routes(50), canary_error_rate=0.5)
    mesh.populate(HOST, USERS)
    assert mesh.send(HOST, 200) == {200: 200}, "the canary's errors on copies never reach a user"
    counts = mesh.counts(HOST)
    assert counts["failed"] == 0 and counts["by_workload"] == {"podinfo-primary": 200}
    assert counts["mirror"] == {"total": 100, "failed": 50, "by_workload": {"podinfo": 100}, "failed_by_workload": {"podinfo": 50}}
    assert counts["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 160}
    text = mesh.metrics_text()
    # The canary's own proxy reports the copies it served (what Flagger's canary checks read) ...
    assert metric_total(text, reporter="destination", destination_workload="podinfo") == 100
    assert metric_total(text, reporter="destination", destination_workload="podinfo", response_code="500") == 50
    # ... the client's proxy does not: it reports the user's requests only.
    assert metric_total(text, reporter="source", destination_workload="podinfo") == 0
    assert metric_total(text, reporter="source") == 200


@pytest.mark.parametrize("fields, mirrored", [
    ({}, 10),                                       # no percentage: every request
    ({"mirrorPercentage": {"value": 25.0}}, 2),     # every 4th request (credit, as error rates)
    ({"mirrorPercentage": {"value": 0}}, 0),
    ({"mirrorPercent": 50}, 5),                     # the deprecated integer field
    ({"mirror_percent": 20}, 2),
])
def test_mirror_percentage(fields, mirrored):
    mesh = static_mesh([virtual_service(mirrored_routes(**fields))])
    mesh.send(HOST, 10)
    assert mesh.counts(HOST)["mirror"]["total"] == mirrored


def test_mirrors_list_sends_one_copy_per_entry():
    route = {"route": [destination("podinfo-primary", 100)],
             "mirrors": [{"destination": {"host": "podinfo-canary"}}, {"destination": {"host": "podinfo-primary"}, "percentage": {"value": 50}}]}
    mesh = static_mesh([virtual_service([route])])
    mesh.send(HOST, 10)
    assert mesh.counts(HOST)["mirror"]["by_workload"] == {"podinfo": 10, "podinfo-primary": 5}
    assert mesh.counts(HOST)["by_workload"] == {"podinfo-primary": 10}


def test_a_mirror_with_nowhere_to_go_fails_only_the_copy():
    # istiod accepts a mirror naming a subset no DestinationRule defines; Envoy's shadow then finds no cluster.
    mesh = static_mesh([virtual_service(mirrored_routes(mirror={"host": "podinfo-canary", "subset": "missing"}))])
    assert mesh.send(HOST, 4) == {200: 4}
    counts = mesh.counts(HOST)
    assert counts["failed"] == 0
    assert counts["mirror"] == {"total": 4, "failed": 4, "by_workload": {}, "failed_by_workload": {}}
    assert metric_total(mesh.metrics_text(), destination_workload="podinfo") == 0


def test_a_request_the_mesh_answers_itself_is_not_mirrored():
    # No route matches (404): nothing is sent upstream, so nothing is shadowed.
    route = dict(mirrored_routes()[0], match=[{"headers": {"x-canary": {"exact": "insider"}}}])
    mesh = static_mesh([virtual_service([route])])
    assert mesh.send(HOST, 3) == {404: 3}
    assert mesh.counts(HOST)["mirror"]["total"] == 0


def test_mirror_copies_do_not_touch_the_users_jars():
    # A Set-Cookie the primary's route adds reaches the user; the shadow's response (whatever it is) never does.
    route = dict(mirrored_routes()[0], headers={"response": {"add": {"Set-Cookie": "seen=primary"}}})
    mesh = static_mesh([virtual_service([route])])
    mesh.populate(HOST, {"plain": 2})
    mesh.send(HOST, 4)
    counts = mesh.counts(HOST)
    assert counts["users"]["cookies"] == {"seen": 2}
    assert counts["users"]["by_class"]["plain"]["by_workload"] == {"podinfo-primary": 2}


def test_flaggers_canary_query_sees_the_mirrored_requests_in_real_prometheus(prometheus_live, mesh, istio_cluster):
    # Blue/Green with mirroring: the canary's success rate (Flagger's built-in query, destination reporter) comes from
    # the copies alone, while no user request fails.
    istio_cluster(mirrored_routes(), canary_error_rate=0.5)
    mesh.add_target(HOST, rps=50, users=USERS)
    success_rate = builtin_query(REQUEST_SUCCESS_RATE, NS, "podinfo", "10s")
    prometheus_live.wait_for_value(success_rate, 90, accept=lambda data: [abs(v - 50.0) <= 5 for v in sample_values(data)] == [True])
    counts = mesh.counts(HOST)
    assert counts["failed"] == 0 and counts["mirror"]["failed"] > 0
