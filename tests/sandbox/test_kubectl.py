"""The real kubectl against the emulator: apply with default validation, get, set image, scale, patch, delete,
rollout status, and the refusals a real apiserver answers."""
import json

import pytest
import yaml

from tests.sandbox.apiserver.crds import shared_dir
from tests.sandbox.fixtures_api import wait_for

PODINFO = shared_dir() / "fixtures" / "podinfo"


@pytest.fixture
def podinfo(kubectl, emulator):
    """The reference podinfo Deployment, HPA and Service applied by kubectl into namespace `test`."""
    if not PODINFO.is_dir():
        pytest.skip(f"shared fixtures absent at {PODINFO} (set SHARED_DIR)")
    emulator.ensure_namespace("test")
    applied = kubectl("apply", "-n", "test", "-f", str(PODINFO))
    assert "deployment.apps/podinfo created" in applied.stdout
    # Like a real cluster without metrics, the HPA lifts the Deployment (no replicas: 1) to its minReplicas.
    wait_for(lambda: kubectl("get", "deployment", "podinfo", "-n", "test", "-o", "jsonpath={.spec.replicas}").stdout == "2",
             what="the HPA's minReplicas")
    return applied


def _vs_yaml(weight=100):
    return yaml.safe_dump({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                           "metadata": {"name": "podinfo", "namespace": "test"},
                           "spec": {"hosts": ["podinfo"], "gateways": ["mesh"],
                                    "http": [{"route": [{"destination": {"host": "podinfo-primary"}, "weight": weight}]}]}})


def test_apply_podinfo_with_default_validation(podinfo, kubectl):
    assert "service/podinfo created" in podinfo.stdout and "horizontalpodautoscaler.autoscaling/podinfo created" in podinfo.stdout
    again = kubectl("apply", "-n", "test", "-f", str(PODINFO))
    assert "deployment.apps/podinfo unchanged" in again.stdout and "service/podinfo unchanged" in again.stdout


