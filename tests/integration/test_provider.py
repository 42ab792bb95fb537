"""The ``provider`` option: canary_init records it in the state, and a later call naming another provider than the one
recorded is refused before any write (its route would be another provider's objects). A state written before the option
existed reads as istio (tests/unit/test_state.py reads the b55e108 fixtures)."""
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.phases.init import InitRequest, run_init
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from tests.integration.canary_scenario import NAMESPACE, PODINFO_SERVICE, reset_request_log, run_playbook, writes
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.release_scenario import init_podinfo, set_template, shift

pytestmark = pytest.mark.needs_crds
NAMES = CanaryNames("podinfo", NAMESPACE)
# A provider this release does not have, as a later release's canary_init would record it.
OTHER = "gateway-api"


def _record_other_provider(api):
    """The state as a canary_init with another provider left it."""
    configmap = api.get(CONFIGMAP[0], CONFIGMAP[1], NAMESPACE, NAMES.state)
    document = json.loads(configmap["data"]["state.json"])
    document["provider"] = OTHER
    configmap["data"]["state.json"] = json.dumps(document)
    api.replace(configmap)


def test_init_records_the_provider(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    state = StateStore(kube_api, NAMES).read()
    assert state["provider"] == "istio" and state.provider == "istio"


def test_calls_naming_another_provider_are_refused_before_any_write(emulator, kube_api):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    _record_other_provider(kube_api)
    reset_request_log(emulator)
    calls = {
        "canary_shift": lambda: shift(kube_api, 20, ready_timeout=60),
        "canary_init": lambda: run_init(kube_api, InitRequest("podinfo", NAMESPACE, PODINFO_SERVICE, hpa="podinfo", ready_timeout=60)),
        "canary_cleanup": lambda: run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60)),
        "canary_info": lambda: canary_info(kube_api, NAMES),
    }
    for module, call in calls.items():
        with pytest.raises(Refusal) as refused:
            call()
        message = str(refused.value)
        assert ("canary test/podinfo was initialized with provider %s" % OTHER) in message, (module, message)
        assert "this call asks for provider istio. Nothing was changed" in message, (module, message)
    assert writes(emulator) == [], "refused before the first write"


def test_the_modules_take_the_provider_option(emulator, kubeconfig, kube_api, tmp_path):  # noqa: F811
    init_podinfo(emulator, kube_api)
    _record_other_provider(kube_api)
    reset_request_log(emulator)
    shift_options = {"target": "podinfo", "namespace": NAMESPACE, "weight": 0}
    tasks = [{"name": "info", "progressive.canary.canary_info": {"target": "podinfo", "namespace": NAMESPACE, "provider": "istio"},
              "ignore_errors": True},
             {"name": "shift", "progressive.canary.canary_shift": dict(shift_options, provider="istio"), "ignore_errors": True},
             {"name": "unknown", "progressive.canary.canary_shift": dict(shift_options, provider="linkerd"), "ignore_errors": True}]
    _rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    for name in ("info", "shift"):
        assert results[name]["failed"] and "was initialized with provider %s" % OTHER in results[name]["msg"], results[name]
    assert results["unknown"]["failed"] and "provider" in results["unknown"]["msg"] and "istio" in results["unknown"]["msg"]
    assert writes(emulator) == []
