"""Agreement between a student policy and a searcher's labels, and the curves built from it.

The per-position functions take numpy arrays over the legal moves of one position, in the same
move order: the student's probabilities and the teacher's root visit counts or policy. For a data
set, map a function over the positions and summarise the list, e.g. with :func:`bootstrap_ci`:

>>> student = [np.array([0.7, 0.2, 0.1]), np.array([0.1, 0.6, 0.3])]
>>> teacher_best = [0, 0]  # the index of the searcher's most visited move
>>> float(np.mean([topk_agreement(q, best, k=1) for q, best in zip(student, teacher_best)]))
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

PROBABILITY_FLOOR = 1e-12
"""Student probabilities are floored here in the log, so a move the student rules out costs
about 40 bits instead of infinity."""


def _validated_distribution(probs: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(probs, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    if abs(array.sum() - 1.0) > 1e-3:
        raise ValueError(
            f"{name} must sum to 1, got {array.sum():.6g} (normalise visit counts first)"
        )
    return array


def _validated_pair(first: ArrayLike, second: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"expected two 1-D arrays of the same length, got {a.shape} and {b.shape}")
    return a, b


def _finite_pairs(first: ArrayLike, second: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = _validated_pair(first, second)
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def topk_agreement(student_probs: ArrayLike, teacher_best_index: int, k: int = 3) -> float:
    """Whether the teacher's best move is among the student's ``k`` most probable moves, tie-aware.

    A move ranks ahead of ``r`` moves with strictly higher probability; if it is tied with ``t``
    moves (itself included) the remaining ``k - r`` places are shared among them, so the result
    is ``min(1, (k - r) / t)`` when ``r < k``, else 0: with ``k = 1``, the share of the student's
    tied top moves that are the teacher's best.

    >>> topk_agreement([0.5, 0.3, 0.1, 0.1], teacher_best_index=2, k=2)
    0.0
    >>> topk_agreement([0.5, 0.3, 0.1, 0.1], teacher_best_index=2, k=3)
    0.5
    >>> topk_agreement([0.5, 0.3, 0.1, 0.1], teacher_best_index=1, k=3)
    1.0
    """
    student = np.asarray(student_probs, dtype=float)
    if student.ndim != 1:
        raise ValueError(f"student_probs must be a 1-D array, got shape {student.shape}")
    if not 0 <= teacher_best_index < student.size:
        raise ValueError(f"teacher_best_index {teacher_best_index} outside {student.size} moves")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    probability = student[teacher_best_index]
    ahead = int(np.sum(student > probability))
    tied = int(np.sum(student == probability))
    return min(1.0, (k - ahead) / tied) if ahead < k else 0.0


def entropy_bits(p: ArrayLike) -> float:
    """Shannon entropy in bits; zero-probability moves contribute nothing.

    >>> entropy_bits([0.5, 0.25, 0.25, 0.0])
    1.5
    """
    p = _validated_distribution(p, "p")
    support = p > 0
    return float(-np.sum(p[support] * np.log2(p[support])))


def cross_entropy_bits(p_teacher: ArrayLike, q_student: ArrayLike) -> float:
    """Cross-entropy ``-sum(p * log2(q))`` in bits, ``q`` floored at :data:`PROBABILITY_FLOOR`.

    Moves the teacher gives zero probability contribute nothing.

    >>> cross_entropy_bits([0.5, 0.5, 0.0], [0.25, 0.25, 0.5])
    2.0
    """
    p = _validated_distribution(p_teacher, "p_teacher")
    q = _validated_distribution(q_student, "q_student")
    if p.shape != q.shape:
        raise ValueError(f"p_teacher has {p.size} moves, q_student {q.size}")
    support = p > 0
    return float(-np.sum(p[support] * np.log2(np.maximum(q[support], PROBABILITY_FLOOR))))


def kl_bits(p_teacher: ArrayLike, q_student: ArrayLike) -> float:
    """KL divergence ``KL(p || q)`` in bits: the cross-entropy minus the teacher's entropy.

    >>> kl_bits([0.5, 0.5, 0.0], [0.25, 0.25, 0.5])
    1.0
    >>> kl_bits([0.2, 0.8], [0.2, 0.8])
    0.0
    """
    return cross_entropy_bits(p_teacher, q_student) - entropy_bits(p_teacher)


@lru_cache(maxsize=256)
def _pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The index pairs ``i < j`` of ``size`` items."""
    return np.triu_indices(size, 1)


