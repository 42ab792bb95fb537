# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The autoscaler copy: the primary's HorizontalPodAutoscaler built from the target's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.progressive.canary.plugins.module_utils.kube.generated import build
from ansible_collections.progressive.canary.plugins.module_utils.canary.names import HPA


def primary_hpa(hpa, names):
    """The primary's HPA: the target's HPA spec aimed at the primary workload (same kind, the ``-primary`` name)."""
    spec = copy.deepcopy(hpa["spec"])
    spec["scaleTargetRef"] = dict(spec.get("scaleTargetRef") or {}, name=names.primary)
    return build(HPA[0], HPA[1], names.namespace, names.primary_copy(hpa["metadata"]["name"]), names.target, {"spec": spec},
                 labels=(hpa.get("metadata") or {}).get("labels"))
