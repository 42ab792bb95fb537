"""docs/rbac/role.yml is derived from what the collection really asks of Kubernetes: a whole canary life through the real
playbooks (the set-up, a release promoted with new Secret data, one rolled back, the status, the cleanup; the template reads a ConfigMap and a Secret,
which the canary copies) against the sandbox, each request of the kubernetes client read from the emulator's request
log as the (verb, group, resource) RBAC authorizes. The Role grants every one of them, and in the groups a release on
Istio uses nothing more (the other providers' rules: tests/integration/test_rbac_providers.py)."""
from tests import rbac
from tests.e2e.rollout_scenario import NEW_IMAGE, SANDBOX, needs_crds

pytestmark = needs_crds
ISTIO_RELEASE_GROUPS = ("", "apps", "autoscaling", "networking.istio.io")
# A message told again in the same release (a step held twice on the same values) is counted up on its Event: a refused
# create, then get and patch. This life tells each message once (Events are keyed by revision); the counting up is run
# in tests/integration/test_release_events.py::test_a_rollback_and_a_repeated_halt_are_warnings.
COUNTED_UP = [("get", "", "events"), ("patch", "", "events")]


def _with_config(podinfo):
    """podinfo's template reads ConfigMap podinfo-config and Secret podinfo-token (envFrom), as most applications do."""
    for collection, kind, data in (("configmaps", "ConfigMap", {"LEVEL": "info"}), ("secrets", "Secret", {"TOKEN": "c2VjcmV0"})):
        status, body = podinfo.emulator.request("POST", "/api/v1/namespaces/%s/%s" % (podinfo.namespace, collection), {
            "apiVersion": "v1", "kind": kind, "metadata": {"name": "podinfo-" + ("config" if kind == "ConfigMap" else "token")},
            "data": data})
        assert status == 201, body
    status, body = podinfo.emulator.request("PATCH", podinfo.path("Deployment", "podinfo"), {"spec": {"template": {"spec": {"containers": [
        {"name": "podinfod", "envFrom": [{"configMapRef": {"name": "podinfo-config"}}, {"secretRef": {"name": "podinfo-token"}}]}]}}}},
        content_type="application/strategic-merge-patch+json")
    assert status == 200, body


def test_the_role_grants_what_a_canary_life_uses_and_nothing_more(podinfo):
    podinfo.load()
    _with_config(podinfo)
    podinfo.emulator.request_log.reset()

    returncode, result, _plays, output = podinfo.run()  # init only: nothing is pending yet
    assert returncode == 0, output
    status, body = podinfo.emulator.request("PATCH", "/api/v1/namespaces/%s/secrets/podinfo-token" % podinfo.namespace,
                                            {"data": {"TOKEN": "bmV3"}}, content_type="application/merge-patch+json")
    assert status == 200, body
    returncode, result, _plays, output = podinfo.run(rollout_image=NEW_IMAGE)  # the new image with the new Secret data
    assert returncode == 0 and result["outcome"] == "promoted", output
    assert podinfo.get("ConfigMap", "podinfo-config-primary"), "the template's ConfigMap is copied for the primary"
    podinfo.patch_template(image="stefanprodan/podinfo:3.1.2", annotations={SANDBOX + "error-rate": "0.1"})
    returncode, result, _plays, output = podinfo.run()
    assert result["outcome"] == "rolled back", output
    for playbook in ("status", "cleanup"):
        returncode, _result, _plays, output = podinfo.run(playbook)
        assert returncode == 0, output

    records = podinfo.emulator.request_log.records()
    assert rbac.missing_from_manifest(records) == [], "docs/rbac/role.yml lacks what the run used"
    needed, _cluster_scoped = rbac.used(records)
    assert rbac.unused_in_groups(needed, ISTIO_RELEASE_GROUPS) == COUNTED_UP, "docs/rbac/role.yml grants what no run uses"
