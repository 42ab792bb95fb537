"""playbooks/fleet/rollout.yml on the release sandbox: N canaries in one play, one inventory host per canary
(``connection: local``), forks 10, steps 50/100, interval 1 s, no metric checks (the controller's cost, not
Prometheus'); wall(N) / wall(1); the same play under ``strategy: free``; and one bad canary among five, with the
builtin checks on live traffic, to show what a failure in one canary does to the others."""
import os

import yaml

from tests.e2e.rollout_scenario import NEW_IMAGE, PLAYBOOKS, SANDBOX, rollout_result
from tests.integration.canary_scenario import reset_request_log

from bench.playbook_runs import run_playbook
from bench.release_sandbox import BUILTIN_CHECKS
from bench.release_steps import analysis
from bench.operations import settled_records
from bench.step_anatomy import PODINFO_STATE, request_counts

FLEET_PLAYBOOK = PLAYBOOKS / "fleet" / "rollout.yml"
FORKS = 10
SIZES = (1, 10, 20)
FREE_SIZE = 10
IMAGES = ["stefanprodan/podinfo:3.1.%d" % patch for patch in range(1, 9)]
# Variables each host carries in the generated inventory; everything else is shared (extra vars).
PER_HOST = ("rollout_namespace",)


class FleetBenchError(RuntimeError):
    """A fleet run did not end as the scenario needs."""


def _write_inventory(path, canaries):
    hosts = {"canary-%02d" % (number + 1): {key: canary.release_vars()[key] for key in PER_HOST}
             for number, canary in enumerate(canaries)}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"canaries": {"hosts": hosts}}, handle)


def run_fleet(sandbox, canaries, name, strategy="linear", **overrides):
    """The fleet play over ``canaries`` (overrides: shared role variables): (PlaybookRun, {host: rollout_result})."""
    run_dir = os.path.join(sandbox.root, name)
    os.makedirs(run_dir)
    inventory = os.path.join(run_dir, "inventory.yml")
    _write_inventory(inventory, canaries)
    shared = {key: value for key, value in canaries[0].release_vars(**overrides).items() if key not in PER_HOST}
    run = run_playbook(FLEET_PLAYBOOK, run_dir, shared, inventory=inventory, options=("-f", str(FORKS)),
                       env={"ANSIBLE_STRATEGY": strategy})
    results = {}
    for host in ["canary-%02d" % (number + 1) for number in range(len(canaries))]:
        results[host] = rollout_result([run.host_results(host)])
    return run, results


def _first_error(run):
    for play in run.report.get("plays", []):
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    return "%s on %s: %s" % (task["task"]["name"], host, result.get("msg"))
    return run.output[-1500:]


def _task_starts(run):
    return sum(1 for event in run.timeline if event["event"] == "start")


def bench_fleet(sandbox):
    """Wall time of a 2-step release of N canaries for each of SIZES, and of FREE_SIZE under strategy free."""
    canaries = [sandbox.canary(traffic=False) for _number in range(max(SIZES))]
    init, _results = run_fleet(sandbox, canaries, "init")
    if init.returncode != 0:
        raise FleetBenchError("the fleet's init failed: %s" % _first_error(init))
    release_analysis = analysis(50, [])
    images = iter(IMAGES)
    measured = {"sizes": {}}
    for size in SIZES:
        reset_request_log(sandbox.emulator)
        run, results = run_fleet(sandbox, canaries[:size], "release-%d" % size, rollout_image=next(images),
                                 rollout_analysis=release_analysis)
        if size == 1:   # the API requests of one canary's whole release (the mesh simulator's lists left out)
            measured["requests_of_one_release"] = request_counts(settled_records(sandbox.emulator), PODINFO_STATE)
        outcomes = sorted(set((result or {}).get("outcome") for result in results.values()))
        if run.returncode != 0 or outcomes != ["promoted"]:
            raise FleetBenchError("fleet of %d: exit %d, outcomes %s: %s" % (size, run.returncode, outcomes, _first_error(run)))
        measured["sizes"][str(size)] = run.seconds
        measured.setdefault("task_starts", {})[str(size)] = _task_starts(run)
    run, results = run_fleet(sandbox, canaries[:FREE_SIZE], "release-free-%d" % FREE_SIZE, strategy="free",
                             rollout_image=next(images), rollout_analysis=release_analysis)
    promoted = sum(1 for result in results.values() if (result or {}).get("outcome") == "promoted")
    measured["free"] = {"size": FREE_SIZE, "returncode": run.returncode, "seconds": run.seconds, "promoted": promoted,
                        "not_promoted": FREE_SIZE - promoted, "error": None if promoted == FREE_SIZE else _first_error(run),
                        # linear announces each task once for all hosts, free once per host: proof the strategy applied
                        "task_starts": _task_starts(run)}
    return measured


def bench_one_bad_canary(sandbox, size=5):
    """``size`` canaries with traffic and the builtin checks, the last one answering 10 % errors: {host: outcome},
    the play's exit code and recap."""
    canaries = [sandbox.canary(traffic=True) for _number in range(size)]
    init, _results = run_fleet(sandbox, canaries, "init-bad")
    if init.returncode != 0:
        raise FleetBenchError("the fleet's init failed: %s" % _first_error(init))
    canaries[-1].patch_template(annotations={SANDBOX + "error-rate": "0.1"})
    release_analysis = dict(analysis(50, BUILTIN_CHECKS), threshold=2)
    run, results = run_fleet(sandbox, canaries, "release-bad", rollout_image=NEW_IMAGE, rollout_analysis=release_analysis)
    outcomes = {host: (result or {}).get("outcome") for host, result in results.items()}
    bad_host = "canary-%02d" % size
    return {"returncode": run.returncode, "seconds": run.seconds, "outcomes": outcomes, "stats": run.stats(),
            "healthy_not_promoted": sum(1 for host, outcome in outcomes.items() if host != bad_host and outcome != "promoted"),
            "bad_not_rolled_back": int(outcomes[bad_host] != "rolled back"),
            "bad_message": _first_error(run)}
