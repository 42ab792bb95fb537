# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that decides which Kubernetes client a module's connection uses.

Importing the ``kubernetes`` package costs ~0.35 s of CPU and ~50 MiB per module process, for a handful of requests.
When the connection is plain HTTP(S) that we reproduce exactly, the module talks to the API server with the small
client of light_client.py (standard library only); anything else goes to kubernetes.core's client, unchanged
(connection.py). ``plan_connection`` mirrors kubernetes.core's ``_create_auth_spec`` / ``_create_configuration`` and
the kubernetes client's kubeconfig loader (``config/kube_config.py``, ``config/incluster_config.py``) for the cases
it accepts, and answers ``FullClient(reason)`` for every other one:

- light: a kubeconfig (the ``kubeconfig`` option - a path, a ``:``-separated list merged as the kubernetes client
  merges it, or a dict -, ``K8S_AUTH_KUBECONFIG``, ``KUBECONFIG``, ``~/.kube/config``) whose context (the ``context``
  option, else current-context) names a cluster with ``server``, ``certificate-authority(-data)``,
  ``insecure-skip-tls-verify``, and a user with ``token``, ``tokenFile``, ``client-certificate(-data)`` /
  ``client-key(-data)`` or ``username`` / ``password``; ``host`` with ``api_key`` or with ``client_cert`` and
  ``client_key`` and no kubeconfig; the in-cluster service account when kubernetes.core would use it; the options
  ``validate_certs``, ``ca_cert``, ``client_cert``, ``client_key`` (and ``host`` / ``api_key`` over a kubeconfig whose
  user has no token) overriding the kubeconfig as kubernetes.core does.
