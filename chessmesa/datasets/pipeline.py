"""``generate``: tasks out to the workers, results back in task order, shards to disk.

The scheduler keeps every worker busy while holding only a few tasks beyond what the remaining
positions need (the last tasks of a run are the only wasted work), and commits results strictly
in task order (:mod:`chessmesa.datasets.writer`), so the rows never depend on the workers.
The first Ctrl-C stops the run once the results at hand are committed and saved as a shard; a
failing task saves the tasks committed before it, then its error is raised.

>>> import tempfile
>>> from chessmesa.datasets.config import GenerateConfig, SourceSpec
>>> config = GenerateConfig(positions=6, budgets=(4, 8), sources=(SourceSpec("random"),))
>>> report = generate(config, tempfile.mkdtemp() + "/data", workers=1)  # doctest: +SKIP
>>> report.positions, report.rows  # doctest: +SKIP
(6, 12)
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.labelling import load_evaluator
from chessmesa.datasets.sources import TaskPlan
from chessmesa.datasets.worker import TaskResult
from chessmesa.datasets.writer import DatasetWriter

BACKENDS = ("local", "ray")
#: How long the scheduler waits for a result before it checks again (and refreshes progress).
POLL_SECONDS = 0.25


@dataclass
class GenerateReport:
    """What a call to :func:`generate` did."""

    out: str
    positions: int  # in the dataset now
    requested: int
    rows: int
    added: int  # positions added by this call
    seconds: float
    setup_seconds: float  # of ``seconds``: reading the sources and --out before the first task
    search_seconds: float  # time the workers spent searching during this call, all added up
    workers: int
    backend: str
    complete: bool
    exhausted: bool = False
    interrupted: bool = False
    skipped: dict = field(default_factory=dict)  # reason -> count: duplicate, game over, bad line...
    bad_lines: list = field(default_factory=list)  # the first bad lines of the source files, named
    inputs: list = field(default_factory=list)  # the source files: path, size, checksum
    held_out: dict = field(default_factory=dict)  # games and positions held out (datasets.holdout)

    @property
    def positions_per_second(self) -> float:
        return self.added / self.seconds if self.seconds > 0 else 0.0

    @property
    def outside_search_share(self) -> float:
        """The share of the workers' wall time not spent searching (start-up, sources,
        encoding, transfer, writing, idling)."""
        busy = self.workers * self.seconds
        return 1 - self.search_seconds / busy if busy > 0 and self.added else 0.0

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data.update(positions_per_second=round(self.positions_per_second, 2),
                    outside_search_share=round(self.outside_search_share, 4))
        return data


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def generate(config: GenerateConfig, out: str | Path, *, workers: int | None = None,
             backend: str = "local", ray_address: str | None = None, resume: bool = False,
             progress: Callable[[int, int], None] | None = None) -> GenerateReport:
    """Generate (or with ``resume`` continue) the dataset of ``config`` in the folder ``out``.

    ``workers``: processes (local; default all cores) or actors (Ray; default all the cluster's
    CPUs). ``progress(positions, total)`` is called as positions are committed. Raises
    :class:`DatasetError` (``SourceError`` for sources) for bad input, before any search where it
    can: a non-empty ``out`` without ``resume``, a config that differs from the one being
    resumed, a missing or bad source file.
    """
    if backend not in BACKENDS:
        raise DatasetError(f"unknown backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise DatasetError(f"workers must be at least 1, got {workers}")
    started = time.time()
    if config.network is not None:
        load_evaluator(config)  # a bad checkpoint fails here, in one line, not in every worker
    pool = _make_pool(config, workers, backend, ray_address)  # starts while the sources are read
    try:
        plan = TaskPlan(config)
        writer = DatasetWriter.open(out, config, plan.inputs, resume)
    except BaseException:
        pool.close()
        raise
    before, setup = writer.positions, time.time() - started
    if writer.complete:
        pool.close()
        return _report(writer, config, started, setup, 0, 0.0, pool.workers, backend, exhausted=False)
    scheduler = _Scheduler(plan, writer, pool, progress)

    def save() -> None:
        run = {"started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
               "seconds": round(time.time() - started, 3), "workers": pool.workers,
               "backend": backend, "positions_added": writer.positions - before}
        writer.finish(run, scheduler.exhausted)

    try:
        with _ctrl_c_stops(scheduler):
            scheduler.run()
    except KeyboardInterrupt:
        raise  # a second Ctrl-C: stop at once; the shards and manifest on disk stay consistent
    except BaseException:
        save()  # a task failed: keep the tasks committed before it
        raise
    else:
        save()
    finally:
        pool.close()
    return _report(writer, config, started, setup, writer.positions - before,
                   scheduler.search_seconds, pool.workers, backend, scheduler.exhausted,
                   scheduler.interrupted)


@contextmanager
def _ctrl_c_stops(scheduler: _Scheduler) -> Iterator[None]:
    """The first Ctrl-C asks the scheduler to stop once the current results are committed; a
    second one raises ``KeyboardInterrupt`` at once. (Signal handlers live in the main thread
    only; elsewhere Ctrl-C keeps its usual effect.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame) -> None:
        scheduler.interrupted = True
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _make_pool(config: GenerateConfig, workers: int | None, backend: str, ray_address: str | None):
    if backend == "ray":
        from chessmesa.datasets.ray_pool import RayPool

        return RayPool(config, workers, ray_address)
    from chessmesa.datasets.local_pool import LocalPool

    return LocalPool(config, workers or default_workers())


