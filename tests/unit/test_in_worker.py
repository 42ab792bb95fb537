"""When a module may run in Ansible's worker: only where its process would be the very same Python environment."""
import os
import sys

from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import same_python


def test_the_python_running_ansible_is_the_same_python():
    assert same_python(sys.executable)
    assert same_python(os.path.join(os.path.dirname(sys.executable), ".", os.path.basename(sys.executable)))


def test_another_name_for_the_same_file_in_the_same_directory_is_the_same_python(tmp_path):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python3.11").write_text("")
    os.symlink("python3.11", str(bin_dir / "python"))
    assert same_python(str(bin_dir / "python"), str(bin_dir / "python3.11"))


def test_a_virtualenv_linking_to_the_system_python_is_another_python(tmp_path):
    """A virtualenv's bin/python is a link to the system's interpreter, whose installed packages differ."""
    system = tmp_path / "usr" / "bin"
    venv = tmp_path / "venv" / "bin"
    system.mkdir(parents=True)
    venv.mkdir(parents=True)
    (system / "python3.11").write_text("")
    os.symlink(str(system / "python3.11"), str(venv / "python"))
    assert not same_python(str(system / "python3.11"), str(venv / "python"))
    assert not same_python(str(venv / "python"), str(system / "python3.11"))


def test_a_name_left_to_the_path_or_to_discovery_is_not_known_to_be_the_same():
    assert not same_python("python3")
    assert not same_python("auto")
    assert not same_python("")
    assert not same_python(None)


def test_no_module_of_ours_uses_the_module_tmpdir():
    """AnsibleModule removes its tmpdir in an atexit handler, which a worker (ended with os._exit) never runs: a module
    run in the worker would leave one directory behind per call."""
    plugins = os.path.join(os.path.dirname(__file__), "..", "..", "plugins")
    users = []
    for kind in ("modules", "module_utils"):
        for root, _dirs, files in os.walk(os.path.join(plugins, kind)):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(root, name), encoding="utf-8") as source:
                        if ".tmpdir" in source.read():
                            users.append(os.path.join(root, name))
    assert users == []
