"""The modules run for real by ansible-playbook: check/diff, init, idempotent re-run, cleanup, a refusal
as a task failure, config copies, and no Secret value anywhere in the output."""
import base64
import json

import pytest
import yaml

from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, load_podinfo, run_playbook
from tests.sandbox.fixtures_mesh import wait_ready

pytestmark = pytest.mark.needs_crds
SECRET_VALUE = "s3cr3t-value-never-shown"
CONFIGS = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "podinfo-config", "namespace": NAMESPACE}, "data": {"color": "blue"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "podinfo-token", "namespace": NAMESPACE}, "type": "Opaque",
     "data": {"token": base64.b64encode(SECRET_VALUE.encode()).decode()}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "podinfo-static", "namespace": NAMESPACE,
                                                           "annotations": {"progressive.canary/track": "false"}}, "data": {"a": "b"}},
]
POD_CHANGES = {
    "spec.template.spec.volumes": [{"name": "config", "configMap": {"name": "podinfo-config"}},
                                   {"name": "static", "configMap": {"name": "podinfo-static"}}],
    "spec.template.spec.initContainers": [{"name": "init", "image": "busybox",
                                           "envFrom": [{"secretRef": {"name": "podinfo-token"}}]}],
}


def _init_task(name, **extra):
    task = {"name": name, "progressive.canary.canary_init": {"target": "podinfo", "namespace": NAMESPACE, "hpa": "podinfo",
                                                             "ready_timeout": 60, "service": PODINFO_SERVICE}, "register": "out"}
    task.update(extra)
    return task


def _cleanup_task(name, **extra):
    task = {"name": name, "progressive.canary.canary_cleanup": {"target": "podinfo", "namespace": NAMESPACE, "ready_timeout": 60}}
    task.update(extra)
    return task


def test_playbook_lifecycle_with_config_copies(emulator, kubeconfig, k8s_client, tmp_path):
    emulator.load_manifests(yaml.safe_dump_all(CONFIGS), namespace=NAMESPACE)
    load_podinfo(emulator, deployment_changes=POD_CHANGES)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    tasks = [_init_task("init check", check_mode=True, diff=True), _init_task("init", diff=True), _init_task("init again")]
    rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert rc == 0, results
    assert results["init check"]["changed"] and results["init"]["changed"] and not results["init again"]["changed"]
    assert results["init check"]["actions"] == results["init"]["actions"]
    assert results["init"]["phase"] == "Initialized"
    assert results["init"]["managed"]["config_copies"] == ["ConfigMap/podinfo-config-primary", "Secret/podinfo-token-primary"]
    assert SECRET_VALUE not in json.dumps(results) and base64.b64encode(SECRET_VALUE.encode()).decode() not in json.dumps(results)

    configmaps = k8s_client.resources.get(api_version="v1", kind="ConfigMap")
    secrets = k8s_client.resources.get(api_version="v1", kind="Secret")
    assert configmaps.get(name="podinfo-config-primary", namespace=NAMESPACE).data.color == "blue"
    assert secrets.get(name="podinfo-token-primary", namespace=NAMESPACE).data.token == CONFIGS[1]["data"]["token"]
    primary = k8s_client.resources.get(api_version="apps/v1", kind="Deployment").get(name="podinfo-primary", namespace=NAMESPACE).to_dict()
    pod = primary["spec"]["template"]["spec"]
    assert [v["configMap"]["name"] for v in pod["volumes"]] == ["podinfo-config-primary", "podinfo-static"], "opted-out config not copied"
    assert pod["initContainers"][0]["envFrom"][0]["secretRef"]["name"] == "podinfo-token-primary"

    rc, results = run_playbook(tmp_path, [_cleanup_task("cleanup", diff=True), _cleanup_task("cleanup again")], kubeconfig)
    assert rc == 0, results
    assert results["cleanup"]["changed"] and not results["cleanup again"]["changed"]
    assert "Secret test/podinfo-token-primary" in results["cleanup"]["removed"]
    assert SECRET_VALUE not in json.dumps(results) and CONFIGS[1]["data"]["token"] not in json.dumps(results)
    names = sorted(item.metadata.name for item in configmaps.get(namespace=NAMESPACE).items)
    assert "podinfo-config-primary" not in names and "podinfo-config" in names and "podinfo-static" in names
    target = k8s_client.resources.get(api_version="apps/v1", kind="Deployment").get(name="podinfo", namespace=NAMESPACE)
    assert target.spec.replicas == 2 and target.spec.template.spec.volumes[0].configMap.name == "podinfo-config"


def test_playbook_refusal_fails_the_task_with_the_reason(emulator, kubeconfig, tmp_path):
    emulator.ensure_namespace(NAMESPACE)
    rc, results = run_playbook(tmp_path, [_init_task("init")], kubeconfig)
    assert rc != 0
    assert results["init"]["failed"] and "Deployment test/podinfo not found" in results["init"]["msg"]


def test_playbook_unreachable_api_is_a_clear_failure(tmp_path):
    kubeconfig = tmp_path / "dead-kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}], "users": [{"name": "u", "user": {"token": "t"}}]}))
    rc, results = run_playbook(tmp_path, [_cleanup_task("cleanup")], str(kubeconfig))
    assert rc != 0
    message = results["cleanup"]["msg"]
    assert "cannot reach the API server" in message and "Traceback" not in json.dumps(results["cleanup"])
