# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that lists the traffic providers: the ``provider`` option's choices and the router of each.

A router's file is imported when its provider is asked for, not before: a module process of an Istio canary does not
compile the Gateway API and OpenShift routers (every module's argument spec imports this list). The imports are written
out in the functions below, so AnsiballZ, whose finder reads function bodies too, still packages every router.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.arguments.service import SERVICE

# The providers' names (each Router's PROVIDER is one of them).
ISTIO = "istio"
GATEWAY_API = "gatewayapi"
OPENSHIFT = "openshift"
DEFAULT_PROVIDER = ISTIO


def _istio_router():
    from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import IstioRouter
    return IstioRouter


def _gateway_api_router():
    from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import GatewayApiRouter
    return GatewayApiRouter


def _openshift_router():
    from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import OpenShiftRouter
    return OpenShiftRouter


# provider name -> the function importing its Router class. A new router joins here (and passes
# tests/integration/test_router_contract.py).
_ROUTER_CLASSES = {ISTIO: _istio_router, GATEWAY_API: _gateway_api_router, OPENSHIFT: _openshift_router}
PROVIDERS = tuple(sorted(_ROUTER_CLASSES))


def router_class(provider):
    """The Router class of ``provider`` (its file imported now); KeyError for an unknown one."""
    return _ROUTER_CLASSES[provider]()


def router_for(provider):
    """The Router of ``provider``; Refusal naming the providers for an unknown one."""
    try:
        router = router_class(provider)
    except KeyError:
        raise Refusal("provider %r is not one this collection routes with; choose one of %s" % (provider, ", ".join(PROVIDERS)))
    return router()


def check_options(provider, service):
    """Refuse, before anything is read, a ``service`` suboption set (not at its default) that the chosen provider does
    not read (it would be silently ignored), and a value the provider's objects could not hold."""
    router = router_for(provider)
    read = set(router.OPTIONS) | set(service_router().OPTIONS)
    suboptions = SERVICE["service"]["options"]
    ignored = sorted(key for key, value in service.items()
                     if key in suboptions and key not in read and value not in (None, suboptions[key].get("default")))
    if ignored:
        users = dict((key, [name for name in PROVIDERS if key in router_class(name).OPTIONS]) for key in ignored)
        raise Refusal("service.%s do%s not apply to provider %s (%s); nothing was changed. Remove %s, or choose the provider "
                      "that reads %s"
                      % (", service.".join(ignored), "es" if len(ignored) == 1 else "", provider,
                         "; ".join("%s is read by %s" % (key, ", ".join(users[key]) or "no provider") for key in ignored),
                         "it" if len(ignored) == 1 else "them", "it" if len(ignored) == 1 else "them"))
    router.check_service(service)


def service_router():
    """The apex / -primary / -canary Services, which every provider stands on."""
    from ansible_collections.progressive.canary.plugins.module_utils.routers.kubernetes import KubernetesRouter
    return KubernetesRouter()


def check_recorded(names, provider, state):
    """Refuse a call whose ``provider`` is not the one the canary was initialized with (its objects are that provider's:
    another one would neither find its route nor restore it). A state holding only the lease (canary_init took it, then
    re-read) records no provider yet: nothing of any provider was made before the originals were recorded."""
    if state is None or not state["originals"] or state.provider == provider:
        return
    raise Refusal("canary %s/%s was initialized with provider %s (recorded in ConfigMap %s), this call asks for provider %s. "
                  "Nothing was changed. Call it with provider %s; to move the canary to %s, run canary_cleanup with provider %s, "
                  "then canary_init with provider %s"
                  % (names.namespace, names.target, state.provider, names.state, provider, state.provider, provider,
                     state.provider, provider))
