#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_shift
short_description: Start a canary rollout and set the weight of traffic sent to the canary
version_added: 0.1.0
description:
- Sets the canary weight of the managed route of the VirtualService C(<target>); the primary gets the rest.
  No other route or field of the VirtualService is touched.
- Detects a new revision of the target (hash of its pod template and of the data of its tracked ConfigMaps and
  Secrets) and compares it with the last applied, last promoted and last failed revisions recorded in the state.
  A revision equal to the promoted or the failed one never starts a rollout, and a I(weight) above 0 is then refused.
- When a pending revision is not under analysis yet, the analysis starts, even with I(weight=0), phase
  C(Progressing) with failed checks and step back to 0, and the target is scaled up from 0 (its recorded replicas,
  else the primary's, else its HPA's minimum) and waited for. Starting also gives the generated Services whole
  selectors when a canary initialized by an earlier release selects on the selector label alone.
- Before any traffic goes to the canary the target must be ready; a target that is not ready within
  I(ready_timeout) or that reports C(ProgressDeadlineExceeded) fails the task with C(ready=false) and the
  Deployment's condition text, and no traffic is sent to it, so that the caller rolls back.
- When the target's revision changed during an analysis the route goes back to 100/0 and the analysis restarts at
  weight 0 (C(restarted=true)); the requested weight is not applied.
- Records the weight, the phase and the step (how many weight changes this analysis made) in the state ConfigMap.
- The same weight again changes nothing and writes nothing.
- A write refused as stale (409 Conflict, or a failed generation test because the object's spec moved since it was
  read) makes the run read again and plan from there, up to 3 plans.
- Records Flagger's Kubernetes Events on the target once its writes happened (reason C(Synced)) - C(New revision
  detected! Scaling up ...) and C(Starting canary analysis for ...) when an analysis starts, C(Advance ... canary weight
  N) for a new weight, C(New revision detected! Restarting analysis for ...) on a restart; an Event that cannot be
  written is a warning, never a failure. Check mode and an unchanged call record none.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
- progressive.canary.routing
- progressive.canary.release
- progressive.canary.strategy.shape
attributes:
  diff_mode:
    support: full
    description: Shows the VirtualService and Deployment changes.
options:
  weight:
    description:
    - Percentage of the traffic sent to the canary, 0 to 100.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Start the rollout of a new revision (scale the canary up and wait for it)
  progressive.canary.canary_shift:
    target: podinfo
    namespace: test
    weight: 0

- name: Send 20% of the traffic to the canary
  progressive.canary.canary_shift:
    target: podinfo
    namespace: test
    weight: 20
  register: shift

- name: Start the steps again when a new revision arrived meanwhile
  ansible.builtin.debug:
    msg: "analysis restarted for {{ shift.revision }}"
  when: shift.restarted
"""

RETURN = r"""
weight:
  description: Canary weight of the managed route after the run (0 after a restart).
  returned: success
  type: int
  sample: 20
phase:
  description: Phase recorded in the state after the run.
  returned: success
  type: str
  sample: Progressing
step:
  description: How many weight changes the current analysis made.
  returned: success
  type: int
  sample: 1
restarted:
  description: True when a new revision arrived during the analysis and the analysis restarted at weight 0.
  returned: success
  type: bool
  sample: false
target:
  description: The target Deployment.
  returned: success
  type: str
  sample: Deployment test/podinfo
revision:
  description: Revision of the target (hash of its pod template and tracked config data).
  returned: success
  type: str
  sample: 3f1c2a9b0d4e5f60
last_applied_revision:
  description: Revision under analysis (or last analysed).
  returned: success
  type: str
  sample: 3f1c2a9b0d4e5f60
last_promoted_revision:
  description: Revision the primary runs.
  returned: success
  type: str
  sample: 0a1b2c3d4e5f6071
failed_revision:
  description: Revision last rolled back, never retried by a plain re-run.
  returned: success
  type: str
  sample: null
pending:
  description: True when the target's revision is neither the promoted nor the failed one.
  returned: success
  type: bool
  sample: true
ready:
  description: False when the target did not become ready (the task fails; roll back).
  returned: failure
  type: bool
  sample: false
actions:
  description: What was done (or, in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["scale Deployment test/podinfo to 2", "route 80/20 (primary/canary) in VirtualService test/podinfo"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.release import RELEASE
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import run_module
from ansible_collections.progressive.canary.plugins.module_utils.arguments.strategy import SHAPE
from ansible_collections.progressive.canary.plugins.module_utils.phases.shift import ShiftRun

ARGUMENT_SPEC = argument_spec(RELEASE, ROUTING, SHAPE, {"weight": {"type": "int", "required": True}})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, ShiftRun, ("weight",) + tuple(SHAPE))


if __name__ == "__main__":
    main()
