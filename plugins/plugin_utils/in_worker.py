# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action every module of the collection runs through: its module's code in Ansible's worker process when the
module process would run on this same machine under this same Python anyway, else the module as any other.

Why: a module process is a new interpreter that unpacks the AnsiballZ zip and compiles ``ansible.module_utils.basic``
and our module_utils from source, every time: ~0.4-0.6 CPU-s, most of a release's cost on a small controller (see
bench/README.md). The worker is a process forked from ansible-playbook for this one task, and it already has the
module's code: each action plugin imports its module at its top, and the strategy imports the action plugin in
ansible-playbook (to read BYPASS_HOST_LOOP) before it forks any worker. So the module's work costs what it does, no
more.

What stays the same: the module's own AnsibleModule validates and masks the arguments (the same ``_ansible_*``
arguments Ansible gives a module process: check mode, diff, no_log, verbosity), the task's ``environment`` is the
process's, and the result goes through Ansible's own parsing of a module's output. ansible.netcommon runs network
modules in the worker the same way (``ansible_network_import_modules``).

When the module runs as a process, as any module: any connection but ``local``, ``become``, ``async``, a
``ansible_python_interpreter`` (of the delegated host with ``delegate_to``) that is not the Python running
ansible-playbook or is left to discovery, a task environment setting a ``PYTHON*`` variable (read by a Python as it
starts), or ``progressive_canary_in_worker: false``.

What a worker does not do for a module: run its ``atexit`` handlers (multiprocessing ends a worker with ``os._exit``),
so no module of ours uses ``AnsibleModule.tmpdir``, whose removal is one (tests/unit/test_in_worker.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import io
import json
import os
import sys
import traceback

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

from ansible_collections.progressive.canary.plugins.plugin_utils.jinja_plugins import load_in_controller
from ansible_collections.progressive.canary.plugins.plugin_utils.worker_gc import freeze_inherited_objects_in_workers

try:    # ansible-core >= 2.19: arguments and results are encoded through a serialization profile
    from ansible.module_utils.common.json import Direction, get_module_encoder
    PROFILE = "legacy"  # the profile of a module without metadata, as ours
    LEGACY_ENCODER = None
except ImportError:  # ansible-core 2.16-2.18
    from ansible.parsing.ajson import AnsibleJSONEncoder as LEGACY_ENCODER
    PROFILE = Direction = get_module_encoder = None

display = Display()

# The Jinja plugins the workers' templates use, loaded once here, before the workers are forked (jinja_plugins.py).
load_in_controller()
# The workers forked from now on never walk what they inherit with their garbage collector (worker_gc.py).
freeze_inherited_objects_in_workers()

IN_WORKER_VARIABLE = "progressive_canary_in_worker"


def module_name(module):
    """The collection's name of a module's Python module:
    ansible_collections.progressive.canary.plugins.modules.canary_info -> progressive.canary.canary_info."""
    parts = module.__name__.split(".")
    return "%s.%s.%s" % (parts[1], parts[2], parts[-1])


def same_python(interpreter, executable=None):
    """True when ``interpreter`` (an absolute path) starts the very Python environment ``executable`` is: the same
    directory (a virtualenv's bin/python links to the system's, whose packages differ) and the same file."""
    executable = executable or sys.executable
    if not interpreter or not os.path.isabs(interpreter) or not executable:
        return False
    return (os.path.dirname(os.path.abspath(interpreter)) == os.path.dirname(os.path.abspath(executable))
            and os.path.realpath(interpreter) == os.path.realpath(executable))


def _encoded_arguments(module_args):
    """The module's arguments as a module process reads them (AnsiballZ's ANSIBLE_MODULE_ARGS)."""
    params = {"ANSIBLE_MODULE_ARGS": module_args}
    if PROFILE is None:
        return json.dumps(params, cls=LEGACY_ENCODER, vault_to_text=True).encode("utf-8")
    return json.dumps(params, cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)).encode("utf-8")


def _forget_module_messages():
    """AnsibleModule keeps warnings and deprecations in module-global collections, each printed with the result: a
    process runs one module, a worker may run several (canary_advance's steps)."""
    for collected in (getattr(module_warnings, "_global_warnings", None), getattr(module_warnings, "_global_deprecations", None)):
        if collected is not None:
            collected.clear()


