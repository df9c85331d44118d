"""Engine matches and tournaments: game pairs scheduled over worker processes, their records
collected and stopped early on request. One game (clocks, adjudication, PGN) is
:mod:`chessmesa.play.game`'s.

Every opening is played twice with colours swapped (a *game pair*), the unit of the pentanomial
statistics that :mod:`chessmesa.analysis.elo` turns into Elo and SPRT decisions::

    >>> result = run_match("random:seed=1", "random:seed=2", games=4, tc="nodes=1")
    >>> result.wdl(), result.pentanomial()
    ((0, 4, 0), (0, 0, 2, 0, 0))

Worker processes (``concurrency``) each build their players once from the specs and then play whole
game pairs; tournaments put every pairing's game pairs in the same pool.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import multiprocessing.util
import os
import random
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import chess
import chess.pgn

from chessmesa.play.base import Limit, Player
from chessmesa.play.game import Adjudication, TimeControl, pgn_game, play_engine_game
from chessmesa.play.players import make_player
from chessmesa.play.specs import EngineSpec, parse_spec


@dataclass(frozen=True)
class GameRecord:
    """One finished game. ``result`` is the PGN result; ``reason`` says why it ended."""

    pair: int
    game: int
    white: str
    black: str
    a_is_white: bool
    opening_fen: str
    result: str
    reason: str
    termination: str
    plies: int
    pgn: str
    #: the wall time of each move's ``choose`` call, in seconds, in the order of the moves
    move_seconds: tuple[float, ...] = ()

    def seconds_of(self, name: str) -> list[float]:
        """The move times of the player ``name`` (White's moves are the plies White moved)."""
        white_first = chess.Board(self.opening_fen).turn == chess.WHITE
        first = 0 if (self.white == name) == white_first else 1
        return list(self.move_seconds[first::2]) if name in (self.white, self.black) else []

    @property
    def score_a(self) -> float:
        """The first engine's score: 1, 0.5 or 0."""
        white_score = {"1-0": 1.0, "0-1": 0.0, "1/2-1/2": 0.5}[self.result]
        return white_score if self.a_is_white else 1.0 - white_score


@dataclass
class MatchResult:
    """The games between two engines, from the first engine's (A's) point of view."""

    name_a: str
    name_b: str
    games: list[GameRecord] = field(default_factory=list)

    def wdl(self) -> tuple[int, int, int]:
        """A's (wins, draws, losses)."""
        scores = [game.score_a for game in self.games]
        return scores.count(1.0), scores.count(0.5), scores.count(0.0)

    def score(self) -> float:
        """A's mean score per game, 0.5 for an empty match."""
        return sum(game.score_a for game in self.games) / len(self.games) if self.games else 0.5

    def pairs(self) -> list[tuple[GameRecord, GameRecord]]:
        """The complete game pairs (both colours played), in pair order."""
        by_pair: dict[int, list[GameRecord]] = {}
        for game in self.games:
            by_pair.setdefault(game.pair, []).append(game)
        return [(games[0], games[1]) for _, games in sorted(by_pair.items()) if len(games) == 2]

    def to_dict(self) -> dict:
        """Plain JSON data; :meth:`from_dict` reads it back (a finished match kept on disk)."""
        return {"name_a": self.name_a, "name_b": self.name_b, "games": [asdict(game) for game in self.games]}

    @classmethod
    def from_dict(cls, data: dict) -> MatchResult:
        """
        >>> result = MatchResult("a", "b")
        >>> MatchResult.from_dict(result.to_dict()) == result
        True
        """
        return cls(data["name_a"], data["name_b"], [GameRecord(**game) for game in data["games"]])

    def pentanomial(self) -> tuple[int, int, int, int, int]:
        """Numbers of complete pairs in which A scored 0, 0.5, 1, 1.5 and 2 points.

        >>> MatchResult("a", "b").pentanomial()
        (0, 0, 0, 0, 0)
        """
        counts = [0] * 5
        for first, second in self.pairs():
            counts[round(2 * (first.score_a + second.score_a))] += 1
        return tuple(counts)


@dataclass
class TournamentResult:
    """Every pairing's :class:`MatchResult`, in the order the pairings were scheduled."""

    names: list[str]
    matches: list[MatchResult]

    def table(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """``{(x, y): (wins, draws, losses) of x against y}`` for every ordered pair that met."""
        table: dict[tuple[str, str], tuple[int, int, int]] = {}
        for match in self.matches:
            wins, draws, losses = match.wdl()
            table[match.name_a, match.name_b] = (wins, draws, losses)
            table[match.name_b, match.name_a] = (losses, draws, wins)
        return table


ProgressCallback = Callable[[GameRecord, MatchResult], None]


def run_match(
    spec_a: str | EngineSpec,
    spec_b: str | EngineSpec,
    games: int,
    openings: str | Path | Sequence[str] | None = None,
    tc: str | TimeControl = "10+0.1",
    concurrency: int = 1,
    adjudication: Adjudication = Adjudication(),
    seed: int | None = None,
    pgn_out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[MatchResult], bool] | None = None,
) -> MatchResult:
    """Play ``games`` games of A against B in game pairs, colours swapped within each pair.

    ``openings`` is an EPD/FEN or PGN file (or a list of FENs), used in order (shuffled when
    ``seed`` is given), cycling when there are more pairs than openings; without it every game
    starts from the initial position. An odd ``games`` leaves the last pair with one game, which
    :meth:`MatchResult.pentanomial` does not count. ``concurrency`` 1 plays in this process;
    more uses that many worker processes. The seed also seeds the players; with ``concurrency``
    above 1 the schedule of pairs over workers, and so the games, vary between runs.
    ``progress(game, result_so_far)`` is called after each game, ``should_stop(result_so_far)``
    after each pair: when it returns True, pairs not yet started are cancelled (an SPRT stop).
    ``pgn_out`` receives every game as it finishes.

    >>> run_match("random:seed=1", "random:seed=2", games=2, tc="nodes=1").games[0].reason
    'stalemate'
    """
    stop = None if should_stop is None else lambda results: should_stop(results[0])
    return _run_pairings(
        [(parse_spec(spec_a), parse_spec(spec_b))],
        games, openings, tc, concurrency, adjudication, seed, pgn_out, progress, stop,
    )[0]


def run_round_robin(
    specs: Sequence[str | EngineSpec],
    games_per_pair: int,
    openings: str | Path | Sequence[str] | None = None,
    tc: str | TimeControl = "10+0.1",
    concurrency: int = 1,
    adjudication: Adjudication = Adjudication(),
    seed: int | None = None,
    pgn_out: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> TournamentResult:
    """Every engine plays every other ``games_per_pair`` games; arguments as in :func:`run_match`.

    Game pairs are scheduled round by round (one opening for every pairing, then the next), so the
    partial results that ``progress`` sees stay balanced across pairings.

    >>> run_round_robin(["random", "sf1", "sf5"], 2, tc="nodes=100").table()[("sf5", "random")]  # doctest: +SKIP
    (2, 0, 0)
    """
    parsed = _unique_names([parse_spec(spec) for spec in specs])
    return _run_tournament(parsed, list(itertools.combinations(parsed, 2)), games_per_pair, openings, tc,
                           concurrency, adjudication, seed, pgn_out, progress)


def run_gauntlet(
    specs: Sequence[str | EngineSpec],
    games_per_pair: int,
    openings: str | Path | Sequence[str] | None = None,
    tc: str | TimeControl = "10+0.1",
    concurrency: int = 1,
    adjudication: Adjudication = Adjudication(),
    seed: int | None = None,
    pgn_out: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> TournamentResult:
    """The first engine plays each of the others ``games_per_pair`` games; as :func:`run_round_robin`."""
    parsed = _unique_names([parse_spec(spec) for spec in specs])
    return _run_tournament(parsed, [(parsed[0], opponent) for opponent in parsed[1:]], games_per_pair,
                           openings, tc, concurrency, adjudication, seed, pgn_out, progress)


def _run_tournament(players: list[EngineSpec], pairings: list, games_per_pair: int, *settings) -> TournamentResult:
    """The pairings' matches as one tournament of ``players`` (settings as for :func:`run_match`)."""
    return TournamentResult([spec.name for spec in players],
                            _run_pairings(pairings, games_per_pair, *settings, None))


def load_openings(path: str | Path) -> list[str]:
    """Opening FENs from a PGN file (each game's final position) or an EPD/FEN file (one per line).

    Blank lines and lines starting with ``#`` are skipped in EPD files.

    >>> load_openings("data/openings/noob_2moves.epd")[0]  # doctest: +SKIP
    'r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 0 3'
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"openings file {str(path)!r} not found")
    if path.suffix.lower() == ".pgn":
        fens = []
        with path.open(encoding="utf-8", errors="replace") as file:
            while (game := chess.pgn.read_game(file)) is not None:
                if game.errors:
                    raise ValueError(f"{path}: game {len(fens) + 1}: {game.errors[0]}")
                fens.append(game.end().board().fen())
    else:
        fens = [_epd_fen(line, path, number) for number, line in enumerate(path.read_text().splitlines(), 1)
                if line.strip() and not line.startswith("#")]
    if not fens:
        raise ValueError(f"no openings in {path}")
    return fens


def _epd_fen(line: str, path: Path, number: int) -> str:
    """The position of an EPD line or a plain FEN line."""
    from chessmesa.core import fen_from_line  # the rules kernel loads numba: only with openings

    try:
        return fen_from_line(line)
    except ValueError as error:
        raise ValueError(f"{path}:{number}: not a FEN or EPD line ({error})") from None


@dataclass(frozen=True)
class _PairJob:
    """One game pair to play: everything a worker needs, picklable."""

    match: int
    pair: int
    spec_a: EngineSpec
    spec_b: EngineSpec
    opening_fen: str
    games: int
    tc: TimeControl
    adjudication: Adjudication
    seed: int | None


def _run_pairings(
    pairings: list[tuple[EngineSpec, EngineSpec]],
    games: int,
    openings: str | Path | Sequence[str] | None,
    tc: str | TimeControl,
    concurrency: int,
    adjudication: Adjudication,
    seed: int | None,
    pgn_out: str | Path | None,
    progress: ProgressCallback | None,
    should_stop: Callable[[list[MatchResult]], bool] | None,
) -> list[MatchResult]:
    """The machinery behind matches and tournaments: schedule game pairs, collect, stop early."""
    if games < 1 or concurrency < 1:
        raise ValueError(f"games ({games}) and concurrency ({concurrency}) must be at least 1")
    time_control = tc if isinstance(tc, TimeControl) else TimeControl.parse(tc)
    fens = _opening_fens(openings, seed)
    jobs = [
        _PairJob(m, pair, a, b, fens[pair % len(fens)], min(2, games - 2 * pair), time_control, adjudication, seed)
        for pair in range(math.ceil(games / 2))
        for m, (a, b) in enumerate(pairings)
    ]
    results = [MatchResult(a.name, b.name) for a, b in pairings]
    with ExitStack() as stack:
        pgn_file = None if pgn_out is None else stack.enter_context(open(pgn_out, "w", encoding="utf-8"))
        # closing(): leaving the loop early cancels the pairs not started and shuts the pool down.
        for job, records in stack.enter_context(closing(_execute(jobs, concurrency))):
            result = results[job.match]
            for record in records:
                result.games.append(record)
                if pgn_file is not None:
                    pgn_file.write(record.pgn + "\n\n")
                    pgn_file.flush()
                if progress is not None:
                    progress(record, result)
            if should_stop is not None and should_stop(results):
                break
    for result in results:
        result.games.sort(key=lambda record: (record.pair, record.game))
    return results


def _opening_fens(openings: str | Path | Sequence[str] | None, seed: int | None) -> list[str]:
    if openings is None:
        return [chess.STARTING_FEN]
    if isinstance(openings, (str, Path)):
        fens = load_openings(openings)
    else:
        fens = [chess.Board(fen).fen() for fen in openings]
    if seed is not None:
        random.Random(seed).shuffle(fens)
    return fens


def _unique_names(specs: list[EngineSpec]) -> list[EngineSpec]:
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"engine names must differ in a tournament; repeated: {', '.join(duplicates)} (add name=...)")
    return specs


def _execute(jobs: list[_PairJob], concurrency: int) -> Iterator[tuple[_PairJob, list[GameRecord]]]:
    """Yield ``(job, records)`` as pairs finish; closing the iterator cancels the pairs not started."""
    if concurrency == 1:
        players = _PlayerCache()
        try:
            for job in jobs:
                yield job, _play_pair(job, players)
        finally:
            players.close()
        return
    # spawn, not fork: a forked worker would inherit the parent's threads (engine I/O, CUDA) mid-state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=concurrency, mp_context=context, initializer=_init_worker) as pool:
        futures = {pool.submit(_play_pair_in_worker, job): job for job in jobs}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()


class _PlayerCache:
    """Players built once per process and reused for every game pair, keyed by spec and side.

    ``seed_salt`` differs between worker processes, so that seeded players in two workers do not
    play the same games.
    """

    def __init__(self, seed_salt: int = 0) -> None:
        self._players: dict[tuple[str, str, str], Player] = {}
        self._seed_salt = seed_salt

    def get(self, spec: EngineSpec, role: str, seed: int | None) -> Player:
        # The role keeps two instances when an engine plays itself.
        key = (str(spec), spec.name, role)
        if key not in self._players:
            player = make_player(spec, None if seed is None else seed + self._seed_salt)
            # one move before the games, so that no game's first move pays for loading compiled
            # code (tens of milliseconds: a distortion of every move time analyze clock reports)
            player.choose(chess.Board(), Limit(nodes=1))
            player.new_game()
            self._players[key] = player
        return self._players[key]

    def close(self) -> None:
        for player in self._players.values():
            player.close()
        self._players.clear()


_worker_players: _PlayerCache | None = None


def _init_worker() -> None:
    global _worker_players
    _worker_players = _PlayerCache(seed_salt=os.getpid())
    # Pool workers leave through multiprocessing's exit hooks, not atexit: close engines there.
    multiprocessing.util.Finalize(None, _worker_players.close, exitpriority=10)


def _play_pair_in_worker(job: _PairJob) -> list[GameRecord]:
    assert _worker_players is not None, "worker not initialised"
    return _play_pair(job, _worker_players)


def _play_pair(job: _PairJob, players: _PlayerCache) -> list[GameRecord]:
    """Play the pair's games: A with White first, then B with White, from the same opening."""
    seed_b = None if job.seed is None else job.seed + 1
    player_a = players.get(job.spec_a, "a", job.seed)
    player_b = players.get(job.spec_b, "b", seed_b)
    records = []
    for game in range(job.games):
        a_is_white = game == 0
        white, black = (player_a, player_b) if a_is_white else (player_b, player_a)
        board = chess.Board(job.opening_fen)
        move_seconds: list[float] = []
        result, reason, termination = play_engine_game(white, black, board, job.tc, job.adjudication, move_seconds)
        headers = {
            "Event": f"{player_a.name} vs {player_b.name}",
            "Round": f"{job.pair + 1}.{game + 1}",
            "White": white.name,
            "Black": black.name,
            "Result": result,
            "Termination": termination,
        }
        pgn = str(pgn_game(board, headers))
        records.append(GameRecord(
            job.pair, game, white.name, black.name, a_is_white, job.opening_fen,
            result, reason, termination, len(board.move_stack), pgn, tuple(move_seconds),
        ))
    return records
