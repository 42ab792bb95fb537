"""The collection as Galaxy and AWX users get it: the tarball `ansible-galaxy collection build` makes (galaxy.yml's
build_ignore leaves out what an installed collection cannot use), installed into an empty collections path with
kubernetes.core and nothing of this checkout, documents every plugin and runs the role against the sandbox; and an
execution environment built with ansible-builder from docs/awx.md's definition gets this collection's Python
requirements together with kubernetes.core's, which pip resolves."""
import json
import shutil
import subprocess
import tarfile
import urllib.request

import pytest
import yaml

from tests import ansible_playbook
from tests.e2e.galaxy_stub import GalaxyStub
from tests.e2e.rollout_scenario import NEW_IMAGE, REPO, needs_crds, rollout_result
from tests.e2e.test_docs import fenced_blocks

# What an installed collection cannot use (hack/ and the Makefile drive this checkout, bench/ measures it, tests/
# needs its .venv, the sandbox and ../shared, playbooks/demo is hack/demo.sh's): never in the tarball.
LEFT_OUT = ("hack/", "bench/", "tests/", "playbooks/demo/", "changelogs/fragments/", ".ci/", ".venv", ".collections/", "Makefile",
            "pytest.ini", ".ansible-lint", ".gitignore")
# What a user of the installed collection needs besides the plugins and the role.
SHIPPED = ("README.md", "COPYING", "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
           "docs/rbac/role.yml", "docs/rbac/rolebinding.yml", "docs/rbac/serviceaccount.yml", "docs/awx.md",
           "playbooks/rollout.yml", "playbooks/cleanup.yml", "playbooks/status.yml", "roles/rollout/meta/argument_specs.yml",
           "changelogs/changelog.yaml")
BIN = ansible_playbook.ANSIBLE_VENV / "bin"


def _members(tarball):
    with tarfile.open(tarball) as tar:
        return [member.name for member in tar.getmembers()]


def test_the_tarball_leaves_out_what_an_installed_collection_cannot_use(collection_artifacts):
    members = _members(collection_artifacts["progressive.canary"])
    assert [name for name in members if name.startswith(LEFT_OUT) or "__pycache__" in name] == []
    assert [name for name in SHIPPED if name not in members] == []
    modules = sorted(path.name for path in (REPO / "plugins" / "modules").glob("canary_*.py"))
    assert sorted(name.split("/")[-1] for name in members if name.startswith("plugins/modules/canary_")) == modules


def _env(tmp_path, collections_path):
    """An isolated Ansible environment whose only collections are those installed under ``collections_path``."""
    env = ansible_playbook.playbook_env(tmp_path)
    env.pop("PYTHONPATH", None)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    return env


def _install(tarballs, collections_path, env):
    completed = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections_path),
                                *map(str, tarballs)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@needs_crds
def test_the_installed_tarball_documents_every_plugin_and_runs_the_role(collection_artifacts, podinfo, tmp_path):
    collections_path = tmp_path / "collections"
    env = _env(tmp_path, collections_path)
    posix = REPO / ".collections" / "ansible_collections" / "ansible" / "posix"  # the tests' JSON stdout callback
    _install(list(collection_artifacts.values()), collections_path, env)
    shutil.copytree(posix, collections_path / "ansible_collections" / "ansible" / "posix")
    installed = collections_path / "ansible_collections" / "progressive" / "canary"
    assert not installed.is_symlink() and not (installed / "hack").exists() and (installed / "MANIFEST.json").is_file()

    for plugin_type, directory in (("module", "modules"), ("filter", "filter")):
        listed = subprocess.run([str(BIN / "ansible-doc"), "-t", plugin_type, "-l", "-j", "progressive.canary"], env=env,
                                cwd=str(tmp_path), capture_output=True, text=True, timeout=120, check=True)
        names = sorted(json.loads(listed.stdout))
        assert names, "ansible-doc lists no %s of the installed collection" % plugin_type
        documented = subprocess.run([str(BIN / "ansible-doc"), "-t", plugin_type, "-j", *names], env=env, cwd=str(tmp_path),
                                    capture_output=True, text=True, timeout=120, check=False)
        assert documented.returncode == 0 and "WARNING" not in documented.stderr, documented.stderr
        assert sorted(json.loads(documented.stdout)) == names
    modules = sorted("progressive.canary." + path.stem for path in (REPO / "plugins" / "modules").glob("canary_*.py"))
    assert sorted(json.loads(subprocess.run([str(BIN / "ansible-doc"), "-l", "-j", "progressive.canary"], env=env, cwd=str(tmp_path),
                                            capture_output=True, text=True, timeout=120, check=True).stdout)) == modules

    podinfo.load()
    command = ansible_playbook.playbook_command("progressive.canary.rollout", tmp_path, podinfo.release_vars(rollout_image=NEW_IMAGE),
                                                options=("--check",))
    returncode, report, output = ansible_playbook.run_command(command, env, tmp_path)
    assert returncode == 0, output
    result = rollout_result([[task["hosts"]["localhost"] for task in play["tasks"]] for play in report["plays"]])
    assert result["outcome"] == "checked" and "set image %s" % NEW_IMAGE in result["reason"], result


