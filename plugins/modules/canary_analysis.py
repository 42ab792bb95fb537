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
  - Builtin checks are Flagger's C(request-success-rate) (percent of non-5xx requests) and C(request-duration),
    rendered for the canary workload and namespace with the check's O(checks[].interval) as the range window, on
    the metrics of O(provider). With C(istio) and C(gatewayapi) (on Istio), Flagger's Istio queries; there
    C(request-duration) is the p99 latency in milliseconds. With C(openshift), the OpenShift router's HAProxy metrics
    of the C(<target>-canary) Service's pods (C(haproxy_server_http_responses_total),
    C(haproxy_server_http_average_response_latency_milliseconds)); there C(request-duration) is the slowest canary
    pod's average response time in milliseconds, HAProxy keeping no latency histogram.
  - A builtin check with a provider that has no standard metrics is refused before any query; use a custom check.
  - Custom checks run a PromQL template; web checks read a number from a JSON endpoint with JMESPath.
  - No data (empty result, NaN, missing value) is a failed check unless the check sets O(checks[].on_no_data=pass).
    An unreachable or erroring Prometheus is a failed check with the HTTP status and Prometheus's error text.
  - Queries are reads, so they run in check mode too; in check mode nothing is recorded in the state object.
  - Before the checks, the O(webhooks) of type O(webhook_type) are called, as Flagger calls the rollout hooks
    (load tests, acceptance tests) in each analysis step and the pre-rollout hooks before the first; a failed hook
    fails the run like a failed check, so it is counted and recorded (O(record_in_state)) the same way.
    In check mode these hooks are not called (they trigger actions) and are listed in RV(skipped_hooks).
  - With O(record_in_state), a run that did not pass also leaves a Kubernetes Event of type Warning on the target
    Deployment per failed check or hook, in Flagger's words (C(Halt podinfo.test advancement request-success-rate
    95.00 < 99)), and sends a V(warn) notification per failed check to the O(alerts) that want it; neither a failed
    Event write nor a failed notifier fails the task (a warning).
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
  - progressive.canary.analysis
  - progressive.canary.analysis.checks
  - progressive.canary.alerts
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

- name: On OpenShift, the same builtin checks on the router's HAProxy metrics
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    provider: openshift
    prometheus:
      url: https://thanos-querier.openshift-monitoring.svc:9091
      bearer_token: "{{ prometheus_token }}"
    checks:
      - name: request-success-rate
        interval: 1m
        threshold_range:
          min: 99
      - name: request-duration
        interval: 1m
        threshold_range:
          max: 500

- name: Before changing anything, check every check and webhook, and let Prometheus parse every query
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    prometheus:
      url: http://prometheus.istio-system:9090
    checks: "{{ canary_checks }}"
    webhooks: "{{ canary_webhooks }}"
    validate_only: true

- name: Judge the canary against the primary (Mann-Whitney U test), not only against fixed bounds
  progressive.canary.canary_analysis:
    namespace: test
    target: podinfo
    interval: 5m                 # the samples' window
    prometheus:
      url: http://prometheus.istio-system:9090
    checks:
      - name: request-success-rate
        compare_with_primary:
          step: 30s              # one sample per 30 s of each side
      - name: p99-vs-primary
        compare_with_primary:
          metric: request-duration
          max_degradation: 20    # percent
      - name: queue-depth-vs-primary
        query: !unsafe max(queue_depth{namespace="{{ namespace }}", workload="{{ workload }}"})
        compare_with_primary:
          direction: increase

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
      description: V(builtin), V(query), V(web) or V(comparison) (O(checks[].compare_with_primary)).
      type: str
      sample: builtin
    query:
      description: The PromQL as sent, or for a web check its JMESPath expression.
      type: str
    interval:
      description: The range window (Prometheus checks only); for a comparison the window the samples are taken over.
      type: str
      sample: 1m
    url:
      description: The endpoint (web checks only), with the credentials in it replaced by C(REDACTED).
      type: str
      sample: https://probe.example.com/api/score?api_key=REDACTED&app=podinfo
    value:
      description: The value found (for a comparison the canary's median); null for no data, errors and infinite values.
      type: float
      sample: 98.5
    raw_value:
      description: The value as the source returned it (Prometheus sample string, e.g. C(+Inf)); null without one.
      type: str
      sample: "98.5"
    threshold_range:
      description: The bounds applied (null for an open side); null for a comparison.
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
    comparison:
      description:
        - What a comparison with the primary found. The numbers are null when a side had too few samples.
      returned: for comparison checks
      type: dict
      contains:
        canary_median:
          description: Median of the canary's samples.
          type: float
          sample: 99.41
        primary_median:
          description: Median of the primary's samples.
          type: float
          sample: 99.95
        effect:
          description: The canary's median relative to the primary's, in percent (negative is lower); null when the
            primary's median is 0 and the canary's is not.
          type: float
          sample: -0.54
        p_value:
          description: The Mann-Whitney U test's p-value, one-sided in O(checks[].compare_with_primary.direction).
          type: float
          sample: 0.003
        u_statistic:
          description: The U statistic of the canary's samples.
          type: float
        method:
          description: V(exact) (no ties, at most 50 samples per side) or V(asymptotic) (normal, tie and continuity corrected).
          type: str
          sample: asymptotic
        canary_samples:
          description: Number of the canary's samples (NaN ones are not counted).
          type: int
          sample: 30
        primary_samples:
          description: Number of the primary's samples.
          type: int
          sample: 30
        canary_dropped:
          description: The canary's samples that were NaN (no request in that step) and left out.
          type: int
          sample: 0
        primary_dropped:
          description: The primary's samples left out as NaN.
          type: int
          sample: 0
        direction:
          description: Which change counted as worse.
          type: str
          sample: decrease
        confidence:
          description: Confidence in percent.
          type: float
          sample: 95.0
        max_degradation:
          description: The allowed relative degradation in percent.
          type: float
          sample: 0.25
        step:
          description: One sample per step.
          type: str
          sample: 10s
        workloads:
          description: What C({{ workload }}) was for each side.
          type: dict
          sample: {"canary": "podinfo", "primary": "podinfo-primary"}
        primary_query:
          description: The primary's query as sent (RV(checks[].query) is the canary's).
          type: str
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

from ansible_collections.progressive.canary.plugins.module_utils.analysis.analysis_run import run_analysis
from ansible_collections.progressive.canary.plugins.module_utils.arguments.alerts import ALERTS
from ansible_collections.progressive.canary.plugins.module_utils.arguments.analysis import ANALYSIS
from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.webhooks import WEBHOOKS
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing

ARGUMENT_SPEC = argument_spec(ANALYSIS, WEBHOOKS, ALERTS)


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    with failing(module):
        result = run_analysis(module.params, module.check_mode, module.kube_api)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
