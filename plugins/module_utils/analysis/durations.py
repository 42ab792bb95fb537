# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The duration parsers of the collection: ``parse_duration`` for every option we read (module options, webhooks,
analysis windows, the role's interval), ``go_duration_seconds`` for what Istio reads (VirtualService timeouts).

Accepted: Go's ``time.ParseDuration`` syntax (``1h2m3.5s``, ``500ms``, ``1m30s``, units ``ns us µs ms s m h``,
decimals, units in any order, as Flagger's ``interval`` and webhook timeouts are) plus Prometheus' units ``d``
(24h), ``w`` (7d) and ``y`` (365d); a bare number is seconds (an integer Ansible option). Refused: anything else,
negative and zero durations.

A Prometheus range selector takes integers in a fixed unit order only (``1m30s``, never ``1.5m``):
``prometheus_duration`` writes any accepted duration that way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.progressive.canary.plugins.module_utils.errors import CanaryError

UNIT_SECONDS = {
    "ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 0.001, "s": 1, "m": 60, "h": 3600,
    "d": 86400, "w": 7 * 86400, "y": 365 * 86400,
}
EXAMPLES_TEXT = "500ms, 30s, 1m30s, 1h, 1d"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_PART = re.compile(r"(%s)(ns|us|\u00b5s|ms|s|m|h|d|w|y)" % _NUMBER)
_DURATION = re.compile(r"^(?:%s(?:ns|us|\u00b5s|ms|s|m|h|d|w|y))+$" % _NUMBER)
_BARE_NUMBER = re.compile(r"^%s$" % _NUMBER)
# Go's own grammar (istiod and the API server's CEL read Istio durations with it): signs, ``.5s``, ``5.s``, no d/w/y.
GO_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]*)([^0-9.]*)")
GO_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, u"\u00b5s": 1e-6, u"\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# Largest unit first, as Prometheus writes durations.
_PROMETHEUS_UNITS = (("y", 365 * 86400000), ("w", 7 * 86400000), ("d", 86400000), ("h", 3600000), ("m", 60000),
                     ("s", 1000), ("ms", 1))


class DurationError(CanaryError, ValueError):
    """A value is not a duration this collection accepts."""


def parse_duration(value, field="duration"):
    """Seconds (a float above 0) from a duration string or a number of seconds; DurationError naming ``field``."""
    if isinstance(value, bool):
        raise DurationError("%s must be a duration like %s, got %r" % (field, EXAMPLES_TEXT, value))
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip() if value is not None else ""
        if _BARE_NUMBER.match(text):
            seconds = float(text)
        elif _DURATION.match(text):
            seconds = sum(float(number) * UNIT_SECONDS[unit] for number, unit in _PART.findall(text))
        else:
            raise DurationError("%s must be a duration like %s, got %r" % (field, EXAMPLES_TEXT, value))
    if not math.isfinite(seconds) or seconds <= 0:
        raise DurationError("%s must be a positive duration, got %r" % (field, value))
    return seconds


def prometheus_duration(value, field="duration"):
    """The duration written as a Prometheus range selector takes it (``90s`` -> ``1m30s``); DurationError when it is
    not a whole number of milliseconds, the smallest step Prometheus can express."""
    milliseconds = parse_duration(value, field) * 1000
    whole = int(round(milliseconds))
    if whole == 0 or abs(milliseconds - whole) > 1e-6 * max(1.0, milliseconds):
        raise DurationError("%s must be a whole number of milliseconds for Prometheus, got %r" % (field, value))
    parts = []
    for unit, size in _PROMETHEUS_UNITS:
        count, whole = divmod(whole, size)
        if count:
            parts.append("%d%s" % (count, unit))
    return "".join(parts)


def go_duration_seconds(text):
    """Seconds of a Go duration (``10s``, ``1m30s``, ``1.5s``, ``250ms``), as istiod and the API server's CEL read
    Istio durations; ValueError otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError("not a duration")
    rest = text[1:] if text[0] in "+-" else text
    sign = -1.0 if text[0] == "-" else 1.0
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError("not a duration")
    total = 0.0
    while rest:
        number, unit = GO_DURATION_PART.match(rest).groups()
        if not number or number == "." or not number.replace(".", "", 1).isdigit() or unit not in GO_DURATION_UNITS:
            raise ValueError("not a duration")
        total += float(number) * GO_DURATION_UNITS[unit]
        rest = rest[len(number) + len(unit):]
    return sign * total
