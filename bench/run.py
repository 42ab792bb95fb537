"""Measure progressive.canary against its budgets: ``python -m bench.run [--runs N] [--only PART ...]``.

Parts: ``operations`` (API requests and wall time per operation on the emulator), ``analysis`` (canary_analysis
against real Prometheus, directly and as ansible-playbook tasks), ``memory`` (peak RSS of module processes), and
issue 10's figures of the rollout role: ``steps`` (time and API requests per analysis step), ``shift_vs_k8s`` (a
canary_shift task vs a kubernetes.core.k8s patch), ``fleet`` (N canaries in one play, strategy free, one bad canary
among five), ``long_release`` (50 steps: time per step and controller memory at both ends), ``task_costs``
(where a step's time goes: imports, one more task of each kind, requests per module process) and ``include_depth``
(the controller's memory over 50 self-includes, as the role's steps once did, with and without a growing run record) and
``module_process`` (CPU seconds, peak RSS and requests of one module process on the light and on kubernetes.core's
client).
Prints a table, writes JSON to bench/results/ and exits 1 when a figure is over its budget (bench/budgets.yml)
or a part fails; a part that cannot run here (no ../shared, no Prometheus) is skipped with its reason."""
import argparse
import os
import platform
import shutil
import sys
import tempfile
import traceback

import pytest

from tests.sandbox.prometheus import PrometheusUnavailable

from bench import report
from bench.machine_speed import reference_cpu_seconds
from bench.timing import median

PARTS = ("operations", "analysis", "memory", "steps", "shift_vs_k8s", "fleet", "long_release", "task_costs", "include_depth",
         "module_process")


def slug(name):
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def operations_part(runs):
    from bench.operations import bench_operations

    measured = bench_operations(runs)
    figures = {}
    for operation, entry in measured.items():
        figures["requests.%s.gets" % operation] = (entry["gets"], "")
        figures["requests.%s.writes" % operation] = (entry["writes"], "")
        figures["requests.%s.dry_runs" % operation] = (entry["dry_runs"], "")
        figures["seconds.%s" % operation] = (median(entry["seconds"]), "s")
    return figures, measured


