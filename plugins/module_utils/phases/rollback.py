# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_rollback: abort a rollout (contract phase 2, step 5).

Route 100/0, scale the target to 0, phase ``Failed`` with the failed revision and the reason recorded, so
that canary_shift and canary_promote refuse that same revision until a new one is applied. A target whose
revision is the promoted one has nothing to roll back: traffic and replicas are still put back, the phase
is left alone. A promotion under way (phases Promoting, Finalising) is refused: the primary may already
run the new revision, so the only safe way on is to finish it with canary_promote."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.canary import events, recovery
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import PROMOTION_PHASES, ReleaseRun, describe_revisions

DEFAULT_REASON = "rolled back by canary_rollback"


class RollbackRun(ReleaseRun):
    OPERATION = "rollback"
    REPORTED_FLAGS = ("rolled_back",)

    def __init__(self, api, request, facts):
        super(RollbackRun, self).__init__(api, request, facts)
        self.reason = request.extra.get("reason") or DEFAULT_REASON
        self.rolled_back = False

    def build(self):
        state = self.facts.state
        if state.phase in PROMOTION_PHASES:
            raise Refusal("canary %s/%s is being promoted (phase %s): the primary may already run the new revision; "
                          "run canary_promote to finish the promotion" % (self.names.namespace, self.names.target, state.phase))
        self.route_step(0)
        self.scale_down_step(self.names.target, self.facts.target)
        revision = self.facts.revision
        if revision == state["last_promoted_revision"]:
            self.record_step("record weight 0", lambda state: state.clear_weight())
        else:
            self.rolled_back = True
            reason = self.reason
            self._record_on_primary(lambda state: state.fail(revision, reason))
            self.record_step("set phase Failed for revision %s" % revision, lambda state: state.fail(revision, reason))
            self.told = [events.rolling_back(self.names, reason), events.canary_failed(self.names)]
        return self.plan

    def _record_on_primary(self, mutator):
        """The failed revision on the primary's record first (recovery.py): a state lost later still knows it."""
        failed = copy.deepcopy(self.facts.state)
        mutator(failed)
        ops = recovery.record_ops(self.facts.primary, recovery.record(failed, "Failed"))
        if not ops:
            return
        workload = self.facts.workload
        self.plan.add(workload.annotate_step(self.names.primary, ops, "record the failed revision on " + workload.ref(self.names.primary)))

    def result(self):
        state = self.current_state()
        result = describe_revisions(self.facts.revision, state)
        result.update({"phase": state.phase, "rolled_back": self.rolled_back, "failure_reason": state.get("failure_reason")})
        return result
