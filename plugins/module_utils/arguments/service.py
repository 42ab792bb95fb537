# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary_init's ``service`` option (Flagger's Canary ``service`` spec), documented by the progressive.canary.service
doc fragment (plugins/doc_fragments/service.py); tests/unit/test_arguments.py pins one to the other."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SERVICE = {
    "service": {"type": "dict", "required": True, "options": {
        "port": {"type": "int", "required": True},
        "target_port": {"type": "raw"},
        "port_name": {"type": "str", "default": "http"},
        "hosts": {"type": "list", "elements": "str", "default": []},
        "gateways": {"type": "list", "elements": "str", "default": ["mesh"]},
        "retries": {"type": "dict"},
        "timeout": {"type": "str"},
        "headers": {"type": "dict"},
        "cors_policy": {"type": "dict"},
        "traffic_policy": {"type": "dict"},
        "expose": {"type": "bool", "default": False},
        "gateway_refs": {"type": "list", "elements": "dict"},
        "hostnames": {"type": "list", "elements": "str"},
        "match": {"type": "list", "elements": "dict"},
    }},
}
