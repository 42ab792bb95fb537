# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout role's decisions, as Flagger's scheduler (``pkg/controller/scheduler.go``) makes them.

Pure functions on plain dicts (the modules' results and the role's run record ``__rollout_run``); each returns the
update the role merges into the run record:

- ``start_action``: what a run does from the canary's status (canary_info): release (run or resume the analysis),
  promote, rollback, tidy or none (Flagger's ``checkCanaryStatus`` / ``shouldAdvance``).
- ``next_step``: the decision of one analysis step from its checks and hooks: shift to the next weight (Flagger's
  ``nextStepWeight``), hold, promote or roll back; with the step's entry and its line for the summary.
- ``failed_step``: a canary_advance step that failed: an error.
- ``merge_shift``: canary_shift's result: the weight it set, a restart at weight 0 on a new revision, a rollback
  when the canary did not become ready, an error otherwise.
- ``close_gate``: a closed confirm-traffic-increase gate holds the weight, a closed confirm-rollout gate ends the run
  (error), a closed confirm-promotion gate rolls back.
- ``after_pre_rollout``: rollback when the pre-rollout hooks kept failing; promote at once when the analysis is skipped.
- ``merge_promote`` / ``merge_rollback``: canary_promote's / canary_rollback's result: the run's outcome.

The role's filters (``plugins/filter/rollout_start.py``, ``rollout_step.py``, ``rollout_shifted.py``,
``rollout_gate.py``, ``rollout_pre_rollout.py``, ``rollout_promoted.py``, ``rollout_rolled_back.py``) call them;
the templates only format text. Every field name and message is the one the role's Jinja produced before.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.analysis.comparison_text import comparison_text, compact_comparison


def merged(run, update):
    """The run record (the role's ``__rollout_run``) with a decision's ``update`` applied: what every rollout_* filter
    returns."""
    updated = dict(run)
    updated.update(update)
    return updated


def as_int(value):
    """Jinja's ``int`` filter: a number from an int, a float or a string of one, else 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _is_skipped(result):
    """Ansible's ``is skipped`` on a registered result (no result at all counts as skipped)."""
    return not result or bool(result.get("skipped", False))


# ---------------------------------------------------------------- what a person reads of the progress

def duration_text(seconds):
    """``1h2m``, ``2m30s``, ``45s``: a duration as a person says it (whole seconds)."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = (["%dh" % hours] if hours else []) + (["%dm" % minutes] if minutes else []) + (["%ds" % seconds] if seconds or not (hours or minutes) else [])
    return "".join(parts[:2])


def clock_text(moment):
    """A moment (seconds since the epoch) as the time of day in UTC, for the progress lines."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(moment))


def plan_line(run, weights, interval, threshold, progress_deadline, strategy=None):
    """The plan a run starts with: strategy, weights (or iterations), interval, threshold, and how long it takes at best
    and at most (each weight or iteration one interval; every failed check below the threshold holds one interval
    more; the canary may take up to the progress deadline to become ready before the first weight)."""
    strategy = strategy or {}
    weights = [as_int(item) for item in weights]
    interval, threshold = as_int(interval), as_int(threshold)
    start = as_int(run.get("weight"))
    iterations = as_int(strategy.get("iterations"))
    text = strategy.get("text") or "progressive traffic shifting"
    promotion = (", then traffic back to the primary by %d%% per interval" % as_int(strategy["step_weight_promotion"])
                 if as_int(strategy.get("step_weight_promotion")) else "")
    held = max(threshold - 1 - as_int(run.get("failed_checks")), 0)
    if iterations:
        done = as_int(run.get("iteration"))
        left = iterations - done
        return ("plan: %s of revision %s: %d iterations every %s%s (%s); rollback at %d failed checks%s; at best %s, at most %s of "
                "analysis plus up to %s for the canary to become ready"
                % (text, run.get("revision"), iterations, duration_text(interval),
                   " from iteration %d" % done if done else "",
                   "matching requests on the canary, every other one on the primary" if strategy.get("match")
                   else "no user traffic on the canary until the promotion switches all of it", threshold, promotion,
                   duration_text(left * interval), duration_text((left + held) * interval), duration_text(as_int(progress_deadline))))
    steps = [weight for weight in weights if weight > start] if start else weights
    extra = 1 if strategy.get("mirror") and not start else 0    # the mirror step at weight 0
    at_best = (len(steps) + extra) * interval
    at_most = (len(steps) + extra + held) * interval
    return ("plan: canary release of revision %s (%s): weights %s%% every %s%s, %d steps%s; "
            "rollback at %d failed checks%s; at best %s, at most %s of analysis plus up to %s for the canary to become ready"
            % (run.get("revision"), text, ", ".join(str(weight) for weight in steps), duration_text(interval),
               " from weight %d%%" % start if start else "", len(steps), " after a mirror step at weight 0%" if extra else "",
               threshold, promotion, duration_text(at_best), duration_text(at_most), duration_text(as_int(progress_deadline))))