def _doc_file(document, path):
    """The text of the block docs/awx.md writes to ``path`` (<!-- doc-test: file PATH -->)."""
    blocks = [block.text for block in fenced_blocks(REPO / "docs" / document) if block.marker == "file " + path]
    assert len(blocks) == 1, "docs/%s writes %s once" % (document, path)
    return blocks[0]


def _pypi_reachable():
    try:
        with urllib.request.urlopen("https://pypi.org/simple/kubernetes/", timeout=10) as answer:
            return answer.status == 200
    except OSError:
        return False


def test_an_execution_environment_resolves_this_collection_with_kubernetes_core(collection_artifacts, tmp_path):
    """docs/awx.md's execution-environment.yml through `ansible-builder create`, then the build context's own steps
    without a container engine: its galaxy stage (ansible-galaxy from its requirements.yml, Galaxy being a local
    stand-in serving the built tarball), its builder stage (its introspect.py, which merges each collection's
    meta/execution-environment.yml requirements), and pip resolving the result with the image's ansible-core and
    ansible-runner (PyPI: skipped when it is out of reach)."""
    project = tmp_path / "project"
    (project / "collections").mkdir(parents=True)
    (project / "execution-environment.yml").write_text(_doc_file("awx.md", "execution-environment.yml"), encoding="utf-8")
    (project / "collections" / "requirements.yml").write_text(_doc_file("awx.md", "collections/requirements.yml"), encoding="utf-8")
    env = _env(tmp_path, tmp_path / "nothing")
    created = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                              "--output-filename", "Containerfile"], cwd=str(project), env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert created.returncode == 0, created.stdout + created.stderr
    context = project / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" in containerfile
    install_refs = next(line.split("=", 1)[1].strip('"') for line in containerfile.splitlines() if line.startswith("ARG ANSIBLE_INSTALL_REFS="))

    collections_path = tmp_path / "usr-share-ansible" / "collections"
    with GalaxyStub(list(collection_artifacts.values())) as galaxy:
        env["ANSIBLE_GALAXY_SERVER"] = galaxy.url
        installed = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", "requirements.yml",
                                    "--collections-path", str(collections_path)], cwd=str(context / "_build"), env=env,
                                   capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ours = collections_path / "ansible_collections" / "progressive" / "canary"
    declared = yaml.safe_load((ours / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert declared == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    assert (ours / "requirements.txt").is_file() and (ours / "bindep.txt").is_file()
    pip_file, bindep_file = tmp_path / "src" / "requirements.txt", tmp_path / "src" / "bindep.txt"
    introspected = subprocess.run([str(BIN / "python"), str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                                   "--write-bindep=%s" % bindep_file, "--write-pip=%s" % pip_file, str(collections_path)],
                                  env=env, capture_output=True, text=True, timeout=120, check=False)
    assert introspected.returncode == 0, introspected.stdout + introspected.stderr
    requirements = pip_file.read_text(encoding="utf-8")
    merged = set(requirements.splitlines())
    for wanted in ("kubernetes>=24.2.0  # from collection progressive.canary", "jmespath>=1.0.0  # from collection progressive.canary",
                   "kubernetes>=24.2.0  # from collection kubernetes.core", "requests-oauthlib  # from collection kubernetes.core"):
        assert wanted in merged, requirements
    assert "ansible-core" not in requirements, "the image brings its own (ANSIBLE_INSTALL_REFS)"
    parsed = subprocess.run([str(BIN / "bindep"), "-f", str(bindep_file), "-l", "newline"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert "unparsable" not in parsed.stdout + parsed.stderr, parsed.stdout + parsed.stderr

    if not _pypi_reachable():
        pytest.skip("PyPI is out of reach: the merged requirements were not resolved")
    report_file = tmp_path / "pip-report.json"
    resolved = subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                               "--report", str(report_file), "-r", str(pip_file), *install_refs.split()],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    chosen = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.loads(report_file.read_text())["install"]}
    assert {"ansible-core", "ansible-runner", "kubernetes", "jmespath", "jsonpatch", "requests-oauthlib"} <= set(chosen), chosen
