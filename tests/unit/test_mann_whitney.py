"""The pure-Python Mann-Whitney U test against scipy.stats.mannwhitneyu as the oracle, on many generated samples:
the same statistic and p-value (exact and asymptotic, one- and two-sided, with and without ties)."""
import math
import random

import pytest
from scipy.stats import mannwhitneyu

from ansible_collections.progressive.canary.plugins.module_utils.analysis.mann_whitney import (
    ALTERNATIVES, ASYMPTOTIC, EXACT, mann_whitney_u, median, ranks, u_counts,
)

SEEDS = range(40)


def generated(seed):
    """Two samples of 1-60 values: continuous (no ties) or small integers (many ties), shifted or not."""
    rng = random.Random(seed)
    n, m = rng.randint(1, 60), rng.randint(1, 60)
    shift = rng.choice([0.0, 0.3, 1.0])
    if seed % 2:
        return [rng.randint(0, 6) for _value in range(n)], [rng.randint(0, 6) + int(shift * 2) for _value in range(m)]
    return [rng.gauss(0, 1) for _value in range(n)], [rng.gauss(shift, 1) for _value in range(m)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_same_statistic_and_p_value_as_scipy(seed, alternative):
    x, y = generated(seed)
    ours = mann_whitney_u(x, y, alternative)
    theirs = mannwhitneyu(x, y, alternative=alternative, method=ours.method)
    assert ours.statistic == theirs.statistic
    assert ours.pvalue == pytest.approx(float(theirs.pvalue), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_asymptotic_without_ties_is_scipys_too(seed, alternative):
    rng = random.Random(1000 + seed)
    x = [rng.expovariate(1.0) for _value in range(rng.randint(5, 80))]
    y = [rng.expovariate(1.3) for _value in range(rng.randint(5, 80))]
    ours = mann_whitney_u(x, y, alternative, method=ASYMPTOTIC)
    assert ours.pvalue == pytest.approx(float(mannwhitneyu(x, y, alternative=alternative, method="asymptotic").pvalue), rel=1e-9)


@pytest.mark.parametrize("n, m", [(1, 1), (1, 7), (3, 3), (7, 2), (8, 8), (20, 30), (50, 50)])
def test_exact_small_samples_match_scipys_exact_distribution(n, m):
    rng = random.Random(n * 100 + m)
    x, y = [rng.random() for _value in range(n)], [rng.random() + 0.2 for _value in range(m)]
    for alternative in ALTERNATIVES:
        ours = mann_whitney_u(x, y, alternative)
        assert ours.method == EXACT
        assert ours.pvalue == pytest.approx(float(mannwhitneyu(x, y, alternative=alternative, method="exact").pvalue), rel=1e-9)


def test_ties_choose_the_normal_approximation_with_tie_correction():
    x, y = [99.0, 99.0, 99.5, 99.0, 99.0, 98.5], [99.5, 99.5, 100.0, 99.5, 99.5, 99.5]
    ours = mann_whitney_u(x, y, "less")
    assert ours.method == ASYMPTOTIC
    assert ours.pvalue == pytest.approx(float(mannwhitneyu(x, y, alternative="less").pvalue), rel=1e-12)
    assert ours.pvalue < 0.01


def test_more_than_50_values_without_ties_is_asymptotic():
    assert mann_whitney_u(list(range(51)), [v + 0.5 for v in range(10)]).method == ASYMPTOTIC
    assert mann_whitney_u(list(range(50)), [v + 0.5 for v in range(50)]).method == EXACT


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_zero_variance_tells_nothing_apart(alternative):
    result = mann_whitney_u([99.5] * 7, [99.5] * 7, alternative)
    assert result.pvalue == 1.0 and result.statistic == 24.5
    assert float(mannwhitneyu([99.5] * 7, [99.5] * 7, alternative=alternative).pvalue) == 1.0


def test_each_side_constant_but_different_is_significant():
    # The sandbox's mesh is deterministic: each side may be constant; the tie correction still sees the gap.
    less = mann_whitney_u([99.0] * 6, [99.5] * 6, "less")
    assert less.pvalue == pytest.approx(float(mannwhitneyu([99.0] * 6, [99.5] * 6, alternative="less").pvalue))
    assert less.pvalue < 0.001
    assert mann_whitney_u([99.0] * 6, [99.5] * 6, "greater").pvalue > 0.99


def test_u_counts_are_the_gaussian_binomial():
    counts = u_counts(3, 4)
    assert sum(counts) == math.comb(7, 3) and len(counts) == 13
    assert counts == counts[::-1]  # symmetric around n*m/2
    assert counts[:4] == [1, 1, 2, 3]


def test_ranks_share_the_mean_rank_of_ties():
    assert ranks([3.0, 1.0, 3.0, 2.0]) == ([3.5, 1.0, 3.5, 2.0], [1, 1, 2])


def test_median():
    assert median([3, 1, 2]) == 2.0 and median([4, 1, 3, 2]) == 2.5


@pytest.mark.parametrize("x, y, alternative, method, message", [
    ([], [1.0], "less", None, "at least one value"),
    ([float("nan")], [1.0], "less", None, "finite"),
    ([1.0], [float("inf")], "less", None, "finite"),
    ([1.0], [2.0], "smaller", None, "alternative"),
    ([1.0], [2.0], "less", "permutation", "method"),
])
def test_refusals(x, y, alternative, method, message):
    with pytest.raises(ValueError, match=message):
        mann_whitney_u(x, y, alternative, method=method)
