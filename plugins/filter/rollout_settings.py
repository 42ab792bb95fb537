# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_settings filter: the rollout role's analysis settings, defaults filled in and checked, with what the
role derives from them (step weights, interval in seconds, webhook types) in one call.

One Python call instead of Jinja: the role references these settings in most of its tasks, and ansible-core compiles
every template it renders, in every forked worker, again (bench/README.md, "Where issue 10 stands")."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_settings
author:
  - progressive.canary developers
version_added: "1.3.0"
short_description: The rollout role's analysis settings, checked, with the step weights and interval they give
description:
  - C(rollout_analysis) over the role's defaults (keys left out take them; a shallow merge, as C(combine)), with
    O(extra_metrics) added to its C(metrics), and what the P(progressive.canary.rollout#role) role derives from it.
  - The step weights are C(step_weights) when given, else Flagger's - C(step_weight) added up to C(max_weight), the
    last step C(max_weight) exactly.
  - Fails, naming the values, unless the interval is a duration above 0, the threshold is above 0, the step weights are
    whole numbers increasing between 1 and 100, and O(prometheus_url) is set when a metric is not a web check.
  - Fails too on C(metrics), C(webhooks) or C(step_weights) given as null (a key left empty in YAML), which would
    otherwise read as none; an empty list says none.
positional: defaults, extra_metrics, prometheus_url
options:
  _input:
    description: C(rollout_analysis) as the user gave it.
    type: dict
    required: true
  defaults:
    description: The analysis defaults (interval, threshold, max_weight, step_weight, step_weights, webhooks, metrics).
    type: dict
    required: true
  extra_metrics:
    description: Checks added after the analysis' metrics (the role's comparisons with the primary).
    type: list
    elements: dict
    default: []
  prometheus_url:
    description: The Prometheus URL the checks would query; empty when none is set.
    type: str
    default: ""
"""

EXAMPLES = r"""
settings: "{{ {'interval': '30s', 'step_weight': 20} | progressive.canary.rollout_settings({'interval': '1m', 'threshold': 5,
              'max_weight': 50, 'step_weight': 10, 'step_weights': [], 'webhooks': [], 'metrics': []}) }}"
# settings.weights == [20, 40, 50], settings.interval_seconds == 30
"""

RETURN = r"""
_value:
  description: The settings and what is derived from them.
  type: dict
  contains:
    analysis:
      description: The analysis, defaults filled in, metrics with O(extra_metrics) added.
      type: dict
    weights:
      description: The step weights, whole numbers increasing between 1 and 100.
      type: list
      elements: int
    interval_seconds:
      description: The interval in whole seconds (rounded up), above 0.
      type: int
    webhook_types:
      description: The type of each webhook, in order.
      type: list
      elements: str
"""

import math
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.module_utils.analysis.durations import DurationError, parse_duration
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import as_int

WHOLE_POSITIVE = re.compile(r"^[1-9][0-9]*$")


def _whole_positive(value):
    """True for 1, 2, ... given as a number or as digits (Jinja's ``string is match('^[1-9][0-9]*$')``)."""
    return not isinstance(value, bool) and WHOLE_POSITIVE.match(str(value)) is not None


def _weights(analysis):
    """The step weights; None when step_weight or max_weight cannot give them."""
    if analysis.get("step_weights"):
        weights = list(analysis["step_weights"])
        if not all(_whole_positive(weight) for weight in weights):
            return None
        return [int(weight) for weight in weights]
    if not (_whole_positive(analysis.get("step_weight")) and _whole_positive(analysis.get("max_weight"))):
        return None
    step, last = int(analysis["step_weight"]), int(analysis["max_weight"])
    return list(range(step, last, step)) + [last]


def _refused(analysis):
    return AnsibleFilterError(
        "rollout_analysis must have an interval such as 30s, 1m or 1m30s (got %s), a threshold above 0, whole-number step "
        "weights increasing between 1 and 100 (step_weight %s, max_weight %s, step_weights %s), and rollout_prometheus.url "
        "unless every metric is a web check" % (analysis.get("interval"), analysis.get("step_weight"), analysis.get("max_weight"),
                                                analysis.get("step_weights")))


def _lists(settings, keys):
    """Refuse a list setting given as null (``metrics:`` left empty in YAML): no checks must be said with ``[]``."""
    for key in keys:
        if settings.get(key, []) is None:
            raise AnsibleFilterError("rollout_analysis.%s is null: give a list ([] for none)" % key)


def rollout_settings(analysis, defaults, extra_metrics=None, prometheus_url=""):
    settings = dict(defaults)
    settings.update(analysis or {})
    _lists(settings, ("metrics", "webhooks", "step_weights"))
    settings["metrics"] = list(settings.get("metrics", [])) + list(extra_metrics or [])
    settings["webhooks"] = list(settings.get("webhooks", []))
    try:
        interval_seconds = int(math.ceil(parse_duration(settings.get("interval"), "rollout_analysis.interval")))
    except DurationError as exc:
        raise AnsibleFilterError(str(exc))
    weights = _weights(settings)
    if (interval_seconds <= 0 or as_int(settings.get("threshold")) <= 0 or not weights or max(weights) > 100
            or weights != sorted(set(weights))):
        raise _refused(settings)
    if any(not isinstance(metric, Mapping) or "web" not in metric for metric in settings["metrics"]) and not prometheus_url:
        raise _refused(settings)
    # A webhook that is not a mapping, or has no type, is refused by canary_analysis' validation (the run's next check).
    return {"analysis": settings, "weights": weights, "interval_seconds": interval_seconds,
            "webhook_types": [hook.get("type") if isinstance(hook, Mapping) else None for hook in settings["webhooks"]]}


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_settings": rollout_settings}
