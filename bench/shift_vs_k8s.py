"""One weight change as a canary_shift task vs the same change made with kubernetes.core.k8s patching the
VirtualService: two playbooks of 10 tasks each on an initialized podinfo under analysis, wall-time ratio.

canary_shift does what a weight change needs (reads the canary, checks the plan, writes the route and the state);
the k8s task only patches the route: the ratio is what our module costs over the plainest way to move the weight."""
import os

import yaml

from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE

from bench.playbook_runs import run_playbook
from bench.sandbox_session import podinfo_session

TASKS = 10
WEIGHTS = (20, 30)  # alternated, so that every task changes the weight
SETUP_WEIGHT = 10
IMAGE = "stefanprodan/podinfo:3.1.1"


class ShiftBenchError(RuntimeError):
    """A playbook of the comparison failed."""


def _play(kubeconfig, tasks):
    return [{"hosts": "localhost", "gather_facts": False,
             "module_defaults": dict({"group/progressive.canary.canary": {"kubeconfig": kubeconfig}},
                                     **{"progressive.canary." + module: {"target": "podinfo", "namespace": NAMESPACE}
                                        for module in ("canary_init", "canary_image", "canary_shift")}),
             "tasks": tasks}]


def _run(session, name, tasks):
    playbook = os.path.join(session.root, name + ".yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        yaml.safe_dump(_play(session.kubeconfig, tasks), handle)
    run = run_playbook(playbook, os.path.join(session.root, name))
    if run.returncode != 0:
        raise ShiftBenchError("%s failed (%d):\n%s" % (name, run.returncode, run.output[-3000:]))
    return run


def _route(weight):
    return [{"destination": {"host": "podinfo-primary"}, "weight": 100 - weight},
            {"destination": {"host": "podinfo-canary"}, "weight": weight}]


def _k8s_patch(session, weight):
    """The VirtualService's http routes as canary_shift leaves them, with ``weight`` on the canary (a merge patch
    replaces the whole list, so the task carries all of it)."""
    status, service = session.emulator.request("GET", "/apis/networking.istio.io/v1/namespaces/%s/virtualservices/podinfo" % NAMESPACE)
    if status != 200:
        raise ShiftBenchError("VirtualService podinfo: HTTP %d" % status)
    http = service["spec"]["http"]
    http[-1]["route"] = _route(weight)
    return {"kubernetes.core.k8s": {"state": "patched", "api_version": "networking.istio.io/v1", "kind": "VirtualService",
                                    "name": "podinfo", "namespace": NAMESPACE, "merge_type": "merge",
                                    "definition": {"spec": {"http": http}}}}


def compare_once():
    """(seconds of 10 canary_shift tasks, seconds of 10 k8s patches) on a new sandbox."""
    with podinfo_session() as session:
        _run(session, "setup", [
            {"progressive.canary.canary_init": {"service": PODINFO_SERVICE, "hpa": "podinfo", "ready_timeout": 60}},
            {"progressive.canary.canary_image": {"image": IMAGE}},
            {"progressive.canary.canary_shift": {"weight": SETUP_WEIGHT, "ready_timeout": 60}}])
        weights = [WEIGHTS[i % 2] for i in range(TASKS)]
        module = _run(session, "canary_shift", [{"progressive.canary.canary_shift": {"weight": w, "ready_timeout": 60}} for w in weights])
        k8s = _run(session, "k8s", [_k8s_patch(session, w) for w in weights])
        changed = [result.get("changed") for result in k8s.host_results("localhost")]
        if not all(changed):
            raise ShiftBenchError("a k8s patch changed nothing: %s" % changed)
        return module.seconds, k8s.seconds


def bench_shift_vs_k8s(runs):
    """``runs`` comparisons, each on a fresh sandbox: each run's pair of seconds."""
    return [compare_once() for _run in range(runs)]
