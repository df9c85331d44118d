"""Players: anything that chooses a move, behind one protocol used by every front end.

The match runner, tournaments, the UCI server and terminal play only ever see :class:`Player`.
:func:`make_player` turns an engine spec into one::

    >>> import chess
    >>> player = make_player("random", seed=1)
    >>> choice = player.choose(chess.Board(), Limit(nodes=1))
    >>> choice.move in chess.Board().legal_moves
    True
    >>> player.close()

This module also registers the built-in kinds ``random``, ``stockfish`` and ``uci``, and holds the
time management shared by every searcher (:func:`allot_time`).
"""

from __future__ import annotations

import random
import shlex
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterator, Literal, Protocol, runtime_checkable

import chess
import chess.engine

from chessmesa.play.specs import ANY, EngineSpec, SpecError, kind_info, parse_spec, register_kind

#: Mate scores in centipawns follow python-chess: a mate in ``n`` moves scores ``MATE_CP - n``.
MATE_CP = 100_000

#: Clock games: moves assumed left when the time control gives no ``movestogo``.
DEFAULT_MOVES_LEFT = 30
#: Clock games: the share of the increment spent on each move.
INCREMENT_SHARE = 0.75
#: Clock games: time always kept back, for the process and pipe overhead around a search.
SAFETY_MARGIN_MS = 50


#: UCI's numbers are 32-bit in practice, and so are MCTS visit counts.
INT32_MAX = 2**31 - 1
#: The range of each number a :class:`Limit` holds. A clock may be negative (a GUI's way of saying
#: the time is up); a budget of 0 or below is no budget.
LIMIT_BOUNDS: dict[str, tuple[int, int]] = {
    "nodes": (1, INT32_MAX),
    "movetime_ms": (1, INT32_MAX),
    "wtime_ms": (-INT32_MAX, INT32_MAX),
    "btime_ms": (-INT32_MAX, INT32_MAX),
    "winc_ms": (0, INT32_MAX),
    "binc_ms": (0, INT32_MAX),
    "movestogo": (1, INT32_MAX),
    "depth": (1, INT32_MAX),
    "mate": (1, INT32_MAX),
}


@dataclass(frozen=True)
class Limit:
    """What bounds one search, in UCI's terms; every field is optional.

    ``nodes`` is simulations for MCTS players. Clock fields are in milliseconds. ``mate`` asks for
    a mate in that many moves: the search ends once a mate is proved (or another limit runs out).
    ``searchmoves`` restricts the moves considered at the root (legal ones; none restricts
    nothing). An empty ``Limit()`` means "the player's own default budget" (its spec's limits,
    else a short default), never an endless search; only ``infinite=True`` searches until ``stop``
    is set. Numbers outside :data:`LIMIT_BOUNDS` raise ValueError.

    >>> Limit(wtime_ms=60_000, btime_ms=60_000, winc_ms=600, binc_ms=600).is_empty()
    False
    >>> Limit(nodes=0)
    Traceback (most recent call last):
    ...
    ValueError: nodes 0 out of range 1..2147483647
    """

    nodes: int | None = None
    movetime_ms: int | None = None
    wtime_ms: int | None = None
    btime_ms: int | None = None
    winc_ms: int | None = None
    binc_ms: int | None = None
    movestogo: int | None = None
    depth: int | None = None
    mate: int | None = None
    infinite: bool = False
    searchmoves: tuple[chess.Move, ...] = ()

    def __post_init__(self) -> None:
        for name, (low, high) in LIMIT_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                raise ValueError(f"{name} {value} out of range {low}..{high}")

    @property
    def sims(self) -> int | None:
        """``nodes`` under the name MCTS players use."""
        return self.nodes

    def is_empty(self) -> bool:
        """True when nothing bounds the search (``searchmoves`` aside): the player chooses its
        own budget."""
        return replace(self, searchmoves=()) == Limit()

    def allowed_moves(self, board: chess.Board) -> list[chess.Move]:
        """The legal moves of ``board`` that the search may choose: those in ``searchmoves``, or
        all of them when it names none.

        >>> Limit(searchmoves=(chess.Move.from_uci("e2e4"),)).allowed_moves(chess.Board())
        [Move.from_uci('e2e4')]
        """
        legal = list(board.legal_moves)
        allowed = [move for move in legal if move in self.searchmoves]
        return allowed or legal

    def with_defaults(self, defaults: Limit) -> Limit:
        """Fill the fields this limit leaves unset from ``defaults`` (a spec's own limits).

        An infinite search stays infinite.

        >>> limit = Limit(movetime_ms=100).with_defaults(Limit(nodes=800, movetime_ms=5000))
        >>> limit.nodes, limit.movetime_ms
        (800, 100)
        """
        if self.infinite:
            return self
        unset = {f.name: getattr(defaults, f.name) for f in fields(self) if getattr(self, f.name) is None}
        return replace(self, **unset)


