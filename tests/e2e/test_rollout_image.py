"""The role's image change end to end: one transient error on the image PATCH (a 503, a dropped connection) is
retried as the same JSON patch, so the release is promoted with the whole pod template intact (not a container
list cut down to name and image); a rollout_container that does not exist fails the play before any write."""
import copy

import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, failure_message, needs_crds
from tests.integration.canary_scenario import reset_request_log, writes

pytestmark = needs_crds


@pytest.mark.parametrize("fault", [dict(status=503), dict(drop=True)], ids=["503", "dropped connection"])
def test_a_transient_error_on_the_image_patch_still_promotes_the_intact_template(podinfo, fault):
    podinfo.load()
    returncode, _result, _plays, output = podinfo.run()  # init only: nothing pending yet
    assert returncode == 0, output
    expected = copy.deepcopy(podinfo.user_view("Deployment", "podinfo")["spec"]["template"])
    expected["spec"]["containers"][0]["image"] = NEW_IMAGE
    # The first PATCH of the target in this run is the image change (init already scaled it down).
    injected = podinfo.emulator.faults.add(verb="PATCH", path_regex="/namespaces/%s/deployments/podinfo$" % podinfo.namespace,
                                           times=1, **fault)

    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE)

    assert injected.matched == 1
    assert returncode == 0, output
    assert result["outcome"] == "promoted", result
    assert podinfo.user_view("Deployment", "podinfo")["spec"]["template"] == expected
    container = podinfo.get("Deployment", "podinfo-primary")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == NEW_IMAGE
    assert {key: container[key] for key in ("command", "env", "ports", "livenessProbe", "readinessProbe", "resources")} == {
        key: expected["spec"]["containers"][0][key] for key in ("command", "env", "ports", "livenessProbe", "readinessProbe", "resources")}


def test_a_container_that_does_not_exist_fails_the_play_before_any_write(podinfo):
    podinfo.load()
    inventory_before = podinfo.inventory()
    reset_request_log(podinfo.emulator)

    returncode, _result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_container="podinfo")

    assert returncode != 0, output
    assert failure_message(plays).startswith("Deployment %s/podinfo has no container 'podinfo'; its containers are: podinfod"
                                             % podinfo.namespace), output
    assert writes(podinfo.emulator) == []
    assert podinfo.inventory() == inventory_before
