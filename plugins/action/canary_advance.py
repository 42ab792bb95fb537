# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of progressive.canary.canary_advance: with ``repeat``, the analysis in one task.

It calls the module once per step (in the worker or as a process, as plugin_utils/in_worker.py says), each step
starting from the previous one's run record, until the decision is promote or rollback or a step fails, and prints
each step's line as it ends. One task instead of a tasks file included again for every step: the play's memory and
per-step cost stay flat however long the analysis (a 1 h gate at 1 m intervals is 60 module calls, not 60 nested
includes). The lines go to standard error so that a machine-readable stdout callback stays parseable; the task's
result has them all (``lines``) for AWX's job events and the role's summary.

A step starts only while the ansible-playbook that started the task runs (the worker's parent): when it was killed,
the worker, orphaned, would otherwise drive the analysis on beside the next run, which takes the lease over and
resumes from the state object. A step waiting its interval then stops (the module's ``controller_pid``); a step past
its wait ends as any module does.

Each step hands the next one what it wrote (the module's ``written``: the state and the route as the API server
answered), so that the next step writes at them instead of reading them first (phases/advance.py says when it may).
It is never part of the task's result (nor of its ``invocation``): it is the steps' business, and large."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.utils.display import Display

from ansible_collections.progressive.canary.plugins.module_utils.phases.advance import GOING_ON
from ansible_collections.progressive.canary.plugins.module_utils.scheduler import failed_step, merged
from ansible_collections.progressive.canary.plugins.modules import canary_advance
from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import ModuleAction
from ansible_collections.progressive.canary.plugins.plugin_utils.release_run import (
    FINISHING, ReleaseRun, RollbackFailed, finish_options)

display = Display()

CARRIED = ("release",) + FINISHING  # the run record's actions that finish carries on


class ActionModule(ModuleAction):

    MODULE = canary_advance
    _supports_async = False  # its steps are calls of the module one after the other

    def task_result(self, module_args, task_vars):
        module_args = self.with_controller_pid(module_args)
        module_args.pop("written", None)    # the steps' own: never the task's
        run = dict(module_args.get("run") or {})
        finish = boolean(module_args.get("finish", False), strict=False)
        if finish and run.get("action") not in CARRIED:
            # Nothing to carry (nothing to release, a run that ended, check mode's plan of what a real run would do).
            return dict(changed=False, run=run, next_action=run.get("action"), lines=[], steps=0, step_seconds=[],
                        actions=[])
        # In check mode a promotion or a rollback is planned by its module; an analysis is one step, as with repeat.
        if finish and (not self._task.check_mode or run.get("action") in FINISHING):
            return self._to_the_end(run, module_args, task_vars)
        repeat = finish or boolean(module_args.get("repeat", False), strict=False)
        return self._steps(run, module_args, task_vars, repeat and not self._task.check_mode)

    def _to_the_end(self, run, module_args, task_vars):
        """``finish``: the run from the role's decision to its end (plugin_utils/release_run.py), as one result: the
        steps' (when they ran) with the run record at the end, everything written and whether anything changed."""
        controller = os.getppid()
        options = finish_options(module_args)
        if options is None:     # invalid: the module's own message
            return self._steps(run, module_args, task_vars, False)
        # The plan of a run that releases, shown as the run starts (the rollout role's run record has it).
        plan = [run["plan"]] if run.get("action") == "release" and run.get("plan") else []
        for line in plan:
            display.display("[%s] %s" % (task_vars.get("inventory_hostname", ""), line), stderr=True)
        release = ReleaseRun(options, lambda module, arguments: self._run_module(arguments, task_vars, module),
                             lambda start: self._steps(start, module_args, task_vars, True),
                             lambda: os.getppid() == controller)
        try:
            run = release.to_the_end(run)
            result = dict(release.steps or {"next_action": run.get("action"), "lines": [], "steps": 0, "step_seconds": []},
                          run=run, failed=False)
        except RollbackFailed as failure:
            result = dict(failure.result, run=merged(failure.run, {"action": "error", "reason": failure.result.get("msg", "")}))
        result.pop("msg", None)
        if result["run"].get("action") == "error":
            result["msg"] = result["run"].get("reason", "")
        pieces = [piece for piece in release.calls if not piece.get("skipped")] + [release.steps or {}]
        result.update(lines=plan + list(result.get("lines") or []), changed=any(piece.get("changed") for piece in pieces),
                      actions=[action for piece in pieces for action in piece.get("actions") or []],
                      next_action=result["run"].get("action"))
        warnings = [warning for piece in pieces for warning in piece.get("warnings") or []] + release.warnings
        if warnings:
            result["warnings"] = warnings
        return result

    def _steps(self, run, module_args, task_vars, repeat):
        host = task_vars.get("inventory_hostname", "")
        lines, actions, warnings, changed, seconds = [], [], [], False, []
        controller = os.getppid()
        written = None
        while True:
            started = time.time()
            step = self._run_module(dict(module_args, run=run, written=written), task_vars)
            seconds.append(round(time.time() - started, 3))
            written = step.pop("written", None)
            ((step.get("invocation") or {}).get("module_args") or {}).pop("written", None)
            changed = changed or bool(step.get("changed"))
            actions.extend(step.get("actions") or [])
            warnings.extend(step.get("warnings") or [])   # a step's undelivered Events and alerts, kept past later steps
            if step.get("failed"):
                step["run"] = merged(run, failed_step(run, step))
                step["next_action"] = "error"
                break
            run = step["run"]
            if step.get("line"):
                lines.append(step["line"])
                display.display("[%s] %s" % (host, step["line"]), stderr=True)
            if not repeat or step.get("next_action") not in GOING_ON:
                break
            if os.getppid() != controller:
                gone = "ansible-playbook (pid %d) has gone: no further step; the next run resumes" % controller
                step = dict(step, failed=True, next_action="error", msg=gone,
                            run=merged(run, {"action": "error", "reason": gone}))
                break
        result = dict(step)
        result.update(changed=changed, actions=actions, lines=lines, steps=len(seconds), step_seconds=seconds)
        if warnings:
            result["warnings"] = warnings
        return result
