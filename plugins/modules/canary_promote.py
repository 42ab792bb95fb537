#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_promote
short_description: Promote the canary's revision to the primary and send all traffic back to the primary
version_added: 0.1.0
description:
- Phase C(Promoting); updates the C(-primary) copies of the tracked ConfigMaps and Secrets and the primary HPA
  from the target's; copies the target's pod template to the primary (after the same relabelling and config
  renaming as canary_init) and, when the primary has no HPA, the target's replicas; waits until the primary is
  ready; with O(step_weight_promotion), moves traffic back to the primary in steps of that many percent, each held
  O(interval) seconds; phase C(Finalising); routes 100/0; scales the target to 0; phase C(Succeeded) with the revision recorded
  as the last promoted one.
- A primary whose template would not change is not patched, so its pods are not restarted.
- The same patch writes the promoted revision into the primary's annotation C(progressive.canary/record) (metadata
  only, no restart), from which canary_init rebuilds the state if the state ConfigMap is lost.
- The primary's template carries the annotation C(progressive.canary/config-checksum), a hash of the tracked
  ConfigMaps' and Secrets' data; new config data changes it, so a config-only release restarts the primary (pods
  reading the config through C(env) or C(envFrom) see it); unchanged data does not.
- A write refused as stale (409 Conflict, or a failed generation test because the object's spec moved since it was
  read) makes the run read again and plan from there, up to 3 plans.
- Resumable. Every step compares with the live object first, so a run killed between any two writes is finished
  by a re-run without a second restart of the primary.
- Refuses a revision that was rolled back, and a target that changed during the analysis (run canary_shift to
  restart it). A target whose revision is already promoted changes nothing (C(nothing_to_promote)).
- Records Flagger's Kubernetes Events on the target once the promotion finished - C(Copying ... template spec to
  ...-primary...) when the primary's template changed, then C(Promotion completed! Scaling down ...); an Event that
  cannot be written is a warning.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
- progressive.canary.routing
- progressive.canary.release
- progressive.canary.strategy.promotion
attributes:
  diff_mode:
    support: full
    description: Shows every object changed (Secret values redacted).
"""

EXAMPLES = r"""
- name: Promote podinfo's canary
  progressive.canary.canary_promote:
    target: podinfo
    namespace: test
    ready_timeout: 300
"""

RETURN = r"""
phase:
  description: Phase recorded in the state after the run (C(Succeeded) once done).
  returned: success
  type: str
  sample: Succeeded
primary_updated:
  description: True when the primary's pod template was (or in check mode would be) changed.
  returned: success
  type: bool
  sample: true
nothing_to_promote:
  description: True when the target's revision already is the promoted one.
  returned: success
  type: bool
  sample: false
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
  sample: 3f1c2a9b0d4e5f60
failed_revision:
  description: Revision last rolled back.
  returned: success
  type: str
  sample: null
pending:
  description: True when the target's revision is neither the promoted nor the failed one.
  returned: success
  type: bool
  sample: false
ready:
  description: False when the primary did not become ready (the task fails; a re-run continues the promotion).
  returned: failure
  type: bool
  sample: false
actions:
  description: What was done (or, in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["copy the target's template to Deployment test/podinfo-primary", "scale Deployment test/podinfo to 0"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.release import RELEASE
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.arguments.strategy import PROMOTION
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule
from ansible_collections.progressive.canary.plugins.module_utils.phases.promote import PromoteRun
from ansible_collections.progressive.canary.plugins.module_utils.phases.release import run_module

ARGUMENT_SPEC = argument_spec(RELEASE, ROUTING, PROMOTION)


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, PromoteRun, extra_options=("step_weight_promotion", "interval"))


if __name__ == "__main__":
    main()
