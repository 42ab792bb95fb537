"""In-memory object storage with a cluster-wide resourceVersion and a watch event history.

Objects are kept per (group, plural) in their storage version; every change appends a watch event.
All access goes through one re-entrant lock so that a handler's read-modify-write is atomic.
"""
import copy
import threading
from collections import deque

HISTORY_LIMIT = 20000


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects = {}          # (group, plural) -> {(namespace, name): obj}
        self._rv = 0
        self._history = deque(maxlen=HISTORY_LIMIT)   # (rv, store_key, type, obj)

    @property
    def resource_version(self):
        with self.lock:
            return self._rv

    def next_rv(self):
        with self.lock:
            self._rv += 1
            return self._rv

    def get(self, key, namespace, name):
        with self.lock:
            obj = self._objects.get(key, {}).get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, key, predicate=None):
        with self.lock:
            items = [copy.deepcopy(o) for o in self._objects.get(key, {}).values() if predicate is None or predicate(o)]
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def keys(self):
        with self.lock:
            return list(self._objects)

    def put(self, key, obj, event_type):
        """Store `obj` under a fresh resourceVersion (set on it) and record a watch event; returns a copy."""
        with self.lock:
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            metadata = obj["metadata"]
            self._objects.setdefault(key, {})[(metadata.get("namespace", ""), metadata["name"])] = copy.deepcopy(obj)
            self._record(rv, key, event_type, obj)
            return copy.deepcopy(obj)

    def remove(self, key, namespace, name):
        """Delete the object; the DELETED event carries a new resourceVersion like the apiserver's."""
        with self.lock:
            obj = self._objects.get(key, {}).pop((namespace or "", name), None)
            if obj is None:
                return None
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            self._record(rv, key, "DELETED", obj)
            return copy.deepcopy(obj)

    def _record(self, rv, key, event_type, obj):
        self._history.append((rv, key, event_type, copy.deepcopy(obj)))
        self.changed.notify_all()

    def events_since(self, key, since_rv):
        """Events of `key` after `since_rv`; None when that point has left the history (410 Gone)."""
        with self.lock:
            if self._history and since_rv < self._history[0][0] - 1 and len(self._history) == HISTORY_LIMIT:
                return None
            found = []
            for rv, event_key, event_type, obj in reversed(self._history):   # newest first: stop at since_rv
                if rv <= since_rv:
                    break
                if event_key == key:
                    found.append((rv, event_type, copy.deepcopy(obj)))
            found.reverse()
            return found

    def peek_one(self, key, namespace, name):
        """The live stored object or None, uncopied: same rules as `peek`."""
        return self._objects.get(key, {}).get((namespace or "", name))

    def peek(self, key):
        """The live stored objects of `key`, uncopied: only for readers holding `lock` that never mutate them."""
        return list(self._objects.get(key, {}).values())

    def peek_all(self, exclude=()):
        """(key, live object) for every stored object outside `exclude`; same rules as `peek`."""
        return [(k, o) for k, objs in self._objects.items() if k not in exclude for o in objs.values()]

    def all_objects(self):
        """(key, obj) for every stored object; copies."""
        with self.lock:
            return [(k, copy.deepcopy(o)) for k, objs in self._objects.items() for o in objs.values()]
