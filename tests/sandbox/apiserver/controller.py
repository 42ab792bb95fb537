"""The Deployment controller: replica sets of pod templates whose pods become ready over time, and the status.

Each template (by hash) is a replica set holding pods that become ready `ready_seconds` after they are
created (template annotation `sandbox.progressive.canary/ready-seconds` overrides it), or never for
`sandbox.progressive.canary/behaviour: never-ready | crash-loop`. During a rollout the old template keeps
as many ready pods as the new one still lacks, so a serving Deployment keeps serving. Status writes
bump resourceVersion but never generation, and are not client requests.
"""
import copy
import hashlib
import json
import math
import time

from . import meta
from .workloads import Workloads

ANNOTATION_PREFIX = "sandbox.progressive.canary/"
BEHAVIOUR = ANNOTATION_PREFIX + "behaviour"
READY_SECONDS = ANNOTATION_PREFIX + "ready-seconds"
NEVER_READY = ("never-ready", "crash-loop")
DEPLOYMENTS = ("apps", "deployments")
DEFAULT_DEADLINE = 600


def template_hash(template):
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


class PodState:
    """One pod: when it becomes ready (monotonic seconds, inf: never) and whether its object was written."""

    def __init__(self, name, ready_at, now):
        self.name = name
        self.ready_at = ready_at
        self.started = now
        self.written = False


class ReplicaSetState:
    """The pods of one pod template (one ReplicaSet)."""

    def __init__(self, name, template_hash, template, behaviour):
        self.name = name
        self.template_hash = template_hash
        self.template = copy.deepcopy(template)
        self.behaviour = behaviour
        self.revision = 0
        self.uid = None
        self.pods = []

    def ready(self, now):
        return sum(1 for pod in self.pods if pod.ready_at <= now)

    def scale(self, count, ready_at, now):
        while len(self.pods) < count:
            self.pods.append(PodState(meta.generated_name(self.name + "-"), ready_at, now))
        self.pods.sort(key=lambda pod: pod.ready_at)
        del self.pods[count:]          # the least ready pods go first

    def keep_ready(self, count, now):
        """An old template during a rollout: only its ready pods stay, at most `count` of them."""
        self.pods = [pod for pod in self.pods if pod.ready_at <= now][:max(0, count)]


class RolloutState:
    def __init__(self):
        self.replica_sets = {}
        self.current = None
        self.created_at = 0.0
        self.last_progress = 0.0
        self.last_ready = -1
        self.revision = 0


