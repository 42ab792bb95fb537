# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_start filter: the rollout role's start decision (module_utils/scheduler.py) for templates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_start
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: What a rollout run does, from the canary's status
description:
  - The decision the P(progressive.canary.rollout#role) role takes at the start of a run, from
    M(progressive.canary.canary_info)'s result, merged into the run record it is applied to.
  - RV(_value.action) is V(release) (run the analysis from weight 0, or resume it at the recorded weight, with a
    note in RV(_value.resumed)), V(rollback) (the revision already failed, or a killed run's failed checks reached
    the threshold), V(tidy) (the target went back to the promoted revision but traffic or replicas did not) or
    V(none) (not initialized, or nothing to release; RV(_value.reason) says why).
positional: info, threshold, image, phase_at_start
options:
  _input:
    description: The run record (the role's C(__rollout_run)); its C(resumed) list is carried on.
    type: dict
    required: true
  info:
    description: M(progressive.canary.canary_info)'s result.
    type: dict
    required: true
  threshold:
    description: The failed checks that roll the release back.
    type: int
    required: true
  image:
    description: The image the run sets, recorded as is.
    type: str
    default: ""
  phase_at_start:
    description: The canary's phase read before the run changed anything.
    type: str
"""

EXAMPLES = r"""
# {"action": "release", "weight": 20, "resumed": ["the analysis at weight 20%, step 2, 1 failed checks"], ...}
run: >-
  {{ {'resumed': []} | progressive.canary.rollout_start(info, 5, 'ghcr.io/stefanprodan/podinfo:6.1.0', info.phase) }}
"""

RETURN = r"""
_value:
  description: The run record updated with the decision.
  type: dict
  contains:
    action:
      description: V(release), V(rollback), V(tidy) or V(none).
      type: str
    reason:
      description: Why, for V(rollback), V(tidy) and V(none); empty otherwise.
      type: str
    revision:
      description: The target's revision (none when the canary is not initialized).
      type: str
    weight:
      description: The weight the analysis starts at (the recorded one when resumed, else 0).
      type: int
    step:
      description: The recorded step.
      type: int
    failed_checks:
      description: The recorded failed checks.
      type: int
    image:
      description: The O(image).
      type: str
    phase_at_start:
      description: The O(phase_at_start).
      type: str
    last_promoted_revision:
      description: The revision last promoted.
      type: str
    resumed:
      description: The run's notes of what it resumed, with the analysis's when it resumes one.
      type: list
      elements: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merged, start_action


def rollout_start(run, info, threshold, image="", phase_at_start=None):
    return merged(run, start_action(info, threshold, image, phase_at_start, run.get("resumed", [])))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_start": rollout_start}
