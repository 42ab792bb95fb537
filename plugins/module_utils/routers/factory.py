# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that lists the traffic providers: the ``provider`` option's choices and the router of each."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.arguments.service import SERVICE
from ansible_collections.progressive.canary.plugins.module_utils.routers.gateway_api import GatewayApiRouter
from ansible_collections.progressive.canary.plugins.module_utils.routers.istio import IstioRouter
from ansible_collections.progressive.canary.plugins.module_utils.routers.kubernetes import KubernetesRouter
from ansible_collections.progressive.canary.plugins.module_utils.routers.openshift_route import OpenShiftRouter

# provider name -> its Router class. A new router joins here (and passes tests/integration/test_router_contract.py).
PROVIDERS = {IstioRouter.PROVIDER: IstioRouter, GatewayApiRouter.PROVIDER: GatewayApiRouter}
PROVIDERS[OpenShiftRouter.PROVIDER] = OpenShiftRouter
DEFAULT_PROVIDER = IstioRouter.PROVIDER


def router_for(provider):
    """The Router of ``provider``; Refusal naming the providers for an unknown one."""
    try:
        return PROVIDERS[provider]()
    except KeyError:
        raise Refusal("provider %r is not one this collection routes with; choose one of %s" % (provider, ", ".join(sorted(PROVIDERS))))


def check_options(provider, service):
    """Refuse, before anything is read, a ``service`` suboption set (not at its default) that the chosen provider does
    not read (it would be silently ignored), and a value the provider's objects could not hold."""
    router = router_for(provider)
    read = set(router.OPTIONS) | set(KubernetesRouter.OPTIONS)
    suboptions = SERVICE["service"]["options"]
    ignored = sorted(key for key, value in service.items()
                     if key in suboptions and key not in read and value not in (None, suboptions[key].get("default")))
    if ignored:
        users = dict((key, sorted(name for name, cls in PROVIDERS.items() if key in cls.OPTIONS)) for key in ignored)
        raise Refusal("service.%s do%s not apply to provider %s (%s); nothing was changed. Remove %s, or choose the provider "
                      "that reads %s"
                      % (", service.".join(ignored), "es" if len(ignored) == 1 else "", provider,
                         "; ".join("%s is read by %s" % (key, ", ".join(users[key]) or "no provider") for key in ignored),
                         "it" if len(ignored) == 1 else "them", "it" if len(ignored) == 1 else "them"))
    router.check_service(service)


def service_router():
    """The apex / -primary / -canary Services, which every provider stands on."""
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
