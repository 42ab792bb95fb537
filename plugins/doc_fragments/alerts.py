# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alerts option of canary_notify and canary_analysis (Flagger's alert providers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  alerts:
    description:
      - Where notifications go, as Flagger's alert providers and C(analysis.alerts). A notifier that fails (an error, no
        answer, an answer other than 2xx) never fails the task - it is a warning naming the alert and the cause.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the alert in warnings and results (default its O(alerts[].type)).
        type: str
      type:
        description:
          - The provider - V(slack) (an incoming webhook; Flagger's attachment coloured by severity, with C(text)),
            V(msteams) (an incoming webhook; Flagger's MessageCard) or V(webhook) (any URL; Flagger's event webhook
            payload C(name), C(namespace), C(phase), C(checksum), C(metadata.eventMessage), C(metadata.eventType),
            C(metadata.timestamp)).
        type: str
        required: true
        choices: [slack, msteams, webhook]
      url:
        description:
          - The URL the message is POSTed to, C(http) or C(https). A secret (no_log) - incoming-webhook URLs are
            credentials in themselves; never shown in results or warnings.
        type: str
        required: true
        aliases: [address]
      severity:
        description: The least severity sent to this alert, as Flagger - V(info) every message, V(warn) warnings and errors, V(error) errors only.
        type: str
        default: info
        choices: [info, warn, error]
      channel:
        description: Slack channel (Slack only; default C(general)).
        type: str
      username:
        description: Slack user name (Slack only; default C(progressive-canary)).
        type: str
      metadata:
        description: Key/value pairs added to the generic webhook's C(metadata) (values as strings).
        type: dict
      timeout:
        description: Seconds to wait for the answer.
        type: int
        default: 10
      headers:
        description: Extra request headers, treated as secret (no_log) since they often carry credentials.
        type: dict
      validate_certs:
        description: Verify the server's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signs the server's certificate.
        type: path
"""