def step_progress(run, weights, weight, update, now):
    """Where the release stands once a step is decided (``update``): the step's place among the weights (a held step
    keeps its place), the time, the time since the run started and, at best, left (every step to come passes at its
    first interval). The run record carries ``started`` and ``interval_seconds`` (the role sets them at its start)."""
    place = len([item for item in weights if item <= weight]) or 1
    progress = {"of": len(weights), "place": place, "at": now}
    if run.get("started") not in (None, ""):
        progress["elapsed_seconds"] = round(now - float(run["started"]), 1)
    if run.get("interval_seconds") not in (None, ""):
        if update["action"] == "shift":
            left = len([item for item in weights if item >= update["next_weight"]])
        elif update["action"] == "hold":
            left = len([item for item in weights if item >= weight])
        else:
            left = 0
        progress["left_seconds"] = left * as_int(run["interval_seconds"])
    return progress


# ---------------------------------------------------------------- start of a run

def start_action(info, threshold, image, phase_at_start, resumed):
    """What this run does, from canary_info's result ``info``: the run record's start fields.

    ``threshold`` the failed checks that roll back; ``image`` the image the run sets (recorded as is);
    ``phase_at_start`` the phase read before init and the image patch; ``resumed`` the run's notes so far.
    Actions: ``none`` (not initialized, or nothing to release), ``rollback`` (the revision already failed,
    or a killed run reached the threshold), ``tidy`` (the target is back at the promoted revision but traffic
    or replicas are not), ``release`` (from weight 0, or resumed at the recorded weight)."""
    threshold = as_int(threshold)
    failed_checks = as_int(info.get("failed_checks", 0))
    run = {"revision": info.get("revision"), "image": image, "weight": 0, "step": info.get("step", 0),
           "failed_checks": failed_checks, "phase_at_start": phase_at_start,
           "last_promoted_revision": info.get("last_promoted_revision"), "action": "none", "reason": ""}
    if not info.get("initialized"):
        run.update({"action": "none", "reason": info.get("reason", "the canary is not initialized")})
    elif not info.get("pending"):
        if info.get("revision") == info.get("failed_revision"):
            run.update({"action": "rollback",
                        "reason": info.get("failure_reason") or "revision %s was rolled back" % info.get("revision")})
        elif as_int(info.get("weight")) > 0 or as_int((info.get("target") or {}).get("replicas") or 0) > 0:
            run.update({"action": "tidy", "reason": "the target is back at the promoted revision %s" % info.get("revision")})
    elif info.get("phase") == "Progressing" and failed_checks >= threshold:
        last = info.get("last_failed_check")
        run.update({"action": "rollback", "reason": "%d failed checks reached the threshold %d%s"
                                                    % (failed_checks, threshold, "; last: %s" % last if last else "")})
    elif info.get("phase") == "Progressing":
        weight = as_int(info.get("weight"))
        note = "the analysis at weight %d%%, step %d, %d failed checks" % (weight, as_int(info.get("step", 0)), failed_checks)
        if info.get("iterations") is not None:     # A/B testing, Blue/Green: the iterations passed
            run["iteration"] = as_int(info["iterations"])
            note = "the %s at iteration %d, %d failed checks" % (info.get("strategy") or "test", run["iteration"], failed_checks)
        run.update({"action": "release", "weight": weight, "resumed": list(resumed) + [note]})
    else:
        run["action"] = "release"
    return run


