"""Object CRUD through the kubernetes DynamicClient: metadata, conflicts, patches, dry runs, selectors, refusals."""
import json
import urllib.request

import pytest
from kubernetes.dynamic.exceptions import ApiException, ConflictError, NotFoundError, UnprocessibleEntityError

from tests.sandbox.apiserver.crds import crd_files


def _configmaps(client):
    return client.resources.get(api_version="v1", kind="ConfigMap")


def _deployments(client):
    return client.resources.get(api_version="apps/v1", kind="Deployment")


def _virtualservices(client):
    if not crd_files():
        pytest.skip("shared CRDs absent (set SHARED_DIR): no VirtualService API")
    return client.resources.get(api_version="networking.istio.io/v1", kind="VirtualService")


def _deployment(name="web", labels=None, image="nginx:1"):
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": image,
                                                           "env": [{"name": "A", "value": "1"}]}]}}}}


def _vs(name="web", weight=100):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": name},
            "spec": {"hosts": [name], "http": [{"route": [{"destination": {"host": name}, "weight": weight}]}]}}


def test_create_get_list_delete_keep_apiserver_metadata(k8s_client):
    configmaps = _configmaps(k8s_client)
    created = configmaps.create(namespace="default", body={"metadata": {"name": "a"}, "data": {"k": "v"}})
    assert created.metadata.uid and created.metadata.creationTimestamp
    assert configmaps.get(namespace="default", name="a").data.k == "v"
    listed = configmaps.get(namespace="default")
    assert listed.kind == "ConfigMapList" and int(listed.metadata.resourceVersion) >= int(created.metadata.resourceVersion)
    configmaps.delete(namespace="default", name="a")
    with pytest.raises(NotFoundError) as raised:
        configmaps.get(namespace="default", name="a")
    assert raised.value.body and '"reason":"NotFound"' in raised.value.body.decode().replace(" ", "")


def test_resource_version_increases_cluster_wide_and_generation_tracks_spec_only(k8s_client):
    configmaps, deployments = _configmaps(k8s_client), _deployments(k8s_client)
    first = configmaps.create(namespace="default", body={"metadata": {"name": "a"}})
    deployment = deployments.create(namespace="default", body=_deployment())
    assert int(deployment.metadata.resourceVersion) > int(first.metadata.resourceVersion)
    assert deployment.metadata.generation == 1
    labelled = deployments.patch(namespace="default", name="web", body={"metadata": {"labels": {"x": "y"}}},
                                 content_type="application/merge-patch+json")
    assert labelled.metadata.generation == 1
    scaled = deployments.patch(namespace="default", name="web", body={"spec": {"replicas": 3}},
                               content_type="application/merge-patch+json")
    assert scaled.metadata.generation == 2
    assert int(scaled.metadata.resourceVersion) > int(labelled.metadata.resourceVersion)


