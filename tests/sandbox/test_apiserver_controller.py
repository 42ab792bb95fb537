"""Background behaviour: the Deployment controller, garbage collection, finalizers and watches."""
import json
import threading
import time
import urllib.request

import yaml

from kubernetes import watch as k8s_watch

from tests.sandbox.fixtures_api import wait_for


def _deployment(name="web", replicas=2, annotations=None, deadline=None, image="nginx:1"):
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                         "spec": {"containers": [{"name": "main", "image": image}]}}}
    if deadline is not None:
        spec["progressDeadlineSeconds"] = deadline
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def _conditions(deployment):
    return {c["type"]: c for c in (deployment.get("status") or {}).get("conditions") or []}


def _get(emulator, name="web"):
    status, body = emulator.request("GET", f"/apis/apps/v1/namespaces/default/deployments/{name}")
    assert status == 200, body
    return body


def _wait(emulator, predicate, what):
    """The Deployment `web` once `predicate(deployment)` holds."""
    def check():
        deployment = _get(emulator)
        return deployment if predicate(deployment) else None
    return wait_for(check, what=what)


def _observed(generation):
    return lambda deployment: deployment["status"].get("observedGeneration") == generation


def _deadline_exceeded(deployment):
    return _conditions(deployment).get("Progressing", {}).get("status") == "False"


def _complete(deployment):
    status = deployment.get("status") or {}
    replicas = deployment["spec"]["replicas"]
    return (status.get("observedGeneration") == deployment["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == status.get("readyReplicas", 0) == status.get("replicas", 0) == replicas
            and _conditions(deployment).get("Progressing", {}).get("reason") == "NewReplicaSetAvailable") and deployment


def test_deployment_status_advances_to_available(k8s_client):
    deployments = k8s_client.resources.get(api_version="apps/v1", kind="Deployment")
    created = deployments.create(namespace="default", body=_deployment())
    assert not (created.status or {})
    done = wait_for(lambda: _complete(deployments.get(namespace="default", name="web").to_dict()), what="deployment complete")
    assert done["status"]["availableReplicas"] == 2
    assert _conditions(done)["Available"]["status"] == "True"
    assert done["metadata"]["generation"] == 1
    replicasets = k8s_client.resources.get(api_version="apps/v1", kind="ReplicaSet").get(namespace="default").items
    assert [(rs.metadata.ownerReferences[0].uid, rs.status.readyReplicas) for rs in replicasets] == [(created.metadata.uid, 2)]


def test_rolling_update_keeps_old_replicas_ready_until_new_ones_are(emulator):
    yaml_text = yaml.safe_dump(_deployment())
    emulator.load_manifests(yaml_text)
    wait_for(lambda: _complete(_get(emulator)), what="first rollout")
    slow = {"sandbox.progressive.canary/ready-seconds": "600"}
    patch = {"spec": {"template": {"metadata": {"annotations": slow}, "spec": {"containers": [{"name": "main", "image": "nginx:2"}]}}}}
    status = emulator.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", patch,
                              "application/strategic-merge-patch+json")[0]
    assert status == 200
    rolling = _wait(emulator, _observed(2), "observed")
    assert rolling["status"]["readyReplicas"] == 2 and rolling["status"]["updatedReplicas"] == 2
    assert rolling["status"]["replicas"] == 4
    assert _conditions(rolling)["Progressing"]["reason"] in ("NewReplicaSetCreated", "ReplicaSetUpdated")


def test_scaling_to_zero_removes_ready_replicas(emulator):
    emulator.load_manifests(yaml.safe_dump(_deployment()))
    wait_for(lambda: _complete(_get(emulator)), what="rollout")
    status = emulator.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                              {"spec": {"replicas": 0}}, "application/merge-patch+json")[0]
    assert status == 200
    scaled = _wait(emulator, _observed(2), "observed")
    assert "readyReplicas" not in scaled["status"] and "replicas" not in scaled["status"]


def test_never_ready_template_exceeds_its_progress_deadline(emulator):
    emulator.load_manifests(yaml.safe_dump(
        _deployment(annotations={"sandbox.progressive.canary/behaviour": "never-ready"}, deadline=1)))
    stuck = _wait(emulator, _deadline_exceeded, "ProgressDeadlineExceeded")
    assert _conditions(stuck)["Progressing"]["reason"] == "ProgressDeadlineExceeded"
    assert stuck["status"].get("readyReplicas", 0) == 0 and stuck["status"]["updatedReplicas"] == 2


