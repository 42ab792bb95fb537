# -*- coding: utf-8 -*-
# Copyright: progressive.canary contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Mann-Whitney U test (Wilcoxon rank-sum), in pure Python: it runs in the module, where no scipy is.

Same statistic, alternatives and p-values as ``scipy.stats.mannwhitneyu(x, y, alternative=..., method=...)``
(tests/unit/test_mann_whitney.py checks it against scipy on many generated samples):

- ``U`` is the statistic of ``x``: the number of pairs (xi, yj) with xi > yj, ties counting one half.
- ``alternative``: ``two-sided``, ``less`` (x is stochastically smaller than y) or ``greater``.
- Exact distribution when there are no ties and both samples have at most EXACT_MAX_SIZE values: the number of
  ways to reach each U is a Gaussian binomial coefficient, computed with integers, so the p-value is exact.
- Otherwise the normal approximation with the tie correction of the variance and a continuity correction of 0.5.
  When every value is the same (zero variance) nothing tells the samples apart: the p-value is 1.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from collections import namedtuple

TWO_SIDED = "two-sided"
LESS = "less"
GREATER = "greater"
ALTERNATIVES = (TWO_SIDED, LESS, GREATER)
EXACT = "exact"
ASYMPTOTIC = "asymptotic"
# The exact distribution costs about n * n * m additions of big integers: 50 x 50 is a few milliseconds.
EXACT_MAX_SIZE = 50


# ``statistic`` (U of x), ``pvalue`` and the ``method`` that gave it (exact or asymptotic).
MannWhitneyResult = namedtuple("MannWhitneyResult", "statistic pvalue method")


def ranks(values):
    """The rank of each value (1-based), tied values sharing the mean of their ranks; and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    result = [0.0] * len(values)
    tie_sizes = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2.0 + 1
        for position in range(start, end + 1):
            result[order[position]] = shared
        tie_sizes.append(end - start + 1)
        start = end + 1
    return result, tie_sizes


def u_counts(n, m):
    """How many of the C(n+m, n) orderings of two tie-free samples give U = 0, 1, ..., n*m: the coefficients of the
    Gaussian binomial [n+m choose n](q) = prod_{i=1..n} (1 - q^(m+i)) / (1 - q^i)."""
    size = n * m + 1
    counts = [0] * size
    counts[0] = 1
    for i in range(1, n + 1):
        # Multiply by (1 - q^(m+i)), from the top so that each coefficient is read before it is changed.
        for power in range(size - 1, m + i - 1, -1):
            counts[power] -= counts[power - m - i]
        # Divide by (1 - q^i): a running sum with stride i (exact: the quotient is a polynomial).
        for power in range(i, size):
            counts[power] += counts[power - i]
    return counts


def _exact_at_least(u, counts):
    """P(U >= u) under the null hypothesis."""
    total = sum(counts)
    return sum(counts[int(math.ceil(u)):]) / float(total) if u <= len(counts) - 1 else 0.0


def _normal_sf(z):
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _asymptotic_at_least(u, n, m, tie_sizes):
    """P(U >= u), normal approximation with the tie-corrected variance and a continuity correction (scipy's)."""
    total = n + m
    tie_term = sum(t ** 3 - t for t in tie_sizes)
    variance = n * m / 12.0 * ((total + 1) - tie_term / float(total * (total - 1)))
    if variance <= 0:
        return 1.0  # every value is the same: nothing tells the samples apart
    z = (u - n * m / 2.0 - 0.5) / math.sqrt(variance)
    return _normal_sf(z)


def mann_whitney_u(x, y, alternative=TWO_SIDED, method=None):
    """The Mann-Whitney U test of samples ``x`` and ``y`` (sequences of finite numbers, neither empty).

    ``method`` None chooses: exact without ties when both have at most EXACT_MAX_SIZE values, else asymptotic.
    Raises ValueError for an empty sample, a value that is not finite, or an unknown alternative or method."""
    if alternative not in ALTERNATIVES:
        raise ValueError("alternative must be one of %s, not %r" % (", ".join(ALTERNATIVES), alternative))
    if not x or not y:
        raise ValueError("both samples need at least one value (got %d and %d)" % (len(x), len(y)))
    values = [float(value) for value in list(x) + list(y)]
    if not all(math.isfinite(value) for value in values):
        raise ValueError("samples must be finite numbers (no NaN, no infinity)")
    n, m = len(x), len(y)
    all_ranks, tie_sizes = ranks(values)
    u_x = sum(all_ranks[:n]) - n * (n + 1) / 2.0
    u_y = n * m - u_x
    tied = any(size > 1 for size in tie_sizes)
    if method is None:
        method = EXACT if not tied and max(n, m) <= EXACT_MAX_SIZE else ASYMPTOTIC
    if method not in (EXACT, ASYMPTOTIC):
        raise ValueError("method must be exact, asymptotic or None, not %r" % method)
    # "greater": large U of x is evidence; "less": large U of y; two-sided: the larger of both, doubled.
    observed, factor = {GREATER: (u_x, 1), LESS: (u_y, 1), TWO_SIDED: (max(u_x, u_y), 2)}[alternative]
    if method == EXACT:
        at_least = _exact_at_least(observed, u_counts(min(n, m), max(n, m)))
    else:
        at_least = _asymptotic_at_least(observed, n, m, tie_sizes)
    return MannWhitneyResult(u_x, min(1.0, max(0.0, factor * at_least)), method)


def median(values):
    """The median of a non-empty sequence of numbers (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0
