"""A sleep that ends as soon as a watched process ends (a killed run's step stops waiting), on real processes."""
import subprocess
import sys
import time

import pytest

from ansible_collections.progressive.canary.plugins.module_utils.canary.processes import process_identity, watched_sleep


class Gone(Exception):
    pass


def _gone():
    raise Gone()


def test_the_sleep_lasts_its_time_while_the_process_runs():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])  # pylint: disable=consider-using-with
    try:
        started = time.monotonic()
        watched_sleep(process_identity(child.pid), _gone, every=0.05)(0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        child.kill()
        child.wait()


def test_the_sleep_ends_once_the_process_has_ended():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])  # pylint: disable=consider-using-with
    identity = process_identity(child.pid)
    started = time.monotonic()
    with pytest.raises(Gone):
        watched_sleep(identity, _gone, every=0.05)(30)
    assert time.monotonic() - started < 10
    child.wait()


def test_a_reused_pid_is_not_the_watched_process():
    identity = dict(process_identity(), started=process_identity()["started"] - 1)
    with pytest.raises(Gone):
        watched_sleep(identity, _gone)(30)


def test_without_an_identity_it_is_the_plain_sleep():
    slept = []
    assert watched_sleep(None, _gone, sleep=slept.append)(5) is None and slept == [5]


def test_a_step_whose_ansible_playbook_has_already_ended_stops_before_its_wait():
    """The controller may end between the action plugin's look and the step's start: the step does not wait at all."""
    from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError  # pylint: disable=import-outside-toplevel
    from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import _watching_the_controller  # pylint: disable=import-outside-toplevel
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # pylint: disable=consider-using-with
    ended.wait()
    slept = []
    with pytest.raises(CanaryError, match="ansible-playbook \\(pid %d\\) that runs this step has ended" % ended.pid):
        _watching_the_controller(ended.pid, slept.append)(5)
    assert slept == []
    assert _watching_the_controller(None, slept.append)(5) is None and slept == [5], "not on the controller: a plain sleep"