- full (kubernetes.core's client): exec plugins, auth-provider, impersonation (options, ``K8S_AUTH_IMPERSONATE_*``),
  ``proxy``, ``proxy_headers``, ``persist_config``, ``username`` / ``password`` options, ``tls-server-name``,
  ``proxy-url``, any kubeconfig field we do not know, ``host`` / ``api_key`` options over a kubeconfig or in-cluster
  token (the kubernetes client re-applies the kubeconfig's server and token on every request there), and
  ``PROGRESSIVE_CANARY_KUBE_CLIENT=full`` in the module's environment (the escape hatch: a user who finds a
  difference switches back without changing a playbook).

Errors the kubernetes client would also raise while configuring (no kubeconfig, an unknown context, a missing
certificate or token file, bad base64) raise ConfigError here, before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import os

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_MAP, AUTH_ARG_SPEC, AUTH_PROXY_HEADERS_SPEC

CLIENT_ENV = "PROGRESSIVE_CANARY_KUBE_CLIENT"
DEFAULT_KUBECONFIG = "~/.kube/config"
KUBECONFIG_SEPARATOR = ";" if os.name == "nt" else ":"
IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

# Kubeconfig fields the light client honours; "extensions" is metadata every client ignores.
CLUSTER_FIELDS = frozenset(("server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
                            "extensions"))
USER_FIELDS = frozenset(("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
                         "client-key-data", "username", "password", "extensions"))
CONTEXT_FIELDS = frozenset(("cluster", "user", "namespace", "extensions"))


class ConfigError(Exception):
    """The connection options or the kubeconfig cannot be used (the kubernetes client would refuse them too)."""


class FullClient(object):
    """kubernetes.core's client is needed; ``reason`` says why in one line (never a secret)."""
    light = False

    def __init__(self, reason):
        self.reason = reason

    def __repr__(self):
        return "FullClient(%r)" % self.reason


class LightPlan(object):
    """What the light client needs: the server URL, the Authorization header (or None), and for HTTPS whether to
    verify, the CA (a file or PEM data; None: certifi's bundle, as the kubernetes client) and the client certificate
    and key (each a file path or PEM bytes, or None). ``token_file``: the in-cluster token, re-read every minute."""
    light = True
    reason = "plain HTTP(S)"

    def __init__(self, server, authorization=None, verify=True, ca_file=None, ca_data=None, cert=None, key=None,
                 token_file=None, source=""):
        self.server = server
        self.authorization = authorization
        self.verify = verify
        self.ca_file = ca_file
        self.ca_data = ca_data
        self.cert = cert
        self.key = key
        self.token_file = token_file
        self.source = source

    def __repr__(self):
        return "LightPlan(server=%r, source=%r)" % (self.server, self.source)


def _env_bool(value):
    return value.lower() not in ("0", "false", "no")


def auth_spec(params, environ):
    """kubernetes.core's ``_create_auth_spec``: each option, else its ``K8S_AUTH_<OPTION>`` (or ``K8S_AUTH_<CLIENT
    NAME>``) variable; keyed by the kubernetes client's names (AUTH_ARG_MAP). ``proxy_headers`` from the environment
    comes back as a dict of the ``K8S_AUTH_PROXY_HEADERS_*`` variables set."""
    auth = {}
    for true_name, arg_name in AUTH_ARG_MAP.items():
        if params.get(arg_name) is not None:
            auth[true_name] = params[arg_name]
        elif params.get(true_name) is not None:
            auth[true_name] = params[true_name]
        elif arg_name == "proxy_headers":
            headers = {}
            for key, spec in AUTH_PROXY_HEADERS_SPEC.items():
                value = environ.get("K8S_AUTH_PROXY_HEADERS_%s" % key.upper())
                if value is not None:
                    headers[key] = _env_bool(value) if spec.get("type") == "bool" else value
            auth[true_name] = headers
        else:
            value = environ.get("K8S_AUTH_%s" % arg_name.upper()) or environ.get("K8S_AUTH_%s" % true_name.upper())
            if value is not None:
                auth[true_name] = _env_bool(value) if AUTH_ARG_SPEC[arg_name].get("type") == "bool" else value
    return auth


def _impersonation(params, environ):
    """True when kubernetes.core's ``_create_headers`` would add an Impersonate-* header."""
    for name in ("impersonate_user", "impersonate_groups"):
        value = params.get(name)
        if value is None:
            value = environ.get("K8S_AUTH_%s" % name.upper())
            if value is not None and name == "impersonate_groups":
                value = [part for part in value.split(",") if part != ""]
        if value:
            return True
    return False


def _unsupported_option(auth):
    """The first option the light client does not implement, or None."""
    if auth.get("proxy"):
        return "the proxy option"
    if auth.get("proxy_headers"):
        return "the proxy_headers option"
    if auth.get("persist_config"):
        return "persist_config"
    if auth.get("username") is not None or auth.get("password") is not None:
        return "the username/password options"
    return None


def plan_connection(params, environ=None):
    """LightPlan or FullClient(reason) for kubernetes.core connection options (None values are unset); raises
    ConfigError for options or a kubeconfig the kubernetes client would refuse too."""
    environ = os.environ if environ is None else environ
    if (environ.get(CLIENT_ENV) or "").strip().lower() == "full":
        return FullClient("%s=full" % CLIENT_ENV)
    auth = auth_spec(params, environ)
    if _impersonation(params, environ):
        return FullClient("impersonation")
    unsupported = _unsupported_option(auth)
    if unsupported:
        return FullClient(unsupported)
    if auth.get("host"):
        auth["host"] = auth["host"].rstrip("/")
    return _settings_to_plan(_configuration(auth, environ))


class _Settings(object):
    """The kubernetes client Configuration's fields that matter, as kubernetes.core leaves them."""

    def __init__(self):
        self.host = "http://localhost"
        self.authorization = None
        self.token_file = None
        self.verify = True
        self.ca = None          # ("file", path) or ("data", bytes)
        self.cert = None
        self.key = None
        self.reapplied = False  # the kubernetes client re-applies host and token on every request (its refresh hook)
        self.source = "options"
        self.unsupported = None


def _configuration(auth, environ):
    """kubernetes.core's ``_create_configuration``: which configuration is loaded, then the options over it."""
    def given(*names):
        return all(auth.get(name) for name in names)

    if given("api_key", "host") or given("cert_file", "key_file", "host"):
        settings = _Settings()
    elif given("kubeconfig") or given("context"):
        settings = _from_kubeconfig(auth.get("kubeconfig"), auth.get("context"), environ)
    else:
        settings = _in_cluster(environ) or _from_kubeconfig(auth.get("kubeconfig"), auth.get("context"), environ)
    if settings.unsupported:
        return settings
    if settings.reapplied and (auth.get("host") is not None or auth.get("api_key") is not None):
        settings.unsupported = "host or api_key options over a kubeconfig or in-cluster token"
        return settings
    if auth.get("host") is not None:
        settings.host = auth["host"]
    if auth.get("api_key") is not None:
        settings.authorization = "Bearer %s" % auth["api_key"]
    if auth.get("verify_ssl") is not None:
        settings.verify = auth["verify_ssl"]
    if auth.get("ssl_ca_cert") is not None:
        settings.ca = ("file", auth["ssl_ca_cert"]) if auth["ssl_ca_cert"] else None
    if auth.get("cert_file") is not None:
        settings.cert = auth["cert_file"] or None
    if auth.get("key_file") is not None:
        settings.key = auth["key_file"] or None
    return settings


def _in_cluster(environ):
    """The service account's settings when the kubernetes client's in-cluster loader would succeed, else None."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        return None
    if not os.path.isfile(IN_CLUSTER_TOKEN):
        return None
    token = _read(IN_CLUSTER_TOKEN)
    if not token or not os.path.isfile(IN_CLUSTER_CA) or not _read(IN_CLUSTER_CA):
        return None
    settings = _Settings()
    if _has_line_break(token):
        settings.unsupported = "a service account token with a line break"
        return settings
    settings.host = "https://" + ("[%s]:%s" if ":" in host or "%" in host else "%s:%s") % (host, port)
    settings.token_file = IN_CLUSTER_TOKEN
    settings.ca = ("file", IN_CLUSTER_CA)
    settings.reapplied = True
    settings.source = "in-cluster service account"
    return settings


def _read(path):
    with open(path) as handle:
        return handle.read()


# -- kubeconfig -------------------------------------------------------------------------------------------------------

def _load_yaml(path):
    import yaml  # pylint: disable=import-outside-toplevel  # only a kubeconfig needs it
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as handle:
        try:
            return yaml.load(handle, Loader=loader)  # nosec: a safe loader
        except yaml.YAMLError as exc:
            raise ConfigError("the kubeconfig %s is not valid YAML: %s" % (path, exc))


def _merged_kubeconfig(paths_text):
    """The kubernetes client's KubeConfigMerger: each existing file of the list in order, clusters / contexts / users
    merged by name (the first one wins), current-context from the last file that sets it. Items are
    ``(value, directory of its file)``."""
    merged = None
    for path in paths_text.split(KUBECONFIG_SEPARATOR):
        if not path:
            continue
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            continue
        document = _load_yaml(path)
        if document is None:
            raise ConfigError("the kubeconfig %s is empty" % path)
        if not isinstance(document, dict):
            raise ConfigError("the kubeconfig %s is not a mapping" % path)
        base = os.path.abspath(os.path.dirname(path))
        if merged is None:
            merged = {"clusters": [], "contexts": [], "users": []}
        for section in ("clusters", "contexts", "users"):
            for item in document.get(section) or []:
                if not isinstance(item, dict) or "name" not in item:
                    raise ConfigError("the kubeconfig %s has an entry without a name in %s" % (path, section))
                if not any(existing["name"] == item["name"] for existing, _base in merged[section]):
                    merged[section].append((item, base))
        if "current-context" in document:
            merged["current-context"] = document["current-context"]
    if merged is None:
        raise ConfigError("no kubeconfig found at %s" % paths_text)
    return merged


def _dict_kubeconfig(document):
    merged = {"current-context": document.get("current-context")}
    for section in ("clusters", "contexts", "users"):
        items = document.get(section) or []
        if not all(isinstance(item, dict) and "name" in item for item in items):
            raise ConfigError("the kubeconfig has an entry without a name in %s" % section)
        merged[section] = [(item, "") for item in items]
    return merged


def _named(merged, section, name, required=True):
    found = [(item, base) for item, base in merged[section] if item["name"] == name]
    if len(found) > 1:
        raise ConfigError("the kubeconfig has more than one %s named %s" % (section[:-1], name))
    if not found:
        if required:
            raise ConfigError("the kubeconfig has no %s named %s" % (section[:-1], name))
        return None, None
    return found[0]


def _from_kubeconfig(kubeconfig, context, environ):
    """The settings the kubernetes client's ``load_kube_config`` leaves (``_load_authentication``,
    ``_load_cluster_info``), or settings marked unsupported."""
    settings = _Settings()
    if isinstance(kubeconfig, dict):
        merged = _dict_kubeconfig(kubeconfig)
        settings.source = "kubeconfig (dict)"
    elif kubeconfig is None or isinstance(kubeconfig, str):
        paths = kubeconfig if kubeconfig else environ.get("KUBECONFIG", DEFAULT_KUBECONFIG)
        merged = _merged_kubeconfig(paths)
        settings.source = "kubeconfig"
    else:
        settings.unsupported = "a kubeconfig option that is neither a path nor a dict"
        return settings
    name = context if context else merged.get("current-context")
    if not name:
        raise ConfigError("the kubeconfig names no current-context and no context was given")
    context_item, _base = _named(merged, "contexts", name)
    context_body = context_item.get("context")
    if not isinstance(context_body, dict) or not context_body.get("cluster"):
        raise ConfigError("the kubeconfig's context %s names no cluster" % name)
    unknown = sorted(set(context_body) - CONTEXT_FIELDS)
    if unknown:
        settings.unsupported = "kubeconfig context field %s" % unknown[0]
        return settings
    user, user_base = None, ""
    if context_body.get("user") and merged.get("users"):
        user_item, user_base = _named(merged, "users", context_body["user"], required=False)
        user = user_item.get("user") if user_item else None
        if user is not None and not isinstance(user, dict):
            raise ConfigError("the kubeconfig's user %s is not a mapping" % context_body["user"])
    cluster_item, cluster_base = _named(merged, "clusters", context_body["cluster"])
    cluster = cluster_item.get("cluster")
    if not isinstance(cluster, dict):
        raise ConfigError("the kubeconfig's cluster %s has no cluster section" % context_body["cluster"])
    unknown = sorted(set(cluster) - CLUSTER_FIELDS) + sorted(set(user or {}) - USER_FIELDS)
    if unknown:
        settings.unsupported = "kubeconfig field %s" % unknown[0]
        return settings
    if any(value is None for value in list(cluster.values()) + list((user or {}).values())):
        settings.unsupported = "a kubeconfig field without a value"
        return settings
    _user_authentication(settings, user or {}, user_base)
    if settings.unsupported:
        return settings
    if "server" not in cluster:
        settings.unsupported = "a kubeconfig cluster without a server"
        return settings
    settings.host = str(cluster["server"]).rstrip("/")
    if settings.host.startswith("https"):
        settings.ca = _file_or_data(cluster, "certificate-authority", cluster_base)
        settings.cert = _file_or_data(user or {}, "client-certificate", user_base)
        settings.key = _file_or_data(user or {}, "client-key", user_base)
    if "insecure-skip-tls-verify" in cluster:
        if not isinstance(cluster["insecure-skip-tls-verify"], bool):
            settings.unsupported = "insecure-skip-tls-verify that is not a boolean"
            return settings
        settings.verify = not cluster["insecure-skip-tls-verify"]
    return settings


def _user_authentication(settings, user, base):
    """The kubeconfig user's token (``token``, else ``tokenFile`` read now, as the kubernetes client reads it once),
    else username/password as basic auth: kubernetes' ``_load_user_token`` then ``_load_user_pass_token``."""
    token = None
    if "token" in user:
        token = user["token"]
    elif "tokenFile" in user:
        path = os.path.normpath(os.path.join(base, str(user["tokenFile"])))
        if not os.path.isfile(path):
            raise ConfigError("the kubeconfig's tokenFile %s does not exist" % path)
        token = _read(path)
    if token:
        settings.authorization = "Bearer %s" % token
        settings.reapplied = True
    elif "username" in user and "password" in user:
        credentials = "%s:%s" % (user["username"], user["password"])
        try:
            encoded = base64.b64encode(credentials.encode("latin-1")).decode("ascii")
        except UnicodeEncodeError:
            settings.unsupported = "a username or password outside latin-1"
            return
        settings.authorization = "Basic %s" % encoded
        settings.reapplied = True


