"""A generation worker: runs tasks and returns their rows. The same class runs in a local worker
process and as a Ray actor, so both backends produce the same rows.

>>> from chessmesa.datasets.config import GenerateConfig
>>> from chessmesa.datasets.sources import TaskPlan
>>> config = GenerateConfig(positions=5, budgets=(4,), sources=(SourceSpec("random"),), max_plies=5)
>>> result = TaskWorker(config).run(TaskPlan(config).task(0))
>>> result.table.num_rows == len(result.hashes) <= 5
True
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from chessmesa.datasets.config import GenerateConfig, SourceSpec
from chessmesa.datasets.labelling import Labeller
from chessmesa.datasets.rows import RowBuilder
from chessmesa.datasets.sources import Task, TaskPlan, source_candidates
from chessmesa.datasets.split import held_out
from chessmesa.search import SearchParams


@dataclass
class TaskResult:
    """The rows of one task's distinct positions (``position_id`` = index in ``hashes``)."""

    index: int
    table: pa.Table
    hashes: list[int]  # Zobrist hash of each candidate, in candidate order
    skipped: Counter  # reason -> count: game over, duplicate, bad line, bad game
    bad_lines: list[str]  # the first bad lines, named
    search_seconds: float
    seconds: float


class TaskWorker:
    """Labels the candidates of tasks; holds the searchers between tasks (never their trees)."""

    def __init__(self, config: GenerateConfig):
        warm_up()
        self.config = config
        self.labeller = Labeller(config)

    def run(self, task: Task) -> TaskResult:
        return run_task(self.config, self.labeller, task)


def run_task(config: GenerateConfig, labeller: Labeller, task: Task) -> TaskResult:
    """A task's candidates, each labelled once (repeats within the task are counted, not kept)."""
    start, searched = time.perf_counter(), labeller.search_seconds
    found, context = source_candidates(config, task, labeller)
    skipped = context.skipped
    source = config.sources[task.source].label
    rows = RowBuilder(config, source)
    hashes: list[int] = []
    seen: set[int] = set()
    for item in found:
        if item.position.hash in seen:
            skipped["duplicate"] += 1
            continue
        seen.add(item.position.hash)
        hashes.append(item.position.hash)
        labels = item.labels or labeller.label(item.position)
        is_held_out = bool(held_out([source], [item.game_id], config.holdout)[0])
        if is_held_out and config.reference:
            labels = [*labels, labeller.reference(item.position)]
        rows.add(item, labels, is_held_out)
    return TaskResult(task.index, rows.table(), hashes, skipped, context.bad_lines,
                      labeller.search_seconds - searched, time.perf_counter() - start)


def warm_up() -> None:
    """Compile, or load from numba's disk cache, everything a task runs (PUCT and Gumbel), by
    running a tiny task of each.

    The first run on a machine compiles for about 20 s; later processes load the cache in under a
    second. Doing it before the first task keeps that time out of the task timings.
    """
    for gumbel in (False, True):
        config = GenerateConfig(positions=1, budgets=(2, 4), sources=(SourceSpec("random"),),
                                max_plies=4, search=SearchParams(gumbel=gumbel))
        run_task(config, Labeller(config), TaskPlan(config).task(0))
