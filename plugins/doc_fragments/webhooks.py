# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webhooks option of canary_webhook and canary_analysis (Flagger's analysis.webhooks)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  webhooks:
    description:
      - The canary's webhooks (all types, as in Flagger's C(analysis.webhooks)); only those of the type called
        now are called, so the whole list can be passed every time.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the hook.
        type: str
        required: true
      type:
        description: When the hook runs.
        type: str
        required: true
        choices: [confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback]
      url:
        description:
          - URL the payload is POSTed to, C(http) or C(https).
          - Credentials in it (C(user:password@), C(?token=...)) and incoming-webhook URLs, which are secrets in themselves
            (Slack, Teams, Discord, Google Chat, any path under C(/hooks/)), are redacted in every result and message, for
            example C(https://hooks.slack.com/services/REDACTED).
        type: str
        required: true
      timeout:
        description: Time to wait for one answer, a duration like C(10s), C(500ms) or C(1m30s) (Go syntax, also C(d), C(w), C(y)), or seconds.
        type: str
        default: 10s
      metadata:
        description: Key/value pairs sent as C(metadata) (values as strings).
        type: dict
      headers:
        description: Extra request headers, treated as secret (no_log) since they often carry credentials.
        type: dict
      gate_timeout:
        description: How long a gate may stay closed before the task fails (gates only).
        type: str
        default: 1h
      poll_interval:
        description: Time between two calls of a closed gate (gates only).
        type: str
        default: 10s
      validate_certs:
        description: Verify the server's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signed the server's certificate.
        type: path
"""
