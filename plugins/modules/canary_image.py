#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_image
short_description: Set the image of one container of a canary's target Deployment, and nothing else
version_added: 0.1.0
description:
- Sets the image of one container of the target Deployment's pod template with a JSON patch on that container's
  index, guarded by a C(test) of its name. Every other field of the container (command, env, ports, probes,
  resources) and every other container stays as it is.
- The request means the same thing when it is retried after a transient error (a 5xx, a 429, a dropped
  connection), and it is retried as the same request. A strategic-merge patch through C(kubernetes.core.k8s) is
  not safe here - on an error it is retried as a merge patch, which replaces the whole container list.
- A container name that does not exist is refused before any write, naming the containers that exist.
- The same image again changes nothing and writes nothing.
- Works on any Deployment; on a canary target, the new image is the new revision that the rollout releases.
author:
- progressive.canary developers (!UNKNOWN)
extends_documentation_fragment:
- kubernetes.core.k8s_auth_options
- progressive.canary.common
- progressive.canary.cluster
options:
  image:
    description:
    - The image to set, for example C(ghcr.io/stefanprodan/podinfo:6.5.0).
    type: str
    required: true
  container:
    description:
    - Name of the container whose image is set. Omitted or empty, the first container of the pod template.
    - Init containers are not considered.
    type: str
  info:
    description:
    - Also return the canary's status as M(progressive.canary.canary_info) returns it (RV(info)), read after the image
      was set (in check mode, as it is, since nothing was written), so that a run needs no task to read the canary again.
      It needs O(provider), as canary_info does.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the Deployment, refuses a container that does not exist, and reports the change without writing.
  diff_mode:
    support: full
    description: Shows the container's image before and after.
notes:
- The lease options of the common fragment are accepted and ignored; the module takes no lease (it changes the user's
  Deployment, as C(kubectl set image) would, not the canary's objects).
"""

EXAMPLES = r"""
- name: Release podinfo 6.5.0 (first container)
  progressive.canary.canary_image:
    target: podinfo
    namespace: test
    image: ghcr.io/stefanprodan/podinfo:6.5.0

- name: Check that the container exists before anything is written
  progressive.canary.canary_image:
    target: podinfo
    namespace: test
    container: podinfod
    image: ghcr.io/stefanprodan/podinfo:6.5.0
  check_mode: true
"""

RETURN = r"""
container:
  description: Name of the container whose image is (or would be) set.
  returned: success
  type: str
  sample: podinfod
image:
  description: The image set.
  returned: success
  type: str
  sample: ghcr.io/stefanprodan/podinfo:6.5.0
previous_image:
  description: The container's image before this run.
  returned: success
  type: str
  sample: ghcr.io/stefanprodan/podinfo:6.4.0
info:
  description:
  - The canary's status after the image was set, the same fields as M(progressive.canary.canary_info) returns
    (C(initialized), C(phase), C(revision), C(pending), C(lease)...; C(initialized) false, with C(reason), for a target
    that is not under canary management).
  returned: when O(info=true), on success
  type: dict
  sample: {"initialized": true, "phase": "Succeeded", "weight": 0, "revision": "3f1c2a9b0d4e5f60", "pending": true}
"""

from ansible_collections.progressive.canary.plugins.module_utils.arguments.common import argument_spec
from ansible_collections.progressive.canary.plugins.module_utils.canary_module import CanaryModule, failing
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import CanaryNames
from ansible_collections.progressive.canary.plugins.module_utils.phases.image import set_image

ARGUMENT_SPEC = argument_spec({
    "image": {"type": "str", "required": True},
    "container": {"type": "str"},
    "info": {"type": "bool", "default": False},
})


def main():
    module = CanaryModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if not params["image"].strip():
        module.fail_json(msg="image must not be empty")
    with failing(module):
        api = module.kube_api()
        result = set_image(api, params["namespace"], params["target"], params["image"],
                           container=params["container"], check_mode=module.check_mode, want_diff=module._diff)
        if params["info"]:
            # Imported here: setting an image alone does not compile the readers.
            from ansible_collections.progressive.canary.plugins.module_utils.phases.info import canary_info  # pylint: disable=import-outside-toplevel
            result["info"] = canary_info(api, CanaryNames(params["target"], params["namespace"]), params["provider"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
