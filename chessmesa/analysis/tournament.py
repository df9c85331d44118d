"""Ratings from played games: match statistics and Bradley-Terry tournament tables.

>>> from chessmesa.play.match import run_match
>>> result = run_match("random:seed=1", "random:seed=2", games=2, tc="nodes=1")
>>> match_stats(result).to_dict()["wins"] + match_stats(result).to_dict()["draws"] >= 0
True
"""

from __future__ import annotations

from dataclasses import dataclass

from chessmesa.analysis.bradley_terry import bradley_terry, bradley_terry_intervals, results_table
from chessmesa.analysis.elo import MatchStats, SprtConfig
from chessmesa.analysis.results import json_ready
from chessmesa.play.match import MatchResult, TournamentResult


def match_stats(result: MatchResult, sprt: SprtConfig | None = None) -> MatchStats:
    """Elo, intervals, LOS, pentanomial counts (and SPRT) of A against B."""
    scores = [game.score_a for game in result.games]
    pair_ids = [game.pair for game in result.games]
    return MatchStats.from_scores(scores, pair_ids=pair_ids, sprt_config=sprt)


@dataclass
class RatingRow:
    name: str
    rating: float
    low: float
    high: float
    games: int
    score: float

    def to_dict(self) -> dict:
        return json_ready({"name": self.name, "rating": self.rating, "ci": [self.low, self.high],
                           "games": self.games, "score": self.score})


def tournament_ratings(result: TournamentResult, anchor: str | None = None,
                       anchor_rating: float = 0.0, seed: int = 0,
                       resamples: int = 200) -> list[RatingRow]:
    """Bradley-Terry maximum-likelihood ratings with bootstrap 95% intervals, best first.

    ``anchor`` (a player name; default the first player) is fixed at ``anchor_rating``.
    """
    names = list(result.names)
    if anchor is not None and anchor not in names:
        raise ValueError(f"anchor {anchor!r} is not a player; players: {', '.join(names)}")
    anchor_index = names.index(anchor) if anchor is not None else 0
    index = {name: i for i, name in enumerate(names)}
    games = []
    for match in result.matches:
        a, b = index[match.name_a], index[match.name_b]
        games.extend((a, b, game.score_a) for game in match.games)
    table = results_table(games, len(names))
    ratings = bradley_terry(table, anchor=anchor_index, anchor_rating=anchor_rating)
    intervals = bradley_terry_intervals(table, anchor=anchor_index, anchor_rating=anchor_rating,
                                        n_resamples=resamples, seed=seed)
    rows = []
    for i, name in enumerate(names):
        wins, draws, losses = table[i].sum(axis=0)
        played = int(wins + draws + losses)
        rows.append(RatingRow(name, float(ratings[i]), float(intervals[i, 0]), float(intervals[i, 1]),
                              played, float((wins + 0.5 * draws) / played) if played else float("nan")))
    return sorted(rows, key=lambda row: -row.rating)
