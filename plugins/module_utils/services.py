# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Services: the ``-primary``/``-canary`` Services, the apex Service (re-pointed, created, restored)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.names import CREATED_ANNOTATION, SERVICE

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
        {"op": "test", "path": "/metadata/resourceVersion", "value": live["metadata"]["resourceVersion"]},
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
