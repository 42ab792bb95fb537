"""The apiserver's object operations (get/list/create/update/patch/delete) independent of HTTP."""
import copy

from . import admission, convert, errors, meta, selectors
from .patch import apply_patch, merge_patch
from .pod_termination import PODS, PodTermination

# What a freshly created object's status is reset to when the kind has a status subresource.
_INITIAL_STATUS = {"Namespace": {"phase": "Active"}, "Service": {"loadBalancer": {}}}


class Result:
    """An operation's answer: HTTP code, body and apiserver warnings."""

    def __init__(self, code, body, warnings=()):
        self.code = code
        self.body = body
        self.warnings = list(warnings)


class Api:
    def __init__(self, registry, store):
        self.pods = PodTermination(store)
        self.registry = registry
        self.store = store

    # -- reading ---------------------------------------------------------------------------------------------------

    def view(self, resource, stored):
        return convert.from_storage(resource, self.registry.storage_version(resource), stored)

    def _stored(self, resource, namespace, name):
        obj = self.store.get(resource.store_key, namespace if resource.namespaced else "", name)
        if obj is None:
            raise errors.not_found(resource, name)
        return obj

    def get(self, resource, namespace, name):
        return self.view(resource, self._stored(resource, namespace, name))

    def list(self, resource, namespace, label_selector=None, field_selector=None):
        """`<Kind>List` of matching objects; items of built-in kinds carry no kind/apiVersion, as the apiserver sends."""
        selection = selectors.Filter(namespace if resource.namespaced else None, label_selector, field_selector)
        with self.store.lock:
            items = self.store.list(resource.store_key, selection.matches)
            rv = self.store.resource_version
        views = [self.view(resource, o) for o in items]
        if not resource.custom:
            for item in views:
                item.pop("kind", None)
                item.pop("apiVersion", None)
        return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(rv)}, "items": views}

    # -- writing ---------------------------------------------------------------------------------------------------

    def _check_namespace(self, resource, namespace, name):
        if not resource.namespaced:
            return
        ns = self.store.get(("", "namespaces"), "", namespace)
        if ns is None:
            raise errors.namespace_not_found(namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.namespace_terminating(resource, name, namespace)

    def create(self, resource, namespace, body, dry_run=False, field_validation="Warn"):
        obj = copy.deepcopy(body)
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        meta.check_identity(resource, obj, None, namespace)
        metadata = obj["metadata"]
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = meta.generated_name(metadata["generateName"])
        name = metadata.get("name")
        causes = meta.name_errors(name)
        if causes:
            raise errors.invalid(resource, name or "", causes)
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        if resource.kind == "Secret":
            meta.fold_string_data(obj)
        if "status" in resource.subresources or resource.kind == "Namespace":
            obj.pop("status", None)
            if resource.kind in _INITIAL_STATUS:
                obj["status"] = copy.deepcopy(_INITIAL_STATUS[resource.kind])
        for key in meta.SYSTEM_FIELDS + ("resourceVersion", "managedFields", "selfLink"):
            metadata.pop(key, None)
        self._system_defaults(resource, obj)
        warnings = admission.admit(resource, name, obj, field_validation)
        metadata["uid"] = meta.new_uid()
        metadata["creationTimestamp"] = meta.now()
        if meta.tracks_generation(resource, obj):
            metadata["generation"] = 1
        storage = self.registry.storage_version(resource)
        with self.store.lock:
            self._check_namespace(resource, namespace, name)
            if self.store.get(resource.store_key, metadata.get("namespace", ""), name) is not None:
                raise errors.already_exists(resource, name)
            if dry_run:
                return Result(201, obj, warnings)
            stored = self.store.put(resource.store_key, convert.to_storage(resource, storage, obj), "ADDED")
        return Result(201, self.view(resource, stored), warnings)

    def seed_crd(self, crd):
        """Store a served CRD so that `kubectl get crd` and clients checking for Istio see it (read-only API)."""
        obj = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": crd["metadata"]["name"], "uid": meta.new_uid(), "creationTimestamp": meta.now(),
                            "generation": 1, "labels": dict(crd["metadata"].get("labels") or {})},
               "spec": copy.deepcopy(crd["spec"]),
               "status": {"acceptedNames": copy.deepcopy(crd["spec"]["names"]),
                          "storedVersions": [v["name"] for v in crd["spec"]["versions"] if v.get("storage")],
                          "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                                          "message": "the initial names have been accepted",
                                          "lastTransitionTime": meta.now()}]}}
        self.store.put(("apiextensions.k8s.io", "customresourcedefinitions"), obj, "ADDED")

    @staticmethod
    def _system_defaults(resource, obj):
        if resource.kind == "Namespace":
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])

    def update(self, resource, namespace, name, body, dry_run=False, field_validation="Warn", subresource=None,
               precondition_rv=True):
        """PUT semantics: the body replaces the object (or only its status for `/status`)."""
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        with self.store.lock:
            old_stored = self._stored(resource, namespace, name)
            old = self.view(resource, old_stored)
            new = copy.deepcopy(body)
            meta.check_identity(resource, new, name, namespace)
            sent_rv = new["metadata"].get("resourceVersion")
            if precondition_rv and sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            if resource.custom and not sent_rv:
                # Custom resources do not allow unconditional updates (built-in kinds mostly do).
                raise errors.invalid(resource, name, [("metadata.resourceVersion", "FieldValueInvalid",
                                                       "Invalid value: 0x0: must be specified for an update")])
            new = self._merge_system_state(resource, old, new, subresource)
            warnings = admission.admit(resource, name, new, field_validation, old=old)
            if meta.tracks_generation(resource, new) and meta.spec_part(new) != meta.spec_part(old):
                new["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
            storage = self.registry.storage_version(resource)
            new_stored = convert.to_storage(resource, storage, new)
            if meta.without_rv(new_stored) == meta.without_rv(old_stored):
                return Result(200, old, warnings)
            if dry_run:
                return Result(200, new, warnings)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                gone = self.store.remove(resource.store_key, new["metadata"].get("namespace", ""), name)
                return Result(200, self.view(resource, gone), warnings)
            stored = self.store.put(resource.store_key, new_stored, "MODIFIED")
        return Result(200, self.view(resource, stored), warnings)

    @staticmethod
    def _merge_system_state(resource, old, new, subresource):
        """Carry over what a client cannot change through this endpoint (system metadata, spec or status)."""
        if subresource == "status":
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status")
            if merged["status"] is None:
                merged.pop("status")
            return merged
        new["apiVersion"], new["kind"] = resource.api_version, resource.kind
        metadata = new["metadata"]
        for key in meta.SYSTEM_FIELDS:
            if key in old["metadata"]:
                metadata[key] = old["metadata"][key]
            else:
                metadata.pop(key, None)
        metadata["resourceVersion"] = old["metadata"]["resourceVersion"]
        metadata.pop("managedFields", None)
        if "status" in resource.subresources:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if resource.kind == "Secret":
            meta.fold_string_data(new)
        if resource.kind == "Namespace":
            new.setdefault("spec", old.get("spec", {}))
            new.setdefault("status", old.get("status", {}))
        return new

    def patch(self, resource, namespace, name, content_type, body, dry_run=False, field_validation="Warn",
              subresource=None):
        with self.store.lock:
            old = self.get(resource, namespace, name)
            patched = apply_patch(content_type, body, old, resource,
                                  lambda original, p: admission.strategic_merge(resource, original, p))
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object must be a JSON object")
            return self.update(resource, namespace, name, patched, dry_run, field_validation, subresource)

    # -- scale subresource -----------------------------------------------------------------------------------------

    def get_scale(self, resource, namespace, name):
        obj = self.get(resource, namespace, name)
        return scale_of(obj)

    def update_scale(self, resource, namespace, name, scale, dry_run=False):
        with self.store.lock:
            obj = self.get(resource, namespace, name)
            sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
            if sent_rv and sent_rv != obj["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            replicas = (scale.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise errors.ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                                                      f"Invalid value: {replicas}: must be greater than or equal to 0")
            obj.setdefault("spec", {})["replicas"] = replicas
            result = self.update(resource, namespace, name, obj, dry_run)
        return Result(200, scale_of(result.body))

    def patch_scale(self, resource, namespace, name, content_type, body, dry_run=False):
        with self.store.lock:
            scale = self.get_scale(resource, namespace, name)
            patched = apply_patch(content_type, body, scale, resource, merge_patch)
            return self.update_scale(resource, namespace, name, patched, dry_run)

    # -- deleting --------------------------------------------------------------------------------------------------

    def delete(self, resource, namespace, name, options=None, dry_run=False):
        options = options or {}
        with self.store.lock:
            stored = self._stored(resource, namespace, name)
            _check_preconditions(resource, stored, options.get("preconditions") or {})
            if dry_run:
                return Result(200, self.view(resource, stored))
            policy = options.get("propagationPolicy") or "Background"
            if policy == "Orphan":
                self._orphan_dependents(stored["metadata"]["uid"])
            result = self.delete_stored(resource.store_key, stored, foreground=policy == "Foreground")
        if result is None:
            return Result(200, self.view(resource, self.store.get(resource.store_key, namespace if resource.namespaced else "", name)))
        if resource.custom:
            return Result(200, self.view(resource, result))
        details = {"name": name, "kind": resource.plural, "uid": result["metadata"]["uid"]}
        if resource.group:
            details["group"] = resource.group
        return Result(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})

    def delete_stored(self, key, stored, foreground=False):
        """Delete now, or mark for deletion when finalizers (or a namespace's content) hold it; None if marked."""
        metadata = stored["metadata"]
        with self.store.lock:
            finalizers = list(metadata.get("finalizers") or [])
            if foreground and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if finalizers or key == ("", "namespaces"):
                if not metadata.get("deletionTimestamp"):
                    metadata["deletionTimestamp"] = meta.now()
                    metadata["deletionGracePeriodSeconds"] = 0
                    if finalizers:
                        metadata["finalizers"] = finalizers
                    if key == ("", "namespaces"):
                        stored.setdefault("status", {})["phase"] = "Terminating"
                    self.store.put(key, stored, "MODIFIED")
                return None
            if key == PODS and not self.pods.delete(stored):
                return None     # terminating: it drains first (pod_termination.py)
            if key == PODS:
                return stored
            return self.store.remove(key, metadata.get("namespace", ""), metadata["name"])

    def _orphan_dependents(self, owner_uid):
        for key, obj in self.store.all_objects():
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") != owner_uid]
            if len(kept) != len(refs):
                if kept:
                    obj["metadata"]["ownerReferences"] = kept
                else:
                    obj["metadata"].pop("ownerReferences")
                self.store.put(key, obj, "MODIFIED")

    def delete_collection(self, resource, namespace, label_selector=None, field_selector=None, options=None,
                          dry_run=False):
        listed = self.list(resource, namespace, label_selector, field_selector)
        for item in listed["items"]:
            try:
                self.delete(resource, item["metadata"].get("namespace"), item["metadata"]["name"], options, dry_run)
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
        return Result(200, listed)


def _check_preconditions(resource, stored, preconditions):
    name = stored["metadata"]["name"]
    uid = preconditions.get("uid")
    if uid and uid != stored["metadata"]["uid"]:
        raise errors.ApiError(409, "Conflict", f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                                               f"{stored['metadata']['uid']}",
                              {"name": name, "group": resource.group, "kind": resource.plural})
    rv = preconditions.get("resourceVersion")
    if rv and rv != stored["metadata"]["resourceVersion"]:
        raise errors.conflict(resource, name)


def scale_of(obj):
    """The autoscaling/v1 Scale view of a Deployment or ReplicaSet."""
    metadata = obj["metadata"]
    status = obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: metadata[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in metadata},
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
            "status": {"replicas": status.get("replicas", 0),
                       "selector": selectors.selector_string((obj.get("spec") or {}).get("selector") or {})}}
