#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_cleanup
short_description: Give a Deployment back exactly as it was before canary_init
version_added: 0.1.0
description:
- Phase 3 of the canary lifecycle, a true revert, from any phase (a half-finished init, a failed rollout,
  objects deleted by hand).
- Scales the target back to the primary's current replica count (or the recorded one when there is no primary)
  with the promoted template, and waits until it is ready, B(before) touching the apex Service.
- Restores the apex Service exactly as recorded (selector, ports, type, labels, annotations), or deletes it when
  the collection created it; restores a pre-existing VirtualService, else deletes it.
- Then deletes the DestinationRules, the C(-primary)/C(-canary) Services, the primary HPA, the config copies,
  the primary Deployment, and last the state ConfigMap. Only objects labelled as generated for this target are
  deleted.
- A second run writes nothing.
- When the state ConfigMap was lost, the originals come from the record on the primary Deployment (annotation
  C(progressive.canary/record)), so the revert stays exact; a primary without a record (made by an older
  release) only gets its apex selector pointed back at the target, with a warning.
- Refuses, writing nothing, when the target Deployment was deleted while the primary still serves, because restoring the
  apex Service would then select nothing. Re-create the target (any template) and run it again.
- Refuses, writing nothing, a target that is itself a generated C(-primary) Deployment (clean up its canary's target instead).
- Sends the objects it would restore (target, apex Service, VirtualService) to the API server as a server-side dry
  run first (also in check mode), so that a recorded object the API server refuses stops cleanup before its first write.
- A tracked ConfigMap or Secret changed in place and never promoted (for example new data whose rollout failed)
  is not written back; the restored target refers to the original object, which now holds that data. Cleanup
  warns, naming the object, so that the user reverts it; it never overwrites a user's object with older data.
- Once the target is restored, records the Kubernetes Event C(Canary management removed! ...) on it; an Event that
  cannot be written is a warning.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
- progressive.canary.routing
- progressive.canary.common.selector
attributes:
  check_mode:
    support: full
    description: Reads the cluster, plans, and reports what would be restored and removed without writing.
  diff_mode:
    support: full
    description: Shows every object restored or removed (Secret values redacted).
"""

EXAMPLES = r"""
- name: Stop managing podinfo as a canary and give it back as it was
  progressive.canary.canary_cleanup:
    target: podinfo
    namespace: test
"""

RETURN = r"""
restored:
  description: Objects put back as they were (target Deployment, apex Service, pre-existing VirtualService).
  returned: always
  type: list
  elements: str
  sample: ["Deployment test/podinfo", "Service test/podinfo"]
removed:
  description: Generated objects deleted, the state object last.
  returned: always
  type: list
  elements: str
  sample: ["DestinationRule test/podinfo-primary", "Deployment test/podinfo-primary", "ConfigMap test/podinfo-canary-state"]
actions:
  description: What was done (or, in check mode, what would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["restore Deployment test/podinfo: 2 replicas, promoted template", "restore Service test/podinfo as recorded"]
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import SELECTOR, argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.arguments.routing import ROUTING
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.phases.cleanup import CleanupRequest, run_cleanup

ARGUMENT_SPEC = argument_spec(SELECTOR, ROUTING)


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    request = CleanupRequest(params["target"], params["namespace"], selector_labels=params["selector_labels"],
                             ready_timeout=params["ready_timeout"], lease_holder=params["lease_holder"],
                             lease_seconds=params["lease_seconds"], provider=params["provider"],
                             route_settle_seconds=params["route_settle_seconds"])
    with failing(module):
        result = run_cleanup(module.kube_api(), request, check_mode=module.check_mode, want_diff=module._diff)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
