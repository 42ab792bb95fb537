"""Which ConfigMaps/Secrets a pod spec references and how the primary's spec points at the copies."""
from ansible_collections.progressive.canary.plugins.module_utils.workloads.config_tracker import (
    copy_body, is_tracked, primary_renames, referenced_configs, rename_references)
from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import diff_entry
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames

POD = {
    "initContainers": [{"name": "init", "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "init-secret", "key": "k"}}}]}],
    "containers": [{"name": "app",
                    "env": [{"name": "B", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "k"}}}, {"name": "C", "value": "x"}],
                    "envFrom": [{"configMapRef": {"name": "from-cm"}}, {"secretRef": {"name": "from-secret"}}]}],
    "volumes": [{"name": "v1", "configMap": {"name": "vol-cm"}}, {"name": "v2", "secret": {"secretName": "vol-secret"}},
                {"name": "v3", "projected": {"sources": [{"configMap": {"name": "proj-cm"}}, {"secret": {"name": "proj-secret"}}]}},
                {"name": "v4", "emptyDir": {}}],
}


def test_every_reference_kind_is_found():
    assert referenced_configs(POD) == [
        ("ConfigMap", "env-cm"), ("ConfigMap", "from-cm"), ("ConfigMap", "proj-cm"), ("ConfigMap", "vol-cm"),
        ("Secret", "from-secret"), ("Secret", "init-secret"), ("Secret", "proj-secret"), ("Secret", "vol-secret")]


def test_rename_points_every_reference_at_the_copy():
    renamed = rename_references(POD, primary_renames(referenced_configs(POD)))
    assert referenced_configs(renamed) == [(kind, name + "-primary") for kind, name in referenced_configs(POD)]
    assert POD["volumes"][0]["configMap"]["name"] == "vol-cm"


def test_opt_out_annotation():
    assert is_tracked({"metadata": {}})
    assert not is_tracked({"metadata": {"annotations": {"progressive.canary/track": "false"}}})


def test_secret_copy_keeps_data_but_diff_redacts_it():
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "s", "namespace": "test"},
              "data": {"password": "c2VjcmV0"}}
    body = copy_body(secret, CanaryNames("podinfo", "test"))
    assert body["metadata"]["name"] == "s-primary" and body["data"] == {"password": "c2VjcmV0"}
    shown = diff_entry("create", None, body)
    assert "c2VjcmV0" not in repr(shown) and shown["after"]["data"]["password"].startswith("<redacted")
