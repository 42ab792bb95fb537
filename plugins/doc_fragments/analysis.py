# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_analysis's options: CHECKS (those canary_advance shares too) and DOCUMENTATION (its own); specified by
plugins/module_utils/arguments/analysis.py (ANALYSIS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The checks and what they are evaluated with (CHECKS in arguments/analysis.py): canary_analysis and canary_advance.
    CHECKS = r"""
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
      - For canary_analysis, may be empty only when O(webhooks) has hooks of its C(webhook_type); a gate with nothing to
        check is refused. canary_advance takes a step without checks (and without rollout hooks) as passed.
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
          - Accepted values, inclusive. At least one bound is required, except on a comparison check
            (O(checks[].compare_with_primary)), which may not have one.
          - O(checks[].threshold_range.min) may not be above O(checks[].threshold_range.max).
        type: dict
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
      compare_with_primary:
        description:
          - Makes the check a comparison of the canary with the primary on the same metric, instead of fixed bounds
            (no O(checks[].threshold_range)), either a builtin (the check's name, or O(checks[].compare_with_primary.metric)) or
            a O(checks[].query) selecting one side with C({{ workload }}) (rendered as the canary's Deployment, then
            the primary's, C(<target>-primary)).
          - Both sides are sampled by a Prometheus range query over the check's O(checks[].interval), one sample per
            O(checks[].compare_with_primary.step), each the query over that step (C({{ interval }}) is the step). A
            Mann-Whitney U test compares them; the check fails only when the canary is significantly (at
            O(checks[].compare_with_primary.confidence)) AND materially (beyond
            O(checks[].compare_with_primary.max_degradation)) worse.
          - Fewer than O(checks[].compare_with_primary.min_samples) samples (NaN ones do not count) on either side is
            V(no data), which a comparison never counts as passed (O(checks[].on_no_data) must stay V(fail)).
          - The check's result (C(comparison) in its entry of the result's C(checks)) carries both medians, the effect, the p-value and the sample counts.
        type: dict
        suboptions:
          metric:
            description:
              - The builtin compared, when the check's name is not one (so that a fixed check of the same builtin
                can sit beside it under the builtin's name).
            type: str
            choices: [request-success-rate, request-duration]
          step:
            description:
              - One sample per step, each measured over the step alone, so that no two samples share a request. At
                least twice Prometheus' scrape interval, since a rate needs two scrapes in its window.
            type: str
            default: 10s
          confidence:
            description: Confidence of the test in percent; the canary is significantly worse when p < 1 - confidence / 100.
            type: float
            default: 95
          max_degradation:
            description:
              - How much worse the canary's median may be than the primary's, relative, in percent, before a significant
                difference fails the check.
              - Defaults to V(0.25) for V(request-success-rate) (a success rate lives just under 100; 99.95 to 99.4 is
                0.55 % less) and V(10) for V(request-duration) and custom queries.
            type: float
          direction:
            description:
              - Which change is worse. V(decrease) (a one-sided test; the default for V(request-success-rate)),
                V(increase) (one-sided; the default for V(request-duration)) or V(either) (two-sided; the default for a
                custom query).
            type: str
            choices: [decrease, increase, either]
          min_samples:
            description:
              - Samples each side needs (at least 3); fewer is V(no data). The interval must hold this many steps.
            type: int
            default: 5
  checksum:
    description: Identifies the canary revision being analysed, sent to the webhooks as C(checksum).
    type: str
    default: ""
"""

    # A literal of its own (ansible-test reads fragments as plain strings); canary_analysis extends this and CHECKS.
    DOCUMENTATION = r"""
options:
  webhook_type:
    description: Which of the O(webhooks) to call before the checks.
    type: str
    choices: [rollout, pre-rollout]
    default: rollout
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
"""
