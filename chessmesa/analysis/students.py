"""Students: any engine spec seen as a move distribution, to compare with the searcher's labels.

What a student can tell depends on its player:

- players that analyse (:class:`~chessmesa.play.base.Analyser`: ``mcts``, ``netmcts``,
  ``policy``): a root policy and a value per position; for the searchers the root policy of one
  fresh search (the visit shares, or the Gumbel improved policy), for ``policy`` the network's own,
  evaluated in batches without any search;
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

from chessmesa.analysis.label_reader import LabelSet
from chessmesa.core import Position, move_to_uci
from chessmesa.play.base import Analyser, Limit, Player
from chessmesa.play.players import make_player


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


class _PlayerStudent:
    """A student that answers through its player."""

    def __init__(self, player: Player):
        self.name = player.name
        self._player = player

    def close(self) -> None:
        self._player.close()


class AnalysisStudent(_PlayerStudent):
    """A player that analyses (``mcts``, ``netmcts``, ``policy``): its root policy and value."""

    def evaluate(self, positions, progress=lambda n: None):
        return [StudentOutput(analysis.best_move, analysis.moves, analysis.policy, analysis.value)
                for analysis in self._player.analyse(positions, progress)]


class MoveStudent(_PlayerStudent):
    """An engine that only names its move (Stockfish, greedy, random, any UCI engine)."""

    def evaluate(self, positions, progress=lambda n: None):
        outputs = []
        for position in positions:
            self._player.new_game()
            move = self._player.choose(position.to_board(), Limit()).move.uci()
            outputs.append(StudentOutput(move, _uci_moves(position), None))
            progress(1)
        return outputs


def make_student(spec: str, seed: int | None = None) -> Student:
    """The student an engine spec names; ValueError (a ``SpecError``) for a bad spec.

    The spec's player answers: through its analysis when it has one (``policy:ckpt=PATH``
    batched, ``device`` and ``threads`` as for the player), else position by position with the
    move it chooses.
    """
    player = make_player(spec, seed=seed)
    return AnalysisStudent(player) if isinstance(player, Analyser) else MoveStudent(player)


def student_answers(spec: str, labels: LabelSet, seed: int | None = None,
                    progress: Callable[[int], None] = lambda n: None) -> tuple[str, list[StudentOutput]]:
    """The student ``spec``'s name and its answers for every position of ``labels``."""
    student = make_student(spec, seed)
    try:
        return student.name, student.evaluate([p.position() for p in labels.positions], progress)
    finally:
        student.close()
