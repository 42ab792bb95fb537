# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_pre_rollout filter: the pre-rollout hooks' outcome merged into the rollout role's run record
(module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_pre_rollout
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: The pre-rollout hooks' outcome merged into a rollout run record
description:
  - What the P(progressive.canary.rollout#role) role does once the pre-rollout hooks were tried, merged into the
    run record it is applied to.
  - Hooks that kept failing until the failed checks reached O(threshold) roll back (RV(_value.action) V(rollback)),
    with the failed checks the state counted and the hooks' last message.
  - Otherwise, with O(skip_analysis) and a run still shifting, the canary is promoted at once (V(promote)).
  - Otherwise nothing changes.
positional: pre_rollout, threshold, skip_analysis
options:
  _input:
    description: The run record (a playbook's; the rollout role's is C(__rollout_run)).
    type: dict
    required: true
  pre_rollout:
    description:
      - The last try's registered M(progressive.canary.canary_analysis) result (C(webhook_type=pre-rollout));
        empty when no try was made.
    type: dict
    required: true
  threshold:
    description: The failed checks that roll the release back.
    type: int
    required: true
  skip_analysis:
    description: Whether the analysis is skipped (the role's C(rollout_skip_analysis)).
    type: bool
    required: true
"""

EXAMPLES = r"""
# {"action": "rollback", "failed_checks": 2, "reason": "2 failed checks reached the threshold 2; last: ...", ...}
run: "{{ run | progressive.canary.rollout_pre_rollout(pre_rollout_result, 2, false) }}"
"""

RETURN = r"""
_value:
  description: The run record updated with the outcome.
  type: dict
  contains:
    action:
      description: V(rollback) when the hooks kept failing, V(promote) when the analysis is skipped.
      type: str
    failed_checks:
      description: The failed checks counted, for V(rollback).
      type: int
    reason:
      description: Why, for V(rollback).
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import after_pre_rollout, merged


def rollout_pre_rollout(run, pre_rollout, threshold, skip_analysis):
    return merged(run, after_pre_rollout(run, pre_rollout, threshold, skip_analysis))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_pre_rollout": rollout_pre_rollout}