def with_plan(run, weights, interval, threshold, progress_deadline, skip_analysis=False, strategy=None):
    """The run record's update with the ``plan`` line when the run releases (nothing otherwise); ``strategy`` the
    rollout_strategy filter's result (none: a canary with step weights)."""
    if run.get("action") != "release":
        return {}
    if skip_analysis:
        return {"plan": "plan: promote revision %s without analysis (skip analysis)" % run.get("revision")}
    return {"plan": plan_line(run, weights, interval, threshold, progress_deadline, strategy)}


# ---------------------------------------------------------------- one analysis step

def next_step_weight(weights, weight):
    """Flagger's nextStepWeight: the first step weight above ``weight``, None at the last one."""
    higher = [step for step in (as_int(item) for item in weights) if step > weight]
    return higher[0] if higher else None


def _bound(threshold_range, key):
    return (threshold_range or {}).get(key)


def step_entry(run, weight, checks, failed_checks):
    """The step's entry in the run's history (step number, weight, verdict, each check's value and bounds, each
    hook's verdict, the failures' reasons), without its line."""
    hooks = list(checks.get("hooks") or [])
    measured = list(checks.get("checks") or [])
    return {
        "step": len([entry for entry in run.get("history", []) if "weight" in entry]) + 1,
        "weight": weight,
        "passed": checks.get("passed"),
        "failed_checks": failed_checks,
        "failures": [item.get("reason") for item in hooks + measured if not item.get("passed")],
        "checks": [_check_entry(check) for check in measured],
        "hooks": [[hook.get("name"), hook.get("passed")] for hook in hooks],
    }


def _check_entry(check):
    entry = {"name": check.get("name"), "value": check.get("value"), "verdict": check.get("verdict"),
             "min": _bound(check.get("threshold_range"), "min"), "max": _bound(check.get("threshold_range"), "max")}
    if check.get("comparison"):
        entry["comparison"] = compact_comparison(check["comparison"])
    return entry


def _check_text(check):
    if check.get("comparison"):
        return comparison_text(check["name"], check["comparison"], check["verdict"])
    bounds = (([">= %s" % check["min"]] if check["min"] is not None else [])
              + (["<= %s" % check["max"]] if check["max"] is not None else []))
    value = round(check["value"], 2) if check["value"] is not None else "no data"
    return "%s=%s (%s) %s" % (check["name"], value, " ".join(bounds), check["verdict"])


def _progress_text(entry):
    parts = [clock_text(entry["at"])] if "at" in entry else []
    if "elapsed_seconds" in entry:
        parts.append("%s elapsed" % duration_text(entry["elapsed_seconds"]))
    if "left_seconds" in entry:
        parts.append("at best %s left" % duration_text(entry["left_seconds"]))
    return " (%s)" % ", ".join(parts) if parts else ""


def step_line(entry, threshold):
    """The step as a line of the progress and of the summary: "step 2 of 5 at weight 20% (19:10:03 UTC, 1m30s elapsed,
    at best 1m30s left): webhook load pass, request-success-rate=99.5 (>= 99) pass -> failed checks 1/5" (the tail
    only when the step failed; "step 2 at weight 20%: ..." for an entry without its place, recorded by an older run)."""
    values = ["webhook %s %s" % (name, "pass" if passed else "fail") for name, passed in entry["hooks"]]
    values.extend(_check_text(check) for check in entry["checks"])
    step = "step %d of %d" % (entry["place"], entry["of"]) if "of" in entry else "step %d" % entry["step"]
    where = "at weight %d%%" % entry["weight"] + (" (mirrored)" if entry.get("mirrored") else "")
    if "iterations" in entry:
        step, where = "iteration %d of %d" % (entry["iteration"], entry["iterations"]), "at weight %d%%" % entry["weight"]
    return "%s %s%s: %s%s" % (step, where, _progress_text(entry), ", ".join(values) or "no checks",
                              "" if entry["passed"] else " -> failed checks %d/%d" % (entry["failed_checks"], threshold))


_NO_CHECKS = {"passed": True, "checks": [], "hooks": []}


