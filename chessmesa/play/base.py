"""The vocabulary every player speaks: search limits, choices, progress reports, UCI options, the
:class:`Player` protocol (and :class:`Analyser`, for players that tell a policy and a value),
time allotment and mate scores.

Nothing here knows an engine kind: engine specs live in :mod:`chessmesa.play.specs`, players in
:mod:`chessmesa.play.players`, :mod:`~chessmesa.play.external`, :mod:`~chessmesa.play.searchers`
and :mod:`~chessmesa.play.networks`.

>>> limit = Limit(wtime_ms=60_000, btime_ms=60_000)
>>> allot_time(limit, chess.WHITE)
2.0
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Callable, Literal, Protocol, Sequence, runtime_checkable

import chess
import numpy as np

if TYPE_CHECKING:
    from chessmesa.core import Position  # the rules kernel is loaded only by players that use it

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
#: The shortest move time a limit takes, in milliseconds (10 microseconds): below a millisecond
#: for the players that can move that fast (``chessmesa analyze clock``); UCI's is whole ms.
MIN_MOVETIME_MS = 0.01
#: The range of each number a :class:`Limit` holds. A clock may be negative (a GUI's way of saying
#: the time is up); a budget of 0 or below is no budget.
LIMIT_BOUNDS: dict[str, tuple[int, int]] = {
    "nodes": (1, INT32_MAX),
    "movetime_ms": (MIN_MOVETIME_MS, INT32_MAX),
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
    movetime_ms: float | None = None
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

    @classmethod
    def of(cls, choice: Choice, depth: int | None = None) -> SearchInfo:
        """The report of a search so far (or done), from what it would choose now.

        >>> move = chess.Move.from_uci("e2e4")
        >>> SearchInfo.of(Choice(move, score_cp=20, pv=[move], nodes=500, seconds=0.25)).nps
        2000
        """
        nps = int(choice.nodes / choice.seconds) if choice.seconds > 0 else 0
        return cls(choice.nodes, nps, choice.seconds, choice.score_cp, choice.wdl, list(choice.pv), depth)


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

    ``choose`` must return a legal move of ``board`` (which it may not keep: the caller owns it)
    whenever the board has one, a draw that could be claimed or a game over by itself included.
    It should return soon after ``stop`` is set and may call ``on_info`` from the searching thread
    to report progress. Players with tunable parameters also implement
    ``uci_options() -> list[UciOption]`` and ``set_option(name: str, value: int | bool | str)``;
    players that can tell a policy and a value implement :class:`Analyser` as well.
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


@dataclass(frozen=True)
class Analysis:
    """What a player thinks of one position: its root policy over the legal moves and its value.

    ``moves`` are the legal moves in UCI, ``policy`` a distribution over them, ``value`` in
    [-1, 1] for the side to move; ``best_move`` is the move the player would play.
    """

    best_move: str
    moves: list[str]
    policy: np.ndarray
    value: float


@runtime_checkable
class Analyser(Protocol):
    """A player that can analyse positions, after python-chess's ``engine.analyse()``: a root
    policy and a value for each, at its own budget, without a game around them (no tree kept
    from one position to the next). ``progress(n)`` is called after each ``n`` positions.
    """

    def analyse(self, positions: Sequence[Position],
                progress: Callable[[int], None] = lambda n: None) -> list[Analysis]:
        """One :class:`Analysis` per position, in order."""


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
