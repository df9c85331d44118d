"""Position sources, split into deterministic tasks.

A source has two halves. Its *plan* runs once in the parent: it reads what the task order needs
(a position file's lines, a PGN file's game offsets, an opening book) and cuts the work into tasks.
Its *candidates* function runs in a worker: given one task's payload and the task's own random
generator, it returns the positions to label. A task depends only on the config and its number,
never on the worker that runs it, so any number of workers produce the same candidates.

Lines and games are parsed by the workers, in parallel, and a bad one is skipped and counted
(``--bad-lines skip``; the first few are named in the manifest). With ``--bad-lines error`` the
plan parses everything before any search instead, and the first bad line is an error naming it.

With several sources, tasks take turns in the order given (a finished source drops out):
``selfplay`` and ``pgn:games.pgn`` give selfplay game 0, pgn game 0, selfplay game 1, ...

>>> from chessmesa.datasets.config import GenerateConfig
>>> plan = TaskPlan(GenerateConfig(positions=10))
>>> task = plan.task(3)
>>> task.index, task.source, task.number, task.payload
(3, 0, 3, None)
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from chessmesa.datasets.config import GenerateConfig, SourceSpec
from chessmesa.datasets.errors import SourceError
from chessmesa.datasets.shards import file_sha256


@dataclass(frozen=True)
class Task:
    """One unit of work: ``index`` is its place in the global commit order; ``number`` its place
    within its source (the game or chunk it names)."""

    index: int
    source: int
    number: int
    payload: Any


@dataclass
class Candidate:
    """A position to label, with where it came from. ``position`` is built from ``fen`` alone,
    without game history, so that its labels are a function of the FEN."""

    fen: str
    position: Any  # chessmesa.core.Position
    game_id: int
    ply: int
    result: int | None = None
    labels: list | None = None  # self-play labels its positions while it plays


#: First bad lines a task reports by name (the rest are only counted).
BAD_LINES_NAMED = 3


@dataclass
class TaskContext:
    """What a source's candidates function may use in a worker."""

    config: GenerateConfig
    spec: SourceSpec
    rng: np.random.Generator
    labeller: Any  # chessmesa.datasets.labelling.Labeller
    skipped: Counter = field(default_factory=Counter)  # reason -> count, reported in the manifest
    bad_lines: list[str] = field(default_factory=list)  # the first ones, named

    def bad_line(self, line: int, reason: str, what: str = "line") -> None:
        """A line (or game) that cannot be used: skipped and counted, or an error naming it."""
        message = bad_line_message(self.spec.path, line, reason)
        if self.config.bad_lines == "error":  # the plan checked every line: only a changed file
            raise SourceError(message + " (use --bad-lines skip to skip bad lines)")
        self.skipped[f"bad {what}"] += 1
        if len(self.bad_lines) < BAD_LINES_NAMED:
            self.bad_lines.append(message)


def bad_line_message(path: str, line: int, reason: str) -> str:
    return f"{path} line {line}: {reason}"


def check_up_front(path: str, items: Iterable, problem: Callable[[Any], str | None],
                   line: Callable[[Any], int]) -> None:
    """``--bad-lines error``: check every item before any search; the first with a ``problem``
    is a ``SourceError`` naming its ``line``."""
    for item in items:
        reason = problem(item)
        if reason is not None:
            raise SourceError(bad_line_message(path, line(item), reason)
                              + " (use --bad-lines skip to skip bad lines)")


def task_rng(config: GenerateConfig, task: Task) -> np.random.Generator:
    """The task's random generator: a function of the seed, the source and the task number."""
    return np.random.default_rng([config.seed, task.source, task.number])


def file_digest(path: str) -> dict:
    """``{"path", "bytes", "sha256"}`` of a source file; a missing file is a ``SourceError``."""
    try:
        return {"path": path, "bytes": os.path.getsize(path), "sha256": file_sha256(path)}
    except OSError as error:
        raise SourceError(f"cannot read source file {path}: {error.strerror}") from None


def _kinds() -> dict[str, tuple[type, Callable[..., list[Candidate]]]]:
    """Each kind's plan class and candidates function (imported here: they need the engine)."""
    from chessmesa.datasets.sources import book, pgn, playout, positions_file, selfplay

    return {
        "selfplay": (book.OpeningBookPlan, selfplay.candidates),
        "random": (book.OpeningBookPlan, playout.candidates),
        "epd": (positions_file.PositionsFilePlan, positions_file.candidates),
        "fen": (positions_file.PositionsFilePlan, positions_file.candidates),
        "pgn": (pgn.PgnPlan, pgn.candidates),
    }


def source_candidates(config: GenerateConfig, task: Task, labeller) -> tuple[list[Candidate], TaskContext]:
    """Run one task's source in a worker: its candidates, and its context (what it skipped)."""
    spec = config.sources[task.source]
    context = TaskContext(config, spec, task_rng(config, task), labeller)
    return _kinds()[spec.kind][1](task.payload, task.number, context), context


class TaskPlan:
    """The global task sequence of a config: ``task(i)`` is the i-th task, ``None`` once every
    source is exhausted. Source files are read and checked when the plan is made."""

    def __init__(self, config: GenerateConfig):
        kinds = _kinds()
        self.config = config
        self.plans = [kinds[spec.kind][0](spec, config, index) for index, spec in enumerate(config.sources)]
        self._order: list[tuple[int, int]] = []  # task index -> (source, number)
        self._turns = self._round_robin()

    @property
    def inputs(self) -> list[dict]:
        """What each source read: files with their size, checksum and skipped lines."""
        return [plan.input_info() for plan in self.plans]

    def task(self, index: int) -> Task | None:
        while len(self._order) <= index:
            turn = next(self._turns, None)
            if turn is None:
                return None
            self._order.append(turn)
        source, number = self._order[index]
        return Task(index, source, number, self.plans[source].payload(number))

    def _round_robin(self) -> Iterator[tuple[int, int]]:
        numbers = [0] * len(self.plans)
        active = list(range(len(self.plans)))
        while active:
            for source in list(active):
                count = self.plans[source].count
                if count is not None and numbers[source] >= count:
                    active.remove(source)
                    continue
                yield source, numbers[source]
                numbers[source] += 1
