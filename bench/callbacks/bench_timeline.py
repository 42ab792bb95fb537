"""A test-only callback (bench/ only): one JSON line per task event, with the controller's resident memory.

Enabled by ``bench.playbook_runs`` with ANSIBLE_CALLBACK_PLUGINS=bench/callbacks, ANSIBLE_CALLBACKS_ENABLED=
bench_timeline and BENCH_TIMELINE_FILE=<path>. Each line: ``{"event", "t", "task", "action", "host", "rss_kib"}``
where event is ``start`` (the strategy hands the task out), ``ok``, ``changed``, ``skipped``, ``failed``,
``unreachable`` or ``include`` (an include_tasks file queued for a host), ``t`` the controller's wall clock and
``rss_kib`` the resident memory of the ansible-playbook process (the callback runs in it), on ``start`` and ``end``
only. A host's result is read no further than its ``changed`` flag: the callback runs in ansible-playbook, whose time a
fleet's wall time is made of (bench/README.md), so it must cost as little as it can."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: bench_timeline
    type: aggregate
    short_description: task events with times and controller memory, one JSON line each (bench/ only)
    description: Writes to the file named by BENCH_TIMELINE_FILE; does nothing without it.
    requirements: [enabled in ANSIBLE_CALLBACKS_ENABLED]
"""

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kib():
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE_KIB


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        path = os.environ.get("BENCH_TIMELINE_FILE")
        self._out = open(path, "a", encoding="utf-8") if path else None  # pylint: disable=consider-using-with

    def _write(self, event, task, host=None, memory=False):
        if self._out is None:
            return
        record = {"event": event, "t": time.time(), "task": task.get_name() if task else None,
                  "action": task.action if task else None, "host": host}
        if memory:
            record["rss_kib"] = _rss_kib()
        self._out.write(json.dumps(record) + "\n")
        if memory:
            self._out.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write("start", task, memory=True)

    def v2_playbook_on_handler_task_start(self, task):
        self._write("start", task, memory=True)

    def _result(self, event, result):
        self._write(event, result._task, result._host.get_name())  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._result("changed" if result.is_changed() else "ok", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_playbook_on_include(self, included_file):
        for host in included_file._hosts:  # pylint: disable=protected-access
            self._write("include", included_file._task, host.get_name())  # pylint: disable=protected-access

    def v2_playbook_on_stats(self, stats):
        self._write("end", None, memory=True)
