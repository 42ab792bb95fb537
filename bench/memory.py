"""Peak resident memory of a module process, run as Ansible runs it on the controller: the module's Python file
with its arguments in a JSON file (``{"ANSIBLE_MODULE_ARGS": {...}}``), one process per module call."""
import json
import os
import subprocess
import sys

from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE

from bench.analysis_timing import BUILTIN_CHECKS, CONTEXT
from bench.sandbox_session import podinfo_session

MODULES = "ansible_collections.progressive.canary.plugins.modules."


def peak_rss_mib(module, arguments, workdir):
    """Run ``python -m <module> args.json`` and return its peak RSS in MiB (the child's own rusage, from wait4)."""
    args_file = os.path.join(workdir, "%s.args.json" % module)
    with open(args_file, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": arguments}, handle)
    with open(os.path.join(workdir, "%s.out" % module), "w+", encoding="utf-8") as output:
        process = subprocess.Popen([sys.executable, "-m", MODULES + module, args_file],  # pylint: disable=consider-using-with
                                   stdout=output, stderr=subprocess.STDOUT)
        # wait4 gives this child's own rusage; getrusage(RUSAGE_CHILDREN) would be the maximum over every child
        # this process ever waited for (Prometheus, promtool, ansible-playbook...).
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    result = json.loads(text[text.index("{"):]) if "{" in text else {}
    if process.returncode != 0 or result.get("failed"):
        raise RuntimeError("%s failed (%d): %s" % (module, process.returncode, text[-2000:]))
    return usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def measure_init(runs):
    """Peak RSS of canary_init on a fresh podinfo sandbox, ``runs`` times."""
    figures = []
    for _ in range(runs):
        with podinfo_session() as session:
            arguments = {"kubeconfig": session.kubeconfig, "target": "podinfo", "namespace": NAMESPACE,
                         "service": PODINFO_SERVICE, "hpa": "podinfo", "ready_timeout": 60}
            figures.append(peak_rss_mib("canary_init", arguments, session.root))
    return figures


def measure_analysis(prometheus, runs, workdir):
    """Peak RSS of canary_analysis (both builtin checks) against ``prometheus``, ``runs`` times."""
    arguments = dict(CONTEXT, evaluation_time=str(prometheus.default_query_time), prometheus={"url": prometheus.url},
                     checks=BUILTIN_CHECKS)
    return [peak_rss_mib("canary_analysis", arguments, workdir) for _ in range(runs)]