@contextlib.contextmanager
def _process_environment(environment):
    """The task's environment as the process's, as a module process would have it (each value as text, as the
    shell's ``NAME=value`` gives it: ``false`` is ``False``); restored after."""
    saved = dict(os.environ)
    try:
        os.environ.update((name, str(value)) for name, value in environment.items())
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _exit_status(code, errors):
    """A SystemExit's code as a process's exit status (its text, if any, on standard error, as Python prints it)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    errors.write("%s\n" % code)
    return 1


def _read_by_python_at_start(environment):
    """Variables a module process's Python reads as it starts (PYTHONPATH, PYTHONWARNINGS...): the worker started long
    before, so the module must run as a process to have them."""
    return [name for name in environment if name.startswith("PYTHON")]


class ModuleAction(ActionBase):
    """Runs MODULE (the module's Python module, imported by the action plugin at its top)."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True  # as the module without an action plugin: async runs it as a process, in the background

    def run(self, tmp=None, task_vars=None):
        result = super(ModuleAction, self).run(tmp, task_vars)
        del tmp  # no effect since Ansible 2.5
        result.update(self.task_result(dict(self._task.args), task_vars or {}))
        return result

    def task_result(self, module_args, task_vars):
        """The task's result: the module's; an action that does more than call its module once overrides this."""
        return self._run_module(module_args, task_vars)

    def with_controller_pid(self, module_args):
        """``module_args`` naming the ansible-playbook process (the worker's parent) as ``controller_pid`` when the task
        runs on the controller, where the module can see that process: canary_lease records it in the run's lease,
        canary_advance's steps stop once it has ended."""
        if self._connection.transport == "local" and not module_args.get("controller_pid"):
            module_args["controller_pid"] = os.getppid()
        return module_args

    def _run_module(self, module_args, task_vars, module=None):
        """The result of the module (MODULE, or another of the collection's modules: ``module``) for these arguments,
        as _execute_module returns it."""
        module = module or self.MODULE
        if self._runs_in_worker(task_vars):
            environment = {}
            self._compute_environment_string(environment)
            if not _read_by_python_at_start(environment):
                return self._execute_in_worker(module_args, task_vars, environment, module)
        # As Ansible's own action for a module without one (ansible.builtin.normal).
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result = self._execute_module(module_name=module_name(module), module_args=module_args, task_vars=task_vars,
                                      wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _host_vars(self, task_vars):
        """The variables of the host the module runs on: the delegated host's with ``delegate_to``."""
        delegated = self._task.delegate_to
        if delegated:
            return (task_vars.get("ansible_delegated_vars") or {}).get(delegated) or {}
        return task_vars

    def _runs_in_worker(self, task_vars):
        if getattr(self._connection, "transport", None) != "local" or self._play_context.become or self._task.async_val:
            return False
        host_vars = self._host_vars(task_vars)
        if not boolean(self._templar.template(host_vars.get(IN_WORKER_VARIABLE, task_vars.get(IN_WORKER_VARIABLE, True))),
                       strict=False):
            return False
        interpreter = self._templar.template(host_vars.get("ansible_python_interpreter") or "")
        return same_python(str(interpreter))

    def _execute_in_worker(self, module_args, task_vars, environment, module):
        name = module_name(module)
        self._update_module_args(name, module_args, task_vars)
        display.vvv("running %s in the worker process (pid %d)" % (name, os.getpid()))
        output, errors, status = io.StringIO(), io.StringIO(), 0
        _forget_module_messages()
        basic._ANSIBLE_ARGS = _encoded_arguments(module_args)
        if PROFILE is not None:
            basic._ANSIBLE_PROFILE = PROFILE
        try:
            # Its standard error too, as a module process's: Ansible shows it only when the output is not a result
            # (urllib3's InsecureRequestWarning with validate_certs false must not reach the terminal at every task).
            with _process_environment(environment), contextlib.redirect_stdout(output), contextlib.redirect_stderr(errors):
                module.main()
        except SystemExit as exit_:     # exit_json and fail_json end the module as they end its process
            status = _exit_status(exit_.code, errors)
        except Exception:  # pylint: disable=broad-except
            # A module's unexpected error is what a module process makes of it: its traceback on standard error and no
            # result, which Ansible reports as the module's failure (a result, so failed_when and the rest apply).
            errors.write(traceback.format_exc())
            status = 1
        finally:
            basic._ANSIBLE_ARGS = None
        reply = {"rc": status, "stdout": output.getvalue(), "stderr": errors.getvalue()}
        data = self._parse_returned_data(reply) if PROFILE is None else self._parse_returned_data(reply, PROFILE)
        remove_internal_keys(data)
        return data
