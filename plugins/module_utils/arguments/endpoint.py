# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suboptions of every HTTP endpoint an option describes (a webhook, Prometheus, a web check): how its TLS
certificate is verified and which extra headers are sent. Documented where each endpoint option is (doc fragments
cannot reach into suboptions): the webhooks and analysis doc fragments; tests/unit/test_arguments.py pins them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ENDPOINT = {
    # Headers often carry credentials: Ansible masks their values wherever they appear.
    "headers": {"type": "dict", "no_log": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
}


def endpoint(**options):
    """An endpoint's suboptions: ENDPOINT and its own ``options``."""
    spec = dict(ENDPOINT)
    spec.update(options)
    return spec
