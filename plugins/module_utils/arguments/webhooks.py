# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``webhooks`` option of canary_webhook and canary_analysis (Flagger's analysis.webhooks), documented by the
progressive.canary.webhooks doc fragment (plugins/doc_fragments/webhooks.py); tests/unit/test_arguments.py pins one
to the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.arguments.endpoint import endpoint
from ansible_collections.progressive.canary.plugins.module_utils.analysis.webhooks import (
    DEFAULT_GATE_TIMEOUT, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, HOOK_TYPES)

WEBHOOKS = {
    "webhooks": {"type": "list", "elements": "dict", "default": [], "options": endpoint(
        name={"type": "str", "required": True},
        type={"type": "str", "required": True, "choices": list(HOOK_TYPES)},
        url={"type": "str", "required": True},
        timeout={"type": "str", "default": DEFAULT_TIMEOUT},
        metadata={"type": "dict"},
        gate_timeout={"type": "str", "default": DEFAULT_GATE_TIMEOUT},
        poll_interval={"type": "str", "default": DEFAULT_POLL_INTERVAL},
    )},
}
