# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which processes hold a canary's lease, and whether they still run.

A lease names the processes whose life bounds its holder's (``{"pid", "started"}``) and the *node* they run
on: the boot id and the process-id namespace, the scope in which a pid means one process. Only a process on
the same node can be checked; ``started`` (its start time since boot, from /proc) tells a pid reused by
another process from the one recorded. Without /proc (not Linux) nothing can be checked: ``node_id()`` is
None and every holder counts as alive until its lease expires."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def node_id():
    """``<boot id>/<pid namespace>`` of this process, or None where it cannot be known."""
    try:
        with open(_BOOT_ID) as boot_id:
            boot = boot_id.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except (IOError, OSError):
        return None
    return "%s/%s" % (boot, namespace)


def _stat(pid):
    """(state letter, start time in clock ticks since boot) of a process, or None when there is none."""
    try:
        with open("/proc/%d/stat" % int(pid)) as stat:
            # The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
            fields = stat.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError, ValueError):
        return None
    return fields[0], int(fields[19])


def process_identity(pid=None):
    """``{"pid", "started"}`` of a process (this one by default), or None when it cannot be read."""
    pid = os.getpid() if pid is None else int(pid)
    stat = _stat(pid)
    if stat is None:
        return None
    return {"pid": pid, "started": stat[1]}


def is_running(identity):
    """True while the recorded process runs: same pid, same start time, not a zombie."""
    try:
        stat = _stat(identity["pid"])
    except (KeyError, TypeError, ValueError):
        return True     # a record we cannot read proves nothing: count it as alive
    return stat is not None and stat[0] not in ("Z", "X", "x") and stat[1] == identity.get("started")


def watched_sleep(identity, gone, sleep=time.sleep, clock=time.monotonic, every=0.25):
    """A ``sleep(seconds)`` that looks every ``every`` seconds whether the process ``identity`` still runs, and calls
    ``gone()`` (which raises) as soon as it does not. Without an identity, ``sleep`` itself."""
    if identity is None:
        return sleep

    def wait(seconds):
        end = clock() + seconds
        while True:
            if not is_running(identity):
                gone()
            left = end - clock()
            if left <= 0:
                return
            sleep(min(left, every))
    return wait
