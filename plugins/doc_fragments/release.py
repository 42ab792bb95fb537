# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the release phases (canary_shift, canary_promote, canary_rollback); specified by
plugins/module_utils/arguments/release.py (RELEASE)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  ready_timeout:
    description:
    - Seconds to wait for the Deployment the phase changed to be ready; canary_shift waits for the target before traffic
      is sent to it, canary_promote for the primary after its template changed; for every one, also the longest wait for
      a routing change the mesh reports (O(route_settle_seconds)).
    - Defaults to that Deployment's C(spec.progressDeadlineSeconds) (600 when unset), as does 0; negative values are refused.
    type: int
attributes:
  check_mode:
    support: full
    description: Reads the cluster, plans, and reports what would change without writing or waiting.
"""
