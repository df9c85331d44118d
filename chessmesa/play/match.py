"""Engine matches and tournaments: game pairs played in parallel, clocks, adjudication, PGN.

Every opening is played twice with colours swapped (a *game pair*), the unit of the pentanomial
statistics that :mod:`chessmesa.analysis.ratings` turns into Elo and SPRT decisions::

    >>> result = run_match("random:seed=1", "random:seed=2", games=4, tc="nodes=1")
    >>> result.wdl(), result.pentanomial()
    ((0, 4, 0), (0, 0, 2, 0, 0))

Worker processes (``concurrency``) each build their players once from the specs and then play whole
game pairs; tournaments put every pairing's game pairs in the same pool.
"""

from __future__ import annotations

import datetime
import itertools
import math
import multiprocessing
import multiprocessing.util
import os
import random
import re
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import chess
import chess.pgn

from chessmesa.play.base import INT32_MAX, Limit, Player
from chessmesa.play.players import make_player
from chessmesa.play.specs import EngineSpec, parse_spec

_CLOCK_PATTERN = re.compile(r"^(?:(?P<moves>\d+)/)?(?P<base>\d+(?:\.\d*)?)(?:\+(?P<inc>\d+(?:\.\d*)?))?$")


@dataclass(frozen=True)
class TimeControl:
    """How long each move may take: a clock (``40/60+0.6``, ``10+0.1``), ``movetime=MS`` or ``nodes=N``.

    Clock games are enforced: a player whose move overruns its remaining time loses on time.
    ``movetime`` and ``nodes`` are handed to the players as targets and not policed.

    >>> TimeControl.parse("40/60+0.6")
    TimeControl(base_ms=60000, inc_ms=600, moves=40, movetime_ms=None, nodes=None)
    >>> TimeControl.parse("nodes=1000").limit_for_move().nodes
    1000
    """

    base_ms: int | None = None
    inc_ms: int = 0
    moves: int | None = None
    movetime_ms: int | None = None
    nodes: int | None = None

    @classmethod
    def parse(cls, text: str) -> TimeControl:
        """Parse ``MOVES/SECONDS+INC``, ``SECONDS[+INC]``, ``movetime=MS``, ``nodes=N``, or
        ``spec``: no limit from the match, each engine searches with its own spec's budget."""
        text = text.strip()
        if text == "spec":
            return cls()
        key, equals, value = text.partition("=")
        if equals and key in ("movetime", "nodes") and value.isdigit() and 0 < int(value) <= INT32_MAX:
            return cls(movetime_ms=int(value)) if key == "movetime" else cls(nodes=int(value))
        found = _CLOCK_PATTERN.match(text)
        base_ms, inc_ms = (round(float(found[part] or 0) * 1000) if found else 0 for part in ("base", "inc"))
        moves = int(found["moves"]) if found and found["moves"] else None
        if found is None or base_ms <= 0 or moves == 0 or max(base_ms, inc_ms, moves or 0) > INT32_MAX:
            raise ValueError(
                f"bad time control {text!r}: expected MOVES/SECONDS+INC (40/60+0.6), SECONDS+INC (10+0.1), "
                f"movetime=MS, nodes=N or spec (at most {INT32_MAX} ms or nodes)"
            )
        return cls(base_ms=base_ms, inc_ms=inc_ms, moves=moves)

    @property
    def is_clock(self) -> bool:
        return self.base_ms is not None

    def limit_for_move(self) -> Limit:
        """The per-move limit of a ``movetime`` or ``nodes`` control (clock limits come from :class:`_Clocks`)."""
        return Limit(nodes=self.nodes, movetime_ms=self.movetime_ms)


