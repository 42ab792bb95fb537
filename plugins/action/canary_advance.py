# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of progressive.canary.canary_advance: with ``repeat``, the analysis in one task.

It calls the module once per step (each call one process, as any module task, run where the task runs), each step
starting from the previous one's run record, until the decision is promote or rollback or a step fails, and prints
each step's line as it ends. One task instead of a tasks file included again for every step: the play's memory and
per-step cost stay flat however long the analysis (a 1 h gate at 1 m intervals is 60 module calls, not 60 nested
includes). The lines go to standard error so that a machine-readable stdout callback stays parseable; the task's
result has them all (``lines``) for AWX's job events and the role's summary.

A step starts only while the ansible-playbook that started the task runs (the worker's parent): when it was killed,
the worker, orphaned, would otherwise drive the analysis on beside the next run, which takes the lease over and
resumes from the state object. The step in flight ends as any module process does.

Each step hands the next one what it wrote (the module's ``written``: the state and the route as the API server
answered), so that the next step writes at them instead of reading them first (phases/advance.py says when it may).
It is never part of the task's result (nor of its ``invocation``): it is the steps' business, and large."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.progressive.canary.plugins.module_utils.scheduler import failed_step, merged

display = Display()

# The decisions after which another step follows (phases/advance.py GOING_ON; not imported: it needs the kube client).
GOING_ON = ("shift", "hold")


class ActionModule(ActionBase):

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # no effect since Ansible 2.5
        module_args = dict(self._task.args)
        repeat = boolean(module_args.get("repeat", False), strict=False) and not self._task.check_mode
        run = dict(module_args.get("run") or {})
        host = task_vars.get("inventory_hostname", "") if task_vars else ""
        lines, actions, warnings, changed, seconds = [], [], [], False, []
        controller = os.getppid()
        written = None
        module_args.pop("written", None)    # the steps' own: never the task's
        while True:
            started = time.time()
            step = self._execute_module(module_name="progressive.canary.canary_advance",
                                        module_args=dict(module_args, run=run, written=written), task_vars=task_vars)
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
                step = dict(step, failed=True, next_action="error",
                            msg="ansible-playbook (pid %d) has gone: no further step; the next run resumes" % controller)
                break
        result.update(step)
        result.update(changed=changed, actions=actions, lines=lines, steps=len(seconds), step_seconds=seconds)
        if warnings:
            result["warnings"] = warnings
        return result
