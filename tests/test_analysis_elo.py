"""Elo, LOS, nElo, pentanomial counts and SPRT against formulas recomputed here."""

import doctest
import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

import chessmesa.analysis.elo
from chessmesa.analysis.elo import (
    MatchStats,
    SprtConfig,
    elo_to_score,
    estimate_elo,
    log_likelihood_ratio,
    pentanomial_counts,
    score_to_elo,
    sprt,
)

Z95 = 1.959963984540054
NELO_SCALE = 800 / math.log(10)


def test_docstring_examples():
    assert doctest.testmod(chessmesa.analysis.elo).failed == 0


def test_score_and_elo_are_inverse_and_match_the_logistic_formula():
    assert score_to_elo(0.7) == pytest.approx(147.1907, abs=1e-4)  # 400 * log10(7 / 3)
    assert score_to_elo(0.5) == 0.0
    assert score_to_elo(0.0) == -math.inf and score_to_elo(1.0) == math.inf
    for elo in (-800.0, -35.5, 0.0, 200.0, 1200.0):
        assert score_to_elo(elo_to_score(elo)) == pytest.approx(elo, abs=1e-9)
    with pytest.raises(ValueError, match="score"):
        score_to_elo(1.2)


def test_even_trinomial_result_is_zero_elo():
    estimate = estimate_elo([30, 40, 30])  # L, D, W
    assert estimate.score == 0.5
    assert estimate.elo == 0.0
    assert estimate.los == 0.5
    assert estimate.elo_ci[0] == pytest.approx(-estimate.elo_ci[1])


def test_trinomial_elo_interval_and_los_worked_example():
    # W=60, D=20, L=20: score 0.7; per-game variance 0.6*0.3^2 + 0.2*0.2^2 + 0.2*0.7^2 = 0.16.
    estimate = estimate_elo([20, 20, 60])
    standard_error = math.sqrt(0.16 / 100)
    assert estimate.score == pytest.approx(0.7)
    assert estimate.elo == pytest.approx(147.19, abs=0.01)
    low_score, high_score = 0.7 - Z95 * standard_error, 0.7 + Z95 * standard_error
    assert estimate.elo_ci[0] == pytest.approx(-400 * math.log10(1 / low_score - 1))
    assert estimate.elo_ci[1] == pytest.approx(-400 * math.log10(1 / high_score - 1))
    assert estimate.elo_ci == pytest.approx((86.23, 218.25), abs=0.01)
    assert estimate.los == pytest.approx(stats.norm.cdf(0.2 / standard_error))
    assert estimate.nelo == pytest.approx(0.2 / 0.4 * NELO_SCALE)  # sigma per game = 0.4


def test_pentanomial_elo_nelo_and_los_from_per_pair_variance():
    counts = [5, 20, 50, 15, 10]
    pairs = sum(counts)
    pair_scores = [0.0, 0.25, 0.5, 0.75, 1.0]
    mean = sum(n * a for n, a in zip(counts, pair_scores)) / pairs
    variance = sum(n * (a - mean) ** 2 for n, a in zip(counts, pair_scores)) / pairs
    standard_error = math.sqrt(variance / pairs)

    estimate = estimate_elo(counts)

    assert estimate.score == pytest.approx(mean)
    assert estimate.elo == pytest.approx(-400 * math.log10(1 / mean - 1))
    high_score = mean + Z95 * standard_error
    assert estimate.elo_ci[1] == pytest.approx(-400 * math.log10(1 / high_score - 1))
    # nElo is per game: a pair is two games, so sigma per game is sqrt(2 * pair variance).
    assert estimate.nelo == pytest.approx((mean - 0.5) / math.sqrt(2 * variance) * NELO_SCALE)
    assert estimate.nelo_ci[1] == pytest.approx(
        (high_score - 0.5) / math.sqrt(2 * variance) * NELO_SCALE
    )
    assert estimate.los == pytest.approx(stats.norm.cdf((mean - 0.5) / standard_error))


