"""Sweeps: a grid of teacher budgets x model sizes x training steps, one run folder each.

A sweep is resumable: a finished run (its ``metrics.json``) is read back, not retrained, and an
unfinished one continues from its last checkpoint. ``summary.json`` in the sweep folder lists the
final metrics of every run of the grid.

>>> run_name(64, "tiny", 800)
'b64-tiny-s800'
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

from chessmesa.nn.checkpoint import atomic_write
from chessmesa.nn.models import model_config
from chessmesa.nn.samples import Samples, load_samples
from chessmesa.nn.train import ProgressCallback, TrainConfig, is_finished, train

SUMMARY_FILE = "summary.json"


def run_name(budget: int, model: str, steps: int) -> str:
    return f"b{budget}-{model}-s{steps}"


def sweep(config: TrainConfig, budgets: list[int], models: list[str], steps: list[int],
          out: str | Path,
          progress_for: Callable[[Path], ProgressCallback | None] = lambda run: None) -> list[dict]:
    """Train (or read back) every run of the grid; ``config`` gives everything but the grid.

    Every model size and budget is checked before the first run starts (ValueError). Each
    budget's samples are loaded once, and only when one of its runs still has to train.
    ``progress_for(run folder)`` returns the progress callback of that run.
    """
    from chessmesa.datasets import load_dataset

    for model in models:
        model_config(model)
    for budget in budgets:
        load_dataset(config.data, budget=budget, columns=["budget"])  # a missing budget fails now
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for budget in budgets:
        samples: Samples | None = None
        for model in models:
            for step_count in steps:
                run = out / run_name(budget, model, step_count)
                if samples is None and not is_finished(run):
                    samples = load_samples(config.data, budget)
                run_config = replace(config, teacher_budget=budget, model=model, steps=step_count,
                                     epochs=None)
                results.append(train(run_config, run, resume=True, samples=samples,
                                     on_progress=progress_for(run)))
    summary = {"data": config.data, "budgets": budgets, "models": models, "steps": steps,
               "runs": results}
    atomic_write(out / SUMMARY_FILE, lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
    return results