def analysis_part(runs):
    from bench.analysis_timing import start_prometheus, time_checks, time_playbook

    prometheus = start_prometheus()
    try:
        checks = time_checks(prometheus, max(runs * 4, 10))
        playbook = time_playbook(prometheus, max(runs // 2, 1))
    finally:
        prometheus.stop()
    figures = dict(("seconds.analysis_check_%s" % slug(name.split()[-1]), (median(values), "s")) for name, values in checks.items())
    figures["seconds.ansible_playbook_one_analysis_task"] = (median(playbook["ansible-playbook, 1 canary_analysis task"]), "s")
    figures["seconds.analysis_task_in_playbook"] = (median(playbook["canary_analysis task (each further task)"]), "s")
    return figures, dict(checks, **playbook)


def memory_part(runs):
    from bench.analysis_timing import start_prometheus
    from bench.memory import measure_analysis, measure_init

    count = max(runs // 2, 1)
    init = measure_init(count)
    prometheus = start_prometheus()
    workdir = tempfile.mkdtemp(prefix="bench-memory-")
    try:
        analysis = measure_analysis(prometheus, count, workdir)
    finally:
        prometheus.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {"memory_mib.canary_init": (max(init), "MiB"), "memory_mib.canary_analysis": (max(analysis), "MiB")}
    return figures, {"canary_init": init, "canary_analysis": analysis}


def steps_part(runs):
    from bench.release_sandbox import release_sandbox
    from bench.release_steps import METRICS, measure_steps

    passes = {variant: [] for variant in METRICS}
    with release_sandbox() as sandbox:
        for _pass in range(max(runs // 5, 1)):
            for variant in METRICS:
                passes[variant].append(measure_steps(sandbox, variant))
    figures = {}
    for variant, measured in passes.items():
        figures["seconds.step_beyond_interval.%s" % variant] = (median([one["seconds_beyond_interval"] for one in measured]), "s")
        per_step = measured[0]["requests_per_step"]
        for kind in ("requests", "gets", "writes", "state_write", "discovery"):
            figures["requests.steady_step.%s.%s" % (variant, kind)] = (per_step[kind], "")
    return figures, passes


def shift_vs_k8s_part(runs):
    from bench.shift_vs_k8s import bench_shift_vs_k8s

    pairs = bench_shift_vs_k8s(max(runs // 2, 1))
    figures = {"ratio.shift_task_vs_k8s_patch": (median([module / k8s for module, k8s in pairs]), "x"),
               "seconds.ten_canary_shift_tasks": (median([module for module, _k8s in pairs]), "s"),
               "seconds.ten_k8s_patch_tasks": (median([k8s for _module, k8s in pairs]), "s")}
    return figures, {"pairs": pairs}


def fleet_part(_runs):
    from bench.fleet import SIZES, bench_fleet, bench_one_bad_canary
    from bench.release_sandbox import release_sandbox

    with release_sandbox() as sandbox:
        measured = bench_fleet(sandbox)
    with release_sandbox() as sandbox:
        measured["one_bad_of_5"] = bench_one_bad_canary(sandbox)
    sizes, free = measured["sizes"], measured["free"]
    figures = dict(("seconds.fleet_%s" % size, (sizes[str(size)], "s")) for size in SIZES)
    for size in SIZES[1:]:
        figures["ratio.fleet_%d_vs_1" % size] = (sizes[str(size)] / sizes["1"], "x")
    figures["fleet.strategy_free_not_promoted"] = (free["not_promoted"], "")
    for kind in ("requests", "gets", "writes"):
        figures["requests.release_of_one_canary.%s" % kind] = (measured["requests_of_one_release"][kind], "")
    if free["not_promoted"] == 0:
        figures["ratio.fleet_free_vs_linear_%d" % free["size"]] = (free["seconds"] / sizes[str(free["size"])], "x")
    figures["fleet.one_bad_of_5.healthy_not_promoted"] = (measured["one_bad_of_5"]["healthy_not_promoted"], "")
    figures["fleet.one_bad_of_5.bad_not_rolled_back"] = (measured["one_bad_of_5"]["bad_not_rolled_back"], "")
    return figures, measured


def long_release_part(_runs):
    from bench.release_sandbox import release_sandbox
    from bench.release_steps import measure_long_release

    with release_sandbox() as sandbox:
        measured = measure_long_release(sandbox)
    figures = {"seconds.long_release.first_steps": (measured["first_steps_seconds"], "s"),
               "seconds.long_release.last_steps": (measured["last_steps_seconds"], "s"),
               "ratio.long_release.last_vs_first_steps": (measured["last_steps_seconds"] / measured["first_steps_seconds"], "x"),
               "memory_mib.long_release.controller_growth": (measured["last_step_rss_mib"] - measured["first_step_rss_mib"], "MiB")}
    return figures, measured


def task_costs_part(runs):
    from bench.task_costs import bench_task_costs

    measured = bench_task_costs(max(runs // 2, 1))
    figures = {}
    for name, costs in measured["tasks"].items():
        figures["seconds.task.%s" % name] = (costs["per_task"], "s")
        figures["requests.task.%s.gets" % name] = (costs["requests_per_task"]["gets"], "")
        figures["requests.task.%s.discovery_first_process" % name] = (costs["requests_first_task"]["discovery"], "")
    for name, times in measured["imports"].items():
        figures["seconds.import.%s" % slug(name)] = (times["process_wall"], "s")
    return figures, measured


def module_process_part(runs):
    from bench.module_process import measure

    measured = measure(max(runs, 3))
    figures = {}
    for client, entry in measured.items():
        figures["cpu_seconds.module_process.%s" % client] = (entry["cpu_seconds"], "s")
        figures["memory_mib.module_process.%s" % client] = (entry["peak_rss_mib"], "MiB")
        figures["requests.module_process.%s" % client] = (entry["requests_per_process"], "")
    return figures, measured


def include_depth_part(_runs):
    from bench.include_depth import measure

    measured = measure()
    figures = dict(("memory_mib.include_depth.%s" % variant, (entry["rss_growth_mib"], "MiB")) for variant, entry in measured.items())
    return figures, measured


RUNNERS = {"operations": operations_part, "analysis": analysis_part, "memory": memory_part, "steps": steps_part,
           "shift_vs_k8s": shift_vs_k8s_part, "fleet": fleet_part, "long_release": long_release_part, "task_costs": task_costs_part,
           "include_depth": include_depth_part, "module_process": module_process_part}


def run_parts(parts, runs):
    """(figures, details, skipped reasons, failures) of ``parts``."""
    figures, details, skipped, failures = {}, {}, {}, {}
    for part in parts:
        load_before = os.getloadavg()  # the machine is shared: each part's figures are read with the load beside them
        try:
            part_figures, part_details = RUNNERS[part](runs)
        except pytest.skip.Exception as exc:  # the shared scenario loader skips when ../shared is absent
            skipped[part] = str(exc.msg if hasattr(exc, "msg") else exc)
            continue
        except PrometheusUnavailable as exc:
            skipped[part] = str(exc)
            continue
        except Exception:  # pylint: disable=broad-except  # one broken part must not hide the others' figures
            failures[part] = traceback.format_exc()
            continue
        figures.update(part_figures)
        details[part] = part_details
        details.setdefault("load_average", {})[part] = {"before": load_before, "after": os.getloadavg()}
    return figures, details, skipped, failures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=5, help="passes over the operations (medians); other parts scale from it")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="parts to run")
    parser.add_argument("--budgets", default=report.BUDGETS_FILE, help="budgets file (default: bench/budgets.yml)")
    options = parser.parse_args(argv)
    # The wait after a routing change that precedes a removal, when the mesh reports no status (routers/settling.py:
    # 10 s by default) is a deliberate, configured wait, not our overhead: the figures leave it out, as the test suites
    # do. Its cost per phase is in docs/lifecycle.md ("Routing changes and graceful shutdown", "What it costs").
    os.environ.setdefault("PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS", "0")
    speed_before = reference_cpu_seconds()
    figures, details, skipped, failures = run_parts(options.only, max(options.runs, 1))
    # The machine's speed beside the figures (bench/machine_speed.py): the slower of the start and the end.
    figures["cpu_seconds.machine.reference"] = (max(speed_before, reference_cpu_seconds()), "s")
    rows = report.judge(figures, report.load_budgets(options.budgets), report.load_targets(options.budgets))
    over = [row["id"] for row in rows if row["status"] == "OVER"]
    path = report.write_json({"runs": options.runs, "parts": options.only, "machine": platform.platform(), "load_average": os.getloadavg(),
                              "figures": rows, "skipped": skipped, "failures": failures, "details": details})
    sys.stdout.write(report.table(rows, skipped) + "\n")
    for part, trace in failures.items():
        sys.stdout.write("\n%s FAILED:\n%s" % (part, trace))
    sys.stdout.write("\nresults: %s\n" % path)
    if over or failures:
        sys.stdout.write("over budget: %s; failed parts: %s\n" % (", ".join(over) or "none", ", ".join(failures) or "none"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