def analysed(run):
    """Whether a step at the run's place checks the canary: it has a weight, runs an A/B or Blue/Green iteration, or
    receives a mirror of the traffic (Flagger skips the analysis only with no traffic, no iteration and no mirror)."""
    return as_int(run.get("weight")) > 0 or run.get("iteration") is not None or bool(run.get("mirrored"))


def _counted(run, checks):
    """The step's checks (none: passed) and the failed checks after them."""
    checks = _NO_CHECKS if _is_skipped(checks) else checks
    if "state" in checks:
        failed_checks = as_int((checks["state"] or {}).get("failed_checks"))
    else:  # check mode records nothing: count the failure in the run so that the threshold is still reached
        failed_checks = as_int(run.get("failed_checks")) + (0 if checks.get("passed") else 1)
    return checks, failed_checks


def _failed(entry, failed_checks, threshold, hold_weight):
    if failed_checks >= threshold:
        return {"action": "rollback", "reason": "%d failed checks reached the threshold %d; last: %s"
                                                % (failed_checks, threshold, "; ".join(entry["failures"]))}
    return {"action": "hold", "next_weight": hold_weight}


def _iteration_update(run, strategy, threshold, checks):
    """A/B testing or Blue/Green (Flagger's iterations): the first step starts the test (the canary ready, the route in
    the strategy's shape) without checks; every passing step after it is one iteration; promote after the last."""
    iterations = as_int(strategy["iterations"])
    if run.get("iteration") is None:
        return None, {"action": "shift", "next_weight": 0, "iteration": 0}
    checks, failed_checks = _counted(run, checks)
    entry = step_entry(run, as_int(run.get("weight")), checks, failed_checks)
    done = as_int(run["iteration"]) + (1 if checks.get("passed") else 0)
    entry.update({"iteration": done if checks.get("passed") else as_int(run["iteration"]) + 1, "iterations": iterations})
    update = {"history": list(run.get("history", [])) + [entry], "failed_checks": failed_checks}
    if not checks.get("passed"):
        update.update(_failed(entry, failed_checks, threshold, 0))
    elif done >= iterations:
        update.update({"action": "promote", "iteration": done})
    else:
        update.update({"action": "shift", "next_weight": 0, "iteration": done})
    return entry, update


def _weighted_update(run, weights, threshold, checks, mirror):
    """A canary (Flagger's nextStepWeight): at weight 0 shift to the first weight (with ``mirror``, first a step at
    weight 0 mirroring the traffic, as Flagger's mirror step); then hold on a failure, promote after the last weight."""
    weight = as_int(run.get("weight"))
    if not analysed(run):
        if mirror:
            return None, {"action": "shift", "next_weight": 0, "mirrored": True}
        return None, {"action": "shift", "next_weight": weights[0]}
    checks, failed_checks = _counted(run, checks)
    entry = step_entry(run, weight, checks, failed_checks)
    if run.get("mirrored"):
        entry["mirrored"] = True
    update = {"history": list(run.get("history", [])) + [entry], "failed_checks": failed_checks}
    higher = next_step_weight(weights, weight)
    if not checks.get("passed"):
        update.update(_failed(entry, failed_checks, threshold, weight))
    elif higher is None:
        update["action"] = "promote"
    else:
        update.update({"action": "shift", "next_weight": higher, "mirrored": False})
    return entry, update


