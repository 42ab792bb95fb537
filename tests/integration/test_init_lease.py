"""The state ConfigMap and its lease over HTTP: optimistic writes, a held lease names its holder, an
expired lease is taken over, and a run that lost its lease stops."""
import time

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import ConflictError
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryLeaseHeld, Lease, LeaseLost, StateStore
from tests.integration.canary_scenario import NAMESPACE, reset_request_log
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture

NAMES = CanaryNames("podinfo", NAMESPACE)


@pytest.fixture
def store(emulator, kube_api):  # pylint: disable=redefined-outer-name
    emulator.ensure_namespace(NAMESPACE)
    return StateStore(kube_api, NAMES)


def test_lease_creates_state_and_a_second_holder_is_refused_by_name(store):  # pylint: disable=redefined-outer-name
    with Lease(store, holder="run-a", duration=60):
        with pytest.raises(CanaryLeaseHeld) as error:
            Lease(store, holder="run-b", duration=60).acquire()
        assert "run-a" in str(error.value) and "podinfo-canary-state" in str(error.value)
    assert store.read()["lease"] is None, "released on exit"
    Lease(store, holder="run-b", duration=60).acquire()


def test_expired_lease_is_taken_over_and_the_old_holder_stops(store):  # pylint: disable=redefined-outer-name
    # No process recorded (as from another host): only the expiry frees it. (A live process on this host is never
    # taken over, even past its expiry: test_lease_holders.py.)
    first = Lease(store, holder="killed-run", duration=1, processes=[])
    first.acquire()
    while store.read()["lease"]["expires"] >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()):
        time.sleep(0.2)
    second = Lease(store, holder="next-run", duration=60)
    second.acquire()
    assert store.read()["lease"]["holder"] == "next-run"
    with pytest.raises(LeaseLost) as error:
        first.update(lambda state: state.set_phase("Progressing"))
    assert "next-run" in str(error.value)


def test_update_is_optimistic_a_stale_write_conflicts(store):  # pylint: disable=redefined-outer-name
    with Lease(store, holder="run-a", duration=60) as lease:
        stale = store.read()
        lease.update(lambda state: state.count_failed_check("no data"))
        stale.data["last_failed_check"] = "written by a stale copy"
        with pytest.raises(ConflictError):
            store.write(stale)
        assert store.read()["failed_checks"] == 1 and store.read()["last_failed_check"] == "no data"


def test_update_reapplies_the_mutation_after_a_concurrent_change(store, emulator):  # pylint: disable=redefined-outer-name
    with Lease(store, holder="run-a", duration=60) as lease:
        # One PUT on the state answers 409 as if another writer got there first: the update re-reads and retries.
        emulator.faults.add(verb="PUT", path_regex="configmaps/podinfo-canary-state$", status=409, times=1)
        lease.update(lambda state: state.count_failed_check())
        assert store.read()["failed_checks"] == 1


def _state_requests(emulator):
    return [(r.method, r.status) for r in emulator.request_log.records() if "/configmaps" in r.path]


def test_updates_under_one_lease_write_at_its_last_write_without_reading_again(store, emulator):  # pylint: disable=redefined-outer-name
    reset_request_log(emulator)
    with Lease(store, holder="run-a", duration=60) as lease:
        lease.update(lambda state: state.set_phase("Progressing"))
        lease.update(lambda state: state.count_failed_check("no data"))
    assert _state_requests(emulator) == [("GET", 404), ("POST", 201), ("PUT", 200), ("PUT", 200), ("GET", 200), ("PUT", 200)], \
        "one read to take the lease; each update writes at the previous write; the release reads (a cleanup may have deleted it)"
    state = store.read()
    assert state["phase"] == "Progressing" and state["failed_checks"] == 1 and state["lease"] is None


def test_a_hand_edit_between_two_updates_is_kept_and_the_update_applied_to_it(store, emulator):  # pylint: disable=redefined-outer-name
    with Lease(store, holder="run-a", duration=60) as lease:
        lease.update(lambda state: state.set_phase("Progressing"))
        edited = store.read()
        edited.data["last_failed_check"] = "a person's note"
        store.write(edited)
        reset_request_log(emulator)
        lease.update(lambda state: state.count_failed_check())
        assert _state_requests(emulator) == [("PUT", 409), ("GET", 200), ("PUT", 200)], "the stale write refused, read, applied again"
    state = store.read()
    assert state["failed_checks"] == 1 and state["last_failed_check"] == "a person's note" and state["phase"] == "Progressing"


def test_a_transition_that_changes_nothing_after_our_write_is_judged_on_a_read(store, emulator):  # pylint: disable=redefined-outer-name
    """Our last write may be long past: a lease taken over since is said at once, not at the next write."""
    first = Lease(store, holder="run-a", duration=1, processes=[])
    first.acquire()
    first.update(lambda state: state.set_phase("Progressing"))
    while store.read()["lease"]["expires"] >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()):
        time.sleep(0.2)
    Lease(store, holder="run-b", duration=60).acquire()
    reset_request_log(emulator)
    with pytest.raises(LeaseLost) as error:
        first.update(lambda state: state.set_phase("Progressing"))     # already so: nothing to write
    assert "taken over by run-b" in str(error.value)
    assert _state_requests(emulator) == [("GET", 200)], "read, not written"


def test_a_state_deleted_under_the_lease_is_said_so(store, emulator):  # pylint: disable=redefined-outer-name
    lease = Lease(store, holder="run-a", duration=60)
    lease.acquire()
    store.delete()
    with pytest.raises(LeaseLost) as error:
        lease.update(lambda state: state.set_phase("Progressing"))
    assert "podinfo-canary-state disappeared while run-a held its lease" in str(error.value)
    lease.release()     # nothing left to release: no error
    assert store.read() is None


def test_renew_extends_the_lease_once_a_third_has_passed(store, emulator):  # pylint: disable=redefined-outer-name
    lease = Lease(store, holder="waiting-run", duration=3)
    first_expiry = lease.acquire()["lease"]["expires"]
    reset_request_log(emulator)
    lease.renew()
    assert emulator.request_log.records() == [], "too early: neither read nor written"
    time.sleep(1.1)
    lease.renew()
    assert store.read()["lease"]["expires"] > first_expiry
