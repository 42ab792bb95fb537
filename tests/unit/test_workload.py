"""The primary Deployment built from a target, readiness, and the revision hash."""
import copy

import yaml

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.workloads.autoscaler import primary_hpa
from ansible_collections.progressive.canary.plugins.module_utils.workloads.deployment import DeploymentWorkload, readiness
from ansible_collections.progressive.canary.plugins.module_utils.workloads.pod_template import relabel_template, revision

TARGET = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: test, labels: {app: podinfo, team: a}}
spec:
  replicas: 0
  selector: {matchLabels: {app: podinfo, tier: web}}
  template:
    metadata: {labels: {app: podinfo, tier: web}}
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 1
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {matchExpressions: [{key: app, operator: In, values: [podinfo]}]}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: podinfo}}}
      containers:
      - name: podinfod
        image: podinfo:1
        envFrom: [{configMapRef: {name: podinfo-env}}]
      volumes: [{name: cfg, configMap: {name: podinfo-config}}]
""")
NAMES = CanaryNames("podinfo", "test")
# Planning only: nothing here reads or writes through an API.
DEPLOYMENT = DeploymentWorkload(None, NAMES)
RENAMES = {("ConfigMap", "podinfo-config"): "podinfo-config-primary", ("ConfigMap", "podinfo-env"): "podinfo-env-primary"}


def test_primary_rewrites_selector_template_and_pod_selectors():
    primary = DEPLOYMENT.primary_body(TARGET, "app", RENAMES, replicas=2)
    spec = primary["spec"]
    assert primary["metadata"]["name"] == "podinfo-primary"
    assert primary["metadata"]["labels"]["app"] == "podinfo-primary" and primary["metadata"]["labels"]["team"] == "a"
    assert spec["replicas"] == 2, "the recorded count, not the target's live 0"
    assert spec["selector"]["matchLabels"] == {"app": "podinfo-primary", "tier": "web"}
    assert spec["template"]["metadata"]["labels"] == {"app": "podinfo-primary", "tier": "web"}
    pod = spec["template"]["spec"]
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    assert term["labelSelector"]["matchExpressions"][0]["values"] == ["podinfo-primary"]
    assert pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == {"app": "podinfo-primary"}
    assert pod["volumes"][0]["configMap"]["name"] == "podinfo-config-primary"
    assert pod["containers"][0]["envFrom"][0]["configMapRef"]["name"] == "podinfo-env-primary"
    assert TARGET["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == "podinfo-config", "target untouched"


def test_relabel_back_restores_the_target_template():
    primary = DEPLOYMENT.primary_body(TARGET, "app", RENAMES, replicas=2)
    inverse = dict((("ConfigMap", new), old) for (_kind, old), new in RENAMES.items())
    back = relabel_template(primary["spec"]["template"], "app", "podinfo-primary", "podinfo", inverse)
    assert back == TARGET["spec"]["template"]


def test_primary_hpa_targets_the_primary():
    scale_target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"}
    hpa = {"metadata": {"name": "podinfo"}, "spec": {"scaleTargetRef": scale_target, "minReplicas": 2, "maxReplicas": 4}}
    copy_ = primary_hpa(hpa, NAMES)
    assert copy_["metadata"]["name"] == "podinfo-primary"
    assert copy_["spec"]["scaleTargetRef"]["name"] == "podinfo-primary" and copy_["spec"]["maxReplicas"] == 4


def test_revision_changes_with_template_or_config_but_not_with_our_annotations():
    template = TARGET["spec"]["template"]
    base = revision(template, {"ConfigMap/podinfo-config": "a"})
    assert revision(template, {"ConfigMap/podinfo-config": "b"}) != base
    changed = copy.deepcopy(template)
    changed["spec"]["containers"][0]["image"] = "podinfo:2"
    assert revision(changed, {"ConfigMap/podinfo-config": "a"}) != base
    annotated = copy.deepcopy(template)
    annotated["metadata"]["annotations"] = {"progressive.canary/note": "x"}
    assert revision(annotated, {"ConfigMap/podinfo-config": "a"}) == base


def _deployment(replicas, generation, observed, updated, available, total=None, conditions=None):
    return {"metadata": {"generation": generation}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "availableReplicas": available,
                       "replicas": updated if total is None else total, "conditions": conditions or []}}


def test_readiness():
    assert readiness(_deployment(2, 3, 3, 2, 2))[0]
    assert not readiness(_deployment(2, 3, 2, 2, 2))[0], "status of an older generation"
    assert not readiness(_deployment(2, 3, 3, 1, 2, total=3))[0], "old replicas still running"
    assert not readiness(_deployment(2, 3, 3, 2, 1))[0]
    assert readiness(_deployment(0, 1, 1, 0, 0))[0]
    stuck = _deployment(2, 1, 1, 0, 0, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "m"}])
    assert readiness(stuck) == (False, "progress deadline exceeded: m", True), "final: it cannot become ready"
    stale = _deployment(2, 3, 2, 0, 0, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "m"}])
    assert readiness(stale) == (False, "the controller has not observed generation 3 yet", False), \
        "a new spec (a new revision after a never-ready one) is not judged by the previous spec's exceeded deadline"
    assert readiness(None) == (False, "the Deployment does not exist", False)


def test_primary_selector_is_the_whole_target_selector_suffixed_or_the_live_primarys_own():
    target = {"spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "prod"}}}}
    wanted = {"app.kubernetes.io/name": "web-primary", "app.kubernetes.io/instance": "prod"}
    assert DEPLOYMENT.primary_selector(target, "app.kubernetes.io/name") == wanted
    # A primary made by an earlier release keeps its (immutable) selector: the Services follow it.
    old_primary = {"spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "web-primary"}}}}
    assert DEPLOYMENT.primary_selector(target, "app.kubernetes.io/name", old_primary) == {"app.kubernetes.io/name": "web-primary"}
