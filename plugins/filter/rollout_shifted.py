# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_shifted filter: canary_shift's result merged into the rollout role's run record (module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_shifted
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: A canary_shift result merged into a rollout run record
description:
  - "What the P(progressive.canary.rollout#role) role makes of M(progressive.canary.canary_shift)'s result
    (registered with C(failed_when: false)), merged into the run record it is applied to."
  - A success records the weight, step and revision it set (RV(_value.action) V(shift)); when a new revision
    arrived during the analysis the run restarts at weight 0 with a note in RV(_value.history).
  - A canary that did not become ready within the progress deadline is V(rollback); any other failure is
    V(error) (the play fails, a re-run resumes).
positional: shift, progress_deadline
options:
  _input:
    description: The run record (a playbook's; the rollout role's is C(__rollout_run)).
    type: dict
    required: true
  shift:
    description: M(progressive.canary.canary_shift)'s registered result.
    type: dict
    required: true
  progress_deadline:
    description: The progress deadline in seconds, for the rollback's reason.
    type: raw
    required: true
"""

EXAMPLES = r"""
# {"action": "shift", "weight": 20, "step": 2, "revision": "5d8f7c9b4", ...}
run: "{{ run | progressive.canary.rollout_shifted(shift_result, 600) }}"
"""

RETURN = r"""
_value:
  description: The run record updated with the shift.
  type: dict
  contains:
    action:
      description: V(shift), V(rollback) or V(error).
      type: str
    weight:
      description: The weight set (0 on a restart).
      type: int
    step:
      description: The step recorded.
      type: int
    revision:
      description: The canary's revision.
      type: str
    reason:
      description: Why, for V(rollback) and V(error).
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merge_shift, merged


def rollout_shifted(run, shift, progress_deadline):
    return merged(run, merge_shift(run, shift, progress_deadline))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_shifted": rollout_shifted}
