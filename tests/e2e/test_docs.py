"""The command blocks of README.md, docs/ and the role's README run as written against the sandbox.

Convention (docs/developing.md, "Doc tests"): an HTML comment on the line before a fenced block says what the block is
for this test -
- ``<!-- doc-test: run -->``: a shell block, run with bash (-e, -u, pipefail) in the document's scratch directory;
  it must exit 0. ``run from the repository``: run in the repository root. ``run, nothing installed``: no collection
  on any collections path, and Galaxy is a local stand-in serving this collection and kubernetes.core.
- ``<!-- doc-test: file PATH -->``: the block is written to PATH in the scratch directory before the blocks after it
  run; ``file PATH, sandbox``: a variables file for the role, given the sandbox's Prometheus and short steps
  (SANDBOX_TIMING) and nothing else.
- ``<!-- doc-test: skip: REASON -->``: not run, for REASON.
Every command block (no language, or sh/bash/shell/console) must carry one of them, so a new one is either run or
says why it cannot be.

Each document runs against a sandbox of its own: podinfo 3.1.0 and its HPA in namespaces ``test`` and ``prod`` (a
second wave) with mesh traffic,
the cluster in ``~/.kube/config``, the venv's tools first on PATH, collections installed (except where said).
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import ansible_playbook
from tests.e2e.galaxy_stub import GalaxyStub
from tests.e2e.rollout_scenario import REPO, Podinfo, needs_crds

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "roles" / "rollout" / "README.md"]
COMMAND_LANGUAGES = ("", "sh", "bash", "shell", "console")
_FENCE = re.compile(r"^( *)```(\S*)\s*$")
_MARKER = re.compile(r"^\s*<!-- doc-test: (.+?) -->\s*$")
_RUN = re.compile(r"^run(?: from the repository|, nothing installed)?$")
_FILE = re.compile(r"^file (\S+?)(, sandbox)?$")
_SKIP = re.compile(r"^skip: \S.*$")
# What a variables file marked `sandbox` is given: the sandbox's Prometheus (filled in by the test), steps of seconds
# instead of minutes and two weights instead of five.
SANDBOX_TIMING = {"interval": "3s", "step_weight": 30, "max_weight": 60}
SANDBOX_WINDOW = "10s"
BUILTIN_CHECKS = [{"name": "request-success-rate", "threshold_range": {"min": 99}},
                  {"name": "request-duration", "threshold_range": {"max": 500}}]


class Block(object):
    def __init__(self, document, line, language, text, marker):
        self.document = document
        self.line = line
        self.language = language
        self.text = text
        self.marker = marker

    def __repr__(self):
        return "%s:%d" % (self.document.relative_to(REPO), self.line)


def fenced_blocks(document):
    """The fenced blocks of a Markdown file, each with the doc-test marker on the line before it (or None)."""
    lines = document.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        indent, language, start = fence.group(1), fence.group(2), index
        index += 1
        body = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][len(indent):] if lines[index].startswith(indent) else lines[index])
            index += 1
        index += 1
        marker = _MARKER.match(lines[start - 1]) if start > 0 else None
        blocks.append(Block(document, start + 1, language, "\n".join(body) + "\n", marker.group(1) if marker else None))
    return blocks


def _runs(document):
    return any(block.marker and _RUN.match(block.marker) for block in fenced_blocks(document))


def test_every_command_block_is_run_or_says_why_not():
    unmarked, unknown = [], []
    for document in DOCUMENTS:
        for block in fenced_blocks(document):
            if block.marker is None:
                if block.language in COMMAND_LANGUAGES:
                    unmarked.append(block)
            elif not (_RUN.match(block.marker) or _FILE.match(block.marker) or _SKIP.match(block.marker)):
                unknown.append((block, block.marker))
    assert unmarked == [], "command blocks with no <!-- doc-test: run | skip: REASON --> before them"
    assert unknown == [], "markers this test does not know"


def _sandbox_vars(text, prometheus_url):
    values = yaml.safe_load(text)
    analysis = dict(values.get("rollout_analysis") or {}, **SANDBOX_TIMING)
    analysis["metrics"] = [dict(check, interval=SANDBOX_WINDOW) for check in analysis.get("metrics") or BUILTIN_CHECKS]
    values["rollout_analysis"] = analysis
    values["rollout_prometheus"] = dict(values.get("rollout_prometheus") or {}, url=prometheus_url)
    return yaml.safe_dump(values, sort_keys=False)


def _environment(home, collections_path, galaxy_url):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "K8S_AUTH_")) and key not in ("KUBECONFIG", "PYTHONPATH")}
    env.update({"HOME": str(home), "PATH": "%s%s%s" % (ansible_playbook.ANSIBLE_VENV / "bin", os.pathsep, os.environ["PATH"]),
                "ANSIBLE_GALAXY_SERVER": galaxy_url, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "false"})
    if collections_path:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    return env


@pytest.fixture
def galaxy(collection_artifacts):
    """Galaxy as the documents' install commands reach it: this collection, built from the checkout, and
    kubernetes.core."""
    with GalaxyStub(list(collection_artifacts.values())) as stub:
        yield stub


@needs_crds
@pytest.mark.parametrize("document", [d for d in DOCUMENTS if _runs(d)], ids=lambda d: str(d.relative_to(REPO)))
def test_the_commands_of_the_document_run_against_the_sandbox(document, request, emulator, kubeconfig, mesh, prometheus_live, tmp_path):
    for namespace in ("test", "prod"):
        podinfo = Podinfo(emulator, kubeconfig, mesh, prometheus_live, tmp_path)
        podinfo.namespace, podinfo.apex_host = namespace, "podinfo." + namespace
        podinfo.load()
    home = Path(os.environ["HOME"])  # this test's own (the emulator fixture's)
    (home / ".kube").mkdir(exist_ok=True)
    shutil.copy(kubeconfig, home / ".kube" / "config")
    scratch = tmp_path / "doc"
    scratch.mkdir()
    galaxy_url = "http://127.0.0.1:9/"  # nothing listens: only blocks marked `nothing installed` reach a Galaxy
    if any(block.marker == "run, nothing installed" for block in fenced_blocks(document)):
        galaxy_url = request.getfixturevalue("galaxy").url

    for block in fenced_blocks(document):
        marker = block.marker or ""
        written = _FILE.match(marker)
        if written:
            path = scratch / written.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_sandbox_vars(block.text, prometheus_live.url) if written.group(2) else block.text, encoding="utf-8")
        elif _RUN.match(marker):
            installed = None if marker == "run, nothing installed" else REPO / ".collections"
            completed = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=str(REPO if "repository" in marker else scratch),
                                       env=_environment(home, installed, galaxy_url), capture_output=True, text=True, timeout=600,
                                       check=False)
            assert completed.returncode == 0, "%r failed (exit %d):\n%s\n%s%s" % (
                block, completed.returncode, block.text, completed.stdout[-6000:], completed.stderr[-4000:])
