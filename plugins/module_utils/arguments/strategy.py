# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment strategy options of canary_advance (Flagger's analysis.iterations, match, mirror, mirrorWeight,
sessionAffinity), documented by the progressive.canary.strategy doc fragment (plugins/doc_fragments/strategy.py);
tests/unit/test_arguments.py pins one to the other. routers/strategy.py checks and applies them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# canary_advance's and canary_shift's: what the routes look like besides the weights (canary_shift: at the one weight it
# sets, the caller counting iterations).
SHAPE = {
    "match": {"type": "list", "elements": "dict", "default": []},
    "mirror": {"type": "bool", "default": False},
    "mirror_weight": {"type": "int"},
    "session_affinity": {"type": "dict", "options": {
        "cookie_name": {"type": "str", "required": True},
        "max_age": {"type": "int", "default": 86400},
    }},
}
# canary_advance's own besides SHAPE: the iterations of A/B testing and Blue/Green.
STRATEGY = {"iterations": {"type": "int", "default": 0}}

# canary_promote's: Flagger's stepWeightPromotion and the interval each of its weights is held.
PROMOTION = {
    "step_weight_promotion": {"type": "int", "default": 0},
    "interval": {"type": "int", "default": 60},
}
