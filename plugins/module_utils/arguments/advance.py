# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_advance's options: the release modules' (ready_timeout, route_settle_seconds), the webhooks, canary_analysis's checks (CHECKS) and
alerts, and its own, documented in the module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.arguments.alerts import ALERTS
from ansible_collections.progressive.canary.plugins.module_utils.arguments.analysis import CHECKS
from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.release import RELEASE
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.arguments.strategy import PROMOTION, SHAPE, STRATEGY
from ansible_collections.progressive.canary.plugins.module_utils.arguments.webhooks import WEBHOOKS

ADVANCE = {
    "weights": {"type": "list", "elements": "int", "default": []},
    "threshold": {"type": "int", "required": True},
    "wait": {"type": "int", "default": 0},
    "run": {"type": "dict", "default": {}},
    "repeat": {"type": "bool", "default": False},   # the action plugin's (plugins/action/canary_advance.py)
    "written": {"type": "dict"},    # set by the action plugin: the previous step's writes (phases/advance.py)
    "controller_pid": {"type": "int"},  # set by the action plugin: the ansible-playbook whose end stops a waiting step
}

# The action plugin's (plugin_utils/release_run.py): the run carried to its end; the module's step ignores them.
FINISH = {
    "finish": {"type": "bool", "default": False},
    "skip_analysis": {"type": "bool", "default": False},
    "resuming": {"type": "bool", "default": False},
    "phase_before": {"type": "str", "default": "Progressing"},
    "step_weight_promotion": PROMOTION["step_weight_promotion"],
}

ARGUMENT_SPEC = argument_spec(RELEASE, ROUTING, WEBHOOKS, CHECKS, ALERTS, STRATEGY, SHAPE, ADVANCE, FINISH)
