"""The sandbox's Kubernetes API emulator: `from tests.sandbox.apiserver import Emulator`.

    Emulator(port=0, crds=None, ready_seconds=0.3)   # crds=None: every shared CRD; crds=[]: no Istio/Gateway API
    Emulator(tls=TlsMaterial(directory), require_auth=True)   # opt-in HTTPS, token / client-certificate auth (tls.py)
    .start() / .stop() / `with Emulator() as emulator:`
    .url                                   # http://127.0.0.1:PORT (https:// with tls)
    .write_kubeconfig(path, namespace=None) -> str
    .load_manifests(path_or_yaml, namespace="default") -> [created objects]   # over HTTP, creates namespaces
    .request(method, path, body=None, content_type="application/json") -> (status, json)
    .request_log.counts() / .verb_counts() / .writes() / .records() / .reset()
    .faults.add(verb=None, path_regex=None, status=None, latency=0, drop=False, times=None) / .clear()
    HTTP: GET|DELETE /_sandbox/requests, GET|POST|DELETE /_sandbox/faults

Module map: resources (served kinds, discovery), routing + handler + operations (HTTP), api (object
semantics), admission (schema helper: validation, defaults), patch, store (objects, resourceVersion,
watch history), watch, tables, controller + workloads (Deployments, ReplicaSets, Pods), autoscaler
(HPA bounds), garbage (ownerReferences, finalizers, namespaces), requestlog, faults, controls, protobuf.
"""
from .emulator import Emulator

__all__ = ["Emulator"]
