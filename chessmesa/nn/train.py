"""Distillation: train a student to imitate the searcher's root statistics at one teacher budget.

The loop reads top to bottom (after nanoGPT): load the samples of the teacher budget, split off the
validation positions, build the model and AdamW, then for each step: learning rate (linear warm-up,
cosine decay), a batch, the loss, a step; logging, validation and checkpoints every few steps.

The policy loss is the cross-entropy between the target distribution over the legal moves and the
student's softmax restricted to those moves (illegal moves never compete); the value loss is the
squared error of the value head against the root value, optionally mixed with the game result;
the action-value loss (``q_weight``) is the squared error of the Q head against the teacher's Q of
every move it visited: a label for each visited move, where the policy target has one move.

Everything is seeded: the initial weights (``torch.manual_seed(seed)``) and the order of the
batches (a permutation per epoch drawn from ``(seed, epoch)``), so a run resumed from a checkpoint
takes exactly the steps the uninterrupted run would have taken.

A run folder holds ``config.json`` (this config and the model's), ``model.safetensors`` and
``checkpoint.safetensors`` (:mod:`chessmesa.nn.checkpoint`), ``log.csv`` and, once finished,
``metrics.json``.

>>> TrainConfig(data="data", teacher_budget=16, steps=100).total_steps(train_positions=1000)
100
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from chessmesa.nn.checkpoint import (
    CHECKPOINT_FILE, MODEL_FILE, atomic_write, load_checkpoint, load_model, resolve_checkpoint, save_checkpoint,
    save_model,
)
from chessmesa.nn.models import build_model, forward_flops, model_config, parameter_count
from chessmesa.nn.network import autocast, resolve_device
from chessmesa.nn.planes import encode_arrays
from chessmesa.datasets.split import RULE, check_fraction
from chessmesa.datasets.targets import parse_target
from chessmesa.nn.samples import Samples, load_samples

CONFIG_FILE = "config.json"
LOG_FILE = "log.csv"
METRICS_FILE = "metrics.json"
LOG_COLUMNS = ["step", "samples", "seconds", "lr", "loss", "policy_loss", "value_loss", "q_loss",
               "val_top1_strict", "val_top1_q", "val_kl_bits", "val_policy_loss", "val_value_mse", "val_q_mse"]
EVAL_BATCH = 1024
#: Fields a resumed run may change: where the data lives, the device, how often it reports.
_RESUMABLE_CHANGES = {"data", "device", "log_every", "eval_every", "checkpoint_every", "snapshot_every"}
SNAPSHOTS = "snapshots"  # the folder of a run that keeps its model along training


def snapshot_path(out: Path, step: int) -> Path:
    """Where a run keeps its model at ``step``: ``snapshots/step-0000350.safetensors``."""
    return out / SNAPSHOTS / f"step-{step:07d}.safetensors"


def snapshot_step(path: str | Path) -> int | None:
    """The training step of a snapshot file (None for any other file).

    >>> snapshot_step("runs/a/snapshots/step-0000350.safetensors"), snapshot_step("runs/a/model.safetensors")
    (350, None)
    """
    name = Path(path).name
    if name.startswith("step-") and name.endswith(".safetensors") and name[5:-12].isdigit():
        return int(name[5:-12])
    return None


@dataclass
class TrainConfig:
    """One training run. Give ``steps``, or ``epochs`` (passes over the training positions)."""

    data: str
    teacher_budget: int
    model: str = "tiny"
    steps: int | None = None
    epochs: float | None = None
    target: str = "visits"  # visits | best | sharpen:T | improved (chessmesa.datasets.targets)
    value_weight: float = 1.0
    q_weight: float = 0.0  # weight of the action-value (Q head) loss; above 0 the model gets the head
    result_weight: float = 0.0  # share of the game result in the value target, where known
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.05  # share of the steps spent warming up
    min_lr_ratio: float = 0.1  # the cosine ends at lr * min_lr_ratio
    val_fraction: float | None = None  # games held out; None: the dataset's own split (--holdout)
    init: str | None = None  # start from these weights (a run or model file of the same model)
    seed: int = 0
    device: str = "auto"
    log_every: int = 25
    eval_every: int = 250
    checkpoint_every: int = 500
    snapshot_every: int = 0  # keep the model every N steps (snapshot_path), for analyses over training; 0: never

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("give either steps or epochs")
        parse_target(self.target)
        model_config(self.model)  # an unknown size fails here, before any data is read
        for name in ("steps", "epochs", "batch_size", "lr", "log_every", "eval_every",
                     "checkpoint_every"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.snapshot_every < 0:
            raise ValueError(f"snapshot_every must be 0 (never) or positive, got {self.snapshot_every}")
        if self.val_fraction is not None:
            check_fraction(self.val_fraction)
        if self.init is not None:
            resolve_checkpoint(self.init)  # a missing checkpoint fails here, before any data is read

    def total_steps(self, train_positions: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, math.ceil(self.epochs * train_positions / self.batch_size))


def learning_rate(step: int, total: int, config: TrainConfig) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``lr * min_lr_ratio`` at the last step.

    >>> config = TrainConfig(data="d", teacher_budget=1, steps=100, lr=1.0, warmup=0.1)
    >>> [round(learning_rate(s, 100, config), 3) for s in (0, 9, 10, 99)]
    [0.1, 1.0, 1.0, 0.1]
    """
    warmup = max(1, round(config.warmup * total))
    if step < warmup:
        return config.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - 1 - warmup)
    ratio = config.min_lr_ratio
    return config.lr * (ratio + (1 - ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW, with weight decay on the weight matrices and kernels only (not on biases and norms)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=config.lr)


@lru_cache(maxsize=4)
def _permutation(positions: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(positions)


def batch_rows(step: int, batch_size: int, positions: int, seed: int) -> np.ndarray:
    """The training rows of batch ``step``: consecutive slices of a stream of per-epoch
    permutations, so the order depends only on ``(seed, step)``.

    >>> sorted(np.concatenate([batch_rows(s, 4, 8, seed=0) for s in range(2)]).tolist())
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    stream = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs, offsets = np.divmod(stream, positions)
    rows = np.empty(batch_size, dtype=np.int64)
    for epoch in np.unique(epochs):
        rows[epochs == epoch] = _permutation(positions, seed, int(epoch))[offsets[epochs == epoch]]
    return rows


@dataclass
class Batch:
    """A batch on the device; legal-move columns trimmed to the batch's widest row."""

    planes: torch.Tensor
    indices: torch.Tensor
    legal: torch.Tensor  # bool mask of the real (non-padding) move columns
    policy: torch.Tensor
    value: torch.Tensor
    best: torch.Tensor
    visits: torch.Tensor
    q: torch.Tensor
    q_known: torch.Tensor  # the moves whose Q the teacher measured (visited)


def make_batch(samples: Samples, policy: np.ndarray, value: np.ndarray, rows: np.ndarray,
               device: torch.device) -> Batch:
    counts = samples.counts[rows]
    width = int(counts.max())

    def put(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array)).to(device)

    return Batch(
        planes=put(encode_arrays(samples.leaf_bb[rows], samples.leaf_st[rows], samples.repetitions[rows])),
        indices=put(samples.indices[rows, :width]),
        legal=put(np.arange(width)[None, :] < counts[:, None]),
        policy=put(policy[rows, :width]),
        value=put(value[rows]),
        best=put(samples.best[rows]),
        visits=put(samples.visits[rows, :width]),
        q=put(samples.q[rows, :width]),
        q_known=put(samples.q_known[rows, :width]),
    )


def legal_log_softmax(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Log-probabilities over each row's legal moves; 0 in the padding columns (never -inf, so
    that a zero target times it stays zero)."""
    legal_logits = logits.gather(1, batch.indices).masked_fill(~batch.legal, -torch.inf)
    return torch.log_softmax(legal_logits, dim=1).masked_fill(~batch.legal, 0.0)


def legal_action_values(action_values: torch.Tensor, batch: Batch) -> torch.Tensor:
    """The Q head's value of each row's legal moves, aligned with the batch's move columns."""
    return action_values.float().gather(1, batch.indices)


def q_squared_error(action_values: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Summed squared error of the Q head on the moves the teacher visited."""
    errors = (legal_action_values(action_values, batch) - batch.q) ** 2
    return torch.where(batch.q_known, errors, 0.0).sum()


def losses(logits: torch.Tensor, values: torch.Tensor, action_values: torch.Tensor | None, batch: Batch,
           config: TrainConfig) -> dict[str, torch.Tensor]:
    log_probs = legal_log_softmax(logits.float(), batch)
    policy_loss = -(batch.policy * log_probs).sum(1).mean()
    value_loss = F.mse_loss(values.float(), batch.value)
    found = {"loss": policy_loss + config.value_weight * value_loss, "policy_loss": policy_loss,
             "value_loss": value_loss}
    if action_values is not None:
        found["q_loss"] = q_squared_error(action_values, batch) / batch.q_known.sum().clamp_min(1)
        found["loss"] = found["loss"] + config.q_weight * found["q_loss"]
    return found


@torch.no_grad()
def evaluate(model: nn.Module, samples: Samples, config: TrainConfig,
             device: torch.device) -> dict[str, float | None]:
    """Validation metrics: ``top1_strict`` (the student's argmax is the teacher's best move; the
    analyses also count ties, :mod:`chessmesa.analysis.agreement`), ``top1_q`` (the same for the
    Q head's argmax), ``kl_bits`` (KL(teacher visit shares || student) in bits), ``policy_loss``
    (against the training target), ``value_mse`` and ``q_mse`` (per visited move); None for an
    empty split, and the Q head's for a model without one."""
    names = ("top1_strict", "top1_q", "kl_bits", "policy_loss", "value_mse", "q_mse")
    if len(samples) == 0:
        return dict.fromkeys(names)
    was_training = model.training
    model.eval()
    policy, value = samples.policy_target(config.target), samples.value_target(config.result_weight)
    totals = dict.fromkeys(names, 0.0)
    for start in range(0, len(samples), EVAL_BATCH):
        batch = make_batch(samples, policy, value, np.arange(start, min(start + EVAL_BATCH, len(samples))),
                           device)
        with autocast(device):
            logits, values, action_values = model(batch.planes)
        log_probs = legal_log_softmax(logits.float(), batch)
        teacher = batch.visits
        entropy_terms = torch.where(teacher > 0, teacher * torch.log(teacher.clamp_min(1e-30)), 0.0)
        totals["top1_strict"] += (log_probs.masked_fill(~batch.legal, -torch.inf).argmax(1) == batch.best).sum().item()
        totals["kl_bits"] += (entropy_terms - teacher * log_probs).sum().item() / math.log(2)
        totals["policy_loss"] += -(batch.policy * log_probs).sum().item()
        totals["value_mse"] += F.mse_loss(values.float(), batch.value, reduction="sum").item()
        if action_values is not None:
            legal_q = legal_action_values(action_values, batch).masked_fill(~batch.legal, -torch.inf)
            totals["top1_q"] += (legal_q.argmax(1) == batch.best).sum().item()
            totals["q_mse"] += q_squared_error(action_values, batch).item()
    model.train(was_training)
    found = {name: total / len(samples) for name, total in totals.items()}
    found["q_mse"] = totals["q_mse"] / max(int(samples.q_known.sum()), 1)
    if action_values is None:  # no Q head
        found["top1_q"] = found["q_mse"] = None
    return found


class CsvLog:
    """``log.csv``: a row every ``log_every`` steps; rows past a resumed checkpoint are dropped."""

    def __init__(self, path: Path, resume_step: int):
        self.path = path
        kept = []
        if resume_step and path.exists():
            with path.open(newline="") as file:
                kept = [row for row in csv.DictReader(file) if int(row["step"]) <= resume_step]
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, LOG_COLUMNS)
            writer.writeheader()
            writer.writerows(kept)

    def write(self, row: dict) -> None:
        with self.path.open("a", newline="") as file:
            csv.DictWriter(file, LOG_COLUMNS).writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _check_run_folder(out: Path, config: TrainConfig, resume: bool) -> bool:
    """Whether ``out`` holds a checkpoint to resume; ValueError when it holds a run that this call
    must not touch (no ``--resume``, or a different config)."""
    if not (out / CHECKPOINT_FILE).exists():
        return False
    if not resume:
        raise ValueError(f"run folder {out} already holds a run: pass --resume to continue it, "
                         "or choose another --out")
    try:
        saved = json.loads((out / CONFIG_FILE).read_text())["train"]
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"cannot resume {out}: unreadable {CONFIG_FILE} ({error})") from None
    changed = [f.name for f in fields(config) if f.name not in _RESUMABLE_CHANGES
               and saved.get(f.name) != getattr(config, f.name)]
    if changed:
        name = changed[0]
        raise ValueError(f"cannot resume {out}: {name} was {saved.get(name)!r}, "
                         f"now {getattr(config, name)!r}")
    return True


ProgressCallback = Callable[[int, int, dict], None]


def is_finished(out: str | Path) -> bool:
    """Whether the run folder ``out`` holds a finished run (its ``metrics.json``)."""
    return (Path(out) / METRICS_FILE).exists()


def train(config: TrainConfig, out: str | Path, resume: bool = False, samples: Samples | None = None,
          on_progress: ProgressCallback | None = None) -> dict:
    """Run (or resume, or just report a finished) training run into the folder ``out``.

    ``samples`` skips loading the dataset (a sweep loads each budget once); ``on_progress(step,
    total, info)`` is called after every step. Returns the final metrics (also ``metrics.json``).
    ValueError for bad input: a missing dataset, a budget not in it, a folder holding another run.
    """
    out = Path(out)
    resuming = _check_run_folder(out, config, resume)
    if resuming and is_finished(out):
        return json.loads((out / METRICS_FILE).read_text())
    device = resolve_device(config.device)
    architecture = run_architecture(config)
    samples = samples if samples is not None else load_samples(config.data, config.teacher_budget)
    split = held_out_split(config)
    train_set, val_set = samples.split(split["fraction"])
    if len(train_set) == 0:
        raise ValueError(f"no training positions at budget {config.teacher_budget} in {config.data}")
    policy_target = train_set.policy_target(config.target)
    value_target = train_set.value_target(config.result_weight)
    total = config.total_steps(len(train_set))

    if resuming:
        model, _, optimizer, state = load_checkpoint(
            out / CHECKPOINT_FILE, lambda m: make_optimizer(m, config), device)
    else:
        torch.manual_seed(config.seed)
        model = build_model(architecture).to(device)
        if config.init is not None:
            _load_initial_weights(model, architecture, config.init)
        optimizer = make_optimizer(model, config)
        state = {"step": 0, "samples": 0, "seconds": 0.0}
        out.mkdir(parents=True, exist_ok=True)
        run_info = {"train": asdict(config), "model": architecture.to_dict(),
                    "train_positions": len(train_set), "val_positions": len(val_set),
                    "split": {**split, "train_games": train_set.game_count(),
                              "validation_games": val_set.game_count()},
                    "total_steps": total}
        atomic_write(out / CONFIG_FILE, lambda tmp: tmp.write_text(json.dumps(run_info, indent=2)))
    flops = forward_flops(model)
    log = CsvLog(out / LOG_FILE, state["step"])
    model.train()

    step, seen = state["step"], state["samples"]
    started = time.perf_counter() - state["seconds"]  # seconds count across resumed sessions
    session_started, session_samples = time.perf_counter(), seen
    window: list[dict[str, float]] = []
    val: dict[str, float | None] = {}
    while step < total:
        lr = learning_rate(step, total, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        rows = batch_rows(step, config.batch_size, len(train_set), config.seed)
        batch = make_batch(train_set, policy_target, value_target, rows, device)
        with autocast(device):
            logits, values, action_values = model(batch.planes)
        loss = losses(logits, values, action_values, batch, config)
        optimizer.zero_grad(set_to_none=True)
        loss["loss"].backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step, seen = step + 1, seen + len(rows)
        window.append({k: v.item() for k, v in loss.items()})
        last_loss = window[-1]["loss"]

        evaluating = step % config.eval_every == 0 or step == total
        if evaluating:
            val = evaluate(model, val_set, config, device)
        seconds = time.perf_counter() - started
        if evaluating or step % config.log_every == 0:
            means = {k: float(np.mean([w[k] for w in window])) for k in window[0]}
            log.write({"step": step, "samples": seen, "seconds": seconds, "lr": lr, **means,
                       **({f"val_{k}": v for k, v in val.items()} if evaluating else {})})
            window = []
        if step % config.checkpoint_every == 0 or step == total:
            state = {"step": step, "samples": seen, "seconds": seconds}
            save_model(out / MODEL_FILE, model, architecture)
            save_checkpoint(out / CHECKPOINT_FILE, model, architecture, optimizer, state)
        if config.snapshot_every and step % config.snapshot_every == 0:
            snapshot_path(out, step).parent.mkdir(exist_ok=True)
            save_model(snapshot_path(out, step), model, architecture)
        if on_progress is not None:
            rate = (seen - session_samples) / max(time.perf_counter() - session_started, 1e-9)
            on_progress(step, total, {"loss": last_loss, "samples_per_second": rate})

    if not val:  # resumed at the last step: nothing ran, the validation is still to report
        val = evaluate(model, val_set, config, device)
    final_loss = _last_logged(out / LOG_FILE, "loss")
    metrics = {
        "run": str(out), "model": config.model, "parameters": parameter_count(model),
        "forward_flops": flops, "teacher_budget": config.teacher_budget, "target": config.target,
        "steps": step, "samples": seen, "seconds": round(state["seconds"], 3),
        "train_flops": 3 * flops * seen, "train_loss": final_loss,
        "train_positions": len(train_set), "val_positions": len(val_set),
        **{f"val_{k}": v for k, v in val.items()},
    }
    atomic_write(out / METRICS_FILE, lambda tmp: tmp.write_text(json.dumps(metrics, indent=2)))
    return metrics


def run_architecture(config: TrainConfig):
    """The model a run trains: its named size, with an action-value head when the loss fits one."""
    return replace(model_config(config.model), action_values=config.q_weight > 0)


def _load_initial_weights(model: nn.Module, architecture, init: str) -> None:
    """Warm start: ``init``'s weights, which must be of the model being trained."""
    initial, initial_architecture = load_model(init)
    if initial_architecture != architecture:
        raise ValueError(f"cannot start from {init}: it is a {initial_architecture.to_dict()} model, "
                         f"not {architecture.to_dict()}")
    model.load_state_dict(initial.state_dict())


def held_out_split(config: TrainConfig) -> dict:
    """The games a run holds out: ``{"by": "game", "fraction", "rule", "dataset"}``, at
    ``val_fraction`` or, when it is None, at the dataset's own held-out share; ``dataset`` names
    the data (its path and generation seed) so that an analysis knows which games were seen."""
    from chessmesa.datasets import read_manifest

    generation = read_manifest(config.data)["config"]
    fraction = generation["holdout"] if config.val_fraction is None else config.val_fraction
    return {"by": "game", "fraction": fraction, "rule": RULE,
            "dataset": {"path": str(Path(config.data).resolve()), "seed": generation["seed"],
                        "sources": generation["sources"]}}


def _last_logged(path: Path, column: str) -> float | None:
    with path.open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row[column]]
    return float(rows[-1][column]) if rows else None
