"""Figures and budgets: flatten, compare, print as a table, write as JSON."""
import datetime
import json
import os

import yaml

BUDGETS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "budgets.yml")
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def flatten(tree, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    flat = {}
    for key, value in tree.items():
        name = prefix + str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def load_budgets(path=BUDGETS_FILE):
    """{figure id: maximum} of the budgets file (its ``targets:`` section left out: see load_targets)."""
    with open(path, encoding="utf-8") as handle:
        tree = yaml.safe_load(handle) or {}
    tree.pop("targets", None)
    return flatten(tree)


def load_targets(path=BUDGETS_FILE):
    """{figure id: target} of the budgets file's ``targets:`` section: where an issue wants a figure to be. A figure
    above its target but within its budget is reported "target, not yet met" and does not fail the run."""
    with open(path, encoding="utf-8") as handle:
        tree = yaml.safe_load(handle) or {}
    return flatten(tree.get("targets") or {})


def judge(figures, budgets, targets=None):
    """[{id, value, unit, budget, target, status}] for every figure; status ok, OVER or no budget, with
    "target, not yet met" added when the figure is above its target."""
    rows = []
    for figure_id, (value, unit) in sorted(figures.items()):
        budget = budgets.get(figure_id)
        target = (targets or {}).get(figure_id)
        if budget is None:
            status = "no budget"
        else:
            status = "ok" if value <= budget else "OVER"
        if target is not None and value > target:
            status += ", target, not yet met"
        rows.append({"id": figure_id, "value": value, "unit": unit, "budget": budget, "target": target, "status": status})
    return rows


def _number(value, unit):
    if value is None:
        return "-"
    if unit == "s":
        return "%.3f" % value
    if unit in ("MiB", "x"):
        return "%.1f" % value if unit == "MiB" else "%.2f" % value
    return "%d" % value if float(value).is_integer() else "%.1f" % value


def table(rows, skipped):
    lines = ["%-56s %10s %10s %10s  %s" % ("figure", "value", "budget", "target", "status")]
    for row in rows:
        label = row["id"] + (" [%s]" % row["unit"] if row["unit"] else "")
        lines.append("%-56s %10s %10s %10s  %s" % (label, _number(row["value"], row["unit"]), _number(row["budget"], row["unit"]),
                                                   _number(row.get("target"), row["unit"]), row["status"]))
    for part, reason in sorted(skipped.items()):
        lines.append("%-56s skipped: %s" % (part, reason))
    return "\n".join(lines)


def write_json(document, directory=RESULTS_DIR):
    """Write ``document`` to results/bench-<UTC time>.json and results/latest.json; returns the first path."""
    os.makedirs(directory, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(directory, "bench-%s.json" % stamp)
    text = json.dumps(document, indent=2, sort_keys=True)
    for target in (path, os.path.join(directory, "latest.json")):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return path
