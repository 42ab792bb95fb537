# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that uses kubernetes.core's private client helpers.

connection.py builds kubernetes.core's DynamicClient the way kubernetes.core's ``get_api_client`` does (same options,
same ``K8S_AUTH_*`` environment, same discovery cache) but on its own ApiClient, whose every request - discovery
included - has a timeout and is retried (connection.TimeoutApiClient). That needs helpers kubernetes.core does not
promise to keep: ``k8s.client._create_auth_spec``, ``_create_configuration``, ``_create_headers``, ``_set_header``,
``k8sdynamicclient.K8SDynamicClient`` and ``client.discovery.LazyDiscoverer`` (pinned by
tests/unit/test_kube_core.py against the installed kubernetes.core).

When one of them is missing (a kubernetes.core upgrade renamed it), the client comes from the public
``get_api_client`` instead: requests still work, each CRUD request still carries the module's ``request_timeout``,
but discovery (while connecting and on a cache miss) has no timeout and no request is retried by us (only urllib3's
own retries of connection errors apply). That degrades, it does not break."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PRIVATE_HELPERS = (
    ("k8s.client", "_create_auth_spec"),
    ("k8s.client", "_create_configuration"),
    ("k8s.client", "_create_headers"),
    ("k8s.client", "_set_header"),
    ("k8sdynamicclient", "K8SDynamicClient"),
    ("client.discovery", "LazyDiscoverer"),
)


def _core_modules():
    """kubernetes.core's module_utils we use, by the names PRIVATE_HELPERS gives them. Plain imports, not importlib:
    Ansible ships a module's module_utils by finding its import statements. Imported here, not at the top, so that the
    other module_utils' unit tests need no kubernetes.core on the path."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.kubernetes.core.plugins.module_utils import k8sdynamicclient
    from ansible_collections.kubernetes.core.plugins.module_utils.client import discovery
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client
    return {"k8s.client": client, "k8sdynamicclient": k8sdynamicclient, "client.discovery": discovery}


def private_helpers():
    """``{name: object}`` for every private helper we use, or None when any one is missing (looked up on each call,
    so the answer follows the kubernetes.core that is loaded)."""
    try:
        modules = _core_modules()
    except ImportError:
        return None
    found = {}
    for module_name, attribute in PRIVATE_HELPERS:
        if not hasattr(modules[module_name], attribute):
            return None
        found[attribute] = getattr(modules[module_name], attribute)
    return found


def dynamic_client(auth_params, make_api_client):
    """kubernetes.core's DynamicClient for ``auth_params``; ``make_api_client(configuration)`` builds the ApiClient.

    Returns ``(dynamic_client, our_api_client)``: ``our_api_client`` is False when the private helpers are missing and
    the client came from the public ``get_api_client`` (then ``make_api_client`` was not used; see the module doc)."""
    helpers = private_helpers()
    if helpers is None:
        return public_dynamic_client(auth_params), False
    auth = helpers["_create_auth_spec"](None, **auth_params)
    api_client = make_api_client(helpers["_create_configuration"](auth))
    for header, value in helpers["_create_headers"](None, **auth_params).items():
        helpers["_set_header"](api_client, header, value)
    return helpers["K8SDynamicClient"](api_client, discoverer=helpers["LazyDiscoverer"]), True


def public_dynamic_client(auth_params):
    """The DynamicClient of kubernetes.core's public ``get_api_client``; its configuration errors are raised as the
    kubernetes client's ConfigException, as the private path raises them."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    try:
        return get_api_client(**auth_params).client
    except CoreException as exc:
        if isinstance(exc.__cause__, Exception):
            raise exc.__cause__  # pylint: disable=raising-non-exception  # checked just above
        raise
