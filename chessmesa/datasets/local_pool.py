"""The local backend: worker processes on this machine.

Workers are forked from a forkserver that preloads and warms the searcher
(:mod:`chessmesa.datasets.preload`): starting a worker then costs a fork, not an interpreter start
plus numba's cache load, and the first compile on a fresh machine happens once, not in every
worker. Workers ignore Ctrl-C, which the parent handles: it saves what is done, then stops.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import signal
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.sources import Task
from chessmesa.datasets.worker import TaskResult, TaskWorker

_worker: TaskWorker | None = None  # the worker of this process (set by ``_start``)


def _start(config: GenerateConfig) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = TaskWorker(config)


def _run(task: Task) -> TaskResult:
    return _worker.run(task)


class LocalPool:
    """``workers`` processes running tasks; results come back in completion order."""

    def __init__(self, config: GenerateConfig, workers: int):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["chessmesa.datasets.preload"])
        # the server starts now and warms up while the caller reads its sources
        multiprocessing.forkserver.ensure_running()
        self.workers = workers
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                                             initargs=(config,))
        self._running: set[Future] = set()

    def submit(self, task: Task) -> None:
        self._running.add(self._executor.submit(_run, task))

    def completed(self, timeout: float) -> list[TaskResult]:
        """Results of tasks finished within ``timeout`` seconds (maybe none); a task's error is
        raised here."""
        done, self._running = wait(self._running, timeout, return_when=FIRST_COMPLETED)
        return [future.result() for future in done]

    def close(self) -> None:
        """Drop queued tasks and wait for the running ones (at most a task each)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
