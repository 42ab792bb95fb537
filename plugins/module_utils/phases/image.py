# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_image: set the image of one container of the target Deployment, and nothing else.

The write is a JSON patch on the container's index guarded by a ``test`` of its name. Sent twice (a retry after a
lost answer), it means the same thing; a container list that changed meanwhile fails the test instead of
receiving the image at the wrong place. A strategic-merge or merge patch of ``containers`` would not be safe:
kubernetes.core retries a failed strategic merge as a merge patch, which replaces the whole list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import CanaryApiError
from ansible_collections.progressive.canary.plugins.module_utils.kube.retry import retry_stale
from ansible_collections.progressive.canary.plugins.module_utils.planning.driver import PLAN_ATTEMPTS
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.workloads import factory as workloads


def find_container(workload, target_object, target, container=None):
    """(index, name) of ``container`` in the target's pod template, the first container when None; Refusal naming the
    containers that exist when there is no such container."""
    names = [item.get("name") for item in workload.containers(target_object)]
    if not names:
        raise Refusal("%s has no containers" % workload.ref(target))
    if not container:
        return 0, names[0]
    if container not in names:
        raise Refusal("%s has no container %r; its containers are: %s (option container, or the role's "
                      "rollout_container)" % (workload.ref(target), container, ", ".join(names)))
    return names.index(container), container


def _read(workload, target, container):
    target_object = workload.read(target)
    if target_object is None:
        raise Refusal("%s not found" % workload.ref(target))
    index, name = find_container(workload, target_object, target, container)
    return index, name, workload.containers(target_object)[index].get("image")


def set_image(api, namespace, target, image, container=None, check_mode=False, want_diff=False):
    """Set ``image`` on one container of the target ``namespace/target``; returns the module result. Raises Refusal
    (no such target or container) before any write, CanaryApiError for an API failure. A patch whose name test
    failed because the containers moved since the read (422) reads and patches again, at most PLAN_ATTEMPTS times."""
    if not target or not namespace:
        # An empty name would read the whole collection (a list, not a Deployment).
        raise Refusal("target and namespace must be non-empty names (got target %r, namespace %r)" % (target, namespace))
    workload = workloads.workload(api, CanaryNames(target, namespace))
    read = {}

    def attempt():
        read["index"], read["name"], current = _read(workload, target, container)
        result = {"changed": current != image, "container": read["name"], "image": image, "previous_image": current}
        if want_diff:
            label = "%s container %s" % (workload.ref(target), read["name"])
            result["diff"] = {"before_header": label, "after_header": label,
                              "before": {"container": read["name"], "image": current}, "after": {"container": read["name"], "image": image}}
        if result["changed"] and not check_mode:
            workload.json_patch(target, workload.image_patch(read["index"], read["name"], image, current is not None))
        return result

    def stale(exc):
        """A failed name test (422) because the containers moved since the read."""
        return isinstance(exc, CanaryApiError) and exc.status == 422 and _read(workload, target, container)[:2] != (read["index"], read["name"])

    return retry_stale(attempt, stale, PLAN_ATTEMPTS)
