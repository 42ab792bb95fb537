#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_info
short_description: Read the status of a canary (phase, weight, checks, revisions, pending release)
version_added: 0.1.0
description:
- Reads the state ConfigMap C(<target>-canary-state), the target and primary Deployments and the VirtualService,
  and reports the phase, the live weights, the failed checks, the revisions, the last transition and whether a new
  revision of the target is pending (neither promoted nor rolled back).
- Never writes and never takes the lease, so it works while another run changes the canary.
- A canary that is not initialized is reported with C(initialized=false) and the reason, not as a failure.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
notes:
- The lease options of the common fragment are accepted and ignored, the module takes no lease.
"""

EXAMPLES = r"""
- name: Read podinfo's canary status
  progressive.canary.canary_info:
    target: podinfo
    namespace: test
  register: canary

- name: Start a rollout when a new revision is pending
  progressive.canary.canary_shift:
    target: podinfo
    namespace: test
    weight: 0
  when: canary.initialized and canary.pending
"""

RETURN = r"""
initialized:
  description: False when the canary has no state, init did not finish, or a managed object is missing.
  returned: always
  type: bool
  sample: true
reason:
  description: Why the canary is not initialized.
  returned: when not initialized
  type: str
  sample: "canary test/podinfo is not initialized (no state object podinfo-canary-state): run canary_init first"
state_object:
  description: Name of the state ConfigMap.
  returned: always
  type: str
  sample: podinfo-canary-state
warnings:
  description:
  - What puts the canary's traffic at risk, shown by Ansible as warnings; absent when nothing does. Today, a target
    whose containers have no C(preStop) hook (or whose C(terminationGracePeriodSeconds) is 0), so that a pod scaled
    down or replaced exits while proxies may still send it requests.
  returned: when initialized and a warning applies
  type: list
  elements: str
  sample: ["Deployment test/podinfo: container podinfod has no preStop hook, so a pod that is scaled down or replaced exits at once ..."]
phase:
  description: Phase recorded in the state (Flagger's names), null without a state.
  returned: always
  type: str
  sample: Progressing
weight:
  description: Live canary weight of the managed route.
  returned: when initialized
  type: int
  sample: 20
primary_weight:
  description: Live primary weight of the managed route.
  returned: when initialized
  type: int
  sample: 80
recorded_weight:
  description: Canary weight recorded in the state (differs from I(weight) only after an interrupted run).
  returned: when initialized
  type: int
  sample: 20
step:
  description: How many weight changes the current analysis made.
  returned: when initialized
  type: int
  sample: 1
failed_checks:
  description: Failed checks of the current analysis (cumulative, as Flagger).
  returned: when initialized
  type: int
  sample: 0
strategy:
  description:
    - The strategy of the analysis under way when it counts iterations (C(A/B testing), C(Blue/Green), with mirroring),
      as M(progressive.canary.canary_advance) recorded it; null for a canary with step weights (docs/strategies.md).
  returned: when initialized
  type: str
  sample: A/B testing
iterations:
  description: The iterations an A/B or Blue/Green test passed so far (Flagger's C(status.iterations)); null otherwise.
  returned: when initialized
  type: int
  sample: 3
iterations_total:
  description: The iterations the A/B or Blue/Green test under way needs before its promotion (RV(iterations) of it); null otherwise.
  returned: when initialized
  type: int
  sample: 10
last_failed_check:
  description: The reason of the last failed check.
  returned: when initialized
  type: str
  sample: null
failure_reason:
  description: Reason recorded by the last rollback.
  returned: when initialized
  type: str
  sample: null
last_transition_time:
  description: When the phase last changed (UTC).
  returned: when initialized
  type: str
  sample: "2026-01-01T12:00:00Z"
lease:
  description:
    - Holder and expiry (UTC, C(%Y-%m-%dT%H:%M:%SZ)) of the lease, null when no run holds it.
    - Also returned for a canary not (yet) initialized, so that a run can wait for one killed during init.
  returned: always
  type: dict
  sample: null
revision:
  description: Revision of the target (hash of its pod template and tracked config data).
  returned: when initialized
  type: str
  sample: 3f1c2a9b0d4e5f60
last_applied_revision:
  description: Revision under analysis (or last analysed).
  returned: when initialized
  type: str
  sample: 3f1c2a9b0d4e5f60
last_promoted_revision:
  description: Revision the primary runs.
  returned: when initialized
  type: str
  sample: 0a1b2c3d4e5f6071
failed_revision:
  description: Revision last rolled back.
  returned: when initialized
  type: str
  sample: null
pending:
  description: True when the target's revision is neither the promoted nor the failed one (a rollout is due).
  returned: when initialized
  type: bool
  sample: true
target:
  description: Replicas and readiness of the target Deployment.
  returned: when initialized
  type: dict
  sample: {replicas: 2, ready_replicas: 2, ready: true, reason: "2 of 2 replicas ready"}
primary:
  description: Replicas and readiness of the primary Deployment.
  returned: when initialized
  type: dict
  sample: {replicas: 2, ready_replicas: 2, ready: true, reason: "2 of 2 replicas ready"}
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames

ARGUMENT_SPEC = argument_spec()


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    with failing(module):
        info = canary_info(module.kube_api(), CanaryNames(module.params["target"], module.params["namespace"]), module.params["provider"])
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
