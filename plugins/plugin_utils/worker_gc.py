# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible's workers never garbage-collect the objects they inherit from ansible-playbook.

Why: ansible-playbook forks a worker for each task and host, and the worker's garbage collector, as soon as it runs
over an older generation, walks every object the worker inherited (ansible-core, the play, the inventory, the loaded
plugins: hundreds of thousands), writing to each object's header, which makes the kernel copy every page it touches.
A worker lives for one task, so none of that finds garbage a worker needs to free. With the inherited objects frozen
(``gc.freeze``) as the worker starts, its collector only ever looks at what the worker itself made: a release of 20
canaries, 14 tasks each, took 12.2-12.5 CPU-s of ansible-playbook and its workers instead of 13.4-14.3, and 12.5-12.7 s
of wall time instead of 13.0-13.5 (bench/README.md). Python's documentation of ``gc.freeze`` describes this use for
processes that fork without exec, calling it in the parent just before the fork; ansible-playbook's forks are not
ours to wrap, and freezing there would also change ansible-playbook's own collection, so the child freezes what it
inherited as it starts (an ``os.register_at_fork`` hook), which spares the worker the same walk.

What stays the same: ansible-playbook's own collector (nothing is frozen there), and the worker's collection of every
object it makes, however long its task runs (a long analysis in one task stays in flat memory: bench's long_release).
What a worker inherited and then drops is never freed before the worker exits, but that is a fixed set: it cannot grow.

When: registered once, in ansible-playbook, as the collection's first action plugin is imported there
(plugin_utils/in_worker.py), so it applies to every worker forked after it, whatever the task's module. Never from a
worker itself (its own forks, if any, are not Ansible's workers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import os

from ansible_collections.progressive.canary.plugins.plugin_utils.jinja_plugins import in_worker_process

_REGISTERED = []


def freeze_inherited_objects_in_workers():
    """Have every process forked from this one freeze, as it starts, the objects it inherited. Returns True when this
    call registered it, False when it did nothing (in a worker, or registered already)."""
    if in_worker_process() or _REGISTERED:
        return False
    os.register_at_fork(after_in_child=gc.freeze)
    _REGISTERED.append(True)
    return True
