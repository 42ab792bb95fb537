# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_promote: the target's revision onto the primary, then traffic back to the primary alone.

Order (contract phase 2, step 4): phase ``Promoting``; the tracked config copies and the primary HPA
from the target's; the primary's pod template (the target's, after the same relabel/config-rename as
init) and, without an HPA, its replicas; wait until the primary is ready; phase ``Finalising``; route
100/0; scale the target to 0; phase ``Succeeded`` with the revision recorded as promoted. When the primary's template
changes and the canary is ready, its traffic goes to the canary first (route 0/100) until its pods are replaced; every
routing change is in effect on every proxy before the pods it routed away from go (routers/settling.py).

Every step compares with the live object first, so a run killed between any two writes is finished by a
re-run without writing anything twice: in particular the primary's template is written only when it
differs, and an unchanged primary is never restarted (flagger#1163)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.canary import events, recovery
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import HPA
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal, Step
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import (
    ANALYSIS_PHASES, PROMOTION_PHASES, ReleaseRun, describe_revisions)
from ansible_collections.progressive.canary.plugins.module_utils.workloads import autoscaler, config_tracker


def primary_template(facts):
    """The target's pod template as the primary carries it (selector label value and config names moved, the
    tracked configs' checksum stamped: changed config data rolls the primary, unchanged data does not)."""
    renames = config_tracker.primary_renames(sorted(facts.tracked))
    return facts.workload.promoted_template(facts.target, facts.label, facts.value, renames, facts.checksums)


class PromoteRun(ReleaseRun):
    OPERATION = "promote"
    REPORTED_FLAGS = ("primary_updated",)

    def __init__(self, api, request, facts):
        super(PromoteRun, self).__init__(api, request, facts)
        self.nothing_to_promote = False
        self.primary_updated = False
        self.drained = False    # the primary's traffic moved to the canary while its pods are replaced

    def build(self):
        state = self.facts.state
        revision = self.facts.revision
        self._refusals()
        if revision == state["last_promoted_revision"] and state.phase not in PROMOTION_PHASES + ANALYSIS_PHASES:
            self.nothing_to_promote = True
            return self.plan
        self.record_step("set phase Promoting for revision %s" % revision, lambda state: state.promoting(revision))
        for config in self.facts.tracked.values():
            self.ensure_step((config["apiVersion"], config["kind"]), config_tracker.copy_body(config, self.names))
        target_hpa = self.target_hpa()
        if target_hpa is not None:
            self.ensure_step(HPA, autoscaler.primary_hpa(target_hpa, self.names))
        self._primary_step(target_hpa is None)
        self.wait_step(self.names.primary, self.facts.primary)
        if self.request.extra.get("step_weight_promotion"):
            self._stepped_promotion()
        self.record_step("set phase Finalising", lambda state: state.finalising(revision))
        if self.drained or self.request.extra.get("step_weight_promotion"):
            self.route_step_after_drain(0)
        else:
            self.route_step(0)
        self.scale_down_step(self.names.target, self.facts.target)
        checksums = self.facts.checksums
        self.record_step("set phase Succeeded, revision %s promoted" % revision, lambda state: state.promoted(revision, checksums))
        self.told = ([events.copying(self.names)] if self.primary_updated else []) + [events.promoted(self.names)]
        return self.plan

    def _refusals(self):
        state = self.facts.state
        step = self.request.extra.get("step_weight_promotion") or 0
        if not 0 <= step <= 100 or (self.request.extra.get("interval") or 0) < 0:
            raise Refusal("step_weight_promotion must be between 0 (all at once) and 100 and interval 0 or more seconds, got %s and %s"
                          % (step, self.request.extra.get("interval")))
        revision = self.facts.revision
        # Any phase: a revision rolled back once is never promoted, even after another one succeeded.
        if revision == state.get("failed_revision"):
            raise Refusal("revision %s of %s/%s was rolled back (%s): it is not promoted; apply a new revision"
                          % (revision, self.names.namespace, self.names.target, state.get("failure_reason") or "no reason recorded"))
        under_way = state.phase in ANALYSIS_PHASES + PROMOTION_PHASES
        if under_way and state["last_applied_revision"] not in (None, revision):
            raise Refusal("the target of %s/%s changed to revision %s while revision %s was %s: run canary_shift to restart the analysis"
                          % (self.names.namespace, self.names.target, revision, state["last_applied_revision"],
                             "promoted" if state.phase in PROMOTION_PHASES else "under analysis"))

    def _primary_step(self, replicas_follow_target):
        """Patch the primary's template when it differs; its replicas follow the target's when no HPA scales it."""
        primary = self.facts.primary
        # In the same patch as the template: the primary's record always names the revision it runs (recovery.py).
        promoted = copy.deepcopy(self.facts.state).promoted(self.facts.revision, self.facts.checksums)
        record = recovery.record(promoted, "Succeeded")
        step, template_changed = self.facts.workload.promote_step(
            primary, self.facts.target, primary_template(self.facts), replicas_follow_target,
            record=(recovery.record_ops(primary, record), lambda after: recovery.with_record(after, record),
                    "record revision %s as promoted on" % self.facts.revision))
        if template_changed:
            self.primary_updated = True
            if self.facts.workload.status(self.facts.target)["ready"]:
                self._drain_primary()
        if step is not None:
            self.plan.add(step)

    def _stepped_promotion(self):
        """Flagger's stepWeightPromotion: once the primary runs the new revision, traffic goes back to it by
        ``step_weight_promotion`` percent per interval (from all on the canary after a drain, else from the canary's
        weight), each weight held ``interval`` seconds under the lease; the last step (100/0) is the usual one."""
        step = int(self.request.extra["step_weight_promotion"])
        interval = int(self.request.extra.get("interval") or 0)
        canary = 100 if self.drained else self.facts.weights[1]
        while canary - step > 0:
            canary -= step
            self.route_step_after_drain(canary)
            self.settle_step("holding %d%% on the canary" % canary)
            self.plan.add(Step("hold %ds at %d/%d (primary/canary)" % (interval, 100 - canary, canary),
                               lambda ctx: self.lease.hold(interval), show_diff=False))

    def _drain_primary(self):
        """Before the primary's pods are replaced, every request goes to the canary, which runs the revision being
        promoted: a replaced pod that exits at once is then sent nothing by a proxy that has not yet heard of it."""
        self.drained = True
        for step in self.facts.router.set_routes(self.facts.routing, 0, 100):
            written = step.execute
            step.execute = lambda ctx, write=written: self.remember(write(ctx))
            self.plan.add(step)
        self.settle_step("replacing the pods of %s" % self.facts.workload.ref(self.names.primary))

    def result(self):
        state = self.current_state()
        result = describe_revisions(self.facts.revision, state)
        result.update({"phase": state.phase, "primary_updated": self.primary_updated, "nothing_to_promote": self.nothing_to_promote})
        return result
