# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The duration_seconds filter: the collection's one duration parser (module_utils/durations.py) for templates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: duration_seconds
author:
  - progressive.canary developers
version_added: "1.0.0"
short_description: Seconds from a duration such as 30s, 1m30s or 1d
description:
  - Parses a duration as the collection's modules do (the same parser) and returns it in seconds.
  - Go's syntax, as Flagger's C(interval) and webhook timeouts take it - C(500ms), C(1m30s), C(1h2m3.5s), units
    C(ns), C(us), C(ms), C(s), C(m), C(h) - and Prometheus' units C(d), C(w) and C(y) (365 days).
  - A number, or a string of digits, is a number of seconds.
  - Fails with a message naming the value (and O(field) when given) on anything else, including a negative or
    zero duration.
positional: field
options:
  _input:
    description: The duration.
    type: raw
    required: true
  field:
    description: What the duration is, for the error message (for example V(rollout_analysis.interval)).
    type: str
    default: duration
"""

EXAMPLES = r"""
# 90.0
interval_seconds: "{{ '1m30s' | progressive.canary.duration_seconds }}"

# 0.5
timeout_seconds: "{{ '500ms' | progressive.canary.duration_seconds }}"

# fails: "rollout_analysis.interval must be a duration like 500ms, 30s, 1m30s, 1h, 1d, got '1x'"
bad: "{{ '1x' | progressive.canary.duration_seconds('rollout_analysis.interval') }}"
"""

RETURN = r"""
_value:
  description: The duration in seconds, above 0.
  type: float
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, parse_duration


def duration_seconds(value, field="duration"):
    try:
        return parse_duration(value, field)
    except DurationError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"duration_seconds": duration_seconds}
