"""Support for the canary_init / canary_cleanup integration tests: a KubeApi on the test's emulator built
through kubernetes.core's client (as the modules build it), the podinfo reference scenario, and running
the modules through ansible-playbook."""
import json
import os
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from tests import ansible_playbook

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "test"
# The seed's VirtualService: hosts app.example.com + podinfo, gateways [mesh], retries 3 x 1s.
PODINFO_SERVICE = {
    "port": 9898,
    "port_name": "http",
    "hosts": ["app.example.com"],
    "gateways": ["mesh"],
    "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"},
}
SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")


def shared_dir():
    return Path(os.environ.get("SHARED_DIR") or REPO.parent / "shared")


def podinfo_manifests():
    """The reference scenario's Deployment, HPA and apex Service (skips when ../shared is absent)."""
    fixtures = shared_dir() / "fixtures" / "podinfo"
    if not fixtures.is_dir():
        pytest.skip("reference fixtures not found at %s (set SHARED_DIR)" % fixtures)
    manifests = {}
    for name in ("deployment", "hpa", "service"):
        manifests[name] = yaml.safe_load((fixtures / (name + ".yaml")).read_text(encoding="utf-8"))
        manifests[name]["metadata"]["namespace"] = NAMESPACE
    return manifests


def load_podinfo(emulator, with_service=True, with_hpa=True, deployment_changes=None):
    """Create the podinfo objects in namespace test and wait until the Deployment is ready."""
    manifests = podinfo_manifests()
    deployment = manifests["deployment"]
    deployment["spec"]["replicas"] = 2  # as in the seed experiment
    for path, value in (deployment_changes or {}).items():
        node = deployment
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    objects = [deployment]
    if with_hpa:
        objects.append(manifests["hpa"])
    if with_service:
        objects.append(manifests["service"])
    emulator.load_manifests(yaml.safe_dump_all(objects), namespace=NAMESPACE)
    return manifests


@pytest.fixture
def kube_api(kubeconfig):
    """A KubeApi built by our connection module (through kubernetes.core's client) on the test's emulator;
    the ``emulator`` fixture already gives each test its own TMPDIR/HOME for discovery caches."""
    return connect({"kubeconfig": kubeconfig}, request_timeout=10)


def user_view(obj):
    """An object as a user wrote it: no status, no server-set metadata."""
    clean = json.loads(json.dumps(obj))
    clean.pop("status", None)
    metadata = clean.get("metadata") or {}
    for field in SERVER_FIELDS:
        metadata.pop(field, None)
    return clean


def reset_request_log(emulator):
    """Forget every request so far. The emulator logs a request after answering it, so a setup write can land in
    the log just after a plain reset: send a marker GET, wait until it is logged, then reset."""
    marker = "/api/v1/namespaces/reset-marker-%d" % id(emulator)
    emulator.request("GET", marker)
    while not any(record.path == marker for record in emulator.request_log.records()):
        time.sleep(0.01)
    emulator.request_log.reset()


def writes(emulator):
    """Non-GET requests the emulator answered since its log was last reset."""
    return emulator.request_log.writes()


def run_playbook(tmp_path, tasks, kubeconfig, check=False, diff=False):
    """Run ``tasks`` on localhost with the shared ansible-playbook runner, the canary modules defaulting to
    ``kubeconfig``; returns (rc, {task name: localhost's result})."""
    playbook = tmp_path / "play.yml"
    play = [{"hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/progressive.canary.canary": {"kubeconfig": kubeconfig}},
             "tasks": tasks}]
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    options = (("--check",) if check else ()) + (("--diff",) if diff else ())
    returncode, plays, _output = ansible_playbook.run_playbook(playbook, tmp_path, options=options)
    return returncode, dict((task["name"], result) for task, result in zip(tasks, plays[0]))
