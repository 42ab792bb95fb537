# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans: a list of steps computed from reads only, so that refusals happen before any write, check mode
is "plan and stop", and a run whose plan changes nothing writes nothing. driver.py runs them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import diff_entry


class Refusal(CanaryError):
    """The request cannot be carried out; raised while planning, before anything is written."""


class InputError(Refusal):
    """An option, or what it makes of the cluster's objects, that the cluster would refuse: nothing was written.

    Here, not in canary/validation.py (which checks the options against the cluster's objects), so that what only checks
    an option's shape (routers/strategy.py, loaded by the rollout role's filter too) does not import the Kubernetes client."""


class Step(object):
    """One thing to do. ``changes`` says whether it writes; ``execute(context)`` does it."""

    def __init__(self, description, execute, changes=True, before=None, after=None, show_diff=True):
        self.description = description
        self.execute = execute
        self.changes = changes
        self.before = before
        self.after = after
        self.show_diff = show_diff and changes

    def diff(self):
        return diff_entry(self.description, self.before, self.after)


class Plan(object):
    def __init__(self):
        self.steps = []

    def add(self, step):
        self.steps.append(step)
        return step

    @property
    def changed(self):
        return any(step.changes for step in self.steps)

    def descriptions(self):
        return [step.description for step in self.steps if step.changes]

    def diffs(self):
        return [step.diff() for step in self.steps if step.show_diff]
