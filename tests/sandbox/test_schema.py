"""The emulator's schema layer: validation, unknown fields, defaults and immutability (pure Python, no server)."""
import copy

import pytest

from tests.sandbox.apiserver import crds, schema

needs_crds = pytest.mark.skipif(not crds.crd_files(), reason="../shared/crds is absent (set SHARED_DIR)")


def deployment(name="podinfo", labels=None, selector=None, **container):
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "test"},
        "spec": {"selector": {"matchLabels": selector or dict(labels)},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [dict({"name": "podinfod", "image": "stefanprodan/podinfo:3.1.0"},
                                                           **container)]}}},
    }


def service(name="podinfo", ports=None):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "test"},
            "spec": {"selector": {"app": name}, "ports": ports or [{"name": "http", "port": 9898}]}}


def virtual_service(weight):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"hosts": ["podinfo"], "http": [{"route": [
                {"destination": {"host": "podinfo-primary"}, "weight": weight},
                {"destination": {"host": "podinfo-canary"}, "weight": 10}]}]}}


def by_path(errors):
    return {e.path: e for e in errors}


def test_valid_deployment_has_no_errors():
    assert schema.validate("apps/v1", "Deployment", deployment()) == []


def test_deployment_selector_must_match_template_labels():
    errors = schema.validate("apps/v1", "Deployment", deployment(selector={"app": "other"}))
    error = by_path(errors)["spec.template.metadata.labels"]
    assert error.reason == "FieldValueInvalid"
    assert "`selector` does not match template `labels`" in error.message


def test_deployment_requires_container_image_and_selector():
    obj = deployment()
    del obj["spec"]["template"]["spec"]["containers"][0]["image"]
    del obj["spec"]["selector"]
    errors = by_path(schema.validate("apps/v1", "Deployment", obj))
    assert errors["spec.template.spec.containers[0].image"].reason == "FieldValueRequired"
    assert errors["spec.selector"].reason == "FieldValueRequired"


def test_wrong_type_in_builtin_kind_names_the_field():
    obj = deployment()
    obj["spec"]["replicas"] = "two"
    error = by_path(schema.validate("apps/v1", "Deployment", obj))["spec.replicas"]
    assert error.message == 'Invalid value: "string": spec.replicas in body must be of type integer: "string"'


def test_label_values_are_validated():
    obj = deployment()
    obj["metadata"]["labels"] = {"team": "has spaces"}
    assert by_path(schema.validate("apps/v1", "Deployment", obj))["metadata.labels"].reason == "FieldValueInvalid"


def test_names_must_be_dns_labels():
    errors = by_path(schema.validate("v1", "Service", service(name="Podinfo_1")))
    assert errors["metadata.name"].reason == "FieldValueInvalid"
    assert "DNS-1035" in errors["metadata.name"].message
    assert "metadata.name" in by_path(schema.validate("apps/v1", "Deployment", deployment(name="a..b")))


def test_service_port_ranges_and_names():
    ports = [{"name": "http", "port": 70000}, {"port": 80, "targetPort": 0}, {"name": "x", "port": 81, "protocol": "HTTP"}]
    errors = by_path(schema.validate("v1", "Service", service(ports=ports)))
    assert errors["spec.ports[0].port"].message == "Invalid value: 70000: must be between 1 and 65535, inclusive"
    assert errors["spec.ports[1].name"].reason == "FieldValueRequired"
    assert errors["spec.ports[1].targetPort"].reason == "FieldValueInvalid"
    assert errors["spec.ports[2].protocol"].reason == "FieldValueNotSupported"