def test_get_plain_yaml_json_and_wide(podinfo, kubectl):  # pylint: disable=unused-argument
    plain = kubectl("get", "deployments", "-n", "test").stdout
    assert plain.split()[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    wide = kubectl("get", "deployment", "podinfo", "-n", "test", "-o", "wide").stdout
    assert "ghcr.io/stefanprodan/podinfo:6.0.0" in wide and "app=podinfo" in wide
    as_yaml = yaml.safe_load(kubectl("get", "service", "podinfo", "-n", "test", "-o", "yaml").stdout)
    assert [p["port"] for p in as_yaml["spec"]["ports"]] == [9898, 9797, 9999] and as_yaml["spec"]["clusterIP"]
    as_json = json.loads(kubectl("get", "hpa", "-n", "test", "-o", "json").stdout)
    assert as_json["kind"] == "List" and as_json["items"][0]["spec"]["maxReplicas"] == 4


def test_rollout_status_set_image_and_scale(podinfo, kubectl):  # pylint: disable=unused-argument
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s").stdout
    kubectl("set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:3.1.1", "-n", "test")
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s").stdout
    kubectl("scale", "deployment/podinfo", "--replicas=3", "-n", "test")
    kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s")
    deployment = json.loads(kubectl("get", "deployment", "podinfo", "-n", "test", "-o", "json").stdout)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "stefanprodan/podinfo:3.1.1"
    assert deployment["spec"]["replicas"] == 3 and deployment["status"]["readyReplicas"] == 3


def test_rollout_status_fails_on_progress_deadline(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("patch", "deployment", "podinfo", "-n", "test", "--type", "merge", "-p", json.dumps(
        {"spec": {"progressDeadlineSeconds": 1, "template": {"metadata": {"annotations": {
            "sandbox.progressive.canary/behaviour": "never-ready"}}}}}))
    failed = kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s", check=False)
    assert failed.returncode != 0 and "exceeded its progress deadline" in failed.stderr


def test_wait_for_available_condition(podinfo, kubectl):  # pylint: disable=unused-argument
    waited = kubectl("wait", "--for=condition=Available", "deployment/podinfo", "-n", "test", "--timeout=60s")
    assert "condition met" in waited.stdout


@pytest.mark.parametrize("patch_type, patch", [
    ("merge", {"metadata": {"labels": {"patched": "merge"}}}),
    ("json", [{"op": "add", "path": "/metadata/labels/patched", "value": "json"}]),
    ("strategic", {"metadata": {"labels": {"patched": "strategic"}}}),
])
def test_patch_types(podinfo, kubectl, patch_type, patch):  # pylint: disable=unused-argument
    kubectl("patch", "service", "podinfo", "-n", "test", "--type", patch_type, "-p", json.dumps(patch))
    labels = json.loads(kubectl("get", "service", "podinfo", "-n", "test", "-o", "json").stdout)["metadata"]["labels"]
    assert labels["patched"] == patch_type


def test_apply_patch_and_delete_a_virtualservice(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("apply", "-f", "-", input=_vs_yaml())
    kubectl("apply", "-f", "-", input=_vs_yaml(weight=90))
    weights = json.loads(kubectl("get", "virtualservice", "podinfo", "-n", "test", "-o", "json").stdout)
    assert weights["spec"]["http"][0]["route"][0]["weight"] == 90
    assert "podinfo" in kubectl("get", "vs", "-n", "test").stdout
    failed = kubectl("patch", "vs", "podinfo", "-n", "test", "--type", "strategic", "-p", '{"spec":{"hosts":["x"]}}',
                     check=False)
    assert failed.returncode != 0 and "strategic-merge-patch+json is not supported" in failed.stderr
    kubectl("delete", "virtualservice", "podinfo", "-n", "test")
    assert "NotFound" in kubectl("get", "vs", "podinfo", "-n", "test", check=False).stderr


def test_create_namespace_configmap_and_secret_with_typed_clients(kubectl):
    """kubectl's generator commands send protobuf; a real apiserver accepts it."""
    kubectl("create", "namespace", "typed")
    kubectl("create", "configmap", "settings", "-n", "typed", "--from-literal=colour=blue")
    kubectl("create", "secret", "generic", "token", "-n", "typed", "--from-literal=key=s3cret")
    configmap = json.loads(kubectl("get", "configmap", "settings", "-n", "typed", "-o", "json").stdout)
    secret = json.loads(kubectl("get", "secret", "token", "-n", "typed", "-o", "json").stdout)
    assert configmap["data"] == {"colour": "blue"}
    assert secret["data"] == {"key": "czNjcmV0"} and secret["type"] == "Opaque"
    assert "Active" in kubectl("get", "namespace", "typed").stdout


def test_delete_deployment(podinfo, kubectl):  # pylint: disable=unused-argument
    assert 'deployment.apps "podinfo" deleted' in kubectl("delete", "deployment", "podinfo", "-n", "test").stdout
    assert "NotFound" in kubectl("get", "deployment", "podinfo", "-n", "test", check=False).stderr


def test_refuses_virtualservice_with_string_weight(podinfo, kubectl):  # pylint: disable=unused-argument
    bad = _vs_yaml().replace("weight: 100", "weight: ninety")
    refused = kubectl("apply", "-f", "-", input=bad, check=False)
    assert refused.returncode != 0 and "weight" in refused.stderr


def test_refuses_deployment_selector_not_matching_template(podinfo, kubectl):  # pylint: disable=unused-argument
    manifest = yaml.safe_load((PODINFO / "deployment.yaml").read_text())
    manifest["metadata"]["name"] = "mismatched"
    manifest["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    refused = kubectl("apply", "-n", "test", "-f", "-", input=yaml.safe_dump(manifest), check=False)
    assert refused.returncode != 0 and "selector" in refused.stderr and "Invalid" in refused.stderr


def test_refuses_a_change_of_deployment_selector(podinfo, kubectl):  # pylint: disable=unused-argument
    refused = kubectl("patch", "deployment", "podinfo", "-n", "test", "--type", "merge", "-p",
                      json.dumps({"spec": {"selector": {"matchLabels": {"app": "podinfo", "v": "2"}},
                                           "template": {"metadata": {"labels": {"app": "podinfo", "v": "2"}}}}}),
                      check=False)
    assert refused.returncode != 0 and "field is immutable" in refused.stderr


def test_refuses_a_stale_resource_version(podinfo, kubectl, tmp_path):  # pylint: disable=unused-argument
    current = json.loads(kubectl("get", "service", "podinfo", "-n", "test", "-o", "json").stdout)
    kubectl("label", "service", "podinfo", "-n", "test", "touched=yes")
    current["metadata"].setdefault("labels", {})["stale"] = "yes"
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(current))
    refused = kubectl("replace", "-f", str(path), check=False)
    assert refused.returncode != 0 and "the object has been modified" in refused.stderr


def test_pods_and_replicasets_follow_the_rollout(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s")
    pods = kubectl("get", "pods", "-n", "test", "-l", "app=podinfo").stdout.splitlines()[1:]
    assert [line.split()[1:3] for line in pods] == [["1/1", "Running"]] * 2   # the HPA's minReplicas
    kubectl("annotate", "deployment", "podinfo", "-n", "test", "kubernetes.io/change-cause=crash")
    kubectl("patch", "deployment", "podinfo", "-n", "test", "--type", "merge", "-p", json.dumps(
        {"spec": {"progressDeadlineSeconds": 1, "template": {"metadata": {"annotations": {
            "sandbox.progressive.canary/behaviour": "crash-loop"}}}}}))
    kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s", check=False)
    statuses = [line.split()[2] for line in kubectl("get", "pods", "-n", "test").stdout.splitlines()[1:]]
    assert sorted(statuses) == ["CrashLoopBackOff", "CrashLoopBackOff", "Running", "Running"]
    replicasets = kubectl("get", "replicasets", "-n", "test", "-o", "json")
    assert len(json.loads(replicasets.stdout)["items"]) == 2
    kubectl("rollout", "undo", "deployment/podinfo", "-n", "test")
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s").stdout
    statuses = [line.split()[2] for line in kubectl("get", "pods", "-n", "test").stdout.splitlines()[1:]]
    assert statuses == ["Running", "Running"]


def test_a_deleted_pod_is_replaced(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("rollout", "status", "deployment/podinfo", "-n", "test", "--timeout=60s")
    name = kubectl("get", "pods", "-n", "test", "-o", "jsonpath={.items[0].metadata.name}").stdout
    kubectl("delete", "pod", name, "-n", "test", "--wait=false")

    def replaced():
        names = kubectl("get", "pods", "-n", "test", "-o", "jsonpath={.items[*].metadata.name}").stdout.split()
        return names if len(names) == 2 and name not in names else None
    assert len(wait_for(replaced, what="a replacement pod")) == 2


def _event(namespace="test", involved_namespace="test", name="podinfo.1", message="Advance podinfo.test canary weight 20", count=1):
    return json.dumps({"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": namespace},
                       "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo",
                                          "namespace": involved_namespace},
                       "reason": "Synced", "message": message, "type": "Normal", "count": count,
                       "source": {"component": "progressive-canary"},
                       "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z"})


def test_events_print_and_select_as_a_real_apiserver(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("create", "-f", "-", input=_event())
    kubectl("create", "-f", "-", input=_event(name="podinfo.2", message="Halt advancement", count=3))
    table = kubectl("get", "events", "-n", "test").stdout.splitlines()
    assert table[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], table
    row = next(line for line in table if "canary weight 20" in line)
    assert row.split()[1:4] == ["Normal", "Synced", "deployment/podinfo"], row
    assert "(x3 over" in next(line for line in table if "Halt advancement" in line)
    wide = kubectl("get", "events", "-n", "test", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-3:] == ["SEEN", "COUNT", "NAME"] and "progressive-canary" in wide[1], wide
    selected = kubectl("get", "events", "-n", "test", "--field-selector", "involvedObject.name=podinfo,reason=Synced",
                       "-o", "name").stdout.split()
    assert sorted(selected) == ["event/podinfo.1", "event/podinfo.2"]


def test_an_event_outside_its_objects_namespace_is_refused(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("create", "namespace", "other")
    refused = kubectl("create", "-f", "-", input=_event(namespace="other"), check=False)
    assert refused.returncode != 0 and "involvedObject.namespace: Invalid value: \"test\": does not match event.namespace" in refused.stderr


def _events_v1(name="podinfo.3", **fields):
    event = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "namespace": "test"},
             "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "test"},
             "reason": "Synced", "note": "Promotion completed! Scaling down podinfo.test", "type": "Normal",
             "action": "Promote", "eventTime": "2026-01-01T00:00:00.000000Z",
             "reportingController": "progressive-canary", "reportingInstance": "controller-1"}
    event.update(fields)
    return json.dumps(event)


def test_events_k8s_io_serves_the_same_events_under_its_names(podinfo, kubectl):  # pylint: disable=unused-argument
    kubectl("create", "-f", "-", input=_event())
    newer = json.loads(kubectl("get", "events.v1.events.k8s.io", "podinfo.1", "-n", "test", "-o", "json").stdout)
    assert (newer["note"], newer["regarding"]["name"], newer["deprecatedCount"], newer["deprecatedSource"]) == (
        "Advance podinfo.test canary weight 20", "podinfo", 1, {"component": "progressive-canary"})
    assert "message" not in newer and "involvedObject" not in newer

    uid = kubectl("get", "deployment", "podinfo", "-n", "test", "-o", "jsonpath={.metadata.uid}").stdout
    regarding = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo", "namespace": "test", "uid": uid}
    kubectl("create", "-f", "-", input=_events_v1(regarding=regarding))
    core = json.loads(kubectl("get", "events.v1.", "podinfo.3", "-n", "test", "-o", "json").stdout)
    assert (core["message"], core["involvedObject"]["name"], core["reportingComponent"], core["action"]) == (
        "Promotion completed! Scaling down podinfo.test", "podinfo", "progressive-canary", "Promote")
    # kubectl describe reads core/v1 events of the Deployment's uid
    assert "Promotion completed! Scaling down podinfo.test" in kubectl("describe", "deployment", "podinfo", "-n", "test").stdout
    assert "events.k8s.io/v1" in kubectl("api-versions").stdout


def test_events_k8s_io_refuses_what_its_strict_validation_refuses(podinfo, kubectl):  # pylint: disable=unused-argument
    refused = kubectl("create", "-f", "-", input=_events_v1(action="", deprecatedCount=2), check=False)
    assert refused.returncode != 0
    assert "action: Required value" in refused.stderr and "deprecatedCount: Invalid value" in refused.stderr, refused.stderr
    no_time = json.loads(_events_v1())
    del no_time["eventTime"]
    refused = kubectl("create", "-f", "-", input=json.dumps(no_time), check=False)
    assert refused.returncode != 0 and "eventTime" in refused.stderr, refused.stderr
