"""Strength against time per move: at what time per move does a heuristic beat search?

Every player takes part at several wall-clock limits per move. A player that searches (a kind
with a ``movetime`` key: ``mcts``, ``netmcts``, ``stockfish``, ``uci``) becomes one *entrant* per
limit (``mcts@1ms``); a player that does not (``policy``, ``greedy``, ``random``) is one entrant
that moves as soon as it has answered: its time is its own latency, measured move by move.

The first searching player is the *reference*. Its entrants form a ladder (each limit plays the
next), every other searching entrant plays the reference at its own limit, and every
non-searching entrant plays the reference at every limit. One Bradley-Terry fit over all games
rates every entrant (the reference at the shortest limit = 0), with a bootstrap over the games
of each pairing; the same bootstrap gives the **break-even time** of each non-searching player:
the limit below which it is stronger than the reference, found where the reference's rating
crosses its own (interpolated in log time), or, where there is no crossing, the gap at the
shortest limit (below the curve) or a note that it is stronger at every limit.

Every move's wall time (its ``choose`` call) is recorded: the median, 99th percentile and maximum
per entrant, and the share of a searching entrant's moves that overran its limit by more than
:data:`OVERRUN_SLACK`: a player too slow for a limit is reported, not hidden.

Each pairing's games are kept in ``DIR/games/`` as they finish, so a killed run resumes with the
pairing under way; ``DIR/clock.json`` and ``DIR/elo-vs-time.png`` hold the results.

>>> [e.name for e in entrants(["mcts", "random"], [1, 10])]
['mcts@1ms', 'mcts@10ms', 'random']
>>> [(a.name, b.name) for a, b in pairings(entrants(["mcts", "random"], [1, 10]))]
[('mcts@1ms', 'mcts@10ms'), ('random', 'mcts@1ms'), ('random', 'mcts@10ms')]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
import numpy as np

from chessmesa.analysis.bradley_terry import bradley_terry, bradley_terry_intervals, bradley_terry_samples, results_table
from chessmesa.analysis.results import write_result
from chessmesa.stages import ProgressFactory, guard_run_folder, silent_progress
from chessmesa.play.game import DEFAULT_MAX_MOVES, Adjudication
from chessmesa.play.match import MatchResult, run_match
from chessmesa.play.specs import EngineSpec, kind_info, parse_spec

#: A searching entrant's move counts as an overrun beyond its limit times (1 + this).
OVERRUN_SLACK = 0.1
#: The key that makes a kind a searching one, and the limit it is given.
TIME_KEY = "movetime"


@dataclass(frozen=True)
class Entrant:
    """One player at one limit: ``limit_ms`` is None for a player that does not search."""

    name: str
    family: str
    spec: EngineSpec
    limit_ms: float | None


def format_limit(limit_ms: float) -> str:
    """``0.3ms``, ``1ms``, ``1000ms``: a limit as entrant names show it.

    >>> format_limit(0.3), format_limit(3.0)
    ('0.3ms', '3ms')
    """
    return f"{limit_ms:g}ms"


def entrants(specs: list[str], limits: list[float]) -> list[Entrant]:
    """The entrants of ``specs`` (engine specs, searching players given without a budget) at
    ``limits`` (milliseconds per move). A kind whose ``movetime`` is whole milliseconds (UCI
    engines) skips the limits it cannot take. ValueError when no player searches."""
    found = []
    for text in specs:
        spec = parse_spec(text)
        time_type = kind_info(spec.kind).keys.get(TIME_KEY)
        if time_type is None:
            found.append(Entrant(spec.name, spec.name, spec, None))
            continue
        for limit in sorted(limits):
            if time_type is int and limit != int(limit):
                continue
            name = f"{spec.name}@{format_limit(limit)}"
            options = {**spec.options, TIME_KEY: time_type(limit)}
            found.append(Entrant(name, spec.name, EngineSpec(spec.kind, options, name), limit))
    if not any(entrant.limit_ms is not None for entrant in found):
        raise ValueError("analyze clock needs a searching player as its reference "
                         f"(a kind with a {TIME_KEY} key: mcts, netmcts, stockfish, uci)")
    names = [entrant.name for entrant in found]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"players must have different names; repeated: {', '.join(repeated)} (add name=...)")
    return found


def reference_family(players: list[Entrant]) -> list[Entrant]:
    """The first searching player's entrants, shortest limit first."""
    family = next(entrant.family for entrant in players if entrant.limit_ms is not None)
    return [entrant for entrant in players if entrant.family == family]


