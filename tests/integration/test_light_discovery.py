"""The light client's discovery (light_client.LightDiscovery, discovery_cache.py): one group-version list per kind's
group the first time, none for the next module processes of a run (the file cache), a list re-read once when a kind
is missing from it, kinds not served asked again by each process, and a cache directory another user could write
never used."""
import os
import tempfile

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube import discovery_cache
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.kube.light_plan import CLIENT_ENV
from tests.integration.canary_scenario import NAMESPACE, load_podinfo, reset_request_log

pytestmark = pytest.mark.needs_crds
DISCOVERY_PATHS = ("/api", "/apis", "/version")


@pytest.fixture(autouse=True)
def light_client(monkeypatch):
    """These tests are about the light client, even in a run that forces kubernetes.core's (the Makefile's subset)."""
    monkeypatch.delenv(CLIENT_ENV, raising=False)


def _discovery_gets(emulator):
    return [record.path for record in emulator.request_log.records()
            if record.method == "GET" and (record.path in DISCOVERY_PATHS or record.path.count("/") <= 3
                                           and (record.path.startswith("/apis/") or record.path == "/api/v1"))]


def _connect(kubeconfig):
    api = connect({"kubeconfig": kubeconfig}, request_timeout=5)
    assert api.plan.light, api.plan
    return api


def test_the_next_process_sends_no_discovery(emulator, kubeconfig):
    load_podinfo(emulator, with_service=False, with_hpa=False)
    reset_request_log(emulator)
    assert _connect(kubeconfig).get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert _discovery_gets(emulator) == ["/apis/apps/v1"]
    reset_request_log(emulator)
    assert _connect(kubeconfig).get("apps/v1", "Deployment", NAMESPACE, "podinfo")   # as the next module process
    assert _discovery_gets(emulator) == []


def test_a_kind_missing_from_a_cached_list_reads_the_list_again_once(emulator, kubeconfig):
    emulator.ensure_namespace(NAMESPACE)
    # A list cached before the DestinationRule CRD was installed.
    discovery_cache.DiscoveryCache(emulator.url).store("networking.istio.io/v1", [
        {"name": "virtualservices", "kind": "VirtualService", "namespaced": True, "verbs": ["get"]}])
    reset_request_log(emulator)
    api = _connect(kubeconfig)
    assert api.serves("networking.istio.io/v1", "VirtualService")
    assert _discovery_gets(emulator) == []
    assert api.serves("networking.istio.io/v1", "DestinationRule")
    assert _discovery_gets(emulator) == ["/apis/networking.istio.io/v1"]
    # another miss in the same process reads the list no more (the older versions it stands for are asked once each)
    assert not api.serves("networking.istio.io/v1", "NoSuchKind")
    assert _discovery_gets(emulator).count("/apis/networking.istio.io/v1") == 1


def test_a_group_not_served_is_asked_again_by_the_next_process(emulator, kubeconfig):
    emulator.ensure_namespace(NAMESPACE)
    reset_request_log(emulator)
    assert not _connect(kubeconfig).serves("flagger.app/v1beta1", "Canary")
    assert not _connect(kubeconfig).serves("flagger.app/v1beta1", "Canary")
    assert _discovery_gets(emulator) == ["/apis/flagger.app/v1beta1"] * 2


def test_a_cache_directory_others_can_write_is_not_used(emulator, kubeconfig):
    load_podinfo(emulator, with_service=False, with_hpa=False)
    directory = os.path.join(tempfile.gettempdir(), "progressive-canary-discovery-%d" % os.getuid())
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o777)  # nosec: the point of the test
    reset_request_log(emulator)
    for _process in range(2):
        assert _connect(kubeconfig).get("apps/v1", "Deployment", NAMESPACE, "podinfo")
    assert _discovery_gets(emulator) == ["/apis/apps/v1"] * 2
    assert os.listdir(directory) == []


def test_the_cache_file_holds_no_credential(emulator, kubeconfig):
    emulator.ensure_namespace(NAMESPACE)
    _connect(kubeconfig).serves("v1", "ConfigMap")
    directory = os.path.join(tempfile.gettempdir(), "progressive-canary-discovery-%d" % os.getuid())
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    (name,) = os.listdir(directory)
    with open(os.path.join(directory, name), encoding="utf-8") as handle:
        content = handle.read()
    assert "sandbox-token" not in content and '"configmaps"' in content


def test_a_light_connection_never_imports_kubernetes(emulator, kubeconfig):
    """The point of the light client: a module process with a plain connection does not import the kubernetes package,
    not even on an error (a 404, a kind not served)."""
    import subprocess
    import sys
    emulator.ensure_namespace(NAMESPACE)
    script = ("import sys\n"
              "from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect\n"
              "api = connect({'kubeconfig': sys.argv[1]}, request_timeout=5)\n"
              "assert api.get('v1', 'ConfigMap', 'test', 'absent') is None\n"
              "assert not api.serves('flagger.app/v1beta1', 'Canary')\n"
              "print(sorted(name for name in sys.modules if name == 'kubernetes' or name.startswith('kubernetes.')))\n")
    completed = subprocess.run([sys.executable, "-c", script, kubeconfig], capture_output=True, text=True, check=True,
                               timeout=60, env=dict(os.environ))
    assert completed.stdout.strip() == "[]", completed.stdout + completed.stderr