def test_crash_looping_release_never_replaces_the_serving_one(emulator):
    emulator.load_manifests(yaml.safe_dump(_deployment(deadline=1)))
    wait_for(lambda: _complete(_get(emulator)), what="rollout")
    bad = _deployment(annotations={"sandbox.progressive.canary/behaviour": "crash-loop"}, deadline=1, image="nginx:bad")
    emulator.load_manifests(yaml.safe_dump(bad))
    stuck = _wait(emulator, _deadline_exceeded, "ProgressDeadlineExceeded")
    assert stuck["status"]["readyReplicas"] == 2 and stuck["status"]["updatedReplicas"] == 2


def test_controller_status_writes_are_not_client_writes(emulator):
    emulator.load_manifests(yaml.safe_dump(_deployment()))
    wait_for(lambda: _complete(_get(emulator)), what="rollout")
    assert [(r.method, r.path) for r in emulator.request_log.writes()] == [
        ("POST", "/api/v1/namespaces"), ("POST", "/apis/apps/v1/namespaces/default/deployments")]


def test_a_client_write_to_a_replicaset_is_reconciled_as_the_deployment_controller_does(emulator):
    """The controllers build an object again only when what decides it changed or someone else wrote it
    (workloads.py): a client's change to a ReplicaSet's annotations is put back on a later tick, as the Deployment
    controller sets its replicas annotations again, however quiet the Deployment."""
    emulator.load_manifests(yaml.safe_dump(_deployment()))
    wait_for(lambda: _complete(_get(emulator)), what="rollout")
    replicasets = "/apis/apps/v1/namespaces/default/replicasets"
    name = emulator.request("GET", replicasets)[1]["items"][0]["metadata"]["name"]

    def quiet():    # the controllers have stopped writing it: nothing decides it any more but a client's write
        version = emulator.request("GET", "%s/%s" % (replicasets, name))[1]["metadata"]["resourceVersion"]
        time.sleep(0.5)
        return version == emulator.request("GET", "%s/%s" % (replicasets, name))[1]["metadata"]["resourceVersion"]
    wait_for(quiet, what="the ReplicaSet left alone")
    annotation = "deployment.kubernetes.io/desired-replicas"
    status, patched = emulator.request("PATCH", "%s/%s" % (replicasets, name), {"metadata": {"annotations": {annotation: "99"}}},
                                       "application/merge-patch+json")
    assert status == 200 and patched["metadata"]["annotations"][annotation] == "99", patched

    def reconciled():
        replicaset = emulator.request("GET", "%s/%s" % (replicasets, name))[1]
        return replicaset if replicaset["metadata"]["annotations"][annotation] == "2" else None
    assert wait_for(reconciled, what="the annotation put back")["metadata"]["resourceVersion"] != patched["metadata"]["resourceVersion"]


def test_owned_objects_are_garbage_collected(k8s_client):
    configmaps = k8s_client.resources.get(api_version="v1", kind="ConfigMap")
    owner = configmaps.create(namespace="default", body={"metadata": {"name": "owner"}})
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    for name in ("child-1", "child-2"):
        configmaps.create(namespace="default", body={"metadata": {"name": name, "ownerReferences": [reference]}})
    configmaps.create(namespace="default", body={"metadata": {"name": "unrelated"}})
    configmaps.delete(namespace="default", name="owner")

    def names():
        return sorted(i.metadata.name for i in configmaps.get(namespace="default").items)
    assert wait_for(lambda: names() == ["unrelated"] and names(), what="dependents collected") == ["unrelated"]


def test_deleting_a_deployment_collects_its_replicasets_and_pods(emulator):
    emulator.load_manifests(yaml.safe_dump(_deployment()))
    wait_for(lambda: _complete(_get(emulator)), what="rollout")
    assert len(emulator.request("GET", "/api/v1/namespaces/default/pods")[1]["items"]) == 2
    emulator.request("DELETE", "/apis/apps/v1/namespaces/default/deployments/web")

    def leftovers():
        return [len(emulator.request("GET", path)[1]["items"])
                for path in ("/apis/apps/v1/namespaces/default/replicasets", "/api/v1/namespaces/default/pods")]
    wait_for(lambda: leftovers() == [0, 0], what="replicasets and pods collected")


