"""One run at a time on a canary, through the real playbooks: the rollout role holds the canary's lease for its whole
run (renewed while it waits the interval), so a second rollout or a cleanup started meanwhile waits for it or
fails naming it, and never acts on the canary before the first run ended. A run killed with its controller leaves a
lease that is taken over at once from the same host (its processes are gone), or once it expired from elsewhere."""
import datetime
import json
import time

from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, SANDBOX, failure_message, needs_crds
from tests.sandbox.fixtures_api import wait_for

pytestmark = needs_crds
# Long enough an analysis for a second run to start while the first one still holds the lease.
SLOW_ANALYSIS = {"interval": "5s", "threshold": 3, "step_weight": 20, "max_weight": 60,
                 "metrics": [{"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}}]}


def _in_analysis(podinfo):
    state = podinfo.state()
    return state is not None and state["phase"] == "Progressing" and state["canary_weight"] > 0 and state["lease"]


def _lease_waited_for(plays, holder):
    """The message of the task saying which run holds the lease (None when the run did not wait)."""
    for task in (task for play in plays for task in play):
        message = task.get("msg")
        if isinstance(message, str) and holder in message and ("This run waits up to" in message or "The cleanup waits up to" in message):
            return message
    return None


def test_a_second_rollout_waits_for_the_first_or_fails_naming_it_and_nothing_is_counted_twice(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE, annotations={SANDBOX + "error-rate": "0.1"})

    first = podinfo.start(rollout_analysis=SLOW_ANALYSIS)
    wait_for(lambda: _in_analysis(podinfo) or not first.running(), timeout=240, what="the first rollout in its analysis")
    holder = podinfo.state()["lease"]["holder"]
    assert podinfo.state()["lease"]["operation"] == "rollout" and podinfo.state()["lease"]["scope"] == "run"
    waiting = podinfo.start(rollout_analysis=SLOW_ANALYSIS, rollout_lease_wait=600)
    refused_code, refused, refused_plays, output = podinfo.run(rollout_analysis=SLOW_ANALYSIS, rollout_lease_wait=0)
    assert first.running(), "the first rollout still runs: the second one was refused because of it"

    assert refused_code != 0 and refused is None, output
    message = failure_message(refused_plays)
    assert "locked by %s (operation rollout" % holder in message and "until " in message, message
    assert "still runs" in message, message

    returncode, result, _plays, output = first.finish()
    assert returncode != 0 and result["outcome"] == "rolled back", output
    assert result["failed_checks"] == 3 == podinfo.state()["failed_checks"], "each failed check counted once"
    weights = [step["weight"] for step in result["steps"]]
    assert weights and weights == sorted(weights), "weights from one run only: %s" % weights

    returncode, result, plays, output = waiting.finish()
    assert _lease_waited_for(plays, holder), "the second run said which run it waited for:\n" + output
    assert result["steps"] == [] and result["resumed"] == [], "the second run found the analysis finished: %s" % result
    state = podinfo.state()
    assert state["phase"] == "Failed" and state["failed_checks"] == 3 and state["lease"] is None
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0} and podinfo.image("podinfo-primary") == OLD_IMAGE


def test_a_cleanup_during_a_rollout_refuses_or_waits_and_the_rollout_finishes(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE)

    rollout = podinfo.start(rollout_analysis=SLOW_ANALYSIS)
    wait_for(lambda: _in_analysis(podinfo) or not rollout.running(), timeout=240, what="the rollout in its analysis")
    holder = podinfo.state()["lease"]["holder"]
    waiting_cleanup = podinfo.start(playbook="cleanup", rollout_lease_wait=600)
    returncode, _result, plays, output = podinfo.run(playbook="cleanup", rollout_lease_wait=0)
    assert rollout.running(), "the rollout still runs: the cleanup was refused because of it"
    assert returncode != 0, output
    assert "locked by %s (operation rollout" % holder in failure_message(plays)
    assert podinfo.get("Deployment", "podinfo-primary") is not None and podinfo.state()["lease"]["holder"] == holder

    returncode, result, _plays, output = rollout.finish()
    assert returncode == 0 and result["outcome"] == "promoted", output
    assert [step["weight"] for step in result["steps"]] == [20, 40, 60]

    returncode, _result, plays, output = waiting_cleanup.finish()
    assert returncode == 0, output
    assert _lease_waited_for(plays, holder), "the cleanup said which run it waited for:\n" + output
    assert podinfo.state() is None and podinfo.names("Deployment") == ["podinfo"]
    assert podinfo.image("podinfo") == NEW_IMAGE, "the cleanup gave back the promoted release"
    assert podinfo.mesh.counts(podinfo.apex_host)["failed"] == 0


def test_a_rollout_killed_with_its_controller_in_the_interval_leaves_a_lease_the_next_run_takes_over(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE)

    seen = podinfo.run_killed_when(lambda state: state.get("phase") == "Progressing" and state.get("canary_weight", 0) > 0,
                                   "the analysis", rollout_lease_seconds=20)
    killed = podinfo.state()["lease"]
    assert killed and killed["holder"].startswith("rollout/") and seen["canary_weight"] > 0
    expires = datetime.datetime.strptime(killed["expires"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires <= datetime.datetime.utcnow() + datetime.timedelta(seconds=21), "the lease is bounded by rollout_lease_seconds"
    returncode, _result, _plays, output = podinfo.run(playbook="status")
    assert returncode == 0 and "locked by %s (operation rollout) until %s" % (killed["holder"], killed["expires"]) in output, output

    # From this host the killed controller is seen gone: the next run takes the lease over without waiting.
    returncode, result, _plays, output = podinfo.run(rollout_lease_wait=0)
    assert returncode == 0 and result["outcome"] == "promoted", output
    assert "took the lease of podinfo-canary-state over from %s" % killed["holder"] in output
    assert "on this host ended" in output
    assert podinfo.state()["lease"] is None


def test_a_lease_out_of_sight_is_waited_for_until_it_expires(podinfo):
    podinfo.load()
    podinfo.run()
    podinfo.patch_template(image=NEW_IMAGE)
    podinfo.run_killed_when(lambda state: state.get("phase") == "Progressing" and state.get("canary_weight", 0) > 0,
                            "the analysis", rollout_lease_seconds=15)
    # As if the killed run's controller ran in another pod (an AWX job): nothing here can tell it is gone.
    config_map = podinfo.get("ConfigMap", "podinfo-canary-state")
    state = podinfo.state()
    state["lease"]["node"] = "another-boot/pid:[1]"
    state["lease"]["host"] = "awx-job-41"
    # Expiring well after the next run starts, however slow the machine: the killed run's own expiry may be past.
    state["lease"]["expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30))
    config_map["data"]["state.json"] = json.dumps(state)
    status, body = podinfo.emulator.request("PUT", podinfo.path("ConfigMap", "podinfo-canary-state"), config_map)
    assert status == 200, body

    returncode, result, plays, output = podinfo.run(rollout_lease_wait=120)
    assert returncode == 0 and result["outcome"] == "promoted", output
    said = _lease_waited_for(plays, state["lease"]["holder"])
    assert said and "runs on host awx-job-41, out of sight from here" in said, output
    assert "its lease expired at %s" % state["lease"]["expires"] in output


def test_a_cleanup_killed_midway_is_rerun_without_waiting_for_its_lease(podinfo):
    podinfo.load(template_annotations={SANDBOX + "ready-seconds": "3"})
    podinfo.run()
    podinfo.run_killed_when(lambda state: (state.get("lease") or {}).get("operation") == "cleanup"
                            and podinfo.get("Deployment", "podinfo")["spec"]["replicas"] > 0,
                            "the cleanup waiting for the restored Deployment", playbook="cleanup", rollout_lease_seconds=600)
    lease = podinfo.state()["lease"]
    assert lease["operation"] == "cleanup" and lease["holder"].startswith("cleanup/")

    returncode, _result, _plays, output = podinfo.run(playbook="cleanup", rollout_lease_wait=0, rollout_lease_seconds=600)
    assert returncode == 0, output
    assert "took the lease of podinfo-canary-state over from %s (operation cleanup" % lease["holder"] in output
    assert podinfo.state() is None and podinfo.names("Deployment") == ["podinfo"]
    assert podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 2
