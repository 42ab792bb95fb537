"""The seed scenario end to end for a provider other than Istio, in one sandbox: the user's route adopted by init, podinfo
3.1.1 promoted, a release answering 10 % errors rolled back, cleanup; the user's Deployment, Service and route equal to
what they were before, with traffic running throughout.

One test per provider runs all of it (the e2e suite is the heavy part of `make test`): the seed's checks and 3 s interval
(rollout_scenario.release_vars), one analysis step of 50 %, and threshold 1 for the bad release (rolled back at its
first failed check; the healthy one keeps threshold 2, so one check without data yet does not fail it)."""
import copy

from tests.e2e.rollout_scenario import NEW_IMAGE, SANDBOX, failure_message
from tests.sandbox.fixtures_api import wait_for

ONE_STEP = {"step_weight": 50, "max_weight": 50}
# Route kinds of the other providers, as Podinfo.path spells its kinds (not in its inventory: only these tests make them).
ROUTE_KINDS = {
    "HTTPRoute": ("/apis/gateway.networking.k8s.io/v1", "httproutes"),
    "Route": ("/apis/route.openshift.io/v1", "routes"),
}


def route_path(podinfo, kind, name=None):
    prefix, plural = ROUTE_KINDS[kind]
    return "%s/namespaces/%s/%s%s" % (prefix, podinfo.namespace, plural, "/" + name if name else "")


def get_route(podinfo, kind, name):
    status, body = podinfo.emulator.request("GET", route_path(podinfo, kind, name))
    assert status == 200, body
    return body


def user_views(podinfo, route_kind, route_name):
    """The user's objects as they wrote them (no status, no server-set metadata)."""
    views = {"Deployment": podinfo.user_view("Deployment", "podinfo"), "Service": podinfo.user_view("Service", "podinfo")}
    route = get_route(podinfo, route_kind, route_name)
    route.pop("status", None)
    for field in ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"):
        route["metadata"].pop(field, None)
    views[route_kind] = route
    return views


def _counts(podinfo, hosts):
    return dict((host, podinfo.mesh.counts(host)) for host in hosts)


def _reset(podinfo, hosts):
    for host in hosts:
        podinfo.mesh.reset(host)


def run_seed_scenario(podinfo, provider, service, user_route, weights, hosts):
    """Run the scenario for ``provider`` (role variables ``rollout_provider``, ``rollout_service``) with ``user_route``
    (a route to the apex Service, created before init) and traffic on ``hosts`` (the apex host first). ``weights(route)``
    reads {backend: weight} of the managed route. Returns what each phase saw: the runs' results, the traffic counts
    per host, the user's objects before and after."""
    kind, name = user_route["kind"], user_route["metadata"]["name"]
    podinfo.load()
    status, body = podinfo.emulator.request("POST", route_path(podinfo, kind), user_route)
    assert status == 201, body
    for host in hosts[1:]:
        podinfo.mesh.add_target(host, namespace=podinfo.namespace)
        wait_for(lambda host=host: podinfo.mesh.counts(host)["total"] > 0, what="mesh traffic to " + host)
    before = user_views(podinfo, kind, name)
    # A settle time after each routing change that precedes a removal (the suite's default is 0): the mesh simulator reads
    # the routes and the Services in separate requests, so without it a read between cleanup's route restore and its
    # deletion of the -primary Service sees a route to a Service that is gone.
    overrides = {"rollout_provider": provider, "rollout_service": service, "rollout_route_settle_seconds": 1,
                 "rollout_analysis": dict(podinfo.release_vars()["rollout_analysis"], **ONE_STEP)}
    seen = {"before": before}
    _reset(podinfo, hosts)

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE, **overrides)
    assert returncode == 0, output
    assert result["outcome"] == "promoted" and [step["weight"] for step in result["steps"]] == [50], result["summary"]
    assert all(step["passed"] for step in result["steps"]), result["summary"]
    assert podinfo.state()["provider"] == provider
    assert podinfo.image("podinfo-primary") == NEW_IMAGE
    seen["promoted"] = {"route": weights(get_route(podinfo, kind, name)), "traffic": _counts(podinfo, hosts)}
    _reset(podinfo, hosts)

    podinfo.patch_template(annotations={SANDBOX + "error-rate": "0.1"})
    first_failure = dict(overrides, rollout_analysis=dict(overrides["rollout_analysis"], threshold=1))
    returncode, result, plays, output = podinfo.run(**first_failure)
    assert returncode != 0, output
    assert result["outcome"] == "rolled back", result
    assert "request-success-rate" in failure_message(plays), failure_message(plays)
    assert podinfo.image("podinfo-primary") == NEW_IMAGE and podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 0
    seen["rolled back"] = {"route": weights(get_route(podinfo, kind, name)), "traffic": _counts(podinfo, hosts)}
    _reset(podinfo, hosts)

    returncode, _result, _plays, output = podinfo.run("cleanup", **overrides)
    assert returncode == 0, output
    seen["cleanup"] = {"traffic": _counts(podinfo, hosts)}
    seen["after"] = user_views(podinfo, kind, name)
    for host in hosts[1:]:
        podinfo.mesh.remove_target(host)
    return seen


def promoted_template(before):
    """The user's objects as cleanup leaves them: the Deployment at the promoted release's image, nothing else changed."""
    expected = copy.deepcopy(before)
    expected["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE
    return expected
