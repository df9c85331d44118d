"""``chessmesa train`` and ``chessmesa sweep``: distil the searcher into students."""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, print_json, progress_bar


def _int_list(ctx, param, value: str) -> list[int]:
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        numbers = []
    if not numbers or any(n <= 0 for n in numbers):
        raise BadInput(f"bad {param.opts[0]} {value!r}: expected positive integers separated by commas")
    return numbers


def _target(ctx, param, value: str) -> str:
    from chessmesa.datasets.targets import parse_target

    try:
        return parse_target(value)
    except ValueError as error:
        raise BadInput(f"--target: {error}") from None


def training_options(command):
    """The options ``train`` and ``sweep`` share (the TrainConfig fields other than the grid)."""
    options = [
        click.option("--data", type=click.Path(), help="Dataset folder (required, unless train's --config names one)."),
        click.option("--target", default="visits", show_default=True, callback=_target,
                     help="Policy target: visits (the visit shares), best (the best move, one-hot), "
                     "sharpen:T (visits ** (1/T), normalised; T < 1 sharpens) or improved "
                     "(Gumbel's improved policy)."),
        click.option("--value-weight", type=click.FloatRange(0), default=1.0, show_default=True,
                     help="Weight of the value loss."),
        click.option("--q-weight", type=click.FloatRange(0), default=0.0, show_default=True,
                     help="Weight of the action-value loss: the Q head learns the teacher's Q of every "
                     "visited move (play by it with policy:ckpt=RUN,select=q)."),
        click.option("--result-weight", type=click.FloatRange(0, 1), default=0.0, show_default=True,
                     help="Share of the game result in the value target (else the root value)."),
        click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True),
        click.option("--lr", type=click.FloatRange(0, min_open=True), default=2e-3, show_default=True,
                     help="Peak learning rate (AdamW, warm-up then cosine)."),
        click.option("--weight-decay", type=click.FloatRange(0), default=0.01, show_default=True),
        click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True),
                     help="Share of the games held out for validation [default: the dataset's "
                     "split, generate --holdout]."),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N."),
        click.option("--threads", type=click.IntRange(1), help="torch CPU threads (default: torch's)."),
        click.option("--eval-every", type=click.IntRange(1), default=250, show_default=True,
                     help="Steps between validations."),
        click.option("--checkpoint-every", type=click.IntRange(1), default=500, show_default=True,
                     help="Steps between checkpoints (and one at the end)."),
        click.option("--snapshot-every", type=click.IntRange(0), default=0, show_default=True,
                     help="Keep the model every N steps in RUN/snapshots/ (for analyze lookahead over "
                     "training); 0: never."),
        click.option("--json", "as_json", is_flag=True, help="Print the final metrics as JSON."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def _config(**fields):
    from chessmesa.nn.train import TrainConfig

    for name in ("data", "teacher_budget"):
        if fields.get(name) is None:
            raise BadInput(f"missing --{name.replace('_', '-')} (or a run's --config that sets it)")
    try:
        return TrainConfig(**fields)
    except ValueError as error:
        raise BadInput(str(error)) from None


def _saved_training(path: str) -> dict:
    """The training fields a run folder (or its ``config.json``) recorded; BadInput when unreadable."""
    import json
    from pathlib import Path

    from chessmesa.nn.train import CONFIG_FILE, TrainConfig

    file = Path(path) / CONFIG_FILE if Path(path).is_dir() else Path(path)
    try:
        saved = json.loads(file.read_text(encoding="utf-8"))["train"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput(f"cannot read a run's training config from {str(file)!r}: {error}") from None
    known = {field.name for field in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(saved) - known)
    if unknown:
        raise BadInput(f"{file}: unknown training field(s) {', '.join(unknown)}")
    return saved


def _given_on_command_line(fields: dict) -> dict:
    """The ``fields`` the command line set, leaving out the defaults click filled in."""
    context = click.get_current_context()
    return {name: value for name, value in fields.items()
            if context.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}


def _check_inputs(config, budgets: list[int], out: str | None = None, resume: bool = False) -> None:
    """What ``train`` and ``sweep`` read, checked before any work: the dataset holds every one of
    ``budgets``, the run folder ``out`` may be written (or resumed), and the ``init`` weights are
    of the model being trained. Each failure is ``BadInput`` naming it."""
    from pathlib import Path

    from chessmesa.datasets import DatasetError, read_manifest
    from chessmesa.nn.checkpoint import CHECKPOINT_FILE, read_checkpoint_metadata

    try:
        generation = read_manifest(config.data)["config"]
    except DatasetError as error:
        raise BadInput(str(error)) from None
    present = generation["budgets"]
    if config.target == "improved" and not generation.get("search", {}).get("gumbel"):
        raise BadInput(f"--target improved: dataset {config.data} has no improved policy "
                       "(it was generated without Gumbel: generate --engine mcts:gumbel=true)")
    missing = sorted(set(budgets) - set(present))
    if missing:
        raise BadInput(f"teacher budget {missing[0]} not in dataset {config.data}; its budgets: "
                       f"{', '.join(map(str, present))}")
    try:
        if out is not None:
            from chessmesa.nn.train import _check_run_folder

            _check_run_folder(Path(out), config, resume)
            if resume and (Path(out) / CHECKPOINT_FILE).exists():
                read_checkpoint_metadata(Path(out) / CHECKPOINT_FILE)  # a corrupt one fails here
        if config.init is not None:
            from chessmesa.nn import load_model
            from chessmesa.nn.train import run_architecture

            if load_model(config.init)[1] != run_architecture(config):
                raise ValueError(f"cannot start from {config.init}: it is not a {config.model} model "
                                 f"of this run's architecture")
    except ValueError as error:
        raise BadInput(str(error)) from None


def _set_threads(threads: int | None) -> None:
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


class StepProgress:
    """A progress bar for training steps, opened at the first report (when the total is known,
    and a resumed run starts part way) and closed by ``close``."""

    def __init__(self, description: str, enabled: bool):
        self.description, self.enabled = description, enabled
        self._stack = contextlib.ExitStack()
        self._advance, self._done = None, 0

    def __call__(self, step: int, total: int, info: dict) -> None:
        if not self.enabled:
            return
        if self._advance is None:
            self._advance = self._stack.enter_context(progress_bar(self.description, total))
            self._done = step - 1
        self._advance(step - self._done, f"{info['samples_per_second']:,.0f} samples/s  "
                                         f"loss {info['loss']:.3f}")
        self._done = step

    def close(self) -> None:
        self._stack.close()


@main.command()
@click.option("--config", "from_run", type=click.Path(exists=True),
              help="Train again as a run did: its folder or config.json; options given here override it.")
@click.option("--teacher-budget", type=click.IntRange(1),
              help="The budget whose labels the student imitates (required, unless --config sets it).")
@click.option("--model", default="tiny", show_default=True, help="Model size: tiny, small, medium, transformer.")
@click.option("--steps", type=click.IntRange(1), help="Optimizer steps.")
@click.option("--epochs", type=click.FloatRange(0, min_open=True), help="Passes over the training positions.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--init", type=click.Path(exists=True), help="Start from these weights (a run folder or model file of "
                                               "the same model size): a warm start.")
@training_options
def train(from_run, teacher_budget, model, steps, epochs, out, resume, init, threads, as_json, **options):
    """Train a student on one teacher budget's labels.

    \b
    chessmesa train --data data --teacher-budget 64 --model tiny --steps 2000 --out runs/tiny-64
    chessmesa train --data data --teacher-budget 64 --model small --epochs 3 --out runs/s --resume
    chessmesa train --data data2 --teacher-budget 64 --steps 500 --init runs/tiny-64 --out runs/tiny-64-more
    chessmesa train --config runs/tiny-64 --seed 1 --out runs/tiny-64-seed1
    """
    from chessmesa.nn.train import train as run_training

    fields = dict(teacher_budget=teacher_budget, model=model, steps=steps, epochs=epochs, init=init, **options)
    if from_run:
        given = _given_on_command_line(fields)
        if {"steps", "epochs"} & set(given):  # one of the two: the one given replaces the run's
            given = {"steps": None, "epochs": None, **given}
        fields = {**_saved_training(from_run), **given}
    config = _config(**fields)
    _check_inputs(config, [config.teacher_budget], out, resume)
    _set_threads(threads)
    with contextlib.closing(StepProgress(f"training {out}", enabled=not as_json)) as progress:
        metrics = run_training(config, out, resume=resume, on_progress=progress)
    if as_json:
        print_json(metrics)
        return
    console.print(_summary_line(metrics))


def _fmt(value, spec: str) -> str:
    """A metric that may be missing (no validation split): ``n/a``."""
    return "n/a" if value is None else format(value, spec)


def _summary_line(metrics: dict) -> str:
    return (f"{metrics['run']}: {metrics['model']} on budget {metrics['teacher_budget']}, "
            f"{metrics['steps']:,} steps, {metrics['samples']:,} samples in {metrics['seconds']:.1f} s "
            f"({metrics['train_flops']:.3g} FLOPs); held-out top-1 {_fmt(metrics['val_top1_strict'], '.1%')} "
            f"against its teacher, "
            f"KL {_fmt(metrics['val_kl_bits'], '.3f')} bits")


@main.command()
@click.option("--teacher-budgets", required=True, callback=_int_list, help="Budgets, e.g. 16,64,256.")
@click.option("--models", default="tiny", show_default=True, help="Model sizes, e.g. tiny,small.")
@click.option("--steps", "steps_grid", required=True, callback=_int_list, help="Steps, e.g. 200,800.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Sweep folder.")
@training_options
def sweep(teacher_budgets, models, steps_grid, out, threads, as_json, **options):
    """Train a grid of students: teacher budgets x model sizes x steps, one run folder each.

    Resumable: finished runs are read back, unfinished ones continue from their checkpoint.

    \b
    chessmesa sweep --data data --teacher-budgets 16,64 --models tiny,small --steps 200,800 --out runs/sweep
    """
    from chessmesa.nn.sweep import SUMMARY_FILE, sweep as run_sweep

    sizes = [m.strip() for m in models.split(",") if m.strip()]
    config = _config(teacher_budget=teacher_budgets[0], model=sizes[0] if sizes else "",
                     steps=steps_grid[0], **options)
    _check_inputs(config, teacher_budgets)
    for size in sizes[1:]:
        _config(teacher_budget=teacher_budgets[0], model=size, steps=steps_grid[0], **options)
    _set_threads(threads)
    bars: list[StepProgress] = []

    def progress_for(run):
        if bars:
            bars.pop().close()
        bars.append(StepProgress(f"training {run.name}", enabled=not as_json))
        return bars[-1]

    try:
        results = run_sweep(config, teacher_budgets, sizes, steps_grid, out, progress_for)
    finally:
        for bar in bars:
            bar.close()
    if as_json:
        print_json(results)
        return
    console.print(_summary_table(results))
    console.print(f"summary: {out}/{SUMMARY_FILE}")


def _summary_table(results: list[dict]):
    from rich.table import Table

    table = Table(title="sweep")
    for column in ("budget", "model", "params", "steps", "FLOPs", "seconds", "top-1 vs teacher", "KL bits"):
        table.add_column(column, justify="right")
    for m in results:
        table.add_row(str(m["teacher_budget"]), m["model"], f"{m['parameters']:,}", f"{m['steps']:,}",
                      f"{m['train_flops']:.3g}", f"{m['seconds']:.1f}", _fmt(m["val_top1_strict"], ".1%"),
                      _fmt(m["val_kl_bits"], ".3f"))
    return table