def test_perfect_and_zero_scores_are_infinite_with_an_exact_one_sided_bound():
    perfect = estimate_elo([0, 0, 10])
    assert perfect.elo == math.inf and perfect.elo_ci[1] == math.inf and perfect.los == 1.0
    # P(win) >= c where c ** 10 = 0.025 (one-sided Clopper-Pearson).
    assert perfect.elo_ci[0] == pytest.approx(score_to_elo(0.025 ** (1 / 10)))
    hopeless = estimate_elo([8, 0, 0, 0, 0])  # eight pairs lost twice
    assert hopeless.elo == -math.inf and hopeless.elo_ci[0] == -math.inf and hopeless.los == 0.0
    assert hopeless.elo_ci[1] == pytest.approx(score_to_elo(1 - 0.025 ** (1 / 8)))
    all_draws = estimate_elo([0, 12, 0])
    assert all_draws.elo == 0.0 and math.isnan(all_draws.nelo)
    assert all_draws.elo_ci[0] < 0 < all_draws.elo_ci[1]


@pytest.mark.parametrize("counts", [[0, 0, 0], [0, 0, 0, 0, 0], [1, 2], [1, -1, 3]])
def test_bad_counts_raise(counts):
    with pytest.raises(ValueError):
        estimate_elo(counts)


def _constrained_mle(counts, constraint):
    """Maximise the multinomial likelihood numerically (SLSQP) under one equality constraint."""
    empirical = np.asarray(counts, float) / sum(counts)
    solution = optimize.minimize(
        lambda p: -np.sum(empirical * np.log(p)),
        empirical,
        method="SLSQP",
        bounds=[(1e-12, 1.0)] * len(counts),
        constraints=[
            {"type": "eq", "fun": lambda p: np.sum(p) - 1.0},
            {"type": "eq", "fun": constraint},
        ],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    assert solution.success, solution.message
    return solution.x


def _independent_llr(counts, constraint_for):
    p0, p1 = (_constrained_mle(counts, constraint_for(h)) for h in (0, 1))
    return float(np.sum(np.asarray(counts) * (np.log(p1) - np.log(p0))))


@pytest.mark.parametrize(
    "counts", [[40, 310, 720, 330, 60], [12, 80, 150, 95, 30], [210, 300, 260]]
)
def test_logistic_llr_matches_a_numerical_constrained_mle(counts):
    elo0, elo1 = -2.0, 6.0
    outcomes = np.linspace(0, 1, len(counts))
    targets = [elo_to_score(elo0), elo_to_score(elo1)]
    expected = _independent_llr(counts, lambda h: lambda p: p @ outcomes - targets[h])
    assert log_likelihood_ratio(counts, elo0, elo1) == pytest.approx(expected, abs=1e-4)


def test_unseen_outcomes_count_as_a_thousandth_of_a_sample_like_fishtest():
    counts = [0, 30, 80, 40, 10]
    regularised = [1e-3, 30, 80, 40, 10]
    outcomes = np.linspace(0, 1, 5)
    targets = [elo_to_score(0.0), elo_to_score(20.0)]
    expected = _independent_llr(regularised, lambda h: lambda p: p @ outcomes - targets[h])
    assert log_likelihood_ratio(counts, 0.0, 20.0) == pytest.approx(expected, abs=1e-4)


def test_normalized_llr_matches_a_numerical_constrained_mle():
    counts = [40, 310, 720, 330, 60]
    nelo0, nelo1 = 0.0, 10.0
    outcomes = np.linspace(0, 1, 5)
    # Pair t-value = sqrt(2) * per-game nElo / (800 / ln 10).
    t_values = [math.sqrt(2) * nelo / NELO_SCALE for nelo in (nelo0, nelo1)]

    def t_constraint(h):
        def residual(p):
            mean = p @ outcomes
            return (mean - 0.5) / math.sqrt(p @ (outcomes - mean) ** 2) - t_values[h]

        return residual

    expected = _independent_llr(counts, t_constraint)
    actual = log_likelihood_ratio(counts, nelo0, nelo1, model="normalized")
    assert actual == pytest.approx(expected, abs=1e-4)


def test_llr_is_antisymmetric_and_zero_at_equal_hypotheses():
    counts = [30, 210, 500, 230, 40]
    forward = log_likelihood_ratio(counts, 0, 5)
    assert log_likelihood_ratio(counts, 5, 0) == pytest.approx(-forward)
    assert log_likelihood_ratio(counts, 3, 3) == 0.0


def test_sprt_accepts_h1_on_clear_wins_and_h0_on_clear_losses():
    config = SprtConfig(elo0=0, elo1=10)
    winning = sprt([50, 300, 800, 400, 120], config)
    losing = sprt([120, 400, 800, 300, 50], config)
    undecided = sprt([2, 10, 20, 10, 2], config)
    assert winning.decision == "H1" and winning.llr >= winning.upper
    assert losing.decision == "H0" and losing.llr <= losing.lower
    assert undecided.decision is None and undecided.lower < undecided.llr < undecided.upper
    assert winning.lower == pytest.approx(math.log(0.05 / 0.95))
    assert winning.upper == pytest.approx(math.log(0.95 / 0.05))


def test_sprt_bounds_follow_alpha_and_beta():
    config = SprtConfig(elo0=0, elo1=5, alpha=0.01, beta=0.1, model="normalized")
    assert config.lower == pytest.approx(math.log(0.1 / 0.99))
    assert config.upper == pytest.approx(math.log(0.9 / 0.01))
    assert sprt([50, 300, 800, 400, 120], config).decision == "H1"


def test_sprt_handles_unseen_outcomes_like_fishtest():
    # Every pair won: zero counts are regularised, so the LLR is finite and favours H1.
    result = sprt([0, 0, 0, 0, 40], SprtConfig(elo0=0, elo1=5))
    assert math.isfinite(result.llr) and result.llr > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"elo0": 5, "elo1": 0},
        {"elo0": 0, "elo1": 5, "alpha": 0.0},
        {"elo0": 0, "elo1": 5, "alpha": 0.6, "beta": 0.5},
        {"elo0": 0, "elo1": 5, "model": "bayes"},
    ],
)
def test_invalid_sprt_configs_raise(kwargs):
    with pytest.raises(ValueError):
        SprtConfig(**kwargs)