def test_unknown_fields_are_reported_and_dropped_for_builtin_kinds():
    obj = deployment()
    obj["spec"]["replicaz"] = 3
    obj["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    obj["metadata"]["annotations"] = {"free-form": "maps take any key"}
    errors = schema.validate("apps/v1", "Deployment", obj)
    unknown = sorted(e.path for e in errors if e.reason == "FieldUnknown")
    assert unknown == ["spec.replicaz", "spec.template.spec.containers[0].imagePolicy"]
    assert sorted(schema.drop_unknown_fields("apps/v1", "Deployment", obj)) == unknown
    assert "replicaz" not in obj["spec"] and obj["metadata"]["annotations"] == {"free-form": "maps take any key"}
    assert schema.validate("apps/v1", "Deployment", obj) == []


def test_unknown_kind_validates_as_nothing_to_check():
    assert schema.validate("example.com/v1", "Nothing", {"spec": {"anything": 1}}) == []
    assert not schema.is_known("example.com/v1", "Nothing")


@needs_crds
def test_virtual_service_weight_must_be_an_integer():
    errors = schema.validate("networking.istio.io/v1", "VirtualService", virtual_service("ninety"))
    assert [tuple(e) for e in errors] == [(
        "spec.http[0].route[0].weight", "FieldValueInvalid",
        'Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"')]
    assert schema.validate("networking.istio.io/v1", "VirtualService", virtual_service(90)) == []


@needs_crds
def test_custom_resource_unknown_fields_are_pruned_but_preserved_where_the_crd_says_so():
    obj = virtual_service(90)
    obj["spec"]["http"][0]["routez"] = []
    obj["spec"]["bogus"] = {"a": 1}
    assert sorted(e.path for e in schema.validate("networking.istio.io/v1", "VirtualService", obj)) == [
        "spec.bogus", "spec.http[0].routez"]
    assert sorted(schema.drop_unknown_fields("networking.istio.io/v1", "VirtualService", obj)) == [
        "spec.bogus", "spec.http[0].routez"]
    assert obj == virtual_service(90)
    status = {"anything": {"goes": True}}
    kept = dict(virtual_service(90), status=copy.deepcopy(status))
    assert schema.drop_unknown_fields("networking.istio.io/v1", "VirtualService", kept) == []
    assert kept["status"] == status


@needs_crds
def test_custom_resource_enum_required_and_bounds():
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"rules": [{"backendRefs": [{"name": "podinfo", "port": 70000, "weight": -1}],
                                 "matches": [{"path": {"type": "Regexish", "value": "/"}}]}]}}
    errors = by_path(schema.validate("gateway.networking.k8s.io/v1", "HTTPRoute", route))
    assert errors["spec.rules[0].backendRefs[0].port"].message.endswith("should be less than or equal to 65535")
    assert errors["spec.rules[0].backendRefs[0].weight"].message.endswith("should be greater than or equal to 0")
    assert errors["spec.rules[0].matches[0].path.type"].reason == "FieldValueNotSupported"


@needs_crds
def test_custom_resource_length_and_item_limits():
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"hostnames": ["a" * 300], "rules": [{}] * 17}}
    errors = by_path(schema.validate("gateway.networking.k8s.io/v1", "HTTPRoute", route))
    assert errors["spec.hostnames[0]"].reason == "FieldValueTooLong"
    assert errors["spec.rules"].message == "Too many: 17: must have at most 16 items"


@needs_crds
def test_custom_resource_defaults_come_from_the_crd():
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"rules": [{"backendRefs": [{"name": "podinfo", "port": 9898}]}]}}
    schema.apply_defaults("gateway.networking.k8s.io/v1", "HTTPRoute", route)
    rule = route["spec"]["rules"][0]
    assert rule["backendRefs"][0]["weight"] == 1
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]


