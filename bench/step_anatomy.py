"""Break a rollout run down per analysis step: the API requests of a run by kind (from the emulator's request log)
and the tasks of each step (from bench/callbacks/bench_timeline.py's events)."""
import re
import statistics

# The step's first task (roles/rollout/tasks/step.yml): the step runs from its start to the next one's.
STEP_START = "Wait the interval at weight"
# Discovery: the version, the group lists and each group version's resource list (kubernetes' discoverer).
DISCOVERY = re.compile(r"^/(version|api|apis|openapi/.*|api/v1|apis/[^/]+|apis/[^/]+/[^/]+)/?$")
# The mesh simulator lists these collections every tick (0.2 s): its reads, not the code's.
MESH_LISTS = re.compile(r"/namespaces/[^/]+/(services|deployments|virtualservices|destinationrules)$")
# Actions that run in the controller's process: no module process, no AnsiballZ.
CONTROLLER_ACTIONS = ("ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.assert",
                      "ansible.builtin.include_tasks", "ansible.builtin.fail", "ansible.builtin.meta")


def request_kind(record, state_name):
    """What a logged request is: discovery, state_get, state_write, mesh (the simulator's lists), dry_run, watch,
    get or write."""
    if record.is_watch:
        return "watch"
    if record.is_dry_run:
        return "dry_run"
    if record.method == "GET" and DISCOVERY.match(record.path):
        return "discovery"
    if record.method == "GET" and MESH_LISTS.search(record.path):
        return "mesh"
    if record.path.endswith("/configmaps/" + state_name):
        return "state_get" if record.method == "GET" else "state_write"
    return "get" if record.method == "GET" else "write"


def request_counts(records, state_name):
    """{kind: count} of ``records`` (mesh lists counted apart), plus gets and writes as the code sent them."""
    counts = dict.fromkeys(("discovery", "state_get", "state_write", "get", "write", "dry_run", "watch", "mesh"), 0)
    for record in records:
        counts[request_kind(record, state_name)] += 1
    counts["gets"] = counts["discovery"] + counts["state_get"] + counts["get"]
    counts["writes"] = counts["state_write"] + counts["write"]
    counts["requests"] = counts["gets"] + counts["writes"] + counts["dry_run"]
    return counts


def per_step(long_counts, short_counts, steps):
    """(long − short) / steps of each count: the requests one more step costs."""
    return {key: (long_counts[key] - short_counts[key]) / float(steps) for key in long_counts}


def _task_end(timeline, index):
    """Time of the next task start (or the run's end) after event ``index``."""
    for event in timeline[index + 1:]:
        if event["event"] in ("start", "end"):
            return event["t"]
    return timeline[-1]["t"]


def _skipped(timeline, index):
    """Whether the task started at event ``index`` was skipped (its first result)."""
    for event in timeline[index + 1:]:
        if event["event"] in ("ok", "changed", "skipped", "failed"):
            return event["event"] == "skipped"
    return False


def steps(timeline):
    """One dict per analysis step of a single-host run: seconds, controller RSS (KiB) at its start, tasks started,
    results by event (ok, changed, skipped, failed, include), module processes run and seconds by action."""
    starts = [i for i, event in enumerate(timeline) if event["event"] == "start" and STEP_START in (event["task"] or "")
              and not _skipped(timeline, i)]  # at weight 0 the step only shifts to the first weight: not an analysis step
    found = []
    for number, first in enumerate(starts):
        last = starts[number + 1] if number + 1 < len(starts) else None
        if last is None:
            break  # the last step runs into the promotion: only whole steps are counted
        events = timeline[first:last]
        step = {"seconds": timeline[last]["t"] - timeline[first]["t"], "rss_kib": timeline[first]["rss_kib"],
                "tasks": 0, "ok": 0, "changed": 0, "skipped": 0, "failed": 0, "include": 0, "module_processes": 0,
                "seconds_by_action": {}}
        for offset, event in enumerate(events):
            kind = event["event"]
            if kind == "start":
                step["tasks"] += 1
                seconds = _task_end(timeline, first + offset) - event["t"]
                step["seconds_by_action"][event["action"]] = step["seconds_by_action"].get(event["action"], 0.0) + seconds
            elif kind in step:
                step[kind] += 1
                if kind in ("ok", "changed", "failed") and event["action"] not in CONTROLLER_ACTIONS:
                    step["module_processes"] += 1
        found.append(step)
    return found


def typical_step(found):
    """Median of each figure over ``found`` steps (seconds by action included)."""
    if not found:
        return {}
    typical = {key: statistics.median(step[key] for step in found) for key in found[0] if key != "seconds_by_action"}
    actions = sorted({action for step in found for action in step["seconds_by_action"]})
    typical["seconds_by_action"] = {action: statistics.median(step["seconds_by_action"].get(action, 0.0) for step in found)
                                    for action in actions}
    return typical
