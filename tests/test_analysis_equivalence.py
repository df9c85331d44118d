"""Search-equivalent budgets on synthetic monotone curves, the searcher's own curve, the Elo ladder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chessmesa.analysis.agreement import compare
from chessmesa.analysis.equivalence import (
    elo_equivalence, equivalent_budget, label_outputs, search_curve,
)
from chessmesa.analysis.labels import Label, LabelledPosition, LabelSet
from chessmesa.analysis.students import StudentOutput

CURVE = {1: 0.1, 4: 0.3, 16: 0.5, 64: 0.7, 256: 0.9}  # agreement grows by 0.2 per factor 4


@pytest.mark.parametrize("target, budget", [(0.5, 16.0), (0.6, 32.0), (0.2, 2.0), (0.9, 256.0)])
def test_equivalent_budget_interpolates_in_log_budget(target, budget):
    found = equivalent_budget(CURVE, target)
    assert found["out_of_range"] is None and found["budget"] == pytest.approx(budget)


def test_equivalent_budget_out_of_range_and_noise():
    assert equivalent_budget(CURVE, 0.05) == {"budget": None, "out_of_range": "below"}
    assert equivalent_budget(CURVE, 0.95) == {"budget": None, "out_of_range": "above"}
    assert equivalent_budget(CURVE, -math.inf)["out_of_range"] == "below"
    # a dip is noise: the isotonic fit pools 16 and 64 to 0.5, so 0.5 is first reached at 16
    dipped = {**CURVE, 64: 0.3, 16: 0.7}
    assert equivalent_budget(dipped, 0.5)["budget"] == pytest.approx(16.0)
    with pytest.raises(ValueError):
        equivalent_budget({16: math.nan}, 0.5)


def _synthetic_labels(agree_share: dict[int, float], positions: int = 20) -> LabelSet:
    """Two-move positions where the budget-b best move matches the top budget's for a planted share."""
    budgets = sorted(agree_share)
    labelled = []
    for i in range(positions):
        labels = {}
        for budget in budgets:
            best = 0 if i < agree_share[budget] * positions else 1
            policy = np.array([0.8, 0.2]) if best == 0 else np.array([0.2, 0.8])
            labels[budget] = Label(budget, policy, best, ["e2e4", "d2d4"][best], 0.0, [])
        labelled.append(LabelledPosition(i, "startpos", ["e2e4", "d2d4"], labels))
    return LabelSet("synthetic", budgets, labelled, {})


def test_search_curve_and_student_equivalence_on_planted_labels():
    labels = _synthetic_labels({1: 0.25, 4: 0.5, 16: 0.75, 64: 1.0})
    curve = search_curve(labels)
    assert curve == {1: 0.25, 4: 0.5, 16: 0.75, 64: 1.0}
    # a student agreeing on the first 60% of positions sits 0.4 of the way from budget 4 to 16
    student = [StudentOutput("e2e4" if i < 12 else "d2d4", ["e2e4", "d2d4"],
                             np.array([0.9, 0.1]) if i < 12 else np.array([0.1, 0.9]))
               for i in range(20)]
    agreement = compare(student, labels.positions, labels.top_budget)["top1"]
    assert agreement == pytest.approx(0.6)
    assert equivalent_budget(curve, agreement)["budget"] == pytest.approx(4 * 4**0.4)
    assert [o.move for o in label_outputs(labels, 1)][:5] == ["e2e4"] * 5


def test_elo_ladder_plays_and_reports_the_curve():
    result = elo_equivalence("mcts:sims=8", budgets=(1, 64), games_per_pair=2, max_moves=10, seed=1)
    assert set(result["curve"]) == {"1", "64"} and result["curve"]["1"] == 0.0
    assert result["games"] == 6 and len(result["ratings"]) == 3
    assert result["out_of_range"] in (None, "below", "above")
    with pytest.raises(ValueError):
        elo_equivalence("mcts:sims=8", budgets=(16,))
