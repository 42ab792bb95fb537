# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_shift: start a rollout of a pending revision and set the canary's weight.

One call does what a step of the rollout needs, in this order (each part only when needed):
1. A new revision arrived while another was under analysis: route 100/0 and restart the analysis at
   weight 0 (``restarted``); the requested weight is not applied, the caller starts its steps again.
   A target reverted to the promoted (or the failed) revision abandons the analysis instead.
2. A pending revision and no analysis yet: phase ``Progressing`` with the revision under analysis
   (failed checks and step back to 0), scale the target up from 0 and wait until it is ready.
3. A weight above 0: the target scaled up when it is at 0 and ready before any traffic reaches it
   (NotReadyError otherwise, the caller rolls back), then the managed route at 100-w / w and the
   weight and step recorded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.canary import events
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory as routers
from ansible_collections.progressive.canary.plugins.module_utils.routers.strategy import PLAIN, any_shape, check_strategy, route_shape

# canary_shift's shape options (arguments/strategy.py SHAPE): the strategy's routes at the one weight it sets.
SHAPE_OPTIONS = ("match", "mirror", "mirror_weight", "session_affinity")
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import (
    ANALYSIS_PHASES, PROMOTION_PHASES, ReleaseRun, describe_revisions)


def shape_options(extra):
    """canary_shift's shape options as the strategy functions take them (a match is A/B testing's; a mirror is asked for
    at this weight); None when none is given (canary_advance gives its ``route_shape`` itself)."""
    options = dict((key, extra.get(key)) for key in SHAPE_OPTIONS)
    if not any(options.values()):
        return None
    options.update(iterations=1 if options["match"] else 0, mirrored=True)
    return options


class ShiftRun(ReleaseRun):
    OPERATION = "shift"
    REPORTED_FLAGS = ("restarted",)

    @staticmethod
    def check_options(request):
        """Refuse, before anything is read, shape options no strategy runs with or the provider cannot route."""
        options = shape_options(request.extra)
        if options is not None:
            check_strategy(options)
            routers.router_for(request.provider).check_shape(any_shape(options))

    def shape(self):
        """The route shape of the weight set: canary_advance's, else canary_shift's options', else plain."""
        options = shape_options(self.request.extra)
        if self.request.extra.get("route_shape") is not None or options is None:
            return self.request.extra.get("route_shape") or PLAIN
        return route_shape(options, self.facts.revision, self.weight)

    def __init__(self, api, request, facts):
        super(ShiftRun, self).__init__(api, request, facts)
        self.weight = request.extra["weight"]
        self.applied_weight = facts.weights[1]
        self.restarted = False
        self.told = []

    def build(self):
        if not 0 <= self.weight <= 100:
            raise Refusal("weight must be between 0 and 100, got %s" % self.weight)
        state = self.facts.state
        if state.phase in PROMOTION_PHASES:
            raise Refusal("canary %s/%s is being promoted (phase %s): run canary_promote to finish it"
                          % (self.names.namespace, self.names.target, state.phase))
        if self.facts.rollout_restarted:
            self._restart()
        elif not self.facts.pending:
            self._not_pending()
        else:
            self._progress()
        return self.plan

    def _restart(self):
        self.restarted = True
        self.applied_weight = 0
        self.told.append(events.restarted(self.names))
        self.route_step(0)
        if self.facts.pending:
            revision = self.facts.revision
            self.record_step("restart the analysis at weight 0 for the new revision %s" % revision,
                             lambda state: state.start_analysis(revision))
        else:
            self.scale_down_step(self.names.target, self.facts.target)
            revision = self.facts.revision
            self.record_step("abandon the analysis: the target is back at revision %s" % revision,
                             lambda state: state.abandon_analysis(revision))

    def _not_pending(self):
        state = self.facts.state
        # A step of a strategy (an iteration, the mirror step) analyses the canary at weight 0: nothing to analyse either.
        analysing = self.request.extra.get("iteration") is not None or not self.shape().plain
        if self.weight > 0 or analysing:
            if self.facts.revision == state.get("failed_revision"):
                raise Refusal("revision %s of %s/%s was rolled back (%s); it is not retried: apply a new revision"
                              % (self.facts.revision, self.names.namespace, self.names.target, state.get("failure_reason") or "no reason recorded"))
            raise Refusal("nothing to roll out: the revision %s of %s/%s is the promoted one (change the pod template or a tracked config)"
                          % (self.facts.revision, self.names.namespace, self.names.target))
        self.applied_weight = 0
        self.route_step(0)

    def _progress(self):
        state = self.facts.state
        revision = self.facts.revision
        starting = state.phase not in ANALYSIS_PHASES
        if starting:
            self.record_step("start the analysis of revision %s" % revision, lambda state: state.start_analysis(revision))
        moving = self.facts.weights[1] != self.weight
        if starting:
            self.selector_steps()
        if starting:
            self.told.append(events.new_revision(self.names))
        if starting or (self.weight > 0 and moving):
            self._ready_target()
        if starting:
            self.told.append(events.analysis_started(self.names))
        if self.weight > 0 and moving:
            self.told.append(events.advanced(self.names, self.weight))
        self.applied_weight = self.weight
        # The strategy's shape (canary_advance's A/B match, mirror, session cookie) only while a release is analysed;
        # a restart or a reverted target routes the plain canary at 0.
        self.route_step(self.weight, self.shape())
        weight = self.weight
        self.record_step("record weight %d" % weight, lambda state: state.record_weight(weight))
        iteration = self.request.extra.get("iteration")
        if iteration is not None:   # A/B testing, Blue/Green: the iterations passed
            strategy = self.request.extra.get("strategy")
            total = self.request.extra.get("iterations") or iteration
            if iteration > 0 and iteration != state.get("iterations"):
                self.told.append(events.iteration_advanced(self.names, iteration, total))
            self.record_step("record iteration %d of %d (%s)" % (iteration, total, strategy),
                             lambda state: state.record_iteration(strategy, iteration, total))

    def _ready_target(self):
        """Never traffic to a target with no ready replica: scale it up from 0, then wait. A target that was ready when
        this plan read it (every step after the first) is not read again."""
        target = self.facts.target
        workload = self.facts.workload
        if not workload.replicas(target):
            replicas = workload.scale_from_zero_replicas(self.facts.originals.get("target_replicas"), self.facts.primary, self.target_hpa())
            self.scale_step(self.names.target, target, replicas)
        elif workload.readiness(target)[0]:
            return
        self.wait_step(self.names.target, target)

    def result(self):
        state = self.current_state()
        result = describe_revisions(self.facts.revision, state)
        result.update({"weight": self.applied_weight, "phase": state.phase, "step": state.get("step", 0),
                       "restarted": self.restarted, "target": self.facts.workload.ref(self.names.target)})
        return result
