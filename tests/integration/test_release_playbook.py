"""canary_info, canary_shift, canary_promote and canary_rollback through real ansible-playbook (the FQCNs, the
canary action group's module_defaults, argument specs, check mode, failure reporting)."""
import pytest

from tests.integration.canary_scenario import NAMESPACE, kube_api, run_playbook  # noqa: F401  pylint: disable=unused-import
from tests.integration.release_scenario import DEPLOYMENT, NEW_IMAGE, get, init_podinfo, route, set_template

pytestmark = pytest.mark.needs_crds
CANARY = {"target": "podinfo", "namespace": NAMESPACE}


def _task(name, module, **options):
    task_options = {key: options.pop(key) for key in ("check_mode", "ignore_errors", "register", "when") if key in options}
    return dict({"name": name, "progressive.canary." + module: dict(CANARY, **options)}, **task_options)


def test_release_through_ansible_playbook(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api)
    tasks = [
        _task("info", "canary_info"),
        _task("shift 20 in check mode", "canary_shift", weight=20, check_mode=True),
        _task("shift 20", "canary_shift", weight=20, ready_timeout=60),
        _task("shift 20 again", "canary_shift", weight=20),
        _task("shift 150", "canary_shift", weight=150, ignore_errors=True),
        _task("promote", "canary_promote", ready_timeout=60),
        _task("promote again", "canary_promote"),
        _task("info after", "canary_info"),
    ]
    rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert rc == 0, results
    info = results["info"]
    assert info["initialized"] and info["pending"] and info["phase"] == "Initialized" and not info["changed"]
    assert results["shift 20 in check mode"]["changed"] and len(results["shift 20 in check mode"]["actions"]) == 4
    assert results["shift 20"]["changed"] and results["shift 20"]["weight"] == 20 and results["shift 20"]["phase"] == "Progressing"
    assert not results["shift 20 again"]["changed"]
    assert results["shift 150"]["failed"] and "between 0 and 100" in results["shift 150"]["msg"]
    assert results["promote"]["changed"] and results["promote"]["phase"] == "Succeeded" and results["promote"]["primary_updated"]
    assert not results["promote again"]["changed"]
    after = results["info after"]
    assert after["phase"] == "Succeeded" and not after["pending"] and after["weight"] == 0
    assert after["primary"]["ready"] and after["target"]["replicas"] == 0
    assert get(kube_api, DEPLOYMENT, "podinfo-primary")["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE


def test_not_ready_canary_fails_the_shift_and_the_play_rolls_back(emulator, kube_api, kubeconfig, tmp_path):  # noqa: F811
    init_podinfo(emulator, kube_api)
    set_template(kube_api, annotations={"sandbox.progressive.canary/behaviour": "never-ready"})
    tasks = [
        _task("shift", "canary_shift", weight=20, ready_timeout=2, ignore_errors=True, register="shifted"),
        _task("rollback", "canary_rollback", reason="{{ shifted.msg }}", when="shifted is failed"),
        _task("info", "canary_info"),
    ]
    rc, results = run_playbook(tmp_path, tasks, kubeconfig)
    assert rc == 0, results
    assert results["shift"]["failed"] and results["shift"]["ready"] is False and "not ready after 2s" in results["shift"]["msg"]
    assert results["shift"]["changed"], "it scaled the target up before the wait"
    assert results["rollback"]["changed"] and results["rollback"]["phase"] == "Failed"
    assert results["info"]["failure_reason"].startswith("Deployment test/podinfo not ready")
    assert route(kube_api)[1] == ("podinfo-canary", 0) and get(kube_api, DEPLOYMENT, "podinfo")["spec"]["replicas"] == 0
