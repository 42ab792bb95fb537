# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload interface (as Flagger's canary Controller): what the phases ask of a canary's target and primary,
whatever their kind. One file per kind implements it; ``factory.py`` lists the kinds.

Reads return objects; whatever changes the cluster returns a planned ``plan.Step`` (or None when there is nothing
to do), which the phase adds to its plan: nothing here writes while planning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Step
from ansible_collections.progressive.canary.plugins.module_utils.workloads import pod_template
from ansible_collections.progressive.canary.plugins.module_utils.workloads.wait import wait_until

# Re-exported: the selector value of the primary is the target's suffixed ``-primary``, for every kind.
primary_value = pod_template.primary_value


class Workload(object):
    """The target and the primary of one canary (``names``), read and changed through ``api``."""

    KIND = None     # (apiVersion, kind)

    def __init__(self, api, names):
        self.api = api
        self.names = names

    @property
    def kind(self):
        return self.KIND

    def ref(self, name):
        """The "Kind namespace/name" text of ``name``, for messages and step descriptions."""
        return self.names.ref(self.KIND, name)

    def read(self, name):
        """The live object ``name`` of this kind, or None."""
        return self.api.get_kind(self.names.namespace, self.KIND, name)

    # -- selector --------------------------------------------------------------------------------------------
    def match_labels(self, obj):
        """The whole label selector of ``obj``'s pods (a dict)."""
        raise NotImplementedError

    def primary_selector(self, target, label, live_primary=None):
        """The labels that select exactly the primary's pods."""
        raise NotImplementedError

    # -- pod template and revision ---------------------------------------------------------------------------
    def pod_template(self, obj):
        raise NotImplementedError

    def pod_spec(self, obj):
        return (self.pod_template(obj) or {}).get("spec") or {}

    def revision(self, obj, config_checksums):
        """The revision of ``obj``: its pod template plus the data of the configs it tracks."""
        return pod_template.revision(self.pod_template(obj), config_checksums)

    # -- the primary -----------------------------------------------------------------------------------------
    def primary_body(self, target, label, config_renames, replicas, config_checksums=None):
        """The primary built from the target: selector value suffixed ``-primary``, configs renamed to their copies."""
        raise NotImplementedError

    def promoted_template(self, target, label, value, config_renames, config_checksums):
        """The target's pod template as the primary runs it."""
        return pod_template.primary_template(self.pod_template(target), label, value, config_renames, config_checksums)

    def promote_step(self, primary, target, template, replicas_follow_target, record=None):
        """Step: the primary takes ``template`` (and, when ``replicas_follow_target``, the target's replicas);
        ``record`` = (JSON-patch ops, function marking the after-object, description) written in the same patch.
        Returns (step or None, whether the template changes)."""
        raise NotImplementedError

    def json_patch(self, name, ops):
        """Apply the JSON patch ``ops`` to the object ``name`` of this kind (now: callers plan it as a step)."""
        return self.api.patch(self.KIND[0], self.KIND[1], self.names.namespace, name, ops, "json")

    def annotate_step(self, name, ops, description):
        """Step: a JSON patch of ``name``'s metadata (the recovery record), no diff shown."""
        return Step(description, lambda ctx: self.json_patch(name, ops), show_diff=False)

    # -- containers ------------------------------------------------------------------------------------------
    def containers(self, obj):
        """The containers of ``obj``'s pod template (a list)."""
        return (self.pod_spec(obj) or {}).get("containers") or []

    def image_patch(self, index, name, image, has_image=True):
        """The JSON patch setting the image of container ``index``, only while that index still holds ``name``."""
        raise NotImplementedError

    # -- replicas --------------------------------------------------------------------------------------------
    def replicas(self, obj):
        """The replicas ``obj`` asks for (None when it does not say)."""
        raise NotImplementedError

    def replicas_to_record(self, target):
        """The target's replicas as init records them (to restore at cleanup, to scale from zero)."""
        raise NotImplementedError

    def scale_step(self, live, replicas, guarded=True):
        """Step scaling ``live`` to ``replicas`` (only while its spec is the one read, when ``guarded``); None when
        it already has them."""
        raise NotImplementedError

    def scale_from_zero_replicas(self, recorded, primary, target_hpa=None):
        """Replicas for the target when it leaves 0."""
        raise NotImplementedError

    # -- readiness -------------------------------------------------------------------------------------------
    def readiness(self, obj):
        """The readiness predicate: (done, reason, final); ``final`` when it cannot become ready."""
        raise NotImplementedError

    def ready_timeout(self, option, live):
        """The wait's deadline in seconds: the option when given, else the kind's own."""
        raise NotImplementedError

    def wait_step(self, name, timeout, on_poll=None, description=None):
        """Step (writing nothing): wait until ``name`` is ready, through the one wait loop."""
        ref = self.ref(name)
        return Step(description or "wait for %s to be ready" % ref,
                    lambda ctx: wait_until(lambda: self.read(name), self.readiness, timeout, ref, on_poll=on_poll),
                    changes=False)

    def status(self, obj):
        """For canary_info: replicas, ready_replicas, ready, reason."""
        raise NotImplementedError

    # -- cleanup ---------------------------------------------------------------------------------------------
    def restore_replicas(self, primary, recorded, target):
        """The replicas the target gets back at cleanup."""
        raise NotImplementedError

    def restored_template(self, primary, label, value, config_renames):
        """The primary's pod template moved back to the target's labels and configs; None without a primary."""
        if primary is None or label is None:
            return None
        return pod_template.target_template(self.pod_template(primary), label, value, config_renames)

    def restore_step(self, target, replicas, template):
        """Step giving the target back ``replicas`` and (unless None) ``template``; None when it has them."""
        raise NotImplementedError
