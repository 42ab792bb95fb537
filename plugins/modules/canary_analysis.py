#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: canary_analysis
short_description: Run a canary's metric checks once (the Prometheus gate)
version_added: "0.1.0"
description:
  - Runs a list of checks once against the canary workload and returns, per check, the query as sent,
    the value, the bounds, a verdict (C(pass), C(fail), C(no data), C(error)) and a reason a person can act on.
  - Builtin checks are Flagger's Istio queries, C(request-success-rate) (percent of non-5xx requests) and
    C(request-duration) (p99 latency in milliseconds), rendered for the canary workload and namespace with
    the check's O(checks[].interval) as the range window.
  - Custom checks run a PromQL template; web checks read a number from a JSON endpoint with JMESPath.
  - No data (empty result, NaN, missing value) is a failed check unless the check sets O(checks[].on_no_data=pass).
    An unreachable or erroring Prometheus is a failed check with the HTTP status and Prometheus's error text.
  - Queries are reads, so they run in check mode too; in check mode nothing is recorded in the state object.
  - Before the checks, the O(webhooks) of type O(webhook_type) are called, as Flagger calls the rollout hooks
    (load tests, acceptance tests) in each analysis step and the pre-rollout hooks before the first; a failed hook
    fails the run like a failed check, so it is counted and recorded (O(record_in_state)) the same way.
    In check mode these hooks are not called (they trigger actions) and are listed in RV(skipped_hooks).
  - Gates, rollback and post-rollout hooks have their own module, M(progressive.canary.canary_webhook).
  - With O(validate_only), nothing is judged, called or written; the run the inputs describe is checked before it
    starts (the rollout role does this before its first write). Every check and every webhook of O(webhooks), of any
    type, is validated, and every Prometheus query is rendered and sent to Prometheus once to be parsed.
  - Credentials in URLs (C(user:password@), credential query parameters such as C(token) or C(api_key)) and
    incoming-webhook URLs (Slack, Teams, Discord...) are redacted in every result and message, keeping the host and
    path readable, and masked by Ansible wherever else they would appear (see RV(checks[].url)).
author:
  - progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - progressive.canary.common
  - progressive.canary.webhooks