@dataclass(frozen=True)
class Adjudication:
    """When the arbiter ends a game before the rules do; every rule is off by default, except
    that draws are claimed.

    - ``claim_draws``: a draw as soon as one can be claimed (threefold repetition, fifty moves);
      when off, the players move on and the game ends by itself (fivefold repetition, 75 moves)
      or by another rule.
    - ``max_moves``: a draw after this many full moves of the game.
    - ``resign_cp``/``resign_moves``: a side loses once the scores have been beyond ``resign_cp``
      against it for ``resign_moves`` consecutive moves: both engines' scores when ``resign_both``,
      else either engine's.
    - ``draw_cp``/``draw_moves``/``draw_after``: a draw once both engines' scores have been within
      ``draw_cp`` of zero for ``draw_moves`` consecutive moves, from move ``draw_after`` on.
    """

    claim_draws: bool = True
    max_moves: int | None = None
    resign_cp: int | None = None
    resign_moves: int = 3
    resign_both: bool = True
    draw_cp: int | None = None
    draw_moves: int = 8
    draw_after: int = 40


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
    'threefold repetition'
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
    try:
        return chess.Board(line.strip()).fen()
    except ValueError:
        pass
    try:
        return chess.Board.from_epd(line.strip())[0].fen()
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
            self._players[key] = make_player(spec, None if seed is None else seed + self._seed_salt)
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
        result, reason, termination = play_game(white, black, board, job.tc, job.adjudication)
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
            result, reason, termination, len(board.move_stack), pgn,
        ))
    return records


def play_game(
    white: Player,
    black: Player,
    board: chess.Board,
    tc: TimeControl,
    adjudication: Adjudication = Adjudication(),
) -> tuple[str, str, str]:
    """Play one game from ``board`` (moves are pushed onto it); return (result, reason, termination).

    ``reason`` is human readable (``checkmate``, ``time forfeit``, ``resign adjudication``, ...);
    ``termination`` is the PGN Termination value (``normal``, ``time forfeit``, ``adjudication``,
    ``rules infraction``). Draws are claimed as soon as the rules allow (threefold, fifty moves)
    unless ``adjudication.claim_draws`` is off.

    >>> from chessmesa.play.players import RandomPlayer
    >>> board = chess.Board()
    >>> play_game(RandomPlayer(seed=1), RandomPlayer(seed=2), board, TimeControl(nodes=1))
    ('1/2-1/2', 'threefold repetition', 'normal')
    """
    players = {chess.WHITE: white, chess.BLACK: black}
    for player in players.values():
        player.new_game()
    clocks = _Clocks(tc) if tc.is_clock else None
    arbiter = _Arbiter(adjudication)
    start_ply = board.ply()
    while True:
        outcome = board.outcome(claim_draw=adjudication.claim_draws)
        if outcome is not None:
            return outcome.result(), outcome.termination.name.lower().replace("_", " "), "normal"
        if adjudication.max_moves is not None and board.ply() - start_ply >= 2 * adjudication.max_moves:
            return "1/2-1/2", "max moves", "adjudication"
        side = board.turn
        limit = clocks.limit(side) if clocks is not None else tc.limit_for_move()
        stop = threading.Event()
        # Stop a cooperative player when its flag falls, so a lost game does not also hang.
        flag_timer = threading.Timer(clocks.remaining_ms[side] / 1000, stop.set) if clocks is not None else None
        if flag_timer is not None:
            flag_timer.start()
        started = time.monotonic()
        try:
            choice = players[side].choose(board.copy(), limit, stop)
        finally:
            if flag_timer is not None:
                flag_timer.cancel()
        if clocks is not None and not clocks.spend(side, time.monotonic() - started):
            if board.has_insufficient_material(not side):
                return "1/2-1/2", "time forfeit against insufficient material", "time forfeit"
            return _loss(side), "time forfeit", "time forfeit"
        if choice.move not in board.legal_moves:
            return _loss(side), f"illegal move {choice.move.uci()}", "rules infraction"
        board.push(choice.move)
        verdict = arbiter.record(side, choice.score_cp, board.fullmove_number)
        if verdict is not None:
            return verdict


