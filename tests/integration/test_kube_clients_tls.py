"""Both Kubernetes clients of connection.connect - the light one (light_client.py) and kubernetes.core's - against the
emulator as a production API server: HTTPS with its own CA, 401 without the token or a client certificate its CA
signed (tests/sandbox/apiserver/tls.py). Each works with a token, a client certificate (kubeconfig data or files,
or the options), insecure-skip-tls-verify; each fails with a message naming the server and the cause, never a
traceback, on a wrong CA, a wrong token, a refused connection and a timeout."""
import base64
import os
import socket
import tempfile

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, connect
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV
from tests.sandbox.apiserver import Emulator
from tests.sandbox.apiserver.kubeconfig import TOKEN
from tests.sandbox.apiserver.tls import TlsMaterial

CLIENTS = ["light", "full"]
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": "default"},
              "data": {"key": "value"}}


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory):
    return TlsMaterial(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def secure_emulator(sandbox_home, tls_material):  # pylint: disable=unused-argument,redefined-outer-name
    with Emulator(crds=[], tls=tls_material, require_auth=True) as started:
        yield started


@pytest.fixture(params=CLIENTS)
def client(request, monkeypatch):
    """Which client connect() builds: the light one by default, kubernetes.core's with the escape hatch."""
    if request.param == "full":
        monkeypatch.setenv(CLIENT_ENV, "full")
    else:
        monkeypatch.delenv(CLIENT_ENV, raising=False)
    return request.param


def _kubeconfig(path, server, cluster, user):
    document = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
                "clusters": [{"name": "k", "cluster": dict(cluster, server=server)}],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                "users": [{"name": "u", "user": user}]}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _round_trip(params, client):  # pylint: disable=redefined-outer-name
    """Create, read and delete a ConfigMap through connect(params); returns the object read."""
    api = connect(params, request_timeout=5)
    assert api.plan.light is (client == "light"), api.plan
    api.create(CONFIG_MAP)
    found = api.get("v1", "ConfigMap", "default", "probe")
    assert api.delete("v1", "ConfigMap", "default", "probe")
    return found


def _error(params, request_timeout=5):
    """The CanaryApiError of connecting and reading a ConfigMap (the full client talks while connecting, the light
    one at its first request)."""
    with pytest.raises(CanaryApiError) as error:
        connect(params, request_timeout=request_timeout).get("v1", "ConfigMap", "default", "probe")
    message = str(error.value)
    assert "Traceback" not in message
    return message


def test_token_over_https_with_the_ca_as_data(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority-data": _b64(tls_material.ca_pem)},
                             {"token": TOKEN})
    assert _round_trip({"kubeconfig": kubeconfig}, client)["data"] == {"key": "value"}
    statuses = {record.status for record in secure_emulator.request_log.records() if record.path.startswith("/api")}
    assert 401 not in statuses


def test_token_file_and_ca_file(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name
    (tmp_path / "token").write_text(TOKEN, encoding="utf-8")
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority": tls_material.ca},
                             {"tokenFile": "token"})   # relative to the kubeconfig's directory
    assert _round_trip({"kubeconfig": kubeconfig}, client)["metadata"]["name"] == "probe"


def test_client_certificate_as_data(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority-data": _b64(tls_material.ca_pem)},
                             {"client-certificate-data": _b64(tls_material.client_cert_pem),
                              "client-key-data": _b64(tls_material.client_key_pem)})
    before = set(os.listdir(tempfile.gettempdir()))
    assert _round_trip({"kubeconfig": kubeconfig}, client)["metadata"]["name"] == "probe"
    if client == "light":   # the key written for ssl is gone as soon as it is loaded
        assert not [name for name in set(os.listdir(tempfile.gettempdir())) - before if "tls" in name]


def test_client_certificate_files_as_options_without_kubeconfig(secure_emulator, tls_material, client):  # pylint: disable=redefined-outer-name
    params = {"host": secure_emulator.url, "client_cert": tls_material.client_cert, "client_key": tls_material.client_key,
              "ca_cert": tls_material.ca}
    assert _round_trip(params, client)["metadata"]["name"] == "probe"


def test_host_and_api_key_options(secure_emulator, tls_material, client):  # pylint: disable=redefined-outer-name
    params = {"host": secure_emulator.url, "api_key": TOKEN, "ca_cert": tls_material.ca}
    assert _round_trip(params, client)["metadata"]["name"] == "probe"