@dataclass(frozen=True)
class SearchInfo:
    """A progress report during a search, from the side to move's point of view.

    ``wdl`` is (win, draw, loss) per mille; ``depth`` is None for players without one (MCTS).
    """

    nodes: int
    nps: int
    seconds: float
    score_cp: int | None = None
    wdl: tuple[int, int, int] | None = None
    pv: list[chess.Move] = field(default_factory=list)
    depth: int | None = None


@dataclass(frozen=True)
class Choice:
    """The result of a search: the move, and what the player knows about the position.

    Scores are from the side to move's point of view (UCI's convention); ``score_cp`` and ``wdl``
    are None for players without an evaluation (``random``).
    """

    move: chess.Move
    score_cp: int | None = None
    wdl: tuple[int, int, int] | None = None
    pv: list[chess.Move] = field(default_factory=list)
    nodes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class UciOption:
    """A tunable parameter a player exposes through UCI ``option`` lines.

    ``type`` is UCI's: ``spin`` (int within ``min``..``max``), ``check`` (bool), ``string``,
    ``combo`` (one of ``choices``).
    """

    name: str
    type: Literal["spin", "check", "string", "combo"]
    default: int | bool | str
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()


@runtime_checkable
class Player(Protocol):
    """Anything that plays chess moves.

    ``choose`` must return a legal move of ``board`` (which it may not keep: the caller owns it).
    It should return soon after ``stop`` is set and may call ``on_info`` from the searching thread
    to report progress. Players with tunable parameters also implement
    ``uci_options() -> list[UciOption]`` and ``set_option(name: str, value: int | bool | str)``.
    """

    name: str

    def new_game(self) -> None:
        """Forget anything tied to the previous game (hash tables, trees)."""

    def choose(
        self,
        board: chess.Board,
        limit: Limit,
        stop: threading.Event | None = None,
        on_info: Callable[[SearchInfo], None] | None = None,
    ) -> Choice:
        """Pick a move for the side to move of ``board`` within ``limit``."""

    def close(self) -> None:
        """Release processes, threads and memory; the player is unusable afterwards."""


def make_player(spec: str | EngineSpec, seed: int | None = None) -> Player:
    """Build the player a spec names; a ``seed`` in the spec wins over the argument.

    Raises :class:`~chessmesa.play.specs.SpecError` for a bad spec or an engine that cannot start.

    >>> make_player("random:seed=3").name
    'random:seed=3'
    """
    spec = parse_spec(spec)
    return kind_info(spec.kind).factory(spec, spec.options.get("seed", seed))


def allot_time(limit: Limit, side: chess.Color) -> float | None:
    """Seconds to spend on this move, or None when the limit sets no time at all.

    ``movetime`` is taken as given. With a clock: the remaining time shared over the moves left
    (``movestogo``, else :data:`DEFAULT_MOVES_LEFT`) plus most of the increment, never more than
    the remaining time minus :data:`SAFETY_MARGIN_MS`.

    >>> allot_time(Limit(wtime_ms=60_000, btime_ms=1_000, winc_ms=1_000), chess.WHITE)
    2.75
    >>> allot_time(Limit(wtime_ms=60_000, btime_ms=30), chess.BLACK)
    0.0
    """
    if limit.movetime_ms is not None:
        return limit.movetime_ms / 1000
    remaining = limit.wtime_ms if side == chess.WHITE else limit.btime_ms
    if remaining is None:
        return None
    increment = (limit.winc_ms if side == chess.WHITE else limit.binc_ms) or 0
    share = remaining / (limit.movestogo or DEFAULT_MOVES_LEFT) + INCREMENT_SHARE * increment
    return max(0.0, min(share, remaining - SAFETY_MARGIN_MS)) / 1000


