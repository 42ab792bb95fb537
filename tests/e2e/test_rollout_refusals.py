"""playbooks/rollout.yml with a ``rollout_service`` the cluster would refuse: the run fails at canary_init with the
reason, before any write (no lease, no state, no image change), and the Deployment keeps serving as it was."""
import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, OLD_IMAGE, failure_message, needs_crds
from tests.integration.canary_scenario import reset_request_log, writes

pytestmark = needs_crds

SEED_SERVICE = {"port": 9898, "hosts": ["app.example.com"]}


@pytest.mark.parametrize("service, expected", [
    (dict(SEED_SERVICE, hosts=["not a host!!"]), "service.hosts: 'not a host!!' is not a DNS name"),
    (dict(SEED_SERVICE, timeout="1x"), "service.timeout '1x' is not a duration"),
    (dict(SEED_SERVICE, port_name="Bad_Name!"), "service.port_name 'Bad_Name!' is not a DNS-1123 label"),
    (dict(SEED_SERVICE, traffic_policy={"connectionPool": {}}),
     'admission webhook "validation.istio.io" denied the request: configuration is invalid: connection pool must have at least one field'),
], ids=["host", "timeout", "port-name", "traffic-policy-judged-by-the-dry-run"])
def test_a_service_the_cluster_refuses_fails_before_the_first_write(podinfo, service, expected):
    podinfo.load()
    inventory_before = podinfo.inventory()
    reset_request_log(podinfo.emulator)
    returncode, _result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_service=service)
    assert returncode != 0, output
    assert expected in (failure_message(plays) or ""), output
    assert writes(podinfo.emulator) == [], "refused before the first write"
    assert podinfo.inventory() == inventory_before and podinfo.image("podinfo") == OLD_IMAGE
