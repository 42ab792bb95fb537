"""Each argument-spec piece (plugins/module_utils/arguments/) says what the doc fragment of the same name documents,
and every module's whole spec what its documentation (with its fragments) says: same option names, types, elements,
defaults, choices, required flags, aliases and suboptions, so that neither can drift from the other."""
import importlib

import pytest
import yaml

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.arguments import analysis, common, release, routing, service, strategy, webhooks

COLLECTIONS = {"progressive.canary": "ansible_collections.progressive.canary.plugins.doc_fragments",
               "kubernetes.core": "ansible_collections.kubernetes.core.plugins.doc_fragments"}
MODULES = ["canary_advance", "canary_analysis", "canary_cleanup", "canary_image", "canary_info", "canary_init", "canary_lease",
           "canary_promote", "canary_rollback", "canary_shift", "canary_webhook"]

# (spec piece, the doc fragment documenting it: name and variable)
PAIRS = [
    (common.COMMON, "progressive.canary.common", "DOCUMENTATION"),
    (common.SELECTOR, "progressive.canary.common", "SELECTOR"),
    (service.SERVICE, "progressive.canary.service", "DOCUMENTATION"),
    (release.RELEASE, "progressive.canary.release", "DOCUMENTATION"),
    (routing.ROUTING, "progressive.canary.routing", "DOCUMENTATION"),
    (strategy.STRATEGY, "progressive.canary.strategy", "DOCUMENTATION"),
    (strategy.PROMOTION, "progressive.canary.strategy", "PROMOTION"),
    (strategy.SHAPE, "progressive.canary.strategy", "SHAPE"),
    (webhooks.WEBHOOKS, "progressive.canary.webhooks", "DOCUMENTATION"),
    (analysis.ANALYSIS_OWN, "progressive.canary.analysis", "DOCUMENTATION"),
    (analysis.CHECKS, "progressive.canary.analysis", "CHECKS"),
    (AUTH_ARG_SPEC, "kubernetes.core.k8s_auth_options", "DOCUMENTATION"),
]


def fragment(name, variable="DOCUMENTATION"):
    """The parsed YAML of a doc fragment given as in extends_documentation_fragment (``ns.coll.name[.var]``)."""
    parts = name.split(".")
    collection, file_name = ".".join(parts[:2]), parts[2]
    source = importlib.import_module("%s.%s" % (COLLECTIONS[collection], file_name)).ModuleDocFragment
    return yaml.safe_load(getattr(source, (parts[3] if len(parts) > 3 else variable).upper()))


def _normalized(options, nested):
    """What documentation and spec both say of each option (Ansible's defaults made explicit); ``nested`` is where
    suboptions are: ``options`` in a spec, ``suboptions`` in documentation."""
    return dict((name, {
        "type": entry.get("type", "str"),
        "elements": entry.get("elements"),
        "default": entry.get("default"),
        "choices": entry.get("choices"),
        "required": bool(entry.get("required", False)),
        "aliases": sorted(entry.get("aliases") or []),
        "options": _normalized(entry[nested], nested) if entry.get(nested) else None,
    }) for name, entry in (options or {}).items())


def described(spec):
    return _normalized(spec, "options")


def documented(options):
    return _normalized(options, "suboptions")


def module_options(module):
    """A module's options as ansible-doc shows them: its own and those of every fragment it extends."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert isinstance(doc.get("options", {}), dict), "an empty options: is refused by ansible-doc when fragments add options"
    options = dict(doc.get("options") or {})
    for name in doc.get("extends_documentation_fragment") or []:
        options.update(fragment(name).get("options") or {})
    return options


@pytest.mark.parametrize("spec, name, variable", PAIRS, ids=["%s.%s" % (name, variable) for piece, name, variable in PAIRS])
def test_each_spec_piece_is_what_its_fragment_documents(spec, name, variable):
    assert described(spec) == documented(fragment(name, variable)["options"])


@pytest.mark.parametrize("name", MODULES)
def test_each_module_takes_what_its_documentation_says(name):
    module = importlib.import_module("ansible_collections.progressive.canary.plugins.modules." + name)
    assert described(module.ARGUMENT_SPEC) == documented(module_options(module))


def test_a_drift_is_seen():
    drifted = dict(service.SERVICE["service"]["options"], port_name={"type": "str", "default": "web"})
    assert described({"service": dict(service.SERVICE["service"], options=drifted)}) != documented(
        fragment("progressive.canary.service")["options"])
