"""Flagger's deployment strategies without a cluster: the scheduler's decisions for A/B testing, Blue/Green and the mirror
step (one row per branch), the route shapes the Istio router writes for each (session cookie and its expiry included),
the options refused, and the plan line naming the strategy."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.filter.rollout_strategy import rollout_strategy
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.validation import InputError
from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import generated_virtual_service, get_weights, set_weights
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import (
    EXPIRY_ROUTE, PLAIN, STICKY_ROUTE, RouteShape, check_strategy, route_shape, session_route)
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import check_mode_plan, next_step, plan_line, start_action

NAMES = CanaryNames("podinfo", "test")
THRESHOLD = 2
AB = {"iterations": 3, "match": [{"headers": {"x-canary": {"exact": "insider"}}}]}
BLUE_GREEN = {"iterations": 3, "mirror": True}
PASSED = {"passed": True, "checks": [], "hooks": [], "state": {"failed_checks": 0}}
SKIPPED = {"skipped": True}


def _failed(count):
    return {"passed": False, "checks": [], "hooks": [{"name": "load", "passed": False, "reason": "load failed"}], "state": {"failed_checks": count}}


# ---------------------------------------------------------------- the scheduler

STEPS = [
    # (case, strategy, run, checks, action, update fields, decision)
    ("A/B: the first step starts the test without checks", AB, {"weight": 0}, SKIPPED,
     "shift", {"next_weight": 0, "iteration": 0}, "start the test"),
    ("A/B: a passing iteration", AB, {"weight": 0, "iteration": 1}, PASSED, "shift", {"iteration": 2}, "iteration 2 passed"),
    ("A/B: the last iteration promotes", AB, {"weight": 0, "iteration": 2}, PASSED, "promote", {"iteration": 3}, "promote"),
    ("A/B: a failed iteration holds, not counted", AB, {"weight": 0, "iteration": 1}, _failed(1), "hold", {"next_weight": 0}, "hold at 0%"),
    ("A/B: failed checks at the threshold roll back", AB, {"weight": 0, "iteration": 1}, _failed(2), "rollback", {}, "roll back"),
    ("Blue/Green: the same iterations", BLUE_GREEN, {"weight": 0, "iteration": 0}, PASSED, "shift", {"iteration": 1}, "iteration 1 passed"),
    ("canary with mirror: a mirror step first", {"mirror": True}, {"weight": 0}, SKIPPED,
     "shift", {"next_weight": 0, "mirrored": True}, "mirror the traffic at weight 0%"),
    ("canary with mirror: then the first weight, no mirror", {"mirror": True}, {"weight": 0, "mirrored": True}, PASSED,
     "shift", {"next_weight": 10, "mirrored": False}, "weight 10%"),
    ("canary with mirror: a failed mirror step holds", {"mirror": True}, {"weight": 0, "mirrored": True}, _failed(1),
     "hold", {"next_weight": 0}, "hold at 0%"),
    ("canary: at weight 0 the first weight", {}, {"weight": 0}, SKIPPED, "shift", {"next_weight": 10}, "weight 10%"),
]


@pytest.mark.parametrize("case, strategy, run, checks, action, fields, decision", STEPS, ids=[row[0] for row in STEPS])
def test_next_step(case, strategy, run, checks, action, fields, decision):
    update = next_step(dict(run, revision="rev2", history=[]), [10, 20], THRESHOLD, checks, SKIPPED, now=0, strategy=strategy)
    assert update["action"] == action, case
    assert dict((key, update.get(key)) for key in fields) == fields, update
    assert update["decision"] == decision


def test_an_iteration_s_line_counts_iterations_and_the_time_left():
    update = next_step({"weight": 0, "iteration": 1, "history": [], "interval_seconds": 60, "started": 0}, [], THRESHOLD,
                       PASSED, SKIPPED, now=90, strategy=AB)
    assert update["history"][-1]["line"] == "iteration 2 of 3 at weight 0% (00:01:30 UTC, 1m30s elapsed, at best 1m left): no checks"


def test_the_plan_names_the_strategy_and_counts_iterations():
    run = {"revision": "rev2", "weight": 0, "failed_checks": 0}
    ab = plan_line(run, [100], 60, 3, 600, dict(AB, text="A/B testing"))
    assert ab.startswith("plan: A/B testing of revision rev2: 3 iterations every 1m (matching requests on the canary")
    assert ab.endswith("at best 3m, at most 5m of analysis plus up to 10m for the canary to become ready"), ab
    resumed = plan_line(dict(run, iteration=2), [100], 60, 3, 600, dict(BLUE_GREEN, text="Blue/Green", step_weight_promotion=25))
    assert " from iteration 2 (no user traffic on the canary until the promotion" in resumed
    assert "then traffic back to the primary by 25% per interval; at best 1m," in resumed, resumed
    mirrored = plan_line(run, [10, 20], 60, 3, 600, {"mirror": True, "text": "progressive traffic shifting with traffic mirroring"})
    assert "(progressive traffic shifting with traffic mirroring): weights 10, 20% every 1m, 2 steps after a mirror step" in mirrored


# ---------------------------------------------------------------- the Istio route shapes

def _spec():
    return generated_virtual_service(NAMES, {"retries": {"attempts": 3}})["spec"]


def test_ab_shape_puts_the_match_route_first_and_a_plain_shape_removes_it():
    shaped = set_weights(_spec(), NAMES, 100, 0, RouteShape(match=AB["match"]))
    assert [route.get("name") for route in shaped["http"]] == ["progressive-canary-match", None]
    assert shaped["http"][0]["retries"] == {"attempts": 3}, "the managed route's options on the match route too"
    assert get_weights(shaped, NAMES) == (100, 0), "the weights are the default route's"
    assert set_weights(shaped, NAMES, 100, 0) == _spec()


def test_a_mirror_is_the_canary_and_a_plain_shape_keeps_a_user_s_own_mirror():
    mirrored = set_weights(_spec(), NAMES, 100, 0, RouteShape(mirror_weight=0))
    assert mirrored["http"][0]["mirror"] == {"host": "podinfo-canary"} and "mirrorPercentage" not in mirrored["http"][0]
    own = _spec()
    own["http"][0]["mirror"] = {"host": "shadow"}
    assert set_weights(own, NAMES, 90, 10)["http"][0]["mirror"] == {"host": "shadow"}


def test_session_cookie_stays_through_a_drain_and_expires_at_weight_0():
    shape = RouteShape(cookie="c=rev2", max_age=60)
    at_20 = set_weights(_spec(), NAMES, 80, 20, shape)
    assert [route.get("name") for route in at_20["http"]] == [STICKY_ROUTE, None]
    drained = set_weights(at_20, NAMES, 0, 100, PLAIN)
    assert drained["http"][0]["name"] == STICKY_ROUTE, "holders stay on the canary while the primary is replaced"
    done = set_weights(drained, NAMES, 100, 0, PLAIN)
    assert done["http"][0]["name"] == EXPIRY_ROUTE
    assert done["http"][0]["route"][0]["headers"]["response"]["add"]["Set-Cookie"] == "c=rev2; Max-Age=-1"
    assert set_weights(done, NAMES, 100, 0, PLAIN) == done, "a plain shape keeps the expiry (idempotent)"


SESSIONS = [
    ("the shape's cookie while the canary has a weight", RouteShape(cookie="c=1"), 20, (None, None), (STICKY_ROUTE, "c=1")),
    ("no route at weight 0 without a known cookie", RouteShape(cookie="c=1"), 0, (None, None), None),
    ("a live sticky route kept by a plain shape with a weight", PLAIN, 100, ("c=1", STICKY_ROUTE), (STICKY_ROUTE, "c=1")),
    ("a live cookie expires at weight 0", PLAIN, 0, ("c=1", STICKY_ROUTE), (EXPIRY_ROUTE, "c=1")),
    ("the expiry stays during the next release", PLAIN, 30, ("c=1", EXPIRY_ROUTE), (EXPIRY_ROUTE, "c=1")),
]


@pytest.mark.parametrize("case, shape, weight, live, expected", SESSIONS, ids=[row[0] for row in SESSIONS])
def test_session_route(case, shape, weight, live, expected):
    chosen = session_route(shape, weight, *live)
    assert (chosen[:2] if chosen else None) == expected, case


def test_the_cookie_is_the_release_s_and_only_while_the_canary_has_a_weight():
    options = {"session_affinity": {"cookie_name": "c", "max_age": 60}}
    assert route_shape(options, "5d8f-9a", 0).cookie is None
    assert route_shape(options, "5d8f-9a", 10) == RouteShape(cookie="c=5d8f9a", max_age=60)


# ---------------------------------------------------------------- refused options

@pytest.mark.parametrize("options, text", [
    ({"iterations": -1}, "iterations must be 0"),
    ({"match": AB["match"]}, "needs iterations"),
    ({"iterations": 2, "match": [{"headers": {"x": {"regex": "a("}}}]}, "does not compile"),
    ({"iterations": 2, "match": [{"uri": {"prefix": "/"}}]}, "must be {headers:"),
    ({"mirror": True, "mirror_weight": 150}, "mirror_weight must be between 0 and 100"),
    ({"iterations": 2, "match": AB["match"], "mirror": True}, "not to A/B testing"),
    ({"session_affinity": {"cookie_name": "a b"}}, "must be a cookie name"),
])
def test_options_no_strategy_runs_with_are_refused(options, text):
    with pytest.raises(InputError) as refused:
        check_strategy(options)
    assert text in str(refused.value)


def test_the_role_s_filter_refuses_iterations_with_step_weights_and_what_the_provider_cannot_route():
    with pytest.raises(AnsibleFilterError, match="rollout_analysis.step_weights .a canary with step weights. are both set"):
        rollout_strategy({"iterations": 3}, "istio", {"step_weights": [10]})
    with pytest.raises(AnsibleFilterError, match="provider openshift cannot route session_affinity"):
        rollout_strategy({"session_affinity": {"cookie_name": "c"}}, "openshift")
    assert rollout_strategy({"iterations": 3}, "openshift")["text"] == "Blue/Green"


def test_a_run_resumes_an_ab_test_at_its_recorded_iteration_and_check_mode_says_the_iterations():
    info = {"initialized": True, "pending": True, "phase": "Progressing", "revision": "rev2", "weight": 0, "step": 1,
            "failed_checks": 1, "strategy": "A/B testing", "iterations": 2, "target": {"replicas": 1}}
    run = start_action(info, 3, "", "Progressing", [])
    assert run["action"] == "release" and run["iteration"] == 2
    assert run["resumed"] == ["the A/B testing at iteration 2, 1 failed checks"]
    checked = check_mode_plan(dict(run, action="release"), "test/podinfo", [100], False, False, "", dict(AB, text="A/B testing"))
    assert checked["reason"].endswith("release revision rev2: analysis in 3 iterations of A/B testing"), checked["reason"]