class DeploymentController:
    def __init__(self, api, ready_seconds):
        self.api = api
        self.store = api.store
        self.ready_seconds = ready_seconds
        self.rollouts = {}          # deployment uid -> RolloutState
        self.workloads = Workloads(self.store, api.pods)
        self._template_hashes = {}  # deployment uid -> (resourceVersion, template hash): hashed once per change

    def tick(self, now=None):
        now = time.monotonic() if now is None else now
        with self.store.lock:
            deployments = self.store.peek(DEPLOYMENTS)
            live = {d["metadata"]["uid"] for d in deployments}
            for uid in list(self.rollouts):
                if uid not in live:
                    del self.rollouts[uid]
                    self._template_hashes.pop(uid, None)
            pods_by_owner = self.workloads.pods_by_owner()
            for deployment in deployments:
                if deployment["metadata"].get("deletionTimestamp"):
                    continue   # its ReplicaSets and Pods are being garbage collected
                status = self._reconcile(deployment, now, pods_by_owner)
                if status != deployment.get("status"):
                    updated = copy.deepcopy(deployment)
                    updated["status"] = status
                    self.store.put(DEPLOYMENTS, updated, "MODIFIED")

    def _pod_ready_at(self, template, now):
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if annotations.get(BEHAVIOUR) in NEVER_READY:
            return math.inf
        try:
            delay = float(annotations.get(READY_SECONDS, self.ready_seconds))
        except ValueError:
            delay = self.ready_seconds
        return now + delay

    def _template_hash(self, deployment, template):
        uid, version = deployment["metadata"]["uid"], deployment["metadata"].get("resourceVersion")
        known = self._template_hashes.get(uid)
        if known is None or known[0] != version or version is None:
            known = self._template_hashes[uid] = (version, template_hash(template))
        return known[1]

    def _reconcile(self, deployment, now, pods_by_owner=None):
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        replicas = spec.get("replicas", 1)
        state = self.rollouts.setdefault(deployment["metadata"]["uid"], RolloutState())
        current = self._template_hash(deployment, template)
        if current != state.current:
            behaviour = ((template.get("metadata") or {}).get("annotations") or {}).get(BEHAVIOUR, "")
            state.replica_sets.setdefault(current, ReplicaSetState(f"{deployment['metadata']['name']}-{current}", current,
                                                                   template, behaviour))
            state.current, state.created_at, state.last_progress, state.last_ready = current, now, now, -1
            state.revision += 1
            state.replica_sets[current].revision = state.revision
        self.workloads.forget_deleted(deployment["metadata"]["namespace"], state)
        new_rs = state.replica_sets[current]
        if not spec.get("paused"):
            new_rs.scale(replicas, self._pod_ready_at(template, now), now)
        new_ready = new_rs.ready(now)
        if new_ready != state.last_ready:
            state.last_ready, state.last_progress = new_ready, now
        for rs_hash, old_rs in state.replica_sets.items():
            if rs_hash != current:
                old_rs.keep_ready(replicas - new_ready, now)
        self.workloads.sync(deployment, state, now, pods_by_owner)
        return self._status(deployment, state, new_rs, now)

    def _status(self, deployment, state, new_rs, now):
        spec = deployment.get("spec") or {}
        replicas = spec.get("replicas", 1)
        total = sum(len(rs.pods) for rs in state.replica_sets.values())
        ready = sum(rs.ready(now) for rs in state.replica_sets.values())
        updated = len(new_rs.pods)
        counts = {"replicas": total, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready,
                  "unavailableReplicas": max(0, replicas - ready)}
        status = {"observedGeneration": deployment["metadata"].get("generation", 1)}
        status.update({k: v for k, v in counts.items() if v})       # the apiserver omits zero counts
        old_conditions = {c["type"]: c for c in (deployment.get("status") or {}).get("conditions") or []}
        status["conditions"] = [
            _condition(old_conditions.get("Available"), "Available", *self._available(spec, ready)),
            _condition(old_conditions.get("Progressing"), "Progressing",
                       *self._progressing(spec, state, new_rs, total, ready, now, old_conditions.get("Progressing"))),
        ]
        return status

    @staticmethod
    def _available(spec, ready):
        replicas = spec.get("replicas", 1)
        strategy = spec.get("strategy") or {}
        max_unavailable = 0
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            max_unavailable = _resolve_count((strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%"), replicas)
        if ready >= replicas - max_unavailable:
            return "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
        return "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."

    @staticmethod
    def _progressing(spec, state, new_rs, total, ready, now, old):
        replicas = spec.get("replicas", 1)
        if len(new_rs.pods) == replicas and new_rs.ready(now) == replicas and total == replicas:
            return "True", "NewReplicaSetAvailable", f'ReplicaSet "{new_rs.name}" has successfully progressed.'
        deadline = spec.get("progressDeadlineSeconds", DEFAULT_DEADLINE)
        if old and old.get("reason") == "ProgressDeadlineExceeded" and state.last_progress < now - deadline:
            return old["status"], old["reason"], old["message"]
        if now - state.last_progress > deadline:
            return "False", "ProgressDeadlineExceeded", f'ReplicaSet "{new_rs.name}" has timed out progressing.'
        if state.last_ready <= 0 and state.last_progress == state.created_at:
            return "True", "NewReplicaSetCreated", f'Created new replica set "{new_rs.name}"'
        return "True", "ReplicaSetUpdated", f'ReplicaSet "{new_rs.name}" is progressing.'


def _resolve_count(value, replicas):
    if isinstance(value, str) and value.endswith("%"):
        return int(math.floor(replicas * int(value[:-1]) / 100))
    return int(value)


def _condition(old, kind, status, reason, message):
    stamp = meta.now()
    if old and old.get("status") == status and old.get("reason") == reason and old.get("message") == message:
        return old
    transition = old["lastTransitionTime"] if old and old.get("status") == status else stamp
    return {"type": kind, "status": status, "lastUpdateTime": stamp, "lastTransitionTime": transition,
            "reason": reason, "message": message}
