"""Two-player match statistics: Elo with intervals, LOS, normalised Elo, pentanomial counts, SPRT.

Outcome counts are listed from the worst to the best result of the player of interest, as in
fishtest: trinomial ``[losses, draws, wins]`` or pentanomial ``[LL, LD+DL, LW+WL+DD, WD+DW, WW]``,
the number of game pairs (one opening played twice, colours swapped) scoring 0, 0.5, 1, 1.5 and
2 points. Each sample (a game, or a pair) is scored in [0, 1]: a pair scores its points / 2.

Elo is logistic Elo: a difference ``d`` gives the expected score ``1 / (1 + 10 ** (-d / 400))``.
Normalised Elo (nElo, fishtest's) is ``(score - 0.5) / sigma * 800 / ln(10)`` with ``sigma`` the
standard deviation of the score of one game; for pairs, ``sigma = sqrt(2 * pair variance)``.

>>> estimate = estimate_elo([20, 20, 60])  # 60 wins, 20 draws, 20 losses
>>> round(estimate.score, 3), round(estimate.elo, 2)
(0.7, 147.19)
>>> sprt([50, 400, 1000, 400, 150], SprtConfig(elo0=0, elo1=5)).decision
'H1'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from chessmesa.analysis.results import json_ready

NELO_SCALE = 800.0 / math.log(10.0)
"""nElo per unit of ``(score - 0.5) / sigma``."""

SprtModel = Literal["logistic", "normalized"]

# fishtest and fastchess give an outcome never seen this count, so that the maximum-likelihood
# distributions of the SPRT have every outcome in their support and the LLR stays finite.
_UNSEEN_OUTCOME_COUNT = 1e-3


def elo_to_score(elo: float) -> float:
    """Expected score of a player ``elo`` logistic Elo stronger than the opponent.

    >>> elo_to_score(0.0)
    0.5
    >>> round(elo_to_score(400.0), 4)
    0.9091
    """
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def score_to_elo(score: float) -> float:
    """Logistic Elo difference whose expected score is ``score``; ``-inf`` at 0 and ``inf`` at 1.

    >>> round(score_to_elo(0.7), 2)
    147.19
    >>> score_to_elo(1.0)
    inf
    """
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score must lie in [0, 1], got {score}")
    if score == 0.0:
        return -math.inf
    if score == 1.0:
        return math.inf
    return 400.0 * math.log10(score / (1.0 - score))


def _validated_counts(counts: ArrayLike) -> np.ndarray:
    array = np.asarray(counts, dtype=float)
    if array.shape not in ((3,), (5,)):
        raise ValueError(
            "expected 3 counts [losses, draws, wins] or 5 pentanomial counts, "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"counts must be finite and non-negative, got {array.tolist()}")
    if array.sum() == 0:
        raise ValueError("no games: every count is zero")
    return array


def _games_per_sample(counts: np.ndarray) -> int:
    return (counts.size - 1) // 2


def _outcomes(counts: np.ndarray) -> np.ndarray:
    return np.linspace(0.0, 1.0, counts.size)


@dataclass(frozen=True)
class EloEstimate:
    """Elo and nElo with confidence intervals, and the likelihood of superiority.

    ``score`` is the mean score per game in [0, 1]; ``los`` is the probability that the true
    score exceeds 0.5 under the normal approximation.
    """

    score: float
    elo: float
    elo_ci: tuple[float, float]
    nelo: float
    nelo_ci: tuple[float, float]
    los: float


def estimate_elo(counts: ArrayLike, level: float = 0.95) -> EloEstimate:
    """Elo, nElo and LOS from trinomial ``[L, D, W]`` or pentanomial counts (fishtest's formulas).

    The score interval is ``score +- z * sqrt(variance / samples)``, clipped to [0, 1], with the
    variance of one sample (game or pair) taken from the counts; the Elo interval maps its ends
    through :func:`score_to_elo`, so it is asymmetric, and the nElo interval maps them with the
    standard deviation held at its estimate (as fastchess does). When every sample has the same
    outcome the normal interval would be a single point, so the exact one-sided Clopper-Pearson
    bound on the probability of that outcome is used instead: a perfect score of 10-0 gives
    ``elo = inf`` and ``elo_ci = (score_to_elo(0.025 ** (1 / 10)), inf)``. nElo is undefined
    (``nan``) when all games are drawn.

    >>> even = estimate_elo([30, 40, 30])
    >>> even.elo, even.los
    (0.0, 0.5)
    >>> [round(x, 1) for x in estimate_elo([20, 20, 60]).elo_ci]
    [86.2, 218.3]
    >>> perfect = estimate_elo([0, 0, 10])
    >>> perfect.elo, round(perfect.elo_ci[0], 1), perfect.elo_ci[1]
    (inf, 140.2, inf)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    counts = _validated_counts(counts)
    samples = counts.sum()
    outcomes = _outcomes(counts)
    probs = counts / samples
    score = float(probs @ outcomes)
    variance = float(probs @ (outcomes - score) ** 2)
    standard_error = math.sqrt(variance / samples)

    if variance > 0.0:
        half_width = stats.norm.ppf(0.5 + level / 2.0) * standard_error
        low, high = max(0.0, score - half_width), min(1.0, score + half_width)
    else:
        # P(that outcome) >= c with c ** samples = (1 - level) / 2; the remaining 1 - c of
        # probability may sit anywhere in [0, 1].
        common_share = ((1.0 - level) / 2.0) ** (1.0 / samples)
        low = score * common_share
        high = 1.0 - (1.0 - score) * common_share

    sigma_per_game = math.sqrt(_games_per_sample(counts) * variance)
    return EloEstimate(
        score=score,
        elo=score_to_elo(score),
        elo_ci=(score_to_elo(low), score_to_elo(high)),
        nelo=_nelo(score, sigma_per_game),
        nelo_ci=(_nelo(low, sigma_per_game), _nelo(high, sigma_per_game)),
        los=_likelihood_of_superiority(score, standard_error),
    )


def _nelo(score: float, sigma_per_game: float) -> float:
    # A zero sigma gives +-inf, or nan at score 0.5, instead of raising.
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(NELO_SCALE * (np.float64(score) - 0.5) / sigma_per_game)


def _likelihood_of_superiority(score: float, standard_error: float) -> float:
    if standard_error == 0.0:
        return 0.5 if score == 0.5 else float(score > 0.5)
    return float(stats.norm.cdf((score - 0.5) / standard_error))


def _secular_root(weights: np.ndarray, shifts: np.ndarray) -> float:
    """The theta with ``sum(w * v / (1 + theta * v)) = 0`` and every ``1 + theta * v > 0``.

    The sum falls from +inf to -inf across that interval, so the root is unique; ``shifts`` must
    hold values of both signs.
    """
    if not shifts.min() < 0.0 < shifts.max():
        raise ValueError("the hypothesis lies outside the range of possible outcomes")
    low, high = -1.0 / shifts.max(), -1.0 / shifts.min()
    margin = 1e-12 * (high - low)
    return optimize.brentq(
        lambda theta: float(np.sum(weights * shifts / (1.0 + theta * shifts))),
        low + margin,
        high - margin,
    )


def _mle_with_mean(outcomes: np.ndarray, empirical: np.ndarray, mean: float) -> np.ndarray:
    """Most likely distribution on ``outcomes`` with the given mean, given ``empirical``.

    Van den Bergh, "Support for the MLE of a multinomial", proposition 1.1: the maximiser is
    ``empirical / (1 + theta * (outcomes - mean))`` for the root theta of the secular equation.
    """
    shifts = outcomes - mean
    return empirical / (1.0 + _secular_root(empirical, shifts) * shifts)


def _mle_with_t_value(outcomes: np.ndarray, empirical: np.ndarray, t_value: float) -> np.ndarray:
    """Most likely distribution with ``(mean - 0.5) / sigma = t_value``, given ``empirical``.

    Van den Bergh, "Comments on normalized Elo", section 4.1: a fixed-point iteration that
    linearises the constraint around the current distribution, starting from the uniform one.
    """
    probs = np.full_like(empirical, 1.0 / empirical.size)
    for _ in range(200):
        mean = probs @ outcomes
        sigma = math.sqrt(probs @ (outcomes - mean) ** 2)
        shifts = outcomes - 0.5 - t_value * sigma * (1.0 + ((outcomes - mean) / sigma) ** 2) / 2.0
        updated = empirical / (1.0 + _secular_root(empirical, shifts) * shifts)
        if np.max(np.abs(updated - probs)) < 1e-12:
            return updated
        probs = updated
    raise RuntimeError(f"the normalised-Elo MLE did not converge for t = {t_value}")


def log_likelihood_ratio(
    counts: ArrayLike, elo0: float, elo1: float, model: SprtModel = "logistic"
) -> float:
    """Generalised log-likelihood ratio of ``elo1`` against ``elo0`` for outcome counts.

    For each hypothesis the most likely outcome distribution satisfying it is found (the
    constrained MLE of Michel Van den Bergh, as in fishtest and fastchess); the LLR is
    ``sum(n_i * log(p1_i / p0_i))``. ``model="logistic"`` reads ``elo0``/``elo1`` as logistic
    Elo (a constraint on the mean score); ``model="normalized"`` reads them as nElo (a constraint
    on ``(score - 0.5) / sigma`` per game). Outcomes never seen count as 0.001 samples.

    >>> round(log_likelihood_ratio([10, 40, 100, 40, 10], -5, 5), 4)
    0.0
    >>> log_likelihood_ratio([5, 40, 100, 45, 10], 0, 5) > 0
    True
    """
    counts = _validated_counts(counts)
    counts = np.where(counts == 0.0, _UNSEEN_OUTCOME_COUNT, counts)
    outcomes = _outcomes(counts)
    empirical = counts / counts.sum()

    def most_likely(elo: float) -> np.ndarray:
        if model == "logistic":
            return _mle_with_mean(outcomes, empirical, elo_to_score(elo))
        if model == "normalized":
            # nElo is per game; the t-value of a pair score is sqrt(2) times larger.
            t_value = math.sqrt(_games_per_sample(counts)) * elo / NELO_SCALE
            return _mle_with_t_value(outcomes, empirical, t_value)
        raise ValueError(f"model must be 'logistic' or 'normalized', got {model!r}")

    return float(counts @ (np.log(most_likely(elo1)) - np.log(most_likely(elo0))))


@dataclass(frozen=True)
class SprtConfig:
    """An SPRT of H0: ``elo = elo0`` against H1: ``elo = elo1``.

    ``alpha`` is the false-positive rate (accepting H1 when H0 holds), ``beta`` the false-negative
    rate; ``model`` says whether ``elo0``/``elo1`` are logistic Elo or nElo.
    """

    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05
    model: SprtModel = "logistic"

    def __post_init__(self) -> None:
        if not self.elo0 < self.elo1:
            raise ValueError(f"elo0 must be below elo1, got elo0={self.elo0}, elo1={self.elo1}")
        for name, rate in (("alpha", self.alpha), ("beta", self.beta)):
            if not 0.0 < rate < 1.0:
                raise ValueError(f"{name} must lie in (0, 1), got {rate}")
        if self.alpha + self.beta >= 1.0:
            raise ValueError(f"alpha + beta must be below 1, got {self.alpha + self.beta}")
        if self.model not in ("logistic", "normalized"):
            raise ValueError(f"model must be 'logistic' or 'normalized', got {self.model!r}")

    @property
    def lower(self) -> float:
        """Accept H0 when the LLR falls to this bound: ``ln(beta / (1 - alpha))``."""
        return math.log(self.beta / (1.0 - self.alpha))

    @property
    def upper(self) -> float:
        """Accept H1 when the LLR rises to this bound: ``ln((1 - beta) / alpha)``."""
        return math.log((1.0 - self.beta) / self.alpha)


@dataclass(frozen=True)
class SprtResult:
    """The LLR, its bounds, and the decision so far (``None``: keep playing)."""

    llr: float
    lower: float
    upper: float
    decision: Literal["H0", "H1"] | None


def sprt(counts: ArrayLike, config: SprtConfig) -> SprtResult:
    """Generalised SPRT on trinomial or pentanomial counts.

    >>> result = sprt([150, 400, 1000, 400, 50], SprtConfig(elo0=0, elo1=5))
    >>> result.decision, round(result.lower, 3), round(result.upper, 3)
    ('H0', -2.944, 2.944)
    """
    llr = log_likelihood_ratio(counts, config.elo0, config.elo1, config.model)
    decision: Literal["H0", "H1"] | None = None
    if llr >= config.upper:
        decision = "H1"
    elif llr <= config.lower:
        decision = "H0"
    return SprtResult(llr=llr, lower=config.lower, upper=config.upper, decision=decision)


def _validated_scores(scores: ArrayLike) -> np.ndarray:
    array = np.asarray(scores, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("no games: expected a non-empty list of game scores")
    bad = ~np.isin(array, (0.0, 0.5, 1.0))
    if np.any(bad):
        raise ValueError(f"game scores must be 0, 0.5 or 1, got {array[bad][0]}")
    return array


def pentanomial_counts(
    scores: ArrayLike, pair_ids: Sequence[int] | None = None
) -> tuple[int, int, int, int, int]:
    """Count the game pairs scoring 0, 0.5, 1, 1.5 and 2 points.

    ``scores`` are per-game scores of the player of interest (1, 0.5 or 0). Games sharing a
    ``pair_ids`` entry form a pair (typically the opening index); by default games 0 and 1, 2
    and 3, ... do. Games left without a partner (a match stopped mid-pair) are not counted.

    >>> pentanomial_counts([1, 0, 1, 0.5, 0.5, 0.5, 1])
    (0, 0, 2, 1, 0)
    >>> pentanomial_counts([1, 0, 1, 1], pair_ids=[7, 8, 8, 7])
    (0, 0, 1, 0, 1)
    """
    values = _validated_scores(scores)
    if pair_ids is None:
        paired = values.size // 2 * 2
        pair_scores = values[0:paired:2] + values[1:paired:2]
    else:
        ids = np.asarray(pair_ids)
        if ids.shape != values.shape:
            raise ValueError(f"got {ids.size} pair ids for {values.size} games")
        unique_ids, game_pair, games_in_pair = np.unique(
            ids, return_inverse=True, return_counts=True
        )
        if games_in_pair.max() > 2:
            crowded = unique_ids[np.argmax(games_in_pair)]
            raise ValueError(f"pair id {crowded} has {games_in_pair.max()} games; a pair has 2")
        pair_scores = np.bincount(game_pair, weights=values)[games_in_pair == 2]
    lost, one_half, even, three_halves, won = np.bincount(
        np.rint(2.0 * pair_scores).astype(int), minlength=5
    ).tolist()
    return lost, one_half, even, three_halves, won


@dataclass(frozen=True)
class MatchStats:
    """Summary of a two-player match, from the first player's point of view.

    ``model`` says which counts the estimates and the SPRT use: ``"pentanomial"`` whenever the
    match has a complete pair (the two games of an opening are correlated, and the pentanomial
    model accounts for it), else ``"trinomial"``.
    """

    wins: int
    draws: int
    losses: int
    pentanomial: tuple[int, int, int, int, int]
    model: Literal["pentanomial", "trinomial"]
    score: float
    elo: float
    elo_ci: tuple[float, float]
    nelo: float
    nelo_ci: tuple[float, float]
    los: float
    sprt: SprtResult | None = None

    @classmethod
    def from_scores(
        cls,
        scores: ArrayLike,
        pair_ids: Sequence[int] | None = None,
        sprt_config: SprtConfig | None = None,
        level: float = 0.95,
    ) -> MatchStats:
        """Build the summary from per-game scores (1, 0.5, 0) and the pairing.

        See :func:`pentanomial_counts` for ``pair_ids``.

        >>> stats = MatchStats.from_scores([1, 0.5, 1, 1, 0, 0.5])
        >>> stats.wins, stats.draws, stats.losses, stats.pentanomial, stats.model
        (3, 2, 1, (0, 1, 0, 1, 1), 'pentanomial')
        """
        values = _validated_scores(scores)
        wins, draws, losses = (int(np.sum(values == result)) for result in (1.0, 0.5, 0.0))
        pentanomial = pentanomial_counts(values, pair_ids)
        paired = sum(pentanomial) > 0
        counts = pentanomial if paired else (losses, draws, wins)
        estimate = estimate_elo(counts, level)
        return cls(
            wins=wins,
            draws=draws,
            losses=losses,
            pentanomial=pentanomial,
            model="pentanomial" if paired else "trinomial",
            score=estimate.score,
            elo=estimate.elo,
            elo_ci=estimate.elo_ci,
            nelo=estimate.nelo,
            nelo_ci=estimate.nelo_ci,
            los=estimate.los,
            sprt=sprt(counts, sprt_config) if sprt_config is not None else None,
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict: tuples become lists, and infinite or undefined floats become
        ``None``, since JSON has neither (the counts and ``score`` tell which it was).

        >>> summary = MatchStats.from_scores([1, 1]).to_dict()
        >>> summary["elo"], round(summary["elo_ci"][0], 1), summary["elo_ci"][1]
        (None, -636.4, None)
        """
        return json_ready(asdict(self))
