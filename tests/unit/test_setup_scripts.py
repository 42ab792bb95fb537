"""The toolchain scripts behind `make setup`: reuse on a second run, kubernetes.core from Galaxy or the
`ansible` wheel, the action group in meta/runtime.yml and what a built collection leaves out."""
import ast
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.integration.loopback_http import LoopbackServer, Reply

REPO_ROOT = Path(__file__).resolve().parents[2]
HACK = REPO_ROOT / "hack"
VENV_BIN = REPO_ROOT / ".venv" / "bin"


def _run(args, env=None, timeout=600):
    return subprocess.run([str(a) for a in args], cwd=REPO_ROOT, env=dict(os.environ, **(env or {})), capture_output=True,
                          text=True, timeout=timeout, check=False)


def _setup_variable(script, name):
    """A `NAME=value` assignment of a hack/ script, so tests follow the pins instead of copying them."""
    for line in (HACK / script).read_text(encoding="utf-8").splitlines():
        if line.startswith(name + "="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not set in hack/{script}")


def test_a_second_setup_installs_nothing():
    missing = [c for c in ("prometheus", "promtool", "shellcheck") if shutil.which(c) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (no root here): setup retries the Debian packages every run")
    first = _run([HACK / "setup.sh"])
    assert first.returncode == 0, first.stderr
    second = _run([HACK / "setup.sh"])
    assert second.returncode == 0, second.stderr
    # hack/lib.sh's `log` prefixes every action with "==> "; a reused toolchain has nothing to say.
    assert [line for line in second.stderr.splitlines() if line.startswith("==> ")] == []


def test_kubernetes_core_comes_from_the_ansible_wheel_when_galaxy_does_not_answer(tmp_path):
    wheel_version = _setup_variable("setup-collections.sh", "ANSIBLE_WHEEL_VERSION")
    wheel = REPO_ROOT / ".dl" / f"ansible-{wheel_version}-py3-none-any.whl"
    if not wheel.is_file():
        pytest.skip(f"{wheel.name} is not cached in .dl (setup got the collections from Galaxy): not downloading it")
    target = tmp_path / "collections"
    # A Galaxy server that accepts the connection and never answers: setup must give up on it and fall back. The timeout
    # leaves ansible-galaxy time to start and ask on a loaded machine (2 s did not, and it never asked).
    with LoopbackServer(lambda request: Reply(200, {}, delay_s=120)) as galaxy:
        env = {"SETUP_COLLECTIONS_DIR": str(target), "GALAXY_TIMEOUT_SECONDS": "8", "ANSIBLE_GALAXY_SERVER": galaxy.url,
               "HOME": str(tmp_path)}
        installed = _run([HACK / "setup-collections.sh"], env)
        asked_galaxy = [r.path for r in galaxy.requests]
        reused = _run([HACK / "setup-collections.sh"], env)
    assert installed.returncode == 0, installed.stderr
    assert asked_galaxy, "setup did not try Galaxy first"
    assert "Galaxy unreachable: unpacking kubernetes.core from the ansible %s wheel" % wheel_version in installed.stderr
    manifest = json.loads((target / "ansible_collections/kubernetes/core/MANIFEST.json").read_text(encoding="utf-8"))
    pinned = re.search(r"kubernetes\.core==([0-9.]+)", _setup_variable("setup-collections.sh", "COLLECTIONS")).group(1)
    assert manifest["collection_info"]["version"] == pinned
    assert reused.returncode == 0 and reused.stderr == "", reused.stderr


def _documentation(module_path):
    """The DOCUMENTATION YAML of a module file, read without importing it."""
    for node in ast.parse(module_path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{module_path} has no DOCUMENTATION")


def test_the_action_group_holds_exactly_the_modules_taking_kubernetes_core_connection_options():
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    group = runtime["action_groups"]["canary"]
    members = {m for m in group if isinstance(m, str)}
    extends = [m["metadata"]["extend_group"] for m in group if isinstance(m, dict)]
    # module_defaults of a group give every member the group's options: a member without kubernetes.core's
    # connection options would fail on them (canary_webhook talks to no cluster and stays out).
    connected = {p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py")
                 if "kubernetes.core.k8s_auth_options" in (_documentation(p).get("extends_documentation_fragment") or [])}
    assert members == connected
    assert extends == [["kubernetes.core.k8s"]]


def test_a_built_collection_leaves_out_the_toolchain_and_test_output(tmp_path):
    built = _run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, REPO_ROOT])
    assert built.returncode == 0, built.stderr
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    archive = tmp_path / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "meta/runtime.yml" in names and "plugins/modules/canary_init.py" in names
    leaked = [n for n in names if n.split("/")[0] in (".venv", ".venv-ansible-oldest", ".collections", ".dl", ".pytest_cache")
              or n.startswith(("tests/output", "bench/results")) or "__pycache__" in n]
    assert leaked == []
