"""A canary initialised by the release before state schema versions (b55e108: tests/fixtures, made by its canary_init
and canary_shift on the sandbox) keeps working after an upgrade: this release reads its state as version 1, upgrades
it, and shifts, promotes and cleans it up; the state it writes is version 2."""
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, DEPLOYMENT, HPA, SERVICE, CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateStore
from tests.integration.canary_scenario import NAMESPACE, kube_api  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import NEW_IMAGE, get, promote, route, set_template, shift
from tests.sandbox.fixtures_mesh import wait_ready

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NAMES = CanaryNames("podinfo", NAMESPACE)


def load_released_canary(emulator, fixture):
    """The objects of the canary as release b55e108 left them; returns its state document as that release wrote it."""
    objects = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))["objects"]
    emulator.load_manifests(yaml.safe_dump_all(objects), namespace=NAMESPACE)
    for item in objects:
        if item["kind"] == "Deployment" and item["spec"].get("replicas"):
            wait_ready(emulator.url, NAMESPACE, item["metadata"]["name"], replicas=item["spec"]["replicas"])
    configmap = next(item for item in objects if item["kind"] == "ConfigMap" and item["metadata"]["name"] == NAMES.state)
    return json.loads(configmap["data"]["state.json"])


def written_state(api):
    return json.loads(get(api, CONFIGMAP, NAMES.state)["data"]["state.json"])


@pytest.mark.parametrize("fixture", ["canary_b55e108_initialized.json", "canary_b55e108_progressing.json"])
def test_a_canary_of_the_previous_release_is_shifted_promoted_and_cleaned_up(emulator, kube_api, fixture):  # noqa: F811  pylint: disable=redefined-outer-name
    released = load_released_canary(emulator, fixture)
    assert "schema_version" not in released and "iterations" in released and "generated" in released
    if released["phase"] == "Initialized":
        set_template(kube_api)
    else:
        assert released["phase"] == "Progressing" and released["canary_weight"] == 20
    state = StateStore(kube_api, NAMES).read()
    assert state["schema_version"] == 2 and "generated" not in state.data and state["originals"] == released["originals"]

    shifted = shift(kube_api, 60, ready_timeout=60)
    assert (shifted["phase"], shifted["weight"], shifted["restarted"]) == ("Progressing", 60, False), shifted
    assert route(kube_api) == [("podinfo-primary", 40), ("podinfo-canary", 60)]
    written = written_state(kube_api)
    assert written["schema_version"] == 2 and "iterations" not in written and "generated" not in written
    assert written["last_promoted_revision"] == released["last_promoted_revision"]
    if released["phase"] == "Progressing":
        assert (written["last_applied_revision"], written["step"]) == (released["last_applied_revision"], 2), "the analysis went on"

    promoted = promote(kube_api, ready_timeout=60)
    assert promoted["phase"] == "Succeeded", promoted
    assert route(kube_api) == [("podinfo-primary", 100), ("podinfo-canary", 0)]
    assert get(kube_api, DEPLOYMENT, "podinfo-primary")["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert written_state(kube_api)["last_promoted_revision"] == promoted["revision"] != released["last_promoted_revision"]

    cleaned = run_cleanup(kube_api, CleanupRequest("podinfo", NAMESPACE, ready_timeout=60))
    assert cleaned["changed"], cleaned
    target = wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    assert target["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE and target["spec"]["replicas"] == 2
    assert get(kube_api, SERVICE, "podinfo")["spec"]["selector"] == released["originals"]["apex_service"]["spec"]["selector"]
    assert get(kube_api, HPA, "podinfo")["spec"]["scaleTargetRef"]["name"] == "podinfo"
    for kind_pair, name in ((DEPLOYMENT, "podinfo-primary"), (SERVICE, "podinfo-primary"), (SERVICE, "podinfo-canary"),
                            (HPA, "podinfo-primary"), (CONFIGMAP, NAMES.state)):
        assert get(kube_api, kind_pair, name) is None, "%s %s left behind" % (kind_pair[1], name)
