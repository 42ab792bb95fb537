"""light_plan.plan_connection: which connections the light client takes (and with exactly what server, credentials
and TLS settings) and which go to kubernetes.core's client, and why. The light plans are checked against what
kubernetes.core itself configures for the same options, kubeconfig and environment (``_create_auth_spec`` and
``_create_configuration``, then the request-time refresh hook of the kubernetes client): same server, same
Authorization header, same TLS verification, CA and client certificate."""
import base64
import os

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.kube import light_plan
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import ConfigError, plan_connection

SERVER = "https://k8s.example.com:6443"
CA_PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
CERT_PEM = b"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
KEY_PEM = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _config(cluster=None, user=None, context_name="c", current="c", extra_contexts=(), server=SERVER):
    cluster = dict({"server": server}, **(cluster or {}))
    document = {"apiVersion": "v1", "kind": "Config", "current-context": current,
                "clusters": [{"name": "k", "cluster": cluster}],
                "contexts": [{"name": context_name, "context": {"cluster": "k", "user": "u"}}] + list(extra_contexts),
                "users": [{"name": "u", "user": user if user is not None else {"token": "t0ken"}}]}
    return document


def _write(path, document):
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


@pytest.fixture
def env(tmp_path):
    """A clean environment: no KUBECONFIG, no K8S_AUTH_*, HOME without a kubeconfig, not in a cluster."""
    return {"HOME": str(tmp_path / "home")}


