# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_analysis's own options (the checks, Prometheus, the gate's webhook type), documented by the
progressive.canary.analysis doc fragment (plugins/doc_fragments/analysis.py); tests/unit/test_arguments.py pins one
to the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.arguments.endpoint import endpoint

# A Prometheus HTTP API server and a web check's JSON endpoint: both take these credentials and a socket timeout.
_CREDENTIALS = {
    "bearer_token": {"type": "str", "no_log": True},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "timeout": {"type": "float", "default": 10},
}

PROMETHEUS = endpoint(url={"type": "str", "required": True}, **_CREDENTIALS)

WEB = endpoint(
    url={"type": "str", "required": True},
    method={"type": "str", "choices": ["GET", "POST"], "default": "GET"},
    body={"type": "raw"},
    value_path={"type": "str", "required": True},
    **_CREDENTIALS
)

# A check judging the canary against the primary (module_utils/analysis/comparison.py); defaults that depend on the
# metric (direction, max_degradation) are filled in there.
COMPARE_WITH_PRIMARY = {
    "metric": {"type": "str", "choices": ["request-success-rate", "request-duration"]},
    "step": {"type": "str", "default": "10s"},
    "confidence": {"type": "float", "default": 95},
    "max_degradation": {"type": "float"},
    "direction": {"type": "str", "choices": ["decrease", "increase", "either"]},
    "min_samples": {"type": "int", "default": 5},
}

CHECK = {
    "name": {"type": "str", "required": True},
    "query": {"type": "str"},
    "interval": {"type": "str"},
    "template_variables": {"type": "dict"},
    "threshold_range": {"type": "dict", "options": {"min": {"type": "float"}, "max": {"type": "float"}}},
    "on_no_data": {"type": "str", "choices": ["fail", "pass"], "default": "fail"},
    "web": {"type": "dict", "options": WEB},
    "compare_with_primary": {"type": "dict", "options": COMPARE_WITH_PRIMARY},
}

ANALYSIS = {
    "service": {"type": "str"},
    "name": {"type": "str"},
    "interval": {"type": "str", "default": "1m"},
    "evaluation_time": {"type": "str"},
    "prometheus": {"type": "dict", "options": PROMETHEUS},
    "checks": {"type": "list", "elements": "dict", "default": [], "options": CHECK},
    "webhook_type": {"type": "str", "choices": ["rollout", "pre-rollout"], "default": "rollout"},
    "checksum": {"type": "str", "default": ""},
    "record_in_state": {"type": "bool", "default": False},
    "fail_on_failure": {"type": "bool", "default": True},
    "validate_only": {"type": "bool", "default": False},
}

# What canary_advance takes of them: the checks, what they are evaluated with, the hooks' checksum (the doc fragment's CHECKS).
CHECKS = dict((name, ANALYSIS[name]) for name in ("service", "name", "interval", "evaluation_time", "prometheus", "checks", "checksum"))
# canary_analysis's own options (doc fragment progressive.canary.analysis, DOCUMENTATION; CHECKS has the rest).
ANALYSIS_OWN = dict((name, spec) for name, spec in ANALYSIS.items() if name not in CHECKS)
