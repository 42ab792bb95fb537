"""The result of a release run (module_utils/run_result.py, the rollout_result filter): what the role returns as
rollout_result and prints as its summary, for each way a run ends."""
from ansible_collections.progressive.canary.plugins.filter.rollout_result import FilterModule
from ansible_collections.progressive.canary.plugins.module_utils.run_result import run_result

STEP_1 = {"step": 1, "weight": 50, "passed": True, "line": "step 1 of 2 at weight 50%: pass -> weight 100%"}
STEP_2 = {"step": 2, "weight": 100, "passed": True, "line": "step 2 of 2 at weight 100%: pass -> promote"}


def test_a_promoted_release():
    run = {"action": "done", "outcome": "promoted", "revision": "5d8f", "started": "100.0", "history": [STEP_1, STEP_2],
           "resumed": [], "reason": "", "failed_checks": 0}
    result = run_result(run, "test/podinfo", "podinfo:6.1", 112.34)
    assert result == {"outcome": "promoted", "revision": "5d8f", "image": "podinfo:6.1", "steps": [STEP_1, STEP_2],
                      "failed_checks": 0, "reason": "", "resumed": [], "strategy": "progressive traffic shifting",
                      "duration_seconds": 12.3,
                      "summary": ["canary test/podinfo: promoted, revision 5d8f (image podinfo:6.1), 12.3 s",
                                  STEP_1["line"], STEP_2["line"]]}


def test_a_rollback_after_a_resume_with_a_restart_note_and_a_strategy():
    note = {"note": "new revision 6e0a arrived during the analysis: restarted at weight 0"}
    run = {"action": "done", "outcome": "rolled back", "revision": "6e0a", "started": 100, "history": [STEP_1, note],
           "resumed": ["the analysis at weight 50%"], "reason": "2 failed checks reached the threshold 2",
           "failed_checks": 2, "strategy": "A/B testing (header x-canary)"}
    result = run_result(run, "test/podinfo", "", 130)
    assert result["summary"] == ["canary test/podinfo: rolled back, revision 6e0a by A/B testing (header x-canary), 30.0 s",
                                 "resumed the analysis at weight 50%", STEP_1["line"], note["note"],
                                 "reason: 2 failed checks reached the threshold 2"]
    assert result["steps"] == [STEP_1] and result["image"] is None and result["failed_checks"] == 2


def test_an_error_and_nothing_to_release():
    error = run_result({"action": "error", "reason": "canary_promote did not finish", "started": 1, "history": [],
                        "resumed": []}, "test/podinfo", "", 2)
    assert error["outcome"] == "error" and error["summary"][-1] == "reason: canary_promote did not finish"
    promoted_one = run_result({"action": "none", "revision": "5d8f", "started": 1, "history": [], "resumed": []},
                              "test/podinfo", "", 2)
    assert promoted_one["outcome"] == "unchanged"
    assert promoted_one["reason"] == "revision 5d8f is the promoted one: nothing to release"
    new = run_result({"action": "done", "outcome": "checked", "started": 1, "history": [], "resumed": [],
                      "reason": "check mode, nothing written"}, "test/podinfo", "", 2)
    assert new["summary"][0] == "canary test/podinfo: checked, 1.0 s", "no revision before the canary is managed"
    assert run_result({"action": "none", "started": 1}, "test/podinfo", "", 2)["reason"] == "nothing to release"


def test_the_filter_is_the_function():
    run = {"action": "done", "outcome": "promoted", "revision": "5d8f", "started": 1, "history": [], "resumed": []}
    assert FilterModule().filters()["rollout_result"](run, "test/podinfo", "", 3) == run_result(run, "test/podinfo", "", 3)
