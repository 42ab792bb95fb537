# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jinja filter and test plugins loaded once in ansible-playbook, before it forks the workers that template tasks.

Why: ansible-playbook runs each task of each host in a worker process forked for it, and the worker templates the
task (its arguments, its conditions). The first filter or test a worker's templates name makes it load every builtin
filter (or test) plugin file and wrap each function; a collection's filter makes it load that plugin's file. What a
worker loads dies with it, so every task of every host pays it again: ~10 ms of CPU per task and host, a fifth of what
a task costs a fleet of canaries on a 2-core controller (bench/README.md). Loaded in ansible-playbook once, the plugin
loader's caches are inherited by every worker forked after.

When: the strategy imports a task's action plugin in ansible-playbook before it forks any worker for the task (to read
BYPASS_HOST_LOOP), so the first task with one of the collection's modules loads them (plugin_utils/in_worker.py), and
the workers of every later task, whatever its module, inherit them. Nothing is loaded that a worker would not load at
its first filter anyway, except this collection's other filters (small, pure Python). Never in a worker (what it loads
would die with it, and it loads lazily as before), and a failure leaves the loaders as they were, lazy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import multiprocessing
import os

from ansible.utils.display import Display

display = Display()

COLLECTION = "progressive.canary"
FILTER_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "filter")


def collection_filters(directory=FILTER_DIRECTORY):
    """The collection's filter names: one plugin file each, named as its filter."""
    if not os.path.isdir(directory):
        return []
    return sorted(name[:-3] for name in os.listdir(directory) if name.endswith(".py") and not name.startswith("_"))


def in_worker_process():
    """True in a process forked by multiprocessing (an Ansible worker), False in ansible-playbook."""
    return multiprocessing.parent_process() is not None


def load_in_controller():
    """Load the builtin filter and test plugins and this collection's filters into the plugin loaders, in
    ansible-playbook only. Returns the number of plugins loaded (0 when it did nothing)."""
    if in_worker_process():
        return 0
    try:
        from ansible.plugins.loader import filter_loader, test_loader
        loaded = 0
        for loader in (filter_loader, test_loader):
            loaded += sum(1 for _plugin in loader.all())
        for name in collection_filters():
            loaded += filter_loader.get("%s.%s" % (COLLECTION, name)) is not None
        return loaded
    except Exception as exc:  # pylint: disable=broad-except  # only ever an optimisation: the loaders stay lazy
        display.vvv("progressive.canary: Jinja plugins not loaded ahead of the workers: %s" % exc)
        return 0
