# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception base of the collection: every error a module reports as a failed task derives from CanaryError
(Refusal and InputError, CanaryApiError, StateError, NotReadyError, AnalysisConfigError, WebhookConfigError...).
Its message is the task's ``msg``; ``result`` holds fields merged into the failed task's result (``actions``,
``ready``, ``held_by``...). canary_module.failing() turns it into fail_json; ``reworded`` says, in module_utils, what
was being done when an error happened."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from contextlib import contextmanager


class CanaryError(Exception):
    """A failure to report: ``str()`` is the message; ``result`` the fields added to the failed task's result."""

    def __init__(self, message="", **result):
        super(CanaryError, self).__init__(message)
        self.result = result

    def result_fields(self):
        """The fields this error adds to the failure result (subclasses that set no ``result`` add none)."""
        return dict(self.__dict__.get("result") or {})


@contextmanager
def reworded(prefix, *error_classes, **fields):
    """Inside, a CanaryError (of ``error_classes`` when given) is raised again as one whose message is ``prefix``
    followed by its own and whose result is ``fields`` updated by its own result fields; anything else passes through
    untouched."""
    caught = error_classes or (CanaryError,)
    try:
        yield
    except caught as exc:
        result = dict(fields)
        result.update(exc.result_fields())
        raise CanaryError("%s%s" % (prefix, exc), **result)
