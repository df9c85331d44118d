"""Bradley-Terry ratings of many players from a tournament table, with bootstrap intervals.

A table holds ``table[i, j] = (wins, draws, losses)`` of player i against player j; ratings are
logistic Elo (see :mod:`chessmesa.analysis.elo`), fixed by one anchor player.

>>> games = [(0, 1, 1.0)] * 3 + [(0, 1, 0.0)] + [(1, 2, 1.0)] * 3 + [(1, 2, 0.0)]
>>> table = results_table(games + [(0, 2, 1.0)] * 3 + [(0, 2, 0.5)], n_players=3)
>>> [round(r) for r in bradley_terry(table, anchor=2)]
[346, 173, 0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, sparse, special
from scipy.sparse import csgraph

ELO_PER_NATURAL_LOG = 400.0 / math.log(10.0)
"""Elo per unit of natural-log strength in the Bradley-Terry model."""


def results_table(games: Iterable[tuple[int, int, float]], n_players: int) -> np.ndarray:
    """Tournament table from games ``(player_a, player_b, score_of_a)``.

    ``table[i, j] = (wins, draws, losses)`` of player i against player j, over all their games;
    ``table[j, i]`` is its mirror image.

    >>> table = results_table([(0, 1, 1.0), (1, 0, 0.5), (0, 1, 0.0)], n_players=2)
    >>> table[0, 1].tolist(), table[1, 0].tolist()
    ([1, 1, 1], [1, 1, 1])
    """
    table = np.zeros((n_players, n_players, 3), dtype=np.int64)
    column = {1.0: 0, 0.5: 1, 0.0: 2}
    for player_a, player_b, score in games:
        if player_a == player_b or not (0 <= player_a < n_players and 0 <= player_b < n_players):
            raise ValueError(f"bad players ({player_a}, {player_b}) for {n_players} players")
        if score not in column:
            raise ValueError(f"game scores must be 0, 0.5 or 1, got {score}")
        table[player_a, player_b, column[score]] += 1
        table[player_b, player_a, 2 - column[score]] += 1
    return table


def _validated_table(results: ArrayLike) -> np.ndarray:
    table = np.asarray(results)
    if table.ndim != 3 or table.shape[0] != table.shape[1] or table.shape[2] != 3:
        raise ValueError(f"expected a (players, players, 3) table, got shape {table.shape}")
    if table.shape[0] < 2:
        raise ValueError("a rating needs at least 2 players")
    if np.any(table < 0) or np.any(table != np.rint(table)):
        raise ValueError("table counts must be non-negative integers")
    if np.any(np.diagonal(table, axis1=0, axis2=1)):
        raise ValueError("a player cannot play itself: the table diagonal must be zero")
    if np.any(table != np.swapaxes(table, 0, 1)[:, :, ::-1]):
        raise ValueError("table[j, i] must mirror table[i, j] (wins and losses swapped)")
    return table.astype(np.int64)


def _fit_log_strengths(table: np.ndarray, anchor: int, prior_draws: float) -> np.ndarray:
    """Bradley-Terry natural-log strengths (anchor at 0) maximising the penalised likelihood.

    The negative log-likelihood is convex in the free strengths; trust-region Newton with the
    exact Hessian converges in a few steps even when ratings lie thousands of Elo apart.
    """
    n_players = table.shape[0]
    others = ~np.eye(n_players, dtype=bool)
    # prior_draws virtual draws between every two players keep perfect scores finite and tie
    # players without games to the field, while biasing real results by a negligible amount.
    points = table[:, :, 0] + 0.5 * table[:, :, 1] + 0.5 * prior_draws * others
    games = table.sum(axis=2) + prior_draws * others
    free = np.arange(n_players) != anchor

    def strengths(free_values: np.ndarray) -> np.ndarray:
        values = np.zeros(n_players)
        values[free] = free_values
        return values

    def objective(free_values: np.ndarray) -> tuple[float, np.ndarray]:
        gaps = strengths(free_values)[:, None] - strengths(free_values)[None, :]
        negative_log_likelihood = np.sum(points * np.logaddexp(0.0, -gaps))
        gradient = -np.sum(points - games * special.expit(gaps), axis=1)
        return float(negative_log_likelihood), gradient[free]

    def hessian(free_values: np.ndarray) -> np.ndarray:
        gaps = strengths(free_values)[:, None] - strengths(free_values)[None, :]
        curvature = games * special.expit(gaps) * special.expit(-gaps)
        full = np.diag(curvature.sum(axis=1)) - curvature
        return full[np.ix_(free, free)]

    solution = optimize.minimize(
        objective, np.zeros(n_players - 1), jac=True, hess=hessian, method="trust-exact"
    )
    if not solution.success:
        raise RuntimeError(f"Bradley-Terry fit did not converge: {solution.message}")
    return strengths(solution.x)


def _check_fit_arguments(anchor: int, n_players: int, prior_draws: float) -> None:
    if not 0 <= anchor < n_players:
        raise ValueError(f"anchor must index one of the {n_players} players, got {anchor}")
    if not prior_draws >= 0.0:
        raise ValueError(f"prior_draws must be non-negative, got {prior_draws}")


def bradley_terry(
    results: ArrayLike, anchor: int = 0, anchor_rating: float = 0.0, prior_draws: float = 0.1
) -> np.ndarray:
    """Maximum-likelihood Bradley-Terry Elo ratings, with ``anchor`` fixed at ``anchor_rating``.

    ``results[i, j] = (wins, draws, losses)`` of player i against player j (see
    :func:`results_table`); a draw counts as half a win for each side. The model is
    ``P(i beats j) = 1 / (1 + 10 ** ((r_j - r_i) / 400))``. A prior of ``prior_draws`` virtual
    draws between every two players regularises the fit: a perfect score gets a large finite
    rating instead of infinity, and a player without games gets roughly the field's average.
    With ``prior_draws=0`` the fit is the plain MLE, which is finite only when no group of players
    swept all its games against the rest.

    >>> table = results_table([(0, 1, 1.0)] * 64 + [(0, 1, 0.0)] * 36, n_players=2)
    >>> [round(r) for r in bradley_terry(table, anchor=1, anchor_rating=1000.0)]
    [1100, 1000]
    """
    table = _validated_table(results)
    _check_fit_arguments(anchor, table.shape[0], prior_draws)
    return anchor_rating + ELO_PER_NATURAL_LOG * _fit_log_strengths(table, anchor, prior_draws)


def bradley_terry_samples(
    results: ArrayLike, anchor: int = 0, anchor_rating: float = 0.0, prior_draws: float = 0.1,
    n_resamples: int = 200, seed: int = 0,
) -> np.ndarray:
    """Bootstrap replicates of :func:`bradley_terry` ratings, shape ``(n_resamples, players)``.

    Each resample redraws the games of every pairing (keeping the number of games the schedule
    gave it) from that pairing's observed win/draw/loss frequencies, with a seeded
    ``numpy.random.Generator``, and fits the ratings again: what any figure derived from the
    ratings (an interval, a crossing point) is resampled from.

    >>> table = results_table([(0, 1, 1.0)] * 6 + [(0, 1, 0.0)] * 4, n_players=2)
    >>> bradley_terry_samples(table, anchor=1, n_resamples=50).shape
    (50, 2)
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    table = _validated_table(results)
    n_players = table.shape[0]
    _check_fit_arguments(anchor, n_players, prior_draws)
    rows, columns = np.triu_indices(n_players, k=1)
    pair_counts = table[rows, columns]
    played = pair_counts.sum(axis=1) > 0
    rows, columns, pair_counts = rows[played], columns[played], pair_counts[played]
    pair_games = pair_counts.sum(axis=1)

    rng = np.random.default_rng(seed)
    samples = np.empty((n_resamples, n_players))
    for resample in range(n_resamples):
        drawn = rng.multinomial(pair_games, pair_counts / pair_games[:, None])
        resampled = np.zeros_like(table)
        resampled[rows, columns] = drawn
        resampled[columns, rows] = drawn[:, ::-1]
        samples[resample] = _fit_log_strengths(resampled, anchor, prior_draws)
    return anchor_rating + ELO_PER_NATURAL_LOG * samples