def kendall_tau_b(a: ArrayLike, b: ArrayLike) -> float:
    """Kendall's tau-b rank correlation (``scipy.stats.kendalltau``, variant b).

    Pairs where either value is NaN are dropped. The result is NaN when fewer than two pairs
    remain or when either side is constant, since a ranking without any order has no correlation.

    >>> round(kendall_tau_b([1, 2, 3], [1, 3, 2]), 6)
    0.333333
    >>> round(kendall_tau_b([1, 2, 2], [1, 2, 3]), 6)  # tau-b corrects for the tie: 2 / sqrt(6)
    0.816497
    >>> kendall_tau_b([1, 1, 1], [1, 2, 3])
    nan
    """
    a, b = _finite_pairs(a, b)
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    # Counted over the pairs directly: a root has at most a few dozen moves, and scipy's call
    # overhead (about 1 ms) made this the analysis' hot spot, tens of thousands of calls a run.
    upper = _pairs(a.size)
    sign_a = np.sign(a[:, None] - a[None, :])[upper]
    sign_b = np.sign(b[:, None] - b[None, :])[upper]
    untied_a, untied_b = np.count_nonzero(sign_a), np.count_nonzero(sign_b)
    return float(np.dot(sign_a, sign_b) / math.sqrt(untied_a * untied_b))


def value_mse(predicted: ArrayLike, target: ArrayLike) -> float:
    """Mean squared error over the pairs where both values are finite; NaN if there are none.

    >>> value_mse([0.5, -1.0, np.nan], [0.0, -0.5, 1.0])
    0.25
    """
    predicted, target = _finite_pairs(predicted, target)
    return float(np.mean((predicted - target) ** 2)) if predicted.size else math.nan


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram data and expected calibration error.

    Bin ``i`` covers ``[edges[i], edges[i + 1])`` (the last bin includes 1.0); ``confidence`` and
    ``accuracy`` are the bin means, NaN for an empty bin. ``ece`` is
    ``sum(count / total * |accuracy - confidence|)`` over the non-empty bins.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray
    ece: float


def calibration(confidences: ArrayLike, correct: ArrayLike, bins: int = 10) -> Calibration:
    """Equal-width reliability bins of ``confidences`` (in [0, 1]) against ``correct`` (0/1).

    >>> result = calibration([0.9, 0.9, 0.2, 0.3], [1, 0, 0, 1], bins=2)
    >>> result.count.tolist(), result.accuracy.tolist(), round(result.ece, 3)
    ([2, 2], [0.5, 0.5], 0.325)
    """
    confidences, correct = _validated_pair(confidences, correct)
    if confidences.size == 0:
        raise ValueError("calibration needs at least one prediction")
    if np.any((confidences < 0) | (confidences > 1)) or not np.all(np.isfinite(confidences)):
        raise ValueError("confidences must lie in [0, 1]")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum((confidences * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, weights=confidences, minlength=bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=bins) / count
    filled = count > 0
    ece = float(np.sum(count[filled] * np.abs(accuracy[filled] - confidence[filled])) / count.sum())
    return Calibration(edges, confidence, accuracy, count, ece)


def bootstrap_ci(
    values: ArrayLike,
    statistic: Callable[[np.ndarray], float] = np.mean,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``values`` (seeded, reproducible).

    >>> low, high = bootstrap_ci(np.arange(100.0))
    >>> bool(42 < low < 49.5 < high < 57)
    True
    """
    values = np.asarray(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("bootstrap_ci needs a non-empty 1-D array of values")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    replicates = [statistic(values[rng.integers(0, values.size, values.size)]) for _ in range(n)]
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(replicates, [tail, 100.0 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class ClusterBootstrap:
    """Resampling weights for a game-level (cluster) bootstrap: positions cluster in games, so the
    games are resampled with replacement and each keeps all of its positions.

    ``weights[r, i]`` is how many times position ``i``'s game was drawn in resample ``r``; any
    weighted statistic over the positions is then one matrix product per resample.

    >>> boot = ClusterBootstrap.of(np.array([0, 0, 1, 2]), resamples=200, seed=0)
    >>> boot.weights.shape, bool((boot.weights[:, 0] == boot.weights[:, 1]).all())  # one game, one weight
    ((200, 4), True)
    """

    weights: np.ndarray  # [resamples, positions]
    games: int
    level: float = 0.95

    @classmethod
    def of(cls, clusters: ArrayLike, resamples: int = 1000, seed: int = 0,
           level: float = 0.95) -> ClusterBootstrap:
        _, index = np.unique(np.asarray(clusters), return_inverse=True)
        games = int(index.max(initial=-1)) + 1
        rng = np.random.default_rng(seed)
        drawn = rng.integers(0, max(games, 1), size=(resamples, games))
        counts = np.zeros((resamples, games), dtype=np.float64)
        np.add.at(counts, (np.repeat(np.arange(resamples), games), drawn.ravel()), 1.0)
        return cls(counts[:, index], games, level)

    def means(self, values: ArrayLike) -> np.ndarray:
        """The mean of the finite ``values`` in every resample (NaN where a resample has none)."""
        values = np.asarray(values, dtype=float)
        finite = np.isfinite(values)
        totals = self.weights @ np.where(finite, values, 0.0)
        counts = self.weights @ finite.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return totals / counts

    def interval(self, replicates: ArrayLike) -> list[float] | None:
        """The percentile interval of per-resample statistics (None if none is finite)."""
        replicates = np.asarray(replicates, dtype=float)
        replicates = replicates[np.isfinite(replicates)]
        if replicates.size == 0:
            return None
        tail = 50.0 * (1.0 - self.level)
        low, high = np.percentile(replicates, [tail, 100.0 - tail])
        return [float(low), float(high)]

    def mean_interval(self, values: ArrayLike) -> list[float] | None:
        """The game-level interval of the mean of ``values``.

        >>> values = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])  # two games that disagree wholly
        >>> ClusterBootstrap.of([0, 0, 0, 1, 1, 1], resamples=500).mean_interval(values)
        [0.0, 1.0]
        """
        return self.interval(self.means(values))


def _isotonic_fit(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit (pool adjacent violators)."""
    block_means: list[float] = []
    block_sizes: list[int] = []
    for value in values:
        block_means.append(float(value))
        block_sizes.append(1)
        while len(block_means) > 1 and block_means[-2] > block_means[-1]:
            size = block_sizes[-2] + block_sizes[-1]
            mean = (block_means[-2] * block_sizes[-2] + block_means[-1] * block_sizes[-1]) / size
            block_means[-2:] = [mean]
            block_sizes[-2:] = [size]
    return np.repeat(block_means, block_sizes)


