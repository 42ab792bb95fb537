"""Measure progressive.canary against its budgets: ``python -m bench.run [--runs N] [--only PART ...]``.

Parts: ``operations`` (API requests and wall time per operation on the emulator), ``analysis`` (canary_analysis
against real Prometheus, directly and as ansible-playbook tasks), ``memory`` (peak RSS of module processes).
Prints a table, writes JSON to bench/results/ and exits 1 when a figure is over its budget (bench/budgets.yml)
or a part fails; a part that cannot run here (no ../shared, no Prometheus) is skipped with its reason."""
import argparse
import platform
import sys
import tempfile
import traceback

import pytest

from tests.sandbox.prometheus import PrometheusUnavailable

from bench import report
from bench.timing import median

PARTS = ("operations", "analysis", "memory")


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
    try:
        analysis = measure_analysis(prometheus, count, tempfile.mkdtemp(prefix="bench-memory-"))
    finally:
        prometheus.stop()
    figures = {"memory_mib.canary_init": (max(init), "MiB"), "memory_mib.canary_analysis": (max(analysis), "MiB")}
    return figures, {"canary_init": init, "canary_analysis": analysis}


RUNNERS = {"operations": operations_part, "analysis": analysis_part, "memory": memory_part}


def run_parts(parts, runs):
    """(figures, details, skipped reasons, failures) of ``parts``."""
    figures, details, skipped, failures = {}, {}, {}, {}
    for part in parts:
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
    return figures, details, skipped, failures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=5, help="passes over the operations (medians); other parts scale from it")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="parts to run")
    parser.add_argument("--budgets", default=report.BUDGETS_FILE, help="budgets file (default: bench/budgets.yml)")
    options = parser.parse_args(argv)
    figures, details, skipped, failures = run_parts(options.only, max(options.runs, 1))
    rows = report.judge(figures, report.load_budgets(options.budgets))
    over = [row["id"] for row in rows if row["status"] == "OVER"]
    path = report.write_json({"runs": options.runs, "parts": options.only, "machine": platform.platform(),
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
