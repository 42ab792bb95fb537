# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans: a list of steps computed from reads only, so that refusals happen before any write, check mode
is "plan and stop", and a run whose plan changes nothing writes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError
from ansible_collections.progressive.canary.plugins.module_utils.generated import diff_entry

# A run whose write is refused as stale reads and plans again, at most this many plans in all.
PLAN_ATTEMPTS = 3
# 409 Conflict (a stale resourceVersion, or a name created meanwhile) and 422 (a JSON patch whose resourceVersion
# ``test`` failed): what was read is out of date, a new plan from fresh reads may succeed.
STALE_WRITE_STATUSES = (409, 422)


class Refusal(CanaryError):
    """The request cannot be carried out; raised while planning, before anything is written."""


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

    def run(self, context, done=None):
        """Execute every step in order; returns the descriptions of the steps that wrote something (appended to
        ``done`` as they happen, when given, so that a caller knows them even when a later step fails)."""
        done = [] if done is None else done
        for step in self.steps:
            step.execute(context)
            if step.changes:
                done.append(step.description)
        return done

    @staticmethod
    def run_replanning(build, attempts=PLAN_ATTEMPTS):
        """``build()`` reads the cluster and returns ``(run, plan)``; run the plan, and when a write is refused as stale
        (STALE_WRITE_STATUSES: another writer, or our own write retried after its answer was lost) build and run again
        from fresh reads, at most ``attempts`` plans. Returns ``(run, plan, descriptions of every write done)``."""
        done = []
        for attempt in range(1, attempts + 1):
            run, plan = build()
            try:
                plan.run(None, done)
                return run, plan, done
            except Exception as exc:  # pylint: disable=broad-except  # only a stale write is retried, the rest re-raised
                if attempt == attempts or getattr(exc, "status", None) not in STALE_WRITE_STATUSES:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
