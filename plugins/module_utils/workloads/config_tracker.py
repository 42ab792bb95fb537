# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config tracking: the ConfigMaps and Secrets a pod template references, their ``-primary`` copies, and pointing a pod
spec at the copies (or back at the originals)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build, digest
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CONFIGMAP, SECRET, TRACK_ANNOTATION, CanaryNames

UNTRACKED_VALUES = ("false", "disabled")


def _containers(pod_spec):
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def _reference_slots(pod_spec):
    """Every (holder dict, key, kind) that names a ConfigMap or Secret, so it can be read or rewritten in place."""
    slots = []
    for volume in pod_spec.get("volumes") or []:
        if volume.get("configMap"):
            slots.append((volume["configMap"], "name", "ConfigMap"))
        if volume.get("secret"):
            slots.append((volume["secret"], "secretName", "Secret"))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if source.get("configMap"):
                slots.append((source["configMap"], "name", "ConfigMap"))
            if source.get("secret"):
                slots.append((source["secret"], "name", "Secret"))
    for container in _containers(pod_spec):
        for env in container.get("env") or []:
            value_from = env.get("valueFrom") or {}
            if value_from.get("configMapKeyRef"):
                slots.append((value_from["configMapKeyRef"], "name", "ConfigMap"))
            if value_from.get("secretKeyRef"):
                slots.append((value_from["secretKeyRef"], "name", "Secret"))
        for env_from in container.get("envFrom") or []:
            if env_from.get("configMapRef"):
                slots.append((env_from["configMapRef"], "name", "ConfigMap"))
            if env_from.get("secretRef"):
                slots.append((env_from["secretRef"], "name", "Secret"))
    return [slot for slot in slots if slot[0].get(slot[1])]


def referenced_configs(pod_spec):
    """Sorted unique (kind, name) pairs of the ConfigMaps/Secrets the pod spec references."""
    return sorted(set((kind, holder[key]) for holder, key, kind in _reference_slots(pod_spec)))


def is_tracked(config):
    annotations = ((config or {}).get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(TRACK_ANNOTATION, "true")).lower() not in UNTRACKED_VALUES


def config_checksum(config):
    return digest({"data": config.get("data") or {}, "binaryData": config.get("binaryData") or {}})


def read_tracked(api, namespace, pod_spec):
    """{(kind, name): object} for every referenced config that exists and is not opted out.

    A missing reference is skipped: the pods would not start without it either way, and an optional
    reference is allowed to be missing."""
    tracked = {}
    for kind, name in referenced_configs(pod_spec):
        api_version = CONFIGMAP[0] if kind == "ConfigMap" else SECRET[0]
        config = api.get(api_version, kind, namespace, name)
        if config is not None and is_tracked(config):
            tracked[(kind, name)] = config
    return tracked


def tracked_checksums(tracked):
    """{"ConfigMap/name": checksum} for the state's ``tracked_configs`` and the revision hash."""
    return dict(("%s/%s" % key, config_checksum(config)) for key, config in tracked.items())


def copy_body(config, names):
    """The ``-primary`` copy of a tracked ConfigMap/Secret."""
    fields = {}
    for field in ("data", "binaryData", "type", "immutable"):
        if config.get(field) is not None:
            fields[field] = config[field]
    return build(config["apiVersion"], config["kind"], names.namespace, CanaryNames.primary_copy(config["metadata"]["name"]),
                 names.target, fields, labels=(config.get("metadata") or {}).get("labels"))


def rename_references(pod_spec, renames):
    """A copy of ``pod_spec`` whose references named in ``renames`` {(kind, old): new} point at the new names."""
    renamed = copy.deepcopy(pod_spec)
    for holder, key, kind in _reference_slots(renamed):
        new_name = renames.get((kind, holder[key]))
        if new_name:
            holder[key] = new_name
    return renamed


def primary_renames(tracked_keys):
    return dict(((kind, name), CanaryNames.primary_copy(name)) for kind, name in tracked_keys)


def original_renames(tracked_keys):
    """The inverse of primary_renames: copy names back to the originals."""
    return dict(((kind, CanaryNames.primary_copy(name)), name) for kind, name in tracked_keys)
