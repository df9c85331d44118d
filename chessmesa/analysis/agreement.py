"""Agreement of a student with the searcher's labels, at every budget of a dataset.

Per position and budget: top-1 (the student's move is one of the searcher's best, ties counted
as agreement), top-3, KL(searcher || student) and
cross-entropy in bits, both entropies and Kendall's tau-b between the two move rankings; over the
positions: means with bootstrap 95% intervals, the value MSE and correlation, and the calibration
of the student's confidence in its own move. A student that only names a move gets top-1 alone.

>>> from chessmesa.analysis.labels import Label
>>> from chessmesa.analysis.students import StudentOutput
>>> label = Label(16, np.array([0.75, 0.25]), 0, "e2e4", 0.1, ["e2e4"])
>>> row = position_agreement(StudentOutput("e2e4", ["e2e4", "d2d4"], np.array([0.75, 0.25])),
...                          label, ["e2e4", "d2d4"])
>>> row["top1"], row["kl_bits"]
(1.0, 0.0)
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from chessmesa.analysis import metrics
from chessmesa.analysis.labels import Label, LabelledPosition, LabelSet
from chessmesa.analysis.students import StudentOutput, student_answers

#: Per-position metrics summarised as a mean with a bootstrap interval.
MEAN_METRICS = ("top1", "top3", "kl_bits", "xent_bits", "student_entropy_bits",
                "teacher_entropy_bits", "kendall_tau")
CALIBRATION_BINS = 10
BOOTSTRAP_RESAMPLES = 1000


def _aligned(output: StudentOutput, moves: list[str]) -> np.ndarray:
    """The student's policy in the label's move order (the two lists hold the same moves)."""
    index = {move: i for i, move in enumerate(output.moves)}
    if len(index) != len(moves) or any(move not in index for move in moves):
        raise ValueError(f"the student's legal moves differ from the dataset's: "
                         f"{sorted(output.moves)} vs {sorted(moves)}")
    return output.policy[[index[move] for move in moves]]


def played_first(policy: np.ndarray, played: int) -> np.ndarray:
    """A ranking of the moves: the move played strictly first, the others as ``policy`` ranks them.

    A student commits to one move even among equals (and the MCTS-solver plays a proven win
    whatever its visits), so its top is the move it plays.

    >>> played_first(np.array([0.4, 0.4, 0.2]), 1).tolist()
    [0.4, 1.4, 0.2]
    """
    ranking = policy.astype(float)
    ranking[played] = policy.max() + 1.0
    return ranking


def teacher_best(policy: np.ndarray, best: int) -> np.ndarray:
    """The moves that count as the searcher's best: every move tied with the one it plays at the
    top of its policy, or the move played alone when it is not at the top (a solver's proof).

    >>> teacher_best(np.array([0.4, 0.4, 0.2]), 0).tolist()
    [True, True, False]
    >>> teacher_best(np.array([0.5, 0.3, 0.2]), 2).tolist()
    [False, False, True]
    """
    if policy[best] >= policy.max():
        return policy == policy.max()
    return np.arange(len(policy)) == best


def position_agreement(output: StudentOutput, label: Label, moves: list[str]) -> dict[str, float]:
    """The per-position metrics of one student answer against one label (NaN where unknown).

    Top-1: the student's move is one of the searcher's best (:func:`teacher_best`, so ties count as
    agreement); top-3: one of those is among the student's three first moves
    (:func:`played_first`, the remaining places shared among ties as in
    :func:`~chessmesa.analysis.metrics.topk_agreement`). The other metrics compare the policies.
    """
    if output.move not in moves:
        raise ValueError(f"the student's move {output.move} is not legal in the dataset's position")
    chosen = moves.index(output.move)
    best = teacher_best(label.policy, label.best_index)
    top1 = float(best[chosen])
    if output.policy is None:
        row = dict.fromkeys(MEAN_METRICS, math.nan)
        row.update(top1=top1, confidence=math.nan)
        return row
    student = _aligned(output, moves)
    ranking = played_first(student, chosen)
    teacher = label.policy
    xent = metrics.cross_entropy_bits(teacher, student)
    teacher_entropy = metrics.entropy_bits(teacher)
    return {
        "top1": top1,
        "top3": max(metrics.topk_agreement(ranking, int(index), k=3) for index in np.flatnonzero(best)),
        "kl_bits": xent - teacher_entropy,
        "xent_bits": xent,
        "student_entropy_bits": metrics.entropy_bits(student),
        "teacher_entropy_bits": teacher_entropy,
        "kendall_tau": metrics.kendall_tau_b(student, teacher),
        "confidence": float(student[chosen]),
    }


def _mean_with_interval(values: np.ndarray, seed: int) -> tuple[float | None, list | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    return float(finite.mean()), list(metrics.bootstrap_ci(finite, n=BOOTSTRAP_RESAMPLES, seed=seed))


def _paired_interval(statistic: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray,
                     b: np.ndarray, seed: int) -> tuple[float | None, list | None]:
    """A statistic of paired values and its bootstrap interval (resampling the pairs)."""
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size < 2:
        return None, None
    low, high = metrics.bootstrap_ci(np.arange(a.size), lambda rows: statistic(a[rows], b[rows]),
                                     n=BOOTSTRAP_RESAMPLES, seed=seed)
    return statistic(a, b), [low, high]


def summarise(rows: list[dict[str, float]], student_values: np.ndarray,
              teacher_values: np.ndarray, seed: int = 0) -> dict:
    """Means with intervals of the per-position ``rows``, value metrics and calibration.

    >>> rows = [{"top1": 1.0, "confidence": 0.9}, {"top1": 0.0, "confidence": 0.6}]
    >>> summary = summarise(rows, np.array([0.5, 0.0]), np.array([0.5, 0.5]))
    >>> summary["n"], summary["top1"], summary["value_mse"], summary["top3"]
    (2, 0.5, 0.125, None)
    """
    summary: dict = {"n": len(rows)}
    for name in MEAN_METRICS:
        values = np.array([row.get(name, math.nan) for row in rows], dtype=float)
        summary[name], summary[f"{name}_ci"] = _mean_with_interval(values, seed)
    summary["value_mse"], summary["value_mse_ci"] = _paired_interval(
        metrics.value_mse, student_values, teacher_values, seed)
    summary["value_corr"], summary["value_corr_ci"] = _paired_interval(
        metrics.value_correlation, student_values, teacher_values, seed)
    confidence = np.array([row["confidence"] for row in rows], dtype=float)
    correct = np.array([row["top1"] for row in rows], dtype=float)
    known = np.isfinite(confidence)
    summary["calibration"] = None
    if known.any():
        result = metrics.calibration(confidence[known], correct[known], bins=CALIBRATION_BINS)
        summary["calibration"] = {"ece": result.ece, "edges": result.edges, "count": result.count,
                                  "confidence": result.confidence, "accuracy": result.accuracy}
    return summary


def compare(outputs: Sequence[StudentOutput], positions: Sequence[LabelledPosition], budget: int,
            seed: int = 0) -> dict:
    """The summary (:func:`summarise`) of student ``outputs`` against the labels at ``budget``."""
    labels = [position.labels[budget] for position in positions]
    rows = [position_agreement(output, label, position.moves)
            for output, label, position in zip(outputs, labels, positions)]
    student_values = np.array([output.value for output in outputs], dtype=float)
    teacher_values = np.array([label.root_value for label in labels], dtype=float)
    return summarise(rows, student_values, teacher_values, seed)


def agreement_by_budget(outputs: Sequence[StudentOutput], labels: LabelSet, seed: int = 0) -> dict:
    """``{"64": summary, ...}`` for every budget of ``labels``."""
    return {str(budget): compare(outputs, labels.positions, budget, seed) for budget in labels.budgets}


def run_agreement(spec: str, labels: LabelSet, seed: int = 0,
                  progress: Callable[[int], None] = lambda n: None) -> dict:
    """The whole analysis: the student named by ``spec`` against ``labels``
    (:func:`~chessmesa.analysis.labels.load_labels`).

    Returns ``{"analysis": "agreement", "student", "data", "positions", "budgets": {"64": {"top1",
    "top3", "kl_bits", "xent_bits", "kendall_tau", "value_mse", "n", ...}, ...}}``; ValueError
    (a ``SpecError``) for a bad spec.
    """
    name, outputs = student_answers(spec, labels, seed, progress)
    return {"analysis": "agreement", "student": name, "data": labels.data_dir,
            "positions": len(labels.positions), "budgets": agreement_by_budget(outputs, labels, seed)}
