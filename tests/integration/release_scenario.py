"""Support for the release tests (canary_shift / canary_promote / canary_rollback / canary_info): the reference
scenario of canary_scenario after canary_init, the release calls the tests make, and running a module in its own
process that the test kills at a chosen request."""
import json
import os
import re
import signal
import subprocess
import sys

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEPLOYMENT, VIRTUAL_SERVICE
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import ReleaseRequest, execute
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import RollbackRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, REPO, load_podinfo, reset_request_log
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

NEW_IMAGE = "stefanprodan/podinfo:3.1.1"
MODULES = "ansible_collections.progressive.canary.plugins.modules."


def init_podinfo(emulator, api, deployment_changes=None, with_hpa=True):
    """podinfo 2/2 under canary management (phase Initialized), as the seed after the Canary was created."""
    load_podinfo(emulator, with_hpa=with_hpa, deployment_changes=deployment_changes)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    result = run_init(api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo" if with_hpa else None, ready_timeout=60))
    assert result["phase"] == "Initialized", result
    return result


@pytest.fixture
def progressing(emulator, kube_api):
    """podinfo initialized, the new image under analysis at 60 %, the request log reset."""
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    shift(kube_api, 60, ready_timeout=60)
    reset_request_log(emulator)
    return kube_api


def get(api, kind_pair, name):
    return api.get(kind_pair[0], kind_pair[1], NAMESPACE, name)


def set_template(api, image=NEW_IMAGE, annotations=None):
    """What `kubectl set image` (plus, when given, a pod-template annotation change) does to the target."""
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "podinfod", "image": image}]}}}}
    if annotations:
        patch["spec"]["template"]["metadata"] = {"annotations": annotations}
    api.patch(DEPLOYMENT[0], DEPLOYMENT[1], NAMESPACE, "podinfo", patch, "strategic")


def route(api):
    """[(destination host, weight)] of the managed route of the VirtualService podinfo."""
    return [(item["destination"]["host"], item["weight"]) for item in get(api, VIRTUAL_SERVICE, "podinfo")["spec"]["http"][0]["route"]]


def shift(api, weight, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, weight=weight, **options), ShiftRun, check_mode=check_mode)


def promote(api, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, **options), PromoteRun, check_mode=check_mode)


def rollback(api, check_mode=False, **options):
    return execute(api, ReleaseRequest("podinfo", NAMESPACE, **options), RollbackRun, check_mode=check_mode)


def _matching(emulator, verb, path_regex):
    return [r for r in emulator.request_log.records() if r.method == verb and re.search(path_regex, r.path)]


def kill_module_at(emulator, tmp_path, module, args, verb, path_regex, skip=0, applied=False):
    """Run ``module`` (e.g. "canary_promote") with ``args`` in its own python process, as Ansible runs a module
    (an args file), hold it on its request ``verb path_regex`` after ``skip`` such requests went through, and
    SIGKILL it there; returns the process output so far.

    ``applied``: the held write still lands after the kill (it reached the server, the answer never reached the
    process; the call returns once it has); else it is answered 503 after the kill and never takes effect."""
    if skip:
        emulator.faults.add(verb=verb, path_regex=path_regex, latency=0.001, times=skip)
    fault = emulator.faults.add(verb=verb, path_regex=path_regex, latency=1 if applied else 20, status=None if applied else 503, times=1)
    seen = len(_matching(emulator, verb, path_regex))
    args_file = tmp_path / ("%s-args.json" % module)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH="%s:%s" % (REPO, REPO / ".collections"))
    process = subprocess.Popen([sys.executable, "-m", MODULES + module, str(args_file)], env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: fault.matched or process.poll() is not None, timeout=120, what="%s reaching %s %s" % (module, verb, path_regex))
        if not fault.matched:
            pytest.fail("%s ended before reaching %s %s: %s" % (module, verb, path_regex, process.stdout.read().decode()))
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0].decode()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        emulator.faults.clear()
    if applied:
        wait_for(lambda: len(_matching(emulator, verb, path_regex)) > seen + skip, timeout=30, what="the held %s %s to land" % (verb, path_regex))
    return output


class Traffic(object):
    """Background traffic on ``host`` (from clients in ``namespace``, else the host's own) throughout, plus exact
    samples of the split at a given moment."""

    def __init__(self, mesh, host, namespace=None, sample_size=100):
        self.mesh = mesh
        self.host = host
        self.namespace = namespace
        self.sample_size = sample_size
        self.failed = 0
        mesh.add_target(host, namespace=namespace)

    def sample(self):
        """Pause the background traffic, send ``sample_size`` requests at once, return their per-workload split."""
        self.mesh.stop_traffic()
        self.failed += self.mesh.failed(self.host)
        self.mesh.reset(self.host)
        self.mesh.send(self.host, self.sample_size, namespace=self.namespace)
        counts = self.mesh.counts(self.host)
        self.failed += counts["failed"]
        self.mesh.reset(self.host)
        self.mesh.start()
        return counts["by_workload"]

    def total_failed(self):
        return self.failed + self.mesh.failed(self.host)
