#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: canary_notify
short_description: Tell Slack, Microsoft Teams or a webhook how a canary release goes
version_added: "1.1.0"
description:
  - Sends one notification about a canary release to the O(alerts) that want its severity, as Flagger's alert
    providers do - V(started) (V(info), C(New revision detected, progressing canary analysis.)), V(promoted)
    (V(info), C(Canary analysis completed successfully, promotion finished.)) or V(rolled_back) (V(error), with
    O(reason)).
  - The failed checks are notified by M(progressive.canary.canary_analysis) itself, as they are counted.
  - A notifier that fails (an error, no answer within its timeout, an answer other than 2xx) never fails the task -
    it is a warning naming the alert and the cause, never its URL, which is a secret.
  - Talks to no Kubernetes API.
author:
  - progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
  - progressive.canary.alerts
attributes:
  check_mode:
    support: full
    description: Nothing is sent; RV(sent) names the alerts it would be sent to.
options:
  target:
    description: Name of the canary's target Deployment.
    type: str
    required: true
  namespace:
    description: Namespace of the target.
    type: str
    required: true
  event:
    description: What happened.
    type: str
    required: true
    choices: [started, promoted, rolled_back]
  reason:
    description: Why, for V(rolled_back).
    type: str
    default: ""
  fields:
    description: Facts shown with the message (Slack fields, Teams facts, the webhook's metadata), in their order.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Tell the team a release started
  progressive.canary.canary_notify:
    target: podinfo
    namespace: test
    event: started
    fields:
      Revision: 5d8f9c
    alerts:
      - name: on-call
        type: slack
        url: "{{ slack_webhook_url }}"
        channel: releases
      - type: msteams
        url: "{{ teams_webhook_url }}"
        severity: error
"""

RETURN = r"""
sent:
  description: The alerts the message was delivered to (in check mode, would be sent to).
  returned: always
  type: list
  elements: str
  sample: [on-call]
message:
  description: The message sent.
  returned: always
  type: str
  sample: New revision detected, progressing canary analysis.
severity:
  description: Its severity.
  returned: always
  type: str
  sample: info
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.alerts import ALERTS
from ansible_collections.progressive.canary.plugins.module_utils.canary import alerts
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule

ARGUMENT_SPEC = dict(ALERTS, **{
    "target": {"type": "str", "required": True},
    "namespace": {"type": "str", "required": True},
    "event": {"type": "str", "required": True, "choices": ["started", "promoted", "rolled_back"]},
    "reason": {"type": "str", "default": ""},
    "fields": {"type": "dict", "default": {}},
})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    target, namespace = params["target"], params["namespace"]
    severity, message = {
        "started": lambda: alerts.started(target, namespace),
        "promoted": lambda: alerts.promoted(target, namespace),
        "rolled_back": lambda: alerts.rolled_back(target, namespace, params["reason"]),
    }[params["event"]]()
    sent, warnings = alerts.notify(params["alerts"], target, namespace, severity, message, params["fields"].items(),
                                   check_mode=module.check_mode)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, sent=sent, message=message, severity=severity)


if __name__ == "__main__":
    main()
