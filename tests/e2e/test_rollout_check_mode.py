"""playbooks/rollout.yml with --check: the emulator answers no write request (POST, PUT, PATCH, DELETE), and the run
reports what a real run would do - on a Deployment not yet managed, and on a managed one with a new revision."""
from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, needs_crds
from tests.integration.canary_scenario import reset_request_log, writes

pytestmark = needs_crds


def _persisting_writes(emulator):
    """Write requests that change the cluster: kubernetes.core.k8s asks a server-side dry run in check mode."""
    return [record for record in writes(emulator) if "dryRun=All" not in record.query]


def _run_checked(podinfo, **overrides):
    reset_request_log(podinfo.emulator)
    returncode, result, _plays, output = podinfo.run(options=("--check",), **overrides)
    assert returncode == 0, output
    assert _persisting_writes(podinfo.emulator) == [], "check mode wrote to the cluster"
    assert result["outcome"] == "checked", result
    return result


def test_check_mode_writes_nothing_and_says_what_a_run_would_do(podinfo):
    podinfo.load()
    inventory_before = podinfo.inventory()

    result = _run_checked(podinfo, rollout_image=NEW_IMAGE)
    assert "put Deployment %s/podinfo under canary management" % podinfo.namespace in result["reason"], result
    assert "set image %s and release it: analysis at weights 30, 60" % NEW_IMAGE in result["reason"], result
    assert podinfo.inventory() == inventory_before and podinfo.image("podinfo") == OLD_IMAGE

    returncode, _result, _plays, output = podinfo.run()  # init for real: nothing pending
    assert returncode == 0, output
    podinfo.patch_template(image=NEW_IMAGE)
    state_before = podinfo.state()

    result = _run_checked(podinfo)
    assert "release revision %s: analysis at weights 30, 60" % result["revision"] in result["reason"], result
    assert result["revision"] != state_before["last_promoted_revision"]
    assert podinfo.state() == state_before and podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}
