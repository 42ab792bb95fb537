# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy for transient errors: which are retried, how often, and how long to wait.

A retry always sends the same request again (same method, URL, body and headers), never a different one: a
request whose meaning could change on a second try (a merge patch replacing a list, a create under another
name) must not be written in the first place. Used by the Kubernetes client (connection.py) and by the
Prometheus queries and web checks (http_client.py); webhooks are never retried (they are POSTs to user
endpoints that may not be idempotent)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import random
import time

# Statuses that say "not now" rather than "no": overload (429), internal error, bad gateway, unavailable, gateway
# timeout. Everything else (4xx) is an answer and is reported at once.
RETRIED_STATUSES = (429, 500, 502, 503, 504)
# Attempts in all (the first one and 3 retries).
MAX_ATTEMPTS = 4
# Backoff before retry n (1, 2, 3): a random time between half and all of FIRST_DELAY * 2**(n-1), at most
# MAX_DELAY: 0.25-0.5 s, 0.5-1 s, 1-2 s, so at most 3.5 s of waiting in all.
FIRST_DELAY = 0.5
MAX_DELAY = 2.0
# A server's Retry-After is honoured up to this many seconds per retry (an overloaded API server asks for 1 s).
MAX_RETRY_AFTER = 10.0


def parse_retry_after(value):
    """Seconds asked by a Retry-After header (delta-seconds or an HTTP date), None when absent or unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def backoff_delay(retry_number, retry_after=None):
    """Seconds to wait before retry ``retry_number`` (1-based): the server's Retry-After when it gave one (bounded
    by MAX_RETRY_AFTER), else exponential backoff with jitter (so that many clients do not retry in step)."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** (retry_number - 1))
    return random.uniform(ceiling / 2.0, ceiling)


class RetryLog(object):
    """What the retries did during one operation: a description of each failure that was retried, and how many
    attempts the last request made when it gave up (0 when no request gave up)."""

    def __init__(self):
        self.retried = []
        self.gave_up_after = 0

    def note(self):
        """Text for an error message: how often the failing request was tried, or what was retried before it."""
        if self.gave_up_after:
            return " (tried %d times: transient errors are retried %d times)" % (self.gave_up_after, MAX_ATTEMPTS - 1)
        if self.retried:
            return " (after retrying: %s)" % "; ".join(self.retried)
        return ""


def call_with_retries(send, transient, log=None, sleep=time.sleep, attempts=MAX_ATTEMPTS):
    """``send()`` until it returns, raises an error that ``transient`` does not retry, or ``attempts`` are used up.

    ``transient(exc)`` returns None for an error not to retry, else ``(description, retry_after_seconds_or_None)``.
    The last error is raised unchanged; ``log`` (a RetryLog) records the retried failures and the give-up."""
    log = log if log is not None else RetryLog()
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except Exception as exc:  # pylint: disable=broad-except  # re-raised unless transient says otherwise
            verdict = transient(exc)
            if verdict is None:
                raise
            if attempt == attempts:
                log.gave_up_after = attempt
                raise
            description, retry_after = verdict
            log.retried.append(description)
            sleep(backoff_delay(attempt, retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def _no_wait(_seconds):
    return None


def retry_stale(attempt, stale, attempts):
    """``attempt()`` again at once, from fresh reads, when it failed on a stale write (``stale(exc)`` true: another
    writer moved what it read), at most ``attempts`` calls in all; the last error is raised unchanged. The one loop for
    conflicts: the driver's re-plans, the state's optimistic writes and canary_image's guarded patch use it."""
    return call_with_retries(attempt, lambda exc: ("a stale write", 0.0) if stale(exc) else None, sleep=_no_wait, attempts=attempts)
