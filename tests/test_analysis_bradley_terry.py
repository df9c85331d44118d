"""Bradley-Terry ratings on planted ratings, closed forms, sweeps and idle players."""

import math

import numpy as np
import pytest

from chessmesa.analysis.bradley_terry import bradley_terry, bradley_terry_intervals, results_table
from chessmesa.analysis.elo import elo_to_score

PLANTED = np.array([0.0, 100.0, 200.0, 300.0, 400.0])


def _planted_table(games_per_pair: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    table = np.zeros((5, 5, 3), dtype=np.int64)
    for i in range(5):
        for j in range(i + 1, 5):
            expected = elo_to_score(PLANTED[i] - PLANTED[j])
            draw_rate = 0.6 * min(expected, 1 - expected)
            win = expected - draw_rate / 2  # keeps the expected score, draws counting half
            counts = rng.multinomial(games_per_pair, [win, draw_rate, 1 - win - draw_rate])
            table[i, j] = counts
            table[j, i] = counts[::-1]
    return table


def test_bradley_terry_recovers_planted_ratings():
    table = _planted_table(games_per_pair=1500)
    fitted = bradley_terry(table, anchor=0, anchor_rating=0.0)
    assert fitted[0] == 0.0
    np.testing.assert_allclose(fitted, PLANTED, atol=30.0)
    # Another anchor only shifts the scale.
    shifted = bradley_terry(table, anchor=2, anchor_rating=1500.0)
    assert shifted[2] == 1500.0
    np.testing.assert_allclose(shifted - shifted[0], fitted, atol=1e-6)


def test_bradley_terry_intervals_contain_the_truth_and_shrink_with_games():
    table = _planted_table(games_per_pair=1500)
    intervals = bradley_terry_intervals(table, n_resamples=100, seed=3)
    assert np.all(intervals[:, 0] <= PLANTED) and np.all(PLANTED <= intervals[:, 1])
    assert tuple(intervals[0]) == (0.0, 0.0)
    small = bradley_terry_intervals(_planted_table(games_per_pair=150), n_resamples=100, seed=3)
    widths, small_widths = np.diff(intervals)[1:, 0], np.diff(small)[1:, 0]
    # Ten times fewer games: intervals about sqrt(10) ~ 3.2 times wider.
    assert np.all((2.0 < small_widths / widths) & (small_widths / widths < 5.0))
    assert intervals == pytest.approx(bradley_terry_intervals(table, n_resamples=100, seed=3))


def test_bradley_terry_two_players_matches_the_closed_form():
    table = results_table([(0, 1, 1.0)] * 55 + [(1, 0, 0.5)] * 30 + [(0, 1, 0.0)] * 15, 2)
    score = (55 + 30 / 2) / 100  # draws count half a win each
    fitted = bradley_terry(table, anchor=1, prior_draws=0.0)
    assert fitted[0] == pytest.approx(400 * math.log10(score / (1 - score)), abs=1e-4)


def test_bradley_terry_survives_perfect_scores_and_idle_players():
    table = np.zeros((4, 4, 3), dtype=np.int64)
    table[0, 1], table[1, 0] = (20, 0, 0), (0, 0, 20)  # player 0 wins everything
    table[1, 2], table[2, 1] = (8, 4, 8), (8, 4, 8)  # player 3 never plays
    fitted = bradley_terry(table, anchor=1)
    assert np.all(np.isfinite(fitted))
    assert fitted[0] > 500 and abs(fitted[2]) < 50
    intervals = bradley_terry_intervals(table, anchor=1, n_resamples=20)
    assert intervals[0, 1] == math.inf and math.isfinite(intervals[0, 0])
    assert tuple(intervals[3]) == (-math.inf, math.inf)
    assert np.all(np.isfinite(intervals[2]))


def test_bradley_terry_intervals_open_where_sweeps_leave_ratings_unbounded():
    # 0 sweeps 1 and 1 sweeps 2: relative to 1, player 0 has no upper limit and 2 no lower one.
    games = [(0, 1, 1.0)] * 12 + [(1, 2, 1.0)] * 12 + [(0, 2, 1.0)] * 3
    intervals = bradley_terry_intervals(results_table(games, 3), anchor=1, n_resamples=20)
    assert math.isfinite(intervals[0, 0]) and intervals[0, 1] == math.inf
    assert intervals[2, 0] == -math.inf and math.isfinite(intervals[2, 1])


def test_results_table_must_be_mirrored():
    table = np.zeros((2, 2, 3), dtype=np.int64)
    table[0, 1] = (3, 1, 2)  # table[1, 0] left empty
    with pytest.raises(ValueError, match="mirror"):
        bradley_terry(table)
    with pytest.raises(ValueError, match="anchor"):
        bradley_terry(results_table([(0, 1, 1.0)], 2), anchor=5)