def test_orphan_propagation_keeps_dependents(emulator):
    owner = emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})[1]
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "child", "ownerReferences": [reference]}})
    emulator.request("DELETE", "/api/v1/namespaces/default/configmaps/owner?propagationPolicy=Orphan")
    status, child = emulator.request("GET", "/api/v1/namespaces/default/configmaps/child")
    assert status == 200 and "ownerReferences" not in child["metadata"]


def test_finalizers_hold_deletion_until_removed(emulator):
    emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["example.com/x"]}})
    status, marked = emulator.request("DELETE", "/api/v1/namespaces/default/configmaps/held")
    assert status == 200 and marked["metadata"]["deletionTimestamp"]
    status = emulator.request("PATCH", "/api/v1/namespaces/default/configmaps/held", {"metadata": {"finalizers": None}},
                              "application/merge-patch+json")[0]
    assert status == 200
    assert emulator.request("GET", "/api/v1/namespaces/default/configmaps/held")[0] == 404


def test_deleting_a_namespace_deletes_its_content(emulator):
    emulator.ensure_namespace("doomed")
    emulator.request("POST", "/api/v1/namespaces/doomed/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    status, namespace = emulator.request("DELETE", "/api/v1/namespaces/doomed")
    assert status == 200 and namespace["status"]["phase"] == "Terminating"
    wait_for(lambda: emulator.request("GET", "/api/v1/namespaces/doomed")[0] == 404, what="namespace gone")
    assert emulator.request("GET", "/api/v1/namespaces/doomed/configmaps/a")[0] == 404


def test_watch_streams_added_modified_deleted(k8s_client, emulator):
    configmaps = k8s_client.resources.get(api_version="v1", kind="ConfigMap")
    start = configmaps.get(namespace="default").metadata.resourceVersion
    events = []
    watcher = k8s_watch.Watch()

    def consume():
        for event in configmaps.watch(namespace="default", resource_version=start, timeout=20, watcher=watcher):
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                watcher.stop()

    thread = threading.Thread(target=consume)
    thread.start()
    configmaps.create(namespace="default", body={"metadata": {"name": "w"}})
    configmaps.patch(namespace="default", name="w", body={"data": {"k": "v"}}, content_type="application/merge-patch+json")
    configmaps.create(namespace="default", body={"metadata": {"name": "other"}})
    configmaps.delete(namespace="default", name="w")
    thread.join(timeout=30)
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("ADDED", "other"), ("DELETED", "w")]
    assert any(r.is_watch for r in emulator.request_log.records())


def test_watch_without_resource_version_starts_with_current_objects_and_honours_timeout(emulator):
    emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}}})
    emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})
    url = emulator.url + "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=x%3D1&timeoutSeconds=1"
    with urllib.request.urlopen(url, timeout=30) as response:
        lines = response.read().decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert [(e["type"], e["object"]["metadata"]["name"], e["object"]["kind"]) for e in events] == [("ADDED", "a", "ConfigMap")]


def _hpa(name="web", low=2, high=4):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": low, "maxReplicas": high}}


def _replicas(emulator):
    return _get(emulator)["spec"]["replicas"]


def test_hpa_without_metrics_keeps_replicas_within_bounds(emulator):
    emulator.load_manifests(yaml.safe_dump_all([_deployment(replicas=1), _hpa()]))
    assert wait_for(lambda: _replicas(emulator) == 2, what="scaled up to minReplicas")
    emulator.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", {"spec": {"replicas": 9}},
                     "application/merge-patch+json")
    assert wait_for(lambda: _replicas(emulator) == 4, what="scaled down to maxReplicas")
    hpa = emulator.request("GET", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")[1]
    assert hpa["status"]["desiredReplicas"] == 4
    assert not [r for r in emulator.request_log.writes() if r.path.endswith("/deployments/web") and r.method == "PUT"]


def test_hpa_is_disabled_by_a_target_scaled_to_zero(emulator):
    emulator.load_manifests(yaml.safe_dump_all([_deployment(replicas=2), _hpa()]))
    emulator.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", {"spec": {"replicas": 0}},
                     "application/merge-patch+json")

    def disabled():
        hpa = emulator.request("GET", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")[1]
        conditions = {c["type"]: c["reason"] for c in (hpa.get("status") or {}).get("conditions") or []}
        return conditions.get("ScalingActive") == "ScalingDisabled"
    wait_for(disabled, what="ScalingDisabled")
    assert _replicas(emulator) == 0
