"""Search-equivalent budgets on synthetic monotone curves, against a reference with game-level
intervals, the self-agreement curve under its own name, the Elo ladder."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from chessmesa.analysis.agreement import compare
from chessmesa.analysis.equivalence import (
    elo_equivalence, equivalent_budget, label_outputs, search_equivalence,
)
from chessmesa.analysis.label_reader import Label, LabelledPosition, LabelSet
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


def _label(budget: int, best: int) -> Label:
    policy = np.array([0.8, 0.2]) if best == 0 else np.array([0.2, 0.8])
    return Label(budget, policy, best, ["e2e4", "d2d4"][best], 0.0, [], np.array([0.1, -0.1]),
                 np.array([True, True]))


def _synthetic_labels(agree_share: dict[int, float], positions: int = 40, reference: bool = True) -> LabelSet:
    """Two-move positions, two per game, where the budget-b best move matches the reference's
    (always the first move) on a planted share of the positions."""
    budgets = sorted(agree_share)
    labelled = [LabelledPosition(i, "startpos", ["e2e4", "d2d4"],
                                 {b: _label(b, 0 if i < agree_share[b] * positions else 1) for b in budgets},
                                 game=i // 2, reference=_label(4096, 0) if reference else None)
                for i in range(positions)]
    return LabelSet("synthetic", budgets, labelled, {}, 4096 if reference else None,
                    {"split": "validation", "games": positions // 2})


def _student(agreeing: int, positions: int = 40) -> list[StudentOutput]:
    return [StudentOutput("e2e4" if i < agreeing else "d2d4", ["e2e4", "d2d4"],
                          np.array([0.9, 0.1]) if i < agreeing else np.array([0.1, 0.9]))
            for i in range(positions)]


def test_search_equivalence_against_the_reference_with_intervals():
    labels = _synthetic_labels({1: 0.25, 4: 0.5, 16: 0.75, 64: 1.0})
    result = search_equivalence("planted", labels, outputs=_student(24))
    assert result["curve"] == {"1": 0.25, "4": 0.5, "16": 0.75, "64": 1.0}
    assert result["reference"]["kind"] == "independent" and result["games"] == 20
    # a student agreeing on the first 60% of positions sits 0.4 of the way from budget 4 to 16
    assert result["student_agreement"] == pytest.approx(0.6)
    assert result["budget"] == pytest.approx(4 * 4**0.4)
    low, high = result["budget_ci"]
    assert low is not None and low < result["budget"] < high
    paired = result["student_minus_searcher"]["4"]
    assert paired["difference"] == pytest.approx(0.1) and paired["ci"][0] <= 0.1 <= paired["ci"][1]
    assert result["student_minus_searcher"]["64"]["ci"][1] < 0  # clearly below the top budget
    assert [o.move for o in label_outputs(labels, 1)][:5] == ["e2e4"] * 5


def test_game_level_intervals_are_wider_than_position_level_ones():
    """Whole games agree or disagree: resampling positions would understate the uncertainty."""
    labels = _synthetic_labels({1: 0.5, 64: 1.0})
    games = np.array([p.game for p in labels.positions])
    by_game = compare(_student(20), labels.positions, labels.references())["all"]["top1_tied_ci"]
    one_game_each = compare(_student(20), [replace(p, game=i) for i, p in enumerate(labels.positions)],
                            labels.references())["all"]["top1_tied_ci"]
    assert len(np.unique(games)) == 20
    assert by_game[1] - by_game[0] > (one_game_each[1] - one_game_each[0]) * 1.2


def test_without_a_reference_the_curve_is_named_self_agreement():
    labels = _synthetic_labels({1: 0.25, 64: 1.0}, reference=False)
    result = search_equivalence("planted", labels, outputs=_student(24))
    assert result["reference"]["kind"] == "self" and result["curve"]["64"] == 1.0
    assert result["self_agreement_curve"] == result["curve"]
    with pytest.raises(ValueError, match="unknown metric"):
        search_equivalence("planted", labels, metric="top1", outputs=_student(24))


def test_elo_ladder_plays_and_reports_the_curve():
    result = elo_equivalence("mcts:sims=8", budgets=(1, 64), games_per_pair=2, max_moves=10, seed=1)
    assert set(result["curve"]) == {"1", "64"} and result["curve"]["1"] == 0.0
    assert result["games"] == 6 and len(result["ratings"]) == 3
    assert result["out_of_range"] in (None, "below", "above")
    with pytest.raises(ValueError):
        elo_equivalence("mcts:sims=8", budgets=(16,))