options:
  service:
    description: Name of the apex Service, rendered as C({{ service }}). Defaults to O(target).
    type: str
  name:
    description: Name of the canary, rendered as C({{ name }}). Defaults to O(target).
    type: str
  interval:
    description:
      - Range window of checks that do not set their own O(checks[].interval), a duration such as C(30s), C(1m30s)
        or C(1.5m), written in the query as Prometheus takes it (C(1m30s)).
    type: str
    default: 1m
  evaluation_time:
    description:
      - Evaluate the Prometheus queries at this instant (RFC 3339 or Unix timestamp) instead of now.
    type: str
  prometheus:
    description:
      - How to reach a server speaking the Prometheus HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics).
      - Required unless every check is a web check.
    type: dict
    suboptions:
      url:
        description:
          - Base URL, for example C(http://prometheus.istio-system:9090); C(/api/v1/query) is appended.
          - Only C(http) and C(https) URLs with a host are accepted. Basic-auth credentials may be given in the URL
            (C(https://user:password@host)); they are sent with the first request and never shown.
        type: str
        required: true
      bearer_token:
        description: Bearer token sent in the C(Authorization) header. Mutually exclusive with O(prometheus.username).
        type: str
      username:
        description: Username for basic auth.
        type: str
      password:
        description: Password for basic auth.
        type: str
      headers:
        description:
          - Extra request headers, for example C(X-Scope-OrgID) for Mimir.
          - Treated as secret (no_log), since headers often carry credentials; their values are masked
            wherever they appear in the task output.
        type: dict
      validate_certs:
        description: Verify the server's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signed the server's certificate.
        type: path
      timeout:
        description: Seconds to wait for Prometheus on each socket operation.
        type: float
        default: 10
  checks:
    description:
      - The checks; all run every time, in order. Names must be unique.
      - May be empty only when O(webhooks) has hooks of type O(webhook_type); a gate with nothing to check is refused.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the check. V(request-success-rate) and V(request-duration) without O(checks[].query)
            or O(checks[].web) are the builtin Istio checks.
        type: str
        required: true
      query:
        description:
          - PromQL template of a custom check. It must return a single value (one series, or a scalar);
            several series or a range vector is an error, not a guess.
          - Placeholders C({{ namespace }}), C({{ target }}), C({{ service }}), C({{ name }}), C({{ interval }})
            and user variables as C({{ my_var }}) or C({{ variables.my_var }}); an undefined one is refused.
          - Ansible templates task arguments itself, so mark the query C(!unsafe) (or wrap it in
            C({% raw %})...C({% endraw %})) to pass these placeholders through to the module.
        type: str
      interval:
        description: Range window of this check (C({{ interval }})), a duration as O(interval) takes it. Defaults to O(interval).
        type: str
      template_variables:
        description: User variables for O(checks[].query).
        type: dict
      threshold_range:
        description:
          - Accepted values, inclusive. At least one bound is required.
          - O(checks[].threshold_range.min) may not be above O(checks[].threshold_range.max).
        type: dict
        required: true
        suboptions:
          min:
            description: Lowest accepted value.
            type: float
          max:
            description: Highest accepted value.
            type: float
      on_no_data:
        description:
          - What a check without data counts as. Only an explicit V(pass) makes no data pass.
        type: str
        choices: [fail, pass]
        default: fail
      web:
        description: Read the value from a JSON endpoint instead of Prometheus.
        type: dict
        suboptions:
          url:
            description:
              - URL of the endpoint, C(http) or C(https). Credentials in it (C(user:password@), C(?api_key=...)) are
                redacted in every result and message.
            type: str
            required: true
          method:
            description: HTTP method.
            type: str
            choices: [GET, POST]
            default: GET
          body:
            description: JSON body sent with V(POST).
            type: raw
          value_path:
            description: JMESPath expression selecting the number in the response; nothing found is no data.
            type: str
            required: true
          headers:
            description: Extra request headers, treated as secret (no_log) since they often carry credentials.
            type: dict
          bearer_token:
            description: Bearer token.
            type: str
          username:
            description: Username for basic auth.
            type: str
          password:
            description: Password for basic auth.
            type: str
          timeout:
            description: Seconds to wait on each socket operation.
            type: float
            default: 10
          validate_certs:
            description: Verify the server's TLS certificate.
            type: bool
            default: true
          ca_path:
            description: PEM file of the CA that signed the server's certificate.
            type: path
  webhook_type:
    description: Which of the O(webhooks) to call before the checks.
    type: str
    choices: [rollout, pre-rollout]
    default: rollout
  checksum:
    description: Identifies the canary revision being analysed, sent to the webhooks as C(checksum).
    type: str
    default: ""
  record_in_state:
    description:
      - Count a failed run as one failed check (as Flagger) in the canary's state object, so that the rollout
        role and C(canary_info) see the same C(failed_checks). A passed run writes nothing.
      - Needs the Kubernetes connection options and an initialised canary (the state object is never created here);
        takes the canary's lease for the write (see O(lease_holder)). Nothing is written in check mode.
    type: bool
    default: false
  fail_on_failure:
    description:
      - Fail the task when a check does not pass. The result carries the checks either way.
      - The rollout role sets V(false) and counts failures itself, as Flagger does.
    type: bool
    default: true
  validate_only:
    description:
      - Check the inputs and call nothing. Every check is validated (a known builtin, or a query whose every
        placeholder is defined, or a web spec with an http(s) URL and a valid JMESPath; coherent O(checks[].threshold_range);
        a Prometheus duration as interval), every webhook of O(webhooks), whatever its type, is validated, and every
        Prometheus query is rendered and sent to Prometheus once.
      - A query Prometheus refuses (a PromQL syntax error, answered HTTP 400) fails the task quoting Prometheus's
        message, as do any other 4xx answer (credentials, a wrong path), an answer that is not the Prometheus API, and
        a query returning a range vector. A query without data, or with several series, is fine at this stage (the
        canary may have no traffic yet).
      - An outage (no answer, a 5xx) says nothing about the settings and does not fail the task; the check's
        RV(checks[].parsed) is V(false) and RV(msg) says why (the analysis counts an outage that lasts as failed checks).
      - No webhook and no web endpoint is called, nothing is recorded (O(record_in_state) is ignored); every check is
        returned with the verdict V(valid) and every webhook is listed in RV(skipped_hooks).
    type: bool
    default: false
requirements:
  - jmespath (for web checks)
notes:
  - Supports check mode (queries run, nothing is written).
  - The Kubernetes connection options are used only with O(record_in_state); they are accepted anyway so that
    C(module_defaults) for the C(group/progressive.canary.canary) action group apply.
seealso:
  - module: progressive.canary.canary_webhook
  - name: Flagger metrics analysis
    description: The builtin checks and threshold semantics this module follows.
    link: https://docs.flagger.app/usage/metrics
"""

EXAMPLES = r"""
- name: Gate one analysis step on Flagger's builtin Istio checks and a custom query
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    prometheus:
      url: http://prometheus.istio-system:9090
    checks:
      - name: request-success-rate
        interval: 1m
        threshold_range:
          min: 99
      - name: request-duration
        interval: 30s
        threshold_range:
          max: 500
      # !unsafe keeps Ansible's Jinja2 from templating the query's own {{ }} placeholders.
      - name: error-budget
        query: !unsafe >-
          sum(rate(app_errors_total{namespace="{{ namespace }}", app="{{ target }}", tier="{{ variables.tier }}"}[{{ interval }}]))
        template_variables:
          tier: web
        threshold_range:
          max: 1
    fail_on_failure: false
  register: gate

- name: Before changing anything, check every check and webhook, and let Prometheus parse every query
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    prometheus:
      url: http://prometheus.istio-system:9090
    checks: "{{ canary_checks }}"
    webhooks: "{{ canary_webhooks }}"
    validate_only: true

- name: A signal outside Prometheus
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    checks:
      - name: synthetic-score
        web:
          url: https://probe.example.com/api/score?app=podinfo
          value_path: results[0].score
        threshold_range:
          min: 0.9
"""

RETURN = r"""
passed:
  description: True only when every check passed.
  returned: always
  type: bool
  sample: false
failed_check_names:
  description: Names of the checks that did not pass.
  returned: always
  type: list
  elements: str
  sample: [request-success-rate]
checks:
  description: One entry per check, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the check.
      type: str
      sample: request-success-rate
    type:
      description: V(builtin), V(query) or V(web).
      type: str
      sample: builtin
    query:
      description: The PromQL as sent, or for a web check its JMESPath expression.
      type: str
    interval:
      description: The range window (Prometheus checks only).
      type: str
      sample: 1m
    url:
      description: The endpoint (web checks only), with the credentials in it replaced by C(REDACTED).
      type: str
      sample: https://probe.example.com/api/score?api_key=REDACTED&app=podinfo
    value:
      description: The value found; null for no data, errors and infinite values.
      type: float
      sample: 98.5
    raw_value:
      description: The value as the source returned it (Prometheus sample string, e.g. C(+Inf)); null without one.
      type: str
      sample: "98.5"
    threshold_range:
      description: The bounds applied (null for an open side).
      type: dict
      sample: {"min": 99.0, "max": null}
    verdict:
      description: V(pass), V(fail), V(no data) or V(error); V(valid) with O(validate_only).
      type: str
      sample: fail
    parsed:
      description: Whether Prometheus answered the query (false during an outage).
      returned: with O(validate_only), for builtin and query checks
      type: bool
      sample: true
    passed:
      description: Whether the check counts as passed.
      type: bool
      sample: false
    reason:
      description: Why, with what was queried; for no data which selectors matched nothing.
      type: str
      sample: "check 'request-success-rate' (percent of non-5xx requests): 90 is below the minimum 99"
hooks:
  description:
    - The webhooks called before the checks, one entry per hook, in order (see RV(progressive.canary.canary_webhook#module:hooks)).
  returned: always
  type: list
  elements: dict
failed_hook_names:
  description: Names of the webhooks that failed.
  returned: always
  type: list
  elements: str
  sample: []
skipped_hooks:
  description: Names of the webhooks not called because of check mode, or with O(validate_only) every webhook validated.
  returned: always
  type: list
  elements: str
  sample: []
state:
  description: The canary's state object after recording (without its lease).
  returned: when O(record_in_state=true), except in check mode
  type: dict
  sample: {"phase": "Progressing", "failed_checks": 2, "last_failed_check": "1 of 2 checks failed: ..."}
msg:
  description: One line summarising the outcome.
  returned: always
  type: str
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule
from ansible_collections.progressive.canary.plugins.module_utils.analysis import (
    AnalysisConfigError, record_in_state, run_checks, summary, validate_checks, with_webhooks,
)
from ansible_collections.progressive.canary.plugins.module_utils.connection import (
    CanaryApiError, HAS_KUBERNETES, KUBERNETES_IMPORT_ERROR,
)
from ansible_collections.progressive.canary.plugins.module_utils.module_args import api_from_params, argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.prometheus_api import PrometheusConnection, PrometheusError
from ansible_collections.progressive.canary.plugins.module_utils.state import StateError, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.webhooks import (
    HOOK_ARGUMENT_SPEC, WebhookConfigError, build_payload, prepare_hooks, run_webhooks,
)

PROMETHEUS_SPEC = dict(
    url=dict(type="str", required=True),
    bearer_token=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    headers=dict(type="dict", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="float", default=10),
)

WEB_SPEC = dict(
    url=dict(type="str", required=True),
    method=dict(type="str", choices=["GET", "POST"], default="GET"),
    body=dict(type="raw"),
    value_path=dict(type="str", required=True),
    headers=dict(type="dict", no_log=True),
    bearer_token=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    timeout=dict(type="float", default=10),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)

CHECK_SPEC = dict(
    name=dict(type="str", required=True),
    query=dict(type="str"),
    interval=dict(type="str"),
    template_variables=dict(type="dict"),
    threshold_range=dict(type="dict", required=True, options=dict(min=dict(type="float"), max=dict(type="float"))),
    on_no_data=dict(type="str", choices=["fail", "pass"], default="fail"),
    web=dict(type="dict", options=WEB_SPEC),
)

ANALYSIS_SPEC = dict(
    service=dict(type="str"),
    name=dict(type="str"),
    interval=dict(type="str", default="1m"),
    evaluation_time=dict(type="str"),
    prometheus=dict(type="dict", options=PROMETHEUS_SPEC),
    checks=dict(type="list", elements="dict", default=[], options=CHECK_SPEC),
    webhooks=dict(type="list", elements="dict", default=[], options=HOOK_ARGUMENT_SPEC),
    webhook_type=dict(type="str", choices=["rollout", "pre-rollout"], default="rollout"),
    checksum=dict(type="str", default=""),
    record_in_state=dict(type="bool", default=False),
    fail_on_failure=dict(type="bool", default=True),
    validate_only=dict(type="bool", default=False),
)


def record(module, outcome):
    """Write the outcome into the canary's state object; any failure ends the task with the reason."""
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR), **outcome)
    params = module.params
    store = StateStore(api_from_params(params), CanaryNames(params["target"], params["namespace"]))
    return record_in_state(store, outcome, params["lease_holder"], params["lease_seconds"])


def validate(params, context):
    """validate_only: every check and every webhook validated, every query parsed by Prometheus; nothing called."""
    hooks = prepare_hooks(params["webhooks"])
    connection = PrometheusConnection.from_params(params["prometheus"]) if params["prometheus"] else None
    outcome = {"passed": True, "checks": [], "failed_check_names": []}
    if params["checks"]:
        outcome = validate_checks(connection, params["checks"], context, at_time=params["evaluation_time"])
    outcome = with_webhooks(outcome, {"passed": True, "hooks": [], "skipped": [hook["name"] for hook in hooks]})
    parsed = [check["name"] for check in outcome["checks"] if check.get("parsed")]
    unparsed = [check["reason"] for check in outcome["checks"] if check.get("parsed") is False]
    outcome["msg"] = ("valid: %d checks (%d queries parsed by Prometheus) and %d webhooks; nothing was called or written%s"
                      % (len(outcome["checks"]), len(parsed), len(hooks), "".join("; " + reason for reason in unparsed)))
    return outcome


def analyse(params, context, check_mode):
    """Call the webhooks of the type (Flagger calls them first), then run the checks; one outcome for both."""
    if params["validate_only"]:
        return validate(params, context)
    hooks = [hook for hook in params["webhooks"] if hook["type"] == params["webhook_type"]]
    payload = build_payload(params["name"] or params["target"], params["namespace"], "Progressing", params["checksum"])
    if not params["checks"] and not hooks:
        raise AnalysisConfigError("no checks and no %s webhooks given: an empty gate cannot fail, so it is refused" % params["webhook_type"])
    hooks_outcome = run_webhooks(hooks, params["webhook_type"], payload, check_mode=check_mode)
    checks_outcome = {"passed": True, "checks": [], "failed_check_names": []}
    if params["checks"]:
        connection = PrometheusConnection.from_params(params["prometheus"]) if params["prometheus"] else None
        checks_outcome = run_checks(connection, params["checks"], context, at_time=params["evaluation_time"])
    return with_webhooks(checks_outcome, hooks_outcome)


def main():
    module = CanaryModule(argument_spec=argument_spec(ANALYSIS_SPEC), supports_check_mode=True)
    params = module.params
    context = dict((key, params[key]) for key in ("namespace", "target", "service", "name", "interval"))
    try:
        outcome = analyse(params, context, module.check_mode)
    except (AnalysisConfigError, PrometheusError, WebhookConfigError, ValueError) as exc:
        module.fail_json(msg="invalid analysis: %s" % exc)
    result = dict(changed=False, msg=outcome.pop("msg", None) or summary(outcome), **outcome)
    if params["record_in_state"] and not module.check_mode and not params["validate_only"]:
        try:
            result["state"] = record(module, outcome)
        except (CanaryApiError, StateError) as exc:
            module.fail_json(msg="%s; recording the outcome in the state object failed: %s" % (result["msg"], exc), **outcome)
        result["changed"] = not outcome["passed"]
    if not outcome["passed"] and params["fail_on_failure"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
