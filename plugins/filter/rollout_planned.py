# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_planned filter: in check mode, what a real run would do, merged into the rollout role's run record
(module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_planned
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: What a real rollout run would do, for check mode
description:
  - "What the P(progressive.canary.rollout#role) role reports in check mode: canary_init and the image patch write
    nothing then, so the run ends with RV(_value.action) V(done), RV(_value.outcome) V(checked) and a
    RV(_value.reason) saying what a real run would do (put the Deployment under canary management, set the image,
    release at the step weights, promote, roll back, or nothing). The analysis is not simulated: it needs real traffic."
positional: target_ref, weights, init_changed, image_changed, image, strategy
options:
  _input:
    description: The run record (the role's C(__rollout_run)) after the start decision.
    type: dict
    required: true
  target_ref:
    description: The target as C(namespace/name).
    type: str
    required: true
  weights:
    description: The step weights, increasing.
    type: list
    elements: int
    required: true
  init_changed:
    description: Whether M(progressive.canary.canary_init) in check mode would change something.
    type: bool
    required: true
  image_changed:
    description: Whether M(progressive.canary.canary_image) in check mode would change the image.
    type: bool
    required: true
  image:
    description: The image the run sets.
    type: str
    default: ""
  strategy:
    description:
      - The deployment strategy (the P(progressive.canary.rollout_strategy#filter) filter's result); A/B testing and
        Blue/Green are said as their iterations instead of weights. None, a canary with step weights.
    type: dict
"""

EXAMPLES = r"""
# {"action": "done", "outcome": "checked", "reason": "check mode, nothing written; a real run would release ..."}
run: "{{ run | progressive.canary.rollout_planned('test/podinfo', [10, 20], false, false, '') }}"
"""

RETURN = r"""
_value:
  description: The run record, ended as checked.
  type: dict
  contains:
    action:
      description: V(done).
      type: str
    outcome:
      description: V(checked).
      type: str
    reason:
      description: What a real run would do.
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import check_mode_plan, merged


def rollout_planned(run, target_ref, weights, init_changed, image_changed, image="", strategy=None):
    return merged(run, check_mode_plan(run, target_ref, weights, init_changed, image_changed, image, strategy))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_planned": rollout_planned}
