# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications as Flagger's alert providers (``pkg/notifier``): Slack, Microsoft Teams and a generic webhook, on
the start of a release, each failed check, the rollback and the promotion.

An alert (the ``alerts`` option, arguments/alerts.py) names a provider ``type``, its ``url`` (a secret: incoming
webhook URLs are credentials in themselves) and the least ``severity`` it is sent for, as Flagger's
``analysis.alerts``: ``info`` gets every message, ``warn`` warnings and errors, ``error`` errors only.

The payloads are Flagger's: Slack's an attachment coloured by severity (with ``text`` as the notification's
fallback), Teams' a MessageCard with the facts, the generic webhook's Flagger's event webhook payload (name,
namespace, phase, checksum, metadata with eventMessage, eventType, timestamp). A notifier that fails never fails the
release: ``notify`` returns a warning per failed alert, naming it and the cause but never its URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.progressive.canary.plugins.module_utils.analysis.http_client import HttpRequestError, http_request

PROVIDERS = ("slack", "msteams", "webhook")
SEVERITIES = ("info", "warn", "error")
DEFAULT_USERNAME = "progressive-canary"
DEFAULT_TIMEOUT = 10


# ---------------------------------------------------------------- what is said (Flagger's alert messages)

def _ref(target, namespace):
    return "%s.%s" % (target, namespace)


def started(target, namespace):
    return "info", "New revision detected, progressing canary analysis."


def failed_check(halt_message):
    """A failed check, told as its Event says it (events.halted)."""
    return "warn", halt_message


def promoted(target, namespace):
    return "info", "Canary analysis completed successfully, promotion finished."


def rolled_back(target, namespace, reason):
    return "error", "Canary analysis failed, %s rolled back: %s" % (_ref(target, namespace), reason)


# ---------------------------------------------------------------- payloads

def slack_payload(alert, target, namespace, message, fields, severity):
    return {
        "channel": alert.get("channel") or "general", "username": alert.get("username") or DEFAULT_USERNAME,
        "icon_emoji": ":rocket:", "text": "%s: %s" % (_ref(target, namespace), message),
        "attachments": [{"color": "danger" if severity == "error" else "good", "author_name": _ref(target, namespace),
                         "text": message, "mrkdwn_in": ["text"],
                         "fields": [{"title": name, "value": value, "short": False} for name, value in fields]}],
    }


def msteams_payload(alert, target, namespace, message, fields, severity):
    return {
        "@type": "MessageCard", "@context": "http://schema.org/extensions",
        "themeColor": "FF0000" if severity == "error" else "0076D7", "summary": _ref(target, namespace),
        "sections": [{"activityTitle": message, "activitySubtitle": _ref(target, namespace),
                      "facts": [{"name": name, "value": value} for name, value in fields]}],
    }


def webhook_payload(alert, target, namespace, message, fields, severity):
    """Flagger's event webhook payload (CallEventWebhook); the fields go into metadata beside its own keys."""
    metadata = dict((name, value) for name, value in fields)
    metadata.update({"eventMessage": message, "eventType": "Warning" if severity != "info" else "Normal",
                     "timestamp": str(int(time.time() * 1000)), "severity": severity})
    metadata.update(dict((key, str(value)) for key, value in (alert.get("metadata") or {}).items() if key not in metadata))
    return {"name": target, "namespace": namespace, "phase": dict(fields).get("Phase", ""),
            "checksum": dict(fields).get("Revision", ""), "metadata": metadata}


PAYLOADS = {"slack": slack_payload, "msteams": msteams_payload, "webhook": webhook_payload}


def wanted(alert, severity):
    """Flagger's rule: an info alert gets everything, warn gets warn and error, error gets error."""
    least = alert.get("severity") or "info"
    return SEVERITIES.index(severity) >= SEVERITIES.index(least)


# ---------------------------------------------------------------- sending

def _send(alert, payload):
    """None when delivered, else why not (never the URL: it is the alert's secret)."""
    try:
        response = http_request(alert["url"], method="POST", json_body=payload, headers=alert.get("headers"),
                                timeout=alert.get("timeout") or DEFAULT_TIMEOUT, validate_certs=alert.get("validate_certs", True),
                                ca_path=alert.get("ca_path"))
    except HttpRequestError as exc:
        return exc.cause
    if not 200 <= response.status < 300:
        return "HTTP %s" % response.status
    return None


def notify(alerts, target, namespace, severity, message, fields=(), check_mode=False):
    """Send ``message`` to every alert that wants ``severity``; returns (names sent, warnings). In check mode nothing
    is sent and the names are those it would be sent to."""
    sent, warnings = [], []
    fields = [(str(name), str(value)) for name, value in fields]
    for alert in alerts or []:
        if not wanted(alert, severity):
            continue
        name = alert.get("name") or alert["type"]
        if check_mode:
            sent.append(name)
            continue
        payload = PAYLOADS[alert["type"]](alert, target, namespace, message, fields, severity)
        problem = _send(alert, payload)
        if problem:
            warnings.append("alert %s (%s) was not delivered: %s" % (name, alert["type"], problem))
        else:
            sent.append(name)
    return sent, warnings