def test_insecure_skip_tls_verify(secure_emulator, client, tmp_path):  # pylint: disable=redefined-outer-name
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"insecure-skip-tls-verify": True}, {"token": TOKEN})
    assert _round_trip({"kubeconfig": kubeconfig}, client)["metadata"]["name"] == "probe"


def test_validate_certs_false_overrides_the_kubeconfig_ca(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority": tls_material.other_ca},
                             {"token": TOKEN})
    assert _round_trip({"kubeconfig": kubeconfig, "validate_certs": False}, client)["metadata"]["name"] == "probe"


def test_wrong_ca_names_the_server_and_the_cause(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name,unused-argument
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority": tls_material.other_ca},
                             {"token": TOKEN})
    message = _error({"kubeconfig": kubeconfig})
    assert "cannot reach the API server at %s" % secure_emulator.url in message, message
    assert "certificate verify failed" in message.lower(), message
    assert "tried" not in message     # a TLS failure is not retried


def test_wrong_token_is_a_401_naming_the_server(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name,unused-argument
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority": tls_material.ca},
                             {"token": "not-the-token"})
    message = _error({"kubeconfig": kubeconfig})
    assert "HTTP 401: Unauthorized (the API server at %s refused the credentials)" % secure_emulator.url in message, message
    assert "not-the-token" not in message


def test_refused_connection_names_the_server(tls_material, client, tmp_path, sandbox_home):  # pylint: disable=redefined-outer-name,unused-argument
    with socket.socket() as probe:      # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        server = "https://127.0.0.1:%d" % probe.getsockname()[1]
    kubeconfig = _kubeconfig(tmp_path / "config", server, {"certificate-authority": tls_material.ca}, {"token": TOKEN})
    message = _error({"kubeconfig": kubeconfig})
    assert "cannot reach the API server at %s" % server in message, message
    assert "refused" in message.lower(), message


def test_timeout_names_the_server(secure_emulator, tls_material, client, tmp_path):  # pylint: disable=redefined-outer-name,unused-argument
    kubeconfig = _kubeconfig(tmp_path / "config", secure_emulator.url, {"certificate-authority": tls_material.ca},
                             {"token": TOKEN})
    secure_emulator.faults.add(verb="GET", path_regex="^/api/v1/namespaces/default/configmaps/probe$", latency=30)
    message = _error({"kubeconfig": kubeconfig}, request_timeout=1)
    assert "reading ConfigMap default/probe (v1) failed: cannot reach the API server at %s" % secure_emulator.url in message, message
    assert "timed out" in message.lower(), message


def test_the_emulator_refuses_requests_without_credentials(secure_emulator, tls_material):  # pylint: disable=redefined-outer-name
    import ssl
    import urllib.error
    import urllib.request
    context = ssl.create_default_context(cafile=tls_material.ca)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(secure_emulator.url + "/api/v1/namespaces", timeout=10, context=context)  # pylint: disable=consider-using-with
    assert error.value.code == 401
    with urllib.request.urlopen(secure_emulator.url + "/version", timeout=10, context=context) as response:
        assert response.status == 200


def test_a_module_task_over_https(secure_emulator, client, tmp_path):  # pylint: disable=redefined-outer-name
    """A module process (ansible-playbook, the client chosen by the environment it inherits) over HTTPS with the
    token: it reads, and its requests are all authenticated."""
    from tests.integration.canary_scenario import NAMESPACE, run_playbook
    secure_emulator.ensure_namespace(NAMESPACE)
    kubeconfig = secure_emulator.write_kubeconfig(tmp_path / "kubeconfig")
    secure_emulator.request_log.reset()
    task = {"name": "info", "progressive.canary.canary_info": {"target": "podinfo", "namespace": NAMESPACE}}
    returncode, results = run_playbook(tmp_path, [task], kubeconfig)
    assert returncode == 0, results
    assert results["info"]["initialized"] is False
    agents = {record.user_agent.split("/")[0] for record in secure_emulator.request_log.records()
              if record.path.startswith("/api") and record.path != "/api/v1/namespaces"}
    assert agents == {"progressive-canary" if client == "light" else "OpenAPI-Generator"}, agents
    assert {record.status for record in secure_emulator.request_log.records()} <= {200, 404}
