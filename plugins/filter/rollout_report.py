# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_report filter: a release's HTML report (module_utils/report.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_report
author:
  - progressive.canary developers
version_added: "1.1.0"
short_description: A picture of a release, as one self-contained HTML page
description:
  - The page the P(progressive.canary.rollout#role) role writes to C(rollout_report_path) - the canary's weight over
    time (a staircase through every step, failed steps red), each check's value at each step against its threshold
    (dashed lines at its bounds), a table of the steps and the summary lines.
  - Self-contained - inline CSS and SVG, no script, nothing fetched - and well-formed XML (XHTML).
positional: canary, result
options:
  _input:
    description: The run record at the run's end (the role's) with its C(history) of steps and its C(plan).
    type: dict
    required: true
  canary:
    description: The canary as C(namespace/target), for the title.
    type: str
    required: true
  result:
    description: The role's result (C(rollout_result)) - C(outcome), C(duration_seconds), C(summary).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the report of the release
  ansible.builtin.copy:
    content: "{{ run | progressive.canary.rollout_report('test/podinfo', rollout_result) }}"
    dest: /tmp/podinfo-release.html
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The HTML page.
  type: str
"""

from ansible_collections.progressive.canary.plugins.module_utils.report import render


def rollout_report(run, canary, result=None):
    return render(run, canary, result)


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_report": rollout_report}
