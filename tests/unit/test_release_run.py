"""The sequence canary_advance's action makes of a run carried to its end (plugin_utils/release_run.py): which of the
collection's modules it calls, with what, in which order, and the run record it ends with, for each of the role's
decisions. The modules themselves answer as scripted here (their own behaviour is tested against the sandbox, and the
whole sequence through the role in tests/e2e: outcomes, webhooks, resume, lease)."""
import pytest

from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import module_name
from ansible_collections.progressive.canary.plugins.plugin_utils.release_run import ReleaseRun, RollbackFailed, finish_options

SHARED = {"target": "podinfo", "namespace": "test", "lease_holder": "run-1", "lease_seconds": 300, "provider": "istio",
          "kubeconfig": "/tmp/kubeconfig", "alerts": []}
PROMOTED = {"changed": True, "phase": "Succeeded", "revision": "rev-2", "actions": ["promote"]}
ROLLED_BACK = {"changed": True, "rolled_back": True, "revision": "rev-2", "failure_reason": "2 failed checks", "actions": ["rollback"]}
SHIFTED = {"changed": True, "weight": 0, "step": 0, "revision": "rev-2", "actions": ["scale up"]}


def hook(name, hook_type):
    return {"name": name, "type": hook_type, "url": "http://hooks.test/%s" % name}