def test_deployment_defaults():
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox", "ports": [{"containerPort": 80}]})
    schema.apply_defaults("apps/v1", "Deployment", obj)
    spec = obj["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (1, 10, 600)
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["dnsPolicy"], pod["terminationGracePeriodSeconds"]) == ("Always", "ClusterFirst", 30)
    main, sidecar = pod["containers"]
    assert (main["imagePullPolicy"], sidecar["imagePullPolicy"]) == ("IfNotPresent", "Always")
    assert (main["terminationMessagePath"], main["terminationMessagePolicy"]) == ("/dev/termination-log", "File")
    assert sidecar["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert schema.validate("apps/v1", "Deployment", obj) == []


def test_defaults_keep_what_the_user_set():
    obj = deployment()
    obj["spec"].update(replicas=0, strategy={"type": "Recreate"})
    schema.apply_defaults("apps/v1", "Deployment", obj)
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["strategy"] == {"type": "Recreate"}


def test_service_defaults_allocate_unique_cluster_ips():
    first, second = service(), service(name="other", ports=[{"name": "a", "port": 80, "targetPort": "http"}])
    schema.apply_defaults("v1", "Service", first)
    schema.apply_defaults("v1", "Service", second)
    assert first["spec"]["type"] == "ClusterIP" and first["spec"]["sessionAffinity"] == "None"
    assert first["spec"]["ports"] == [{"name": "http", "port": 9898, "protocol": "TCP", "targetPort": 9898}]
    assert second["spec"]["ports"][0]["targetPort"] == "http"
    ips = [first["spec"]["clusterIP"], second["spec"]["clusterIP"]]
    assert ips[0] != ips[1] and all(ip.startswith("10.") for ip in ips)
    assert first["spec"]["clusterIPs"] == [ips[0]]


def test_service_update_without_cluster_ip_keeps_the_allocated_one():
    old = service()
    schema.apply_defaults("v1", "Service", old)
    new = service()
    schema.apply_defaults("v1", "Service", new, old=old)
    assert new["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    assert schema.immutable_errors("v1", "Service", old, new) == []


def test_hpa_v2_defaults():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "podinfo"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"}, "maxReplicas": 4}}
    schema.apply_defaults("autoscaling/v2", "HorizontalPodAutoscaler", hpa)
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
    assert schema.validate("autoscaling/v2", "HorizontalPodAutoscaler", hpa) == []


def test_secret_type_defaults_to_opaque():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "YWJj"}}
    schema.apply_defaults("v1", "Secret", secret)
    assert secret["type"] == "Opaque"
    typed = dict(secret, type="kubernetes.io/tls")
    schema.apply_defaults("v1", "Secret", typed)
    assert typed["type"] == "kubernetes.io/tls"


def test_deployment_selector_is_immutable():
    old, new = deployment(), deployment(labels={"app": "podinfo", "v": "2"}, selector={"app": "podinfo", "v": "2"})
    errors = schema.immutable_errors("apps/v1", "Deployment", old, new)
    assert [(e.path, e.reason) for e in errors] == [("spec.selector", "FieldValueInvalid")]
    assert errors[0].message.endswith("field is immutable")
    assert schema.immutable_errors("apps/v1", "Deployment", old, deployment(image="podinfo:2")) == []


def test_service_cluster_ip_is_immutable():
    old = service()
    old["spec"].update(clusterIP="10.96.0.50", clusterIPs=["10.96.0.50"])
    new = copy.deepcopy(old)
    new["spec"].update(clusterIP="10.96.0.51", clusterIPs=["10.96.0.51"])
    assert {e.path for e in schema.immutable_errors("v1", "Service", old, new)} == {"spec.clusterIP", "spec.clusterIPs[0]"}


def test_immutable_config_map_keeps_its_data():
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "immutable": True, "data": {"a": "1"}}
    new = dict(old, data={"a": "2"})
    assert [(e.path, e.reason) for e in schema.immutable_errors("v1", "ConfigMap", old, new)] == [("data", "FieldValueForbidden")]
    mutable = dict(old, immutable=False)
    assert schema.immutable_errors("v1", "ConfigMap", mutable, new) == []


def test_is_builtin():
    assert schema.is_builtin("apps/v1", "Deployment")
    assert schema.is_builtin("v1", "Service")
    assert not schema.is_builtin("networking.istio.io/v1", "VirtualService")
