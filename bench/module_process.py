"""What one module process costs on each Kubernetes client: CPU seconds (user + system: unlike wall time, hardly
moved by the other processes of a shared machine) and peak RSS of a ``canary_info`` process run as Ansible runs it
(``python -m <module> args.json``, started by bench.peak_rss), on the light client (the default for the sandbox's
kubeconfig) and on kubernetes.core's client (``PROGRESSIVE_CANARY_KUBE_CLIENT=full``), and the requests each sends.
The discovery caches are warm (one process of each client ran first, as in a run), so the figures are those of
every later module process of a release."""
import json
import os
import subprocess
import sys

from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE

from bench.memory import MODULES
from bench.sandbox_session import podinfo_session
from bench.timing import median

CLIENTS = {"light": {}, "full": {CLIENT_ENV: "full"}}


def _module_process(module, arguments, workdir, env):
    """(CPU seconds, peak RSS MiB) of one module process: bench.peak_rss runs it and reports its RSS (see there why a
    launcher); the small probe around it reports the CPU its children used (the launcher's share is ~0.01 s)."""
    args_file = os.path.join(workdir, "%s.args.json" % module)
    output_file = os.path.join(workdir, "%s.out" % module)
    with open(args_file, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": arguments}, handle)
    probe = ("import resource, subprocess, sys\n"
             "rss = subprocess.run([sys.executable, '-m', 'bench.peak_rss'] + sys.argv[1:], check=True, stdout=subprocess.PIPE).stdout\n"
             "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
             "print(int(rss), usage.ru_utime + usage.ru_stime)\n")
    completed = subprocess.run([sys.executable, "-c", probe, output_file, sys.executable, "-m", MODULES + module, args_file],
                               capture_output=True, text=True, check=False, timeout=300, env=dict(os.environ, **env))
    with open(output_file, encoding="utf-8") as handle:
        text = handle.read()
    if completed.returncode != 0 or '"failed": true' in text:
        raise RuntimeError("%s failed: %s %s" % (module, text[-2000:], completed.stderr[-2000:]))
    rss_kib, cpu = completed.stdout.split()
    return float(cpu), int(rss_kib) / 1024.0


def measure(runs):
    """{client: {cpu_seconds, peak_rss_mib, requests, cpu_all, rss_all}} of canary_info processes on a podinfo sandbox
    with an initialized canary."""
    results = {}
    with podinfo_session() as session:
        run_init(session.connect(), InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, ready_timeout=60))
        arguments = {"kubeconfig": session.kubeconfig, "target": "podinfo", "namespace": NAMESPACE}
        for client, env in CLIENTS.items():
            _module_process("canary_info", arguments, session.root, env)   # warms this client's discovery cache
            session.forget_requests()
            cpu, rss = [], []
            for _run in range(runs):
                seconds, mib = _module_process("canary_info", arguments, session.root, env)
                cpu.append(seconds)
                rss.append(mib)
            records = [record for record in session.emulator.request_log.records() if not record.path.startswith("/api/v1/namespaces/reset-marker")]
            results[client] = {"cpu_seconds": median(cpu), "peak_rss_mib": median(rss), "cpu_all": cpu, "rss_all": rss,
                               "requests_per_process": len(records) / float(runs)}
    return results
