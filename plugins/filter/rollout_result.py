# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_result filter: a release run's result (module_utils/run_result.py) for templates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_result
author:
  - progressive.canary developers
version_added: "1.3.0"
short_description: A release run's result, with the summary lines a person reads
description:
  - What the P(progressive.canary.rollout#role) role returns as the fact C(rollout_result), from the run record at the
    run's end.
  - "RV(_value.outcome) is the run's outcome (V(promoted), V(rolled back), V(checked)), else V(error) when the run ended
    in an error, else V(unchanged); RV(_value.summary) starts with the line
    C(canary <namespace/target>: <outcome>, revision <revision> (image <image>), <seconds> s), then what the run resumed,
    each step's line and note, and the reason."
positional: canary, image, now
options:
  _input:
    description: The run record at the run's end (the role's), with C(started), C(history), C(resumed) and C(reason).
    type: dict
    required: true
  canary:
    description: The canary as C(namespace/target).
    type: str
    required: true
  image:
    description: The image the run set; empty when none.
    type: str
    default: ""
  now:
    description: The run's end, in seconds since the epoch (the duration is measured from the run record's C(started)).
    type: float
    required: true
"""

EXAMPLES = r"""
- name: Return the result
  ansible.builtin.set_fact:
    rollout_result: "{{ run | progressive.canary.rollout_result('test/podinfo', 'podinfo:6.1.0', now().timestamp()) }}"
"""

RETURN = r"""
_value:
  description: The run's result.
  type: dict
  contains:
    outcome:
      description: V(promoted), V(rolled back), V(checked), V(error) or V(unchanged).
      type: str
    revision:
      description: The canary's revision (none when the canary is not managed yet).
      type: str
    image:
      description: The image the run set, or none.
      type: str
    steps:
      description: The analysis steps, each with its weight, verdict and checks.
      type: list
      elements: dict
    failed_checks:
      description: The failed checks counted.
      type: int
    reason:
      description: Why the run ended so (for a run that released nothing, why).
      type: str
    resumed:
      description: What the run finished or resumed for a killed run.
      type: list
      elements: str
    strategy:
      description: The deployment strategy, in words.
      type: str
    duration_seconds:
      description: The run's duration.
      type: float
    summary:
      description: The lines a person reads.
      type: list
      elements: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.run_result import run_result


def rollout_result(run, canary, image, now):
    return run_result(run, canary, image, now)


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_result": rollout_result}
