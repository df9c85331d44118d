"""The steps that ``chessmesa demo`` (:mod:`chessmesa.experiment`) and ``chessmesa iterate``
(:mod:`chessmesa.iteration`) share: guarding a run folder's configuration, labelling a dataset
and training students, each with its progress bar and each skipped or resumed where its output is
already there.

A progress factory is ``progress(description, total) -> context manager yielding advance(n)``
(the command line passes rich bars, a library caller :class:`silent_progress`).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Callable

ProgressFactory = Callable[[str, int | None], AbstractContextManager]


class silent_progress:
    """A :data:`ProgressFactory` that shows nothing (the library's default; the CLI passes rich bars)."""

    def __init__(self, description: str, total: int | None):
        pass

    def __enter__(self):
        return lambda n=1, rate="": None

    def __exit__(self, *exc) -> None:
        return None


def guard_run_folder(path: Path, wanted: dict, what: str) -> None:
    """Refuse to resume a run folder that holds another configuration, naming the fields that
    differ, then record ``wanted`` in ``path`` (a JSON file).

    A field the saved configuration lacks came with a newer version: the stages it steers have
    not run yet, so the run resumes with it.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "config.json"
    >>> guard_run_folder(path, {"seed": 0}, "a demo")
    >>> guard_run_folder(path, {"seed": 0, "new_stage": 3}, "a demo")  # a field added since: resumes
    >>> try:
    ...     guard_run_folder(path, {"seed": 1, "new_stage": 3}, "a demo")
    ... except ValueError as error:
    ...     print(str(error).split(" holds ")[1])
    a demo with another configuration (seed: 0 saved, 1 now); use another --out or the same settings
    """
    wanted = json.loads(json.dumps(wanted))  # tuples as lists, as the saved file has them
    if path.exists():
        saved = json.loads(path.read_text())
        differ = [f"{name}: {saved[name]!r} saved, {wanted.get(name)!r} now"
                  for name in sorted(saved) if saved[name] != wanted.get(name)]
        if differ:
            raise ValueError(f"{path.parent} holds {what} with another configuration ({'; '.join(differ)}); "
                             "use another --out or the same settings")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(wanted, indent=2))


def _advancer(advance: Callable[[int], None]) -> Callable[[int], None]:
    """``advance`` driven by running totals instead of increments."""
    done = [0]

    def reached(total_so_far: int) -> None:
        advance(total_so_far - done[0])
        done[0] = total_so_far

    return reached


def generate_stage(config, out: Path, progress: ProgressFactory, description: str, workers: int | None = None,
                   backend: str = "local", ray_address: str | None = None) -> None:
    """Label the dataset of ``config`` (a :class:`chessmesa.datasets.GenerateConfig`) into
    ``out``, resuming a folder that holds part of it, under one progress bar of positions."""
    from chessmesa.datasets import generate
    from chessmesa.datasets.manifest import MANIFEST

    with progress(description, config.positions) as advance:
        reached = _advancer(advance)
        generate(config, out, workers=workers, backend=backend, ray_address=ray_address,
                 resume=(out / MANIFEST).exists(), progress=lambda positions, total: reached(positions))


def train_stage(jobs: list, workers: int, progress: ProgressFactory, description: str) -> None:
    """Train every ``(TrainConfig, run folder)`` job not finished yet (resuming a stopped one),
    ``workers`` processes at a time, under one progress bar of steps."""
    from chessmesa.nn.parallel import train_runs
    from chessmesa.nn.train import is_finished

    jobs = [(config, out) for config, out in jobs if not is_finished(out)]
    if not jobs:
        return
    steps = [config.steps for config, _ in jobs]
    total = sum(steps) if None not in steps else None  # a run given in epochs knows its steps only once loaded
    with progress(description, total) as advance:
        reached = [_advancer(advance) for _ in jobs]
        train_runs(jobs, workers, lambda index, step, total: reached[index](step))
