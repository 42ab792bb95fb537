"""canary_image through ansible-playbook: one JSON patch on the container's index guarded by its name, retried as the
same request on a transient error (the container keeps command, env, ports, probes and resources), a container
that does not exist refused before any write, idempotent, check mode and diff mode."""
import copy
import threading

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import connect
from ansible_collections.progressive.canary.plugins.module_utils.phases.image import set_image
from tests.integration.canary_scenario import NAMESPACE, load_podinfo, reset_request_log, run_playbook, user_view, writes
from tests.sandbox.fixtures_api import wait_for
from tests.sandbox.fixtures_mesh import wait_ready

NEW_IMAGE = "stefanprodan/podinfo:3.1.1"
TARGET = "/apis/apps/v1/namespaces/%s/deployments/podinfo" % NAMESPACE


def _set_image(tmp_path, kubeconfig, check=False, diff=False, **options):
    args = {"target": "podinfo", "namespace": NAMESPACE, "image": NEW_IMAGE}
    args.update(options)
    returncode, results = run_playbook(tmp_path, [{"name": "image", "progressive.canary.canary_image": args}], kubeconfig,
                                       check=check, diff=diff)
    return returncode, results["image"]


def _template(emulator):
    status, deployment = emulator.request("GET", TARGET)
    assert status == 200, deployment
    return user_view(deployment)["spec"]["template"]


@pytest.fixture
def podinfo(emulator):
    load_podinfo(emulator)
    wait_ready(emulator.url, NAMESPACE, "podinfo", replicas=2)
    before = _template(emulator)
    assert {"command", "env", "ports", "livenessProbe", "readinessProbe", "resources"} <= set(before["spec"]["containers"][0])
    reset_request_log(emulator)
    return before


def _expected(before, image=NEW_IMAGE):
    after = copy.deepcopy(before)
    after["spec"]["containers"][0]["image"] = image
    return after


@pytest.mark.parametrize("fault", [dict(status=503), dict(drop=True), dict(drop_answer=True), dict(status=429)],
                         ids=["503", "dropped connection", "lost answer", "429"])
def test_a_transient_error_on_the_image_patch_keeps_the_whole_container(emulator, kubeconfig, tmp_path, podinfo, fault):
    injected = emulator.faults.add(verb="PATCH", path_regex=TARGET + "$", times=1, **fault)
    returncode, result = _set_image(tmp_path, kubeconfig)
    assert returncode == 0, result
    assert injected.matched == 1
    assert result["changed"] and result["container"] == "podinfod" and result["image"] == NEW_IMAGE
    assert _template(emulator) == _expected(podinfo)
    patches = [record for record in writes(emulator) if record.method == "PATCH"]
    assert [record.content_type for record in patches] == ["application/json-patch+json"] * 2


def test_the_same_image_again_writes_nothing(emulator, kubeconfig, tmp_path, podinfo):
    assert _set_image(tmp_path, kubeconfig)[1]["changed"]
    reset_request_log(emulator)
    returncode, result = _set_image(tmp_path, kubeconfig)
    assert returncode == 0 and not result["changed"] and result["previous_image"] == NEW_IMAGE
    assert writes(emulator) == []
    assert _template(emulator) == _expected(podinfo)


def test_check_mode_and_diff_write_nothing_and_show_the_image(emulator, kubeconfig, tmp_path, podinfo):
    returncode, result = _set_image(tmp_path, kubeconfig, check=True, diff=True)
    assert returncode == 0 and result["changed"], result
    assert result["diff"]["before"] == {"container": "podinfod", "image": podinfo["spec"]["containers"][0]["image"]}
    assert result["diff"]["after"] == {"container": "podinfod", "image": NEW_IMAGE}
    assert writes(emulator) == []
    assert _template(emulator) == podinfo


def test_a_container_that_does_not_exist_is_refused_before_any_write(emulator, kubeconfig, tmp_path, podinfo):
    returncode, result = _set_image(tmp_path, kubeconfig, container="podinfo")
    assert returncode != 0
    assert result["msg"].startswith("Deployment test/podinfo has no container 'podinfo'; its containers are: podinfod"), result
    assert writes(emulator) == []
    assert _template(emulator) == podinfo


def test_a_named_container_other_than_the_first_gets_the_image(emulator, kubeconfig, tmp_path, podinfo):
    sidecar = {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]}
    patch = [{"op": "add", "path": "/spec/template/spec/containers/-", "value": sidecar}]
    status, body = emulator.request("PATCH", TARGET, patch, content_type="application/json-patch+json")
    assert status == 200, body
    before = _template(emulator)
    returncode, result = _set_image(tmp_path, kubeconfig, container="sidecar", image="busybox:1.37")
    assert returncode == 0 and result["container"] == "sidecar" and result["previous_image"] == "busybox:1.36", result
    after = _template(emulator)
    assert after["spec"]["containers"][0] == before["spec"]["containers"][0]
    assert after["spec"]["containers"][1] == dict(sidecar, image="busybox:1.37", **{
        key: value for key, value in before["spec"]["containers"][1].items() if key not in sidecar})


def test_containers_reordered_between_the_read_and_the_patch_get_the_image_at_the_new_index(emulator, podinfo, kubeconfig):
    """The name test fails (422) instead of setting the image on another container; the run reads again."""
    api = connect({"kubeconfig": kubeconfig}, request_timeout=10)
    sidecar = {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]}
    status, body = emulator.request("PATCH", TARGET, [{"op": "add", "path": "/spec/template/spec/containers/-", "value": sidecar}],
                                    content_type="application/json-patch+json")
    assert status == 200, body
    # The image patch is held at the server while the containers are swapped: the hold orders the two writes.
    held = emulator.faults.add(verb="PATCH", path_regex=TARGET + "$", latency=2, times=1)
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=set_image(api, NAMESPACE, "podinfo", "busybox:1.37", "sidecar")))
    runner.start()
    wait_for(lambda: held.matched == 1, what="the image patch")
    status, body = emulator.request("PATCH", TARGET, [
        {"op": "move", "from": "/spec/template/spec/containers/1", "path": "/spec/template/spec/containers/0"}],
        content_type="application/json-patch+json")
    assert status == 200, body
    runner.join()
    patches = [record.status for record in emulator.request_log.records() if record.method == "PATCH" and record.path == TARGET]
    assert patches[-3:] == [200, 422, 200], "swap, the stale image patch, the patch at the new index"
    containers = _template(emulator)["spec"]["containers"]
    assert [(item["name"], item["image"]) for item in containers] == [("sidecar", "busybox:1.37"), ("podinfod", podinfo["spec"]["containers"][0]["image"])]
    assert outcome["result"]["changed"] and outcome["result"]["container"] == "sidecar"
