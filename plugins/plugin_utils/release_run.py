# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A release run carried to its end by canary_advance's action (option ``finish``): Flagger's whole tick, from the
run record the rollout role decided (its ``action``) to ``done`` or ``error``.

- ``release``: the confirm-rollout gates (at weight 0), the canary scaled up at the run's weight and ready within the
  progress deadline, the pre-rollout hooks tried until they pass or the failed checks reach the threshold (each try
  after the first waits the interval, keeping the run's lease), then the analysis steps;
- ``promote`` (the steps' decision, or a skipped analysis): the confirm-promotion gates (not asked again when finishing
  a promotion a killed run left), canary_promote, then the post-rollout hooks, whose failure is only reported;
- ``rollback`` or ``tidy``: canary_rollback, then the post-rollout hooks when it rolled back.

With ``alerts``, the release's start and its end (promoted or rolled back) are told to them (canary_notify), as
Flagger's controller tells them from its tick: the failed checks in between are told by the steps.

Each piece is the collection's own module, called as the role's tasks called it (``call``: in the worker or as a
process, plugin_utils/in_worker.py), and what each result means for the run is the scheduler's decision
(module_utils/scheduler.py), as the role's filters applied it. One task instead of about ten per canary: each task is
a worker forked from ansible-playbook, which is what bounds a fleet of canaries on a small controller (bench/README.md).

A failed rollback fails the task (nothing else can put the traffic back). A module that fails (an API error, the lease
lost) ends the run with action ``error`` and its reason, which the role's summary reports (a re-run resumes from the
state object); so does the end of the ansible-playbook that started the task, before any further call. canary_shift's
and canary_promote's failures mean what the scheduler says (merge_shift, merge_promote). Post-rollout hooks that fail,
and alerts that cannot be told, are warnings (Flagger only logs them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.progressive.canary.plugins.module_utils.arguments.advance import ARGUMENT_SPEC
from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import COMMON
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import (
    after_pre_rollout, as_int, close_gate, merge_promote, merge_rollback, merge_shift, merged)
from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import module_name
from ansible_collections.progressive.canary.plugins.modules import (
    canary_analysis, canary_lease, canary_notify, canary_promote, canary_rollback, canary_shift, canary_webhook)

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

# What every piece of the run shares with canary_advance's task: the canary, its lease and the connection.
SHARED_OPTIONS = tuple(COMMON) + tuple(AUTH_ARG_SPEC) + ("alerts",)
FINISHING = ("promote", "rollback", "tidy")


def finish_options(module_args):
    """canary_advance's arguments as its module reads them (types, defaults), for the run's own decisions; None when
    they are invalid (the module's first step then fails with its own message). What the pieces share with the task is
    passed as the task gave it (``shared``): each module applies its own defaults and fallbacks."""
    validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(module_args)
    if validated.error_messages:
        return None
    options = validated.validated_parameters
    options["shared"] = dict((name, value) for name, value in module_args.items()
                             if name in SHARED_OPTIONS and value is not None)
    return options


class RollbackFailed(Exception):
    """canary_rollback failed: the task fails with its result and the run record as it stood."""

    def __init__(self, result, run):
        super(RollbackFailed, self).__init__(result.get("msg", "canary_rollback failed"))
        self.result = result
        self.run = run


class RunEnded(Exception):
    """A piece failed, or ansible-playbook has gone: the run ends with action error and this reason."""


def _accepts(module, name):
    spec = module.ARGUMENT_SPEC
    return name in spec or any(name in (option.get("aliases") or []) for option in spec.values())


class ReleaseRun(object):
    """The run of one task. ``options``: canary_advance's arguments; ``call(module, arguments)``: the module's result
    (a failure as a result, never raised); ``run_steps(run)``: the analysis steps from ``run`` (the action's loop),
    their result; ``still_running()``: False once the ansible-playbook that started the task has ended."""

    def __init__(self, options, call, run_steps, still_running):
        self.options = options
        self._call = call
        self._run_steps = run_steps
        self._still_running = still_running
        self.hook_types = set(hook.get("type") for hook in options.get("webhooks") or [] if isinstance(hook, dict))
        self.calls = []     # every piece's result, in order, for the task's actions and changed
        self.steps = None   # the steps' result, when they ran
        self.warnings = []  # what failed without ending the run (post-rollout hooks, alerts)

    def call(self, module, **arguments):
        """``module``'s result; none once ansible-playbook has gone (an orphaned worker must not act beside the next
        run, which takes the lease over and resumes)."""
        self._ensure_running()
        shared = dict((name, value) for name, value in self.options["shared"].items() if _accepts(module, name))
        shared.update(arguments)
        result = self._call(module, shared)
        self.calls.append(result)
        return result

    def _call_or_end(self, module, **arguments):
        """``module``'s result; its failure ends the run (as a failed task of the role ended it)."""
        result = self.call(module, **arguments)
        if result.get("failed"):
            raise RunEnded("%s failed: %s" % (module_name(module), result.get("msg", "")))
        return result

    def _hooks(self, hook_type, **arguments):
        """canary_webhook's result for ``hook_type`` (a hook that fails or a gate that stays closed is ``passed``
        false, for the run to decide on), or {} (skipped) without such hooks."""
        if hook_type not in self.hook_types:
            return {}
        return self._call_or_end(canary_webhook, type=hook_type, webhooks=self.options["webhooks"], fail_on_failure=False,
                                 **arguments)

    def _post_rollout_hooks(self, phase, revision):
        """Flagger only logs failed post-rollout hooks: a failure (of a hook or of the call) is a warning."""
        if "post-rollout" not in self.hook_types:
            return
        result = self.call(canary_webhook, type="post-rollout", webhooks=self.options["webhooks"], fail_on_failure=False,
                           phase=phase, checksum=revision or "")
        if result.get("failed") or not result.get("passed", True):
            self.warnings.append("post-rollout hooks: %s" % result.get("msg", "failed"))

    def _notify(self, event, fields, reason=""):
        """Tell the alerts (canary_notify: an alert it could not deliver is a warning, never the run's failure)."""
        if self.options.get("alerts"):
            result = self.call(canary_notify, event=event, reason=reason, fields=fields)
            if result.get("failed"):
                self.warnings.append("alerts of the release %s: %s" % (event, result.get("msg", "")))

    def _notify_end(self, run):
        if run.get("action") == "done" and run.get("outcome") in ("promoted", "rolled back"):
            try:
                duration = round(time.time() - float(run.get("started")), 1)
            except (TypeError, ValueError):
                duration = "-"
            self._notify("promoted" if run["outcome"] == "promoted" else "rolled_back",
                         {"Revision": run.get("revision"), "Duration": "%ss" % duration}, reason=run.get("reason") or "")
        return run

    def to_the_end(self, run):
        """The run record once the run has ended: action ``done`` (promoted, rolled back, unchanged) or ``error``."""
        if run.get("action") not in ("release",) + FINISHING:
            return run
        self.run = run
        try:
            self._to_the_end()
        except RunEnded as ended:
            return merged(self.run, {"action": "error", "reason": str(ended)})
        return self._notify_end(self.run)

    def _to_the_end(self):
        """Each stage updates self.run, so that a run that ends early keeps what it did."""
        if self.run.get("action") == "release":
            self._notify("started", {"Revision": self.run.get("revision"), "Image": self.run.get("image") or "-",
                                     "Plan": self.run.get("plan")})
            self.run = self.start_analysis(self.run)
            if self.run.get("action") in ("shift", "hold"):
                self.run = self.analyse(self.run)
        if self.run.get("action") == "promote":
            self.run = self.promote(self.run)
        if self.run.get("action") in ("rollback", "tidy"):
            self.run = self.roll_back(self.run)

    def start_analysis(self, run):
        """The confirm-rollout gate at weight 0 (a closed one ends the run before anything changed), the canary scaled
        up and ready at the run's weight, then the pre-rollout hooks at weight 0; a skipped analysis promotes at once."""
        options = self.options
        gate = self._hooks("confirm-rollout", phase=options["phase_before"], checksum=run.get("revision") or "") \
            if as_int(run.get("weight")) == 0 else {}
        run = self.run = merged(run, close_gate(run, gate, "confirm-rollout"))
        if run.get("action") == "error":
            return run
        shift = self.call(canary_shift, weight=as_int(run.get("weight")), ready_timeout=options["ready_timeout"])
        run = self.run = merged(run, merge_shift(run, shift, options["ready_timeout"]))
        pre_rollout = run.get("action") == "shift" and as_int(run.get("weight")) == 0 and "pre-rollout" in self.hook_types
        if pre_rollout:
            return merged(run, after_pre_rollout(run, self._try_pre_rollout_hooks(run), options["threshold"],
                                                 options["skip_analysis"]))
        return merged(run, after_pre_rollout(run, {}, options["threshold"], options["skip_analysis"]))

    def _try_pre_rollout_hooks(self, run):
        """Flagger: a failed pre-rollout hook is a failed check, tried again each interval until it passes or the failed
        checks (recorded in the state, so a resumed run counts on) reach the threshold. The last try's result."""
        threshold = as_int(self.options["threshold"])
        result = {}
        for attempt in range(threshold + 1):
            if attempt > 0:
                self._call_or_end(canary_lease, state="held", hold=as_int(self.options["wait"]),
                                  controller_pid=self.options.get("controller_pid"))
            result = self._call_or_end(canary_analysis, webhooks=self.options["webhooks"], webhook_type="pre-rollout",
                                       checksum=run.get("revision") or "", record_in_state=True, fail_on_failure=False)
            if result.get("passed", False) or as_int((result.get("state") or {}).get("failed_checks")) >= threshold:
                break
        return result

    def _ensure_running(self):
        if not self._still_running():
            raise RunEnded("ansible-playbook has gone: nothing more is done; the next run resumes")

    def analyse(self, run):
        self._ensure_running()
        self.steps = self._run_steps(run)
        return self.steps["run"]

    def promote(self, run):
        """Confirm-promotion gate (not when finishing a killed run's promotion), canary_promote, post-rollout hooks."""
        options = self.options
        gate = {} if options["resuming"] else self._hooks("confirm-promotion", checksum=run.get("revision") or "")
        promoted = {}
        if gate.get("passed", True):
            promoted = self.call(canary_promote, ready_timeout=options["ready_timeout"],
                                 step_weight_promotion=options["step_weight_promotion"], interval=options["wait"],
                                 route_settle_seconds=options.get("route_settle_seconds"))
            if "phase" in promoted:
                self._post_rollout_hooks("Succeeded", promoted.get("revision"))
        run = merged(run, close_gate(run, gate, "confirm-promotion"))
        return merged(run, merge_promote(run, promoted, options["phase_before"], options["resuming"]))

    def roll_back(self, run):
        """canary_rollback (its failure fails the task), then the post-rollout hooks when it rolled back."""
        rollback = self.call(canary_rollback, reason=run.get("reason") or "",
                             route_settle_seconds=self.options.get("route_settle_seconds"))
        if rollback.get("failed"):
            raise RollbackFailed(rollback, run)
        if rollback.get("changed") and rollback.get("rolled_back"):
            self._post_rollout_hooks("Failed", rollback.get("revision"))
        return merged(run, merge_rollback(run, rollback))
