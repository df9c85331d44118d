"""Students: any engine spec seen as a move distribution, to compare with the searcher's labels.

What a student can tell depends on its kind:

- ``mcts`` and ``netmcts`` (players with a ``searcher``): the root policy of one search per
  position (the visit shares, or the Gumbel improved policy) and its root value;
- ``policy``: the network's policy and value, evaluated in batches without any search;
- every other engine (``stockfish``, ``greedy``, ``random``, ``uci``): only its chosen move.

>>> student = make_student("mcts:sims=32")
>>> output = student.evaluate([Position()])[0]
>>> len(output.moves) == len(output.policy) == 20, -1 <= output.value <= 1
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from chessmesa.analysis.labels import LabelSet
from chessmesa.core import Position, move_to_uci
from chessmesa.datasets.targets import search_distribution
from chessmesa.play.players import Limit, Player, make_player
from chessmesa.play.searchers import search_limits
from chessmesa.play.specs import parse_spec

#: Positions per network call for ``policy`` students.
NETWORK_BATCH = 256


@dataclass(frozen=True)
class StudentOutput:
    """A student's answer for one position.

    ``policy`` is a distribution over ``moves`` (UCI, the position's legal moves) or None for a
    student that only names a move; ``value`` is in [-1, 1] for the side to move, NaN if unknown.
    """

    move: str
    moves: list[str]
    policy: np.ndarray | None
    value: float = math.nan


class Student(Protocol):
    name: str

    def evaluate(self, positions: Sequence[Position],
                 progress: Callable[[int], None] = lambda n: None) -> list[StudentOutput]:
        """One output per position, in order; ``progress(n)`` after each ``n`` done."""

    def close(self) -> None:
        """Release the engine."""


def _uci_moves(position: Position) -> list[str]:
    return [move_to_uci(int(code)) for code in position.legal_moves()]


def search_policy(result) -> np.ndarray:
    """A search's root policy, as the teacher contract reads labels."""
    return search_distribution(result.visits, result.improved_policy, result.moves.index(result.best_move))


class _PlayerStudent:
    """A student that answers through its player, one position at a time."""

    def __init__(self, player: Player):
        self.name = player.name
        self._player = player

    def evaluate(self, positions, progress=lambda n: None):
        outputs = []
        for position in positions:
            outputs.append(self._answer(position))
            progress(1)
        return outputs

    def close(self) -> None:
        self._player.close()


class SearchStudent(_PlayerStudent):
    """A searching player (``mcts``, ``netmcts``): one fresh search per position, its spec's budget."""

    def _answer(self, position) -> StudentOutput:
        sims, movetime = search_limits(self._player.options, Limit(), position.to_board().turn)
        result = self._player.searcher.search(position, sims=sims, movetime_ms=movetime, reuse=False)
        return StudentOutput(result.best_move, list(result.moves), search_policy(result),
                             float(result.root_value))


class MoveStudent(_PlayerStudent):
    """An engine that only names its move (Stockfish, greedy, random, any UCI engine)."""

    def _answer(self, position) -> StudentOutput:
        self._player.new_game()
        move = self._player.choose(position.to_board(), Limit()).move.uci()
        return StudentOutput(move, _uci_moves(position), None)


class NetworkStudent:
    """A network's raw policy and value, batched: the ``policy`` kind without its argmax player."""

    def __init__(self, network, name: str, batch: int = NETWORK_BATCH):
        self.name = name
        self._network = network
        self._batch = batch

    def evaluate(self, positions, progress=lambda n: None):
        outputs = []
        for start in range(0, len(positions), self._batch):
            chunk = list(positions[start:start + self._batch])
            policies, values = self._network.policy_value(chunk)
            for position, policy, value in zip(chunk, policies, values):
                moves = _uci_moves(position)
                policy = np.asarray(policy, dtype=float)
                outputs.append(StudentOutput(moves[int(np.argmax(policy))], moves, policy, float(value)))
            progress(len(chunk))
        return outputs

    def close(self) -> None:
        self._network = None


def make_student(spec: str, seed: int | None = None) -> Student:
    """The student an engine spec names; ValueError (a ``SpecError``) for a bad spec.

    ``policy:ckpt=PATH`` loads the network itself (batched evaluation; ``device`` and ``threads``
    as for the player); any other spec builds its player and asks it position by position.
    """
    parsed = parse_spec(spec)
    if parsed.kind == "policy":
        from chessmesa.play.networks import load_spec_network

        return NetworkStudent(load_spec_network(parsed), parsed.name)
    player = make_player(parsed, seed=seed)
    return SearchStudent(player) if getattr(player, "searcher", None) is not None else MoveStudent(player)


def student_answers(spec: str, labels: LabelSet, seed: int | None = None,
                    progress: Callable[[int], None] = lambda n: None) -> tuple[str, list[StudentOutput]]:
    """The student ``spec``'s name and its answers for every position of ``labels``."""
    student = make_student(spec, seed)
    try:
        return student.name, student.evaluate([p.position() for p in labels.positions], progress)
    finally:
        student.close()
