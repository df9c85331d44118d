"""The searcher's engine kinds: ``mcts`` (the numba MCTS) and ``greedy`` (best 1-ply static eval).

Importing this module registers both kinds with :mod:`chessmesa.play.specs`.

>>> from chessmesa.play.players import Limit, make_player
>>> import chess
>>> make_player("mcts:sims=50").choose(chess.Board(), Limit()).move in chess.Board().legal_moves
True
"""

from __future__ import annotations

import threading
from collections import deque
import time
from typing import Callable, Sequence

import chess
import numpy as np

from chessmesa.core import Position, move_to_chess
from chessmesa.core.position import BoardFollower
from chessmesa.core.convert import match_move
from chessmesa.core.layout import SIDE, WHITE
from chessmesa.play.base import MIN_MOVETIME_MS, Analysis, Choice, Limit, SearchInfo, UciOption, allot_time
from chessmesa.play.specs import EngineSpec, SpecError, register_kind, spec_limit
from chessmesa.search import MCTS, SearchResult
from chessmesa.search.heuristic import best_static_move, quiescence_buffer
from chessmesa.search.options import (
    check_sizes, option_types, params_from_options, tree_nodes, uci_options, with_uci_option,
)

DEFAULT_SIMS = 800
#: The moves whose overhead (time beyond the search's deadline) the next move's deadline allows for.
OVERHEAD_MOVES = 16
#: The spec keys of a search's budget (``movetime`` in ms), beside the searcher's own options.
_LIMIT_KEYS = {"sims": int, "movetime": float}  # movetime in ms, fractions too


def value_to_wdl(value: float) -> tuple[int, int, int]:
    """Win/draw/loss per mille from a value in [-1, 1]; the draw share shrinks as |value| grows.

    >>> value_to_wdl(0.0), value_to_wdl(1.0)
    ((250, 500, 250), (1000, 0, 0))
    """
    draw = 0.5 * (1 - abs(value))
    win = max(0.0, (1 + value) / 2 - draw / 2)
    win_pm, draw_pm = round(1000 * win), round(1000 * draw)
    return win_pm, draw_pm, 1000 - win_pm - draw_pm


def search_limits(options: dict, limit: Limit, turn: chess.Color) -> tuple[int | None, float | None]:
    """``(sims, movetime_ms)`` of one search: the call's limit first, the spec's as defaults.

    ``(None, None)`` searches until stopped (``infinite``), or, for a ``mate`` search with no
    other limit, until the root is solved or the tree is full.
    """
    limit = limit.with_defaults(Limit(nodes=options.get("sims"), movetime_ms=options.get("movetime")))
    if limit.infinite:
        return None, None
    seconds = allot_time(limit, turn)
    movetime = None if seconds is None else seconds * 1000
    if limit.nodes is None and movetime is None:
        return (None, None) if limit.mate is not None else (DEFAULT_SIMS, None)
    return limit.nodes, movetime


def root_move_codes(board: chess.Board, position: Position, limit: Limit) -> list[int] | None:
    """The move codes a limit's ``searchmoves`` allows at the root, None when it allows all."""
    if not limit.searchmoves:
        return None
    legal = position.legal_moves()
    return [match_move(legal, move) for move in limit.allowed_moves(board)]


def to_choice(result: SearchResult) -> Choice:
    """A search result as a player's choice (simulations count as nodes)."""
    return Choice(
        move=chess.Move.from_uci(result.best_move),
        score_cp=result.score_cp,
        wdl=value_to_wdl(result.root_value),
        pv=[chess.Move.from_uci(m) for m in result.pv],
        nodes=result.sims,
        seconds=result.seconds,
    )


