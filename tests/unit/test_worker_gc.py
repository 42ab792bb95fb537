"""Ansible's workers freeze what they inherit (plugin_utils/worker_gc.py): a process forked after the collection's
action plugin was imported starts with the inherited objects frozen and still collects its own garbage, while
ansible-playbook's collector is left as it was; and a worker registers nothing. Each case runs in a new Python (a
fork hook cannot be taken back), importing the action plugin as ansible-playbook's strategy does."""
import json
import os
import subprocess
import sys

import ansible_collections

COLLECTIONS_PATH = os.path.dirname(list(ansible_collections.__path__)[0])

SCRIPT = r"""
import gc, json, multiprocessing, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
import ansible_collections.progressive.canary.plugins.action.canary_info  # what the strategy does before it forks
from ansible_collections.progressive.canary.plugins.plugin_utils import worker_gc


class Cycle:
    def __init__(self):
        self.me = self


def in_worker(queue):
    frozen = gc.get_freeze_count()
    registered_again = worker_gc.freeze_inherited_objects_in_workers()
    gc.collect()
    Cycle()  # garbage the worker makes is still collected
    unreachable = gc.collect()
    queue.put({"frozen": frozen, "registered_again": registered_again, "own_garbage_collected": unreachable})


context = multiprocessing.get_context("fork")  # how ansible-core forks its workers
queue = context.Queue()
child = context.Process(target=in_worker, args=(queue,))
child.start()
worker = queue.get(timeout=60)
child.join()
print(json.dumps({"worker": worker, "playbook_frozen": gc.get_freeze_count(),
                  "registered_again": worker_gc.freeze_inherited_objects_in_workers()}))
"""


def test_a_worker_starts_with_what_it_inherited_frozen_and_ansible_playbook_freezes_nothing():
    completed = subprocess.run([sys.executable, "-c", SCRIPT, COLLECTIONS_PATH], capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["worker"]["frozen"] > 10000, "ansible-core's objects, inherited, are frozen in the worker"
    assert outcome["worker"]["own_garbage_collected"] >= 1, "the worker's own cycles are still collected"
    assert outcome["worker"]["registered_again"] is False, "a worker registers nothing"
    assert outcome["playbook_frozen"] == 0, "ansible-playbook's own collector is left as it was"
    assert outcome["registered_again"] is False, "once per process"
