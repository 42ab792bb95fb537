"""Simulated proxies that learn of changes late, and the pods they send to.

In a real mesh a change (a VirtualService, an HTTPRoute, a Route, a Service selector, a pod becoming ready or
going away) reaches each proxy after its own delay: istiod debounces and pushes, the OpenShift router reloads
HAProxy, the endpoints follow pods asynchronously. Until then that proxy routes as before, possibly to a pod that
is gone: the request fails (Envoy's 503 "upstream connect error", HAProxy's 503).

``Propagation`` keeps, per host, the resolutions the mesh computed at each tick (what it read: routes, selectors,
ready pods by name) and gives each simulated proxy the newest one at least its delay old. Each proxy has a fixed
delay, ``delay_s`` plus a seeded random part of ``jitter_s``, so two proxies disagree for a while and each one only
moves forward in time. Requests go to the proxies in turn; the pod a request reaches is checked against the pods
that exist *now* (a terminating pod still draining answers, see apiserver/pod_termination.py)."""

import collections
import random

DEFAULT_PROXIES = 4
DEFAULT_SEED = 13


class Propagation:
    """Per-proxy propagation delays and the resolution history they read."""

    def __init__(self, delay_s=0.0, jitter_s=0.0, proxies=DEFAULT_PROXIES, seed=DEFAULT_SEED):
        if delay_s < 0 or jitter_s < 0 or proxies < 1:
            raise ValueError("delay and jitter must be >= 0 and there must be at least one proxy")
        rng = random.Random(seed)
        self.delays = [float(delay_s) + rng.uniform(0.0, float(jitter_s)) for _proxy in range(proxies)]
        self._history = {}
        self._turn = {}

    @property
    def max_delay(self):
        return max(self.delays)

    def record(self, key, now, resolution):
        """What the mesh resolved for ``key`` (host, client namespace) at ``now``."""
        history = self._history.setdefault(key, collections.deque())
        history.append((now, resolution))
        # Keep the newest entry every proxy may still be using, and everything after it.
        horizon = now - self.max_delay
        while len(history) > 1 and history[1][0] <= horizon:
            history.popleft()

    def view(self, key, now):
        """The resolution the next proxy (in turn) routes ``key`` by: the newest one at least its delay old (the oldest
        known when it has none that old yet). None when nothing was recorded."""
        history = self._history.get(key)
        if not history:
            return None
        proxy = self._turn.get(key, 0)
        self._turn[key] = (proxy + 1) % len(self.delays)
        cutoff = now - self.delays[proxy]
        chosen = history[0][1]
        for stamp, resolution in history:
            if stamp > cutoff:
                break
            chosen = resolution
        return chosen

    def everywhere(self, first_seen, now):
        """Whether a change the mesh first read at ``first_seen`` has reached every proxy by ``now``."""
        return now - first_seen >= self.max_delay


def ready_pods(pods, deployment_name):
    """Names of the Ready, not terminating pods of a Deployment (its ReplicaSets are ``<deployment>-<pod-template-hash>``)."""
    names = []
    for pod in pods:
        metadata = pod.get("metadata") or {}
        template_hash = (metadata.get("labels") or {}).get("pod-template-hash")
        owners = [ref.get("name") for ref in metadata.get("ownerReferences") or [] if ref.get("kind") == "ReplicaSet"]
        if not template_hash or "%s-%s" % (deployment_name, template_hash) not in owners or metadata.get("deletionTimestamp"):
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            names.append(metadata["name"])
    return tuple(sorted(names))


def existing_pods(pods):
    """Names of the pods whose process still answers: every pod object that exists, terminating ones included."""
    return set(pod["metadata"]["name"] for pod in pods)
