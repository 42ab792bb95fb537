"""Background garbage collection: ownerReferences dependents, foreground deletion and namespace termination."""
import copy

NAMESPACES = ("", "namespaces")
FOREGROUND = "foregroundDeletion"
_SKIP = (("apiextensions.k8s.io", "customresourcedefinitions"),)


class GarbageCollector:
    def __init__(self, api):
        self.api = api
        self.store = api.store

    def collect(self):
        """One pass; each deletion goes through the normal deletion path (finalizers, watch events)."""
        with self.store.lock:
            objects = self.store.peek_all(exclude=_SKIP)
            by_uid = {o["metadata"]["uid"]: o for _key, o in objects}
            self._terminate_namespaces(objects)
            self._delete_orphaned_dependents(objects, by_uid)
            self._finish_foreground(objects)

    def _delete(self, key, obj):
        self.api.delete_stored(key, _copy(obj))

    def _terminate_namespaces(self, objects):
        for key, namespace in objects:
            if key != NAMESPACES or not namespace["metadata"].get("deletionTimestamp"):
                continue
            name = namespace["metadata"]["name"]
            contents = [(k, o) for k, o in objects if k != NAMESPACES and o["metadata"].get("namespace") == name]
            for content_key, obj in contents:
                if not obj["metadata"].get("deletionTimestamp"):
                    self._delete(content_key, obj)
            if not contents:
                self.store.remove(NAMESPACES, "", name)

    def _delete_orphaned_dependents(self, objects, by_uid):
        for key, obj in objects:
            refs = obj["metadata"].get("ownerReferences") or []
            if not refs or obj["metadata"].get("deletionTimestamp"):
                continue
            owners = [by_uid.get(r.get("uid")) for r in refs]
            live = [o for o in owners if o is not None]
            if not live or any(FOREGROUND in (o["metadata"].get("finalizers") or []) for o in live):
                self._delete(key, obj)
            elif len(live) < len(refs):
                updated = _copy(obj)
                updated["metadata"]["ownerReferences"] = [r for r, o in zip(refs, owners) if o is not None]
                self.store.put(key, updated, "MODIFIED")

    def _finish_foreground(self, objects):
        for key, obj in objects:
            finalizers = obj["metadata"].get("finalizers") or []
            if FOREGROUND not in finalizers or not obj["metadata"].get("deletionTimestamp"):
                continue
            uid = obj["metadata"]["uid"]
            if any(r.get("uid") == uid for _key, o in objects for r in o["metadata"].get("ownerReferences") or []):
                continue
            updated = _copy(obj)
            updated["metadata"]["finalizers"] = [f for f in finalizers if f != FOREGROUND]
            if updated["metadata"]["finalizers"]:
                self.store.put(key, updated, "MODIFIED")
            else:
                self.store.remove(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _copy(obj):
    return copy.deepcopy(obj)
