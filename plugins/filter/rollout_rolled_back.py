# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_rolled_back filter: canary_rollback's result merged into the rollout role's run record
(module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_rolled_back
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: A canary_rollback result merged into a rollout run record
description:
  - What the P(progressive.canary.rollout#role) role makes of M(progressive.canary.canary_rollback)'s result,
    merged into the run record it is applied to. The run ends (RV(_value.action) V(done)).
  - RV(_value.outcome) is V(rolled back) with the failure reason the state records (else the run's), or
    V(unchanged) when there was nothing to roll back (the run's reason).
options:
  _input:
    description: The run record (a playbook's; the rollout role's is C(__rollout_run)) with its C(reason).
    type: dict
    required: true
  rollback:
    description: M(progressive.canary.canary_rollback)'s registered result.
    type: dict
    required: true
"""

EXAMPLES = r"""
# {"action": "done", "outcome": "rolled back", "revision": "5d8f7c9b4", "reason": "2 failed checks reached ...", ...}
run: "{{ run | progressive.canary.rollout_rolled_back(rollback_result) }}"
"""

RETURN = r"""
_value:
  description: The run record updated with the rollback.
  type: dict
  contains:
    action:
      description: V(done).
      type: str
    outcome:
      description: V(rolled back) or V(unchanged).
      type: str
    revision:
      description: The canary's revision.
      type: str
    reason:
      description: Why.
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merge_rollback, merged


def rollout_rolled_back(run, rollback):
    return merged(run, merge_rollback(run, rollback))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_rolled_back": rollout_rolled_back}
