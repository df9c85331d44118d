"""What a student is worth in search: the MCTS budget that matches it.

Two measures:

- **search-equivalent budget**: the budget ``b`` at which the searcher's own agreement with its
  highest-budget labels equals the student's. The budget-``b`` labels *are* what ``mcts:sims=b``
  answers (the dataset snapshots one anytime search, and ``mcts:sims=b`` reproduces them exactly),
  so the searcher's curve comes from the dataset without searching again.
- **Elo-equivalent budget**: the budget at which MCTS plays as strongly as the student, from a
  round robin (or gauntlet) of the student against MCTS at budgets 1..4096.

Both interpolate in log2(budget) on an isotonic fit of the curve
(:func:`~chessmesa.analysis.metrics.interpolate_equivalent_budget`):

>>> equivalent_budget({16: 0.3, 64: 0.5, 256: 0.6}, 0.4)
{'budget': 32.0, 'out_of_range': None}
"""

from __future__ import annotations

import math
from typing import Callable

from chessmesa.analysis.agreement import compare
from chessmesa.analysis.labels import LabelSet
from chessmesa.analysis.metrics import interpolate_equivalent_budget
from chessmesa.analysis.students import StudentOutput, student_answers

#: Agreement measures an equivalence can be based on (each grows with agreement).
EQUIVALENCE_METRICS = ("top1", "top3")
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


def search_curve(labels: LabelSet, metric: str = "top1", seed: int = 0) -> dict[int, float]:
    """The searcher's agreement at each budget with its own top-budget labels (1 at the top)."""
    return {budget: compare(label_outputs(labels, budget), labels.positions, labels.top_budget,
                            seed)[metric]
            for budget in labels.budgets}


def search_equivalence(spec: str, labels: LabelSet, metric: str = "top1", seed: int = 0,
                       progress: Callable[[int], None] = lambda n: None) -> dict:
    """The search-equivalent budget of the student ``spec`` on ``labels``
    (:func:`~chessmesa.analysis.labels.load_labels`).

    Returns the searcher's ``curve`` (budget -> agreement with the top-budget labels), the
    student's agreement and the equivalent ``budget`` (None with ``out_of_range`` outside the curve).
    """
    if metric not in EQUIVALENCE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(EQUIVALENCE_METRICS)}")
    name, outputs = student_answers(spec, labels, seed, progress)
    student_summary = compare(outputs, labels.positions, labels.top_budget, seed)
    curve = search_curve(labels, metric, seed)
    return {
        "student": name,
        "metric": metric,
        "top_budget": labels.top_budget,
        "curve": {str(budget): value for budget, value in curve.items()},
        "student_agreement": student_summary[metric],
        "student_agreement_ci": student_summary[f"{metric}_ci"],
        **equivalent_budget(curve, student_summary[metric]),
    }


def _ladder_name(budget: int) -> str:
    return f"mcts-{budget}"


def elo_equivalence(spec: str, budgets: tuple[int, ...] = ELO_BUDGETS, games_per_pair: int = 4,
                    gauntlet: bool = False, tc: str = "spec", openings: str | None = None,
                    concurrency: int = 1, max_moves: int = 150, seed: int = 0,
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
