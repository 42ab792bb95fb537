# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule every module of the collection is built with: nothing it returns or logs shows a credential
embedded in a URL (see redaction.py for what counts as one).

Two layers, both set up here so that no module can forget them:
- every result (exit_json and fail_json: msg, every field, the diff, and the ``invocation`` Ansible shows at -vvv)
  and every warning is passed through redaction.redact, which keeps each URL readable and replaces only its secret
  parts;
- the secret parts of every URL in the module's arguments are registered in ``no_log_values`` as soon as the
  arguments are loaded, before they are validated or logged, so that Ansible masks them wherever they appear in
  any other form: in a result of an argument-validation failure, in a quoted response body, in the invocation
  written to the target's syslog or journal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import api_from_params
from ansible_collections.progressive.canary.plugins.module_utils.kube.connection import HAS_KUBERNETES, KUBERNETES_IMPORT_ERROR
from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError, reworded
from ansible_collections.progressive.canary.plugins.module_utils.redaction import redact, secrets_in


class CanaryModule(AnsibleModule):
    """AnsibleModule whose results and logs never show a credential of a URL it was given."""

    def _load_params(self):
        # The only point between loading the arguments and their validation (which may fail_json with them as the
        # invocation) and _log_invocation (syslog): AnsibleModule.__init__ calls this right after creating no_log_values.
        super(CanaryModule, self)._load_params()
        self.no_log_values.update(secrets_in(self.params))

    def _redacted_result(self, result):
        # Ansible adds the invocation only when it is absent: given here, it is the redacted one.
        result.setdefault("invocation", {"module_args": self.params})
        result = redact(result)
        # Through Ansible's own list: ansible-core 2.19 deprecates exit_json's and fail_json's ``warnings`` argument.
        for warning in result.pop("warnings", None) or []:
            self.warn(warning)
        return result

    def warn(self, warning, **kwargs):  # pylint: disable=arguments-differ  # ansible-core 2.19 added keyword-only options
        # ansible-core 2.19 no longer masks no_log values in a module's warnings (2.16 does): masked here, as results are.
        super(CanaryModule, self).warn(redact(remove_values(warning, self.no_log_values)), **kwargs)

    def exit_json(self, **kwargs):
        super(CanaryModule, self).exit_json(**self._redacted_result(kwargs))

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        super(CanaryModule, self).fail_json(**self._redacted_result(kwargs))

    def kube_api(self, **fields):
        """The KubeApi the connection options describe (arguments/common.py); without the kubernetes library the task
        fails saying so, with ``fields`` in the result. Raises CanaryApiError for an unusable option: call it inside
        failing()."""
        if not HAS_KUBERNETES:
            self.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR), **fields)
        return api_from_params(self.params)


@contextmanager
def failing(module, prefix="", **fields):
    """The one failure handler of the modules: a CanaryError raised inside fails the task with ``prefix`` and the
    error's message, and ``fields`` updated by the error's own result fields (errors.py); anything else is a bug, left
    to Ansible."""
    try:
        with reworded(prefix, **fields):
            yield
    except CanaryError as exc:
        module.fail_json(msg=str(exc), **exc.result_fields())
