"""What a module process and a forked Ansible worker import when they load our code.

Every module process compiles what it imports from the AnsiballZ zip (nothing of the collection is cached as bytecode
there), and every worker is a fresh fork loading our filter plugins: an import that a module or filter does not use is
CPU paid per task. Action plugins (and through them the modules they run in the worker) load once, in ansible-playbook.
Each case is a fresh fork of an interpreter that already holds what the real process holds before our code loads
(``ansible.module_utils.basic`` for a module; the plugin loaders for a plugin, as in ansible-playbook), and looks
at what importing the file added to ``sys.modules``.
"""
import base64
import io
import json
import os
import re
import subprocess
import sys
import zipfile

from tests.ansible_playbook import ANSIBLE_VENV, playbook_env

PLUGINS = os.path.join(os.path.dirname(__file__), "..", "..", "plugins")
PACKAGE = "ansible_collections.progressive.canary.plugins"
MODULE_UTILS = PACKAGE + ".module_utils"
ROUTERS = dict((name, "%s.routers.%s" % (MODULE_UTILS, name))
               for name in ("istio", "gateway_api", "gateway_api_options", "openshift_route", "kubernetes"))

# Only a request sent needs Ansible's HTTP client (cryptography, email, http.cookiejar); only a web check needs jmespath;
# only kubernetes.core's client needs the kubernetes package; a router only when its provider is asked for.
NOT_AT_IMPORT = ["ansible.module_utils.urls", "cryptography", "jmespath", "kubernetes"] + sorted(ROUTERS.values())
# A filter plugin is loaded afresh in each worker (a fork of ansible-playbook) that templates with it, which sends no
# request and talks to no cluster. An action plugin is loaded once, in ansible-playbook before it forks the workers
# (plugin_utils/in_worker.py): it imports its module, so NOT_AT_IMPORT applies to it as to the module.
NOT_IN_A_FILTER = NOT_AT_IMPORT + [
    "http.client", "urllib.request", "ssl",
    MODULE_UTILS + ".kube.connection", MODULE_UTILS + ".analysis.http_client", MODULE_UTILS + ".analysis.prometheus_api"]

# Runs in a fresh interpreter: preloads, then for each case forks, runs the case's code and prints the modules it added.
PROBE = r"""
import json, os, sys
preload, cases = json.loads(sys.argv[1])
for name in preload:
    __import__(name)
added = {}
for key, code in cases:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        before = set(sys.modules)
        exec(code, {})
        os.write(write, json.dumps(sorted(set(sys.modules) - before)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        added[key] = json.loads(pipe.read() or "null")
    os.waitpid(pid, 0)
print(json.dumps(added))
"""


def added_modules(preload, cases):
    """{key: the names importing ``code`` added to sys.modules} for each (key, code) of ``cases``."""
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps([preload, cases])],
                         capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    return json.loads(out.stdout)


def loaded(names, prefixes):
    """The names that are one of ``prefixes`` or inside one of them."""
    return sorted(name for name in names for prefix in prefixes if name == prefix or name.startswith(prefix + "."))


def plugin_files(kind):
    return sorted(name[:-3] for name in os.listdir(os.path.join(PLUGINS, kind)) if name.endswith(".py"))


def test_module_files_import_no_http_client_no_cryptography_no_router():
    modules = plugin_files("modules")
    added = added_modules(["ansible.module_utils.basic"],
                          [(name, "import %s.modules.%s" % (PACKAGE, name)) for name in modules])
    assert len(added) == 12
    for name in modules:
        assert added[name] is not None and PACKAGE + ".modules." + name in added[name], name
        assert loaded(added[name], NOT_AT_IMPORT) == [], name


def test_filter_plugins_import_no_client():
    cases = [(name, "import %s.filter.%s" % (PACKAGE, name)) for name in plugin_files("filter")]
    added = added_modules(["ansible.module_utils.basic", "ansible.plugins.filter"], cases)
    for key, code in cases:
        assert added[key] is not None and code.split()[-1] in added[key], key
        assert loaded(added[key], NOT_IN_A_FILTER) == [], key


def test_each_module_has_an_action_plugin_importing_it_and_no_client():
    """Every module runs through its action plugin (in the worker where it may), which holds the module's code."""
    assert plugin_files("action") == plugin_files("modules")
    cases = [(name, "import %s.action.%s" % (PACKAGE, name)) for name in plugin_files("action")]
    added = added_modules(["ansible.module_utils.basic", "ansible.plugins.action"], cases)
    for key, code in cases:
        assert added[key] is not None and code.split()[-1] in added[key], key
        assert "%s.modules.%s" % (PACKAGE, key) in added[key], key
        assert loaded(added[key], NOT_AT_IMPORT) == [], key


def test_a_provider_imports_its_own_router_only():
    providers = {"istio": "istio", "gatewayapi": "gateway_api", "openshift": "openshift_route"}
    code = "from %s.routers import factory\nassert factory.router_for(%%r).PROVIDER == %%r\nfactory.service_router()" % MODULE_UTILS
    added = added_modules(["ansible.module_utils.basic"],
                          [(provider, code % (provider, provider)) for provider in sorted(providers)])
    for provider, router in providers.items():
        assert added[provider] is not None, "the case of %s failed (its traceback is on stderr)" % provider
        expected = set([ROUTERS[router], ROUTERS["kubernetes"]])
        if router == "gateway_api":
            expected.add(ROUTERS["gateway_api_options"])
        assert set(loaded(added[provider], ROUTERS.values())) == expected, provider


def test_the_module_zip_still_holds_what_is_imported_late(tmp_path):
    """AnsiballZ packages what a module may import, the imports inside functions too: a router asked for by name, and
    Ansible's HTTP client, must be in the zip although no module imports them at its start."""
    env = dict(playbook_env(tmp_path), ANSIBLE_KEEP_REMOTE_FILES="1")
    # No options: the module fails on its arguments, after Ansible built and kept its AnsiballZ file (a module process:
    # not in the worker).
    subprocess.run([str(ANSIBLE_VENV / "bin" / "ansible"), "localhost", "-c", "local", "-m", "progressive.canary.canary_advance",
                    "-e", "progressive_canary_in_worker=false"],
                   env=env, cwd=str(tmp_path), capture_output=True, check=False)
    wrappers = list((tmp_path / "ansible-remote").glob("*/AnsiballZ_canary_advance.py"))
    assert len(wrappers) == 1, wrappers
    payload = re.search(r"([A-Za-z0-9+/=]{10000,})", wrappers[0].read_text()).group(1)
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload))).namelist()
    wanted = ["ansible/module_utils/urls.py"] + ["%s.py" % module.replace(".", "/") for module in ROUTERS.values()]
    assert [name for name in wanted if name not in names] == []
