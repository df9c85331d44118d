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

from chessmesa.core import Position
from chessmesa.play.players import Choice, Limit, SearchInfo, UciOption, allot_time
from chessmesa.play.specs import EngineSpec, register_kind
from chessmesa.search import MCTS, SearchParams, SearchResult
from chessmesa.search.searcher import DEFAULT_MAX_NODES
from chessmesa.search.tree import NODE_BYTES

DEFAULT_SIMS = 800
MB = 2**20
MAX_TREE_MB = (2**31 - 1) * NODE_BYTES // MB  # node indices are int32
_LIMIT_KEYS = {"sims": int, "movetime": int, "batch": int, "max_nodes": int}
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
    """``(sims, movetime_ms)`` of one search: the call's limit first, the spec's as defaults."""
    spec_limit = Limit(nodes=options.get("sims"), movetime_ms=options.get("movetime"))
    limit = limit.with_defaults(spec_limit)
    if limit.infinite:
        return None, None
    seconds = allot_time(limit, turn)
    movetime = None if seconds is None else seconds * 1000
    sims = limit.nodes if limit.nodes is not None or movetime is not None else DEFAULT_SIMS
    return sims, movetime


def to_choice(result: SearchResult, board: chess.Board) -> Choice:
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
        self.options = options
        self._build()

    def _build(self) -> None:
        self.searcher = MCTS(search_params(self.options),
                             max_nodes=self.options.get("max_nodes", DEFAULT_MAX_NODES))

    def new_game(self) -> None:
        self.searcher.reset()

    def choose(self, board: chess.Board, limit: Limit, stop: threading.Event | None = None,
               on_info: Callable[[SearchInfo], None] | None = None) -> Choice:
        sims, movetime = search_limits(self.options, limit, board.turn)
        def report(result: SearchResult) -> None:
            on_info(_search_info(result))

        result = self.searcher.search(Position.from_board(board), sims=sims, movetime_ms=movetime,
                                      stop=stop,
                                      on_info=report if on_info is not None else None)
        if on_info is not None:
            on_info(_search_info(result))
        return to_choice(result, board)

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
        if name == "Hash":
            self.options["max_nodes"] = max(int(value) * MB // NODE_BYTES, 2)
        elif name in _PARAM_TYPES:
            kind = _PARAM_TYPES[name]
            self.options[name] = kind(float(value)) if kind in (int, float) else kind(value)
        else:
            raise ValueError(f"unknown option {name!r}")
        self._build()

    def close(self) -> None:
        self.searcher = None


def _search_info(result: SearchResult) -> SearchInfo:
    return SearchInfo(
        nodes=result.sims,
        nps=int(result.sims / result.seconds) if result.seconds > 0 else 0,
        seconds=result.seconds,
        score_cp=result.score_cp,
        wdl=value_to_wdl(result.root_value),
        pv=[chess.Move.from_uci(m) for m in result.pv],
    )


class GreedyPlayer:
    """The best move after one ply by static evaluation (with quiescence): a baseline."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        from chessmesa.search.heuristic import quiescence_buffer

        self.name = spec.name or str(spec)
        self._buffer = quiescence_buffer()

    def new_game(self) -> None:
        pass

    def choose(self, board: chess.Board, limit: Limit, stop=None, on_info=None) -> Choice:
        from chessmesa.core import move_to_chess
        from chessmesa.search.heuristic import best_static_move

        start = time.perf_counter()
        position = Position.from_board(board)
        move = best_static_move(position.bb, position.st, position.tables, self._buffer)
        return Choice(move=move_to_chess(move), nodes=len(position.legal_moves()),
                      seconds=time.perf_counter() - start)

    def close(self) -> None:
        pass


def mcts_keys() -> dict[str, type]:
    """The spec keys of the ``mcts`` kind: limits and every search parameter."""
    return {**_LIMIT_KEYS, **_PARAM_TYPES}


register_kind("mcts", MctsPlayer, mcts_keys(),
              "the numba MCTS with the static evaluator (sims, movetime, cpuct, gumbel, ...)")
register_kind("greedy", GreedyPlayer, {}, "best move after one ply of static evaluation")

