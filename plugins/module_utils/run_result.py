# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A release run's result, as the rollout role returns it (the fact ``rollout_result``, AWX's artifacts, the report):
the outcome, the revision, the steps with each check's value, the reason, the duration, and the summary lines a
person reads. From the run record at the run's end; the rollout_result filter makes it reachable from the role."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PLAIN_STRATEGY = "progressive traffic shifting"


def _outcome(run):
    return run.get("outcome") or ("error" if run.get("action") == "error" else "unchanged")


def _reason(run, outcome):
    """The run's reason; for a run that released nothing, why."""
    if run.get("reason"):
        return run["reason"]
    if outcome != "unchanged":
        return ""
    if run.get("revision") is not None:
        return "revision %s is the promoted one: nothing to release" % run["revision"]
    return "nothing to release"


def _duration(run, now):
    try:
        return round(float(now) - float(run.get("started")), 1)
    except (TypeError, ValueError):
        return 0.0


def run_result(run, canary, image, now):
    """The result of ``run`` (the run record at its end) for ``canary`` (namespace/target), which set ``image`` (empty:
    none), at ``now`` (seconds since the epoch)."""
    outcome = _outcome(run)
    duration = _duration(run, now)
    history = run.get("history") or []
    resumed = run.get("resumed") or []
    # No revision is known before the canary is managed (check mode on a new Deployment): nothing is said of it.
    revision = ", revision %s" % run["revision"] if run.get("revision") is not None else ""
    reason = _reason(run, outcome)
    strategy = run.get("strategy", PLAIN_STRATEGY)
    lines = ["canary %s: %s%s%s%s, %s s" % (canary, outcome, revision, " (image %s)" % image if image else "",
                                            " by %s" % strategy if strategy != PLAIN_STRATEGY else "", duration)]
    lines.extend("resumed %s" % note for note in resumed)
    lines.extend(entry["note"] if "note" in entry else entry.get("line", "") for entry in history)
    if reason:
        lines.append("reason: %s" % reason)
    return {"outcome": outcome, "revision": run.get("revision"), "image": image or None,
            "steps": [entry for entry in history if "weight" in entry], "failed_checks": run.get("failed_checks", 0),
            "reason": reason, "resumed": resumed, "strategy": strategy, "duration_seconds": duration, "summary": lines}
