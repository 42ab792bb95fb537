# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only place that lists the workload kinds a canary target may be."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.module_utils.workloads.deployment import DeploymentWorkload

KINDS = {"Deployment": DeploymentWorkload}
DEFAULT_KIND = "Deployment"


def workload(api, names, kind=DEFAULT_KIND):
    """The workload of canary ``names`` (a target of ``kind``), reading and planning through ``api``."""
    return KINDS[kind](api, names)