def bradley_terry_intervals(
    results: ArrayLike,
    anchor: int = 0,
    anchor_rating: float = 0.0,
    prior_draws: float = 0.1,
    n_resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    samples: np.ndarray | None = None,
) -> np.ndarray:
    """Percentile-bootstrap intervals for :func:`bradley_terry` ratings, shape ``(players, 2)``,
    from :func:`bradley_terry_samples` (or from its ``samples`` when a caller already drew them
    with the same anchor, to derive other figures from the same replicates).

    The anchor's interval is a point, since its rating is fixed by definition. A sweep resamples
    to itself, so where the results set no limit the interval is opened instead: a player's
    interval ends at ``inf`` unless a chain of "scored at least a draw against" leads from the
    anchor to that player (otherwise the player's group could have beaten everyone else by any
    margin), and starts at ``-inf`` unless a chain leads from the player to the anchor. A perfect
    score thus ends at ``inf``, and a player without games gets ``(-inf, inf)``.

    >>> table = results_table([(0, 1, 1.0)] * 64 + [(0, 1, 0.0)] * 36, n_players=2)
    >>> low, high = bradley_terry_intervals(table, anchor=1)[0]
    >>> bool(low < 100 < high), round(high - low) in range(120, 180)
    (True, True)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    table = _validated_table(results)
    if samples is None:
        samples = bradley_terry_samples(table, anchor, anchor_rating, prior_draws, n_resamples, seed)
    tail = 50.0 * (1.0 - level)
    intervals = np.percentile(samples, [tail, 100.0 - tail], axis=0).T
    scored_against = table[:, :, 0] + table[:, :, 1] > 0
    intervals[~_reachable(scored_against, anchor), 1] = np.inf
    intervals[~_reachable(scored_against.T, anchor), 0] = -np.inf
    return intervals


def _reachable(adjacency: np.ndarray, start: int) -> np.ndarray:
    """Mask of the nodes reachable from ``start`` along directed edges (``start`` included)."""
    order = csgraph.breadth_first_order(
        sparse.csr_matrix(adjacency), start, directed=True, return_predecessors=False
    )
    mask = np.zeros(adjacency.shape[0], dtype=bool)
    mask[order] = True
    return mask
