"""Decoding the state object: every field with a value of the wrong type or shape is refused with a message that
names the ConfigMap and the field (never a Python error later on); unknown keys are kept."""
import json

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import TARGET_ANNOTATION, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateError, StateStore

NAMES = CanaryNames("podinfo", "test")
GOOD = {
    "phase": "Failed", "canary_weight": 0, "failed_checks": 2, "step": 2, "schema_version": 2,
    "last_applied_revision": "b2", "last_promoted_revision": "a1", "failed_revision": "b2", "failure_reason": "2 failed checks",
    "last_failed_check": "request-success-rate: 80", "tracked_configs": {"ConfigMap/podinfo-config": "c0ffee"},
    "originals": {"target_replicas": 2, "selector_label": "app", "selector_value": "podinfo",
                  "apex_service": {"labels": {"app": "podinfo"}, "annotations": {}, "spec": {"selector": {"app": "podinfo"}}},
                  "virtual_service": None, "hpa": {"name": "podinfo", "spec": {"minReplicas": 2}}},
    "last_transition_time": "2026-01-01T00:00:00Z", "lease": {"holder": "awx-job-1", "expires": "2026-01-01T00:05:00Z"},
}


# How the message names a field inside a list or a map.
SHOWN_AS = {"tracked_configs.ConfigMap/podinfo-config": "tracked_configs[ConfigMap/podinfo-config]",
            "originals.apex_service.labels": "originals.apex_service.labels[app]"}


def _decode(data):
    raw = data if isinstance(data, str) else json.dumps(data)
    configmap = {"metadata": {"name": NAMES.state, "namespace": "test", "resourceVersion": "7",
                              "annotations": {TARGET_ANNOTATION: "podinfo"}}, "data": {"state.json": raw}}
    return StateStore(None, NAMES).decode(configmap)


def _with(path, value):
    data = json.loads(json.dumps(GOOD))
    parents = path.split("/")[0].split(".")[:-1] if "/" not in path else ["tracked_configs"]
    last = path.split(".")[-1] if "/" not in path else path.split(".", 1)[1]
    holder = data
    for key in parents:
        holder = holder[int(key)] if isinstance(holder, list) else holder[key]
    holder[int(last) if isinstance(holder, list) else last] = value
    return data


def test_a_valid_state_decodes_with_unknown_keys_kept():
    state = _decode(dict(GOOD, written_by_a_newer_release={"x": 1}))
    assert state.phase == "Failed" and state["written_by_a_newer_release"] == {"x": 1} and state.resource_version == "7"


def test_a_state_of_a_killed_init_without_originals_decodes():
    assert _decode({"phase": "Initializing", "originals": {}, "lease": None}).phase == "Initializing"


@pytest.mark.parametrize("path, value, expected", [
    ("phase", "Running", "one of Initializing, Initialized"),
    ("phase", None, "one of Initializing"),
    ("canary_weight", "30", "a whole number from 0 to 100"),
    ("canary_weight", 101, "a whole number from 0 to 100"),
    ("canary_weight", -1, "a whole number from 0 to 100"),
    ("canary_weight", True, "a whole number from 0 to 100"),
    ("canary_weight", 12.5, "a whole number from 0 to 100"),
    ("failed_checks", "two", "a whole number from 0"),
    ("failed_checks", -2, "a whole number from 0"),
    ("schema_version", 0, "a whole number from 1"),
    ("schema_version", "2", "a whole number from 1"),
    ("step", None, "a whole number from 0"),
    ("last_applied_revision", 12, "a non-empty string or null"),
    ("last_promoted_revision", "", "a non-empty string or null"),
    ("failed_revision", {"rev": "b2"}, "a non-empty string or null"),
    ("failure_reason", 3, "a string or null"),
    ("last_failed_check", ["x"], "a string or null"),
    ("rebuilt_from", 1, "a non-empty string or null"),
    ("tracked_configs", ["ConfigMap/x"], "a JSON object"),
    ("tracked_configs.ConfigMap/podinfo-config", 5, "a string"),
    ("originals", "none", "a JSON object"),
    ("originals.target_replicas", "2", "a whole number from 0"),
    ("originals.selector_label", None, "a non-empty string"),
    ("originals.selector_value", 7, "a non-empty string"),
    ("originals.apex_service", "podinfo", "a JSON object or null"),
    ("originals.apex_service.spec", None, "a JSON object"),
    ("originals.apex_service.labels", {"app": None}, "a string"),
    ("originals.virtual_service", ["hosts"], "a JSON object or null"),
    ("originals.hpa", 1, "a JSON object or null"),
    ("originals.hpa.name", "", "a non-empty string"),
    ("originals.hpa.spec", "min 2", "a JSON object"),
    ("last_transition_time", "yesterday", "a UTC time such as 2026-01-01T00:00:00Z"),
    ("last_transition_time", 1700000000, "a UTC time"),
    ("lease", "awx-job-1", "a JSON object or null"),
    ("lease.holder", None, "a non-empty string"),
    ("lease.expires", "in five minutes", "a UTC time such as 2026-01-01T00:00:00Z"),
    ("lease.expires", None, "a UTC time"),
])
def test_every_field_with_a_wrong_value_is_refused_naming_the_configmap_and_the_field(path, value, expected):
    data = _with(path, value)
    with pytest.raises(StateError) as error:
        _decode(data)
    message = str(error.value)
    field = SHOWN_AS.get(path, path)
    assert message.startswith("ConfigMap test/podinfo-canary-state (state of canary podinfo), key state.json: field %s is " % field), message
    assert expected in message, message
    assert "delete the ConfigMap and run canary_init" in message


@pytest.mark.parametrize("raw, expected", [
    ("[1, 2]", "the document is list, expected a JSON object"),
    ('"Succeeded"', "the document is str, expected a JSON object"),
    ("{not json", "is not JSON"),
])
def test_a_document_that_is_not_an_object_is_refused(raw, expected):
    with pytest.raises(StateError) as error:
        _decode(raw)
    assert "test/podinfo-canary-state" in str(error.value) and expected in str(error.value)
