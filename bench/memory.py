"""Peak resident memory of a module process, run as Ansible runs it on the controller: the module's Python file
with its arguments in a JSON file (``{"ANSIBLE_MODULE_ARGS": {...}}``), one process per module call."""
import json
import os
import subprocess
import sys

from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE

from bench.analysis_timing import analysis_arguments
from bench.sandbox_session import podinfo_session

MODULES = "ansible_collections.progressive.canary.plugins.modules."


def peak_rss_mib(module, arguments, workdir):
    """Run ``python -m <module> args.json`` under bench.peak_rss and return the module's peak RSS in MiB."""
    args_file = os.path.join(workdir, "%s.args.json" % module)
    output_file = os.path.join(workdir, "%s.out" % module)
    with open(args_file, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": arguments}, handle)
    launcher = subprocess.run([sys.executable, "-m", "bench.peak_rss", output_file, sys.executable, "-m", MODULES + module, args_file],
                              capture_output=True, text=True, check=False, timeout=300)
    with open(output_file, encoding="utf-8") as handle:
        text = handle.read()
    result = json.loads(text[text.index("{"):]) if "{" in text else {}
    if launcher.returncode != 0 or result.get("failed"):
        raise RuntimeError("%s failed (%d): %s%s" % (module, launcher.returncode, text[-2000:], launcher.stderr[-2000:]))
    return int(launcher.stdout) / 1024.0  # ru_maxrss is in KiB on Linux


def measure_init(runs):
    """Peak RSS of canary_init on a fresh podinfo sandbox, ``runs`` times."""
    figures = []
    for _run in range(runs):
        with podinfo_session() as session:
            arguments = {"kubeconfig": session.kubeconfig, "target": "podinfo", "namespace": NAMESPACE,
                         "service": PODINFO_SERVICE, "hpa": "podinfo", "ready_timeout": 60}
            figures.append(peak_rss_mib("canary_init", arguments, session.root))
    return figures


def measure_analysis(prometheus, runs, workdir):
    """Peak RSS of canary_analysis (both builtin checks) against ``prometheus``, ``runs`` times."""
    return [peak_rss_mib("canary_analysis", analysis_arguments(prometheus), workdir) for _run in range(runs)]