@pytest.fixture(autouse=True)
def no_home_expansion(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("K8S_AUTH_") or name in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", light_plan.CLIENT_ENV):
            monkeypatch.delenv(name)


# -- light plans ------------------------------------------------------------------------------------------------------

def test_kubeconfig_with_a_token(tmp_path, env):
    plan = plan_connection({"kubeconfig": _write(tmp_path / "config", _config())}, env)
    assert plan.light and plan.server == SERVER and plan.authorization == "Bearer t0ken" and plan.verify


def test_kubeconfig_from_the_environment_and_the_default_path(tmp_path, env):
    path = _write(tmp_path / "config", _config())
    assert plan_connection({}, dict(env, K8S_AUTH_KUBECONFIG=path)).server == SERVER
    assert plan_connection({}, dict(env, KUBECONFIG=path)).server == SERVER
    (tmp_path / "home" / ".kube").mkdir(parents=True)
    _write(tmp_path / "home" / ".kube" / "config", _config(server="https://default.example.com"))
    assert plan_connection({}, env).server == "https://default.example.com"


def test_kubeconfig_list_merges_first_entry_wins_last_current_context(tmp_path, env):
    first = _config(server="https://first.example.com", current="c")
    second = _config(server="https://second.example.com", current="other",
                     extra_contexts=[{"name": "other", "context": {"cluster": "k", "user": "u"}}])
    paths = ":".join([_write(tmp_path / "a", first), str(tmp_path / "missing"), _write(tmp_path / "b", second)])
    plan = plan_connection({}, dict(env, KUBECONFIG=paths))
    # the cluster "k" of the first file wins; current-context comes from the last file that sets one
    assert plan.server == "https://first.example.com"
    assert plan_connection({"kubeconfig": paths}, env).server == "https://first.example.com"


def test_context_option_selects_a_context(tmp_path, env):
    document = _config(extra_contexts=[{"name": "second", "context": {"cluster": "k2", "user": "u"}}])
    document["clusters"].append({"name": "k2", "cluster": {"server": "https://second.example.com"}})
    path = _write(tmp_path / "config", document)
    assert plan_connection({"kubeconfig": path, "context": "second"}, env).server == "https://second.example.com"
    with pytest.raises(ConfigError, match="no context named nowhere"):
        plan_connection({"kubeconfig": path, "context": "nowhere"}, env)


def test_token_file_is_read_at_each_connect_relative_to_the_kubeconfig(tmp_path, env):
    (tmp_path / "token").write_text("first", encoding="utf-8")
    path = _write(tmp_path / "config", _config(user={"tokenFile": "token"}))
    assert plan_connection({"kubeconfig": path}, env).authorization == "Bearer first"
    (tmp_path / "token").write_text("second", encoding="utf-8")
    assert plan_connection({"kubeconfig": path}, env).authorization == "Bearer second"


def test_token_wins_over_token_file_and_basic_auth(tmp_path, env):
    path = _write(tmp_path / "config", _config(user={"token": "direct", "tokenFile": "absent", "username": "a", "password": "b"}))
    assert plan_connection({"kubeconfig": path}, env).authorization == "Bearer direct"


def test_username_and_password_in_the_kubeconfig_are_basic_auth(tmp_path, env):
    path = _write(tmp_path / "config", _config(user={"username": "admin", "password": "secret"}))
    assert plan_connection({"kubeconfig": path}, env).authorization == "Basic " + _b64(b"admin:secret")


def test_base64_data_fields(tmp_path, env):
    config = _config(cluster={"certificate-authority-data": _b64(CA_PEM)},
                     user={"client-certificate-data": _b64(CERT_PEM), "client-key-data": _b64(KEY_PEM)})
    path = _write(tmp_path / "config", config)
    plan = plan_connection({"kubeconfig": path}, env)
    assert (plan.ca_data, plan.cert, plan.key, plan.authorization) == (CA_PEM, CERT_PEM, KEY_PEM, None)


def test_files_are_relative_to_the_kubeconfig(tmp_path, env):
    for name, data in (("ca.crt", CA_PEM), ("client.crt", CERT_PEM), ("client.key", KEY_PEM)):
        (tmp_path / name).write_bytes(data)
    config = _config(cluster={"certificate-authority": "ca.crt"}, user={"client-certificate": "client.crt", "client-key": "client.key"})
    path = _write(tmp_path / "config", config)
    plan = plan_connection({"kubeconfig": path}, env)
    assert (plan.ca_file, plan.cert, plan.key) == tuple(str(tmp_path / name) for name in ("ca.crt", "client.crt", "client.key"))


def test_options_override_the_kubeconfig_tls_settings(tmp_path, env):
    (tmp_path / "option-ca.crt").write_bytes(CA_PEM)
    path = _write(tmp_path / "config", _config(cluster={"certificate-authority-data": _b64(CA_PEM)}))
    plan = plan_connection({"kubeconfig": path, "validate_certs": False}, env)
    assert plan.light and not plan.verify
    plan = plan_connection({"kubeconfig": path, "ca_cert": str(tmp_path / "option-ca.crt")}, env)
    assert plan.ca_file == str(tmp_path / "option-ca.crt") and plan.ca_data is None
    assert not plan_connection({"kubeconfig": path}, dict(env, K8S_AUTH_VERIFY_SSL="no")).verify


def test_host_and_api_key_override_a_kubeconfig_whose_user_has_no_token(tmp_path, env):
    path = _write(tmp_path / "config", _config(user={"client-certificate-data": _b64(CERT_PEM), "client-key-data": _b64(KEY_PEM)}))
    plan = plan_connection({"kubeconfig": path, "host": "https://other.example.com/", "api_key": "key"}, env)
    assert plan.light and plan.server == "https://other.example.com" and plan.authorization == "Bearer key"


def test_host_and_api_key_without_a_kubeconfig(env):
    plan = plan_connection({"host": "https://api.example.com/prefix/", "api_key": "key"}, env)
    assert (plan.server, plan.authorization, plan.verify, plan.ca_file) == ("https://api.example.com/prefix", "Bearer key", True, None)
    plan = plan_connection({}, dict(env, K8S_AUTH_HOST="https://api.example.com", K8S_AUTH_API_KEY="key"))
    assert plan.server == "https://api.example.com" and plan.authorization == "Bearer key"


def test_host_with_client_certificate_options(tmp_path, env):
    plan = plan_connection({"host": "https://api.example.com", "client_cert": "/c.crt", "client_key": "/c.key"}, env)
    assert (plan.cert, plan.key, plan.authorization) == ("/c.crt", "/c.key", None)


def test_plain_http_ignores_the_tls_fields(tmp_path, env):
    path = _write(tmp_path / "config", _config(server="http://127.0.0.1:8080", cluster={"certificate-authority": "missing.crt"}))
    plan = plan_connection({"kubeconfig": path}, env)
    assert plan.light and plan.server == "http://127.0.0.1:8080" and plan.ca_file is None


def test_kubeconfig_as_a_dict(env):
    plan = plan_connection({"kubeconfig": _config()}, env)
    assert plan.light and plan.server == SERVER and plan.authorization == "Bearer t0ken"


def test_in_cluster_service_account(tmp_path, env, monkeypatch):
    (tmp_path / "token").write_text("sa-token", encoding="utf-8")
    (tmp_path / "ca.crt").write_bytes(CA_PEM)
    monkeypatch.setattr(light_plan, "IN_CLUSTER_TOKEN", str(tmp_path / "token"))
    monkeypatch.setattr(light_plan, "IN_CLUSTER_CA", str(tmp_path / "ca.crt"))
    cluster_env = dict(env, KUBERNETES_SERVICE_HOST="10.0.0.1", KUBERNETES_SERVICE_PORT="443")
    plan = plan_connection({}, cluster_env)
    assert (plan.server, plan.token_file, plan.ca_file) == ("https://10.0.0.1:443", str(tmp_path / "token"), str(tmp_path / "ca.crt"))
    ipv6 = plan_connection({}, dict(cluster_env, KUBERNETES_SERVICE_HOST="fd00::1"))
    assert ipv6.server == "https://[fd00::1]:443"
    # a kubeconfig or a context option means the kubeconfig, not the service account (kubernetes.core's order)
    path = _write(tmp_path / "config", _config())
    assert plan_connection({"kubeconfig": path}, cluster_env).server == SERVER
    # an empty token file: the kubernetes client falls back to the kubeconfig, so do we
    (tmp_path / "token").write_text("", encoding="utf-8")
    assert plan_connection({}, dict(cluster_env, KUBECONFIG=path)).server == SERVER


# -- errors before any request ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("user, cluster, message", [
    ({"tokenFile": "absent-token"}, {}, "tokenFile .*absent-token does not exist"),
    ({"token": "t"}, {"certificate-authority": "absent.crt"}, "certificate-authority .*absent.crt does not exist"),
    ({"client-certificate": "absent.crt", "client-key": "absent.key"}, {}, "client-certificate .*absent.crt does not exist"),
    ({"token": "t"}, {"certificate-authority-data": "not base64!"}, "certificate-authority-data is not valid base64"),
])
def test_unusable_kubeconfig_files_are_clear_errors(tmp_path, env, user, cluster, message):
    path = _write(tmp_path / "config", _config(cluster=cluster, user=user))
    with pytest.raises(ConfigError, match=message):
        plan_connection({"kubeconfig": path}, env)


