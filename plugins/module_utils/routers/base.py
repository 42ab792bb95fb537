# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The router seam, shaped like Flagger's pkg/router (Reconcile / SetRoutes / GetRoutes / Finalize): a router owns the
objects that send the canary's traffic somewhere, reads them, and returns planned steps; it never writes itself.

A traffic router (one per provider, listed in factory.py) implements ``Router``:

- ``read(api, names, options, missing_ok)`` -> ``Observed``: every read the router needs, before planning.
- ``original(observed)`` -> the keys of the state's ``originals`` it records of the user's objects (before any change).
- ``reconcile(observed, options, weights, original)`` -> steps creating or adopting its objects with the canary's
  route at ``weights`` (primary, canary); it raises ``Refusal`` for what it must not touch.
- ``get_routes(observed)`` -> (primary, canary) weights of the managed route, None when there is none
  (``require_routes`` refuses then); ``read_routes(api, names)`` reads only what these two need.
- ``set_routes(observed, primary, canary, shape)`` -> steps putting the managed route at those weights, in the
  strategy's ``shape`` (strategy.py: A/B match, mirror, session cookie; plain by default); ``check_shape(shape)``
  refuses, before anything is read, a shape the provider's objects cannot express.
- ``finalize(observed, original)`` -> steps giving the user's objects back exactly as recorded (or deleting the ones
  the collection created); ``removals(observed)`` -> steps deleting its generated objects, once nothing routes to them.
- ``settled(observed)`` -> whether the mesh reports the routing object's current generation in effect on every proxy
  (a wait predicate's ``(done, reason, final)``), None when it reports nothing usable (settling.py then waits the
  settle time).

The apex / ``-primary`` / ``-canary`` Services are a router part of their own (kubernetes.py, Flagger's
KubernetesRouter) that every provider stands on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import is_managed
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import spec_unchanged
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.planning.steps import ensure_steps
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import PLAIN

# What cleanup reports of a router's step: an object given back as recorded, or one deleted.
RESTORED = "restored"
REMOVED = "removed"


class RouterStep(Step):
    """A planned step about one object: ``ref`` names it ("Kind namespace/name"), ``outcome`` says what cleanup reports
    of it (RESTORED, REMOVED or None)."""

    def __init__(self, description, execute, ref=None, outcome=None, **kwargs):
        super(RouterStep, self).__init__(description, execute, **kwargs)
        self.ref = ref
        self.outcome = outcome


class Observed(object):
    """What a router read of one canary: its live objects by (kind pair, name), None when absent; whether the API
    server serves its kinds; and the API its steps will write through."""

    def __init__(self, api, names, served=True):
        self.api = api
        self.names = names
        self.served = served
        self.live = {}
        self.others = []    # objects of other names that share what the canary's objects would use

    def get(self, kind_pair, name):
        return self.live.get((kind_pair, name))


def clash(names, obj, kind_pair):
    """The refusal for a name held by an object progressive.canary did not create for this target."""
    return Refusal("%s already exists and was not created by progressive.canary for %s; rename or remove it"
                   % (names.ref(kind_pair, obj["metadata"]["name"]), names.target))


def refuse_clashes(observed, kind_pair, object_names):
    """Refuse the first of ``object_names`` (of ``kind_pair``) held by an object that is not this canary's."""
    for name in object_names:
        live = observed.get(kind_pair, name)
        if live is not None and not is_managed(live, observed.names.target):
            raise clash(observed.names, live, kind_pair)


def delete_generated(observed, kind_pair, object_names):
    """Steps deleting those of ``object_names`` (of ``kind_pair``) that exist and are this canary's."""
    found = [observed.get(kind_pair, name) for name in object_names]
    return [delete(observed, kind_pair, live) for live in found if live is not None and is_managed(live, observed.names.target)]


def ensure(observed, kind_pair, desired):
    """Steps creating ``desired`` when absent, replacing it when its spec-hash differs; none when it is up to date."""
    name = desired["metadata"]["name"]
    ref = observed.names.ref(kind_pair, name)
    return ensure_steps(observed.api, observed.names, kind_pair, desired, observed.get(kind_pair, name),
                        step=functools.partial(RouterStep, ref=ref))


def delete(observed, kind_pair, obj):
    """The step deleting ``obj`` (reported as removed)."""
    name = obj["metadata"]["name"]
    ref = observed.names.ref(kind_pair, name)
    return RouterStep("delete " + ref, lambda ctx: observed.api.delete(kind_pair[0], kind_pair[1], observed.names.namespace, name),
                      ref=ref, outcome=REMOVED, before=obj)


def json_patch(observed, kind_pair, name, patch):
    """What a step runs to apply ``patch`` (a JSON patch) to the object ``name`` of ``kind_pair``."""
    return lambda ctx: observed.api.patch(kind_pair[0], kind_pair[1], observed.names.namespace, name, patch, "json")


