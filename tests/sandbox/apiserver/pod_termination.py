"""Graceful pod deletion: a deleted pod keeps answering while it drains, or exits at once.

A real kubelet runs a pod's ``preStop`` hook, then sends SIGTERM, then SIGKILL after
``terminationGracePeriodSeconds`` (default 30). Meanwhile the pod is ``Terminating``: it has a
``deletionTimestamp``, it is no longer Ready (the endpoints drop it), but its process still answers
whoever still sends to it (a proxy that has not heard of the change yet). Here a pod drains for:

- its ``preStop`` sleep (``lifecycle.preStop.sleep.seconds``, or an exec ``sleep N``), capped by its
  ``terminationGracePeriodSeconds``: the graceful shutdown the docs recommend;
- otherwise the emulator's ``pod_drain_seconds`` (``--pod-drain-seconds``; default 0: an app that exits on
  SIGTERM at once, the worst case).

A pod with a drain time is marked (``deletionTimestamp``, ``deletionGracePeriodSeconds``, not Ready) and removed
from the store when it is over; 0 removes it at once. Both are controller writes, never logged as requests."""
import copy
import math
import re
import time

from . import meta

PODS = ("", "pods")
DEFAULT_GRACE_SECONDS = 30
_SLEEP = re.compile(r"(?:^|[\s;&|])sleep\s+([0-9.]+)")


def pre_stop_seconds(pod_spec):
    """Seconds the ``preStop`` hooks of a pod spec sleep (the longest container's), None when none sleeps."""
    longest = None
    for container in (pod_spec or {}).get("containers") or []:
        hook = ((container.get("lifecycle") or {}).get("preStop")) or {}
        seconds = None
        if "sleep" in hook:
            seconds = float((hook.get("sleep") or {}).get("seconds") or 0)
        elif "exec" in hook:
            found = _SLEEP.search(" ".join(str(part) for part in (hook.get("exec") or {}).get("command") or []))
            seconds = float(found.group(1)) if found else None
        if seconds is not None:
            longest = seconds if longest is None else max(longest, seconds)
    return longest


def drain_seconds(pod, default_seconds):
    """How long ``pod`` keeps answering once deleted."""
    spec = pod.get("spec") or {}
    grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    sleep = pre_stop_seconds(spec)
    return max(0.0, min(float(grace), sleep if sleep is not None else float(default_seconds)))


class PodTermination:
    """The pods being deleted and when each one is gone."""

    def __init__(self, store, default_seconds=0.0):
        self.store = store
        self.default_seconds = default_seconds
        self._gone_at = {}      # (namespace, name) -> monotonic time its process ends

    def delete(self, pod, now=None):
        """Delete ``pod`` (the stored object) gracefully; True when it was removed at once."""
        now = time.monotonic() if now is None else now
        metadata = pod["metadata"]
        key = (metadata.get("namespace", ""), metadata["name"])
        if metadata.get("deletionTimestamp"):
            return False
        seconds = drain_seconds(pod, self.default_seconds)
        if seconds <= 0:
            self.store.remove(PODS, *key)
            return True
        terminating = copy.deepcopy(pod)
        terminating["metadata"]["deletionTimestamp"] = meta.now()
        terminating["metadata"]["deletionGracePeriodSeconds"] = int(math.ceil(seconds))
        status = terminating.setdefault("status", {})
        for condition in status.get("conditions") or []:
            if condition.get("type") in ("Ready", "ContainersReady"):
                condition["status"] = "False"
        for container in status.get("containerStatuses") or []:
            container["ready"] = False
        self.store.put(PODS, terminating, "MODIFIED")
        self._gone_at[key] = now + seconds
        return False

    def reap(self, now=None):
        """Remove the pods whose drain is over."""
        now = time.monotonic() if now is None else now
        with self.store.lock:
            for key, gone_at in list(self._gone_at.items()):
                if gone_at <= now:
                    del self._gone_at[key]
                    if self.store.peek_one(PODS, *key) is not None:
                        self.store.remove(PODS, *key)