class RandomPlayer:
    """Plays a uniformly random legal move; reproducible with a seed."""

    def __init__(self, name: str = "random", seed: int | None = None) -> None:
        self.name = name
        self._rng = random.Random(seed)

    def new_game(self) -> None:
        pass

    def choose(
        self,
        board: chess.Board,
        limit: Limit,
        stop: threading.Event | None = None,
        on_info: Callable[[SearchInfo], None] | None = None,
    ) -> Choice:
        move = self._rng.choice(limit.allowed_moves(board))
        return Choice(move, pv=[move], nodes=1)

    def close(self) -> None:
        pass


class UciPlayer:
    """An external UCI engine driven through python-chess.

    ``defaults`` are the spec's own limits, used for whatever the caller's :class:`Limit` leaves
    unset; with neither, the engine thinks for :attr:`DEFAULT_MOVETIME_MS`.
    """

    DEFAULT_MOVETIME_MS = 1000

    def __init__(self, name: str, command: list[str], options: dict[str, Any], defaults: Limit = Limit()) -> None:
        self.name = name
        self._defaults = defaults
        self._game = object()
        try:
            self._engine = chess.engine.SimpleEngine.popen_uci(command)
        except (OSError, chess.engine.EngineError) as error:
            raise SpecError(f"cannot start UCI engine {shlex.join(command)!r}: {error}") from None
        try:
            self._engine.configure(options)
        except chess.engine.EngineError as error:
            self._engine.quit()
            raise SpecError(f"engine {name!r} rejected its options: {error}") from None

    def new_game(self) -> None:
        # python-chess sends ucinewgame whenever the game object changes.
        self._game = object()

    def choose(
        self,
        board: chess.Board,
        limit: Limit,
        stop: threading.Event | None = None,
        on_info: Callable[[SearchInfo], None] | None = None,
    ) -> Choice:
        start = time.monotonic()
        root_moves = limit.allowed_moves(board) if limit.searchmoves else None
        with self._engine.analysis(board, self._engine_limit(limit), game=self._game,
                                   root_moves=root_moves) as analysis:
            with _forward_stop(stop, analysis.stop):
                for info in analysis:
                    if on_info is not None and "pv" in info:
                        on_info(_search_info(info, board.turn, time.monotonic() - start))
            best = analysis.wait()
            final = analysis.info
        if best.move is None:
            raise RuntimeError(f"engine {self.name!r} returned no move for {board.fen()}")
        score = final.get("score")
        wdl = final.get("wdl")
        return Choice(
            move=best.move,
            score_cp=None if score is None else score.pov(board.turn).score(mate_score=MATE_CP),
            wdl=None if wdl is None else tuple(wdl.pov(board.turn)),
            pv=list(final.get("pv", [best.move])),
            nodes=final.get("nodes", 0),
            seconds=time.monotonic() - start,
        )

    def close(self) -> None:
        try:
            self._engine.quit()
        except chess.engine.EngineTerminatedError:
            pass

    def _engine_limit(self, limit: Limit) -> chess.engine.Limit | None:
        if limit.infinite:
            return None
        limit = limit.with_defaults(self._defaults)
        if limit.is_empty():
            limit = Limit(movetime_ms=self.DEFAULT_MOVETIME_MS)
        return chess.engine.Limit(
            time=_seconds(limit.movetime_ms),
            depth=limit.depth,
            nodes=limit.nodes,
            mate=limit.mate,
            white_clock=_seconds(limit.wtime_ms),
            black_clock=_seconds(limit.btime_ms),
            white_inc=_seconds(limit.winc_ms),
            black_inc=_seconds(limit.binc_ms),
            remaining_moves=limit.movestogo,
        )


