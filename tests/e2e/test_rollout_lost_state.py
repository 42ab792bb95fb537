"""The state object lost between two releases (a GitOps prune, a namespace clean-up): 3.1.1 promoted, a bad 3.1.2
rolled back, ``kubectl delete cm podinfo-canary-state``, then the same rollout again. The canary's objects still
serve, so this is no fresh start: canary_init rebuilds the state from the record on the primary, the rolled-back
revision stays rolled back, the primary keeps 3.1.1 and its replicas, and no request fails. Cleanup after a second
loss still gives the Deployment and the Service back exactly as they were."""
from tests.e2e.rollout_scenario import NEW_IMAGE, SANDBOX, needs_crds

pytestmark = needs_crds
BAD_IMAGE = "stefanprodan/podinfo:3.1.2"


def _delete_state(podinfo):
    status, body = podinfo.emulator.request("DELETE", podinfo.path("ConfigMap", "podinfo-canary-state"))
    assert status == 200, body
    assert podinfo.state() is None


def _assert_primary_serves_the_promoted_release(podinfo):
    primary = podinfo.get("Deployment", "podinfo-primary")
    assert podinfo.image("podinfo-primary") == NEW_IMAGE
    assert primary["spec"]["replicas"] == 2 and primary["status"]["readyReplicas"] == 2
    assert podinfo.get("Service", "podinfo")["spec"]["selector"]["app"] == "podinfo-primary"
    assert podinfo.route() == {"podinfo-primary": 100, "podinfo-canary": 0}


def test_a_lost_state_is_rebuilt_and_the_rolled_back_release_stays_rolled_back(podinfo):
    podinfo.load()
    service_before = podinfo.user_view("Service", "podinfo")
    deployment_before = podinfo.user_view("Deployment", "podinfo")
    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE)
    assert returncode == 0 and result["outcome"] == "promoted", output
    podinfo.patch_template(image=BAD_IMAGE, annotations={SANDBOX + "error-rate": "0.1"})
    returncode, result, _plays, output = podinfo.run()
    assert returncode != 0 and result["outcome"] == "rolled back", output
    before_loss = podinfo.state()
    podinfo.mesh.reset(podinfo.apex_host)

    _delete_state(podinfo)
    returncode, result, _plays, output = podinfo.run()

    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["total"] > 0 and counts["failed"] == 0, counts
    _assert_primary_serves_the_promoted_release(podinfo)
    assert podinfo.get("Deployment", "podinfo")["spec"]["replicas"] == 0
    rebuilt = podinfo.state()
    assert rebuilt["rebuilt_from"].startswith("Deployment %s/podinfo-primary" % podinfo.namespace), rebuilt
    for field in ("phase", "last_promoted_revision", "failed_revision", "originals", "tracked_configs"):
        assert rebuilt[field] == before_loss[field], field
    assert result["outcome"] in ("unchanged", "rolled back") and result["revision"] == before_loss["failed_revision"], result
    assert rebuilt["lease"] is None

    # Lost again, then cleanup: the originals come from the record, so the revert is exact.
    _delete_state(podinfo)
    podinfo.mesh.reset(podinfo.apex_host)
    returncode, _result, _plays, output = podinfo.run("cleanup")
    assert returncode == 0, output
    assert podinfo.user_view("Service", "podinfo") == service_before
    deployment_before["spec"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE  # the promoted release
    assert podinfo.user_view("Deployment", "podinfo") == deployment_before
    assert podinfo.get("Deployment", "podinfo")["status"]["readyReplicas"] == 2
    assert podinfo.inventory() == {"Deployment": ["podinfo"], "Service": ["podinfo"], "ConfigMap": [],
                                   "HorizontalPodAutoscaler": ["podinfo"], "VirtualService": [], "DestinationRule": []}
    counts = podinfo.mesh.counts(podinfo.apex_host)
    assert counts["total"] > 0 and counts["failed"] == 0, counts
