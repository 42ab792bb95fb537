"""Support for the end-to-end tests: the podinfo reference scenario in a namespace of its own, released by the real
playbooks (playbooks/rollout.yml, cleanup.yml) through ansible-playbook against the sandbox and live Prometheus.

Each test gets its own namespace: the session's Prometheus keeps every earlier test's series, and the builtin
checks select by workload and namespace, so a fresh namespace is what makes a check see only this test's traffic."""
import json
import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from tests import ansible_playbook
from tests.integration.canary_scenario import podinfo_manifests
from tests.sandbox.apiserver import crds
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
OLD_IMAGE = "stefanprodan/podinfo:3.1.0"
NEW_IMAGE = "stefanprodan/podinfo:3.1.1"
SANDBOX = "sandbox.progressive.canary/"
needs_crds = pytest.mark.skipif(not crds.crd_files(), reason="../shared/crds is absent (set SHARED_DIR): no VirtualService API")

# (api path prefix, plural) of every kind a canary may create, for "no orphaned object".
KINDS = {
    "Deployment": ("/apis/apps/v1", "deployments"),
    "Service": ("/api/v1", "services"),
    "ConfigMap": ("/api/v1", "configmaps"),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers"),
    "VirtualService": ("/apis/networking.istio.io/v1", "virtualservices"),
    "DestinationRule": ("/apis/networking.istio.io/v1", "destinationrules"),
}
SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")


def release_vars(kubeconfig, namespace, prometheus_url, **overrides):
    """The role's variables for podinfo in ``namespace``: the seed's service, short intervals and windows."""
    values = {
        "rollout_kubeconfig": str(kubeconfig),
        "rollout_target": "podinfo",
        "rollout_namespace": namespace,
        "rollout_autoscaler": "podinfo",
        "rollout_service": {"port": 9898, "hosts": ["app.example.com"],
                            "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"}},
        "rollout_analysis": {
            "interval": "3s", "threshold": 2, "step_weight": 30, "max_weight": 60,
            "metrics": [{"name": "request-success-rate", "interval": "10s", "threshold_range": {"min": 99}},
                        {"name": "request-duration", "interval": "10s", "threshold_range": {"max": 500}}],
        },
        "rollout_prometheus": {"url": prometheus_url},
        "rollout_progress_deadline": 30,
        # A killed run's lease is taken over at once from this host (its processes are gone); the lease must outlast
        # the longest stretch between two renewals of a run on a loaded test machine.
        "rollout_lease_seconds": 60,
    }
    values.update(overrides)
    return values


def rollout_result(plays):
    """The role's ``rollout_result`` fact from a JSON-callback report (None when the run ended before it)."""
    for result in (task for play in plays for task in play):
        facts = result.get("ansible_facts") or {}
        if "rollout_result" in facts:
            return facts["rollout_result"]
    return None


def user_texts(plays):
    """Every text a run shows its user: each task's ``msg`` (a string or lines) and the analysis steps' ``lines``
    (canary_advance prints each as its step ends)."""
    texts = []
    for result in (task for play in plays for task in play):
        message = result.get("msg")
        texts.extend(message if isinstance(message, list) else [message] if message is not None else [])
        texts.extend(result.get("lines") or [])
    return [text for text in texts if isinstance(text, str)]


def assert_no_python_none(plays):
    """Python's None is never shown to a user ("revision None", "failed None"): say what is meant, or leave it out."""
    shown = [text for text in user_texts(plays) if re.search(r"\bNone\b", text)]
    assert shown == [], "Python's None in what the run shows: %s" % shown


def failure_message(plays):
    """Message of the first failed task of the report."""
    return next((task.get("msg") for play in plays for task in play if task.get("failed")), None)


