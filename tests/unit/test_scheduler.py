"""The rollout role's decisions (module_utils/scheduler.py) and the filters the role reaches them through: one row per
branch of what a run does at its start, after each step and after each shift."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.filter.rollout_gate import FilterModule as GateFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_planned import FilterModule as PlannedFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_pre_rollout import FilterModule as PreRolloutFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_promoted import FilterModule as PromotedFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_rolled_back import FilterModule as RolledBackFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_shifted import FilterModule as ShiftedFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_start import FilterModule as StartFilters
from ansible_collections.progressive.canary.plugins.filter.rollout_step import FilterModule as StepFilters
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import (
    after_pre_rollout, as_int, close_gate, duration_text, failed_step, merge_promote, merge_rollback, merge_shift, merged,
    next_step, next_step_weight, plan_line, start_action, step_line, with_plan)

THRESHOLD = 3
WEIGHTS = [10, 20, 30]


def _info(**fields):
    info = {"initialized": True, "pending": True, "phase": "Initialized", "revision": "rev2", "failed_revision": None,
            "failure_reason": None, "last_promoted_revision": "rev1", "weight": 0, "step": 0, "failed_checks": 0,
            "last_failed_check": None, "target": {"replicas": 0}}
    info.update(fields)
    return info


# ---------------------------------------------------------------- start of a run

START = [
    # (case, info, action, reason, weight, resumed)
    ("not initialized, its reason", {"initialized": False, "reason": "Deployment test/podinfo not found", "phase": None},
     "none", "Deployment test/podinfo not found", 0, []),
    ("not initialized, no reason", {"initialized": False}, "none", "the canary is not initialized", 0, []),
    ("not pending, failed revision with its reason", _info(pending=False, revision="rev2", failed_revision="rev2",
                                                           failure_reason="2 failed checks reached the threshold 2"),
     "rollback", "2 failed checks reached the threshold 2", 0, []),
    ("not pending, failed revision without reason", _info(pending=False, failed_revision="rev2"),
     "rollback", "revision rev2 was rolled back", 0, []),
    ("not pending, back at the promoted revision with traffic: tidy", _info(pending=False, revision="rev1", weight=20),
     "tidy", "the target is back at the promoted revision rev1", 0, []),
    ("not pending, back at the promoted revision with replicas: tidy", _info(pending=False, revision="rev1", target={"replicas": 2}),
     "tidy", "the target is back at the promoted revision rev1", 0, []),
    ("not pending, promoted and tidy: nothing", _info(pending=False, revision="rev1", target={"replicas": None}),
     "none", "", 0, []),
    ("not pending, no target status: nothing", _info(pending=False, revision="rev1", target=None), "none", "", 0, []),
    ("killed run reached the threshold, last failure named",
     _info(phase="Progressing", weight=20, failed_checks=3, last_failed_check="request-success-rate 80 < 99"),
     "rollback", "3 failed checks reached the threshold 3; last: request-success-rate 80 < 99", 0, []),
    ("killed run reached the threshold, no last failure", _info(phase="Progressing", weight=20, failed_checks=4),
     "rollback", "4 failed checks reached the threshold 3", 0, []),
    ("threshold reached outside the analysis: release from 0", _info(phase="Failed", failed_checks=3), "release", "", 0, []),
    ("resume at the recorded weight", _info(phase="Progressing", weight=20, step=2, failed_checks=1),
     "release", "", 20, ["the analysis at weight 20%, step 2, 1 failed checks"]),
    ("new revision: release from weight 0", _info(phase="Succeeded"), "release", "", 0, []),
]


@pytest.mark.parametrize("case, info, action, reason, weight, resumed", START, ids=[row[0] for row in START])
def test_start_action(case, info, action, reason, weight, resumed):
    run = start_action(info, THRESHOLD, "podinfo:6.1.0", "Initialized", [])
    assert (run["action"], run["reason"], run["weight"], run.get("resumed", [])) == (action, reason, weight, resumed), case


def test_start_records_the_canary_and_the_run():
    run = start_action(_info(phase="Progressing", weight="20", step=2, failed_checks="1"), "3", "podinfo:6.1.0",
                       "Promoting", ["the promotion (phase Promoting)"])
    assert run == {"revision": "rev2", "image": "podinfo:6.1.0", "weight": 20, "step": 2, "failed_checks": 1,
                   "phase_at_start": "Promoting", "last_promoted_revision": "rev1", "action": "release", "reason": "",
                   "resumed": ["the promotion (phase Promoting)", "the analysis at weight 20%, step 2, 1 failed checks"]}


def test_start_of_an_uninitialized_canary_records_no_revision():
    run = start_action({"initialized": False, "reason": "no state"}, 5, "", None, [])
    assert (run["revision"], run["last_promoted_revision"], run["step"], run["failed_checks"]) == (None, None, 0, 0)


# ---------------------------------------------------------------- one analysis step

def _run(weight, failed_checks=0, history=()):
    return {"weight": weight, "failed_checks": failed_checks, "history": list(history), "action": "shift", "resumed": []}


def _checks(passed, failed_checks=None, checks=(), hooks=()):
    result = {"changed": False, "passed": passed, "checks": list(checks), "hooks": list(hooks)}
    if failed_checks is not None:
        result["state"] = {"failed_checks": failed_checks}
    return result


SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
SUCCESS = {"name": "request-success-rate", "value": 99.567, "verdict": "pass", "passed": True, "threshold_range": {"min": 99}}
FAILURE = {"name": "request-success-rate", "value": 80, "verdict": "fail", "passed": False, "threshold_range": {"min": 99},
           "reason": "request-success-rate 80 < 99"}
HOOK_FAILED = {"name": "load-test", "passed": False, "reason": "webhook load-test: HTTP 500"}

STEP = [
    # (case, run, checks, rollback hooks, expected action, next weight, failed checks, decision)
    ("weight 0: first step, nothing checked", _run(0), SKIPPED, SKIPPED, "shift", 10, None, "weight 10%"),
    ("passed: next weight", _run(10), _checks(True, 0, [SUCCESS]), SKIPPED, "shift", 20, 0, "weight 20%"),
    ("passed at the max weight: promote", _run(30), _checks(True, 0, [SUCCESS]), SKIPPED, "promote", None, 0, "promote"),
    ("passed above the last step weight: promote", _run(40), _checks(True, 0), SKIPPED, "promote", None, 0, "promote"),
    ("failed below the threshold: hold", _run(20, 1), _checks(False, 2, [FAILURE]), SKIPPED, "hold", 20, 2, "hold at 20%"),
    ("failed at the threshold: rollback", _run(20, 2), _checks(False, 3, [FAILURE]), SKIPPED, "rollback", None, 3, "roll back"),
    ("failed above the threshold: rollback", _run(20, 2), _checks(False, 5, [FAILURE]), SKIPPED, "rollback", None, 5, "roll back"),
    ("no checks nor rollout hooks (skipped): passes", _run(10), SKIPPED, SKIPPED, "shift", 20, 0, "weight 20%"),
    ("check mode counts in the run: below", _run(10, 1), _checks(False, None, [FAILURE]), SKIPPED, "hold", 10, 2, "hold at 10%"),
    ("check mode counts in the run: at the threshold", _run(10, 2), _checks(False, None, [FAILURE]), SKIPPED,
     "rollback", None, 3, "roll back"),
    ("check mode, passed: not counted", _run(10, 2), _checks(True, None, [SUCCESS]), SKIPPED, "shift", 20, 2, "weight 20%"),
    ("rollback hook asked, with its message", _run(10), _checks(True, 0), {"rollback_requested": True, "msg": "halt"},
     "rollback", 20, 0, "roll back"),
    ("rollback hook asked at weight 0", _run(0), SKIPPED, {"rollback_requested": True, "msg": ""}, "rollback", 10, None, "roll back"),
    ("rollback hook did not ask", _run(10), _checks(True, 0), {"rollback_requested": False, "msg": "no"}, "shift", 20, 0,
     "weight 20%"),
]


@pytest.mark.parametrize("case, run, checks, hooks, action, next_weight, failed_checks, decision", STEP, ids=[row[0] for row in STEP])
def test_next_step(case, run, checks, hooks, action, next_weight, failed_checks, decision):
    update = next_step(run, WEIGHTS, THRESHOLD, checks, hooks)
    assert (update["action"], update.get("next_weight"), update.get("failed_checks"), update["decision"]) \
        == (action, next_weight, failed_checks, decision), case
    assert ("history" in update) == (run["weight"] != 0)


@pytest.mark.parametrize("hooks, reason", [
    ({"rollback_requested": True, "msg": "the on-call engineer said so"}, "a rollback hook asked for it: the on-call engineer said so"),
    ({"rollback_requested": True, "msg": ""}, "a rollback hook asked for it"),
    ({"rollback_requested": True}, "a rollback hook asked for it"),
])
def test_rollback_hook_reason(hooks, reason):
    assert next_step(_run(10), WEIGHTS, THRESHOLD, _checks(False, 3, [FAILURE]), hooks)["reason"] == reason


def test_rollback_at_the_threshold_names_every_failure():
    update = next_step(_run(20, 2), WEIGHTS, THRESHOLD, _checks(False, 3, [FAILURE], [HOOK_FAILED]), SKIPPED)
    assert update["reason"] == "3 failed checks reached the threshold 3; last: webhook load-test: HTTP 500; request-success-rate 80 < 99"


def test_step_entry_and_line():
    history = [{"note": "new revision rev3 arrived during the analysis: restarted at weight 0"},
               {"step": 1, "weight": 10, "line": "step 1 at weight 10%: no checks"}]
    duration = {"name": "request-duration", "value": None, "verdict": "fail", "passed": False, "threshold_range": {"max": 500},
                "reason": "request-duration: no data"}
    hook = {"name": "load-test", "passed": True}
    run = dict(_run(20, 1, history), started="1796151600.0", interval_seconds="30")
    update = next_step(run, WEIGHTS, THRESHOLD, _checks(False, 2, [SUCCESS, duration], [hook]), SKIPPED, now=1796151690.0)
    assert update["history"][:2] == history
    assert update["history"][2] == {
        "step": 2, "weight": 20, "passed": False, "failed_checks": 2, "failures": ["request-duration: no data"],
        "checks": [{"name": "request-success-rate", "value": 99.567, "verdict": "pass", "min": 99, "max": None},
                   {"name": "request-duration", "value": None, "verdict": "fail", "min": None, "max": 500}],
        "hooks": [["load-test", True]], "place": 2, "of": 3, "at": 1796151690.0, "elapsed_seconds": 90.0, "left_seconds": 60,
        "line": "step 2 of 3 at weight 20% (19:01:30 UTC, 1m30s elapsed, at best 1m left): webhook load-test pass, "
                "request-success-rate=99.57 (>= 99) pass, request-duration=no data (<= 500) fail -> failed checks 2/3"}


@pytest.mark.parametrize("weight, checks, place, left", [
    (10, True, 1, 60),      # passed: 20 and 30 to come
    (10, False, 1, 90),     # held: 10 again, then 20 and 30
    (30, True, 3, 0),       # promote
    (25, True, 2, 30),      # a weight between two steps (a resumed run): after 20, before 30
])
def test_step_progress_place_and_time_left(weight, checks, place, left):
    run = dict(_run(weight), started=1000.0, interval_seconds=30)
    entry = next_step(run, WEIGHTS, THRESHOLD, _checks(checks, 0 if checks else 1, [SUCCESS if checks else FAILURE]), SKIPPED,
                      now=1125.0)["history"][-1]
    assert (entry["place"], entry["of"], entry["elapsed_seconds"], entry["left_seconds"]) == (place, 3, 125.0, left)
    assert entry["line"].startswith("step %d of 3 at weight %d%% (00:18:45 UTC, 2m5s elapsed, at best %s left): "
                                    % (place, weight, duration_text(left)))


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (45, "45s"), (60, "1m"), (90, "1m30s"), (3600, "1h"), (3725, "1h2m"),
                                           (59.6, "1m")])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


def test_the_plan_says_strategy_weights_interval_threshold_and_durations():
    run = {"action": "release", "revision": "r2", "weight": 0, "failed_checks": 0}
    assert plan_line(run, [10, 20, 30], "30", 3, 600) == (
        "plan: canary release of revision r2 (progressive traffic shifting): weights 10, 20, 30% every 30s, 3 steps; "
        "rollback at 3 failed checks; at best 1m30s, at most 2m30s of analysis plus up to 10m for the canary to become ready")
    resumed = dict(run, weight=20, failed_checks=1)
    assert "weights 30% every 30s from weight 20%, 1 steps; rollback at 3 failed checks; at best 30s, at most 1m of" \
        in plan_line(resumed, [10, 20, 30], 30, 3, 600)
    assert with_plan(dict(run, action="rollback"), [10], 30, 3, 600) == {}


@pytest.mark.parametrize("entry, line", [
    ({"step": 1, "weight": 10, "passed": True, "failed_checks": 0, "hooks": [], "checks": []}, "step 1 at weight 10%: no checks"),
    ({"step": 3, "weight": 30, "passed": False, "failed_checks": 1, "hooks": [["gate", False]], "checks": []},
     "step 3 at weight 30%: webhook gate fail -> failed checks 1/3"),
    ({"step": 1, "weight": 10, "passed": True, "failed_checks": 0, "hooks": [],
      "checks": [{"name": "latency", "value": 7, "verdict": "pass", "min": 1, "max": 500.5},
                 {"name": "web", "value": 1.0, "verdict": "pass", "min": None, "max": None}]},
     "step 1 at weight 10%: latency=7 (>= 1 <= 500.5) pass, web=1.0 () pass"),
])
def test_step_line(entry, line):
    assert step_line(entry, THRESHOLD) == line


def test_step_texts_never_show_none():
    check = {"name": "request-success-rate", "value": None, "verdict": "no data", "passed": False, "threshold_range": None,
             "reason": "no data"}
    update = next_step(_run(10, 2), WEIGHTS, THRESHOLD, _checks(False, 3, [check]), {"rollback_requested": True, "msg": None})
    texts = [update["history"][-1]["line"], update["reason"], update["decision"]]
    assert not [text for text in texts if "None" in text], texts


@pytest.mark.parametrize("weight, after", [(0, 10), (5, 10), (10, 20), (20, 30), (30, None), (35, None)])
def test_next_step_weight(weight, after):
    assert next_step_weight(["10", 20, 30.0], weight) == after


# ---------------------------------------------------------------- a shift's result

SHIFT = [
    ("set the weight", {"changed": True, "weight": 20, "step": 2, "revision": "rev2", "restarted": False},
     {"action": "shift", "weight": 20, "step": 2, "revision": "rev2"}),
    ("not ready within the deadline: rollback", {"changed": False, "ready": False, "msg": "canary podinfo-canary: 0/1 ready"},
     {"action": "rollback", "reason": "the canary did not become ready within the progress deadline (600s): canary podinfo-canary: 0/1 ready"}),
    ("any other failure: error", {"changed": False, "failed": True, "msg": "HTTP 500"},
     {"action": "error", "reason": "canary_shift failed: HTTP 500"}),
    ("ready but failed: error", {"changed": False, "ready": True, "msg": "lease held by another run"},
     {"action": "error", "reason": "canary_shift failed: lease held by another run"}),
]


@pytest.mark.parametrize("case, shift, update", SHIFT, ids=[row[0] for row in SHIFT])
def test_merge_shift(case, shift, update):
    assert merge_shift(_run(10), shift, 600) == update, case


def test_merge_shift_restarts_on_a_new_revision():
    run = _run(20, 2, [{"step": 1, "weight": 10, "line": "step 1 at weight 10%: no checks"}])
    update = merge_shift(run, {"changed": True, "weight": 0, "step": 0, "revision": "rev3", "restarted": True}, 600)
    assert update == {"action": "shift", "weight": 0, "step": 0, "failed_checks": 0, "revision": "rev3",
                      "history": run["history"] + [{"note": "new revision rev3 arrived during the analysis: restarted at weight 0"}],
                      "iteration": None, "mirrored": False}   # an A/B or Blue/Green test starts again too
    assert len(run["history"]) == 1  # the run record given is not changed


# ---------------------------------------------------------------- gates

GATE = [
    # (case, gate result, gate type, update)
    ("confirm-rollout not asked", SKIPPED, "confirm-rollout", {}),
    ("confirm-rollout open", {"changed": False, "passed": True, "msg": "gate open"}, "confirm-rollout", {}),
    ("confirm-rollout closed: error, the release did not start", {"changed": False, "passed": False, "msg": "gate closed by ops"},
     "confirm-rollout",
     {"action": "error", "reason": "the confirm-rollout gate stayed closed, the release did not start: gate closed by ops"}),
    ("confirm-promotion not asked", SKIPPED, "confirm-promotion", {}),
    ("confirm-promotion open", {"changed": False, "passed": True}, "confirm-promotion", {}),
    ("confirm-promotion closed: rollback", {"changed": False, "passed": False, "msg": "gate closed by ops"}, "confirm-promotion",
     {"action": "rollback", "reason": "the confirm-promotion gate stayed closed: gate closed by ops"}),
    ("confirm-traffic-increase not asked", SKIPPED, "confirm-traffic-increase", {}),
    ("confirm-traffic-increase open", {"changed": False, "passed": True}, "confirm-traffic-increase", {}),
    ("confirm-traffic-increase closed: hold at the weight", {"changed": False, "passed": False, "msg": "not now"},
     "confirm-traffic-increase", {"next_weight": 20}),
]


@pytest.mark.parametrize("case, gate, gate_type, update", GATE, ids=[row[0] for row in GATE])
def test_close_gate(case, gate, gate_type, update):
    assert close_gate(dict(_run(20), next_weight=30), gate, gate_type) == update, case


def test_a_gate_of_another_type_has_no_decision():
    with pytest.raises(ValueError, match="no decision for a closed 'rollback' gate"):
        close_gate(_run(0), {"passed": False}, "rollback")
    with pytest.raises(AnsibleFilterError, match="known: confirm-promotion, confirm-rollout, confirm-traffic-increase"):
        GateFilters().filters()["rollout_gate"](_run(0), {"passed": False}, "rollback")


# ---------------------------------------------------------------- pre-rollout hooks and skip analysis

PRE_ROLLOUT_FAILED = {"changed": True, "passed": False, "msg": "webhook smoke: HTTP 500", "state": {"failed_checks": 3}}

PRE_ROLLOUT = [
    # (case, run action, pre-rollout result, skip analysis, update)
    ("no try made", "shift", {}, False, {}),
    ("hooks passed", "shift", {"changed": True, "passed": True, "state": {"failed_checks": 1}}, False, {}),
    ("hooks kept failing: rollback at the threshold", "shift", PRE_ROLLOUT_FAILED, False,
     {"action": "rollback", "failed_checks": 3, "reason": "3 failed checks reached the threshold 3; last: webhook smoke: HTTP 500"}),
    ("hooks kept failing, skip analysis: still rollback", "shift", PRE_ROLLOUT_FAILED, True,
     {"action": "rollback", "failed_checks": 3, "reason": "3 failed checks reached the threshold 3; last: webhook smoke: HTTP 500"}),
    ("skip analysis: promote", "shift", {}, True, {"action": "promote"}),
    ("skip analysis after a failed shift: the failure stands", "rollback", {}, True, {}),
    ("skip analysis after a closed gate: the error stands", "error", {}, True, {}),
]


@pytest.mark.parametrize("case, action, pre_rollout, skip_analysis, update", PRE_ROLLOUT, ids=[row[0] for row in PRE_ROLLOUT])
def test_after_pre_rollout(case, action, pre_rollout, skip_analysis, update):
    run = dict(_run(0), action=action)
    assert after_pre_rollout(run, pre_rollout, THRESHOLD, skip_analysis) == update, case


# ---------------------------------------------------------------- promotion and rollback

PROMOTE = [
    # (case, promote result, resuming, update)
    ("not run (the promotion gate stayed closed)", SKIPPED, False, {}),
    ("did not finish: error", {"changed": True, "failed": True, "msg": "primary podinfo-primary: 0/1 ready"}, False,
     {"action": "error", "reason": "canary_promote did not finish (a re-run continues the promotion): primary podinfo-primary: 0/1 ready"}),
    ("promoted", {"changed": True, "phase": "Succeeded", "revision": "rev2"}, False,
     {"action": "done", "outcome": "promoted", "revision": "rev2", "resumed": ["earlier note"]}),
    ("promotion of a killed run finished", {"changed": True, "phase": "Succeeded", "revision": "rev2"}, True,
     {"action": "done", "outcome": "promoted", "revision": "rev2", "resumed": ["earlier note", "the promotion (phase Promoting)"]}),
]


@pytest.mark.parametrize("case, promote, resuming, update", PROMOTE, ids=[row[0] for row in PROMOTE])
def test_merge_promote(case, promote, resuming, update):
    run = dict(_run(30), resumed=["earlier note"])
    assert merge_promote(run, promote, "Promoting", resuming) == update, case
    assert run["resumed"] == ["earlier note"]  # the run record given is not changed


ROLLBACK = [
    # (case, rollback result, update)
    ("rolled back, the state's failure reason", {"changed": True, "rolled_back": True, "revision": "rev2",
                                                 "failure_reason": "3 failed checks reached the threshold 3"},
     {"action": "done", "revision": "rev2", "outcome": "rolled back", "reason": "3 failed checks reached the threshold 3"}),
    ("rolled back, no failure reason: the run's", {"changed": True, "rolled_back": True, "revision": "rev2", "failure_reason": None},
     {"action": "done", "revision": "rev2", "outcome": "rolled back", "reason": "the run's reason"}),
    ("nothing to roll back (tidy): unchanged, the run's reason",
     {"changed": True, "rolled_back": False, "revision": "rev1", "failure_reason": "an older failure"},
     {"action": "done", "revision": "rev1", "outcome": "unchanged", "reason": "the run's reason"}),
]


@pytest.mark.parametrize("case, rollback, update", ROLLBACK, ids=[row[0] for row in ROLLBACK])
def test_merge_rollback(case, rollback, update):
    assert merge_rollback(dict(_run(20), reason="the run's reason"), rollback) == update, case


# ---------------------------------------------------------------- the filters

def test_filters_merge_the_decision_into_the_run():
    start = StartFilters().filters()["rollout_start"]
    step = StepFilters().filters()["rollout_step"]
    shifted = ShiftedFilters().filters()["rollout_shifted"]
    run = start({"started": 1.0, "history": [], "outcome": "", "reason": "", "resumed": []}, _info(), 3, "podinfo:6.1.0", "Initialized")
    assert (run["started"], run["action"], run["weight"]) == (1.0, "release", 0)
    run = step(run, WEIGHTS, 3, SKIPPED, SKIPPED)
    assert (run["action"], run["next_weight"], run["decision"]) == ("shift", 10, "weight 10%")
    run = shifted(run, {"weight": 10, "step": 1, "revision": "rev2"}, 600)
    assert (run["action"], run["weight"], run["next_weight"], run["started"]) == ("shift", 10, 10, 1.0)
    run = step(run, WEIGHTS, 3)  # no checks, no rollback hooks registered
    assert run["action"] == "shift" and run["history"][-1]["line"].startswith("step 1 of 3 at weight 10% (")
    assert run["history"][-1]["line"].endswith(" elapsed): no checks")


@pytest.mark.parametrize("value, number", [(3, 3), ("3", 3), ("3.0", 3), (2.7, 2), (None, 0), ("", 0), ("x", 0)])
def test_as_int_is_jinjas_int(value, number):
    assert as_int(value) == number


def test_filters_merge_the_outcome_into_the_run():
    gate = GateFilters().filters()["rollout_gate"]
    pre_rollout = PreRolloutFilters().filters()["rollout_pre_rollout"]
    promoted = PromotedFilters().filters()["rollout_promoted"]
    rolled_back = RolledBackFilters().filters()["rollout_rolled_back"]
    run = dict(_run(0), started=1.0, reason="")
    assert gate(run, SKIPPED, "confirm-rollout") == run
    assert pre_rollout(run, {}, THRESHOLD, True)["action"] == "promote"
    run = pre_rollout(run, PRE_ROLLOUT_FAILED, THRESHOLD, False)
    assert (run["started"], run["action"], run["failed_checks"]) == (1.0, "rollback", 3)
    run = rolled_back(run, {"rolled_back": True, "revision": "rev2", "failure_reason": None})
    assert (run["started"], run["outcome"], run["reason"]) == (1.0, "rolled back", run["reason"])
    assert run["reason"].startswith("3 failed checks")
    run = promoted(dict(run, action="promote"), {"phase": "Succeeded", "revision": "rev2"}, "Progressing")
    assert (run["started"], run["action"], run["outcome"], run["resumed"]) == (1.0, "done", "promoted", [])


def test_a_decision_is_merged_into_a_copy_of_the_run_record():
    run = {"action": "release", "weight": 10, "resumed": []}
    assert merged(run, {"action": "shift", "next_weight": 20}) == {
        "action": "shift", "weight": 10, "resumed": [], "next_weight": 20}
    assert run == {"action": "release", "weight": 10, "resumed": []}


# Check mode's report, every branch planned.j2 had: (init would change, image would change, the run's start fields) -> what a real run would do.
PLANNED = [
    ("new canary with an image", True, True, {"action": "release", "weight": 0, "revision": None},
     "put Deployment test/podinfo under canary management, then set image podinfo:2 and release it: analysis at weights 10, 20"),
    ("image set on a managed canary", False, True, {"action": "none", "revision": "r1"},
     "set image podinfo:2 and release it: analysis at weights 10, 20"),
    ("pending revision", False, False, {"action": "release", "weight": 0, "revision": "r2"},
     "release revision r2: analysis at weights 10, 20"),
    ("resumed analysis", False, False, {"action": "release", "weight": "20", "revision": "r2"},
     "release revision r2: analysis at weights 10, 20 from weight 20"),
    ("promotion without analysis", False, False, {"action": "promote", "revision": "r2"}, "promote revision r2 without analysis"),
    ("rollback", False, False, {"action": "rollback", "revision": "r2", "reason": "failed checks 5/5"},
     "roll back revision r2: failed checks 5/5"),
    ("tidy", False, False, {"action": "tidy", "revision": "r2", "reason": "a rollback left the canary up"},
     "roll back revision r2: a rollback left the canary up"),
    ("nothing, with a reason", False, False, {"action": "none", "revision": "r1", "reason": "revision r1 failed before"},
     "nothing: revision r1 failed before"),
    ("nothing, promoted", False, False, {"action": "none", "revision": "r1"}, "nothing: revision r1 is the promoted one"),
    ("init only", True, False, {"action": "none", "revision": "r1"}, "put Deployment test/podinfo under canary management"),
]


@pytest.mark.parametrize("case, init_changed, image_changed, run, would", PLANNED, ids=[row[0] for row in PLANNED])
def test_check_mode_says_what_a_real_run_would_do(case, init_changed, image_changed, run, would):
    rollout_planned = PlannedFilters().filters()["rollout_planned"]
    planned = rollout_planned(dict(run, resumed=[]), "test/podinfo", [10, 20], init_changed, image_changed, "podinfo:2")
    assert (planned["action"], planned["outcome"]) == ("done", "checked"), case
    assert planned["reason"] == "check mode, nothing written; a real run would " + would
    assert planned["resumed"] == [], "the rest of the run record is kept"


def test_a_failed_advance_step_is_an_error_with_its_message():
    run = {"weight": 20, "action": "shift", "history": [{"step": 1}]}
    assert failed_step(run, {"failed": True, "msg": "the lease of test/podinfo-canary-state was taken over"}) == {
        "action": "error", "reason": "canary_advance failed: the lease of test/podinfo-canary-state was taken over"}
