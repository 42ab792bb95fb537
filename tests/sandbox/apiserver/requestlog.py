"""A record of every client request the emulator answered, for counting API calls in tests and benchmarks."""
import collections
import threading
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RequestRecord:
    method: str          # HTTP method; a watch is a GET with watch=true in `query`
    path: str
    query: str
    status: int          # 0 when the connection was dropped by an injected fault
    content_type: str = ""
    user_agent: str = ""  # who asked: the kubernetes client of the code under test, the mesh (sandbox-mesh/1), kubectl...

    @property
    def is_watch(self):
        query = self.query.lower()
        return "watch=true" in query or "watch=1" in query or "/watch/" in self.path

    @property
    def is_dry_run(self):
        """A `dryRun=All` request: judged like a write, persisted nowhere."""
        return "dryrun=all" in self.query.lower()

    def as_dict(self):
        return asdict(self)


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._records = []

    def add(self, record):
        with self._lock:
            self._records.append(record)

    def records(self):
        with self._lock:
            return list(self._records)

    def counts(self):
        """{"GET /apis/apps/v1/namespaces/test/deployments/podinfo": 2, ...}: requests per method and path."""
        return dict(collections.Counter(f"{r.method} {r.path}" for r in self.records()))

    def verb_counts(self):
        """{"GET": 10, "PATCH": 2, ...}: requests per HTTP method."""
        return dict(collections.Counter(r.method for r in self.records()))

    def writes(self):
        """Client requests that change something (POST, PUT, PATCH, DELETE, not dry runs), in order."""
        return [r for r in self.records() if r.method != "GET" and not r.is_dry_run]

    def dry_runs(self):
        """`dryRun=All` requests, in order: the API server judged them and wrote nothing."""
        return [r for r in self.records() if r.is_dry_run]

    def reset(self):
        with self._lock:
            self._records.clear()
