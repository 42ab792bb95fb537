"""A run that lost its lease is told what happened in words, never Python's None: taken over by a named holder, or
released by another run (which leaves no holder)."""
import time

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, LeaseLost, StateStore
from tests.integration.canary_scenario import NAMESPACE
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture


def test_a_lease_released_by_another_run_is_said_so(emulator, kube_api):  # pylint: disable=redefined-outer-name
    emulator.ensure_namespace(NAMESPACE)
    store = StateStore(kube_api, CanaryNames("podinfo", NAMESPACE))
    first = Lease(store, holder="killed-run", duration=1, processes=[])  # no process to judge: it expires
    first.acquire()
    while store.read()["lease"]["expires"] >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()):
        time.sleep(0.2)
    with Lease(store, holder="next-run", duration=60):
        pass  # taken over, then released
    with pytest.raises(LeaseLost) as error:
        first.update(lambda state: state.set_phase("Progressing"))
    assert "released by another run while killed-run worked" in str(error.value)
    assert "None" not in str(error.value)
