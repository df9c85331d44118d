"""Compute frontiers of a sweep: what training compute buys, and what it is worth in search.

For every run of a sweep (one student per teacher budget and model size): its agreement with one
common reference (:func:`score_runs`: the dataset's independent reference search, on the games the
run never saw; a run's own validation figure is against its own teacher, so runs of different
teachers could not be compared on it) and, from a round robin of the students, its Elo, against
its compute. Compute counts both what made the student: its training FLOPs and seconds, and the
search that made its labels (``label_simulations``: the training positions times the teacher
budget, and ``label_seconds`` at the dataset's measured simulations per second of search); the
total is in core-seconds. The compute-efficient frontier is the runs that no run of less total
compute beats (:func:`pareto_front`), and agreement is fitted against log10 compute along it. Students also play
with search on top (``netmcts`` at a few simulation counts), so each (run, simulations) pair is a
point with a training compute, a test-time compute (network evaluations per move times the
forward FLOPs) and an Elo. Following Jones (2021), iso-Elo lines are fitted through the points on
the compute-efficient frontier (no other point reaches a higher Elo with no more train and test
compute),
``log10 test = a + b * log10 train + c * Elo``: ``b`` is the exchange rate (ten times the training
compute saves a factor ``10 ** -b`` of test-time compute at equal strength).

>>> points = [{"train_flops": 10.0 ** t, "test_flops": 10.0 ** (3 - 0.5 * t + 0.01 * e), "elo": e}
...           for t, e in [(0, 0), (1, 0), (2, 0), (0, 100), (1, 100)]]
>>> {k: round(v, 6) for k, v in fit_points(points).items()}
{'intercept': 3.0, 'train_slope': -0.5, 'elo_slope': 0.01, 'r_squared': 1.0}
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from chessmesa.analysis.metrics import fit_exchange_rate
from chessmesa.play.game import DEFAULT_MAX_MOVES

#: Simulations per move at test time by default: 1 is the policy alone (one network evaluation).
TEST_SIMS = (1, 8, 32)

#: Where a run's numbers may be found, first match wins: a run's files are flattened one level,
#: so ``{"metrics": {"val_top1_strict": ...}}`` and ``{"val_top1_strict": ...}`` both give it.
_FIELDS = {
    "teacher_budget": ("teacher_budget",),
    "train_flops": ("train_flops", "flops"),
    "teacher_agreement": ("val_top1_strict",),
    "forward_flops": ("forward_flops", "flops_per_position"),
    "model": ("model", "model_size", "size"),
    "data": ("data",),
    "train_positions": ("train_positions",),
    "train_seconds": ("seconds",),
}


@dataclass(frozen=True)
class Run:
    """One trained student of a sweep."""

    name: str
    path: str
    teacher_budget: int
    train_flops: float
    teacher_agreement: float | None  # strict top-1 against its own teacher's labels (not comparable)
    forward_flops: float | None
    model: str | None
    data: str | None = None
    train_positions: int | None = None
    train_seconds: float | None = None
    agreement: float | None = None  # tie-aware top-1 against the common reference (score_runs)
    label_simulations: float | None = None
    label_seconds: float | None = None

    @property
    def total_seconds(self) -> float | None:
        """Core-seconds of label search and training together."""
        if self.label_seconds is None or self.train_seconds is None:
            return None
        return self.label_seconds + self.train_seconds

    def player_spec(self, sims: int) -> str:
        """The engine spec of this student with ``sims`` simulations (1: no search)."""
        kind = f"policy:ckpt={self.path}" if sims == 1 else f"netmcts:ckpt={self.path},sims={sims}"
        return f"{kind},name={self.player_name(sims)}"

    def player_name(self, sims: int) -> str:
        return self.name if sims == 1 else f"{self.name}+{sims}"


def _flattened(data: dict) -> dict:
    flat = dict(data)
    for value in data.values():
        if isinstance(value, dict):
            flat.update({key: item for key, item in value.items() if key not in flat})
    return flat


def _lookup(values: dict, field: str):
    return next((values[key] for key in _FIELDS[field] if values.get(key) is not None), None)


def read_run(folder: Path, root: Path) -> Run | None:
    """The run stored in ``folder`` (its JSON files merged), or None if it is not one."""
    values: dict = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict):
            values.update(_flattened(data))
    if _lookup(values, "teacher_budget") is None or _lookup(values, "train_flops") is None:
        return None
    agreement, forward = _lookup(values, "teacher_agreement"), _lookup(values, "forward_flops")
    model = _lookup(values, "model")
    run = Run(str(folder.relative_to(root)) if folder != root else folder.name, str(folder),
              int(_lookup(values, "teacher_budget")), float(_lookup(values, "train_flops")),
              None if agreement is None else float(agreement),
              None if forward is None else float(forward),
              model.get("name") if isinstance(model, dict) else model,
              _lookup(values, "data"), _lookup(values, "train_positions"), _lookup(values, "train_seconds"))
    return replace(run, **label_cost(run))


def label_cost(run: Run) -> dict:
    """``label_simulations`` and ``label_seconds`` of a run's labels, from its dataset's manifest
    (the search seconds it records over the simulations it ran); empty where they are unknown."""
    if run.data is None or run.train_positions is None:
        return {}
    from chessmesa.datasets import DatasetError, read_manifest

    try:
        manifest = read_manifest(run.data)
    except DatasetError:
        return {}
    counts, generation = manifest["counts"], manifest["config"]
    # one anytime search labels every budget of a position (under Gumbel, one search per budget)
    budgets, reference, rows = generation["budgets"], generation.get("reference"), counts["per_budget"]
    per_position = sum(budgets) if generation["search"].get("gumbel") else max(budgets)
    searched = per_position * rows.get(str(max(budgets)), 0) + (reference or 0) * rows.get(str(reference), 0)
    simulations = run.train_positions * run.teacher_budget
    per_second = searched / counts["search_seconds"] if counts.get("search_seconds") else None
    return {"label_simulations": float(simulations),
            "label_seconds": simulations / per_second if per_second else None}


def score_runs(runs: Sequence[Run], seed: int = 0, progress: Callable[[int], None] = lambda n: None) -> list[Run]:
    """``runs`` with ``agreement``: tie-aware top-1 of each student (no search) against its
    dataset's reference, on the games it never saw (:mod:`chessmesa.analysis.agreement`)."""
    from chessmesa.analysis.agreement import run_agreement
    from chessmesa.analysis.label_reader import load_labels

    scored = []
    for run in runs:
        spec = run.player_spec(1)
        if run.data is None:
            scored.append(run)
            continue
        labels = load_labels(run.data, students=[spec], seed=seed)
        result = run_agreement(spec, labels, seed, progress)
        scored.append(replace(run, agreement=result["strata"]["all"]["top1_tied"]))
    return scored


