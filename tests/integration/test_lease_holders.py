"""Who holds a canary's lease, over HTTP: the lease names its operation and the processes whose life bounds its
holder's; a holder whose processes all ended on this host (a killed run) is taken over at once, a live one never;
a waiting run takes the lease as soon as it is free; a module call of a run that holds a run lease joins it and
leaves it held."""
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.processes import node_id
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryLeaseHeld, Lease, StateStore, parse_time, utc_now
from tests.integration.canary_scenario import NAMESPACE, reset_request_log
from tests.integration.canary_scenario import kube_api  # noqa: F401  pylint: disable=unused-import  # a fixture
from tests.integration.loopback_http import LoopbackServer, Reply
from tests.integration.test_analysis_module import run_playbook
from tests.sandbox.fixtures_api import wait_for

REPO = Path(__file__).resolve().parents[2]
NAMES = CanaryNames("podinfo", NAMESPACE)
# A process that takes the lease for one call (as canary_cleanup does), says so, and works on until it is killed.
HOLDER = """
import sys, time
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import Lease, StateStore
api = connect({"kubeconfig": sys.argv[1]}, request_timeout=10)
Lease(StateStore(api, CanaryNames("podinfo", sys.argv[2])), holder="cleanup-job-1", duration=600, operation="cleanup").acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def store(emulator, kube_api):  # pylint: disable=redefined-outer-name
    emulator.ensure_namespace(NAMESPACE)
    return StateStore(kube_api, NAMES)


@pytest.fixture
def holder_process(store, kubeconfig):  # pylint: disable=redefined-outer-name,unused-argument
    """A cleanup process holding the lease for 600 s (killed at the end of the test if still running)."""
    env = dict(os.environ, PYTHONPATH="%s:%s" % (REPO, REPO / ".collections"))
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(kubeconfig), NAMESPACE], env=env,  # pylint: disable=consider-using-with
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    assert process.stdout.readline().decode().strip() == "held", process.stdout.read().decode()
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _kill(process):
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_the_lease_records_its_operation_host_and_process(store, holder_process):  # pylint: disable=redefined-outer-name
    lease = store.read()["lease"]
    assert lease["holder"] == "cleanup-job-1" and lease["operation"] == "cleanup" and lease["scope"] == "call"
    assert [process["pid"] for process in lease["processes"]] == [holder_process.pid]
    assert lease["node"] == node_id() and lease["host"]


def test_a_live_holder_is_never_taken_over_and_is_named_with_its_operation(store, holder_process):  # pylint: disable=redefined-outer-name
    with pytest.raises(CanaryLeaseHeld) as held:
        Lease(store, holder="cleanup-job-2", duration=60, operation="cleanup").acquire()
    message = str(held.value)
    assert "cleanup-job-1 (operation cleanup" in message and "until " in message
    assert "its process %d on this host still runs" % holder_process.pid in message
    assert store.read()["lease"]["holder"] == "cleanup-job-1"


def test_a_killed_holder_is_taken_over_at_once_though_its_lease_runs_on(store, holder_process):  # pylint: disable=redefined-outer-name
    _kill(holder_process)
    lease = Lease(store, holder="cleanup-job-2", duration=60, operation="cleanup")
    lease.acquire()     # no wait: the killed holder's lease has 600 s left
    assert store.read()["lease"]["holder"] == "cleanup-job-2"
    assert lease.taken_over["holder"] == "cleanup-job-1"
    assert lease.taken_over["why"] == "its process %d on this host ended" % holder_process.pid


def test_a_waiting_run_takes_the_lease_once_its_holder_ends(store, emulator, holder_process):  # pylint: disable=redefined-outer-name
    outcome = {}
    waiter = Lease(store, holder="cleanup-job-2", duration=60, operation="cleanup")
    thread = threading.Thread(target=lambda: outcome.update(state=waiter.acquire(wait=120)))
    thread.start()

    def reads():
        return [record for record in emulator.request_log.records()
                if record.method == "GET" and record.path.endswith("/configmaps/podinfo-canary-state")]
    seen = len(reads())
    wait_for(lambda: len(reads()) >= seen + 2, what="the waiting run reading the lease again")
    assert thread.is_alive(), "the live holder is waited for"
    _kill(holder_process)
    thread.join(timeout=60)
    assert outcome["state"]["lease"]["holder"] == "cleanup-job-2"
    assert waiter.taken_over["why"].endswith("ended")


def test_a_holder_out_of_sight_is_waited_for_until_its_lease_expires(store):  # pylint: disable=redefined-outer-name
    Lease(store, holder="awx-job-5", duration=60, operation="rollout").acquire()
    state = store.read()
    state.data["lease"] = dict(state["lease"], node="another-boot/pid:[1]", host="awx-job-5-pod")
    store.write(state)
    with pytest.raises(CanaryLeaseHeld) as held:
        Lease(store, holder="awx-job-6", duration=60).acquire(wait=1)
    assert "runs on host awx-job-5-pod, out of sight from here" in str(held.value) and "waited 1 s" in str(held.value)
    state = store.read()
    state["lease"]["expires"] = "2000-01-01T00:00:00Z"
    store.write(state)
    lease = Lease(store, holder="awx-job-6", duration=60)
    lease.acquire()
    assert lease.taken_over["why"] == "its lease expired at 2000-01-01T00:00:00Z"


def test_a_call_of_the_run_holding_a_run_lease_joins_it_and_leaves_it_held(store):  # pylint: disable=redefined-outer-name
    run = Lease(store, holder="rollout-7", duration=60, operation="rollout", scope="run", processes=[os.getppid()])
    run.acquire()
    with Lease(store, holder="rollout-7", duration=60, operation="shift") as call:
        call.update(lambda state: state.count_failed_check("no data"))
        lease = store.read()["lease"]
        assert lease["operation"] == "rollout" and lease["scope"] == "run"
        assert [process["pid"] for process in lease["processes"]] == [os.getppid(), os.getpid()]
    assert store.read()["lease"]["holder"] == "rollout-7", "left held for the run"
    with pytest.raises(CanaryLeaseHeld):
        Lease(store, holder="cleanup-8", duration=60).acquire()
    run.release()
    assert store.read()["lease"] is None


def test_a_gate_polling_longer_than_the_lease_keeps_the_run_lease(store, kubeconfig, tmp_path):  # pylint: disable=redefined-outer-name
    run = Lease(store, holder="rollout-9", duration=3, operation="rollout", scope="run", processes=[os.getpid()])
    run.acquire()
    calls = []

    def answer(_request):
        calls.append(1)
        return Reply(200 if len(calls) > 5 else 403, "waiting for approval")

    gate = {"name": "approval", "type": "confirm-promotion", "poll_interval": "1s", "gate_timeout": "1m"}
    args = {"type": "confirm-promotion", "name": "podinfo", "namespace": NAMESPACE, "kubeconfig": str(kubeconfig),
            "lease_holder": "rollout-9", "lease_seconds": 3}
    with LoopbackServer(answer) as server:
        gate["url"] = server.url + "/gate"
        args_file = tmp_path / "canary_webhook-args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, webhooks=[gate])}), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH="%s:%s" % (REPO, REPO / ".collections"))
        completed = subprocess.run([sys.executable, "-m", "ansible_collections.progressive.canary.plugins.modules.canary_webhook",
                                    str(args_file)], env=env, capture_output=True, text=True, timeout=120, check=False)
    result = json.loads(completed.stdout)
    assert result["passed"] and result["hooks"][0]["attempts"] == 6, result
    lease = store.read()["lease"]
    assert lease["holder"] == "rollout-9" and lease["operation"] == "rollout", "joined and left held for the run"
    assert parse_time(lease["expires"]) > utc_now(), "renewed while the gate polled for longer than the lease lasts"
    with pytest.raises(CanaryLeaseHeld):
        Lease(store, holder="cleanup-10", duration=60).acquire()


def test_a_live_holder_past_its_expiry_is_still_not_taken_over(store, holder_process):  # pylint: disable=redefined-outer-name
    state = store.read()
    state["lease"]["expires"] = "2000-01-01T00:00:00Z"    # as after a stall longer than the lease
    store.write(state)
    with pytest.raises(CanaryLeaseHeld) as held:
        Lease(store, holder="cleanup-job-2", duration=60).acquire()
    assert "its lease expired at 2000-01-01T00:00:00Z but its process %d on this host still runs" % holder_process.pid in str(held.value)


@pytest.mark.parametrize("options, message", [
    ({}, "lease_holder is required: it names the run that holds the lease across its tasks"),
    ({"lease_holder": "run-1", "hold": -1}, "hold must be 0 or more seconds (got -1)"),
])
def test_a_lease_request_no_lease_can_be_held_with_is_refused_before_a_request(
        store, emulator, kubeconfig, tmp_path, options, message):  # pylint: disable=redefined-outer-name,unused-argument
    reset_request_log(emulator)
    task = {"progressive.canary.canary_lease": dict(options, target="podinfo", namespace=NAMESPACE, kubeconfig=str(kubeconfig))}
    results, _output = run_playbook(tmp_path, [task])
    assert results[0]["failed"] is True and results[0]["msg"] == message and results[0]["acquired"] is False
    assert emulator.request_log.records() == []


def test_a_renewal_planned_from_a_handed_over_state_reads_the_state_another_writer_changed(emulator, kube_api):  # noqa: F811
    """canary_advance's steps hand the state they wrote to the next step (Lease.adopt(unread=True)). When the next step
    renews the lease later than a third of it, someone else may have written the state meanwhile: the renewal reads it
    and writes the lease on the fresh state (keeping the other writer's change), instead of failing on a stale version."""
    from tests.integration.release_scenario import init_podinfo  # pylint: disable=import-outside-toplevel
    init_podinfo(emulator, kube_api)
    names = CanaryNames("podinfo", NAMESPACE)
    store = StateStore(kube_api, names)
    run = Lease(store, "rollout/test/podinfo/7", duration=3, scope="run")
    run.acquire(create=False)
    handed_over = run.state

    edited = store.read()       # another writer (a hand edit through the state's own format) counts a failed check
    edited.count_failed_check("request-success-rate: 97 < 99")
    store.write(edited)
    next_step = Lease(store, "rollout/test/podinfo/7", duration=3, scope="run")
    assert next_step.adopt(handed_over, unread=True), "a lease written a moment ago is adopted without a read"
    wait_for(lambda: (parse_time(handed_over["lease"]["expires"]) - utc_now()).total_seconds() < 2.0, timeout=5,
             what="a third of the lease to pass")
    renewed = next_step.renew()

    stored = store.read()
    assert stored["failed_checks"] == handed_over["failed_checks"] + 1, "the other writer's change is kept"
    assert renewed.resource_version == stored.resource_version != handed_over.resource_version
    assert parse_time(renewed["lease"]["expires"]) > parse_time(handed_over["lease"]["expires"]), "the lease was renewed"
