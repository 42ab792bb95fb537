"""Names and selector-label choice of the contract's "Names" table."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import (
    CanaryNames, SelectorLabelError, is_managed, managed_annotations, managed_labels, selector_label)


def test_names_follow_the_contract_table():
    names = CanaryNames("podinfo", "test")
    assert (names.primary, names.canary, names.apex, names.virtual_service, names.state) == (
        "podinfo-primary", "podinfo-canary", "podinfo", "podinfo", "podinfo-canary-state")
    assert names.primary_copy("podinfo-config") == "podinfo-config-primary"


def test_selector_label_is_the_first_candidate_found():
    assert selector_label({"app.kubernetes.io/name": "x", "name": "y"}) == "name"
    assert selector_label({"tier": "web", "app": "x"}, ["tier", "app"]) == "tier"


def test_selector_without_candidate_is_refused_with_the_labels_named():
    with pytest.raises(SelectorLabelError) as error:
        selector_label({"tier": "web"})
    assert "tier" in str(error.value) and "app.kubernetes.io/name" in str(error.value)


def test_is_managed_tells_our_objects_per_target():
    ours = {"metadata": {"labels": managed_labels(), "annotations": managed_annotations("podinfo")}}
    assert is_managed(ours) and is_managed(ours, "podinfo")
    assert not is_managed(ours, "other")
    assert not is_managed({"metadata": {"labels": {"app": "podinfo"}}})
