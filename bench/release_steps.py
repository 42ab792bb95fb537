"""The rollout role's cost per analysis step (issue 10's first two figures) and a long release's flatness, measured
with playbooks/rollout.yml against the release sandbox (emulator, mesh traffic, live Prometheus).

Per step: two healthy releases of the same canary, one with step_weight 50 (2 steps: 50, 100) then one with 10
(10 steps), max_weight 100, interval 1 s; (T[10] − T[2]) / 8 − interval is the time a step costs beyond its
interval, and the same difference of the request logs / 8 the API requests of one steady step (checks + weight)."""
from tests.e2e.rollout_scenario import NEW_IMAGE, PLAYBOOKS, rollout_result
from tests.integration.canary_scenario import reset_request_log

from bench import step_anatomy
from bench.operations import settled_records
from bench.playbook_runs import run_playbook
from bench.release_sandbox import BUILTIN_CHECKS

INTERVAL_SECONDS = 1
# (step_weight, steps it makes up to max_weight 100, image released).
RELEASES = ((50, 2, NEW_IMAGE), (10, 10, "stefanprodan/podinfo:3.1.2"))
# metrics variant -> the role's rollout_analysis.metrics. The checks pass on no data: with 1 s intervals the first step
# after the canary started may come before Prometheus has scraped its first requests, and a hold there would add a
# step to one release and not the other (the queries are sent and judged all the same).
METRICS = {"no_checks": [], "builtin_checks": [dict(check, on_no_data="pass") for check in BUILTIN_CHECKS]}
LONG_STEPS = 50
# Steps compared at both ends of the long release.
ENDS = 5


class ReleaseFailed(RuntimeError):
    """A release that should have been promoted was not: its timings would be meaningless."""


def analysis(step_weight, metrics):
    return {"interval": "%ds" % INTERVAL_SECONDS, "threshold": 5, "step_weight": step_weight, "max_weight": 100, "metrics": metrics}


def _plays(run):
    return [[task["hosts"]["localhost"] for task in play["tasks"]] for play in run.report["plays"]]


def run_rollout(canary, name, **overrides):
    """playbooks/rollout.yml for ``canary`` (overrides: the role's variables); returns (PlaybookRun, rollout_result)."""
    run = run_playbook(PLAYBOOKS / "rollout.yml", "%s/%s" % (canary.tmp_path, name), canary.release_vars(**overrides))
    result = rollout_result(_plays(run))
    if run.returncode != 0:
        raise ReleaseFailed("%s failed (%d): %s\n%s" % (name, run.returncode, result and result.get("summary"), run.output[-3000:]))
    return run, result


def release(sandbox, canary, name, image, release_analysis, steps):
    """A healthy release that must be promoted after ``steps`` steps: (PlaybookRun, its requests by kind)."""
    reset_request_log(sandbox.emulator)
    run, result = run_rollout(canary, name, rollout_image=image, rollout_analysis=release_analysis)
    if result["outcome"] != "promoted" or len(result["steps"]) != steps:
        raise ReleaseFailed("%s: %s after %d steps (wanted promoted after %d): %s" % (
            name, result["outcome"], len(result["steps"]), steps, result["summary"]))
    return run, step_anatomy.request_counts(settled_records(sandbox.emulator), step_anatomy.PODINFO_STATE)


def measure_steps(sandbox, variant):
    """One pass of the per-step figures with METRICS[variant]: seconds and requests per step beyond the interval,
    and the anatomy of the long release's steps."""
    metrics = METRICS[variant]
    canary = sandbox.canary(traffic=bool(metrics))  # no traffic: no mesh reads in the request log
    run_rollout(canary, "init")
    measured = {}
    for step_weight, steps, image in RELEASES:
        measured[steps] = release(sandbox, canary, "release-%d-steps" % steps, image, analysis(step_weight, metrics), steps)
    (short_run, short_requests), (long_run, long_requests) = measured[RELEASES[0][1]], measured[RELEASES[1][1]]
    extra_steps = RELEASES[1][1] - RELEASES[0][1]
    return {
        "seconds_beyond_interval": (long_run.seconds - short_run.seconds) / extra_steps - INTERVAL_SECONDS,
        "wall_seconds": {str(RELEASES[0][1]): short_run.seconds, str(RELEASES[1][1]): long_run.seconds},
        "requests_per_step": step_anatomy.per_step(long_requests, short_requests, extra_steps),
        "requests": {str(RELEASES[0][1]): short_requests, str(RELEASES[1][1]): long_requests},
        "typical_step": step_anatomy.typical_step(step_anatomy.steps(_plays(long_run), long_run.timeline)),
    }


def measure_long_release(sandbox):
    """A release of LONG_STEPS steps (step_weight 2, no metric checks): each step's seconds and the controller's
    resident memory at its start, and both ends compared."""
    canary = sandbox.canary(traffic=False)
    run_rollout(canary, "init")
    run, _requests = release(sandbox, canary, "release-%d-steps" % LONG_STEPS, NEW_IMAGE, analysis(100 // LONG_STEPS, []), LONG_STEPS)
    found = step_anatomy.steps(_plays(run), run.timeline)
    first, last = found[:ENDS], found[-ENDS:]
    return {
        "wall_seconds": run.seconds,
        "step_seconds": [step["seconds"] for step in found],
        "first_steps_seconds": step_anatomy.typical_step(first)["seconds"],
        "last_steps_seconds": step_anatomy.typical_step(last)["seconds"],
        # The controller's resident memory when the analysis task started and when it ended (the next task started).
        "first_step_rss_mib": found[0]["rss_kib_before"] / 1024.0,
        "last_step_rss_mib": found[-1]["rss_kib_after"] / 1024.0,
        "steps_measured": len(found),
    }
