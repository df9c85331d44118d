"""Players: :func:`make_player` turns an engine spec into a :class:`~chessmesa.play.base.Player`,
the one protocol the match runner, tournaments, the UCI server and terminal play see::

    >>> import chess
    >>> player = make_player("random", seed=1)
    >>> choice = player.choose(chess.Board(), Limit(nodes=1))
    >>> choice.move in chess.Board().legal_moves
    True
    >>> player.close()

This module also registers the simplest kind, ``random``. The others register in their own
modules (:data:`chessmesa.play.specs.KIND_PROVIDERS`), loaded on their first lookup.
"""

from __future__ import annotations

import random
import threading
from typing import Callable

import chess

from chessmesa.play.base import Choice, Limit, Player, SearchInfo
from chessmesa.play.specs import EngineSpec, kind_info, parse_spec, register_kind


def make_player(spec: str | EngineSpec, seed: int | None = None) -> Player:
    """Build the player a spec names; a ``seed`` in the spec wins over the argument.

    Raises :class:`~chessmesa.play.specs.SpecError` for a bad spec or an engine that cannot start.

    >>> make_player("random:seed=3").name
    'random:seed=3'
    """
    spec = parse_spec(spec)
    return kind_info(spec.kind).factory(spec, spec.options.get("seed", seed))


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


register_kind(
    "random", lambda spec, seed: RandomPlayer(spec.name, seed), {"seed": int}, "a uniformly random legal move"
)
