"""The status a mesh's controllers write on routing objects, once the change is in effect (or never).

- istiod (with ``PILOT_ENABLE_STATUS``, Istio's config distribution tracking) writes on a VirtualService
  ``status.observedGeneration`` and a ``Reconciled`` condition, True when every proxy acknowledged that generation
  ("4/4 proxies up to date.");
- a Gateway API implementation writes ``status.parents[]``, one entry per parentRef with its ``controllerName`` and
  the ``Accepted`` and ``ResolvedRefs`` conditions at the route's ``observedGeneration`` (ResolvedRefs False with
  ``BackendNotFound`` when a backendRef names a Service that does not exist);
- the OpenShift router writes ``status.ingress[]`` with an ``Admitted`` condition (a Route's status has no
  generation).

``StatusWriter`` writes them as those controllers would when the mesh's proxies all have the object's generation
(mesh_propagation.Propagation.everywhere). Writes go through the API (PATCH of the ``status`` subresource), so they
are in the emulator's request log and move the object's resourceVersion, as a real controller's do. A mesh that
writes no status (Istio without status enabled, an older istiod) is the Mesh's default."""

import datetime

CONTROLLER_NAME = "sandbox.progressive.canary/mesh"
ROUTER_NAME = "default"
KINDS = ("virtualservices", "httproutes", "routes")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(kind, status, reason, message, generation=None):
    condition = {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": _now()}
    if generation is not None:
        condition["observedGeneration"] = generation
    return condition


def istio_status(obj, proxies):
    generation = obj["metadata"].get("generation", 1)
    return {"observedGeneration": generation,
            "conditions": [_condition("Reconciled", "True", "", "%d/%d proxies up to date." % (proxies, proxies))]}


def gateway_api_status(obj, services):
    generation = obj["metadata"].get("generation", 1)
    namespace = obj["metadata"]["namespace"]
    missing = []
    for rule in (obj.get("spec") or {}).get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            if ref.get("group", "") == "" and ref.get("kind", "Service") == "Service" \
                    and (ref.get("namespace") or namespace) == namespace and ref.get("name") not in services:
                missing.append(ref.get("name"))
    resolved = (_condition("ResolvedRefs", "False", "BackendNotFound", "backend %s not found" % ", ".join(sorted(set(missing))), generation)
                if missing else _condition("ResolvedRefs", "True", "ResolvedRefs", "all references resolved", generation))
    parents = [{"parentRef": dict(ref), "controllerName": CONTROLLER_NAME,
                "conditions": [_condition("Accepted", "True", "Accepted", "route accepted", generation), resolved]}
               for ref in (obj.get("spec") or {}).get("parentRefs") or []]
    return {"parents": parents}


def route_status(obj):
    spec = obj.get("spec") or {}
    ingress = {"routerName": ROUTER_NAME, "wildcardPolicy": spec.get("wildcardPolicy", "None"),
               "conditions": [{"type": "Admitted", "status": "True", "lastTransitionTime": _now()}]}
    if spec.get("host"):
        ingress["host"] = spec["host"]
    return {"ingress": [ingress]}


def _path(obj, plural):
    group_version = obj["apiVersion"]
    return "/apis/%s/namespaces/%s/%s/%s/status" % (group_version, obj["metadata"]["namespace"], plural, obj["metadata"]["name"])


class StatusWriter:
    """Writes the status of the routing objects the mesh read, once every proxy has their generation."""

    def __init__(self, session, api_url):
        self.session = session
        self.api_url = api_url.rstrip("/")
        self.errors = 0
        self._first_seen = {}   # (plural, namespace, name, uid, generation) -> when the mesh first read it
        self._written = set()

    def observe(self, listed, services_of, propagation, now):
        """``listed``: {plural: [objects]} the mesh read this tick; ``services_of(namespace)`` the Service names there."""
        for plural in KINDS:
            for obj in listed.get(plural) or []:
                metadata = obj["metadata"]
                key = (plural, metadata["namespace"], metadata["name"], metadata.get("uid"), metadata.get("generation", 1))
                first_seen = self._first_seen.setdefault(key, now)
                if key in self._written or not propagation.everywhere(first_seen, now):
                    continue
                if plural == "virtualservices":
                    status = istio_status(obj, len(propagation.delays))
                elif plural == "httproutes":
                    status = gateway_api_status(obj, services_of(metadata["namespace"]))
                else:
                    status = route_status(obj)
                if self._write(obj, plural, status):
                    self._written.add(key)

    def _write(self, obj, plural, status):
        try:
            response = self.session.patch(self.api_url + _path(obj, plural), json={"status": status}, timeout=5,
                                          headers={"Content-Type": "application/merge-patch+json"})
        except Exception:  # pylint: disable=broad-except  # the traffic thread must outlive a failed write
            self.errors += 1
            return False
        if response.status_code == 404:
            return True         # deleted meanwhile: nothing to report
        if response.status_code != 200:
            self.errors += 1
            return False
        return True
