# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of progressive.canary.canary_promote: the module, in the worker process when it would run on the controller
anyway (plugin_utils/in_worker.py says when and why)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.progressive.canary.plugins.modules import canary_promote
from ansible_collections.progressive.canary.plugins.plugin_utils.in_worker import ModuleAction


class ActionModule(ModuleAction):

    MODULE = canary_promote