def test_pentanomial_counts_pair_consecutive_games_or_by_id():
    scores = [1, 0, 1, 1, 0.5, 0.5, 0, 0, 1]  # pairs: 1, 2, 1, 0; last game unpaired
    assert pentanomial_counts(scores) == (1, 0, 2, 0, 1)
    assert pentanomial_counts([0.5, 1, 1, 0], pair_ids=[3, 9, 3, 9]) == (0, 0, 1, 1, 0)
    with pytest.raises(ValueError, match="pair id 3"):
        pentanomial_counts([1, 1, 1], pair_ids=[3, 3, 3])
    with pytest.raises(ValueError, match="0, 0.5 or 1"):
        pentanomial_counts([1, 0.25])


def test_match_stats_summarises_and_serialises():
    scores = [1, 0.5] * 30 + [0, 1] * 10 + [0.5, 0.5] * 10  # 50 pairs
    stats_ = MatchStats.from_scores(scores, sprt_config=SprtConfig(elo0=0, elo1=10))
    assert (stats_.wins, stats_.draws, stats_.losses) == (40, 50, 10)
    assert stats_.pentanomial == (0, 0, 20, 30, 0)
    assert stats_.model == "pentanomial"
    assert stats_.elo == pytest.approx(estimate_elo([0, 0, 20, 30, 0]).elo)
    assert stats_.sprt is not None and stats_.sprt.llr == pytest.approx(
        log_likelihood_ratio([0, 0, 20, 30, 0], 0, 10)
    )
    document = json.loads(json.dumps(stats_.to_dict(), allow_nan=False))
    assert document["pentanomial"] == [0, 0, 20, 30, 0]
    assert document["wins"] == 40 and len(document["elo_ci"]) == 2
    assert document["sprt"]["decision"] in ("H0", "H1", None)


def test_match_stats_edge_cases():
    single = MatchStats.from_scores([0.5])
    assert single.model == "trinomial" and single.pentanomial == (0, 0, 0, 0, 0)
    sweep = MatchStats.from_scores([1, 1, 1, 1]).to_dict()
    assert sweep["elo"] is None and sweep["elo_ci"][1] is None and sweep["los"] == 1.0
    json.dumps(sweep, allow_nan=False)
    with pytest.raises(ValueError, match="no games"):
        MatchStats.from_scores([])