def pareto_front(points: Sequence[dict], costs: Sequence[str], gain: str) -> list[dict]:
    """The points that no other point dominates: none has every cost no higher and a higher
    ``gain`` (or equal gain and a lower cost).

    >>> points = [{"c": 1, "g": 0.3}, {"c": 2, "g": 0.2}, {"c": 3, "g": 0.5}]
    >>> [p["c"] for p in pareto_front(points, ["c"], "g")]
    [1, 3]
    """
    usable = [p for p in points if p.get(gain) is not None and all(p.get(c) is not None for c in costs)]

    def dominates(a: dict, b: dict) -> bool:
        no_worse = all(a[c] <= b[c] for c in costs) and a[gain] >= b[gain]
        return no_worse and (a[gain] > b[gain] or any(a[c] < b[c] for c in costs))

    return [p for p in usable if not any(dominates(q, p) for q in usable if q is not p)]


def agreement_frontier(runs: Sequence[Run]) -> dict | None:
    """Agreement with the reference against total compute along the compute-efficient runs:
    ``agreement = intercept + per_decade * log10(core-seconds)``; None with fewer than two."""
    points = [{"run": r.name, "seconds": r.total_seconds, "agreement": r.agreement} for r in runs]
    front = sorted(pareto_front(points, ["seconds"], "agreement"), key=lambda p: p["seconds"])
    if len(front) < 2 or len({p["seconds"] for p in front}) < 2:
        return {"runs": [p["run"] for p in front], "fit": None} if front else None
    slope, intercept = np.polyfit(np.log10([p["seconds"] for p in front]), [p["agreement"] for p in front], 1)
    return {"runs": [p["run"] for p in front], "fit": {"intercept": float(intercept), "per_decade": float(slope)}}