def _file_or_data(section, field, base):
    """kubernetes' FileOrData(...).as_file(): ``<field>-data`` (base64) when present, else the file ``<field>``
    (relative to the kubeconfig's directory), which must exist; ("data", bytes), ("file", path) or None."""
    data_field = field + "-data"
    if data_field in section:
        if not section[data_field]:
            return None
        try:
            return ("data", base64.standard_b64decode(section[data_field]))
        except (binascii.Error, TypeError, ValueError) as exc:
            raise ConfigError("the kubeconfig's %s is not valid base64: %s" % (data_field, exc))
    if field in section:
        path = os.path.normpath(os.path.join(base, str(section[field])))
        if not os.path.isfile(path):
            raise ConfigError("the kubeconfig's %s %s does not exist" % (field, path))
        return ("file", path)
    return None


def _settings_to_plan(settings):
    """The LightPlan for settings we reproduce exactly, else FullClient."""
    if settings.unsupported:
        return FullClient(settings.unsupported)
    if settings.authorization is not None and _has_line_break(settings.authorization):
        return FullClient("a token with a line break")
    host = settings.host
    if not (host.startswith("http://") or host.startswith("https://")) or "?" in host or "#" in host:
        return FullClient("a server URL that is not http:// or https://")
    if "@" in host.split("://", 1)[1].split("/", 1)[0]:
        return FullClient("a server URL with credentials in it")
    if host.startswith("https://") and settings.verify and settings.ca is None and not _has_certifi():
        return FullClient("no CA given and no certifi bundle")
    ca_file = ca_data = None
    if host.startswith("https://") and settings.ca is not None:
        if settings.ca[0] == "file":
            ca_file = settings.ca[1]
        else:
            ca_data = settings.ca[1]
    cert = key = None
    if host.startswith("https://"):
        cert = _cert_part(settings.cert)
        key = _cert_part(settings.key) if cert is not None else None
    return LightPlan(host, authorization=settings.authorization, verify=bool(settings.verify), ca_file=ca_file,
                     ca_data=ca_data, cert=cert, key=key, token_file=settings.token_file, source=settings.source)


def _cert_part(value):
    """A path (str) or PEM data (bytes) from an option's path or a kubeconfig's ("file"|"data", value)."""
    if isinstance(value, tuple):
        return value[1]
    return value


def _has_line_break(text):
    return "\r" in text or "\n" in text


def _has_certifi():
    try:
        import certifi  # pylint: disable=import-outside-toplevel,unused-import  # noqa: F401
    except ImportError:
        return False
    return True
