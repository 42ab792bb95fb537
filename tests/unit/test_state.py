"""The state document: defaults, phases, every transition, and the upgrade of a document of schema version 1 (the lease
is tested over HTTP in integration)."""
import json
from pathlib import Path

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import (
    SCHEMA_VERSION, CanaryState, PHASES, StateError, StateStore, format_time, parse_time, utc_now)

NAMES = CanaryNames("podinfo", "test")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def released_state_configmap(name):
    """The state ConfigMap of a canary that release b55e108 (before schema versions) initialised: see tests/fixtures."""
    objects = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["objects"]
    return next(item for item in objects if item["kind"] == "ConfigMap" and item["metadata"]["name"] == NAMES.state)


def test_defaults_cover_every_field_of_the_contract():
    state = CanaryState({})
    assert sorted(state.data) == sorted(("schema_version", "phase", "canary_weight", "failed_checks", "last_applied_revision",
                                         "last_promoted_revision", "tracked_configs", "originals", "last_transition_time", "lease"))
    assert state.phase == "Initializing" and state["schema_version"] == SCHEMA_VERSION == 2


def test_set_phase_moves_transition_time_only_on_change():
    state = CanaryState({"phase": "Initialized", "last_transition_time": "2020-01-01T00:00:00Z"})
    state.set_phase("Initialized")
    assert state["last_transition_time"] == "2020-01-01T00:00:00Z"
    state.set_phase("Progressing")
    assert state.phase == "Progressing" and state["last_transition_time"] != "2020-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        state.set_phase("Running")
    assert "Finalising" in PHASES and "WaitingPromotion" in PHASES, "Flagger's names; WaitingPromotion is still read"


def test_failed_checks_accumulate_and_keep_the_reason():
    state = CanaryState({})
    state.count_failed_check("request-success-rate: no data").count_failed_check()
    assert state["failed_checks"] == 2 and state["last_failed_check"] == "request-success-rate: no data"


def test_public_view_hides_the_lease_and_time_round_trips():
    state = CanaryState({"lease": {"holder": "me", "expires": "2020-01-01T00:00:00Z"}})
    assert "lease" not in state.public()
    now = utc_now()
    assert parse_time(format_time(now)) == now


def test_init_records_the_originals_once_then_finishes_initialized():
    state = CanaryState({})
    state.record_originals({"target_replicas": 2}, {"ConfigMap/podinfo-env": "c"}, "r1")
    state.record_originals({"target_replicas": 0}, {}, "r1")
    assert state["originals"] == {"target_replicas": 2}, "a re-run never records the objects it changed itself"
    assert (state["tracked_configs"], state["last_applied_revision"], state.phase) == ({}, "r1", "Initializing")
    state.initialized("r1")
    assert (state.phase, state["last_promoted_revision"], state["last_applied_revision"], state["canary_weight"]) == (
        "Initialized", "r1", "r1", 0)


def test_a_rebuild_takes_everything_but_the_lease():
    lease = {"holder": "awx-job-3", "expires": "2999-01-01T00:00:00Z"}
    state = CanaryState({"lease": lease})
    rebuilt = CanaryState({"phase": "Succeeded", "last_promoted_revision": "r1", "rebuilt_from": "Deployment test/podinfo-primary"})
    state.rebuilt_from(rebuilt)
    assert (state.phase, state["last_promoted_revision"], state["lease"]) == ("Succeeded", "r1", lease)
    state.rebuilt_from(rebuilt, {"ConfigMap/podinfo-env": "c"}, "r2")
    assert (state["tracked_configs"], state["last_applied_revision"]) == ({"ConfigMap/podinfo-env": "c"}, "r2")


def test_a_new_analysis_resets_weight_step_and_failed_checks():
    state = CanaryState({"phase": "Succeeded", "canary_weight": 30, "step": 2, "failed_checks": 4, "last_failed_check": "x"})
    state.start_analysis("r2")
    assert (state.phase, state["last_applied_revision"], state["canary_weight"], state["step"], state["failed_checks"]) == (
        "Progressing", "r2", 0, 0, 0)
    assert "last_failed_check" not in state.data


def test_recording_the_same_weight_again_changes_nothing():
    state = CanaryState({"phase": "Progressing", "canary_weight": 0, "step": 0})
    state.record_weight(20)
    state.record_weight(20)
    assert (state["canary_weight"], state["step"]) == (20, 1)
    state.record_weight(40)
    assert state["step"] == 2 and state.phase == "Progressing"
    waiting = CanaryState({"phase": "WaitingPromotion", "canary_weight": 40})
    waiting.record_weight(40)
    assert waiting.phase == "WaitingPromotion", "a state an older release wrote keeps its analysis phase"


