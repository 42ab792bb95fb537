"""Simulated proxies that learn of changes late, pods that exit at once or drain, and the status the mesh writes."""

import time

import requests

from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import create_objects, deployment_manifest, service_manifest, virtual_service_manifest, wait_ready

NS = "test"
DELAY, JITTER = 1.0, 0.5


def _cluster(api_url, pre_stop_seconds=None):
    old = deployment_manifest("old", NS, {"app": "old"}, replicas=2, ready_seconds=0)
    if pre_stop_seconds is not None:
        old["spec"]["template"]["spec"]["containers"][0]["lifecycle"] = {"preStop": {"sleep": {"seconds": pre_stop_seconds}}}
    create_objects(api_url, [old, deployment_manifest("new", NS, {"app": "new"}, replicas=2, ready_seconds=0),
                             service_manifest("web", NS, {"app": "old"})])
    wait_ready(api_url, NS, "old", 2)
    wait_ready(api_url, NS, "new", 2)


def _patch(api_url, path, body):
    response = requests.patch(api_url + path, json=body, headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _switch_and_scale_down(api_url, wait_s=0.0):
    """The Service moves from old to new, then old is scaled to 0 (after ``wait_s``)."""
    _patch(api_url, "/api/v1/namespaces/%s/services/web" % NS, {"spec": {"selector": {"app": "new"}}})
    time.sleep(wait_s)
    _patch(api_url, "/apis/apps/v1/namespaces/%s/deployments/old" % NS, {"spec": {"replicas": 0}})


def _steady(mesh):
    mesh.simulate_proxies(DELAY, JITTER)
    mesh.add_target("web.test")
    wait_for(lambda: mesh.counts("web.test")["total"] >= 100, what="traffic through every proxy")
    mesh.reset("web.test")


def _old_pods(api_url):
    pods = requests.get(api_url + "/api/v1/namespaces/%s/pods" % NS, timeout=10).json()["items"]
    return [p for p in pods if p["metadata"]["name"].startswith("old-")]


def test_a_proxy_that_did_not_hear_of_the_switch_sends_to_pods_that_are_gone(mesh, emulator):
    _cluster(emulator.url)
    _steady(mesh)
    _switch_and_scale_down(emulator.url)
    wait_for(lambda: not _old_pods(emulator.url), what="old pods gone at once")
    wait_for(lambda: mesh.counts("web.test")["by_workload"].get("new", 0) >= 100, what="every proxy on new")
    counts = mesh.counts("web.test")
    assert counts["gone"] > 0 and counts["failed"] == counts["gone"] == counts["by_code"]["503"], counts
    assert counts["failed_by_workload"] == {"old": counts["gone"]}


def test_waiting_for_every_proxy_before_the_scale_down_fails_no_request(mesh, emulator):
    _cluster(emulator.url)
    _steady(mesh)
    _switch_and_scale_down(emulator.url, wait_s=DELAY + JITTER + 0.5)
    wait_for(lambda: mesh.counts("web.test")["by_workload"].get("new", 0) >= 200, what="traffic on new")
    assert mesh.counts("web.test")["failed"] == 0, mesh.counts("web.test")


def test_a_pod_with_a_pre_stop_sleep_keeps_answering_while_it_drains(mesh, emulator):
    _cluster(emulator.url, pre_stop_seconds=4)
    _steady(mesh)
    _switch_and_scale_down(emulator.url)
    terminating = wait_for(lambda: [p for p in _old_pods(emulator.url) if p["metadata"].get("deletionTimestamp")],
                           what="old pods terminating")
    assert len(terminating) == 2 and all(p["metadata"]["deletionGracePeriodSeconds"] == 4 for p in terminating)
    assert all(c["status"] == "False" for p in terminating for c in p["status"]["conditions"] if c["type"] == "Ready")
    wait_for(lambda: not _old_pods(emulator.url), what="old pods gone once drained")
    assert mesh.counts("web.test")["failed"] == 0, mesh.counts("web.test")


def test_istiod_writes_reconciled_once_every_proxy_has_the_generation(mesh, emulator):
    _cluster(emulator.url)
    vs = virtual_service_manifest("web", NS, ["web"], {"new": 100})
    create_objects(emulator.url, [service_manifest("new", NS, {"app": "new"}), vs])
    mesh.simulate_proxies(DELAY, JITTER, write_status=True)
    mesh.add_target("web.test")
    path = "/apis/networking.istio.io/v1beta1/namespaces/%s/virtualservices/web" % NS

    def reconciled(generation):
        status = requests.get(emulator.url + path, timeout=10).json().get("status") or {}
        conditions = [c for c in status.get("conditions") or [] if c["type"] == "Reconciled" and c["status"] == "True"]
        return status.get("observedGeneration") == generation and conditions

    wait_for(lambda: reconciled(1), what="Reconciled at generation 1")
    changed = _patch(emulator.url, path, {"spec": {"http": [{"route": [{"destination": {"host": "web"}}]}]}})
    assert changed["metadata"]["generation"] == 2 and not reconciled(2)
    wait_for(lambda: reconciled(2), what="Reconciled at generation 2")


def test_without_status_the_mesh_writes_none(mesh, emulator):
    _cluster(emulator.url)
    create_objects(emulator.url, [virtual_service_manifest("web", NS, ["web"], {"web": 100})])
    mesh.simulate_proxies(0.2)
    mesh.add_target("web.test")
    wait_for(lambda: mesh.counts("web.test")["total"] >= 100, what="traffic for a while")
    vs = requests.get(emulator.url + "/apis/networking.istio.io/v1beta1/namespaces/%s/virtualservices/web" % NS, timeout=10).json()
    assert not vs.get("status"), vs.get("status")


def test_a_deleted_deployments_pods_drain_too_and_a_pod_without_pre_stop_goes_at_once(emulator):
    _cluster(emulator.url, pre_stop_seconds=2)
    response = requests.delete(emulator.url + "/apis/apps/v1/namespaces/%s/deployments/old" % NS, timeout=10)
    assert response.status_code == 200, response.text
    terminating = wait_for(lambda: [p for p in _old_pods(emulator.url) if p["metadata"].get("deletionTimestamp")],
                           what="the garbage collector's deletion of old's pods: graceful")
    assert {p["metadata"]["deletionGracePeriodSeconds"] for p in terminating} == {2}
    wait_for(lambda: not _old_pods(emulator.url), what="old pods gone once drained")
    new_pod = next(p for p in requests.get(emulator.url + "/api/v1/namespaces/%s/pods" % NS, timeout=10).json()["items"]
                   if p["metadata"]["name"].startswith("new-"))
    deleted = requests.delete(emulator.url + "/api/v1/namespaces/%s/pods/%s" % (NS, new_pod["metadata"]["name"]), timeout=10)
    assert deleted.status_code == 200
    gone = requests.get(emulator.url + "/api/v1/namespaces/%s/pods/%s" % (NS, new_pod["metadata"]["name"]), timeout=10)
    assert gone.status_code == 404, "no preStop, no pod_drain_seconds: it exits at once"