@dataclass(frozen=True)
class EquivalentBudget:
    """The budget whose agreement equals the target, or where the target fell outside the curve.

    ``budget`` is ``None`` exactly when ``out_of_range`` is ``"below"`` (the target is under the
    agreement at the smallest budget measured) or ``"above"`` (over the agreement at the largest).
    """

    budget: float | None
    out_of_range: Literal["below", "above"] | None = None


def interpolate_equivalent_budget(
    budgets: Sequence[float], agreements: Sequence[float], target: float
) -> EquivalentBudget:
    """The search budget whose agreement equals ``target``: what the student is "worth".

    More search should not lower agreement, so dips in the measured curve are noise: the curve is
    first replaced by its isotonic (least-squares non-decreasing) fit, which, unlike a running
    maximum, does not let one lucky point lift every later one. The budget is then interpolated
    linearly in ``log2(budget)``; on a flat stretch the smallest budget reaching ``target`` wins.

    >>> interpolate_equivalent_budget([16, 64, 256], [0.3, 0.5, 0.6], 0.4)
    EquivalentBudget(budget=32.0, out_of_range=None)
    >>> interpolate_equivalent_budget([16, 64, 256], [0.3, 0.5, 0.6], 0.7)
    EquivalentBudget(budget=None, out_of_range='above')
    """
    x, y = _validated_pair(budgets, agreements)
    if x.size == 0 or np.any(x <= 0) or np.unique(x).size != x.size:
        raise ValueError("budgets must be positive and distinct, with one agreement each")
    order = np.argsort(x)
    log_budgets, curve = np.log2(x[order]), _isotonic_fit(y[order])
    if target < curve[0]:
        return EquivalentBudget(None, "below")
    if target > curve[-1]:
        return EquivalentBudget(None, "above")
    reached = int(np.argmax(curve >= target))
    if reached == 0:
        return EquivalentBudget(float(2.0 ** log_budgets[0]))
    x0, x1 = log_budgets[reached - 1], log_budgets[reached]
    y0, y1 = curve[reached - 1], curve[reached]
    return EquivalentBudget(float(2.0 ** (x0 + (target - y0) / (y1 - y0) * (x1 - x0))))


@dataclass(frozen=True)
class ExchangeRateFit:
    """``log10_test = intercept + train_slope * log10_train + elo_slope * elo``, and its R^2.

    Along an iso-Elo line, ten times more training compute multiplies the test-time compute
    needed by ``10 ** train_slope`` (a negative slope: training buys back search).
    """

    intercept: float
    train_slope: float
    elo_slope: float
    r_squared: float


def fit_exchange_rate(
    log10_train: ArrayLike, log10_test: ArrayLike, elo: ArrayLike
) -> ExchangeRateFit:
    """Least-squares fit of iso-Elo lines between training and test-time compute.

    >>> train = np.array([0.0, 1.0, 2.0, 0.0, 1.0])
    >>> elo = np.array([0.0, 0.0, 0.0, 100.0, 100.0])
    >>> fit = fit_exchange_rate(train, 3.0 - 0.5 * train + 0.01 * elo, elo)
    >>> [round(v, 6) for v in (fit.intercept, fit.train_slope, fit.elo_slope, fit.r_squared)]
    [3.0, -0.5, 0.01, 1.0]
    """
    train, test = _validated_pair(log10_train, log10_test)
    train, elo = _validated_pair(train, elo)
    design = np.column_stack([np.ones_like(train), train, elo])
    if train.size < 4 or np.linalg.matrix_rank(design) < 3:
        raise ValueError(
            "need at least 4 points that vary in both training compute and Elo independently"
        )
    coefficients, *_ = np.linalg.lstsq(design, test, rcond=None)
    residual = test - design @ coefficients
    total = np.sum((test - test.mean()) ** 2)
    r_squared = 1.0 - float(np.sum(residual**2) / total) if total > 0 else math.nan
    intercept, train_slope, elo_slope = (float(c) for c in coefficients)
    return ExchangeRateFit(intercept, train_slope, elo_slope, r_squared)
