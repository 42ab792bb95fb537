"""The ReplicaSet and Pod objects of a Deployment's rollout state, written like the controllers write them.

They make `kubectl get rs,pods`, `kubectl rollout history|undo` and crash loops visible. Writes go straight
to the store (controller writes, not client requests) and only when an object changed.

The controllers tick 20 times a second over every Deployment: an object is built again only when what decides it
changed since its last write (its `written_key`) or someone else wrote it since (its resourceVersion), so that a
tick over a quiet fleet costs next to nothing. The emulator shares the bench's cores with ansible-playbook; a real
cluster's controllers run elsewhere.
"""
import copy
import itertools
import math

from . import meta

REPLICASETS = ("apps", "replicasets")
PODS = ("", "pods")
CRASH_LOOP = "crash-loop"
RESTART_SECONDS = 10
NODE = "sandbox-node"


class Workloads:
    def __init__(self, store, pods):
        self.store = store
        self.pods = pods        # pod_termination.PodTermination: how a pod leaving its replica set ends
        self._ips = itertools.count(2)
        self._pod_ips = {}

    def forget_deleted(self, namespace, state):
        """Pods deleted by a client (or the garbage collector) leave the rollout state, so they get replaced."""
        for rs in state.replica_sets.values():
            rs.pods = [pod for pod in rs.pods if not pod.written or _running(self.store.peek_one(PODS, namespace, pod.name))]

    def pods_by_owner(self):
        """{owner uid: [live pod objects]}: read once per tick, not once per ReplicaSet."""
        owned = {}
        for pod in self.store.peek(PODS):
            for ref in pod["metadata"].get("ownerReferences") or []:
                owned.setdefault(ref.get("uid"), []).append(pod)
        return owned

    def sync(self, deployment, state, now, pods_by_owner=None):
        namespace = deployment["metadata"]["namespace"]
        for rs in state.replica_sets.values():
            rs_obj = self._write_replica_set(deployment, rs, now)
            rs.uid = rs_obj["metadata"]["uid"]
            wanted = {pod.name for pod in rs.pods}
            for pod in rs.pods:
                self._write_pod(namespace, rs, pod, now)
            owned = pods_by_owner.get(rs.uid, ()) if pods_by_owner is not None else [
                stale for stale in self.store.peek(PODS)
                if any(r.get("uid") == rs.uid for r in stale["metadata"].get("ownerReferences") or [])]
            for stale in owned:
                if stale["metadata"]["name"] not in wanted and not stale["metadata"].get("deletionTimestamp"):
                    self.pods.delete(stale, now)    # at once, or after its drain (pod_termination.py)
                    self._pod_ips.pop(stale["metadata"]["name"], None)

    @staticmethod
    def _unchanged(written, key, existing):
        """True when `written` (a ReplicaSetState or PodState) was last written from `key` and the stored object is
        still that write (nobody else changed or deleted it since)."""
        return (existing is not None and getattr(written, "written_key", None) == key
                and existing["metadata"].get("resourceVersion") == getattr(written, "written_version", None))

    @staticmethod
    def _remember(written, key, stored):
        written.written_key = key
        written.written_version = stored["metadata"].get("resourceVersion")
        return stored

    def _put(self, key, desired, existing):
        """Create or update `desired` when it differs from `existing` (the live stored object, never mutated)."""
        if existing is None:
            desired["metadata"].update(uid=meta.new_uid(), creationTimestamp=meta.now())
            if key == REPLICASETS:
                desired["metadata"]["generation"] = 1
            return self.store.put(key, desired, "ADDED")
        for field in ("uid", "creationTimestamp", "generation", "resourceVersion"):
            if field in existing["metadata"]:
                desired["metadata"][field] = existing["metadata"][field]
        if key == REPLICASETS and desired["spec"] != existing["spec"]:
            desired["metadata"]["generation"] = existing["metadata"].get("generation", 1) + 1
            desired["status"]["observedGeneration"] = desired["metadata"]["generation"]
        if desired == existing:
            return existing
        return self.store.put(key, desired, "MODIFIED")

    def _write_replica_set(self, deployment, rs, now):
        namespace = deployment["metadata"]["namespace"]
        existing = self.store.peek_one(REPLICASETS, namespace, rs.name)
        # What the object is built from: the Deployment (its replicas, selector, uid), the pods and their readiness.
        key = (deployment["metadata"].get("uid"), deployment["metadata"].get("resourceVersion"), len(rs.pods),
               rs.ready(now), rs.revision)
        if self._unchanged(rs, key, existing):
            return existing
        spec = deployment.get("spec") or {}
        labels = dict(((rs.template.get("metadata") or {}).get("labels") or {}), **{"pod-template-hash": rs.template_hash})
        template = copy.deepcopy(rs.template)
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = rs.template_hash
        ready = rs.ready(now)
        status = {"replicas": len(rs.pods), "fullyLabeledReplicas": len(rs.pods), "readyReplicas": ready,
                  "availableReplicas": ready,
                  "observedGeneration": (existing or {}).get("metadata", {}).get("generation", 1)}
        replicas = spec.get("replicas", 1)
        desired = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": rs.name, "namespace": namespace, "labels": labels,
                                "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                                "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                                "deployment.kubernetes.io/revision": str(rs.revision)},
                                "ownerReferences": [_owner(deployment, "apps/v1", "Deployment")]},
                   "spec": {"replicas": len(rs.pods), "selector": selector, "template": template},
                   "status": {k: v for k, v in status.items() if v or k == "replicas"}}
        return self._remember(rs, key, self._put(REPLICASETS, desired, existing))

    def _write_pod(self, namespace, rs, pod, now):
        existing = self.store.peek_one(PODS, namespace, pod.name)
        # A crash-looping pod's restart count grows with time: built every tick.
        key = None if rs.behaviour == CRASH_LOOP else (rs.uid, rs.name, pod.ready_at <= now)
        if key is not None and self._unchanged(pod, key, existing):
            pod.written = True
            return
        if pod.name not in self._pod_ips:
            number = next(self._ips)
            self._pod_ips[pod.name] = f"10.244.{number // 250}.{number % 250 + 2}"
        template = rs.template
        ready = pod.ready_at <= now
        created = existing["metadata"]["creationTimestamp"] if existing else meta.now()
        containers = (template.get("spec") or {}).get("containers") or []
        desired = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": pod.name, "generateName": rs.name + "-", "namespace": namespace,
                                "labels": dict(((template.get("metadata") or {}).get("labels") or {}),
                                               **{"pod-template-hash": rs.template_hash}),
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs.name,
                                                     "uid": rs.uid, "controller": True, "blockOwnerDeletion": True}]},
                   "spec": dict(copy.deepcopy(template.get("spec") or {}), nodeName=NODE),
                   "status": _pod_status(rs, pod, ready, now, created, containers, self._pod_ips[pod.name])}
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            desired["metadata"]["annotations"] = copy.deepcopy(annotations)
        self._remember(pod, key, self._put(PODS, desired, existing))
        pod.written = True


def _running(pod):
    """A pod object that exists and is not terminating (a terminating one is replaced, as a ReplicaSet does)."""
    return pod is not None and not pod["metadata"].get("deletionTimestamp")


def _owner(obj, api_version, kind):
    return {"apiVersion": api_version, "kind": kind, "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def _pod_status(rs, pod, ready, now, created, containers, pod_ip):
    flag = "True" if ready else "False"
    restarts = 0
    if rs.behaviour == CRASH_LOOP and math.isinf(pod.ready_at):
        restarts = 1 + int((now - pod.started) // RESTART_SECONDS)
    statuses = []
    for container in containers:
        entry = {"name": container.get("name"), "image": container.get("image"), "imageID": "", "ready": ready,
                 "restartCount": restarts, "started": restarts == 0}
        if restarts:
            entry["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                          "message": f"back-off restarting failed container {container.get('name')}"}}
            entry["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
        else:
            entry["state"] = {"running": {"startedAt": created}}
        statuses.append(entry)
    return {"phase": "Running", "hostIP": "10.0.0.1", "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": created,
            "qosClass": "Burstable",
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": flag},
                           {"type": "ContainersReady", "status": flag}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": statuses}