def next_step(run, weights, threshold, checks, rollback_hooks, now=None, strategy=None):
    """The decision of one step (Flagger's iteration), from canary_analysis's result ``checks`` (the rollout hooks and
    the checks; skipped when there are none) and canary_webhook's ``rollback_hooks`` (skipped without rollback hooks).

    ``strategy`` (canary_advance's strategy options: iterations, match, mirror; none: a canary with step weights): an
    A/B test or a Blue/Green test counts passing iterations at weight 0 (``_iteration_update``), a canary shifts along
    ``weights`` (``_weighted_update``). The first step checks nothing; every later one adds its history entry (with its
    progress: ``step_progress`` at ``now``, default the current time) and the action is rollback (failed, the failed
    checks reached the threshold), hold (failed below it), promote (passed the last iteration or weight) or shift. A
    rollback hook asking for it overrides all of them. ``decision`` says it for the progress line."""
    strategy = strategy or {}
    weights = [as_int(item) for item in weights]
    weight = as_int(run.get("weight"))
    threshold = as_int(threshold)
    if as_int(strategy.get("iterations")):
        entry, update = _iteration_update(run, strategy, threshold, checks)
    else:
        entry, update = _weighted_update(run, weights, threshold, checks, bool(strategy.get("mirror")))
    if not _is_skipped(rollback_hooks) and rollback_hooks.get("rollback_requested", False):
        message = rollback_hooks.get("msg", "")
        update.update({"action": "rollback", "reason": "a rollback hook asked for it" + (": %s" % message if message else "")})
    if entry is not None:
        entry.update(step_progress(run, weights, weight, update, time.time() if now is None else now))
        if "iterations" in entry:
            entry.update({"of": entry["iterations"], "place": entry["iteration"]})
            if run.get("interval_seconds") not in (None, ""):
                left = entry["iterations"] - update.get("iteration", as_int(run["iteration"])) if update["action"] in ("shift", "hold") else 0
                entry["left_seconds"] = left * as_int(run["interval_seconds"])
        entry["line"] = step_line(entry, threshold)
    update["decision"] = {"rollback": "roll back", "promote": "promote", "hold": "hold at %s%%" % weight}.get(update["action"]) \
        or _shift_text(run, update)
    return update


def _shift_text(run, update):
    if "iteration" in update:
        return "start the test" if update["iteration"] == 0 and run.get("iteration") is None else "iteration %d passed" % update["iteration"]
    if update.get("mirrored"):
        return "mirror the traffic at weight 0%"
    return "weight %s%%" % update["next_weight"]


# ---------------------------------------------------------------- a shift's result

def merge_shift(run, shift, progress_deadline):
    """canary_shift's result (registered with failed_when false) as the run record's update: the weight and step it
    set; a restart at weight 0 with a note when a new revision arrived during the analysis; a rollback when the canary
    did not become ready within the progress deadline; an error (the play fails, a re-run resumes) otherwise."""
    if "weight" not in shift:  # failed_when: false hides 'failed'; only a success returns the weight
        if "ready" in shift and not shift["ready"]:
            return {"action": "rollback", "reason": "the canary did not become ready within the progress deadline (%ss): %s"
                                                    % (progress_deadline, shift.get("msg", ""))}
        return {"action": "error", "reason": "canary_shift failed: %s" % shift.get("msg", "")}
    if shift.get("restarted", False):
        note = {"note": "new revision %s arrived during the analysis: restarted at weight 0" % shift.get("revision")}
        return {"action": "shift", "weight": 0, "step": 0, "failed_checks": 0, "revision": shift.get("revision"),
                "history": list(run.get("history", [])) + [note], "iteration": None, "mirrored": False}
    return {"action": "shift", "weight": shift["weight"], "step": shift.get("step"), "revision": shift.get("revision")}


def failed_step(run, result):
    """A canary_advance step that failed (an API error, a lease lost, an invalid input) as the run record's update:
    an error (the play fails with the summary, a re-run resumes)."""
    return {"action": "error", "reason": "canary_advance failed: %s" % result.get("msg", "")}


# ---------------------------------------------------------------- gates, pre-rollout hooks, promotion, rollback

_GATE_CLOSED = {
    # Nothing was changed yet: the run ends (failed, with the summary) and a re-run asks the gate again.
    "confirm-rollout": ("error", "the confirm-rollout gate stayed closed, the release did not start: "),
    "confirm-promotion": ("rollback", "the confirm-promotion gate stayed closed: "),
}


def close_gate(run, gate, gate_type):
    """canary_webhook's result ``gate`` for a confirm gate (registered with fail_on_failure false) as the run record's
    update: none when it passed or was not asked (skipped); a closed confirm-traffic-increase gate holds the next
    shift at the run's weight (Flagger asks again at the next step); a closed confirm-rollout gate ends the run (error,
    the release did not start), a closed confirm-promotion gate rolls back, with the gate's message as the reason."""
    if gate_type not in _GATE_CLOSED and gate_type != "confirm-traffic-increase":
        raise ValueError("no decision for a closed %r gate; known: %s"
                         % (gate_type, ", ".join(sorted(list(_GATE_CLOSED) + ["confirm-traffic-increase"]))))
    if (gate or {}).get("passed", True):
        return {}
    if gate_type == "confirm-traffic-increase":
        return {"next_weight": run.get("weight")}
    action, reason = _GATE_CLOSED[gate_type]
    return {"action": action, "reason": reason + gate.get("msg", "")}


