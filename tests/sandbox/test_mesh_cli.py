"""`python -m tests.sandbox up --prometheus --mesh-target HOST[@NS]`: the mesh and Prometheus options."""

import argparse

import pytest
import requests

from tests.sandbox.mesh import add_arguments, start_from_args
from tests.sandbox.prometheus import Prometheus, PrometheusUnavailable, find_prometheus, sample_values


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_without_mesh_options_nothing_starts(emulator):
    assert start_from_args(parse(), emulator) == ([], [])


def test_target_outside_the_cluster_needs_a_namespace(capsys):
    with pytest.raises(SystemExit):
        parse("--mesh-target", "app.example.com")
    assert "HOST@NAMESPACE" in capsys.readouterr().err


def test_prometheus_option_starts_a_mesh_with_targets_and_a_prometheus_scraping_it(emulator):
    try:
        find_prometheus()
    except PrometheusUnavailable as exc:
        pytest.skip(str(exc))
    services, lines = start_from_args(parse("--prometheus", "--mesh-target", "app.example.com@test", "--mesh-rps", "10"), emulator)
    try:
        mesh, prometheus = services
        assert isinstance(prometheus, Prometheus)
        assert lines == ["mesh: %s/metrics  %s/counts  %s/targets" % (mesh.url, mesh.url, mesh.url), "prometheus: %s" % prometheus.url]
        assert requests.get(mesh.url + "/targets", timeout=5).json() == [{"host": "app.example.com", "namespace": "test", "rps": 10.0}]
        up = prometheus.wait_for_value('up{job="sandbox-mesh"}', 60, accept=lambda data: sample_values(data) == [1.0])
        assert up["result"][0]["metric"]["instance"] == mesh.scrape_target
    finally:
        for service in reversed(services):
            service.stop()


def test_mesh_users_option_gives_every_target_its_users(emulator):
    users = '{"insider": {"count": 1, "headers": {"x-canary": "insider"}}, "plain": 3}'
    services, _lines = start_from_args(parse("--mesh-target", "podinfo.test", "--mesh-users", users), emulator)
    try:
        (mesh,) = services
        assert requests.get(mesh.url + "/targets", timeout=5).json() == [{
            "host": "podinfo.test", "namespace": "test", "rps": 50.0,
            "users": {"insider": {"count": 1, "headers": {"x-canary": "insider"}, "cookies": {}},
                      "plain": {"count": 3, "headers": {}, "cookies": {}}}}]
    finally:
        for service in reversed(services):
            service.stop()


@pytest.mark.parametrize("users, error", [("not json", "--mesh-users"), ('{"plain": {"count": 1, "weight": 2}}', "unknown keys")])
def test_mesh_users_option_refuses_a_bad_spec(capsys, users, error):
    with pytest.raises(SystemExit):
        parse("--mesh-users", users)
    assert error in capsys.readouterr().err
