# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_info: read-only status of one canary, for the rollout role and ``playbooks/status.yml``.

Never writes, never takes the lease: a status query must work while another run holds it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.canary import validation
from ansible_collections.progressive.canary.plugins.module_utils.planning.plan import Refusal
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import describe_revisions, read_facts
from ansible_collections.progressive.canary.plugins.module_utils.routers import factory
from ansible_collections.progressive.canary.plugins.module_utils.canary.state import StateError, StateStore
from ansible_collections.progressive.canary.plugins.module_utils.workloads.shutdown import graceful_shutdown_warning


def _uninitialized(names, reason, state=None):
    # The lease too: a run killed during init leaves the canary uninitialized and locked, and the next run waits on it.
    return {"initialized": False, "reason": reason, "phase": state.phase if state is not None else None,
            "lease": state.get("lease") if state is not None else None, "state_object": names.state}


def canary_info(api, names, provider=factory.DEFAULT_PROVIDER):
    """The canary's status as a dict (see the module's RETURN); ``initialized`` false when it cannot be rolled out.
    Raises validation.InputError for a target or namespace that cannot be a name, Refusal for a ``provider`` that is not
    the one the canary was initialized with."""
    validation.check_names(names)
    try:
        state = StateStore(api, names).read()
    except StateError as exc:
        return _uninitialized(names, str(exc))
    factory.check_recorded(names, provider, state)
    try:
        facts = read_facts(api, names, provider, state)
    except Refusal as exc:
        return _uninitialized(names, str(exc), state)
    state = facts.state
    info = describe_revisions(facts.revision, state)
    info.update({
        "initialized": True,
        "phase": state.phase,
        "weight": facts.weights[1],
        "primary_weight": facts.weights[0],
        "recorded_weight": state["canary_weight"],
        "step": state.get("step", 0),
        "failed_checks": state["failed_checks"],
        "strategy": state.get("strategy"),
        "iterations": state.get("iterations"),
        "iterations_total": state.get("iterations_total"),
        "last_failed_check": state.get("last_failed_check"),
        "failure_reason": state.get("failure_reason"),
        "last_transition_time": state["last_transition_time"],
        "lease": state.get("lease"),
        "target": facts.workload.status(facts.target),
        "primary": facts.workload.status(facts.primary),
        "state_object": names.state,
    })
    warning = graceful_shutdown_warning(facts.workload.ref(names.target), facts.workload.pod_spec(facts.target))
    info["warnings"] = [warning] if warning else []
    return info
