"""Recording a failed run in the canary's state object (emulator over HTTP), directly and through Ansible."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.analysis.gate import record_in_state, run_checks
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState, Lease, StateError, StateStore
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.integration.test_analysis_module import run_playbook

NAMES = CanaryNames("podinfo", "test")


def score_check(url, minimum):
    return {"name": "score", "web": {"url": url, "value_path": "score"}, "threshold_range": {"min": minimum}}


@pytest.fixture
def store(kubeconfig, emulator):  # pylint: disable=unused-argument
    api = connect({"kubeconfig": str(kubeconfig)})
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test"}})
    return StateStore(api, NAMES)


@pytest.fixture
def score_endpoint():
    with LoopbackServer(lambda request: Reply(200, {"score": 0.5})) as server:
        yield server.url


def test_failed_runs_are_counted_once_each_and_passed_runs_write_nothing(store, score_endpoint):  # pylint: disable=redefined-outer-name
    store.create(CanaryState({"phase": "Progressing"}))
    failed = run_checks(None, [score_check(score_endpoint, 0.9)], {"namespace": "test", "target": "podinfo"})
    passed = run_checks(None, [score_check(score_endpoint, 0.1)], {"namespace": "test", "target": "podinfo"})

    assert record_in_state(store, failed, lease_holder="test-run")["failed_checks"] == 1
    before = store.read_object()["metadata"]["resourceVersion"]
    assert record_in_state(store, passed, lease_holder="test-run")["failed_checks"] == 1
    assert store.read_object()["metadata"]["resourceVersion"] == before
    state = record_in_state(store, failed, lease_holder="test-run")
    assert state["failed_checks"] == 2 and "below the minimum 0.9" in state["last_failed_check"]
    assert (store.read().get("lease") or {}).get("holder") is None  # released after the write


def test_recording_never_creates_a_state_object(store, score_endpoint):  # pylint: disable=redefined-outer-name
    failed = run_checks(None, [score_check(score_endpoint, 0.9)], {"namespace": "test", "target": "podinfo"})
    with pytest.raises(StateError, match="canary_init"):
        record_in_state(store, failed)
    assert store.read() is None


def test_module_records_through_ansible_and_not_in_check_mode(tmp_path, kubeconfig, store, score_endpoint):  # pylint: disable=redefined-outer-name
    store.create(CanaryState({"phase": "Progressing"}))
    task = {"progressive.canary.canary_analysis": {
        "namespace": "test", "target": "podinfo", "kubeconfig": str(kubeconfig), "record_in_state": True,
        "fail_on_failure": False, "checks": [score_check(score_endpoint, 0.9)]}}
    results, _output = run_playbook(tmp_path, [task])
    assert results[0]["changed"] is True and results[0]["state"]["failed_checks"] == 1 and results[0]["passed"] is False
    assert store.read()["failed_checks"] == 1

    results, _output = run_playbook(tmp_path, [task], check=True)
    assert results[0]["passed"] is False and "state" not in results[0]
    assert store.read()["failed_checks"] == 1


def test_a_refused_recording_fails_after_the_outcome_with_the_holder(tmp_path, kubeconfig, store, score_endpoint):  # pylint: disable=redefined-outer-name
    """The one handler reports a recording refused by another run's lease: the outcome's line, the cause, the
    outcome's fields and who holds the lease; nothing is counted."""
    store.create(CanaryState({"phase": "Progressing"}))
    Lease(store, holder="other-run", duration=60, operation="rollout").acquire()
    task = {"progressive.canary.canary_analysis": {
        "namespace": "test", "target": "podinfo", "kubeconfig": str(kubeconfig), "record_in_state": True,
        "lease_holder": "this-run", "fail_on_failure": False, "checks": [score_check(score_endpoint, 0.9)]}}
    results, _output = run_playbook(tmp_path, [task])
    failed = results[0]
    assert failed["failed"] is True and failed["passed"] is False and failed["failed_check_names"] == ["score"]
    assert failed["msg"].startswith("1 of 1 checks failed: check 'score': ")
    assert "; recording the outcome in the state object failed: canary test/podinfo is locked by" in failed["msg"]
    assert failed["held_by"]["holder"] == "other-run"
    assert store.read()["failed_checks"] == 0
