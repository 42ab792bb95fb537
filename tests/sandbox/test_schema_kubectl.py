"""Real kubectl against the emulator: apply computes its strategic merge patch from our /openapi/v3, validation
and immutability errors read like a real apiserver's."""
import json

import pytest

from tests.sandbox.apiserver import crds
from tests.sandbox.apiserver.crds import shared_dir

PODINFO = shared_dir() / "fixtures" / "podinfo"
needs_podinfo = pytest.mark.skipif(not PODINFO.is_dir(), reason=f"{PODINFO} is absent (set SHARED_DIR)")
needs_crds = pytest.mark.skipif(not crds.crd_files(), reason="../shared/crds is absent (set SHARED_DIR)")

VIRTUAL_SERVICE = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: podinfo, namespace: test}
spec:
  hosts: [podinfo]
  http:
  - route:
    - destination: {host: podinfo-primary}
      weight: %s
"""


def modified_deployment() -> str:
    text = (PODINFO / "deployment.yaml").read_text(encoding="utf-8")
    for old, new in (("podinfo:6.0.0", "podinfo:6.0.1"), ('"#34577c"', '"#ffffff"'),
                     ("- name: grpc\n", "- name: grpc2\n"), ("containerPort: 9999", "containerPort: 9990")):
        assert old in text
        text = text.replace(old, new)
    return text


@needs_podinfo
def test_apply_twice_is_unchanged_and_reapply_merges_by_openapi_merge_keys(emulator, kubectl):
    emulator.ensure_namespace("test")
    first = kubectl("-n", "test", "apply", "-f", str(PODINFO))
    assert "deployment.apps/podinfo created" in first.stdout
    second = kubectl("-n", "test", "apply", "-f", str(PODINFO))
    assert second.stdout.count("unchanged") == 3, second.stdout
    # a container added by someone else must survive the re-apply: only a strategic merge keeps it
    kubectl("-n", "test", "patch", "deployment", "podinfo", "-p",
            json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2:1.20"}]}}}}))
    third = kubectl("-n", "test", "apply", "-f", "-", "-v=6", input=modified_deployment())
    assert "deployment.apps/podinfo configured" in third.stdout
    # kubectl says "warning: ..." when it cannot compute the patch from OpenAPI v3 and falls back
    assert "/openapi/v3/apis/apps/v1?hash=" in third.stderr and "warning" not in third.stderr, third.stderr
    deployment = json.loads(kubectl("-n", "test", "get", "deployment", "podinfo", "-o", "json").stdout)
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert set(containers) == {"podinfod", "istio-proxy"}
    podinfod = containers["podinfod"]
    assert podinfod["image"] == "ghcr.io/stefanprodan/podinfo:6.0.1"
    assert podinfod["env"] == [{"name": "PODINFO_UI_COLOR", "value": "#ffffff"}]
    assert [(p["name"], p["containerPort"]) for p in podinfod["ports"]] == [("http", 9898), ("http-metrics", 9797), ("grpc2", 9990)]


@needs_podinfo
def test_selector_change_is_refused_as_immutable(emulator, kubectl):
    emulator.ensure_namespace("test")
    kubectl("-n", "test", "apply", "-f", str(PODINFO / "deployment.yaml"))
    patched = kubectl("-n", "test", "patch", "deployment", "podinfo", "-p",
                      '{"spec":{"selector":{"matchLabels":{"app":"other"}}}}', check=False)
    assert patched.returncode != 0
    assert 'The Deployment "podinfo" is invalid' in patched.stderr
    assert "spec.selector: Invalid value" in patched.stderr and "field is immutable" in patched.stderr


@needs_crds
def test_kubectl_sees_crd_validation_and_strict_unknown_fields(emulator, kubectl):
    emulator.ensure_namespace("test")
    invalid = kubectl("apply", "-f", "-", input=VIRTUAL_SERVICE % '"ninety"', check=False)
    assert invalid.returncode != 0
    assert ('spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of '
            'type integer: "string"') in invalid.stderr
    kubectl("apply", "-f", "-", input=VIRTUAL_SERVICE % "100")
    unknown = kubectl("apply", "-f", "-", input=VIRTUAL_SERVICE.replace("  hosts:", "  bogus: 1\n  hosts:") % "90", check=False)
    assert unknown.returncode != 0
    assert 'strict decoding error: unknown field "spec.bogus"' in unknown.stderr
    reapplied = kubectl("apply", "-f", "-", input=VIRTUAL_SERVICE % "90")
    assert "configured" in reapplied.stdout


def test_kubectl_explain_reads_openapi_v3(kubectl):
    explained = kubectl("explain", "deployment.spec.strategy")
    assert "rollingUpdate" in explained.stdout and "DeploymentStrategy" in explained.stdout
