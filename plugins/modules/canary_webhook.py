#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: canary_webhook
short_description: Call a canary's webhooks of one type, with gates that time out
version_added: "0.1.0"
description:
  - Calls, in order, the webhooks of O(webhooks) whose type is O(type), with Flagger's semantics, and ignores
    the others, so a canary's whole webhook list can be passed every time.
  - Each call is a POST of JSON C({name, namespace, phase, checksum, metadata}); an answer with status 202 or
    lower is success, anything else or no answer within the hook's timeout is failure.
  - V(pre-rollout), V(rollout) and V(post-rollout) hooks are called once.
  - Gates (V(confirm-rollout), V(confirm-traffic-increase), V(confirm-promotion)) are called every
    O(webhooks[].poll_interval) until one answers success (open) or the hook's O(webhooks[].gate_timeout)
    runs out; unlike Flagger's gates they do time out, and then fail with the last answer in the message.
  - V(rollback) hooks are called once; success means the hook asks for a rollback (RV(rollback_requested)).
    Errors mean no rollback, and rollback hooks never fail the task.
  - In check mode only gates and rollback hooks (questions) are called; the others trigger actions
    (tests, load, notifications) and are reported in RV(skipped).
  - Every hook of O(webhooks) is validated, whatever its type, before any is called; a bad definition (a URL that is
    not C(http) or C(https), a duration that is not one) is refused at the first call, not when its turn comes.
  - With O(lease_holder), the canary's lease is kept renewed while gates poll, so that a run holding it (the
    rollout role, see M(progressive.canary.canary_lease)) keeps it through a gate that waits longer than the lease
    lasts. Only then does the module talk to Kubernetes (the connection options); it never creates a state object.
author:
  - progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
  - progressive.canary.webhooks
  - kubernetes.core.k8s_auth_options
options:
  type:
    description: Which hooks to call now.
    type: str
    required: true
    choices: [confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback]
  name:
    description: Name of the canary (its target Deployment), sent as C(name).
    type: str
    required: true
    aliases: [target]
  namespace:
    description: Namespace of the canary, sent as C(namespace).
    type: str
    required: true
  phase:
    description: The canary's phase (Flagger's names, for example C(Progressing)), sent as C(phase).
    type: str
    default: Progressing
  checksum:
    description: Identifies the canary revision being rolled out, sent as C(checksum).
    type: str
    default: ""
  lease_holder:
    description:
      - Holder of the canary's lease to keep renewed while gates poll (the run's holder, as given to the other
        canary modules). A run lease of this holder is joined and left held; a free lease is taken for the call and
        released at its end; another live holder's lease fails the task before any hook is called.
      - Unset, no lease is kept and Kubernetes is not contacted.
    type: str
  lease_seconds:
    description: Validity of the lease in seconds, as for the other canary modules; renewed every third of it.
    type: int
    default: 300
  request_timeout:
    description: Seconds to wait for any single Kubernetes API request (only used with O(lease_holder)).
    type: float
    default: 30
  fail_on_failure:
    description:
      - Fail the task when a hook fails or a gate stays closed. Set V(false) to read RV(passed) instead
        (Flagger only logs failed V(post-rollout) hooks).
    type: bool
    default: true
notes:
  - Supports check mode (see description for what is called).
seealso:
  - module: progressive.canary.canary_analysis
  - name: Flagger webhooks
    description: The hook types and payload this module follows.
    link: https://docs.flagger.app/usage/webhooks
"""

EXAMPLES = r"""
- name: Wait for a manual approval before promoting, for at most 30 minutes
  progressive.canary.canary_webhook:
    type: confirm-promotion
    name: podinfo
    namespace: test
    phase: WaitingPromotion
    checksum: "{{ canary_revision }}"
    webhooks:
      - name: approval
        type: confirm-promotion
        url: http://flagger-loadtester.test/gate/check
        gate_timeout: 30m
        poll_interval: 15s
      - name: load-test
        type: rollout
        url: http://flagger-loadtester.test/
        timeout: 5s
        metadata:
          cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"

- name: Ask the rollback hooks whether to abort
  progressive.canary.canary_webhook:
    type: rollback
    name: podinfo
    namespace: test
    webhooks: "{{ canary_webhooks }}"
  register: rollback_hooks
"""

RETURN = r"""
passed:
  description: True when every called hook succeeded (gates opened); true when none was called.
  returned: always
  type: bool
  sample: true
rollback_requested:
  description: True when a rollback hook answered success.
  returned: always
  type: bool
  sample: false
skipped:
  description: Names of hooks not called because of check mode.
  returned: always
  type: list
  elements: str
  sample: []
hooks:
  description: One entry per called hook, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the hook.
      type: str
    type:
      description: Type of the hook.
      type: str
    url:
      description: URL called, with its secret parts replaced by C(REDACTED).
      type: str
      sample: https://hooks.slack.com/services/REDACTED
    status:
      description: HTTP status of the last answer; null when none arrived.
      type: int
      sample: 200
    passed:
      description: Whether the hook succeeded (a gate opened). Always true for rollback hooks.
      type: bool
    attempts:
      description: Number of calls made (gates poll).
      type: int
      sample: 1
    reason:
      description: What happened, with the last answer.
      type: str
    rollback_requested:
      description: For rollback hooks, whether this one asked for a rollback.
      type: bool
msg:
  description: One line summarising the outcome.
  returned: always
  type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import common_options, connection_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.webhooks import WEBHOOKS
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhook_run import call_webhooks
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import HOOK_TYPES

# Not all the common options: the canary is named by ``name`` here (Flagger's payload's field).
ARGUMENT_SPEC = connection_spec(WEBHOOKS, common_options("namespace", "request_timeout", "lease_holder", "lease_seconds"), {
    "type": {"type": "str", "required": True, "choices": list(HOOK_TYPES)},
    "name": {"type": "str", "required": True, "aliases": ["target"]},
    "phase": {"type": "str", "default": "Progressing"},
    "checksum": {"type": "str", "default": ""},
    "fail_on_failure": {"type": "bool", "default": True},
})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    with failing(module):
        result = call_webhooks(module.params, module.check_mode, module.kube_api)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
