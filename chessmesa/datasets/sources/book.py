"""Start positions of generated games (``selfplay[:BOOK]``, ``random[:BOOK]``): one game per task.

Without a book every game starts from the initial position. With one, game ``i`` starts from
line ``perm[i % n]`` of the book's ``n`` position lines, where ``perm`` is a permutation drawn
from the seed: each line is used once before any is used again, in an order that does not follow
the file. A game whose line is bad is skipped (and counted) by its worker.

>>> from chessmesa.datasets.config import GenerateConfig, SourceSpec
>>> plan = OpeningBookPlan(SourceSpec("selfplay"), GenerateConfig(positions=1), 0)
>>> plan.count is None, plan.payload(5)
(True, None)
"""

from __future__ import annotations

import numpy as np

from chessmesa.core import Position
from chessmesa.datasets.config import GenerateConfig, SourceSpec
from chessmesa.datasets.sources import TaskContext, file_digest
from chessmesa.datasets.sources.positions_file import line_position, read_checked_lines


class OpeningBookPlan:
    """Unbounded tasks; the payload is the game's book line (None: the initial position)."""

    count = None

    def __init__(self, spec: SourceSpec, config: GenerateConfig, index: int):
        self.spec = spec
        self.lines: list[tuple[int, str]] = []
        self.info: dict = {"source": str(spec)}
        if spec.path:
            self.lines = read_checked_lines(spec, config)
            self.order = np.random.default_rng([config.seed, index]).permutation(len(self.lines))
            self.info.update(file_digest(spec.path), lines=len(self.lines))

    def payload(self, number: int) -> tuple[int, str] | None:
        if not self.lines:
            return None
        return self.lines[self.order[number % len(self.lines)]]

    def input_info(self) -> dict:
        return self.info


def start_position(payload: tuple[int, str] | None, context: TaskContext) -> Position | None:
    """A game's first position: the initial one, its book line's, or None for a bad line."""
    if payload is None:
        return Position()
    return line_position(*payload, context)