def _report(writer: DatasetWriter, config: GenerateConfig, started: float, setup: float,
            added: int, search_seconds: float, workers: int, backend: str, exhausted: bool,
            interrupted: bool = False) -> GenerateReport:
    return GenerateReport(
        out=str(writer.directory), positions=writer.positions, requested=config.positions,
        rows=writer.counts["rows"], added=added, seconds=time.time() - started,
        setup_seconds=setup, search_seconds=search_seconds, workers=workers, backend=backend,
        complete=writer.complete,
        exhausted=exhausted and not writer.done, interrupted=interrupted,
        skipped=dict(writer.counts["skipped"]), bad_lines=list(writer.counts["bad_lines"]),
        inputs=writer.manifest["inputs"], held_out=dict(writer.counts.get("held_out", {})))


class _Scheduler:
    """Submits tasks, collects results, commits them in order."""

    def __init__(self, plan: TaskPlan, writer: DatasetWriter, pool, progress):
        self.plan, self.writer, self.pool = plan, writer, pool
        self.progress = progress or (lambda positions, total: None)
        self.next_submit = writer.next_task
        self.in_flight = 0
        self.finished: dict[int, TaskResult] = {}  # done, waiting for earlier tasks
        self.candidates = self.tasks_done = 0  # for the expected yield of a task
        self.search_seconds = 0.0
        self.no_more_tasks = False  # every task has been submitted
        self.exhausted = False  # ... and committed, short of the positions asked for
        self.interrupted = False

    def run(self) -> None:
        total = self.writer.config.positions
        self.progress(self.writer.positions, total)
        while not self.writer.done and not self.interrupted:
            self._submit()
            if self.in_flight == 0:  # only when there is no task left to submit
                self.exhausted = True
                break
            for result in self.pool.completed(POLL_SECONDS):
                self.in_flight -= 1
                self.finished[result.index] = result
                self.candidates += len(result.hashes)
                self.tasks_done += 1
                self.search_seconds += result.search_seconds
            committed = self.writer.positions
            while self.writer.next_task in self.finished and not self.writer.done:
                self.writer.commit(self.finished.pop(self.writer.next_task))
            if self.writer.positions != committed:
                self.progress(self.writer.positions, total)

    def _submit(self) -> None:
        window = 2 * self.pool.workers
        while not self.no_more_tasks and self.in_flight < window and self._need_more():
            task = self.plan.task(self.next_submit)
            if task is None:
                self.no_more_tasks = True
                return
            self.pool.submit(task)
            self.in_flight += 1
            self.next_submit += 1

    def _need_more(self) -> bool:
        """Whether the tasks under way are not yet expected to fill the remaining positions."""
        if self.tasks_done == 0:
            return self.in_flight < self.pool.workers
        expected = sum(len(r.hashes) for r in self.finished.values()) \
            + self.in_flight * self.candidates / self.tasks_done
        return expected < self.writer.config.positions - self.writer.positions
