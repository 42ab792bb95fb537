# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec pieces shared by the canary modules (documented by the progressive.canary.common and
progressive.canary.service fragments), and turning module parameters into a KubeApi."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.connection import CanaryApiError, DEFAULT_REQUEST_TIMEOUT, connect
from ansible_collections.progressive.canary.plugins.module_utils.names import DEFAULT_SELECTOR_LABELS
from ansible_collections.progressive.canary.plugins.module_utils.routers.factory import DEFAULT_PROVIDER, PROVIDERS
from ansible_collections.progressive.canary.plugins.module_utils.state import DEFAULT_LEASE_SECONDS

CANARY_ARG_SPEC = {
    "target": {"type": "str", "required": True},
    "namespace": {"type": "str", "required": True},
    "request_timeout": {"type": "float", "default": DEFAULT_REQUEST_TIMEOUT},
    "lease_holder": {"type": "str"},
    "lease_seconds": {"type": "int", "default": DEFAULT_LEASE_SECONDS},
    "provider": {"type": "str", "choices": sorted(PROVIDERS), "default": DEFAULT_PROVIDER},
}

SELECTOR_ARG_SPEC = {
    "selector_labels": {"type": "list", "elements": "str", "default": list(DEFAULT_SELECTOR_LABELS)},
    "ready_timeout": {"type": "int", "default": 300},
}

SERVICE_OPTIONS_SPEC = {
    "port": {"type": "int", "required": True},
    "target_port": {"type": "raw"},
    "port_name": {"type": "str", "default": "http"},
    "hosts": {"type": "list", "elements": "str", "default": []},
    "gateways": {"type": "list", "elements": "str", "default": ["mesh"]},
    "retries": {"type": "dict"},
    "timeout": {"type": "str"},
    "headers": {"type": "dict"},
    "cors_policy": {"type": "dict"},
    "traffic_policy": {"type": "dict"},
}


def argument_spec(*pieces):
    """kubernetes.core's connection options, our common options, and the given pieces."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(copy.deepcopy(CANARY_ARG_SPEC))
    for piece in pieces:
        spec.update(copy.deepcopy(piece))
    return spec


def api_from_params(params):
    """A KubeApi configured from the module's connection options; raises CanaryApiError."""
    auth = dict((key, params.get(key)) for key in AUTH_ARG_SPEC)
    if not params["request_timeout"] > 0:
        raise CanaryApiError("request_timeout must be a positive number of seconds, got %s" % params["request_timeout"])
    return connect(auth, request_timeout=params["request_timeout"])
