"""kubernetes.core's k8s and k8s_info in real ansible-playbook runs against the API emulator.

The playbooks are files under tests/sandbox/playbooks/ (linted like any playbook), run by
tests/ansible_playbook.py with this test's TMPDIR/HOME (the ``emulator`` fixture sets them).
"""
from pathlib import Path

import pytest
import yaml

from tests import ansible_playbook
from tests.sandbox.apiserver import crds

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
NAMESPACE = "test"
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"

needs_crds = pytest.mark.skipif(not crds.crd_files(), reason="../shared/crds is absent (set SHARED_DIR): no VirtualService API")


def run_playbook(playbook, tmp_path, extra_vars):
    """Run tests/sandbox/playbooks/<playbook>; see tests.ansible_playbook.run_playbook."""
    return ansible_playbook.run_playbook(PLAYBOOKS / playbook, tmp_path, extra_vars)


def write_manifest(tmp_path, name, manifest):
    path = tmp_path / ("%s.yaml" % name)
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return str(path)


def deployment(name, annotations=None, replicas=2):
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels, "annotations": annotations or {}},
                              "spec": {"containers": [{"name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.0.0",
                                                       "ports": [{"containerPort": 9898}]}]}}},
    }


def service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 9898}]}}


def virtual_service(name):
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"hosts": [name], "http": [{"route": [{"destination": {"host": name}, "weight": 100}]}]}}


def patches(emulator, path):
    """(content type, status) of every PATCH the emulator answered on path, in order."""
    return [(r.content_type.split(";")[0], r.status) for r in emulator.request_log.records()
            if r.method == "PATCH" and r.path == path]


def test_k8s_creates_and_waits_then_k8s_info_reads(emulator, kubeconfig, tmp_path):
    manifests = [write_manifest(tmp_path, "deployment", deployment("podinfo")), write_manifest(tmp_path, "service", service("podinfo"))]

    rc, plays, output = run_playbook("k8s_create_and_read.yml", tmp_path, {
        "kubeconfig": kubeconfig, "target_namespace": NAMESPACE, "manifests": manifests})

    assert rc == 0, output
    created, info = plays[0][1], plays[0][2]
    created_deployment = created["results"][0]["result"]
    # wait: true returns the object as it was when the wait ended: available, every replica ready.
    assert created_deployment["status"]["readyReplicas"] == 2, created_deployment["status"]
    assert {"type": "Available", "status": "True"}.items() <= next(
        c for c in created_deployment["status"]["conditions"] if c["type"] == "Available").items()
    assert [r["metadata"]["name"] for r in info["resources"]] == ["podinfo"]
    status, stored = emulator.request("GET", "/api/v1/namespaces/%s/services/podinfo" % NAMESPACE)
    assert status == 200 and stored["spec"]["selector"] == {"app": "podinfo"}


def test_k8s_wait_fails_on_a_deployment_that_never_becomes_ready(emulator, kubeconfig, tmp_path):
    never_ready = deployment("stuck", annotations={"sandbox.progressive.canary/behaviour": "never-ready"})

    rc, plays, output = run_playbook("k8s_create_and_read.yml", tmp_path, {
        "kubeconfig": kubeconfig, "target_namespace": NAMESPACE, "wait_timeout": 3,
        "manifests": [write_manifest(tmp_path, "stuck", never_ready)]})

    assert rc != 0, output
    failed = plays[0][1]["results"][0]
    assert failed["failed"] is True
    assert "Timed out waiting on resource" in failed["msg"], failed["msg"]
    status, stored = emulator.request("GET", "/apis/apps/v1/namespaces/%s/deployments/stuck" % NAMESPACE)
    assert status == 200 and not stored["status"].get("readyReplicas")


@needs_crds
def test_k8s_patch_falls_back_to_merge_patch_when_strategic_merge_is_refused(emulator, kubeconfig, tmp_path):
    emulator.load_manifests(yaml.safe_dump(virtual_service("podinfo")), namespace=NAMESPACE)
    path = "/apis/networking.istio.io/v1beta1/namespaces/%s/virtualservices/podinfo" % NAMESPACE
    patch = {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
             "metadata": {"name": "podinfo", "namespace": NAMESPACE, "labels": {"patched": "yes"}}}

    rc, plays, output = run_playbook("k8s_patch.yml", tmp_path, {"kubeconfig": kubeconfig, "patch": patch})

    assert rc == 0, output
    assert plays[0][0]["changed"] is True
    # What a real apiserver does for a custom resource: strategic merge refused (415), merge patch accepted.
    assert patches(emulator, path) == [(STRATEGIC, 415), (MERGE, 200)]
    status, stored = emulator.request("GET", path)
    assert status == 200 and stored["metadata"]["labels"] == {"patched": "yes"}
    assert stored["spec"]["http"][0]["route"][0]["weight"] == 100


def test_k8s_patch_of_a_deployment_uses_strategic_merge(emulator, kubeconfig, tmp_path):
    emulator.load_manifests(yaml.safe_dump(deployment("podinfo")), namespace=NAMESPACE)
    path = "/apis/apps/v1/namespaces/%s/deployments/podinfo" % NAMESPACE
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "podinfo", "namespace": NAMESPACE},
             "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.0.1"}]}}}}

    rc, plays, output = run_playbook("k8s_patch.yml", tmp_path, {"kubeconfig": kubeconfig, "patch": patch})

    assert rc == 0, output
    assert plays[0][0]["changed"] is True
    assert patches(emulator, path) == [(STRATEGIC, 200)]
    status, stored = emulator.request("GET", path)
    container = stored["spec"]["template"]["spec"]["containers"][0]
    # Strategic merge matched the container by name: image changed, ports kept.
    assert status == 200 and container["image"].endswith(":6.0.1") and container["ports"][0]["containerPort"] == 9898


def test_k8s_delete_with_wait_checks_that_the_object_is_gone(emulator, kubeconfig, tmp_path):
    emulator.load_manifests(yaml.safe_dump(deployment("podinfo")), namespace=NAMESPACE)
    path = "/apis/apps/v1/namespaces/%s/deployments/podinfo" % NAMESPACE

    rc, plays, output = run_playbook("k8s_delete.yml", tmp_path, {
        "kubeconfig": kubeconfig, "target_namespace": NAMESPACE,
        "object_api_version": "apps/v1", "object_kind": "Deployment", "object_name": "podinfo"})

    assert rc == 0, output
    assert plays[0][0]["changed"] is True
    on_object = [(r.method, r.status) for r in emulator.request_log.records() if r.path == path]
    # wait: true reads the object again after the DELETE until the server answers 404.
    assert on_object[-2:] == [("DELETE", 200), ("GET", 404)], on_object
    assert emulator.request("GET", path)[0] == 404


def test_module_defaults_of_the_canary_group_reach_kubernetes_core(emulator, kubeconfig, tmp_path):
    rc, plays, output = run_playbook("module_defaults_group.yml", tmp_path, {"kubeconfig": kubeconfig})

    assert rc == 0, output
    without_defaults, with_defaults = plays[0][0], plays[1][0]
    # Control: with no kubeconfig reaching it, the module cannot build a client.
    assert without_defaults["failed"] is True and "No configuration found" in without_defaults["msg"], without_defaults
    assert with_defaults.get("failed") is not True, with_defaults
    assert "default" in [r["metadata"]["name"] for r in with_defaults["resources"]]
    assert emulator.request_log.counts().get("GET /api/v1/namespaces", 0) == 1