@contextmanager
def _forward_stop(stop: threading.Event | None, action: Callable[[], None]) -> Iterator[None]:
    """Call ``action`` once if ``stop`` is set while the block runs."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        # One thread cannot wait on two events; a 10 ms poll keeps stop latency far below UCI's needs.
        while not done.is_set():
            if stop.wait(0.01):
                action()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _search_info(info: chess.engine.InfoDict, turn: chess.Color, seconds: float) -> SearchInfo:
    score = info.get("score")
    wdl = info.get("wdl")
    nodes = info.get("nodes", 0)
    return SearchInfo(
        nodes=nodes,
        nps=info.get("nps", int(nodes / seconds) if seconds > 0 else 0),
        seconds=seconds,
        score_cp=None if score is None else score.pov(turn).score(mate_score=MATE_CP),
        wdl=None if wdl is None else tuple(wdl.pov(turn)),
        pv=list(info.get("pv", [])),
        depth=info.get("depth"),
    )


def _seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def find_stockfish() -> str:
    """The Stockfish binary: ``stockfish`` on PATH, else ``/usr/games/stockfish`` (Debian).

    Raises :class:`SpecError` with the install command when there is none.
    """
    found = shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")
    if found is None:
        raise SpecError("stockfish not found on PATH or in /usr/games; install it with: sudo apt-get install stockfish")
    return found


def spec_limit(spec: EngineSpec, keys: dict[str, str]) -> Limit:
    """The search limits a spec sets; ``keys`` names the spec key of each :class:`Limit` field.

    Raises :class:`SpecError` naming the key when its value is outside :data:`LIMIT_BOUNDS`.

    >>> spec_limit(parse_spec("stockfish:nodes=0"), {"nodes": "nodes"})
    Traceback (most recent call last):
    ...
    chessmesa.play.specs.SpecError: bad value 0 for key 'nodes' in engine spec 'stockfish:nodes=0': expected 1..2147483647
    """
    for field_name, key in keys.items():
        low, high = LIMIT_BOUNDS[field_name]
        value = spec.options.get(key)
        if value is not None and not low <= value <= high:
            raise SpecError(f"bad value {value} for key {key!r} in engine spec {spec.name!r}: "
                            f"expected {low}..{high}")
    return Limit(**{field_name: spec.options.get(key) for field_name, key in keys.items()})


#: The limits of the external engine kinds: the spec's keys (``movetime`` in ms).
_UCI_LIMIT_FIELDS = {"nodes": "nodes", "movetime_ms": "movetime", "depth": "depth"}


def _pass_through(options: dict[str, Any]) -> dict[str, Any]:
    """The raw UCI options of a spec: ``option.Hash=64`` -> ``{"Hash": 64}``."""
    return {key.removeprefix("option."): value for key, value in options.items() if key.startswith("option.")}


def _stockfish(spec: EngineSpec, seed: int | None) -> Player:
    options = spec.options
    uci_options: dict[str, Any] = {"UCI_ShowWDL": True}
    renames = {"skill": "Skill Level", "threads": "Threads", "hash": "Hash", "elo": "UCI_Elo"}
    uci_options.update({uci: options[key] for key, uci in renames.items() if key in options})
    if "elo" in options:
        uci_options["UCI_LimitStrength"] = True
    uci_options.update(_pass_through(options))
    return UciPlayer(spec.name, [find_stockfish()], uci_options, spec_limit(spec, _UCI_LIMIT_FIELDS))


def _uci(spec: EngineSpec, seed: int | None) -> Player:
    if "cmd" not in spec.options:
        raise SpecError(f"engine spec {str(spec)!r} needs cmd=... (the engine's command line)")
    command = shlex.split(spec.options["cmd"])
    executable = shutil.which(command[0]) if command else None
    if executable is None:
        raise SpecError(f"UCI engine command {spec.options['cmd']!r} not found (not executable, not on PATH)")
    command[0] = executable
    return UciPlayer(spec.name, command, _pass_through(spec.options), spec_limit(spec, _UCI_LIMIT_FIELDS))


_UCI_LIMIT_KEYS: dict[str, type] = {"nodes": int, "movetime": int, "depth": int, "option.*": ANY}

register_kind(
    "random", lambda spec, seed: RandomPlayer(spec.name, seed), {"seed": int}, "a uniformly random legal move"
)
register_kind(
    "stockfish",
    _stockfish,
    {"skill": int, "elo": int, "threads": int, "hash": int, **_UCI_LIMIT_KEYS},
    "the system Stockfish (skill 0-20, elo 1350-2850 limits strength; nodes/movetime ms/depth per move)",
)
register_kind(
    "uci",
    _uci,
    {"cmd": str, **_UCI_LIMIT_KEYS},
    "any UCI engine binary (cmd=...; option.NAME=value passes UCI options)",
)
