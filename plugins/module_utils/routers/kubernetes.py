# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Services every traffic router stands on (Flagger's KubernetesRouter): the ``-primary``/``-canary`` Services, and
the apex Service, re-pointed at the primary while the canary is managed (created when the user had none), given back
exactly as recorded by cleanup."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CREATED_ANNOTATION, SERVICE, is_managed
from ansible_collections.progressive.canary.plugins.module_utils.kube.patch_guards import unchanged_since_read
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers.base import (
    RESTORED, Observed, RouterStep, clash, delete, delete_generated, ensure, json_patch, refuse_clashes)

# What "the apex Service exactly as it was" means: these fields are recorded and restored.
RECORDED_SPEC_FIELDS = ("selector", "ports", "type", "sessionAffinity", "externalTrafficPolicy", "internalTrafficPolicy",
                        "publishNotReadyAddresses", "loadBalancerSourceRanges", "externalName", "ipFamilyPolicy")


class PortError(ValueError):
    """The service port's target port is not exposed by any container of the target."""


def target_port_of(service_options):
    return service_options.get("target_port") or service_options["port"]


def check_target_port(template, service_options):
    """Raise PortError unless a container of the pod template exposes the target port (by number or name)."""
    wanted = target_port_of(service_options)
    exposed = []
    for container in (template.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            exposed.append((port.get("containerPort"), port.get("name")))
    for number, name in exposed:
        if str(wanted) == str(number) or (name and str(wanted) == name):
            return
    raise PortError("service port %s targets port %s, which no container of the target exposes (exposed: %s)"
                    % (service_options["port"], wanted, ", ".join("%s%s" % (n, "/" + m if m else "") for n, m in exposed) or "none"))


def _target_port_value(service_options):
    value = target_port_of(service_options)
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def service_port(service_options):
    return {
        "name": service_options.get("port_name") or "http",
        "port": int(service_options["port"]),
        "targetPort": _target_port_value(service_options),
        "protocol": "TCP",
    }


def generated_service(names, name, selector, service_options):
    """A ``-primary``/``-canary`` Service (one port, as Flagger makes them)."""
    spec = {"type": "ClusterIP", "selector": dict(selector), "ports": [service_port(service_options)]}
    return build(SERVICE[0], SERVICE[1], names.namespace, name, names.target, {"spec": spec})


def created_apex_service(names, selector, service_options):
    """The apex Service when the user had none: ours, marked so that cleanup deletes it."""
    spec = {"type": "ClusterIP", "selector": dict(selector), "ports": [service_port(service_options)]}
    return build(SERVICE[0], SERVICE[1], names.namespace, names.apex, names.target, {"spec": spec},
                 annotations={CREATED_ANNOTATION: "true"})


def was_created_by_us(service):
    return (((service or {}).get("metadata") or {}).get("annotations") or {}).get(CREATED_ANNOTATION) == "true"


def record(service):
    """What the state keeps of a user's apex Service: enough to restore it exactly."""
    metadata = service.get("metadata") or {}
    spec = service.get("spec") or {}
    return {
        "labels": copy.deepcopy(metadata.get("labels") or {}),
        "annotations": copy.deepcopy(metadata.get("annotations") or {}),
        "spec": dict((field, copy.deepcopy(spec[field])) for field in RECORDED_SPEC_FIELDS if field in spec),
    }


def repoint_patch(live, selector):
    """JSON patch replacing the whole selector (a merge patch would keep stale keys), guarded by resourceVersion
    so that a concurrent edit is not overwritten; ports and everything else stay untouched."""
    return [
        unchanged_since_read(live),
        {"op": "replace" if "selector" in (live.get("spec") or {}) else "add", "path": "/spec/selector", "value": dict(selector)},
    ]


def restored(live, recorded):
    """The live Service with the recorded labels, annotations and spec fields put back (clusterIP etc. kept)."""
    body = copy.deepcopy(live)
    body.pop("status", None)
    for field in ("labels", "annotations"):
        if recorded.get(field):
            body["metadata"][field] = copy.deepcopy(recorded[field])
        else:
            body["metadata"].pop(field, None)
    spec = body.setdefault("spec", {})
    for field in RECORDED_SPEC_FIELDS:
        if field in recorded["spec"]:
            spec[field] = copy.deepcopy(recorded["spec"][field])
        else:
            spec.pop(field, None)
    return body


def matches_record(live, recorded):
    """True when the live Service already is as recorded (a second cleanup writes nothing)."""
    if live is None:
        return False
    return record(live) == {"labels": recorded.get("labels") or {}, "annotations": recorded.get("annotations") or {},
                            "spec": recorded["spec"]}


class KubernetesRouter(object):
    """The apex / ``-primary`` / ``-canary`` Services. Not a traffic provider: every provider's router stands on it (the
    factory gives it with ``service_router()``). Like a Router, its methods return planned steps or raise Refusal.

    ``label``, ``value``, ``primary_value``: the selector label, its value on the target's pods, and on the primary's."""

    KINDS = (SERVICE,)
    OPTIONS = ("port", "target_port", "port_name")

    @staticmethod
    def read(api, names, get_kind=None):
        """The apex, primary and canary Services, each read with ``get_kind`` (``api.get_kind`` by default)."""
        observed = Observed(api, names)
        get_kind = get_kind or api.get_kind
        for name in (names.apex, names.primary, names.canary):
            observed.live[(SERVICE, name)] = get_kind(names.namespace, SERVICE, name)
        return observed

    @staticmethod
    def apex(observed):
        return observed.get(SERVICE, observed.names.apex)

    @staticmethod
    def check_target_port(names, template, options):
        """Refuse a service port whose target port no container of the target's pod ``template`` exposes."""
        try:
            check_target_port(template, options)
        except PortError as exc:
            raise Refusal("Deployment %s/%s: %s" % (names.namespace, names.target, exc))

    def original(self, observed):
        apex = self.apex(observed)
        return {"apex_service": record(apex) if apex is not None and not was_created_by_us(apex) else None}

    def refuse_a_repointed_apex(self, observed, label, value, primary_value):
        """Fresh originals are recorded from the live objects: an apex Service still aimed at a primary (an earlier init
        whose state and primary are gone) would be recorded as the original, and cleanup would later restore that
        selector."""
        names = observed.names
        apex = self.apex(observed)
        selector = ((apex or {}).get("spec") or {}).get("selector") or {}
        if apex is None or was_created_by_us(apex) or selector.get(label) != primary_value:
            return
        raise Refusal("%s selects %s=%s, the pods of a primary Deployment %s that is gone, and no state records what it selected "
                      "before: it is not recorded as an original. Nothing was changed. Run canary_cleanup (it points the Service back "
                      "at %s), or set its selector back yourself, then run canary_init"
                      % (names.ref(SERVICE, names.apex), label, primary_value, names.primary, names.target))

    # -- init -----------------------------------------------------------------------------------------------
    @staticmethod
    def reconcile(observed, options, primary_selector, canary_selector):
        """The ``-primary`` and ``-canary`` Services (one port, as Flagger makes them), selecting the whole selectors."""
        names = observed.names
        refuse_clashes(observed, SERVICE, (names.primary, names.canary))
        apex = observed.get(SERVICE, names.apex)
        if apex is not None and is_managed(apex) and not is_managed(apex, names.target):
            raise clash(names, apex, SERVICE)
        return (ensure(observed, SERVICE, generated_service(names, names.primary, primary_selector, options))
                + ensure(observed, SERVICE, generated_service(names, names.canary, canary_selector, options)))

    def repoint(self, observed, options, primary_selector):
        """The apex Service at the primary: the user's re-pointed (its ports and all else kept), else ours created."""
        names = observed.names
        live = self.apex(observed)
        if live is None or was_created_by_us(live):
            return ensure(observed, SERVICE, created_apex_service(names, primary_selector, options))
        if (live.get("spec") or {}).get("selector") == primary_selector:
            return []
        after = copy.deepcopy(live)
        after["spec"]["selector"] = dict(primary_selector)
        ref = names.ref(SERVICE, names.apex)
        return [RouterStep("re-point " + ref + " at the primary (ports kept)",
                           json_patch(observed, SERVICE, names.apex, repoint_patch(live, primary_selector)),
                           ref=ref, before=live, after=after)]

    # -- release --------------------------------------------------------------------------------------------
    def whole_selectors(self, observed, label, primary_value, canary_selector, primary_selector):
        """Whole selectors on the generated Services before traffic moves: the ``-canary`` Service the target's
        matchLabels, the ``-primary`` Service and the apex Service (while it is aimed at the primary) the primary's.
        A canary initialized by an earlier release selected on the selector label alone, which also selects another
        instance of the same app; nothing is written when the selectors are whole already."""
        names = observed.names
        steps = []
        for name, selector in ((names.canary, canary_selector), (names.primary, primary_selector)):
            live = observed.get(SERVICE, name)
            if live is not None and is_managed(live, names.target):
                steps += self._selector_steps(observed, live, selector)
        apex = self.apex(observed)
        if (((apex or {}).get("spec") or {}).get("selector") or {}).get(label) == primary_value:
            steps += self._selector_steps(observed, apex, primary_selector)
        return steps

    @staticmethod
    def _selector_steps(observed, live, selector):
        if (live.get("spec") or {}).get("selector") == selector:
            return []
        name = live["metadata"]["name"]
        ref = observed.names.ref(SERVICE, name)
        shown = ",".join("%s=%s" % item for item in sorted(selector.items()))
        return [RouterStep("select %s with the whole selector %s" % (ref, shown), json_patch(observed, SERVICE, name, repoint_patch(live, selector)),
                           ref=ref, before=live, after=dict(copy.deepcopy(live), spec=dict(live.get("spec") or {}, selector=dict(selector))))]

    # -- cleanup --------------------------------------------------------------------------------------------
    def finalize(self, observed, original, label, value, primary_value):
        """The apex Service as recorded (re-created when gone), ours deleted; with no record (the state was lost) a
        selector aimed at the primary pointed back at the target (``label`` None: nothing known, nothing touched)."""
        names = observed.names
        live = self.apex(observed)
        recorded = (original or {}).get("apex_service")
        if live is not None and was_created_by_us(live) and is_managed(live, names.target):
            return [delete(observed, SERVICE, live)]
        if recorded is not None:
            return self._restore_recorded(observed, live, recorded)
        if live is not None and label is not None:
            return self._unpoint(observed, live, label, value, primary_value)
        return []

    @staticmethod
    def _restore_recorded(observed, live, recorded):
        names = observed.names
        ref = names.ref(SERVICE, names.apex)
        if live is None:
            body = {"apiVersion": SERVICE[0], "kind": SERVICE[1],
                    "metadata": {"name": names.apex, "namespace": names.namespace,
                                 "labels": recorded.get("labels") or {}, "annotations": recorded.get("annotations") or {}},
                    "spec": copy.deepcopy(recorded["spec"])}
            return [RouterStep("re-create " + ref + " as recorded", lambda ctx: observed.api.create(body), ref=ref, outcome=RESTORED,
                               after=body)]
        if matches_record(live, recorded):
            return []
        body = restored(live, recorded)
        return [RouterStep("restore " + ref + " as recorded", lambda ctx: observed.api.replace(body), ref=ref, outcome=RESTORED,
                           before=live, after=body)]

    @staticmethod
    def _unpoint(observed, live, label, value, primary_value):
        selector = (live.get("spec") or {}).get("selector") or {}
        if selector.get(label) != primary_value:
            return []
        names = observed.names
        wanted = dict(selector)
        wanted[label] = value
        after = copy.deepcopy(live)
        after["spec"]["selector"] = wanted
        ref = names.ref(SERVICE, names.apex)
        return [RouterStep("point " + ref + " back at the target", json_patch(observed, SERVICE, names.apex, repoint_patch(live, wanted)),
                           ref=ref, outcome=RESTORED, before=live, after=after)]

    @staticmethod
    def removals(observed):
        return delete_generated(observed, SERVICE, (observed.names.primary, observed.names.canary))

    @staticmethod
    def managed_names(names):
        return {"canary_service": names.canary, "primary_service": names.primary, "apex_service": names.apex}
