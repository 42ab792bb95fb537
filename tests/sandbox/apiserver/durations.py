"""Go's time.ParseDuration, as the API server's CEL `duration()` and istiod's Duration decoding read a string."""
import re

UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d*\.?\d*)([^\d.]*)")


class GoDurationError(ValueError):
    """Not a Go duration; the message is Go's."""


def parse_go_duration(text):
    """Seconds (float) of a Go duration string such as `1m30s`, `1.5s`, `-2ms` or `0`; GoDurationError otherwise."""
    quoted = '"%s"' % text
    rest = text
    sign = 1.0
    if rest[:1] in "+-" and rest:
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise GoDurationError("time: invalid duration " + quoted)
    total = 0.0
    while rest:
        match = _PART.match(rest)
        number, unit = match.group(1), match.group(2)
        if not number or number == "." or not number.replace(".", "").isdigit():
            raise GoDurationError("time: invalid duration " + quoted)
        if not unit:
            raise GoDurationError("time: missing unit in duration " + quoted)
        if unit not in UNITS:
            raise GoDurationError('time: unknown unit "%s" in duration %s' % (unit, quoted))
        total += float(number) * UNITS[unit]
        rest = rest[len(number) + len(unit):]
    return sign * total
