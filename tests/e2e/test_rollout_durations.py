"""Durations through the role (playbooks/rollout.yml, sandbox): Flagger's Go-style interval (1m30s) is taken, as the
modules take it, and what is not a duration is refused before the first write, naming the setting."""
import pytest

from tests.e2e.rollout_scenario import NEW_IMAGE, failure_message, needs_crds
from tests.integration.canary_scenario import reset_request_log, writes

pytestmark = needs_crds


def _analysis(podinfo, interval):
    return dict(podinfo.release_vars()["rollout_analysis"], interval=interval)


@pytest.mark.oldest
def test_a_go_style_interval_is_taken(podinfo):
    podinfo.load(traffic=False)
    returncode, result, _plays, output = podinfo.run(options=("--check",), rollout_image=NEW_IMAGE,
                                                     rollout_analysis=_analysis(podinfo, "1m30s"))
    assert returncode == 0 and result["outcome"] == "checked", output


@pytest.mark.parametrize("interval", ["1x", "-1s", "1.5.3s"])
def test_what_is_not_a_duration_is_refused_before_the_first_write(podinfo, interval):
    podinfo.load(traffic=False)
    reset_request_log(podinfo.emulator)
    returncode, _result, plays, output = podinfo.run(rollout_image=NEW_IMAGE, rollout_analysis=_analysis(podinfo, interval))
    assert returncode != 0, output
    assert "rollout_analysis.interval must be a duration like 500ms, 30s, 1m30s, 1h, 1d, got '%s'" % interval in failure_message(plays), output
    assert writes(podinfo.emulator) == []