class Podinfo(object):
    """The podinfo canary of one test: its namespace in the test's emulator, mesh traffic to its apex host."""

    def __init__(self, emulator, kubeconfig, mesh, prometheus, tmp_path):
        self.emulator = emulator
        self.kubeconfig = kubeconfig
        self.mesh = mesh
        self.prometheus = prometheus
        self.tmp_path = tmp_path
        self.namespace = "e2e-" + uuid.uuid4().hex[:8]
        self.apex_host = "podinfo." + self.namespace
        self.runs = 0

    # -- setup --

    def load(self, traffic=True, template_annotations=None):
        """podinfo 3.1.0, 2 replicas, its HPA and the seed's apex Service; ready; traffic counted from now."""
        manifests = podinfo_manifests()
        deployment = manifests["deployment"]
        deployment["spec"]["replicas"] = 2
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = OLD_IMAGE
        deployment["spec"]["template"]["metadata"]["annotations"].update(template_annotations or {})
        for manifest in manifests.values():
            manifest["metadata"]["namespace"] = self.namespace
        self.emulator.load_manifests(yaml.safe_dump_all(list(manifests.values())), namespace=self.namespace)
        wait_ready(self.emulator.url, self.namespace, "podinfo", replicas=2)
        if traffic:
            self.mesh.add_target(self.apex_host)
            wait_for(lambda: self.mesh.counts(self.apex_host)["total"] > 0, what="mesh traffic to " + self.apex_host)
        self.mesh.reset(self.apex_host)
        return self

    def patch_template(self, image=None, annotations=None):
        """What `kubectl set image` / `kubectl patch` of the pod template does to the target."""
        template = {}
        if image:
            template["spec"] = {"containers": [{"name": "podinfod", "image": image}]}
        if annotations:
            template["metadata"] = {"annotations": annotations}
        status, body = self.emulator.request("PATCH", self.path("Deployment", "podinfo"), {"spec": {"template": template}},
                                             content_type="application/strategic-merge-patch+json")
        assert status == 200, body

    # -- reading the cluster --

    def path(self, kind, name=None):
        prefix, plural = KINDS[kind]
        return "%s/namespaces/%s/%s%s" % (prefix, self.namespace, plural, "/" + name if name else "")

    def get(self, kind, name):
        status, body = self.emulator.request("GET", self.path(kind, name))
        if status == 404:
            return None
        assert status == 200, body
        return body

    def names(self, kind):
        status, body = self.emulator.request("GET", self.path(kind))
        assert status == 200, body
        return sorted(item["metadata"]["name"] for item in body["items"])

    def inventory(self):
        """{kind: [names]} of every object of the kinds a canary manages, in the namespace."""
        return {kind: self.names(kind) for kind in KINDS}

    def state(self):
        """The canary's state object, decoded (None without one)."""
        config_map = self.get("ConfigMap", "podinfo-canary-state")
        return json.loads(config_map["data"]["state.json"]) if config_map else None

    def user_view(self, kind, name):
        """The object as its user wrote it: no status, no server-set metadata."""
        obj = self.get(kind, name)
        obj.pop("status", None)
        for field in SERVER_FIELDS:
            obj["metadata"].pop(field, None)
        (obj["metadata"].get("annotations") or {}).pop("deployment.kubernetes.io/revision", None)
        return obj

    def image(self, name):
        return self.get("Deployment", name)["spec"]["template"]["spec"]["containers"][0]["image"]

    def route(self):
        """{destination host: weight} of the managed route of the VirtualService."""
        http = self.get("VirtualService", "podinfo")["spec"]["http"]
        return {item["destination"]["host"]: item["weight"] for item in http[-1]["route"]}

    # -- running the playbooks --

    def release_vars(self, **overrides):
        return release_vars(self.kubeconfig, self.namespace, self.prometheus.url, **overrides)

    def _run_dir(self):
        self.runs += 1
        run_dir = self.tmp_path / ("run%d" % self.runs)
        run_dir.mkdir()
        return run_dir

    def run(self, playbook="rollout", options=(), yaml_vars=None, **overrides):
        """Run playbooks/<playbook>.yml to its end: (exit code, the rollout_result fact or None, plays, output).

        ``options`` are extra ansible-playbook arguments (``("--check",)``); ``yaml_vars`` is YAML text of more extra
        variables, passed last as a file, for what JSON cannot carry (``!unsafe`` values)."""
        run_dir = self._run_dir()
        if yaml_vars is not None:
            (run_dir / "extra.yml").write_text(yaml_vars, encoding="utf-8")
            options = tuple(options) + ("-e", "@%s" % (run_dir / "extra.yml"))
        returncode, plays, output = ansible_playbook.run_playbook(PLAYBOOKS / (playbook + ".yml"), run_dir,
                                                                  extra_vars=self.release_vars(**overrides), options=options)
        assert_no_python_none(plays)
        return returncode, rollout_result(plays), plays, output

    def start(self, playbook="rollout", **overrides):
        """Start playbooks/<playbook>.yml in the background; returns a run whose ``finish()`` waits for its end and
        returns what ``run()`` returns."""
        return _StartedRun(ansible_playbook.BackgroundPlaybook(PLAYBOOKS / (playbook + ".yml"), self._run_dir(),
                                                               extra_vars=self.release_vars(**overrides)))

    def run_killed_when(self, condition, what, whole_tree=True, playbook="rollout", **overrides):
        """Start playbooks/<playbook>.yml and SIGKILL it as soon as ``condition(state)`` holds; returns the state seen then.

        ``whole_tree``: kill every process of the run, ansible-playbook and its workers and module processes (which
        run in sessions of their own), as when the node evicts an AWX job pod; otherwise only ansible-playbook, whose
        module process then runs on to its end."""
        run_dir = self._run_dir()
        command = ansible_playbook.playbook_command(PLAYBOOKS / (playbook + ".yml"), run_dir, extra_vars=self.release_vars(**overrides))
        process = subprocess.Popen(command, env=ansible_playbook.playbook_env(run_dir), cwd=str(run_dir),  # pylint: disable=consider-using-with
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            seen = wait_for(lambda: _state_if(self.state(), condition) or process.poll() is not None, timeout=240, interval=0.02,
                            what=what)
            assert process.poll() is None, "the run ended before %s" % what
            return seen
        finally:
            kill_tree(process.pid) if whole_tree else process.kill()  # pylint: disable=expression-not-assigned
            process.wait(timeout=30)


class _StartedRun(object):
    def __init__(self, background):
        self.background = background

    def running(self):
        return self.background.running()

    def finish(self):
        returncode, plays, output = self.background.finish()
        return returncode, rollout_result(plays), plays, output


def _children(pid):
    """Direct children of ``pid`` (from /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


def kill_tree(root):
    """SIGKILL ``root`` and all its descendants at once: stop them all first (repeating until no new process
    appears, since a running process may fork meanwhile), so none is reparented out of reach or acts after another died."""
    stopped = set()
    pending = [root]
    while pending:
        pid = pending.pop()
        if pid in stopped:
            continue
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            continue
        stopped.add(pid)
        pending.extend(_children(pid))
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _state_if(state, condition):
    return state if state is not None and condition(state) else None
