"""Service ports, the apex record/restore, and the target-port refusal."""
import pytest

from ansible_collections.progressive.canary.plugins.module_utils.routers.kubernetes import (
    PortError, check_target_port, matches_record, record, restored, service_port)

TEMPLATE = {"spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 9898}, {"containerPort": 9797}]}]}}


def test_target_port_by_number_or_name():
    check_target_port(TEMPLATE, {"port": 80, "target_port": 9898})
    check_target_port(TEMPLATE, {"port": 80, "target_port": "http"})
    check_target_port(TEMPLATE, {"port": 9797})


def test_unexposed_target_port_is_refused_naming_the_exposed_ones():
    with pytest.raises(PortError) as error:
        check_target_port(TEMPLATE, {"port": 8080})
    assert "8080" in str(error.value) and "9898/http" in str(error.value)


def test_service_port_defaults():
    assert service_port({"port": 9898}) == {"name": "http", "port": 9898, "targetPort": 9898, "protocol": "TCP"}
    assert service_port({"port": 80, "target_port": "http", "port_name": "web"})["targetPort"] == "http"


def test_restore_puts_back_labels_annotations_and_spec_but_keeps_cluster_ip():
    before = {"metadata": {"name": "podinfo", "labels": {"app": "podinfo"}, "annotations": {"a": "1"}, "resourceVersion": "5"},
              "spec": {"clusterIP": "10.0.0.1", "type": "ClusterIP", "selector": {"app": "podinfo"},
                       "ports": [{"port": 1}, {"port": 2}, {"port": 3}]}}
    recorded = record(before)
    live = {"metadata": {"name": "podinfo", "labels": {"app": "podinfo", "x": "y"}, "resourceVersion": "9"},
            "spec": {"clusterIP": "10.0.0.1", "type": "ClusterIP", "selector": {"app": "podinfo-primary"}, "ports": [{"port": 1}]}}
    assert not matches_record(live, recorded)
    body = restored(live, recorded)
    assert body["spec"]["clusterIP"] == "10.0.0.1" and body["metadata"]["resourceVersion"] == "9"
    assert matches_record(body, recorded)
