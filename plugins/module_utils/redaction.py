# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credentials embedded in URLs, found and replaced: the one place every message, result, diff and state write
of the collection goes through (modules through canary_module.CanaryModule, state writes through state.StateStore).

A URL keeps what it is useful for (scheme, host, port, path, harmless parameters); only its secret parts become
``REDACTED``. The secret parts of a URL are:

- the password of ``user:password@`` (the user name stays), or the whole user part when there is no password
  (a token used as the user name, ``https://<token>@host``);
- the value of every query or fragment parameter whose name says it is a credential: ``token``, ``access_token``,
  ``api_key``, ``apikey``, ``key``, ``password``, ``secret``, ``sig``, ``signature``, ``auth``, ``code`` (Azure
  Functions), and any name ending in one of these words (``routing_key``, ``X-Amz-Signature``...). Google Chat's
  incoming webhooks (``?key=...&token=...``) and Teams' workflow webhooks (``?sig=...``) are covered this way;
- the path of an incoming-webhook URL, which is a secret in itself: Slack (``hooks.slack.com``), Microsoft Teams
  (``*.webhook.office.com``, ``outlook.office.com``), Discord (``discord.com/api/webhooks``), Webex
  (``webexapis.com/v1/webhooks/incoming``), and any path under ``/hooks/`` (Mattermost, Rocket.Chat, Zapier).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "REDACTED"

# A URL in free text: a scheme, then everything up to whitespace or a quote. Trailing punctuation of the sentence
# around it (``... at https://host/path.``) is not part of it.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"'`]+")
_TRAILING_PUNCTUATION = ".,;:!?)]}"

_SECRET_PARAMETER_NAMES = ("token", "secret", "password", "passwd", "pwd", "pass", "key", "apikey", "sig", "signature",
                           "auth", "authorization", "code", "credential", "credentials", "session")
_SECRET_PARAMETER_SUFFIXES = ("token", "secret", "password", "passwd", "key", "signature", "credential", "credentials",
                              "_sig", "-sig", "_auth", "-auth")

# (host pattern, path pattern): group 1 of the path is kept, the rest of the path is the secret.
_WEBHOOK_PATHS = (
    (re.compile(r"^hooks\.slack(-gov)?\.com$"), re.compile(r"^(/[^/]+/)(.+)$")),
    (re.compile(r"^([a-z0-9-]+\.)*webhook\.office\.com$|^outlook\.office(365)?\.com$"), re.compile(r"^(/webhook(b2)?/)(.+)$")),
    (re.compile(r"^((ptb|canary)\.)?discord(app)?\.com$"), re.compile(r"^(/api(/v[0-9]+)?/webhooks/)(.+)$")),
    (re.compile(r"^webexapis\.com$"), re.compile(r"^(/v1/webhooks/incoming/)(.+)$")),
    (re.compile(r".*"), re.compile(r"^(.*?/hooks/)(.+)$")),
)
# Path segments shorter than this are not registered as secrets of their own (see secrets_in): masking a short word
# such as "catch" everywhere in a module's output would garble it; the whole secret path is registered anyway.
_MIN_SEGMENT_LENGTH = 8


def is_secret_parameter(name):
    """Whether a query parameter of this name carries a credential."""
    lowered = unquote(name).strip().lower()
    return lowered in _SECRET_PARAMETER_NAMES or lowered.endswith(_SECRET_PARAMETER_SUFFIXES)


def _split_userinfo(netloc):
    """(userinfo or None, host[:port])."""
    if "@" not in netloc:
        return None, netloc
    userinfo, hostport = netloc.rsplit("@", 1)
    return userinfo, hostport


def _redacted_netloc(netloc, found):
    userinfo, hostport = _split_userinfo(netloc)
    if userinfo is None:
        return netloc
    user, colon, password = userinfo.partition(":")
    if colon:
        found.append(password)
        return "%s:%s@%s" % (user, REDACTED, hostport)
    found.append(user)
    return "%s@%s" % (REDACTED, hostport)


def _redacted_parameters(text, found):
    """A query (or fragment) with the values of credential parameters replaced; the rest byte for byte."""
    if not text:
        return text
    parts = []
    for parameter in re.split(r"([&;])", text):
        name, equals, value = parameter.partition("=")
        if equals and value and is_secret_parameter(name):
            found.append(value)
            parameter = "%s=%s" % (name, REDACTED)
        parts.append(parameter)
    return "".join(parts)


def _redacted_path(host, path, found):
    for host_pattern, path_pattern in _WEBHOOK_PATHS:
        if host_pattern.match(host):
            match = path_pattern.match(path)
            secret = path[match.end(1):] if match else ""
            if secret.strip("/"):
                found.append(secret)
                found.extend(segment for segment in secret.split("/") if len(segment) >= _MIN_SEGMENT_LENGTH)
                return match.group(1) + REDACTED
    return path


def _redact_url(url, found):
    try:
        parts = urlsplit(url)
        hostname = (parts.hostname or "").lower()
    except ValueError:
        # Not parseable as a URL (e.g. an invalid port): nothing to keep, everything after the scheme may be secret.
        scheme = url.split("://", 1)[0]
        found.append(url[len(scheme) + 3:])
        return "%s://%s" % (scheme, REDACTED)
    netloc = _redacted_netloc(parts.netloc, found)
    path = _redacted_path(hostname, parts.path, found)
    query = _redacted_parameters(parts.query, found)
    fragment = _redacted_parameters(parts.fragment, found)
    if (netloc, path, query, fragment) == (parts.netloc, parts.path, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def redact_url(url):
    """The URL with its secret parts replaced by REDACTED (see the module's docstring); other text unchanged."""
    if not isinstance(url, str) or "://" not in url:
        return url
    return _redact_url(url, [])


def _each_url(text, replace):
    def substitute(match):
        url = match.group(0)
        kept = len(url.rstrip(_TRAILING_PUNCTUATION))
        return replace(url[:kept]) + url[kept:]
    return _URL_IN_TEXT.sub(substitute, text)


def redact_text(text):
    """Free text (a message, a reason) with every URL in it redacted."""
    if not isinstance(text, str) or "://" not in text:
        return text
    return _each_url(text, lambda url: _redact_url(url, []))


def redact(value):
    """A copy of ``value`` (dicts, lists, tuples, strings, anything else as is) with every URL in every string
    redacted. Keys are kept as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return dict((key, redact(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    return value


def secrets_in(value):
    """The secret parts of every URL in ``value`` (any structure of strings), as written and percent-decoded: what
    Ansible must mask wherever it appears (AnsibleModule.no_log_values), even outside a URL."""
    found = []

    def collect(text):
        _each_url(text, lambda url: _redact_url(url, found))

    def walk(item):
        if isinstance(item, str):
            if "://" in item:
                collect(item)
        elif isinstance(item, dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, (list, tuple)):
            for child in item:
                walk(child)

    walk(value)
    secrets = set()
    for secret in found:
        for form in (secret, unquote(secret)):
            if form and form != REDACTED:
                secrets.add(form)
    return secrets
