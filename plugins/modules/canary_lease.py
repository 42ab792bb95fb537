#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_lease
short_description: Hold a canary's lease for a whole run of several tasks
version_added: 0.1.0
description:
- Every module that changes a canary takes its lease (in the state ConfigMap C(<target>-canary-state)) for the
  length of its call. This module holds it across the tasks of a whole run instead (the rollout role, the
  cleanup playbook), so that a second run cannot act while the first one waits between two module calls (a
  step's interval, a gate, a hook).
- O(state=acquired) takes the lease under O(lease_holder). When another run holds it, waits up to O(wait)
  seconds, reading it again every 2 seconds, then fails naming the holder, its operation, its expiry and why it
  is not taken over. A lease that expired, or whose processes all ended on this host (a killed run), is taken
  over at once. A canary without a state object has nothing to lock yet (RV(acquired=false)); canary_init
  creates the state object under its own lease.
- O(state=held) keeps the lease for O(hold) seconds, renewing it every third of O(lease_seconds); use it in place
  of M(ansible.builtin.pause) while a run waits. Fails when the lease is no longer the run's (it expired and
  another run took it over, or the state object was deleted).
- O(state=released) clears the lease when O(lease_holder) holds it; nothing is written otherwise. Put it in an
  C(always) section so that a failed run releases it too.
- Module calls (canary_init, canary_shift, canary_analysis...) made with the same O(lease_holder) while the run
  holds its lease renew it and leave it held; a run killed with its controller stops renewing, so its lease
  expires at most O(lease_seconds) later, or is taken over at once from the same host once its processes ended.
- The lease records O(operation), the host, and the process ids whose life bounds the run. When the task runs
  on the controller (local connection), the module's action plugin records the ansible-playbook process.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
options:
  state:
    description:
    - V(acquired) takes the lease (waiting up to O(wait)), V(held) keeps it for O(hold) seconds, V(released)
      clears it.
    type: str
    choices: [acquired, held, released]
    default: acquired
  operation:
    description:
    - What the run does, recorded in the lease and shown to a run that waits for it (for example V(rollout),
      V(cleanup)).
    type: str
  wait:
    description:
    - Seconds to wait for a lease another live run holds before failing (O(state=acquired)); V(0) fails at once.
    type: int
    default: 0
  hold:
    description:
    - Seconds to keep the lease, renewed, with O(state=held).
    type: int
    default: 0
  info:
    description:
    - With O(state=acquired), also return the canary's status as M(progressive.canary.canary_info) returns it (RV(info)),
      read once the lease is taken (in check mode, as it is), so that a run that takes the lease and then reads the canary
      needs no second task. It needs O(provider), as canary_info does.
    type: bool
    default: false
  controller_pid:
    description:
    - Process id of the ansible-playbook running the task, whose life bounds the run's; set by the module's
      action plugin when the task runs on the controller. Without it the lease can only expire.
    type: int
attributes:
  check_mode:
    support: full
    description: Reads the lease and reports whether it could be taken, writing nothing; O(state=held) only waits.
  diff_mode:
    support: none
    description: The lease is not shown as a diff.
"""

EXAMPLES = r"""
- name: Release podinfo while no other run may change it
  module_defaults:
    group/progressive.canary.canary:
      target: podinfo
      namespace: test
      lease_holder: "release-{{ awx_job_id | default('manual') }}"
  block:
    - name: Take the canary's lease, waiting up to 10 minutes for another run
      progressive.canary.canary_lease:
        operation: rollout
        wait: 600

    - name: Wait a step's interval, keeping the lease
      progressive.canary.canary_lease:
        state: held
        hold: 60
  always:
    - name: Release the lease
      progressive.canary.canary_lease:
        state: released
"""

RETURN = r"""
acquired:
  description: Whether the run holds the lease after the task (false when there is no state object yet, and after release).
  returned: always
  type: bool
  sample: true
lease:
  description:
  - The lease as recorded (holder, operation, scope, expires, host, node, processes), null when none.
  returned: always
  type: dict
  sample: {"holder": "rollout/test/podinfo/42", "operation": "rollout", "scope": "run", "expires": "2026-01-01T12:05:00Z",
           "host": "awx-job-42", "node": "0c6f.../pid:[4026531836]", "processes": [{"pid": 812, "started": 91723}]}
taken_over:
  description: The lease of an expired or dead holder this task took over, with C(why); null otherwise.
  returned: always
  type: dict
  sample: {"holder": "cleanup/test/podinfo/41", "operation": "cleanup", "why": "its process 733 on this host ended"}
waited:
  description: Seconds spent waiting for another run's lease.
  returned: always
  type: int
  sample: 0
held_by:
  description: The other run's lease when it could not be taken (holder, operation, expires, host...).
  returned: failure
  type: dict
  sample: {"holder": "rollout/test/podinfo/42", "operation": "rollout", "expires": "2026-01-01T12:05:00Z"}
info:
  description:
  - The canary's status read after the lease was taken, the same fields as M(progressive.canary.canary_info) returns
    (RV(progressive.canary.canary_info#module:initialized), C(phase), C(revision), C(pending), C(lease)...; C(initialized)
    false, with C(reason), for a canary without a state object).
  returned: when O(info=true) and O(state=acquired), on success
  type: dict
  sample: {"initialized": true, "phase": "Succeeded", "weight": 0, "revision": "3f1c2a9b0d4e5f60", "pending": true}
msg:
  description: What was done, or who holds the lease and why it was not taken.
  returned: always
  type: str
  sample: "took the lease of podinfo-canary-state as rollout/test/podinfo/43"
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.canary.run_lease import LeaseRequest, acquire, hold, release

ARGUMENT_SPEC = argument_spec({
    "state": {"type": "str", "choices": ["acquired", "held", "released"], "default": "acquired"},
    "operation": {"type": "str"},
    "wait": {"type": "int", "default": 0},
    "hold": {"type": "int", "default": 0},
    "info": {"type": "bool", "default": False},
    "controller_pid": {"type": "int"},
})
ACTIONS = {"acquired": acquire, "held": hold, "released": release}


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    with failing(module, acquired=False):
        request = LeaseRequest(CanaryNames(params["target"], params["namespace"]), params["lease_holder"], params["lease_seconds"],
                               operation=params["operation"], wait=params["wait"], hold=params["hold"],
                               controller_pid=params["controller_pid"])
        api = module.kube_api()
        result = ACTIONS[params["state"]](api, request, check_mode=module.check_mode)
        if params["info"] and params["state"] == "acquired":
            # Imported here: a lease without info (the cleanup playbook, a step's wait) does not compile the readers.
            from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info  # pylint: disable=import-outside-toplevel
            result["info"] = canary_info(api, request.names, params["provider"])
    if result.get("taken_over"):
        module.warn(result["msg"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
