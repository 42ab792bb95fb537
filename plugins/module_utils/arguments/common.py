# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every canary module takes, specified here and documented by the progressive.canary.common doc
fragment (plugins/doc_fragments/common.py: COMMON by DOCUMENTATION, SELECTOR by SELECTOR); tests/unit/test_arguments.py
pins each piece to its fragment. Also the one place a module's spec is put together and a KubeApi made from it.

The spec lives here, not in the fragment, because doc fragments are not shipped to the targets that run the modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError, DEFAULT_REQUEST_TIMEOUT, connect
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import DEFAULT_SELECTOR_LABELS
from ansible_collections.progressive.canary.plugins.module_utils.routers.factory import DEFAULT_PROVIDER, PROVIDERS
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import DEFAULT_LEASE_SECONDS

COMMON = {
    "target": {"type": "str", "required": True},
    "namespace": {"type": "str", "required": True},
    "request_timeout": {"type": "float", "default": DEFAULT_REQUEST_TIMEOUT},
    "lease_holder": {"type": "str"},
    "lease_seconds": {"type": "int", "default": DEFAULT_LEASE_SECONDS},
    "provider": {"type": "str", "choices": sorted(PROVIDERS), "default": DEFAULT_PROVIDER},
}

SELECTOR = {
    "selector_labels": {"type": "list", "elements": "str", "default": list(DEFAULT_SELECTOR_LABELS)},
    "ready_timeout": {"type": "int", "default": 300},
}


def common_options(*names):
    """Those of the COMMON options, for a module that takes only some of them (canary_webhook)."""
    return dict((name, COMMON[name]) for name in names)


def connection_spec(*pieces):
    """kubernetes.core's connection options (its k8s_auth_options fragment) and the given pieces, later ones winning."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    for piece in pieces:
        spec.update(copy.deepcopy(piece))
    return spec


def argument_spec(*pieces):
    """The spec of a canary module: the connection options, COMMON, and the given pieces."""
    return connection_spec(COMMON, *pieces)


def api_from_params(params):
    """A KubeApi configured from the module's connection options; raises CanaryApiError."""
    auth = dict((key, params.get(key)) for key in AUTH_ARG_SPEC)
    if not params["request_timeout"] > 0:
        raise CanaryApiError("request_timeout must be a positive number of seconds, got %s" % params["request_timeout"])
    return connect(auth, request_timeout=params["request_timeout"])
