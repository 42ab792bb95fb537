# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_plan filter: the plan a rollout run shows at its start (module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_plan
author:
  - progressive.canary developers
version_added: "1.1.0"
short_description: The plan of a release, as a line a person reads at its start
description:
  - The plan the P(progressive.canary.rollout#role) role shows when a run releases (its C(action) is V(release)) -
    the strategy, the weights still to go, the interval, the failed checks that roll back, and how long the analysis
    takes at best (every step passes at its first interval) and at most (every failed check below the threshold holds
    one interval more), plus the progress deadline the canary may take to become ready.
  - Merged into the run record as RV(_value.plan); nothing is added when the run does not release.
positional: weights, interval, threshold, progress_deadline, skip_analysis, strategy
options:
  _input:
    description: The run record (the role's C(__rollout_run)) once its start was decided (C(action), C(revision), C(weight), C(failed_checks)).
    type: dict
    required: true
  weights:
    description: The step weights, increasing.
    type: list
    elements: int
    required: true
  interval:
    description: Seconds between two steps.
    type: int
    required: true
  threshold:
    description: The failed checks that roll the release back.
    type: int
    required: true
  progress_deadline:
    description: Seconds the canary may take to become ready.
    type: int
    required: true
  skip_analysis:
    description: The analysis is skipped (the revision is promoted at once).
    type: bool
    default: false
  strategy:
    description:
      - The deployment strategy (the P(progressive.canary.rollout_strategy#filter) filter's result); the plan names it
        and, for A/B testing and Blue/Green, counts iterations instead of weights. None, a canary with step weights.
    type: dict
"""

EXAMPLES = r"""
# plan: canary release of revision 5d8f (progressive traffic shifting): weights 10, 20, 30% every 1m, 3 steps;
#   rollback at 5 failed checks; at best 3m, at most 7m of analysis plus up to 10m for the canary to become ready
run: "{{ run | progressive.canary.rollout_plan([10, 20, 30], 60, 5, 600) }}"
"""

RETURN = r"""
_value:
  description: The run record, with C(plan) when it releases.
  type: dict
  contains:
    plan:
      description: The plan as one line.
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merged, with_plan


def rollout_plan(run, weights, interval, threshold, progress_deadline, skip_analysis=False, strategy=None):
    return merged(run, with_plan(run, weights, interval, threshold, progress_deadline, skip_analysis, strategy))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_plan": rollout_plan}