def pairings(players: list[Entrant]) -> list[tuple[Entrant, Entrant]]:
    """Who plays whom: the reference's ladder, every other searching entrant against the
    reference at its limit, every non-searching entrant against the reference at every limit."""
    reference = reference_family(players)
    at_limit = {entrant.limit_ms: entrant for entrant in reference}
    found = list(zip(reference, reference[1:]))
    for entrant in players:
        if entrant in reference:
            continue
        if entrant.limit_ms is None:
            found.extend((entrant, opponent) for opponent in reference)
        elif entrant.limit_ms in at_limit:
            found.append((entrant, at_limit[entrant.limit_ms]))
    return found


def move_time_figures(seconds: list[float], limit_ms: float | None) -> dict:
    """Median, 99th percentile and maximum of move times (ms), and the share of moves over the
    limit by more than :data:`OVERRUN_SLACK` (None without a limit).

    >>> move_time_figures([0.001, 0.001, 0.002], limit_ms=1.0)["over_limit_share"]
    0.3333333333333333
    """
    if not seconds:
        return {"moves": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "over_limit_share": None}
    ms = np.asarray(seconds) * 1000
    over = None if limit_ms is None else float(np.mean(ms > limit_ms * (1 + OVERRUN_SLACK)))
    return {"moves": len(ms), "p50_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()), "over_limit_share": over}


def crossing(limits: list[float], reference: np.ndarray, rating: float) -> tuple[str, float | None]:
    """Where a player rated ``rating`` meets the reference's curve (``reference[i]`` at
    ``limits[i]``, shortest first): ``("found", limit)`` interpolated in log time, ``("never",
    None)`` when the reference is at least as strong at the shortest limit, or ``("beyond",
    None)`` when the player is stronger at every limit.

    >>> crossing([1, 10, 100], np.array([0.0, 100.0, 200.0]), 50.0)
    ('found', 3.1622776601683795)
    >>> crossing([1, 10], np.array([0.0, 100.0]), -20.0), crossing([1, 10], np.array([0.0, 100.0]), 150.0)
    (('never', None), ('beyond', None))
    """
    above = np.nonzero(reference >= rating)[0]
    if len(above) == 0:
        return "beyond", None
    first = int(above[0])
    if first == 0:
        return "never", None
    low, high = math.log(limits[first - 1]), math.log(limits[first])
    share = (rating - reference[first - 1]) / (reference[first] - reference[first - 1])
    return "found", math.exp(low + share * (high - low))


def break_even(player: int, reference: list[int], limits: list[float], ratings: np.ndarray,
               samples: np.ndarray, level: float = 0.95) -> dict:
    """A non-searching player's break-even limit against the reference (:func:`crossing`), with
    a percentile interval over the bootstrap ``samples``, where a replicate without a crossing
    counts as below the shortest or beyond the longest limit (an end of the interval there is
    None); and its gap to the reference at the shortest limit (its Elo minus the reference's
    there) with that gap's percentile interval."""
    status, limit = crossing(limits, ratings[reference], ratings[player])
    tail = 50.0 * (1.0 - level)
    placed = []
    for sample in samples:
        sample_status, sample_limit = crossing(limits, sample[reference], sample[player])
        placed.append({"found": sample_limit, "never": 0.0, "beyond": math.inf}[sample_status])
    low, high = np.percentile(placed, [tail, 100.0 - tail], method="inverted_cdf")  # no mean of inf
    gaps = samples[:, player] - samples[:, reference[0]]
    return {"status": status, "limit_ms": limit,
            "limit_ci_ms": [None if low == 0.0 else float(low), None if math.isinf(high) else float(high)],
            "replicates_never": float(np.mean(np.array(placed) == 0.0)),
            "replicates_beyond": float(np.mean(np.isinf(placed))),
            "gap_at_shortest_elo": float(ratings[player] - ratings[reference[0]]),
            "gap_at_shortest_ci": [float(x) for x in np.percentile(gaps, [tail, 100.0 - tail])]}


def break_even_sentence(verdict: dict) -> str:
    """One sentence of a break-even verdict (:func:`break_even`, as ``clock.json`` holds it).

    >>> break_even_sentence({"player": "p", "reference": "mcts", "status": "never", "shortest_ms": 0.3,
    ...     "longest_ms": 10, "own_move_ms": 0.12, "gap_at_shortest_elo": -250, "gap_at_shortest_ci": [-320, -190]})
    'p (0.12 ms a move) is weaker than mcts at every limit tried: -250 Elo [-320, -190] at 0.3 ms a move'
    """
    own = verdict.get("own_move_ms")
    player = f"{verdict['player']} ({own:.3g} ms a move)" if own is not None else verdict["player"]
    reference = verdict["reference"]
    if verdict["status"] == "never":
        low, high = (f"{x:+.0f}" if x is not None and math.isfinite(x) else "open"
                     for x in verdict["gap_at_shortest_ci"])
        return (f"{player} is weaker than {reference} at every limit tried: {verdict['gap_at_shortest_elo']:+.0f} Elo "
                f"[{low}, {high}] at {verdict['shortest_ms']:g} ms a move")
    if verdict["status"] == "beyond":
        return f"{player} is stronger than {reference} at every limit tried, up to {verdict['longest_ms']:g} ms a move"
    low, high = verdict["limit_ci_ms"]
    interval = (f"{'below ' + format_limit(verdict['shortest_ms']) if low is None else format_limit(round(low, 3))}, "
                f"{'beyond ' + format_limit(verdict['longest_ms']) if high is None else format_limit(round(high, 3))}")
    limit = verdict["limit_ms"]
    if own is None:
        verdict_on_own_time = ""
    elif limit > own:
        verdict_on_own_time = f": at its own {own:.3g} ms a move it beats the searcher held to that time"
    else:
        verdict_on_own_time = f", less than its own {own:.3g} ms a move: at its own time the searcher is stronger"
    return f"{player} is stronger than {reference} below {limit:.3g} ms a move [{interval}]{verdict_on_own_time}"


def _games_file(folder: Path, index: int, a: Entrant, b: Entrant) -> Path:
    safe = "".join(c if c.isalnum() or c in "@.-" else "_" for c in f"{a.name}-vs-{b.name}")
    return folder / f"{index:03d}-{safe[:120]}.json"


def clock_config(specs: list[str], limits: list[float], games_per_pair: int = 20,
                 openings: str | Path | None = None, seed: int = 0, max_moves: int = DEFAULT_MAX_MOVES) -> dict:
    """A clock run's configuration, checked: every spec (:func:`entrants`), even games per pair
    (every opening with both colours), positive limits. ValueError naming the bad value."""
    if games_per_pair < 2 or games_per_pair % 2:
        raise ValueError(f"games per pair must be even and at least 2 (colours swapped), got {games_per_pair}")
    if not limits or min(limits) <= 0:
        raise ValueError(f"limits must be positive milliseconds, got {limits}")
    entrants(specs, limits)
    return {"players": list(specs), "limits_ms": sorted(limits), "games_per_pair": games_per_pair,
            "openings": None if openings is None else str(openings), "seed": seed, "max_moves": max_moves}


def check_folder(out: str | Path, config: dict) -> None:
    """Claim ``out`` for a clock run of ``config``: a new folder gets its ``config.json``; one
    holding another configuration is refused (ValueError naming the differing fields)."""
    guard_run_folder(Path(out) / "config.json", config, "a clock run")


def run_clock(config: dict, out: str | Path, workers: int = 1, progress: ProgressFactory | None = None,
              resamples: int = 200) -> dict:
    """Play every pairing (:func:`pairings`) of :func:`clock_config`'s ``config``, keep each
    pairing's games in ``out/games/`` as it finishes (those already there are read back, not
    played again), and write ``out/clock.json`` and ``out/elo-vs-time.png``.

    >>> import tempfile
    >>> config = clock_config(["mcts", "random"], [0.3], games_per_pair=2, seed=1)
    >>> summary = run_clock(config, tempfile.mkdtemp())
    >>> [row["wdl"] for row in summary["entrants"]]  # doctest: +SKIP
    [[2, 0, 0], [0, 0, 2]]
    """
    from chessmesa.analysis.plots import save_plot

    check_folder(out, config)
    players = entrants(config["players"], config["limits_ms"])
    games = config["games_per_pair"]
    folder = Path(out) / "games"
    folder.mkdir(parents=True, exist_ok=True)
    schedule = pairings(players)
    results = []
    with (progress or silent_progress)("games", games * len(schedule)) as advance:
        for index, (a, b) in enumerate(schedule):
            path = _games_file(folder, index, a, b)
            if path.exists():
                result = MatchResult.from_dict(json.loads(path.read_text()))
                advance(len(result.games))
            else:
                result = run_match(a.spec, b.spec, games, openings=config["openings"], tc="spec",
                                   concurrency=workers, adjudication=Adjudication(max_moves=config["max_moves"]),
                                   seed=config["seed"] + index, progress=lambda game, _: advance())
                write_result(path, result.to_dict())
            results.append(result)
    summary = summarise(players, results, config, resamples)
    write_result(Path(out) / "clock.json", summary)
    save_plot(summary, Path(out) / "elo-vs-time.png")
    return summary


def summarise(players: list[Entrant], results: list[MatchResult], config: dict, resamples: int = 200) -> dict:
    """Ratings, move times and break-even times of a clock run's games (see the module doc)."""
    index = {entrant.name: i for i, entrant in enumerate(players)}
    games = [(index[r.name_a], index[r.name_b], game.score_a) for r in results for game in r.games]
    table = results_table(games, len(players))
    reference = [index[entrant.name] for entrant in reference_family(players)]
    anchor = reference[0]
    ratings = bradley_terry(table, anchor=anchor)
    samples = bradley_terry_samples(table, anchor=anchor, n_resamples=resamples, seed=config["seed"])
    intervals = bradley_terry_intervals(table, anchor=anchor, samples=samples)  # the same replicates
    seconds: dict[str, list[float]] = {entrant.name: [] for entrant in players}
    for result in results:
        for game in result.games:
            for name in (result.name_a, result.name_b):
                seconds[name].extend(game.seconds_of(name))
    rows = []
    for i, entrant in enumerate(players):
        wins, draws, losses = table[i].sum(axis=0)
        rows.append({"name": entrant.name, "family": entrant.family, "spec": str(entrant.spec),
                     "limit_ms": entrant.limit_ms, "elo": float(ratings[i]), "elo_ci": intervals[i].tolist(),
                     "wdl": [int(wins), int(draws), int(losses)],
                     "move_time": move_time_figures(seconds[entrant.name], entrant.limit_ms)})
    limits = [players[i].limit_ms for i in reference]
    verdicts = [{"player": entrant.name, "reference": players[anchor].family, "shortest_ms": limits[0],
                 "longest_ms": limits[-1], "own_move_ms": rows[i]["move_time"]["p50_ms"],
                 **break_even(i, reference, limits, ratings, samples),
                 # the anchor is the reference at the shortest limit: the gap's interval is the
                 # rating's, opened where a sweep sets no bound
                 "gap_at_shortest_ci": intervals[i].tolist()}
                for i, entrant in enumerate(players) if entrant.limit_ms is None]
    return {"analysis": "clock", "config": config, "anchor": players[anchor].name, "anchor_elo": 0.0,
            "reference": players[anchor].family, "entrants": rows, "break_even": verdicts,
            "matches": [{"a": r.name_a, "b": r.name_b, "wdl": list(r.wdl())} for r in results]}