class MctsPlayer:
    """The MCTS searcher as a player; the tree is reused between the moves of a game."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        options = dict(spec.options)
        if seed is not None:
            options["seed"] = seed
        self.name = spec.name or str(spec)
        spec_limit(spec, {"nodes": "sims", "movetime_ms": "movetime"})  # checks their bounds
        self.options = options
        self.follower = BoardFollower()  # the game's position, a move or two on each call
        self._overheads: deque[float] = deque(maxlen=OVERHEAD_MOVES)
        try:
            check_sizes(options)
            self.searcher = self._searcher(options)
        except ValueError as error:  # a size or a search parameter out of its range
            raise SpecError(f"{error} in engine spec {self.name!r}") from None

    def _searcher(self, options: dict) -> MCTS:
        """The searcher that ``options`` describe; ValueError for a parameter out of range."""
        return MCTS(params_from_options(options), max_nodes=tree_nodes(options))

    def new_game(self) -> None:
        self.searcher.reset()
        self.follower = BoardFollower()

    def _overhead_ms(self) -> float:
        """What a move costs beyond its search's deadline (the position in, the result out, the
        last chunk of simulations): the median of the last moves', taken off the next move's
        time so that a move keeps its limit, as a GUI's "move overhead" would."""
        return max(float(np.median(self._overheads)), 0.0) if self._overheads else 0.0

    def choose(self, board: chess.Board, limit: Limit, stop: threading.Event | None = None,
               on_info: Callable[[SearchInfo], None] | None = None) -> Choice:
        sims, movetime = search_limits(self.options, limit, board.turn)
        if stop is None and sims is None and movetime is None:
            stop = threading.Event()  # a mate search: until solved, stopped or the tree is full

        def report(result: SearchResult) -> None:
            on_info(SearchInfo.of(to_choice(result)))

        started = time.perf_counter()
        searched = None if movetime is None else max(movetime - self._overhead_ms(), MIN_MOVETIME_MS)
        position = self.follower.position(board)
        result = self.searcher.search(position, sims=sims, movetime_ms=searched, stop=stop,
                                      on_info=report if on_info is not None else None,
                                      root_moves=root_move_codes(board, position, limit))
        choice = to_choice(result)
        if searched is not None:
            self._overheads.append((time.perf_counter() - started) * 1000 - searched)
        if on_info is not None:
            on_info(SearchInfo.of(choice))
        return choice

    def analyse(self, positions: Sequence[Position],
                progress: Callable[[int], None] = lambda n: None) -> list[Analysis]:
        """A fresh search of each position at the spec's budget (:class:`~chessmesa.play.base.Analyser`):
        its root policy (:meth:`~chessmesa.search.SearchResult.root_policy`) and value.

        >>> from chessmesa.play.players import make_player
        >>> [analysis] = make_player("mcts:sims=32").analyse([Position()])
        >>> len(analysis.moves) == len(analysis.policy) == 20
        True
        """
        found = []
        for position in positions:
            sims, movetime = search_limits(self.options, Limit(), int(position.st[SIDE]) == WHITE)
            result = self.searcher.search(position, sims=sims, movetime_ms=movetime, reuse=False)
            found.append(Analysis(result.best_move, list(result.moves), result.root_policy(),
                                  float(result.root_value)))
            progress(1)
        return found

    def uci_options(self) -> list[UciOption]:
        """The searcher's options (:func:`chessmesa.search.options.uci_options`)."""
        return [UciOption(*fields) for fields in uci_options(self.options)]

    def set_option(self, name: str, value) -> None:
        """Set a UCI option; ValueError naming the value when it does not fit (nothing changes)."""
        options = with_uci_option(self.options, name, value)
        self.searcher = self._searcher(options)
        self.options = options

    def close(self) -> None:
        self.searcher = None


class GreedyPlayer:
    """The best move after one ply by static evaluation (with quiescence): a baseline."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        self.name = spec.name or str(spec)
        self._buffer = quiescence_buffer()

    def new_game(self) -> None:
        pass

    def choose(self, board: chess.Board, limit: Limit, stop=None, on_info=None) -> Choice:
        start = time.perf_counter()
        position = Position.from_board(board)
        allowed = root_move_codes(board, position, limit)
        move = best_static_move(position.bb, position.st, position.tables, self._buffer,
                                np.asarray(allowed if allowed is not None else [], dtype=np.int64))
        return Choice(move=move_to_chess(move), nodes=len(allowed or position.legal_moves()),
                      seconds=time.perf_counter() - start)

    def close(self) -> None:
        pass


def mcts_keys() -> dict[str, type]:
    """The spec keys of the ``mcts`` kind: its budget and the searcher's options."""
    return {**_LIMIT_KEYS, **option_types()}


register_kind("mcts", MctsPlayer, mcts_keys(),
              "the numba MCTS with the static evaluator (sims, movetime, cpuct, gumbel, ...)")
register_kind("greedy", GreedyPlayer, {}, "best move after one ply of static evaluation")