class Router(object):
    """One traffic provider. ``PROVIDER`` is its name in the ``provider`` option, ``KINDS`` the (apiVersion, kind) pairs it
    owns, ``OPTIONS`` the keys of the ``service`` option it reads. Every method returns planned steps (a list of Step)
    or raises Refusal before anything is written."""

    PROVIDER = None
    KINDS = ()
    OPTIONS = ()

    def check_service(self, service):
        """Refuse (InputError), before anything is read, a value of the ``service`` options it reads that its objects
        could not hold; the checks common to every provider are canary/validation.py's."""

    def read(self, api, names, options=None, missing_ok=False):
        """Read the router's objects for canary ``names``. ``options`` (the service option) given: also what init
        checks against (objects of other names). ``missing_ok``: an API server that does not serve the router's kinds
        gives an ``Observed`` with ``served`` false (nothing to restore) instead of a Refusal."""
        raise NotImplementedError

    def read_routes(self, api, names):
        """Only what ``get_routes`` and ``set_routes`` need (a release step reads nothing else)."""
        raise NotImplementedError

    def known_routes(self, api, names, objects):
        """read_routes' Observed from ``objects`` without reading: the route objects as the API server answered this
        canary's last write of them (the advance step's previous step). None when they are not all that read_routes
        reads (then the caller reads): a router that also reads what it does not write (a list of every HTTPRoute)
        cannot know it is current. The write guard of set_routes (the spec's generation) catches a change since."""
        return None

    def original(self, observed):
        """The keys of the state's ``originals`` this router records: its user's objects as found, None when absent."""
        raise NotImplementedError

    def reconcile(self, observed, options, weights, original):
        """Steps creating (or adopting, as recorded in ``original``) the router's objects, the managed route at
        ``weights``; Refusal for an object the canary must not take over."""
        raise NotImplementedError

    def get_routes(self, observed):
        """(primary, canary) weights of the managed route; None when there is none."""
        raise NotImplementedError

    def require_routes(self, observed):
        """get_routes, or Refusal naming the object without a managed route (init did not finish, or it was edited)."""
        raise NotImplementedError

    # Each router names the kind and the object that carry its weights (ROUTE_KIND, route_object) and how a spec is
    # weighted (weighted_spec); the step that writes them is the same for every provider.
    ROUTE_KIND = None

    def route_object(self, observed):
        """The live object whose spec carries the managed route's weights."""
        raise NotImplementedError

    def weighted_spec(self, spec, names, primary, canary, shape=PLAIN):
        """A copy of ``spec`` with the managed route at (primary, canary) in ``shape``, the rest untouched."""
        raise NotImplementedError

    # What the provider's objects can express of a RouteShape (strategy.py); Istio all of it.
    SHAPES = ("match", "mirror", "session_affinity")

    def check_shape(self, shape):
        """Refuse (Refusal), before anything is read, a strategy the provider cannot route, naming what."""
        unsupported = [used for used in shape.unsupported() if used.split(" ")[0] not in self.SHAPES]
        if unsupported:
            raise Refusal("provider %s cannot route %s; nothing was changed. Leave %s out, or use a provider that routes %s "
                          "(docs/strategies.md lists them)"
                          % (self.PROVIDER, ", ".join(unsupported), "it" if len(unsupported) == 1 else "them",
                             "it" if len(unsupported) == 1 else "them"))

    def same_shape(self, live_spec, desired_spec):
        """Whether the live spec already has the shape (a router without shapes: the weights say it all)."""
        return True

    def spec_patch(self, live, desired_spec):
        """The JSON-patch operations from ``live``'s spec to ``desired_spec`` (after the guard)."""
        return [{"op": "replace", "path": "/spec", "value": desired_spec}]

    def shown(self, obj):
        """``obj`` as a diff may show it (a router whose objects can hold secrets masks them)."""
        return obj

    def set_routes(self, observed, primary, canary, shape=PLAIN):
        """Steps putting the managed route at (primary, canary) in ``shape``; none when it already is. The patch applies
        only to the spec that was read (a stale one is re-planned)."""
        live = self.route_object(observed)
        desired_spec = self.weighted_spec(live["spec"], observed.names, primary, canary, shape)
        if self.get_routes(observed) == (primary, canary) and self.same_shape(live["spec"], desired_spec):
            return []
        name = live["metadata"]["name"]
        patch = [spec_unchanged(live)] + self.spec_patch(live, desired_spec)
        ref = observed.names.ref(self.ROUTE_KIND, name)
        return [RouterStep("route %d/%d (primary/canary) in %s" % (primary, canary, ref), json_patch(observed, self.ROUTE_KIND, name, patch),
                           ref=ref, before=self.shown(live), after=self.shown(dict(copy.deepcopy(live), spec=desired_spec)))]

    def finalize(self, observed, original):
        """Steps giving the user's objects back exactly as ``original`` recorded them, deleting those we created."""
        raise NotImplementedError

    def removals(self, observed):
        """Steps deleting the generated objects (after ``finalize``: nothing routes to them any more)."""
        raise NotImplementedError

    def settled(self, observed):
        """``(done, reason, final)``: whether the mesh reports the routing object's current generation in effect (what
        ``read_routes`` read); None when the provider or this object reports nothing usable (then the settle time)."""
        return None

    def managed_names(self, names):
        """The names canary_init reports for the router's objects (its ``managed`` result)."""
        raise NotImplementedError

    def route_objects(self, observed):
        """The live objects ``set_routes`` patches (a write refused as stale is judged by their generations)."""
        raise NotImplementedError
