# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_promoted filter: canary_promote's result merged into the rollout role's run record (module_utils/scheduler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_promoted
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: A canary_promote result merged into a rollout run record
description:
  - "What the P(progressive.canary.rollout#role) role makes of M(progressive.canary.canary_promote)'s result
    (registered with C(failed_when: false)), merged into the run record it is applied to."
  - A promotion that finished (its result has C(phase)) ends the run (RV(_value.action) V(done), RV(_value.outcome)
    V(promoted)) with the revision promoted; when it finished a promotion a killed run left (O(resuming)), a note
    naming O(phase_before) is added to RV(_value.resumed).
  - A promotion that did not finish is V(error) (a re-run continues it). A skipped result changes nothing.
positional: promote, phase_before, resuming
options:
  _input:
    description: The run record (a playbook's; the rollout role's is C(__rollout_run)) with its C(resumed) notes.
    type: dict
    required: true
  promote:
    description: M(progressive.canary.canary_promote)'s registered result.
    type: dict
    required: true
  phase_before:
    description: The canary's phase when the run started, for the note.
    type: str
    required: true
  resuming:
    description: Whether the run finishes a promotion a killed run left.
    type: bool
    default: false
"""

EXAMPLES = r"""
# {"action": "done", "outcome": "promoted", "revision": "5d8f7c9b4", ...}
run: "{{ run | progressive.canary.rollout_promoted(promote_result, 'Progressing', false) }}"
"""

RETURN = r"""
_value:
  description: The run record updated with the promotion.
  type: dict
  contains:
    action:
      description: V(done) or V(error).
      type: str
    outcome:
      description: V(promoted), when done.
      type: str
    revision:
      description: The revision promoted, when done.
      type: str
    resumed:
      description: The run's notes of what it finished for a killed run.
      type: list
      elements: str
    reason:
      description: Why, for V(error).
      type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import merge_promote, merged


def rollout_promoted(run, promote, phase_before, resuming=False):
    return merged(run, merge_promote(run, promote, phase_before, resuming))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_promoted": rollout_promoted}
