# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_step filter: the rollout role's decision of one analysis step (module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_step
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: The decision of one analysis step, from its checks and hooks
description:
  - The decision the P(progressive.canary.rollout#role) role takes after one step of the analysis (Flagger's
    iteration), merged into the run record it is applied to.
  - At weight 0 nothing was checked - V(shift) to the first weight. Otherwise the step is added to
    RV(_value.history) and RV(_value.action) is V(rollback) (the step failed and the failed checks reached
    O(threshold)), V(hold) (failed below it), V(promote) (passed at the last weight) or V(shift) to the next
    weight (Flagger's nextStepWeight).
  - A rollback hook asking for a rollback (O(rollback_hooks)) makes it V(rollback) in every case.
  - When O(checks) has no C(state) (check mode records nothing), a failed step counts one more failed check in
    the run so that the threshold is still reached.
positional: weights, threshold, checks, rollback_hooks
options:
  _input:
    description: The run record (the role's C(__rollout_run)) with its C(weight), C(failed_checks) and C(history).
    type: dict
    required: true
  weights:
    description: The step weights, increasing.
    type: list
    elements: int
    required: true
  threshold:
    description: The failed checks that roll the release back.
    type: int
    required: true
  checks:
    description:
      - M(progressive.canary.canary_analysis)'s registered result (the rollout hooks and the checks); a skipped
        result passes.
    type: dict
    default: {}
  rollback_hooks:
    description: The rollback hooks' registered M(progressive.canary.canary_webhook) result; a skipped one asks nothing.
    type: dict
    default: {}
"""

EXAMPLES = r"""
# {"action": "shift", "next_weight": 30, "decision": "weight 30%", "history": [..., {"line": "step 2 at weight 20%: ..."}]}
run: "{{ run | progressive.canary.rollout_step([10, 20, 30], 5, checks_result, rollback_hooks_result) }}"
"""

RETURN = r"""
_value:
  description: The run record updated with the decision.
  type: dict
  contains:
    action:
      description: V(shift), V(hold), V(promote) or V(rollback).
      type: str
    next_weight:
      description: The weight to set, for V(shift) and V(hold).
      type: int
    decision:
      description: The decision in words for the progress line (V(weight 30%), V(hold at 20%), V(promote), V(roll back)).
      type: str
    reason:
      description: Why, for V(rollback).
      type: str
    failed_checks:
      description: The failed checks counted so far (not at weight 0).
      type: int
    history:
      description:
        - The steps so far; this one's entry has C(step), C(weight), C(passed), C(failed_checks), C(failures),
          C(checks) (C(name), C(value), C(verdict), C(min), C(max)), C(hooks) (name and verdict) and C(line),
          the step as a line of the summary.
      type: list
      elements: dict
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merged, next_step


def rollout_step(run, weights, threshold, checks=None, rollback_hooks=None):
    return merged(run, next_step(run, weights, threshold, checks, rollback_hooks))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_step": rollout_step}
