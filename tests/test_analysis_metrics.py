"""Agreement metrics on hand-computed cases, and the equivalence and exchange-rate curves."""

import doctest
import itertools
import math

import numpy as np
import pytest

from chessmesa.analysis import metrics
from chessmesa.analysis.metrics import (
    EquivalentBudget,
    bootstrap_ci,
    calibration,
    cross_entropy_bits,
    entropy_bits,
    fit_exchange_rate,
    interpolate_equivalent_budget,
    kendall_tau_b,
    kl_bits,
    topk_agreement,
    value_mse,
)


def test_docstring_examples():
    assert doctest.testmod(metrics).failed == 0


@pytest.mark.parametrize(
    ("best", "k", "expected"),
    [(0, 1, 1.0), (1, 1, 0.0), (1, 2, 1.0), (3, 2, 0.0), (3, 3, 0.5), (2, 4, 1.0)],
)
def test_topk_agreement_shares_places_among_ties(best, k, expected):
    student = np.array([0.5, 0.3, 0.1, 0.1])  # moves 2 and 3 tie for third place
    assert topk_agreement(student, best, k) == pytest.approx(expected)


def test_topk_agreement_validates_arguments():
    with pytest.raises(ValueError, match="outside"):
        topk_agreement([0.5, 0.5], 2)
    with pytest.raises(ValueError, match="k must"):
        topk_agreement([0.5, 0.5], 0, k=0)


def test_information_measures_by_hand():
    p, q = [0.5, 0.5], [0.25, 0.75]
    # KL = 0.5 * log2(0.5 / 0.25) + 0.5 * log2(0.5 / 0.75) = 0.5 + 0.5 * log2(2 / 3)
    assert kl_bits(p, q) == pytest.approx(0.5 + 0.5 * math.log2(2 / 3))
    assert cross_entropy_bits(p, q) == pytest.approx(1.0 - 0.5 * math.log2(0.75))
    assert entropy_bits(p) == pytest.approx(1.0)
    assert cross_entropy_bits(p, q) == pytest.approx(entropy_bits(p) + kl_bits(p, q))
    assert kl_bits(q, q) == pytest.approx(0.0, abs=1e-12)


