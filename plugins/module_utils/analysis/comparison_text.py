# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The comparison check's numbers as a person reads them, and what a step's history keeps of them.

Apart from comparison.py (which queries Prometheus and judges) because the rollout role's scheduler formats the lines
of every step: a filter plugin loaded in each forked worker must not import the Prometheus client for that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math


def number_text(value):
    if value is None:
        return "none"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return ("%.2f" % value) if value == 0 or abs(value) >= 0.01 else ("%.3g" % value)


def p_value_text(p_value):
    return ("%.3f" % p_value) if p_value >= 0.001 else ("%.1e" % p_value)


def comparison_text(name, comparison, verdict):
    """The one line a person reads, in the step line and the summary:
    ``request-success-rate vs primary: 99.41 vs 99.95, p=0.003, -0.54 % -> fail``."""
    if comparison.get("p_value") is None:
        return "%s vs primary: %s" % (name, verdict)
    effect = comparison.get("effect")
    if effect is None:
        effect_text = "effect n/a (the primary's median is 0)"
    else:
        effect_text = ("%+.2f %%" % effect) if math.isfinite(effect) else number_text(effect) + " %"
    return "%s vs primary: %s vs %s, p=%s, %s -> %s" % (
        name, number_text(comparison["canary_median"]), number_text(comparison["primary_median"]),
        p_value_text(comparison["p_value"]), effect_text, verdict)


# What a step's entry in the run's history keeps of a comparison (comparison_text prints it): the numbers, no queries.
COMPACT_KEYS = ("canary_median", "primary_median", "p_value", "effect", "canary_samples", "primary_samples")


def compact_comparison(comparison):
    return dict((key, comparison.get(key)) for key in COMPACT_KEYS)
