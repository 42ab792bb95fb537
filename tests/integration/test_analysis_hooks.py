"""canary_analysis calling the canary's rollout / pre-rollout webhooks before its checks (Flagger's order): a failed
hook fails the run and is recorded in the state object as one failed check, like a failed metric check."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState, StateStore
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.integration.test_analysis_module import run_playbook
from tests.integration.test_analysis_state import score_check


@pytest.fixture
def store(kubeconfig, emulator):  # pylint: disable=unused-argument
    api = connect({"kubeconfig": str(kubeconfig)})
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test"}})
    state_store = StateStore(api, CanaryNames("podinfo", "test"))
    state_store.create(CanaryState({"phase": "Progressing"}))
    return state_store


@pytest.fixture
def receiver():
    """A webhook receiver answering 500 to /fail and 200 to anything else, a score endpoint at /score."""
    def answer(request):
        if request.path == "/score":
            return Reply(200, {"score": 1})
        return Reply(500, "load test failed") if request.path == "/fail" else Reply(200, "ok")
    with LoopbackServer(answer) as server:
        yield server


def _task(kubeconfig, receiver, hook_path, **options):  # pylint: disable=redefined-outer-name
    webhooks = [{"name": "load-test", "type": "rollout", "url": receiver.url + hook_path},
                {"name": "smoke", "type": "pre-rollout", "url": receiver.url + hook_path},
                {"name": "notify", "type": "post-rollout", "url": receiver.url + "/notify"}]
    arguments = {"namespace": "test", "target": "podinfo", "kubeconfig": str(kubeconfig), "record_in_state": True,
                 "fail_on_failure": False, "webhooks": webhooks, "checksum": "abc123"}
    arguments.update(options)
    return {"progressive.canary.canary_analysis": arguments}


def test_failed_rollout_hook_is_a_recorded_failed_check_when_the_metrics_pass(tmp_path, kubeconfig, store, receiver):  # pylint: disable=redefined-outer-name
    task = _task(kubeconfig, receiver, "/fail", checks=[score_check(receiver.url + "/score", 0.5)])

    results, output = run_playbook(tmp_path, [task])

    result = results[0]
    assert result["passed"] is False and result["failed_hook_names"] == ["load-test"], output
    assert result["checks"][0]["verdict"] == "pass" and result["failed_check_names"] == []
    assert result["state"]["failed_checks"] == 1 and "webhook 'load-test' (rollout)" in result["state"]["last_failed_check"]
    assert store.read()["failed_checks"] == 1
    calls = [(request.path, request.json()) for request in receiver.requests if request.path != "/score"]
    assert calls == [("/fail", {"name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "abc123"})], \
        "only the rollout hook is called, with Flagger's payload"


def test_pre_rollout_hooks_alone_are_a_gate_and_passing_writes_nothing(tmp_path, kubeconfig, store, receiver):  # pylint: disable=redefined-outer-name
    before = store.read_object()["metadata"]["resourceVersion"]

    results, output = run_playbook(tmp_path, [_task(kubeconfig, receiver, "/ok", webhook_type="pre-rollout")])

    assert results[0]["passed"] is True and [hook["name"] for hook in results[0]["hooks"]] == ["smoke"], output
    assert store.read_object()["metadata"]["resourceVersion"] == before


def test_no_checks_and_no_hooks_of_the_type_is_refused(tmp_path, kubeconfig, store, receiver):  # pylint: disable=redefined-outer-name,unused-argument
    task = _task(kubeconfig, receiver, "/ok")
    task["progressive.canary.canary_analysis"]["webhooks"] = task["progressive.canary.canary_analysis"]["webhooks"][2:]

    results, _output = run_playbook(tmp_path, [task])

    assert results[0]["failed"] and "no checks and no rollout webhooks" in results[0]["msg"]
    assert receiver.requests == []


def test_check_mode_calls_no_rollout_hook_and_records_nothing(tmp_path, kubeconfig, store, receiver):  # pylint: disable=redefined-outer-name
    results, output = run_playbook(tmp_path, [_task(kubeconfig, receiver, "/fail")], check=True)

    assert results[0]["passed"] is True and results[0]["skipped_hooks"] == ["load-test"], output
    assert receiver.requests == [] and store.read()["failed_checks"] == 0
