"""Ratings from played games: match statistics, Bradley-Terry tournament tables, and the external
scale that Stockfish's strength-limited levels give.

Stockfish's ``UCI_Elo`` (with ``UCI_LimitStrength``) is fitted by its authors to CCRL ratings at
their time controls, not ours (:data:`STOCKFISH_MOVETIME_MS` a move), so a rating on that scale
places a player roughly, as "about a 1500 engine", not to the point.

>>> from chessmesa.play.match import run_match
>>> result = run_match("random:seed=1", "random:seed=2", games=2, tc="nodes=1")
>>> stats = match_stats(result).to_dict()  # two games: one pair, colours swapped
>>> stats["wins"] + stats["draws"] + stats["losses"], sum(stats["pentanomial"])
(2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

from chessmesa.analysis.bradley_terry import bradley_terry, bradley_terry_intervals, results_table
from chessmesa.analysis.elo import MatchStats, SprtConfig
from chessmesa.analysis.results import json_ready
from chessmesa.play.match import MatchResult, TournamentResult


#: Debian's Stockfish 15.1 accepts UCI_Elo from 1350 to 2850.
STOCKFISH_ELO_RANGE = (1350, 2850)
#: Thinking time of the Stockfish anchors under ``--tc spec``.
STOCKFISH_MOVETIME_MS = 100


def stockfish_anchor(elo: int) -> str:
    """The engine spec of Stockfish limited to ``elo``, named ``sf-ELO``.

    >>> stockfish_anchor(1500)
    'stockfish:elo=1500,movetime=100,name=sf-1500'
    """
    return f"stockfish:elo={elo},movetime={STOCKFISH_MOVETIME_MS},name=sf-{elo}"


def parse_stockfish_levels(text: str) -> tuple[int, ...]:
    """Stockfish Elo levels from ``"1350,1600"``, increasing; ValueError naming a bad one.

    >>> parse_stockfish_levels("1600, 1350")
    (1350, 1600)
    >>> parse_stockfish_levels("1000")
    Traceback (most recent call last):
    ...
    ValueError: Stockfish Elo level 1000 is outside 1350..2850 (what UCI_Elo accepts)
    """
    low, high = STOCKFISH_ELO_RANGE
    levels = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit():
            raise ValueError(f"Stockfish Elo levels must be integers: {item!r} in {text!r}")
        if not low <= int(item) <= high:
            raise ValueError(f"Stockfish Elo level {item} is outside {low}..{high} (what UCI_Elo accepts)")
        levels.append(int(item))
    return tuple(sorted(set(levels)))


#: The figures a summary keeps of a match's :class:`MatchStats` (``to_dict()``).
MATCH_FIGURES = ("wins", "draws", "losses", "score", "elo", "elo_ci", "los")


def match_figures(stats: dict) -> dict:
    """The :data:`MATCH_FIGURES` of a match's stats (``MatchStats.to_dict()``), None where absent."""
    return {key: stats.get(key) for key in MATCH_FIGURES}


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


def rating_scales(result: TournamentResult, anchors: list[tuple[str, float]], seed: int = 0) -> list[dict]:
    """The tournament's ratings once per ``(anchor, rating)``: on Stockfish's scale (an ``sf-ELO``
    player at ELO) and against ``random`` (at 0), say. Each scale is its own fit with its own
    bootstrap, so every interval is the one relative to that scale's anchor.

    Returns ``[{"anchor", "anchor_elo", "players": [row dicts, best first]}]``.
    """
    return [{"anchor": anchor, "anchor_elo": rating,
             "players": [row.to_dict() for row in tournament_ratings(result, anchor, rating, seed)]}
            for anchor, rating in anchors]
