#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_rollback
short_description: Abort a canary rollout and send all traffic back to the primary
version_added: 0.1.0
description:
- Routes 100/0 (only the managed route of the VirtualService changes), scales the target to 0 and sets the phase
  C(Failed), recording the target's revision as failed and the I(reason).
- canary_shift and canary_promote refuse a failed revision, so a plain re-run does not retry it; apply a new
  revision (any change of the pod template or of a tracked config) to roll out again.
- Before the phase, the failed revision and the reason are written into the primary Deployment's annotation
  C(progressive.canary/record) (metadata only, no restart), so that a state ConfigMap lost later is rebuilt by
  canary_init with the revision still failed.
- When the target's revision is the promoted one there is nothing to roll back; traffic and replicas are put back,
  the phase is left as it is.
- Refused while a promotion is under way (phases C(Promoting), C(Finalising)); finish it with canary_promote.
- A second run changes nothing and keeps the first reason.
- A write refused as stale (409 Conflict, or a failed generation test because the object's spec moved since it was
  read) makes the run read again and plan from there, up to 3 plans.
- Records Flagger's Kubernetes Events (type Warning) on the target once the revision is rolled back - C(Rolling back
  ... failed checks threshold reached N) (or C(progress deadline exceeded ...), C(manual webhook invoked), the reason
  as given), then C(Canary failed! Scaling down ...); an Event that cannot be written is a warning.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
- progressive.canary.routing
- progressive.canary.release
attributes:
  diff_mode:
    support: full
    description: Shows the VirtualService and Deployment changes.
options:
  reason:
    description:
    - Why the rollout is aborted; stored in the state and shown by canary_info.
    type: str
    default: rolled back by canary_rollback
"""

EXAMPLES = r"""
- name: Roll back podinfo's canary
  progressive.canary.canary_rollback:
    target: podinfo
    namespace: test
    reason: "request-success-rate below 99 for 5 checks"
"""

RETURN = r"""
phase:
  description: Phase recorded in the state after the run.
  returned: success
  type: str
  sample: Failed
rolled_back:
  description: True when the target's revision is (or in check mode would be) recorded as failed.
  returned: success
  type: bool
  sample: true
failure_reason:
  description: Reason recorded with the failed revision.
  returned: success
  type: str
  sample: request-success-rate below 99 for 5 checks
revision:
  description: Revision of the target (hash of its pod template and tracked config data).
  returned: success
  type: str
  sample: 3f1c2a9b0d4e5f60
last_applied_revision:
  description: Revision last analysed.
  returned: success
  type: str
  sample: 3f1c2a9b0d4e5f60
last_promoted_revision:
  description: Revision the primary runs.
  returned: success
  type: str
  sample: 0a1b2c3d4e5f6071
failed_revision:
  description: Revision rolled back, not retried by a plain re-run.
  returned: success
  type: str
  sample: 3f1c2a9b0d4e5f60
pending:
  description: True when the target's revision is neither the promoted nor the failed one.
  returned: success
  type: bool
  sample: false
actions:
  description: What was done (or, in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["route 100/0 (primary/canary) in VirtualService test/podinfo", "scale Deployment test/podinfo to 0"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.release import RELEASE
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import run_module
from ansible_collections.progressive.canary.plugins.module_utils.phases.rollback import DEFAULT_REASON, RollbackRun

ARGUMENT_SPEC = argument_spec(RELEASE, ROUTING, {"reason": {"type": "str", "default": DEFAULT_REASON}})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, RollbackRun, ("reason",))


if __name__ == "__main__":
    main()
