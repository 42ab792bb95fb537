"""Strategic merge patch of built-in kinds, merge keys read from the schemas; 415 for custom resources."""
import copy

import pytest

from tests.sandbox.apiserver import schema


def deployment():
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "podinfo", "labels": {"app": "podinfo"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "podinfo"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
                 "template": {"metadata": {"labels": {"app": "podinfo"}}, "spec": {"containers": [
                     {"name": "podinfod", "image": "podinfo:3.1.0",
                      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                      "ports": [{"name": "http", "containerPort": 9898}, {"name": "grpc", "containerPort": 9999}]},
                     {"name": "sidecar", "image": "envoy:1"}]}}},
    }


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def patch_containers(*items, **extra):
    return {"spec": {"template": {"spec": dict({"containers": list(items)}, **extra)}}}


def smp(original, patch):
    return schema.strategic_merge("apps/v1", "Deployment", original, patch)


def test_containers_merge_by_name_and_original_is_untouched():
    original = deployment()
    kept = copy.deepcopy(original)
    merged = smp(original, patch_containers({"name": "sidecar", "image": "envoy:2"}))
    assert original == kept
    assert [(c["name"], c["image"]) for c in containers(merged)] == [("podinfod", "podinfo:3.1.0"), ("sidecar", "envoy:2")]
    assert containers(merged)[0]["env"] == containers(original)[0]["env"]


def test_env_merges_by_name_and_container_ports_by_container_port():
    patch = patch_containers({"name": "podinfod", "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                              "ports": [{"containerPort": 9797, "name": "metrics"}]})
    merged = containers(smp(deployment(), patch))[0]
    assert merged["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}]
    assert [p["containerPort"] for p in merged["ports"]] == [9898, 9999, 9797]


def test_service_ports_merge_by_port():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "podinfo"},
               "spec": {"selector": {"app": "podinfo"}, "ports": [{"name": "http", "port": 9898}, {"name": "grpc", "port": 9999}]}}
    merged = schema.strategic_merge("v1", "Service", service, {"spec": {"selector": {"app": "podinfo-primary"},
                                                                        "ports": [{"port": 9999, "name": "grpc2"}]}})
    assert merged["spec"]["ports"] == [{"name": "http", "port": 9898}, {"name": "grpc2", "port": 9999}]
    assert merged["spec"]["selector"] == {"app": "podinfo-primary"}


def test_list_without_merge_strategy_is_replaced():
    original = deployment()
    containers(original)[0]["command"] = ["./podinfo", "--port=9898"]
    merged = smp(original, patch_containers({"name": "podinfod", "command": ["./podinfo"]}))
    assert containers(merged)[0]["command"] == ["./podinfo"]


def test_patch_delete_directive_removes_list_element_and_null_removes_key():
    patch = patch_containers({"name": "sidecar", "$patch": "delete"},
                             {"name": "podinfod", "env": [{"name": "A", "$patch": "delete"}]})
    patch["metadata"] = {"labels": {"app": None}}
    merged = smp(deployment(), patch)
    assert [c["name"] for c in containers(merged)] == ["podinfod"]
    assert containers(merged)[0]["env"] == [{"name": "B", "value": "2"}]
    assert merged["metadata"]["labels"] == {}


def test_patch_replace_directive_replaces_the_list():
    merged = smp(deployment(), patch_containers({"$patch": "replace"}, {"name": "only", "image": "x:1"}))
    assert containers(merged) == [{"name": "only", "image": "x:1"}]


def test_patch_replace_directive_on_a_map():
    merged = smp(deployment(), {"metadata": {"labels": {"$patch": "replace", "tier": "web"}}})
    assert merged["metadata"]["labels"] == {"tier": "web"}


def test_retain_keys_clears_the_other_strategy_fields():
    merged = smp(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert merged["spec"]["strategy"] == {"type": "Recreate"}


def test_set_element_order_orders_listed_elements_and_keeps_server_only_ones():
    original = deployment()
    containers(original).append({"name": "injected", "image": "proxy:1"})
    patch = patch_containers({"name": "new", "image": "new:1"},
                             **{"$setElementOrder/containers": [{"name": "new"}, {"name": "sidecar"}, {"name": "podinfod"}]})
    merged = smp(original, patch)
    assert [c["name"] for c in containers(merged)] == ["new", "sidecar", "podinfod", "injected"]
    assert "$setElementOrder/containers" not in merged["spec"]["template"]["spec"]


def test_delete_from_primitive_list():
    original = deployment()
    original["metadata"]["finalizers"] = ["a", "b", "c"]
    merged = smp(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d"]}})
    assert merged["metadata"]["finalizers"] == ["a", "c", "d"]


def test_directives_inside_new_values_are_stripped():
    original = deployment()
    del original["spec"]["strategy"]
    merged = smp(original, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert merged["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_merge_on_a_custom_resource_is_unsupported_media_type():
    vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "podinfo"}, "spec": {}}
    with pytest.raises(schema.UnsupportedMediaType):
        schema.strategic_merge("networking.istio.io/v1", "VirtualService", vs, {"spec": {"hosts": ["podinfo"]}})
