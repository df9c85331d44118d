"""Several training runs at once, one process each: both cores busy where one torch thread each
pays better than two threads in one process (measured: ``bench/train.py``).

Runs go to ``workers`` spawned processes (torch is not safe to fork once threads have started),
each with one torch thread; their steps come back through a queue so that the caller can show
progress. Each run is resumable as :func:`~chessmesa.nn.train.train` is, so a stopped batch of
runs continues where each run stopped.

>>> train_runs([], workers=2)
[]
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from queue import Empty
from typing import Callable

from chessmesa.nn.train import TrainConfig, train

#: ``on_step(run index, step, total)``
StepCallback = Callable[[int, int, int], None]


def _train_one(index: int, config: TrainConfig, out: Path, steps) -> dict:
    import torch

    torch.set_num_threads(1)
    return train(config, out, resume=True, on_progress=lambda step, total, info: steps.put((index, step, total)))


def train_runs(jobs: list[tuple[TrainConfig, Path]], workers: int,
               on_step: StepCallback = lambda index, step, total: None) -> list[dict]:
    """Train (or resume, or read back) every ``(config, out)`` job; their final metrics in order.

    With one worker (or one job) the runs train here, one after the other.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [train(config, out, resume=True,
                      on_progress=lambda step, total, info, i=i: on_step(i, step, total))
                for i, (config, out) in enumerate(jobs)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        steps = manager.Queue()
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            futures = [pool.submit(_train_one, i, config, Path(out), steps) for i, (config, out) in enumerate(jobs)]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(steps, on_step)
            _drain(steps, on_step)
            return [future.result() for future in futures]


def _drain(steps, on_step: StepCallback) -> None:
    while True:
        try:
            on_step(*steps.get_nowait())
        except Empty:
            return