def read_sweep(sweep_dir: str | Path) -> list[Run]:
    """Every run under ``sweep_dir`` (a folder whose JSON files name a teacher budget and the
    training FLOPs), sorted by teacher budget then compute. ValueError when there is none."""
    root = Path(sweep_dir)
    if not root.is_dir():
        raise ValueError(f"no such sweep folder {str(sweep_dir)!r}")
    folders = sorted({path.parent for path in root.rglob("*.json")})
    runs = [run for run in (read_run(folder, root) for folder in folders) if run is not None]
    if not runs:
        raise ValueError(f"no runs under {str(sweep_dir)!r} (no JSON naming teacher_budget and train_flops)")
    return sorted(runs, key=lambda run: (run.teacher_budget, run.train_flops, run.name))


def fit_points(points: Sequence[dict]) -> dict | None:
    """The iso-Elo fit through the compute-efficient points (:func:`pareto_front` over train and
    test FLOPs) with a finite ``elo``; None when they cannot determine it (too few, or no
    independent variation)."""
    finite = [p for p in points if p.get("elo") is not None and math.isfinite(p["elo"])]
    usable = pareto_front(finite, ["train_flops", "test_flops"], "elo")
    try:
        fit = fit_exchange_rate(np.log10([p["train_flops"] for p in usable]),
                                np.log10([p["test_flops"] for p in usable]),
                                [p["elo"] for p in usable])
    except ValueError:
        return None
    return asdict(fit)


def frontier_points(runs: Sequence[Run], elo: dict[str, float], test_sims: Sequence[int]) -> list[dict]:
    """One point per (run, simulations) the ratings ``elo`` (by player name) know."""
    points = []
    for run in runs:
        for sims in test_sims:
            name = run.player_name(sims)
            if name in elo and run.forward_flops is not None:
                points.append({"run": run.name, "sims": sims, "train_flops": run.train_flops,
                               "test_flops": sims * run.forward_flops, "elo": elo[name]})
    return points


def play_students(runs: Sequence[Run], test_sims: Sequence[int], games_per_pair: int,
                  tc: str = "spec", openings: str | None = None, concurrency: int = 1,
                  max_moves: int = DEFAULT_MAX_MOVES, seed: int = 0,
                  progress: Callable[[int], None] = lambda n: None) -> dict[str, float]:
    """Bradley-Terry Elo of every (run, simulations) player from a round robin; the first is 0."""
    from chessmesa.analysis.tournament import tournament_ratings
    from chessmesa.play.match import Adjudication, run_round_robin

    specs = [run.player_spec(sims) for run in runs for sims in test_sims]
    result = run_round_robin(specs, games_per_pair, openings=openings, tc=tc, concurrency=concurrency,
                             adjudication=Adjudication(max_moves=max_moves), seed=seed,
                             progress=lambda game, match: progress(1))
    return {row.name: row.rating for row in tournament_ratings(result, seed=seed)}


def frontier(runs: Sequence[Run], elo: dict[str, float] | None = None,
             test_sims: Sequence[int] = TEST_SIMS) -> dict:
    """The frontier of ``runs``: per-run agreement, compute (and Elo without search), the
    agreement frontier, the (run, simulations) points and the iso-Elo fit."""
    elo = elo or {}
    points = frontier_points(runs, elo, test_sims)
    return {
        "runs": [{**asdict(run), "total_seconds": run.total_seconds, "elo": elo.get(run.player_name(1))}
                 for run in runs],
        "agreement_frontier": agreement_frontier(runs),
        "points": points,
        "fit": fit_points(points),
    }
