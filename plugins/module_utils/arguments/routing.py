# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option of the phases that remove something a route sent to (canary_init, canary_shift, canary_promote,
canary_rollback, canary_cleanup), documented by the progressive.canary.routing doc fragment (plugins/doc_fragments/routing.py);
tests/unit/test_arguments.py pins one to the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Unset (None): the environment's PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS, else 10 (routers/settling.py).
ROUTING = {"route_settle_seconds": {"type": "float"}}
