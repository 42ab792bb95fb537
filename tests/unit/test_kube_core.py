"""The kubernetes.core private helpers kube_core.py uses exist, with the signatures it calls them with, in the
kubernetes.core installed for the tests (hack/setup: .collections); a failure here means an upgrade moved them and
connect() now runs on the public get_api_client (see kube_core.py)."""
import inspect

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube import kube_core
from ansible_collections.kubernetes.core.plugins.module_utils import k8sdynamicclient
from ansible_collections.kubernetes.core.plugins.module_utils.client import discovery
from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client


def _accepts(func, *args, **kwargs):
    inspect.signature(func).bind(*args, **kwargs)
    return True


def test_every_private_helper_is_found():
    helpers = kube_core.private_helpers()
    assert helpers is not None
    assert sorted(helpers) == sorted(attribute for _module, attribute in kube_core.PRIVATE_HELPERS)


def test_the_helpers_take_the_arguments_we_pass():
    assert _accepts(core_client._create_auth_spec, None, kubeconfig="k", context="c")
    assert _accepts(core_client._create_configuration, {"kubeconfig": "k"})
    assert _accepts(core_client._create_headers, None, kubeconfig="k")
    assert _accepts(core_client._set_header, object(), "Impersonate-User", "someone")
    assert _accepts(k8sdynamicclient.K8SDynamicClient, object(), discoverer=discovery.LazyDiscoverer)
    assert issubclass(discovery.LazyDiscoverer, discovery.Discoverer)


def test_the_helpers_build_what_we_use(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: {token: t}}]\n")
    auth = core_client._create_auth_spec(None, kubeconfig=str(kubeconfig))
    configuration = core_client._create_configuration(auth)
    assert configuration.host == "https://127.0.0.1:6443"
    assert core_client._create_headers(None, impersonate_user="someone") == {"Impersonate-User": "someone"}


@pytest.mark.parametrize("module_name, attribute", kube_core.PRIVATE_HELPERS)
def test_any_missing_helper_means_the_public_path(monkeypatch, module_name, attribute):
    modules = {"k8s.client": core_client, "k8sdynamicclient": k8sdynamicclient, "client.discovery": discovery}
    monkeypatch.delattr(modules[module_name], attribute)
    assert kube_core.private_helpers() is None