def after_pre_rollout(run, pre_rollout, threshold, skip_analysis):
    """The run record's update once the pre-rollout hooks were tried (``pre_rollout`` the last try's canary_analysis
    result, empty when none was made): rollback when they kept failing until the failed checks reached the threshold,
    else promote at once when the analysis is skipped and the run is still shifting, else nothing."""
    if not (pre_rollout or {}).get("passed", True):
        failed_checks = as_int((pre_rollout.get("state") or {}).get("failed_checks"))
        return {"action": "rollback", "failed_checks": failed_checks,
                "reason": "%d failed checks reached the threshold %d; last: %s"
                          % (failed_checks, as_int(threshold), pre_rollout.get("msg", ""))}
    if skip_analysis and run.get("action") == "shift":
        return {"action": "promote"}
    return {}


def merge_promote(run, promote, phase_before, resuming):
    """canary_promote's result (registered with failed_when false; skipped when the promotion gate stayed closed) as
    the run record's update: done and promoted with the revision (and a note when finishing a promotion a killed run
    left in ``phase_before``) when it returned the phase, else an error (a re-run finishes the promotion)."""
    if _is_skipped(promote):
        return {}
    if "phase" not in promote:  # canary_promote returns the phase only on success
        return {"action": "error",
                "reason": "canary_promote did not finish (a re-run continues the promotion): %s" % promote.get("msg", "")}
    note = ["the promotion (phase %s)" % phase_before] if resuming else []
    return {"action": "done", "outcome": "promoted", "revision": promote.get("revision"),
            "resumed": list(run.get("resumed", [])) + note}


def merge_rollback(run, rollback):
    """canary_rollback's result as the run record's update: done, outcome rolled back (with the failure reason the
    state keeps, else the run's) or unchanged (nothing to roll back; the run's reason)."""
    rolled_back = rollback.get("rolled_back")
    reason = (rollback.get("failure_reason") or run.get("reason")) if rolled_back else run.get("reason")
    return {"action": "done", "revision": rollback.get("revision"),
            "outcome": "rolled back" if rolled_back else "unchanged", "reason": reason}


def check_mode_plan(run, target_ref, weights, init_changed, image_changed, image, strategy=None):
    """Check mode: what a real run would do, from what this run saw (canary_init and the image patch in check mode
    write nothing, so the canary's state is the one before them), as the run record's update that ends the run. The
    analysis is not simulated: it needs real traffic. ``strategy``: the rollout_strategy filter's result."""
    plans = []
    steps = ", ".join(str(weight) for weight in weights)
    if as_int((strategy or {}).get("iterations")):
        steps = "%d iterations of %s" % (as_int(strategy["iterations"]), strategy.get("text"))
    if init_changed:
        plans.append("put Deployment %s under canary management" % target_ref)
    if image_changed:
        plans.append("set image %s and release it: analysis %s" % (image, _at(steps)))
    elif run.get("action") == "release":
        start = " from weight %s" % run["weight"] if as_int(run.get("weight")) > 0 else ""
        plans.append("release revision %s: analysis %s%s" % (run.get("revision"), _at(steps), start))
    elif run.get("action") == "promote":
        plans.append("promote revision %s without analysis" % run.get("revision"))
    elif run.get("action") in ("rollback", "tidy"):
        plans.append("roll back revision %s: %s" % (run.get("revision"), run.get("reason")))
    elif not plans:
        plans.append("nothing: %s" % (run.get("reason") or "revision %s is the promoted one" % run.get("revision")))
    return {"action": "done", "outcome": "checked", "reason": "check mode, nothing written; a real run would " + ", then ".join(plans)}


def _at(steps):
    """The analysis as check mode says it: ``at weights 10, 20`` or ``in 5 iterations of A/B testing``."""
    return ("in " if "iterations" in steps else "at weights ") + steps