def test_a_kubeconfig_that_is_not_yaml_is_a_clear_error(tmp_path, env):
    (tmp_path / "config").write_text("clusters: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        plan_connection({"kubeconfig": str(tmp_path / "config")}, env)


def test_no_kubeconfig_is_a_clear_error(tmp_path, env):
    with pytest.raises(ConfigError, match="no kubeconfig found at .*absent"):
        plan_connection({"kubeconfig": str(tmp_path / "absent")}, env)
    with pytest.raises(ConfigError, match="no kubeconfig found at ~/.kube/config"):
        plan_connection({}, env)


# -- what falls back to kubernetes.core's client --------------------------------------------------------------------

@pytest.mark.parametrize("user, cluster, params, environ, reason", [
    ({"exec": {"command": "aws"}}, {}, {}, {}, "kubeconfig field exec"),
    ({"auth-provider": {"name": "oidc"}}, {}, {}, {}, "kubeconfig field auth-provider"),
    ({"token": "t", "as": "someone"}, {}, {}, {}, "kubeconfig field as"),
    ({"token": "t"}, {"tls-server-name": "api"}, {}, {}, "kubeconfig field tls-server-name"),
    ({"token": "t"}, {"proxy-url": "http://proxy:3128"}, {}, {}, "kubeconfig field proxy-url"),
    ({"token": "t"}, {"insecure-skip-tls-verify": "true"}, {}, {}, "not a boolean"),
    ({"token": "t"}, {}, {"impersonate_user": "admin"}, {}, "impersonation"),
    ({"token": "t"}, {}, {}, {"K8S_AUTH_IMPERSONATE_GROUPS": "a,b"}, "impersonation"),
    ({"token": "t"}, {}, {"proxy": "http://proxy:3128"}, {}, "proxy option"),
    ({"token": "t"}, {}, {}, {"K8S_AUTH_PROXY_HEADERS_USER_AGENT": "x"}, "proxy_headers"),
    ({"token": "t"}, {}, {"persist_config": True}, {}, "persist_config"),
    ({"token": "t"}, {}, {"username": "a", "password": "b"}, {}, "username/password options"),
    ({"token": "t"}, {}, {"api_key": "other"}, {}, "host or api_key options over a kubeconfig"),
    ({"username": "a", "password": "b"}, {}, {"host": "https://other"}, {}, "host or api_key options over a kubeconfig"),
    ({"token": "t\n"}, {}, {}, {}, "line break"),
    ({"token": "t"}, {}, {}, {light_plan.CLIENT_ENV: "full"}, "PROGRESSIVE_CANARY_KUBE_CLIENT=full"),
])
def test_falls_back_to_the_full_client(tmp_path, env, user, cluster, params, environ, reason):
    path = _write(tmp_path / "config", _config(cluster=cluster, user=user))
    plan = plan_connection(dict(params, kubeconfig=path), dict(env, **environ))
    assert not plan.light
    assert reason in plan.reason
    assert "t0ken" not in plan.reason and "secret" not in plan.reason


def test_a_server_without_scheme_falls_back(env):
    plan = plan_connection({"host": "api.example.com:6443", "api_key": "k"}, env)
    assert not plan.light and "http" in plan.reason


def test_a_server_url_with_credentials_falls_back_without_showing_them(env):
    plan = plan_connection({"host": "https://admin:hunter2@api.example.com", "api_key": "k"}, env)
    assert not plan.light and "credentials" in plan.reason and "hunter2" not in plan.reason


# -- the same settings as kubernetes.core's client ------------------------------------------------------------------------

def _full_client_view(params, environ, monkeypatch):
    """(server, Authorization, verify, CA bytes, cert bytes, key bytes) of the Configuration kubernetes.core builds, as
    its requests use it: TLS from before the first request (the connection pool is built then), server and credentials
    after the refresh hook the kubernetes client runs on every request."""
    import kubernetes.client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    kubernetes.client.Configuration.set_default(None)
    configuration = core_client._create_configuration(core_client._create_auth_spec(None, **params))
    tls = (configuration.verify_ssl, _content(configuration.ssl_ca_cert), _content(configuration.cert_file),
           _content(configuration.key_file))
    authorization = configuration.auth_settings().get("BearerToken", {}).get("value")
    kubernetes.client.Configuration.set_default(None)
    return (configuration.host, authorization) + tls


def _content(path):
    if not path:
        return None
    with open(path, "rb") as handle:
        return handle.read()


def _light_view(plan):
    https = plan.server.startswith("https://")
    ca = plan.ca_data if plan.ca_data is not None else _content(plan.ca_file)

    def data(value):
        return value if isinstance(value, bytes) or value is None else _content(value)
    return (plan.server, plan.authorization, plan.verify, ca if https else None, data(plan.cert), data(plan.key))


@pytest.mark.parametrize("case", ["token", "token file", "basic", "ca data and client cert data", "files",
                                  "validate_certs over kubeconfig", "ca_cert over kubeconfig", "insecure",
                                  "host and api_key", "host, api_key over cert-only kubeconfig", "merged list",
                                  "context option", "env kubeconfig and verify", "http"])
def test_light_plans_match_kubernetes_core(tmp_path, monkeypatch, case):
    for name, content in (("ca.crt", CA_PEM), ("client.crt", CERT_PEM), ("client.key", KEY_PEM), ("token", b"from-file")):
        (tmp_path / name).write_bytes(content)
    cert_user = {"client-certificate-data": _b64(CERT_PEM), "client-key-data": _b64(KEY_PEM)}
    config = {
        "token": _config(cluster={"certificate-authority-data": _b64(CA_PEM)}),
        "token file": _config(cluster={"certificate-authority": "ca.crt"}, user={"tokenFile": "token"}),
        "basic": _config(user={"username": "admin", "password": "pw"}),
        "ca data and client cert data": _config(cluster={"certificate-authority-data": _b64(CA_PEM)}, user=cert_user),
        "files": _config(cluster={"certificate-authority": "ca.crt"},
                         user={"client-certificate": "client.crt", "client-key": "client.key", "token": "t"}),
        "insecure": _config(cluster={"insecure-skip-tls-verify": True}),
        "host, api_key over cert-only kubeconfig": _config(user=cert_user),
        "http": _config(server="http://127.0.0.1:8080", cluster={"certificate-authority": "absent.crt"}),
    }.get(case, _config(cluster={"certificate-authority": "ca.crt"}))
    path = _write(tmp_path / "config", config)
    params, environ = {"kubeconfig": path}, {}
    if case == "validate_certs over kubeconfig":
        params["validate_certs"] = False
    elif case == "ca_cert over kubeconfig":
        params["ca_cert"] = str(tmp_path / "client.crt")     # any other file: what matters is which one is used
    elif case == "host and api_key":
        params = {"host": "https://api.example.com/", "api_key": "key", "ca_cert": str(tmp_path / "ca.crt")}
    elif case == "host, api_key over cert-only kubeconfig":
        params.update(host="https://other.example.com", api_key="key")
    elif case == "merged list":
        params["kubeconfig"] = "%s:%s" % (_write(tmp_path / "first", _config(server="https://first.example.com")), path)
    elif case == "context option":
        params["context"] = "c"
    elif case == "env kubeconfig and verify":
        params, environ = {}, {"K8S_AUTH_KUBECONFIG": path, "K8S_AUTH_VERIFY_SSL": "false"}
    plan = plan_connection(params, dict(os.environ, **environ))
    assert plan.light, plan
    assert _light_view(plan) == _full_client_view(params, environ, monkeypatch)
