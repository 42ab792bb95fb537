# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_strategy filter: the deployment strategy of a rollout run, checked before anything is written
(module_utils/routers/strategy.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rollout_strategy
author:
  - progressive.canary developers
version_added: "1.2.0"
short_description: The deployment strategy of a release, checked before anything is written
description:
  - The P(progressive.canary.rollout#role) role's strategy variables (C(rollout_iterations), C(rollout_match),
    C(rollout_mirror), C(rollout_mirror_weight), C(rollout_session_affinity), C(rollout_step_weight_promotion)) as
    M(progressive.canary.canary_advance) takes them, with the strategy's name (RV(_value.text)).
  - Fails, naming the problem, on options no strategy runs with (a match without iterations, iterations with step
    weights given in C(rollout_analysis), a regex that does not compile, ...) and on what the provider cannot route.
positional: provider, analysis
options:
  _input:
    description: The strategy variables, by their canary_advance names (iterations, match, mirror, mirror_weight,
      session_affinity, step_weight_promotion).
    type: dict
    required: true
  provider:
    description: The traffic provider.
    type: str
    required: true
  analysis:
    description: C(rollout_analysis) as the user gave it (step weights there and iterations are refused together).
    type: dict
    default: {}
"""

EXAMPLES = r"""
strategy: "{{ {'iterations': 10, 'match': [{'headers': {'x-canary': {'exact': 'insider'}}}]} | progressive.canary.rollout_strategy('istio') }}"
"""

RETURN = r"""
_value:
  description: The options, defaults filled in, and C(text), the strategy as the plan line names it.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import (
    DEFAULT_MAX_AGE, any_shape, check_strategy, strategy_text)

STEP_WEIGHT_KEYS = ("step_weight", "step_weights", "max_weight")


def rollout_strategy(options, provider, analysis=None):
    strategy = {
        "iterations": int(options.get("iterations") or 0),
        "match": list(options.get("match") or []),
        "mirror": bool(options.get("mirror")),
        "mirror_weight": None if options.get("mirror_weight") in (None, "") else int(options["mirror_weight"]),
        "session_affinity": None,
        "step_weight_promotion": int(options.get("step_weight_promotion") or 0),
    }
    affinity = options.get("session_affinity")
    if affinity:
        strategy["session_affinity"] = {"cookie_name": affinity.get("cookie_name"), "max_age": int(affinity.get("max_age") or DEFAULT_MAX_AGE)}
    try:
        given = sorted(key for key in STEP_WEIGHT_KEYS if key in (analysis or {}))
        if strategy["iterations"] and given:
            raise Refusal("rollout_iterations (A/B testing, Blue/Green) and rollout_analysis.%s (a canary with step weights) are "
                          "both set; nothing was changed. Set one of them" % ", rollout_analysis.".join(given))
        if strategy["step_weight_promotion"] < 0 or strategy["step_weight_promotion"] > 100:
            raise Refusal("rollout_step_weight_promotion must be between 0 (all at once) and 100, got %s" % strategy["step_weight_promotion"])
        check_strategy(strategy)
        factory.router_for(provider).check_shape(any_shape(strategy))
    except Refusal as exc:
        raise AnsibleFilterError(str(exc))
    strategy["text"] = strategy_text(strategy)
    return strategy


class FilterModule(object):
    """progressive.canary's filters."""

    def filters(self):
        return {"rollout_strategy": rollout_strategy}