class Modules(object):
    """The modules' answers, by short name (a list: one answer per call, the last one repeated), and every call made."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def __call__(self, module, arguments):
        name = module_name(module).rsplit(".", 1)[-1]
        self.calls.append((name, dict(arguments)))
        script = self.answers.get(name, [{}])
        return dict(script.pop(0) if len(script) > 1 else script[0])

    def names(self):
        return [name for name, _arguments in self.calls]


def release(modules, steps_run=None, running=True, **options):
    """(ReleaseRun, [the run record each steps call started from]); ``running``: True, False, or a list of answers."""
    arguments = dict(SHARED, run={}, finish=True, threshold=2, wait=1, ready_timeout=60, **options)
    steps = []
    answers = list(running) if isinstance(running, list) else None

    def run_steps(run):
        steps.append(run)
        history = list(run.get("history") or []) + [{"step": 1, "weight": 50, "line": "step 1"}]
        return {"run": dict(run, history=history, **(steps_run or {"action": "promote"})), "changed": True,
                "actions": ["step"]}

    def still_running():
        return answers.pop(0) if answers else running if answers is None else True

    return ReleaseRun(finish_options(arguments), modules, run_steps, still_running), steps


def test_a_release_scales_up_runs_the_steps_and_promotes():
    modules = Modules(canary_shift=[SHIFTED], canary_promote=[PROMOTED])
    runner, steps = release(modules)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2", "resumed": []})
    assert modules.names() == ["canary_shift", "canary_promote"]
    assert run["action"] == "done" and run["outcome"] == "promoted" and run["revision"] == "rev-2"
    assert len(steps) == 1 and steps[0]["action"] == "shift"
    shift = modules.calls[0][1]
    assert shift["weight"] == 0 and shift["ready_timeout"] == 60
    assert {key: shift[key] for key in SHARED if key != "alerts"} == {key: value for key, value in SHARED.items() if key != "alerts"}
    assert "alerts" not in shift, "only to the modules that take it"


def test_the_gates_and_hooks_are_asked_in_flaggers_order_and_only_those_defined():
    webhooks = [hook("ask", "confirm-rollout"), hook("smoke", "pre-rollout"), hook("approve", "confirm-promotion"),
                hook("tell", "post-rollout")]
    modules = Modules(canary_webhook=[{"passed": True}], canary_analysis=[{"passed": True}], canary_shift=[SHIFTED],
                      canary_promote=[PROMOTED])
    runner, _steps = release(modules, webhooks=webhooks, phase_before="Succeeded")
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2", "resumed": []})
    assert modules.names() == ["canary_webhook", "canary_shift", "canary_analysis", "canary_webhook", "canary_promote",
                               "canary_webhook"]
    types = [arguments.get("type") or arguments.get("webhook_type") for _name, arguments in modules.calls]
    assert types == ["confirm-rollout", None, "pre-rollout", "confirm-promotion", None, "post-rollout"]
    gate = modules.calls[0][1]
    assert gate["phase"] == "Succeeded" and gate["target"] == "podinfo" and "provider" not in gate  # canary_webhook: name, alias target
    assert modules.calls[5][1]["phase"] == "Succeeded" and modules.calls[5][1]["checksum"] == "rev-2"
    assert all(arguments["fail_on_failure"] is False for name, arguments in modules.calls if name == "canary_webhook")
    assert run["outcome"] == "promoted"


def test_a_closed_rollout_gate_changes_nothing_and_ends_the_run_in_error():
    modules = Modules(canary_webhook=[{"passed": False, "msg": "not now"}])
    runner, steps = release(modules, webhooks=[hook("ask", "confirm-rollout")])
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names() == ["canary_webhook"] and steps == []
    assert run["action"] == "error" and "not now" in run["reason"]


def test_the_rollout_gate_is_not_asked_again_for_an_analysis_resumed_at_a_weight():
    modules = Modules(canary_shift=[dict(SHIFTED, weight=30)], canary_promote=[PROMOTED])
    runner, steps = release(modules, webhooks=[hook("ask", "confirm-rollout"), hook("smoke", "pre-rollout")])
    runner.to_the_end({"action": "release", "weight": 30, "revision": "rev-2", "resumed": []})
    assert modules.names() == ["canary_shift", "canary_promote"] and len(steps) == 1


def test_failing_pre_rollout_hooks_are_tried_each_interval_until_the_threshold_then_roll_back():
    failing = {"passed": False, "msg": "smoke failed", "state": {"failed_checks": 1}}
    modules = Modules(canary_shift=[SHIFTED], canary_analysis=[failing, dict(failing, state={"failed_checks": 2})],
                      canary_rollback=[ROLLED_BACK])
    runner, steps = release(modules, webhooks=[hook("smoke", "pre-rollout")], controller_pid=4242)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names() == ["canary_shift", "canary_analysis", "canary_lease", "canary_analysis", "canary_rollback"]
    hold = modules.calls[2][1]
    assert hold["state"] == "held" and hold["hold"] == 1 and hold["controller_pid"] == 4242
    assert steps == [] and run["outcome"] == "rolled back" and run["reason"] == "2 failed checks"


def test_a_skipped_analysis_promotes_once_the_canary_is_up():
    modules = Modules(canary_shift=[SHIFTED], canary_promote=[PROMOTED])
    runner, steps = release(modules, skip_analysis=True)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2", "resumed": []})
    assert modules.names() == ["canary_shift", "canary_promote"] and steps == [] and run["outcome"] == "promoted"


def test_a_canary_not_ready_in_time_rolls_back_without_steps():
    modules = Modules(canary_shift=[{"failed": True, "ready": False, "msg": "0/2 ready"}], canary_rollback=[ROLLED_BACK])
    runner, steps = release(modules)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names() == ["canary_shift", "canary_rollback"] and steps == []
    assert "progress deadline" in modules.calls[1][1]["reason"] and run["outcome"] == "rolled back"


def test_the_steps_deciding_rollback_roll_back_and_tell_the_post_rollout_hooks():
    modules = Modules(canary_shift=[SHIFTED], canary_rollback=[ROLLED_BACK], canary_webhook=[{"passed": False}])
    runner, _steps = release(modules, steps_run={"action": "rollback", "reason": "2 failed checks reached the threshold"},
                             webhooks=[hook("tell", "post-rollout")], route_settle_seconds=0.0)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names() == ["canary_shift", "canary_rollback", "canary_webhook"]
    assert modules.calls[1][1]["reason"] == "2 failed checks reached the threshold" and modules.calls[1][1]["route_settle_seconds"] == 0.0
    assert modules.calls[2][1]["phase"] == "Failed"
    assert run["outcome"] == "rolled back", "a failed post-rollout hook is only reported"


def test_a_closed_promotion_gate_rolls_back():
    modules = Modules(canary_webhook=[{"passed": False, "msg": "no"}], canary_rollback=[ROLLED_BACK])
    runner, _steps = release(modules, webhooks=[hook("approve", "confirm-promotion")])
    run = runner.to_the_end({"action": "promote", "revision": "rev-2"})
    assert modules.names() == ["canary_webhook", "canary_rollback"]
    assert "confirm-promotion gate stayed closed" in modules.calls[1][1]["reason"] and run["outcome"] == "rolled back"


def test_finishing_a_killed_runs_promotion_asks_no_gate_and_notes_it():
    modules = Modules(canary_promote=[PROMOTED])
    runner, _steps = release(modules, webhooks=[hook("approve", "confirm-promotion")], resuming=True, phase_before="Promoting")
    run = runner.to_the_end({"action": "promote", "resumed": []})
    assert modules.names() == ["canary_promote"] and run["resumed"] == ["the promotion (phase Promoting)"]


def test_a_promotion_that_did_not_finish_is_an_error_a_rerun_continues():
    modules = Modules(canary_promote=[{"failed": True, "msg": "primary not ready"}])
    runner, _steps = release(modules, webhooks=[hook("tell", "post-rollout")])
    run = runner.to_the_end({"action": "promote", "revision": "rev-2"})
    assert modules.names() == ["canary_promote"], "no post-rollout hook for a promotion that did not finish"
    assert run["action"] == "error" and "primary not ready" in run["reason"]


@pytest.mark.parametrize("action", ["rollback", "tidy"])
def test_a_decided_rollback_or_tidy_rolls_back_only(action):
    modules = Modules(canary_rollback=[{"changed": False, "rolled_back": False, "revision": "rev-1"}])
    runner, steps = release(modules, webhooks=[hook("tell", "post-rollout")])
    run = runner.to_the_end({"action": action, "reason": "back to the promoted revision"})
    assert modules.names() == ["canary_rollback"] and steps == []
    assert run["outcome"] == "unchanged" and run["reason"] == "back to the promoted revision"


def test_a_failed_rollback_fails_the_task_with_the_steps_it_made():
    modules = Modules(canary_shift=[SHIFTED], canary_rollback=[{"failed": True, "msg": "forbidden"}])
    runner, _steps = release(modules, steps_run={"action": "rollback", "reason": "2 failed checks"})
    with pytest.raises(RollbackFailed, match="forbidden") as failure:
        runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2", "history": []})
    assert failure.value.run["history"] == [{"step": 1, "weight": 50, "line": "step 1"}]


@pytest.mark.parametrize("module, answers, webhooks", [
    ("canary_webhook", {"canary_webhook": [{"failed": True, "msg": "lease lost"}]}, [hook("ask", "confirm-rollout")]),
    ("canary_analysis", {"canary_shift": [SHIFTED], "canary_analysis": [{"failed": True, "msg": "lease lost"}]},
     [hook("smoke", "pre-rollout")]),
    ("canary_lease", {"canary_shift": [SHIFTED], "canary_analysis": [{"passed": False, "state": {"failed_checks": 1}}],
                      "canary_lease": [{"failed": True, "msg": "lease lost"}]}, [hook("smoke", "pre-rollout")]),
], ids=["gate", "pre-rollout hooks", "lease hold between tries"])
def test_a_module_that_fails_ends_the_run_in_error_with_nothing_more_done(module, answers, webhooks):
    """As a failed task of the role ended the block: a failed call is never read as a gate that opened or a hook
    that passed."""
    modules = Modules(**answers)
    runner, steps = release(modules, webhooks=webhooks)
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names()[-1] == module and steps == []
    assert run["action"] == "error" and run["reason"] == "progressive.canary.%s failed: lease lost" % module


def test_a_confirm_promotion_call_that_fails_does_not_promote():
    modules = Modules(canary_webhook=[{"failed": True, "msg": "API error"}])
    runner, _steps = release(modules, webhooks=[hook("approve", "confirm-promotion")])
    run = runner.to_the_end({"action": "promote", "revision": "rev-2"})
    assert modules.names() == ["canary_webhook"] and run["action"] == "error"


def test_failing_post_rollout_hooks_and_alerts_are_warnings():
    modules = Modules(canary_promote=[PROMOTED], canary_webhook=[{"passed": False, "msg": "slack said 500"}],
                      canary_notify=[{"failed": True, "msg": "bad alert"}])
    runner, _steps = release(modules, webhooks=[hook("tell", "post-rollout")],
                             alerts=[{"name": "ops", "type": "slack", "url": "https://hooks.test/x"}])
    run = runner.to_the_end({"action": "promote", "revision": "rev-2", "resumed": []})
    assert run["outcome"] == "promoted"
    assert runner.warnings == ["post-rollout hooks: slack said 500", "alerts of the release promoted: bad alert"]


def test_nothing_is_called_once_ansible_playbook_has_gone_during_a_gate():
    modules = Modules(canary_webhook=[{"passed": True}])
    runner, steps = release(modules, running=[True, False], webhooks=[hook("ask", "confirm-rollout")])
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2"})
    assert modules.names() == ["canary_webhook"] and steps == [], "no scale-up after the gate"
    assert run["action"] == "error" and "ansible-playbook has gone" in run["reason"]


def test_nothing_more_is_done_once_ansible_playbook_has_gone():
    modules = Modules()
    runner, _steps = release(modules, running=False)
    run = runner.to_the_end({"action": "promote", "revision": "rev-2"})
    assert modules.names() == [] and run["action"] == "error" and "ansible-playbook has gone" in run["reason"]


def test_nothing_to_do_calls_nothing():
    modules = Modules()
    runner, steps = release(modules)
    assert runner.to_the_end({"action": "done", "outcome": "unchanged"}) == {"action": "done", "outcome": "unchanged"}
    assert modules.names() == [] and steps == []


def test_invalid_arguments_are_left_to_the_module():
    assert finish_options({"target": "podinfo", "namespace": "test", "threshold": "many"}) is None
    assert finish_options({"target": "podinfo", "namespace": "test"}) is None  # threshold is required


def test_with_alerts_the_start_and_the_end_of_a_release_are_told():
    modules = Modules(canary_shift=[SHIFTED], canary_promote=[PROMOTED], canary_notify=[{"changed": False}])
    runner, _steps = release(modules, alerts=[{"name": "ops", "type": "slack", "url": "https://hooks.test/x"}])
    run = runner.to_the_end({"action": "release", "weight": 0, "revision": "rev-2", "image": "podinfo:6.1",
                             "plan": "weights 50, 100", "started": "1700000000.5", "resumed": []})
    assert modules.names() == ["canary_notify", "canary_shift", "canary_promote", "canary_notify"]
    started, ended = modules.calls[0][1], modules.calls[3][1]
    assert started["event"] == "started" and started["fields"] == {"Revision": "rev-2", "Image": "podinfo:6.1",
                                                                   "Plan": "weights 50, 100"}
    assert ended["event"] == "promoted" and list(ended["fields"]) == ["Revision", "Duration"]
    assert ended["fields"]["Duration"].endswith("s") and started["target"] == "podinfo" and started["alerts"]
    assert run["outcome"] == "promoted"


def test_a_rollback_is_told_with_its_reason_and_an_error_is_not_told():
    alerts = [{"name": "ops", "type": "slack", "url": "https://hooks.test/x"}]
    modules = Modules(canary_rollback=[ROLLED_BACK], canary_notify=[{}])
    runner, _steps = release(modules, alerts=alerts)
    runner.to_the_end({"action": "rollback", "reason": "x", "revision": "rev-2", "started": "1700000000"})
    assert modules.names() == ["canary_rollback", "canary_notify"]
    assert modules.calls[1][1]["event"] == "rolled_back" and modules.calls[1][1]["reason"] == "2 failed checks"

    modules = Modules(canary_promote=[{"failed": True, "msg": "primary not ready"}], canary_notify=[{}])
    runner, _steps = release(modules, alerts=alerts)
    assert runner.to_the_end({"action": "promote", "revision": "rev-2"})["action"] == "error"
    assert modules.names() == ["canary_promote"]
