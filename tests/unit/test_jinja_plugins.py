"""The Jinja plugins loaded in ansible-playbook before it forks (plugin_utils/jinja_plugins.py): loaded in the
controller process, where the plugin loader then finds the collection's filters without loading them again, and never
in a forked worker. Each case runs in a new Python, its plugin loader set up as ansible-playbook sets it up."""
import json
import os
import subprocess
import sys

import ansible_collections

COLLECTIONS_PATH = os.path.dirname(list(ansible_collections.__path__)[0])

SCRIPT = r"""
import json, multiprocessing, sys
from ansible.plugins.loader import filter_loader, init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.progressive.canary.plugins.plugin_utils import jinja_plugins

def in_child(queue):
    queue.put(jinja_plugins.load_in_controller())

context = multiprocessing.get_context("fork")
queue = context.Queue()
child = context.Process(target=in_child, args=(queue,))
child.start()
in_worker = queue.get(timeout=60)
child.join()
loaded = jinja_plugins.load_in_controller()
module = sys.modules.get("ansible_collections.progressive.canary.plugins.filter.rollout_settings")
print(json.dumps({"in_worker": in_worker, "loaded": loaded, "filters": jinja_plugins.collection_filters(),
                  "settings_loaded": module is not None,
                  "resolves": filter_loader.get("progressive.canary.rollout_settings") is not None}))
"""


def _run():
    completed = subprocess.run([sys.executable, "-c", SCRIPT, COLLECTIONS_PATH], capture_output=True, text=True, timeout=120,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_controller_loads_the_builtin_plugins_and_the_collections_filters_and_a_worker_loads_nothing():
    outcome = _run()
    assert outcome["in_worker"] == 0, "a forked worker loads lazily, as before"
    assert outcome["loaded"] > len(outcome["filters"]), "the builtin filters and tests, and ours"
    assert "rollout_settings" in outcome["filters"] and "rollout_start" in outcome["filters"]
    assert outcome["settings_loaded"] and outcome["resolves"]


def test_a_missing_filter_directory_lists_no_filter(tmp_path):
    from ansible_collections.progressive.canary.plugins.plugin_utils.jinja_plugins import collection_filters
    assert collection_filters(str(tmp_path / "absent")) == []
    (tmp_path / "one.py").write_text("")
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert collection_filters(str(tmp_path)) == ["one"]