def test_a_service_has_no_generation_as_on_a_real_api_server(k8s_client):
    services = k8s_client.resources.get(api_version="v1", kind="Service")
    created = services.create(namespace="default", body={"metadata": {"name": "web"},
                                                         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    assert created.metadata.generation is None
    repointed = services.patch(namespace="default", name="web", body={"spec": {"selector": {"app": "web-primary"}}},
                               content_type="application/merge-patch+json")
    assert repointed.metadata.generation is None
    assert int(repointed.metadata.resourceVersion) > int(created.metadata.resourceVersion)


def test_duplicate_create_and_stale_update_answer_409(k8s_client):
    configmaps = _configmaps(k8s_client)
    created = configmaps.create(namespace="default", body={"metadata": {"name": "a"}, "data": {"k": "1"}})
    with pytest.raises(ConflictError) as raised:
        configmaps.create(namespace="default", body={"metadata": {"name": "a"}})
    assert '"reason":"AlreadyExists"' in raised.value.body.decode()
    fresh = created.to_dict()
    fresh["data"] = {"k": "2"}
    configmaps.replace(namespace="default", body=fresh)
    stale = created.to_dict()
    stale["data"] = {"k": "3"}
    with pytest.raises(ConflictError) as raised:
        configmaps.replace(namespace="default", body=stale)
    assert '"reason":"Conflict"' in raised.value.body.decode()
    unconditional = dict(stale, metadata={"name": "a"})
    assert configmaps.replace(namespace="default", body=unconditional).data.k == "3"


def test_create_in_missing_namespace_is_404_for_that_namespace(k8s_client):
    with pytest.raises(NotFoundError) as raised:
        _configmaps(k8s_client).create(namespace="nowhere", body={"metadata": {"name": "a"}})
    assert 'namespaces \\"nowhere\\" not found' in raised.value.body.decode()


def test_merge_json_and_strategic_patches(k8s_client):
    deployments = _deployments(k8s_client)
    deployments.create(namespace="default", body=_deployment())
    merged = deployments.patch(namespace="default", name="web", content_type="application/merge-patch+json",
                               body={"metadata": {"annotations": {"a": "1"}}})
    assert merged.metadata.annotations["a"] == "1"
    strategic = deployments.patch(namespace="default", name="web", content_type="application/strategic-merge-patch+json",
                                  body={"spec": {"template": {"spec": {"containers": [
                                      {"name": "main", "image": "nginx:2", "env": [{"name": "B", "value": "2"}]}]}}}})
    container = strategic.spec.template.spec.containers[0]
    assert container.image == "nginx:2" and sorted(e.name for e in container.env) == ["A", "B"]
    patched = deployments.patch(namespace="default", name="web", content_type="application/json-patch+json",
                                body=[{"op": "test", "path": "/spec/replicas", "value": 2},
                                      {"op": "replace", "path": "/spec/replicas", "value": 4}])
    assert patched.spec.replicas == 4
    with pytest.raises(UnprocessibleEntityError):
        deployments.patch(namespace="default", name="web", content_type="application/json-patch+json",
                          body=[{"op": "test", "path": "/spec/replicas", "value": 2}])


def test_strategic_merge_on_a_virtualservice_is_415_and_merge_works(k8s_client):
    virtualservices = _virtualservices(k8s_client)
    virtualservices.create(namespace="default", body=_vs())
    with pytest.raises(ApiException) as raised:
        virtualservices.patch(namespace="default", name="web", content_type="application/strategic-merge-patch+json",
                              body={"spec": {"hosts": ["other"]}})
    assert raised.value.status == 415
    patched = virtualservices.patch(namespace="default", name="web", content_type="application/merge-patch+json",
                                    body={"spec": {"hosts": ["other"]}})
    assert patched.spec.hosts == ["other"]


def test_virtualservice_versions_share_storage(k8s_client):
    virtualservices = _virtualservices(k8s_client)
    virtualservices.create(namespace="default", body=_vs())
    old = k8s_client.resources.get(api_version="networking.istio.io/v1alpha3", kind="VirtualService")
    seen = old.get(namespace="default", name="web")
    assert seen.apiVersion == "networking.istio.io/v1alpha3" and seen.spec.hosts == ["web"]


def test_dry_run_validates_but_does_not_persist(k8s_client, emulator):
    configmaps = _configmaps(k8s_client)
    before = emulator.store.resource_version
    configmaps.create(namespace="default", body={"metadata": {"name": "dry"}}, query_params=[("dryRun", "All")])
    with pytest.raises(NotFoundError):
        configmaps.get(namespace="default", name="dry")
    configmaps.create(namespace="default", body={"metadata": {"name": "real"}, "data": {"k": "1"}})
    configmaps.patch(namespace="default", name="real", body={"data": {"k": "2"}},
                     content_type="application/merge-patch+json", query_params=[("dryRun", "All")])
    assert configmaps.get(namespace="default", name="real").data.k == "1"
    configmaps.delete(namespace="default", name="real", query_params=[("dryRun", "All")])
    assert configmaps.get(namespace="default", name="real").data.k == "1"
    assert emulator.store.resource_version == before + 1


@pytest.mark.parametrize("selector, expected", [
    ("tier=web", ["a", "b"]), ("tier==web", ["a", "b"]), ("tier!=web", ["c", "d"]), ("tier in (web,db)", ["a", "b", "c"]),
    ("tier notin (web)", ["c", "d"]), ("tier", ["a", "b", "c"]), ("!tier", ["d"]), ("tier=web,track=canary", ["b"]),
])
def test_label_selectors(k8s_client, selector, expected):
    configmaps = _configmaps(k8s_client)
    for name, labels in {"a": {"tier": "web"}, "b": {"tier": "web", "track": "canary"}, "c": {"tier": "db"},
                         "d": {}}.items():
        configmaps.create(namespace="default", body={"metadata": {"name": name, "labels": labels}})
    assert [i.metadata.name for i in configmaps.get(namespace="default", label_selector=selector).items] == expected


def test_field_selectors_on_name_and_namespace(k8s_client, emulator):
    emulator.ensure_namespace("other")
    configmaps = _configmaps(k8s_client)
    for namespace in ("default", "other"):
        configmaps.create(namespace=namespace, body={"metadata": {"name": "a"}})
        configmaps.create(namespace=namespace, body={"metadata": {"name": "b"}})
    by_name = configmaps.get(field_selector="metadata.name=a").items
    assert sorted(i.metadata.namespace for i in by_name) == ["default", "other"]
    by_namespace = configmaps.get(field_selector="metadata.namespace=other,metadata.name!=a").items
    assert [(i.metadata.namespace, i.metadata.name) for i in by_namespace] == [("other", "b")]


def test_status_error_shape_matches_the_apiserver(emulator):
    status, body = emulator.request("GET", "/api/v1/namespaces/default/configmaps/missing")
    assert status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'configmaps "missing" not found', "reason": "NotFound",
                    "details": {"name": "missing", "kind": "configmaps"}, "code": 404}


def test_unknown_fields_strict_rejects_warn_drops_with_warning(emulator):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "bogus": 1}
    status, answer = emulator.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body)
    assert status == 400 and 'strict decoding error: unknown field "bogus"' in answer["message"]
    request = urllib.request.Request(emulator.url + "/api/v1/namespaces/default/configmaps", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        assert 'unknown field \\"bogus\\"' in response.headers["Warning"]
        assert "bogus" not in json.loads(response.read())


def test_refuses_a_virtualservice_with_a_string_weight(k8s_client):
    virtualservices = _virtualservices(k8s_client)
    body = _vs()
    body["spec"]["http"][0]["route"][0]["weight"] = "ninety"
    with pytest.raises(UnprocessibleEntityError) as raised:
        virtualservices.create(namespace="default", body=body)
    assert "weight" in raised.value.body.decode()


def test_refuses_a_deployment_whose_selector_does_not_match_its_template(k8s_client):
    with pytest.raises(UnprocessibleEntityError) as raised:
        _deployments(k8s_client).create(namespace="default", body=_deployment(labels={"app": "other"}))
    assert "selector" in raised.value.body.decode()


def test_refuses_a_change_of_deployment_selector(k8s_client):
    deployments = _deployments(k8s_client)
    deployments.create(namespace="default", body=_deployment())
    changed = _deployment(labels={"app": "web", "v": "2"})
    changed["spec"]["selector"]["matchLabels"]["v"] = "2"
    with pytest.raises(UnprocessibleEntityError) as raised:
        deployments.replace(namespace="default", name="web", body=changed)
    assert "field is immutable" in raised.value.body.decode()


def test_secret_string_data_is_stored_as_base64_data(k8s_client):
    secrets = k8s_client.resources.get(api_version="v1", kind="Secret")
    created = secrets.create(namespace="default", body={"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    assert created.data.k == "dg==" and "stringData" not in created.to_dict()


def test_custom_resources_refuse_unconditional_updates(k8s_client):
    virtualservices = _virtualservices(k8s_client)
    virtualservices.create(namespace="default", body=_vs())
    with pytest.raises(UnprocessibleEntityError) as raised:
        virtualservices.replace(namespace="default", body=_vs(weight=50))
    assert "must be specified for an update" in raised.value.body.decode()
    current = virtualservices.get(namespace="default", name="web").to_dict()
    current["spec"]["http"][0]["route"][0]["weight"] = 50
    assert virtualservices.replace(namespace="default", body=current).spec.http[0].route[0].weight == 50


def test_tables_for_kubectl_get_including_watches(emulator):
    emulator.request("POST", "/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    for query in ("", "?watch=true&timeoutSeconds=1"):
        request = urllib.request.Request(emulator.url + "/api/v1/namespaces/default/configmaps" + query,
                                         headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=30) as response:
            first = json.loads(response.read().decode().splitlines()[0])
        table = first.get("object", first)
        assert table["kind"] == "Table" and table["rows"][0]["cells"][0] == "a"
        assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
