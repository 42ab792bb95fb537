# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_gate filter: a confirm gate's result merged into the rollout role's run record (module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_gate
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: A confirm gate's result merged into a rollout run record
description:
  - "What the P(progressive.canary.rollout#role) role makes of a confirm gate's M(progressive.canary.canary_webhook)
    result (registered with C(fail_on_failure: false)), merged into the run record it is applied to."
  - A gate that passed, or was not asked (a skipped result), changes nothing.
  - A closed V(confirm-traffic-increase) gate holds the next shift at the run's weight (RV(_value.next_weight)).
  - A closed V(confirm-rollout) gate ends the run before anything changed (RV(_value.action) V(error)); a closed
    V(confirm-promotion) gate rolls back (V(rollback)). The gate's message ends RV(_value.reason).
  - Fails on any other O(gate_type).
positional: gate, gate_type
options:
  _input:
    description: The run record (a playbook's; the rollout role's is C(__rollout_run)).
    type: dict
    required: true
  gate:
    description: The gate's registered M(progressive.canary.canary_webhook) result.
    type: dict
    required: true
  gate_type:
    description: The gate's webhook type.
    type: str
    required: true
    choices: [confirm-rollout, confirm-promotion, confirm-traffic-increase]
"""

EXAMPLES = r"""
# {"action": "rollback", "reason": "the confirm-promotion gate stayed closed: gate closed by ops", ...}
run: "{{ run | progressive.canary.rollout_gate(gate_result, 'confirm-promotion') }}"
"""

RETURN = r"""
_value:
  description: The run record, updated when the gate stayed closed.
  type: dict
  contains:
    action:
      description: V(error) (confirm-rollout) or V(rollback) (confirm-promotion) when the gate stayed closed.
      type: str
    next_weight:
      description: The run's weight, when a confirm-traffic-increase gate stayed closed.
      type: int
    reason:
      description: Why, with the gate's message.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import close_gate, merged


def rollout_gate(run, gate, gate_type):
    try:
        update = close_gate(run, gate, gate_type)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    return merged(run, update)


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_gate": rollout_gate}
