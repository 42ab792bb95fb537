"""Pure logic of the release steps: pending revisions, scale-up replicas, deadlines, and the
primary template promote compares (the same transform as init's primary Deployment)."""
import yaml

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import primary_template
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import (
    ReleaseFacts, is_pending)
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import CanaryState
from ansible_collections.progressive.canary.plugins.module_utils.workloads import config_tracker
from ansible_collections.progressive.canary.plugins.module_utils.workloads.deployment import DeploymentWorkload
from ansible_collections.progressive.canary.plugins.module_utils.workloads.pod_template import CONFIG_CHECKSUM_ANNOTATION, target_template

NAMES = CanaryNames("podinfo", "test")
DEPLOYMENT = DeploymentWorkload(None, NAMES)
TARGET = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: test, labels: {app: podinfo}}
spec:
  replicas: 0
  progressDeadlineSeconds: 60
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers:
      - name: podinfod
        image: stefanprodan/podinfo:3.1.1
        envFrom: [{configMapRef: {name: podinfo-env}}]
      volumes: [{name: config, secret: {secretName: podinfo-secret}}]
""")


def _facts(state=None, primary_replicas=None, target=None):
    facts = ReleaseFacts()
    facts.workload = DEPLOYMENT
    facts.state = CanaryState(state or {"phase": "Initialized", "originals": {"selector_label": "app", "selector_value": "podinfo"}})
    facts.label, facts.value = "app", "podinfo"
    facts.target = target or TARGET
    facts.primary = {"spec": {"replicas": primary_replicas}}
    facts.tracked = {("ConfigMap", "podinfo-env"): {"data": {"color": "blue"}}, ("Secret", "podinfo-secret"): {"data": {"key": "YQ=="}}}
    facts.checksums = config_tracker.tracked_checksums(facts.tracked)
    return facts


def test_pending_is_neither_the_promoted_nor_the_failed_revision():
    state = CanaryState({"last_promoted_revision": "a", "failed_revision": "b"})
    assert is_pending("c", state)
    assert not is_pending("a", state) and not is_pending("b", state)


def test_scale_up_replicas_recorded_else_primary_else_hpa_min_else_1():
    scale_up = DEPLOYMENT.scale_from_zero_replicas
    assert scale_up(3, {"spec": {"replicas": 5}}, {"spec": {"minReplicas": 2}}) == 3
    assert scale_up(0, {"spec": {"replicas": 5}}) == 5
    assert scale_up(None, {"spec": {"replicas": None}}, {"spec": {"minReplicas": 2}}) == 2
    assert scale_up(None, {"spec": {"replicas": None}}) == 1


def test_ready_timeout_is_the_option_else_the_progress_deadline():
    assert DEPLOYMENT.ready_timeout(5, TARGET) == 5
    assert DEPLOYMENT.ready_timeout(None, TARGET) == 60
    assert DEPLOYMENT.ready_timeout(None, {"spec": {}}) == 600


def test_primary_template_is_init_s_transform_of_the_target_template():
    facts = _facts()
    renames = config_tracker.primary_renames(sorted(facts.tracked))
    built_by_init = DEPLOYMENT.primary_body(TARGET, "app", renames, 2, facts.checksums)["spec"]["template"]
    template = primary_template(facts)
    assert template == built_by_init
    assert template["metadata"]["labels"] == {"app": "podinfo-primary"}
    assert template["metadata"]["annotations"][CONFIG_CHECKSUM_ANNOTATION]
    assert template["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "podinfo-env-primary"}}]
    assert template["spec"]["volumes"][0]["secret"]["secretName"] == "podinfo-secret-primary"
    assert TARGET["spec"]["template"]["metadata"]["labels"] == {"app": "podinfo"}, "the target is not modified"


def test_the_primary_template_changes_with_the_tracked_config_data_and_only_with_it():
    facts = _facts()
    stamped = primary_template(facts)
    assert primary_template(_facts()) == stamped, "the same data: the same template (the primary is not restarted)"
    changed = _facts()
    changed.tracked[("ConfigMap", "podinfo-env")] = {"data": {"color": "green"}}
    changed.checksums = config_tracker.tracked_checksums(changed.tracked)
    rolled = primary_template(changed)
    assert rolled["metadata"]["annotations"][CONFIG_CHECKSUM_ANNOTATION] != stamped["metadata"]["annotations"][CONFIG_CHECKSUM_ANNOTATION]
    assert rolled["spec"] == stamped["spec"], "only the annotation tells the two apart"
    untracked = _facts()
    untracked.tracked, untracked.checksums = {}, {}
    assert "annotations" not in primary_template(untracked)["metadata"], "no tracked config, no annotation"


def test_the_target_template_back_from_the_primary_has_no_checksum_and_the_same_revision():
    facts = _facts()
    back = target_template(primary_template(facts), "app", "podinfo", config_tracker.original_renames(sorted(facts.tracked)))
    assert back == TARGET["spec"]["template"]
