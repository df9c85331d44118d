"""The searcher's engine kinds: ``mcts`` (the numba MCTS) and ``greedy`` (best 1-ply static eval).

Importing this module registers both kinds with :mod:`chessmesa.play.specs`.

>>> from chessmesa.play.players import Limit, make_player
>>> import chess
>>> make_player("mcts:sims=50").choose(chess.Board(), Limit()).move in chess.Board().legal_moves
True
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import chess
import numpy as np

from chessmesa.core import Position
from chessmesa.core import move_to_chess
from chessmesa.core.convert import match_move
from chessmesa.play.base import INT32_MAX, Choice, Limit, SearchInfo, UciOption, allot_time
from chessmesa.play.specs import EngineSpec, SpecError, register_kind, spec_limit
from chessmesa.search.evaluate import best_static_move, quiescence_buffer
from chessmesa.search import MCTS, SearchParams, SearchResult
from chessmesa.search.searcher import DEFAULT_MAX_NODES
from chessmesa.search.tree import NODE_BYTES

DEFAULT_SIMS = 800
MB = 2**20
MAX_TREE_NODES = INT32_MAX  # node indices are int32
MAX_TREE_MB = MAX_TREE_NODES * NODE_BYTES // MB
_LIMIT_KEYS = {"sims": int, "movetime": int, "batch": int, "max_nodes": int}
#: The range of the spec keys that size a search but are no :class:`Limit` field.
_SIZE_BOUNDS = {"batch": (1, 4096), "max_nodes": (2, MAX_TREE_NODES)}
_PARAM_TYPES = SearchParams.field_types()


def value_to_wdl(value: float) -> tuple[int, int, int]:
    """Win/draw/loss per mille from a value in [-1, 1]; the draw share shrinks as |value| grows.

    >>> value_to_wdl(0.0), value_to_wdl(1.0)
    ((250, 500, 250), (1000, 0, 0))
    """
    draw = 0.5 * (1 - abs(value))
    win = max(0.0, (1 + value) / 2 - draw / 2)
    win_pm, draw_pm = round(1000 * win), round(1000 * draw)
    return win_pm, draw_pm, 1000 - win_pm - draw_pm


def search_params(options: dict) -> SearchParams:
    """The ``SearchParams`` named by a spec's options (other keys are ignored)."""
    return SearchParams(**{k: v for k, v in options.items() if k in _PARAM_TYPES})


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
        for key, (low, high) in _SIZE_BOUNDS.items():
            if key in options and not low <= options[key] <= high:
                raise SpecError(f"bad value {options[key]} for key {key!r} in engine spec "
                                f"{self.name!r}: expected {low}..{high}")
        self.options = options
        try:
            self.searcher = self._searcher(options)
        except ValueError as error:  # a search parameter out of its range
            raise SpecError(f"{error} in engine spec {self.name!r}") from None

    def _searcher(self, options: dict) -> MCTS:
        """The searcher that ``options`` describe; ValueError for a parameter out of range."""
        return MCTS(search_params(options), max_nodes=options.get("max_nodes", DEFAULT_MAX_NODES))

    def new_game(self) -> None:
        self.searcher.reset()

    def choose(self, board: chess.Board, limit: Limit, stop: threading.Event | None = None,
               on_info: Callable[[SearchInfo], None] | None = None) -> Choice:
        sims, movetime = search_limits(self.options, limit, board.turn)
        if stop is None and sims is None and movetime is None:
            stop = threading.Event()  # a mate search: until solved, stopped or the tree is full

        def report(result: SearchResult) -> None:
            on_info(SearchInfo.of(to_choice(result)))

        position = Position.from_board(board)
        result = self.searcher.search(position, sims=sims, movetime_ms=movetime, stop=stop,
                                      on_info=report if on_info is not None else None,
                                      root_moves=root_move_codes(board, position, limit))
        choice = to_choice(result)
        if on_info is not None:
            on_info(SearchInfo.of(choice))
        return choice

    def uci_options(self) -> list[UciOption]:
        """Each search parameter as a UCI option (floats as strings: UCI spins are integers), and
        ``Hash``: the tree's memory cap in MB (``max_nodes`` times the bytes of a node)."""
        current = search_params(self.options)
        tree_mb = self.options.get("max_nodes", DEFAULT_MAX_NODES) * NODE_BYTES // MB
        options = [UciOption("Hash", "spin", tree_mb, 1, MAX_TREE_MB)]
        for name, kind in _PARAM_TYPES.items():
            value = getattr(current, name)
            if kind is bool:
                options.append(UciOption(name, "check", value))
            elif kind is int:
                options.append(UciOption(name, "spin", value, 0, 2**31 - 1))
            else:
                options.append(UciOption(name, "string", repr(value)))
        return options

    def set_option(self, name: str, value) -> None:
        """Set a UCI option; ValueError naming the value when it does not fit (nothing changes)."""
        if name == "Hash":
            key, typed = "max_nodes", min(max(int(value) * MB // NODE_BYTES, 2), MAX_TREE_NODES)
        elif name in _PARAM_TYPES:
            kind = _PARAM_TYPES[name]
            try:
                key, typed = name, kind(float(value)) if kind in (int, float) else kind(value)
            except ValueError:
                raise ValueError(f"option {name!r} needs a number, got {value!r}") from None
        else:
            raise ValueError(f"unknown option {name!r}")
        options = {**self.options, key: typed}
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
    """The spec keys of the ``mcts`` kind: limits and every search parameter."""
    return {**_LIMIT_KEYS, **_PARAM_TYPES}


register_kind("mcts", MctsPlayer, mcts_keys(),
              "the numba MCTS with the static evaluator (sims, movetime, cpuct, gumbel, ...)")
register_kind("greedy", GreedyPlayer, {}, "best move after one ply of static evaluation")