@pytest.mark.parametrize("revision, phase", [("r1", "Succeeded"), ("r0", "Failed")])
def test_an_abandoned_analysis_settles_on_the_revision_the_target_went_back_to(revision, phase):
    state = CanaryState({"phase": "Progressing", "canary_weight": 20, "step": 1, "last_promoted_revision": "r1",
                         "last_applied_revision": "r2"})
    state.abandon_analysis(revision)
    assert (state.phase, state["last_applied_revision"], state["canary_weight"], state["step"]) == (phase, revision, 0, 0)


def test_promotion_goes_promoting_finalising_succeeded_and_never_back():
    state = CanaryState({"phase": "Progressing", "canary_weight": 60, "step": 3, "last_promoted_revision": "r1"})
    state.promoting("r2")
    assert (state.phase, state["last_applied_revision"]) == ("Promoting", "r2")
    state.finalising("r2").promoting("r2")
    assert state.phase == "Finalising", "a re-run of a promotion killed while finalising does not go back"
    state.promoted("r2", {"ConfigMap/podinfo-env": "c"})
    assert (state.phase, state["last_promoted_revision"], state["last_applied_revision"], state["canary_weight"], state["step"]) == (
        "Succeeded", "r2", "r2", 0, 0)
    assert state["tracked_configs"] == {"ConfigMap/podinfo-env": "c"}


def test_a_second_rollback_keeps_the_first_reason():
    state = CanaryState({"phase": "Progressing", "canary_weight": 20})
    state.fail("r2", "not ready")
    state.fail("r2", "another")
    assert (state.phase, state["failed_revision"], state["failure_reason"], state["canary_weight"]) == ("Failed", "r2", "not ready", 0)
    state.fail("r3", "error rate")
    assert (state["failed_revision"], state["failure_reason"]) == ("r3", "error rate")
    state.clear_weight()
    assert state["canary_weight"] == 0 and state.phase == "Failed"


def test_the_lease_is_taken_and_cleared():
    state = CanaryState({}).take_lease({"holder": "me", "expires": "2020-01-01T00:00:00Z"})
    assert state["lease"]["holder"] == "me" and state.clear_lease()["lease"] is None


@pytest.mark.parametrize("fixture", ["canary_b55e108_initialized.json", "canary_b55e108_progressing.json"])
def test_a_state_written_before_schema_versions_is_read_as_version_1_and_upgraded(fixture):
    configmap = released_state_configmap(fixture)
    written = json.loads(configmap["data"]["state.json"])
    assert "schema_version" not in written and "iterations" in written and "generated" in written, "the fixture is release 1's"
    store = StateStore(None, NAMES)
    state = store.decode(dict(configmap, metadata=dict(configmap["metadata"], resourceVersion="7")))
    dropped = dict((key, value) for key, value in written.items() if key not in ("iterations", "generated"))
    assert state.data == dict(dropped, schema_version=2), "every other field as it was"
    assert state.resource_version == "7"
    rewritten = json.loads(store._body(state)["data"]["state.json"])  # pylint: disable=protected-access
    assert rewritten["schema_version"] == 2 and "iterations" not in rewritten and "generated" not in rewritten
    assert store.decode(dict(configmap, data={"state.json": json.dumps(rewritten)})).data == state.data, "version 2 reads back as is"


def test_a_state_of_a_newer_schema_version_is_refused_naming_it():
    configmap = released_state_configmap("canary_b55e108_initialized.json")
    written = dict(json.loads(configmap["data"]["state.json"]), schema_version=3)
    with pytest.raises(StateError) as error:
        StateStore(None, NAMES).decode(dict(configmap, data={"state.json": json.dumps(written)}))
    assert "field schema_version is 3, expected at most 2: a newer release of progressive.canary wrote this state" in str(error.value)


@pytest.mark.parametrize("fixture", ["canary_b55e108_initialized.json", "canary_b55e108_progressing.json"])
def test_a_state_without_a_provider_reads_as_istio(fixture):
    configmap = released_state_configmap(fixture)
    store = StateStore(None, NAMES)
    state = store.decode(configmap)
    assert "provider" not in state.data and state.provider == "istio", "written before the provider option: Istio"
    rewritten = json.loads(store._body(state)["data"]["state.json"])  # pylint: disable=protected-access
    assert rewritten["schema_version"] == 2 and "provider" not in rewritten
    assert store.decode(dict(configmap, data={"state.json": json.dumps(rewritten)})).provider == "istio", "version 2 without it too"


def test_the_provider_is_recorded_and_checked():
    state = CanaryState({}).record_provider("gateway-api")
    assert state.provider == "gateway-api" and state["provider"] == "gateway-api"
    configmap = released_state_configmap("canary_b55e108_initialized.json")
    written = dict(json.loads(configmap["data"]["state.json"]), provider=5)
    with pytest.raises(StateError, match="field provider is 5, expected a non-empty string"):
        StateStore(None, NAMES).decode(dict(configmap, data={"state.json": json.dumps(written)}))
