"""The AWX objects docs/awx.md sets up and no test can run without AWX, checked as data: the survey's questions and the
workflow nodes' extra data are options of the rollout role and, with the project's variables and the Prometheus
credential's injection, pass the role's argument spec as the job would receive them; the Prometheus credential
injects the options canary_analysis takes for Prometheus (its token as a no_log one); the Kubernetes credential's
variables are those kubernetes.core reads."""
import json
import re

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from jinja2 import Environment, StrictUndefined

from ansible_collections.progressive.canary.plugins.module_utils.arguments.analysis import PROMETHEUS
from tests.e2e.test_docs import fenced_blocks
from tests.integration.canary_scenario import REPO

AWX_DOC = REPO / "docs" / "awx.md"
ROLE_OPTIONS = yaml.safe_load((REPO / "roles" / "rollout" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))[
    "argument_specs"]["main"]["options"]
# AWX survey question types -> the role option type their answer has.
SURVEY_TYPES = {"text": "str", "textarea": "str", "password": "str", "integer": "int", "float": "float",
                "multiplechoice": "str", "multiselect": "list"}
K8S_AUTH_FRAGMENT = REPO / ".collections" / "ansible_collections" / "kubernetes" / "core" / "plugins" / "doc_fragments" / "k8s_auth_options.py"


def _doc_file(path):
    """The block docs/awx.md writes to ``path`` (<!-- doc-test: file PATH[, sandbox] -->), parsed."""
    blocks = [block.text for block in fenced_blocks(AWX_DOC) if block.marker in ("file " + path, "file %s, sandbox" % path)]
    assert len(blocks) == 1, "docs/awx.md writes %s once" % path
    return yaml.safe_load(blocks[0])  # JSON is YAML


def _survey():
    return _doc_file("awx/survey.json")


def _prometheus_injection(url="https://prometheus.example.com", token="a-token"):
    """The extra variables AWX's injector renders for a credential of the Prometheus type."""
    credential_type = _doc_file("awx/prometheus-credential-type.yml")
    rendered = Environment(undefined=StrictUndefined).from_string(json.dumps(credential_type["injectors"]["extra_vars"]))
    return json.loads(rendered.render(url=url, token=token))


def _job_extra_vars(answers):
    """What a job of the template receives: the project's variables, the credential's injection, the survey answers."""
    return dict(_doc_file("vars/podinfo.yml"), **_prometheus_injection(), **answers)


def _role_errors(extra_vars):
    """The role's argument spec validation errors for these variables (none: the role accepts them)."""
    result = ArgumentSpecValidator(ROLE_OPTIONS).validate(extra_vars)
    return [str(error) for error in result.errors]


def test_the_survey_asks_for_role_options_with_their_types():
    survey = _survey()
    assert survey["name"] and survey["spec"]
    variables = [question["variable"] for question in survey["spec"]]
    assert len(set(variables)) == len(variables)
    assert {"rollout_image", "rollout_target", "rollout_namespace"} <= set(variables), "image and target, as the issue asks"
    for question in survey["spec"]:
        assert {"question_name", "variable", "type", "required"} <= set(question), question
        option = ROLE_OPTIONS[question["variable"]]
        assert SURVEY_TYPES[question["type"]] == option.get("type", "str"), question
        if question["type"] == "multiplechoice":
            assert set(question["choices"]) <= set(option["choices"]), question


def test_the_job_with_the_surveys_answers_passes_the_roles_argument_spec():
    answers = {question["variable"]: question.get("default", "stefanprodan/podinfo:3.1.1") for question in _survey()["spec"]}
    assert _role_errors(_job_extra_vars(answers)) == []
    del answers["rollout_namespace"]
    assert _role_errors(_job_extra_vars(answers)) != [], "the project's variables leave the namespace to the survey"


def test_the_prometheus_credential_injects_what_canary_analysis_takes():
    credential_type = _doc_file("awx/prometheus-credential-type.yml")
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert fields["token"].get("secret") is True, "AWX hides the token"
    assert set(credential_type["inputs"]["required"]) <= set(fields)
    injected = _prometheus_injection()["rollout_prometheus"]
    assert injected == {"url": "https://prometheus.example.com", "bearer_token": "a-token"}
    assert set(injected) <= set(PROMETHEUS) and PROMETHEUS["bearer_token"].get("no_log") is True


def test_the_kubernetes_credentials_variables_are_those_kubernetes_core_reads():
    text = AWX_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"\bK8S_AUTH_[A-Z_]+", text))
    assert {"K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_VERIFY_SSL", "K8S_AUTH_SSL_CA_CERT"} <= documented
    read_by_kubernetes_core = set(re.findall(r"\bK8S_AUTH_[A-Z_]+", K8S_AUTH_FRAGMENT.read_text(encoding="utf-8")))
    assert documented <= read_by_kubernetes_core


def test_the_workflow_chains_two_releases_through_an_approval():
    nodes = {node["identifier"]: node for node in _doc_file("awx/workflow-nodes.json")}
    starts = set(nodes) - {child for node in nodes.values() for child in node.get("success_nodes", [])}
    chain, current = [], starts.pop() if len(starts) == 1 else None
    while current:
        chain.append(nodes[current])
        following = nodes[current].get("success_nodes", [])
        assert len(following) <= 1
        current = following[0] if following else None
    assert len(chain) == len(nodes) == 3, "one chain through every node"
    first, approval, second = chain
    assert "approval" in approval and approval["approval"]["name"] and approval["approval"]["timeout"] > 0
    survey_variables = {question["variable"] for question in _survey()["spec"]}
    namespaces = []
    for node in (first, second):
        assert node["unified_job_template"] == "Release"
        assert set(node["extra_data"]) <= survey_variables, "a node's extra data answers the job template's survey"
        answers = dict({question["variable"]: question.get("default", "stefanprodan/podinfo:3.1.1") for question in _survey()["spec"]},
                       **node["extra_data"])
        assert _role_errors(_job_extra_vars(answers)) == []
        namespaces.append(answers["rollout_namespace"])
    assert namespaces[0] != namespaces[1], "two waves, two canaries"
