"""The sandbox controls: request log, fault injection (Python API and HTTP), kubeconfig and the CLI."""
import http.client
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes.dynamic.exceptions import ConflictError, InternalServerError, ServiceUnavailableError

from tests.sandbox.apiserver.crds import crd_files
from tests.sandbox.fixtures_api import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]


def _configmaps(client):
    return client.resources.get(api_version="v1", kind="ConfigMap")


def _http(emulator, method, path, body=None, timeout=10):
    request = urllib.request.Request(emulator.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def test_request_log_counts_per_verb_and_path(k8s_client, emulator):
    configmaps = _configmaps(k8s_client)
    emulator.request_log.reset()
    configmaps.create(namespace="default", body={"metadata": {"name": "a"}})
    configmaps.get(namespace="default", name="a")
    configmaps.get(namespace="default", name="a")
    configmaps.patch(namespace="default", name="a", body={"data": {"k": "v"}}, content_type="application/merge-patch+json")
    counts = emulator.request_log.counts()
    assert counts["GET /api/v1/namespaces/default/configmaps/a"] == 2
    assert counts["POST /api/v1/namespaces/default/configmaps"] == 1
    assert [(r.method, r.status) for r in emulator.request_log.writes()] == [("POST", 201), ("PATCH", 200)]
    assert emulator.request_log.verb_counts() == {"POST": 1, "GET": 2, "PATCH": 1}
    emulator.request_log.reset()
    assert emulator.request_log.counts() == {}


@pytest.mark.parametrize("code, error", [(500, InternalServerError), (503, ServiceUnavailableError), (409, ConflictError)])
def test_status_faults_answer_that_code_for_the_given_times(k8s_client, emulator, code, error):
    configmaps = _configmaps(k8s_client)
    configmaps.create(namespace="default", body={"metadata": {"name": "a"}})
    fault = emulator.faults.add(verb="PATCH", path_regex=r"/configmaps/a$", status=code, times=1)
    configmaps.get(namespace="default", name="a")
    with pytest.raises(error) as raised:
        configmaps.patch(namespace="default", name="a", body={"data": {"k": "v"}}, content_type="application/merge-patch+json")
    assert json.loads(raised.value.body)["code"] == code
    assert configmaps.patch(namespace="default", name="a", body={"data": {"k": "v"}},
                            content_type="application/merge-patch+json").data.k == "v"
    assert fault.matched == 1


def test_latency_fault_delays_the_answer(emulator):
    emulator.faults.add(verb="GET", path_regex="/api/v1/namespaces/default$", latency=5, times=1)
    with pytest.raises((socket.timeout, urllib.error.URLError)):
        _http(emulator, "GET", "/api/v1/namespaces/default", timeout=0.2)
    assert _http(emulator, "GET", "/api/v1/namespaces/default")[0] == 200


def test_dropped_connection_fault_closes_without_answer(emulator):
    emulator.faults.add(path_regex="/api/v1/namespaces/default$", drop=True, times=1)
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    connection.request("GET", "/api/v1/namespaces/default")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection.getresponse()
    connection.close()
    assert _http(emulator, "GET", "/api/v1/namespaces/default")[0] == 200
    dropped = [r for r in emulator.request_log.records() if r.path == "/api/v1/namespaces/default"]
    assert [r.status for r in dropped] == [0, 200]


def test_lost_answer_fault_carries_the_request_out_and_closes_without_answer(emulator):
    emulator.faults.add(verb="POST", path_regex="/configmaps$", drop_answer=True, times=1)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lost"}, "data": {"k": "v"}}
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    connection.request("POST", "/api/v1/namespaces/default/configmaps", json.dumps(body), {"Content-Type": "application/json"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection.getresponse()
    connection.close()
    status, created = _http(emulator, "GET", "/api/v1/namespaces/default/configmaps/lost")
    assert status == 200 and created["data"] == {"k": "v"}, "the request took effect"
    with pytest.raises(urllib.error.HTTPError) as again:
        _http(emulator, "POST", "/api/v1/namespaces/default/configmaps", body)
    assert again.value.code == 409, "a client retrying it meets its own write"
    logged = [r.status for r in emulator.request_log.records() if r.method == "POST" and r.path.endswith("/configmaps")]
    assert logged == [201, 409]


def test_dropped_connection_reaches_the_kubernetes_client_as_an_error(k8s_client, emulator):
    configmaps = _configmaps(k8s_client)
    emulator.faults.add(verb="GET", path_regex="/configmaps/a$", drop=True)
    with pytest.raises(urllib3.exceptions.HTTPError):  # ProtocolError / MaxRetryError after urllib3's retries
        configmaps.get(namespace="default", name="a", _request_timeout=5)
    emulator.faults.clear()
    with pytest.raises(Exception) as missing:
        configmaps.get(namespace="default", name="a")
    assert getattr(missing.value, "status", None) == 404


def test_controls_over_http(emulator):
    status, fault = _http(emulator, "POST", "/_sandbox/faults", {"verb": "GET", "path_regex": "/configmaps$", "status": 503})
    assert status == 201 and fault["id"]
    with pytest.raises(urllib.error.HTTPError) as raised:
        _http(emulator, "GET", "/api/v1/namespaces/default/configmaps")
    assert raised.value.code == 503 and json.loads(raised.value.read())["reason"] == "ServiceUnavailable"
    assert _http(emulator, "GET", "/_sandbox/faults")[1]["items"][0]["matched"] == 1
    assert _http(emulator, "DELETE", "/_sandbox/faults")[0] == 200
    assert _http(emulator, "GET", "/api/v1/namespaces/default/configmaps")[0] == 200
    requests = _http(emulator, "GET", "/_sandbox/requests")[1]
    assert requests["counts"]["GET /api/v1/namespaces/default/configmaps"] == 2
    assert not any(item["path"].startswith("/_sandbox") for item in requests["items"])
    _http(emulator, "DELETE", "/_sandbox/requests")
    assert _http(emulator, "GET", "/_sandbox/requests")[1]["items"] == []
    with pytest.raises(urllib.error.HTTPError) as bad:
        _http(emulator, "POST", "/_sandbox/faults", {"status": 500, "colour": "red"})
    assert bad.value.code == 400


def test_kubeconfig_names_the_emulator_and_a_token_user(emulator, tmp_path):
    path = emulator.write_kubeconfig(tmp_path / "config", namespace="test")
    config = yaml.safe_load(open(path, encoding="utf-8"))
    assert config["clusters"][0]["cluster"]["server"] == emulator.url
    assert config["users"][0]["user"]["token"]
    assert config["contexts"][0]["context"]["namespace"] == "test"


def test_cli_up_serves_until_terminated(sandbox_home):
    kubeconfig = sandbox_home / "cli-kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "tests.sandbox", "up", "--kubeconfig", str(kubeconfig)],
                               stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert process.stdout.readline().strip() == str(kubeconfig)
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        version = wait_for(lambda: json.loads(urllib.request.urlopen(server + "/version", timeout=5).read()), what="/version")
        assert version["minor"] == "32"
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_cli_up_serves_only_the_versions_asked(sandbox_home):
    if not crd_files():
        pytest.skip("../shared/crds is absent (set SHARED_DIR)")
    kubeconfig = sandbox_home / "old-istio-kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "tests.sandbox", "up", "--kubeconfig", str(kubeconfig),
                                "--served-versions", "networking.istio.io=v1beta1,v1alpha3"],
                               stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert process.stdout.readline().strip() == str(kubeconfig)
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        group = wait_for(lambda: json.loads(urllib.request.urlopen(server + "/apis/networking.istio.io", timeout=5).read()),
                         what="the Istio group")
        assert [item["version"] for item in group["versions"]] == ["v1beta1", "v1alpha3"]
        assert group["preferredVersion"]["version"] == "v1beta1"
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_request_log_records_who_asked(k8s_client, emulator):
    """The User-Agent tells the code under test's kubernetes client from the tests' plain HTTP (tests/rbac.py)."""
    emulator.request_log.reset()
    _configmaps(k8s_client).get(namespace="default")
    emulator.request("GET", "/api/v1/namespaces/default/configmaps")
    agents = [record.user_agent for record in emulator.request_log.records() if record.path == "/api/v1/namespaces/default/configmaps"]
    assert agents[0].startswith("OpenAPI-Generator/") and agents[1].startswith("Python-urllib/"), agents
    assert _http(emulator, "GET", "/_sandbox/requests")[1]["items"][0]["user_agent"]


def test_roles_and_role_bindings_are_stored_and_validated(emulator):
    """docs/rbac/ applies to the sandbox as to a cluster; a Role a real API server refuses is refused (its schema)."""
    created = emulator.load_manifests(REPO_ROOT / "docs" / "rbac", namespace="default")
    assert sorted(obj["kind"] for obj in created) == ["Role", "RoleBinding", "ServiceAccount"]
    roles = emulator.collection_path("rbac.authorization.k8s.io/v1", "Role", "default")
    status, body = emulator.request("POST", roles, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                                    "metadata": {"name": "bad"}, "rules": [{"verbs": "get"}]})
    assert status == 422, body
