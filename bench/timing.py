"""Small helpers for timing: wall time of one call, and the median of several."""
import statistics
import time


def seconds_of(call):
    """Wall time of ``call()`` in seconds (its result is discarded)."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median(values):
    return statistics.median(values) if values else None
