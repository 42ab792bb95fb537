# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``alerts`` option of canary_notify and canary_analysis (Flagger's alert providers and analysis.alerts),
documented by the progressive.canary.alerts doc fragment (plugins/doc_fragments/alerts.py); tests/unit/test_arguments.py
pins one to the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.arguments.endpoint import endpoint
from ansible_collections.progressive.canary.plugins.module_utils.canary.alerts import DEFAULT_TIMEOUT, PROVIDERS, SEVERITIES

ALERTS = {
    "alerts": {"type": "list", "elements": "dict", "default": [], "options": endpoint(
        name={"type": "str"},
        type={"type": "str", "required": True, "choices": list(PROVIDERS)},
        # An incoming-webhook URL is a credential in itself: Ansible masks it wherever it appears.
        url={"type": "str", "required": True, "no_log": True, "aliases": ["address"]},
        severity={"type": "str", "default": "info", "choices": list(SEVERITIES)},
        channel={"type": "str"},
        username={"type": "str"},
        metadata={"type": "dict"},
        timeout={"type": "int", "default": DEFAULT_TIMEOUT},
    )},
}
