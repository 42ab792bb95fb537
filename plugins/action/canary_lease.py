# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of progressive.canary.canary_lease: tells the module which process runs the play.

Ansible runs each task in a worker process forked from ansible-playbook, so the worker's parent is the
ansible-playbook process, alive for the whole run. When the module runs on the controller too (local
connection), recording that process in the lease lets a later run on this host see that the run holding it
was killed, and take the lease over at once instead of waiting for it to expire."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.modules import canary_lease
from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import ModuleAction


class ActionModule(ModuleAction):

    MODULE = canary_lease
    _supports_async = False  # its waits renew the run's lease: a background job would outlive the run

    def task_result(self, module_args, task_vars):
        return self._run_module(self.with_controller_pid(module_args), task_vars)
