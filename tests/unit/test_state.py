"""The state document: defaults, phases, failed checks (the lease is tested over HTTP in integration)."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.state import CanaryState, PHASES, format_time, parse_time, utc_now


def test_defaults_cover_every_field_of_the_contract():
    state = CanaryState({})
    for field in ("phase", "canary_weight", "failed_checks", "iterations", "last_applied_revision", "last_promoted_revision",
                  "tracked_configs", "originals", "generated", "last_transition_time", "lease"):
        assert field in state.data
    assert state.phase == "Initializing"


def test_set_phase_moves_transition_time_only_on_change():
    state = CanaryState({"phase": "Initialized", "last_transition_time": "2020-01-01T00:00:00Z"})
    state.set_phase("Initialized")
    assert state["last_transition_time"] == "2020-01-01T00:00:00Z"
    state.set_phase("Progressing")
    assert state.phase == "Progressing" and state["last_transition_time"] != "2020-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        state.set_phase("Running")
    assert "Finalising" in PHASES


def test_failed_checks_accumulate_and_keep_the_reason():
    state = CanaryState({})
    state.add_failed_check("request-success-rate: no data").add_failed_check()
    assert state["failed_checks"] == 2 and state["last_failed_check"] == "request-success-rate: no data"


def test_public_view_hides_the_lease_and_time_round_trips():
    state = CanaryState({"lease": {"holder": "me", "expires": "2020-01-01T00:00:00Z"}})
    assert "lease" not in state.public()
    now = utc_now()
    assert parse_time(format_time(now)) == now
