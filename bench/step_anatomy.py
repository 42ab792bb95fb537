"""Break a rollout run down per analysis step: the API requests of a run by kind (from the emulator's request log),
each step's seconds (canary_advance's ``step_seconds``: the role runs all its steps in one task) and the controller's
memory across that task (bench/callbacks/bench_timeline.py's events)."""
import re
import statistics

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames

# The state object of the podinfo canary every bench releases (its name is the namespace's, whatever the namespace).
PODINFO_STATE = CanaryNames("podinfo", "default").state
# The task that runs the analysis steps (roles/rollout/tasks/main.yml: canary_advance with finish).
STEPS_TASK = "Run the analysis steps"
# Discovery: the version, the group lists and each group version's resource list (kubernetes' discoverer).
DISCOVERY = re.compile(r"^/(version|api|apis|openapi/.*|api/v1|apis/[^/]+|apis/[^/]+/[^/]+)/?$")
# The mesh simulator lists these collections every tick (0.2 s): its reads, not the code's (tests/sandbox/mesh.py:
# Services, Deployments, Istio's and the Gateway API's routes per namespace, OpenShift Routes of every namespace).
MESH_LISTS = re.compile(r"(/namespaces/[^/]+/(services|deployments|virtualservices|destinationrules|httproutes)"
                        r"|^/apis/route\.openshift\.io/v1/routes)$")


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


def advance_result(plays):
    """canary_advance's result (the role's analysis task) in a JSON-callback report's plays, or None."""
    return next((task for play in plays for task in play if isinstance(task, dict) and "step_seconds" in task), None)


def steps(plays, timeline):
    """One dict per whole analysis step of a single-host run: seconds (the wait included). The step at weight 0 (it
    only shifts to the first weight) and the last one (it runs into the promotion) are left out. With the controller's
    RSS (KiB) when the analysis task started and when the next task did (the steps run in the task's worker)."""
    result = advance_result(plays) or {}
    seconds = result.get("step_seconds") or []
    starts = [i for i, event in enumerate(timeline) if event["event"] == "start" and STEPS_TASK in (event["task"] or "")]
    rss_before = rss_after = None
    if starts:
        rss_before = timeline[starts[0]]["rss_kib"]
        after = [event for event in timeline[starts[0] + 1:] if event["event"] in ("start", "end")]
        rss_after = after[0]["rss_kib"] if after else None
    return [{"seconds": value, "rss_kib_before": rss_before, "rss_kib_after": rss_after} for value in seconds[1:-1]]


def typical_step(found):
    """Median of each figure over ``found`` steps."""
    if not found:
        return {}
    return {key: statistics.median(step[key] for step in found if step[key] is not None) for key in found[0]
            if any(step[key] is not None for step in found)}
