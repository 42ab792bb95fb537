# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module that talks to the Kubernetes API states: its platform and its Python requirement (no options,
so no argument spec pairs with it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: kubernetes
    support: full
    description: Talks to the Kubernetes API with the kubernetes Python client.
requirements:
- kubernetes >= 24.2.0
"""
