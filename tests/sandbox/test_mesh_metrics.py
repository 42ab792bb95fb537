"""The mesh's Prometheus exposition: Istio's label set, buckets, and a format real Prometheus tools parse."""

import subprocess

import pytest

from tests.sandbox.fixtures_mesh import deployment_manifest, service_manifest
from tests.sandbox.prometheus import PrometheusUnavailable, find_prometheus
from tests.sandbox.test_mesh_resolution import NS, podinfo_canary_objects, static_mesh


def test_metrics_report_destination_for_served_requests_and_source_for_all():
    mesh = static_mesh(podinfo_canary_objects(50, 50, canary_ready=0))
    mesh.send("podinfo.test", 4)
    text = mesh.metrics_text()
    served = ('istio_requests_total{reporter="destination",source_workload="sandbox-traffic",source_workload_namespace="default",'
              'destination_workload="podinfo-primary",destination_workload_namespace="test",'
              'destination_service="podinfo-primary.test.svc.cluster.local",destination_service_name="podinfo-primary",'
              'destination_service_namespace="test",response_code="200"} 2')
    unavailable = ('istio_requests_total{reporter="source",source_workload="sandbox-traffic",source_workload_namespace="default",'
                   'destination_workload="unknown",destination_workload_namespace="unknown",'
                   'destination_service="podinfo-canary.test.svc.cluster.local",destination_service_name="podinfo-canary",'
                   'destination_service_namespace="test",response_code="503"} 2')
    assert served in text.splitlines()
    assert unavailable in text.splitlines()
    assert 'reporter="destination"' not in "".join(line for line in text.splitlines() if 'response_code="503"' in line)


@pytest.mark.parametrize("latency_ms, empty_le, first_full_le", [(800, "500", "1000"), (500, "250", "500"), (5, "2", "5")])
def test_latency_annotation_lands_in_istio_bucket(latency_ms, empty_le, first_full_le):
    objects = [deployment_manifest("slow", NS, {"app": "slow"}, ready=1, latency_ms=latency_ms), service_manifest("slow", NS, {"app": "slow"})]
    mesh = static_mesh(objects)
    mesh.send("slow.test", 10)
    lines = [line for line in mesh.metrics_text().splitlines() if line.startswith("istio_request_duration") and 'reporter="destination"' in line]
    by_le = {line.split('le="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1]) for line in lines if "_bucket" in line}
    assert (by_le[empty_le], by_le[first_full_le], by_le["+Inf"]) == (0, 10, 10)
    assert any(line.startswith("istio_request_duration_milliseconds_sum") and line.endswith(" %r" % (latency_ms * 10.0)) for line in lines)


def test_promtool_parses_the_exposition_and_only_objects_to_istios_own_metric_name():
    try:
        promtool = find_prometheus()[1]
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))
    mesh = static_mesh(podinfo_canary_objects(50, 50, canary_ready=0))
    mesh.send("podinfo.test", 10)
    checked = subprocess.run([promtool, "check", "metrics"], input=mesh.metrics_text(), capture_output=True, text=True, check=False)
    # Exit 3 is "lint problems", 1 a parse error. Istio names its histogram in milliseconds, which the linter dislikes.
    problems = [line for line in (checked.stdout + checked.stderr).splitlines() if line.strip()]
    assert checked.returncode in (0, 3), problems
    assert problems == ['istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"']