def test_zero_teacher_probability_terms_vanish_and_student_zeros_are_floored():
    assert kl_bits([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)
    assert entropy_bits([1.0, 0.0, 0.0]) == 0.0
    floored = cross_entropy_bits([0.5, 0.5], [1.0, 0.0])
    assert floored == pytest.approx(0.5 * -math.log2(metrics.PROBABILITY_FLOOR))


def test_information_measures_reject_visit_counts():
    with pytest.raises(ValueError, match="sum to 1"):
        kl_bits([30, 70], [0.3, 0.7])
    with pytest.raises(ValueError, match="moves"):
        kl_bits([0.5, 0.5], [0.2, 0.3, 0.5])


def _brute_force_tau_b(a, b):
    concordant = discordant = ties_a = ties_b = 0
    for i, j in itertools.combinations(range(len(a)), 2):
        da, db = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
        if da == 0 and db == 0:
            continue
        if da == 0:
            ties_a += 1
        elif db == 0:
            ties_b += 1
        elif da == db:
            concordant += 1
        else:
            discordant += 1
    n_a = concordant + discordant + ties_b  # pairs not tied in a
    n_b = concordant + discordant + ties_a
    return (concordant - discordant) / math.sqrt(n_a * n_b)


def test_kendall_tau_b_by_hand_and_against_a_brute_force_count():
    assert kendall_tau_b([1, 2, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, 30), rng.integers(0, 5, 30)  # many ties on both sides
    assert kendall_tau_b(a, b) == pytest.approx(_brute_force_tau_b(a, b))
    from scipy import stats

    for seed in range(20):  # and against scipy's, which it replaces on the hot path
        rng = np.random.default_rng(seed)
        size = int(rng.integers(2, 60))
        a, b = rng.integers(0, 6, size), rng.normal(size=size).round(1)
        if len(set(a)) > 1 and len(set(b)) > 1:
            assert kendall_tau_b(a, b) == pytest.approx(stats.kendalltau(a, b, variant="b").statistic)


def test_kendall_tau_b_drops_nan_pairs_and_is_nan_without_order():
    assert kendall_tau_b([1, np.nan, 2, 3], [1, 5, 3, 2]) == pytest.approx(1 / 3)
    assert math.isnan(kendall_tau_b([2, 2, 2], [1, 2, 3]))
    assert math.isnan(kendall_tau_b([1, np.nan], [1, 2]))


def test_value_error():
    assert value_mse([1.0, 0.0, -1.0], [0.5, 0.0, 0.0]) == pytest.approx((0.25 + 0 + 1) / 3)
    assert math.isnan(value_mse([np.nan], [1.0]))


def test_calibration_bins_and_expected_error():
    result = calibration([0.05, 0.15, 0.15, 0.95, 1.0], [0, 1, 0, 1, 1], bins=10)
    assert result.count.tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]  # 1.0 falls in the last bin
    assert result.accuracy[1] == 0.5 and math.isnan(result.accuracy[2])
    assert result.confidence[9] == pytest.approx(0.975)
    expected_ece = (1 * 0.05 + 2 * abs(0.5 - 0.15) + 2 * abs(1 - 0.975)) / 5
    assert result.ece == pytest.approx(expected_ece)
    np.testing.assert_allclose(result.edges, np.linspace(0, 1, 11))


def test_calibration_of_a_calibrated_predictor_is_near_zero():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(size=20000)
    correct = rng.uniform(size=20000) < confidence
    assert calibration(confidence, correct).ece < 0.02
    assert calibration(confidence, ~correct).ece > 0.4
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        calibration([1.5], [1])


def test_bootstrap_ci_is_seeded_and_matches_normal_theory():
    values = np.random.default_rng(2).normal(10.0, 2.0, size=400)
    low, high = bootstrap_ci(values, n=1000, seed=5)
    assert (low, high) == bootstrap_ci(values, n=1000, seed=5)
    assert low < values.mean() < high
    # Half width near 1.96 * sigma / sqrt(n) = 0.196.
    assert (high - low) / 2 == pytest.approx(1.96 * values.std() / 20, rel=0.15)
    median_low, median_high = bootstrap_ci(values, statistic=np.median, n=300)
    assert median_low < np.median(values) < median_high


def test_equivalent_budget_interpolates_in_log_budget():
    budgets = [16, 32, 64, 128, 256, 512]
    agreements = [0.1 * math.log2(b) for b in budgets]  # 0.4 ... 0.9
    result = interpolate_equivalent_budget(budgets, agreements, target=0.55)
    assert result.budget == pytest.approx(2**5.5) and result.out_of_range is None
    assert interpolate_equivalent_budget(budgets, agreements, 0.4).budget == pytest.approx(16)
    assert interpolate_equivalent_budget(budgets, agreements, 0.9).budget == pytest.approx(512)
    shuffled = interpolate_equivalent_budget(budgets[::-1], agreements[::-1], target=0.55)
    assert shuffled == result


def test_equivalent_budget_reports_which_side_it_left_the_curve():
    budgets, agreements = [16, 64, 256], [0.3, 0.5, 0.6]
    below = interpolate_equivalent_budget(budgets, agreements, 0.2)
    above = interpolate_equivalent_budget(budgets, agreements, 0.65)
    assert below == EquivalentBudget(None, "below")
    assert above == EquivalentBudget(None, "above")


def test_equivalent_budget_smooths_dips_isotonically():
    # 0.5 then 0.45 is noise: both become their mean 0.475, reached first at budget 32.
    budgets, agreements = [16, 32, 64, 128], [0.3, 0.5, 0.45, 0.6]
    assert interpolate_equivalent_budget(budgets, agreements, 0.475).budget == pytest.approx(32)
    # Halfway from 0.475 (at 64) to 0.6 (at 128) in log2 budget.
    halfway = interpolate_equivalent_budget(budgets, agreements, 0.5375).budget
    assert halfway == pytest.approx(2**6.5)
    # The running maximum would have put 0.5 already at 32.
    assert interpolate_equivalent_budget(budgets, agreements, 0.5).budget > 64
    with pytest.raises(ValueError, match="distinct"):
        interpolate_equivalent_budget([16, 16], [0.1, 0.2], 0.15)


def test_exchange_rate_fit_recovers_planted_coefficients():
    rng = np.random.default_rng(3)
    log10_train = rng.uniform(14, 18, size=60)
    elo = rng.uniform(-200, 400, size=60)
    log10_test = 5.0 - 0.7 * log10_train + 0.004 * elo + rng.normal(0, 0.02, size=60)
    fit = fit_exchange_rate(log10_train, log10_test, elo)
    assert fit.intercept == pytest.approx(5.0, abs=0.1)
    assert fit.train_slope == pytest.approx(-0.7, abs=0.01)
    assert fit.elo_slope == pytest.approx(0.004, abs=1e-4)
    assert 0.99 < fit.r_squared < 1.0


def test_exchange_rate_fit_needs_independent_variation():
    train = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="independently"):
        fit_exchange_rate(train, train, 100 * train)  # Elo collinear with training compute
