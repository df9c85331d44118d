"""What a student is worth in search: the MCTS budget that matches it.

Two measures:

- **search-equivalent budget**: the budget ``b`` at which the searcher agrees with the
  independent reference as well as the student does. The budget-``b`` labels *are* what
  ``mcts:sims=b`` answers (the dataset snapshots one anytime search, and ``mcts:sims=b``
  reproduces them exactly), so the searcher's curve comes from the dataset without searching
  again; the reference is a separate search with its own seed and root noise (``generate
  --reference``), so no point of the curve is the searcher agreeing with its own snapshots. The
  curve, the student's level and the budget all carry game-level bootstrap intervals from the same
  resampled games, and the student minus the searcher at each budget a paired one.
  ``self_agreement_curve`` is kept under its own name: the budget-``b`` labels against the
  top-budget labels of the same search.
- **Elo-equivalent budget**: the budget at which MCTS plays as strongly as the student, from a
  round robin (or gauntlet) of the student against MCTS at budgets 1..4096.

Both interpolate in log2(budget) on an isotonic fit of the curve
(:func:`~chessmesa.analysis.metrics.interpolate_equivalent_budget`):

>>> equivalent_budget({16: 0.3, 64: 0.5, 256: 0.6}, 0.4)
{'budget': 32.0, 'out_of_range': None}
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from chessmesa.analysis.agreement import BOOTSTRAP_RESAMPLES, metric_values
from chessmesa.analysis.label_reader import LabelSet
from chessmesa.analysis.metrics import ClusterBootstrap, interpolate_equivalent_budget
from chessmesa.analysis.students import StudentOutput, student_answers
from chessmesa.play.game import DEFAULT_MAX_MOVES

#: Agreement measures an equivalence can be based on, and the sign that makes each grow with
#: agreement (Q-regret falls as agreement grows).
EQUIVALENCE_METRICS = {"top1_tied": 1.0, "top1_strict": 1.0, "top3": 1.0, "q_regret": -1.0}
#: Positions an equivalence can be measured on (the reference's view of the position).
EQUIVALENCE_STRATA = ("all", "undecided", "decided")
#: MCTS budgets of the Elo ladder by default: 1, 4, 16, ..., 4096.
ELO_BUDGETS = tuple(4**k for k in range(7))


def equivalent_budget(curve: dict[int, float], target: float) -> dict:
    """The budget where ``curve`` (budget -> a measure growing with budget) reaches ``target``.

    Points with a non-finite value are left out; an infinite target is out of range on its side.

    >>> equivalent_budget({1: 0.0, 4: 100.0, 16: 200.0}, math.inf)
    {'budget': None, 'out_of_range': 'above'}
    """
    points = {budget: value for budget, value in curve.items() if math.isfinite(value)}
    if not math.isfinite(target):
        return {"budget": None, "out_of_range": "above" if target > 0 else "below"}
    if not points:
        raise ValueError("the curve has no finite point to interpolate")
    found = interpolate_equivalent_budget(list(points), list(points.values()), target)
    return {"budget": found.budget, "out_of_range": found.out_of_range}


def label_outputs(labels: LabelSet, budget: int) -> list[StudentOutput]:
    """The labels at ``budget`` as student answers: exactly what ``mcts:sims=budget`` gives."""
    return [StudentOutput(p.labels[budget].best_move, p.moves, p.labels[budget].policy,
                          p.labels[budget].root_value) for p in labels.positions]


def budget_interval(boot: ClusterBootstrap, curve_values: dict[int, np.ndarray],
                    student_values: np.ndarray, sign: float) -> dict:
    """The equivalent budget in every resample of ``boot``: its percentile interval, with a side
    held at the curve's end where resamples fall outside it, and the share that does.

    ``curve_values[b]`` and ``student_values`` are per-position values of the measure.
    """
    budgets = sorted(curve_values)
    curves = np.stack([sign * boot.means(curve_values[b]) for b in budgets], axis=1)
    students = sign * boot.means(student_values)
    found, outside = [], {"below": 0, "above": 0}
    for curve, student in zip(curves, students):
        result = interpolate_equivalent_budget(budgets, curve, student)
        if result.out_of_range:
            outside[result.out_of_range] += 1
        found.append(result.budget if result.budget is not None else
                     (budgets[0] / 2 if result.out_of_range == "below" else budgets[-1] * 2))
    low, high = boot.interval(np.log2(found))
    resamples = len(found)
    return {"budget_ci": [None if low < math.log2(budgets[0]) else 2.0**low,
                          None if high > math.log2(budgets[-1]) else 2.0**high],
            "resamples_below_curve": outside["below"] / resamples,
            "resamples_above_curve": outside["above"] / resamples}


def search_equivalence(spec: str, labels: LabelSet, metric: str = "top1_tied", seed: int = 0,
                       progress: Callable[[int], None] = lambda n: None, stratum: str = "all",
                       outputs: Sequence[StudentOutput] | None = None) -> dict:
    """The search-equivalent budget of the student ``spec`` on ``labels``
    (:func:`~chessmesa.analysis.label_reader.load_labels`), on the positions of ``stratum``.

    Returns the searcher's ``curve`` against the reference (budget -> agreement, with
    ``curve_ci``), the student's agreement with its interval, the equivalent ``budget`` (None with
    ``out_of_range`` outside the curve) and its ``budget_ci`` (a None side: beyond the curve's
    end), ``student_minus_searcher`` per budget with paired intervals, and the
    ``self_agreement_curve``. ``outputs`` skips asking the student again.
    """
    if metric not in EQUIVALENCE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(EQUIVALENCE_METRICS)}")
    if stratum not in EQUIVALENCE_STRATA:
        raise ValueError(f"unknown stratum {stratum!r}; choose from {', '.join(EQUIVALENCE_STRATA)}")
    name, outputs = (spec, outputs) if outputs is not None else student_answers(spec, labels, seed, progress)
    references = labels.references()
    keep = np.array([stratum == "all" or (r.decided == (stratum == "decided")) for r in references])
    if not keep.any():
        raise ValueError(f"no position of the {stratum} stratum in the dataset's {labels.split.get('split')} split")
    positions = [p for p, k in zip(labels.positions, keep) if k]
    references = [r for r, k in zip(references, keep) if k]
    outputs = [o for o, k in zip(outputs, keep) if k]

    def values(answers, against=references, where=positions) -> np.ndarray:
        return metric_values(answers, where, against, metric)

    student = values(outputs)
    searcher = {b: values([o for o, k in zip(label_outputs(labels, b), keep) if k]) for b in labels.budgets}
    boot = ClusterBootstrap.of([p.game for p in positions], BOOTSTRAP_RESAMPLES, seed)
    sign = EQUIVALENCE_METRICS[metric]
    curve = {b: float(np.nanmean(v)) for b, v in searcher.items()}
    student_level = float(np.nanmean(student))
    found = equivalent_budget({b: sign * v for b, v in curve.items()}, sign * student_level)
    top = labels.top_budget
    top_labels = [p.labels[top] for p in labels.positions]
    self_curve = {str(b): float(np.nanmean(values(label_outputs(labels, b), top_labels, labels.positions)))
                  for b in labels.budgets}
    return {
        "student": name, "metric": metric, "stratum": stratum, "reference": labels.reference_info(),
        "split": labels.split, "positions": len(positions), "games": boot.games,
        "top_budget": top,
        "curve": {str(b): v for b, v in curve.items()},
        "curve_ci": {str(b): boot.mean_interval(v) for b, v in searcher.items()},
        "student_agreement": student_level, "student_agreement_ci": boot.mean_interval(student),
        **found, **budget_interval(boot, searcher, student, sign),
        "student_minus_searcher": {str(b): {"difference": float(np.nanmean(student - v)),
                                            "ci": boot.mean_interval(student - v)}
                                   for b, v in searcher.items()},
        "self_agreement_curve": self_curve,
    }


def _ladder_name(budget: int) -> str:
    return f"mcts-{budget}"


def elo_equivalence(spec: str, budgets: tuple[int, ...] = ELO_BUDGETS, games_per_pair: int = 4,
                    gauntlet: bool = False, tc: str = "spec", openings: str | None = None,
                    concurrency: int = 1, max_moves: int = DEFAULT_MAX_MOVES, seed: int = 0,
                    progress: Callable[[int], None] = lambda n: None) -> dict:
    """The Elo-equivalent budget: the student in a tournament with ``mcts:sims=b`` for each budget.

    Ratings are Bradley-Terry with the smallest budget fixed at 0. With ``gauntlet`` the student
    plays each MCTS only (faster; the ladder is then rated through the student alone).
    """
    from chessmesa.analysis.tournament import tournament_ratings
    from chessmesa.play.match import Adjudication, run_gauntlet, run_round_robin

    budgets = tuple(sorted(set(budgets)))
    if len(budgets) < 2:
        raise ValueError("the Elo ladder needs two MCTS budgets at least")
    ladder = [f"mcts:sims={budget},name={_ladder_name(budget)}" for budget in budgets]
    runner = run_gauntlet if gauntlet else run_round_robin
    result = runner([spec, *ladder], games_per_pair, openings=openings, tc=tc,
                    concurrency=concurrency, adjudication=Adjudication(max_moves=max_moves),
                    seed=seed, progress=lambda game, match: progress(1))
    rows = tournament_ratings(result, anchor=_ladder_name(budgets[0]), anchor_rating=0.0, seed=seed)
    ratings = {row.name: row for row in rows}
    student = ratings[result.names[0]]
    curve = {budget: ratings[_ladder_name(budget)].rating for budget in budgets}
    return {
        "ratings": [row.to_dict() for row in rows],
        "curve": {str(budget): rating for budget, rating in curve.items()},
        "student_elo": student.rating,
        "student_elo_ci": [student.low, student.high],
        "games": sum(len(match.games) for match in result.matches),
        **equivalent_budget(curve, student.rating),
    }


def pairings(players: int, gauntlet: bool) -> int:
    """How many pairings a round robin (or gauntlet) of ``players`` plays.

    >>> pairings(8, False), pairings(8, True)
    (28, 7)
    """
    return players - 1 if gauntlet else players * (players - 1) // 2