def _loss(side: chess.Color) -> str:
    return "0-1" if side == chess.WHITE else "1-0"


class _Clocks:
    """Both players' clocks under a clock time control (``moves`` per period, increment per move)."""

    def __init__(self, tc: TimeControl) -> None:
        assert tc.base_ms is not None
        self.tc = tc
        self.remaining_ms = {chess.WHITE: float(tc.base_ms), chess.BLACK: float(tc.base_ms)}
        self.moves_made = {chess.WHITE: 0, chess.BLACK: 0}

    def limit(self, side: chess.Color) -> Limit:
        movestogo = None if self.tc.moves is None else self.tc.moves - self.moves_made[side] % self.tc.moves
        return Limit(
            # increments can take a long game's clock past what UCI's 32-bit times hold
            wtime_ms=min(int(self.remaining_ms[chess.WHITE]), INT32_MAX),
            btime_ms=min(int(self.remaining_ms[chess.BLACK]), INT32_MAX),
            winc_ms=self.tc.inc_ms,
            binc_ms=self.tc.inc_ms,
            movestogo=movestogo,
        )

    def spend(self, side: chess.Color, seconds: float) -> bool:
        """Charge a move; False when it overran the remaining time (the flag fell)."""
        self.remaining_ms[side] -= seconds * 1000
        if self.remaining_ms[side] < 0:
            return False
        self.remaining_ms[side] += self.tc.inc_ms
        self.moves_made[side] += 1
        if self.tc.moves is not None and self.moves_made[side] % self.tc.moves == 0:
            self.remaining_ms[side] += self.tc.base_ms
        return True


class _Arbiter:
    """Score-based adjudication: tracks each engine's recent scores, in White's point of view."""

    def __init__(self, rules: Adjudication) -> None:
        self.rules = rules
        window = max(rules.resign_moves, rules.draw_moves)
        self.scores = {chess.WHITE: deque(maxlen=window), chess.BLACK: deque(maxlen=window)}

    def record(self, side: chess.Color, score_cp: int | None, move_number: int) -> tuple[str, str, str] | None:
        """Note the mover's score (its own point of view); return a verdict when a rule fires."""
        self.scores[side].append(None if score_cp is None else (score_cp if side == chess.WHITE else -score_cp))
        rules = self.rules
        if rules.resign_cp is not None:
            for winner, sign in ((chess.WHITE, 1), (chess.BLACK, -1)):
                agree = [self._all_recent(color, rules.resign_moves, lambda s: sign * s >= rules.resign_cp)
                         for color in (chess.WHITE, chess.BLACK)]
                if all(agree) if rules.resign_both else any(agree):
                    return ("1-0" if winner == chess.WHITE else "0-1"), "resign adjudication", "adjudication"
        if rules.draw_cp is not None and move_number >= rules.draw_after:
            if all(self._all_recent(color, rules.draw_moves, lambda s: abs(s) <= rules.draw_cp)
                   for color in (chess.WHITE, chess.BLACK)):
                return "1/2-1/2", "draw adjudication", "adjudication"
        return None

    def _all_recent(self, color: chess.Color, count: int, test: Callable[[int], bool]) -> bool:
        recent = list(self.scores[color])[-count:]
        return len(recent) == count and all(score is not None and test(score) for score in recent)


def pgn_game(board: chess.Board, headers: dict[str, str]) -> chess.pgn.Game:
    """A finished game as a PGN game: the board's moves, today's date, the given headers.

    The start position goes into SetUp/FEN headers when it is not the initial one.

    >>> board = chess.Board()
    >>> board.push_san("e4")
    Move.from_uci('e2e4')
    >>> print(str(pgn_game(board, {"White": "a", "Black": "b", "Result": "*"})).splitlines()[-1])
    1. e4 *
    """
    game = chess.pgn.Game.from_board(board)
    game.headers["Date"] = datetime.date.today().strftime("%Y.%m.%d")
    game.headers.update(headers)
    return game
