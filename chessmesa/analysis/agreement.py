"""Agreement of a student with the searcher: against an independent reference, and per budget.

Per position, against a reference label (the dataset's independent reference search, see
:mod:`chessmesa.analysis.label_reader`):

- ``top1_strict``: the student plays the reference's best move;
- ``top1_tied``: the student plays one of the reference's best moves, ties in its policy counted
  as agreement;
- ``top3``: one of those is among the student's three first moves;
- ``q_regret``: the reference's Q of its best move minus its Q of the student's move (0 for the
  same move; a move the reference never tried takes the lowest Q it found, so a move a long
  search did not think worth one visit is counted as its worst);
- ``kl_bits``, ``xent_bits``: KL(reference || student) and cross-entropy in bits, and
  ``kl_teacher_bits``, ``xent_teacher_bits`` against the student's own teacher label when the
  student was trained at one of the dataset's budgets;
- both entropies and Kendall's tau-b between the two move rankings.

Over the positions: means with game-level (cluster) bootstrap intervals, since positions cluster in
games; the value MSE and correlation against the reference's root value; the calibration of the
student's confidence in its own move; and each of these in three strata, ``all``, ``decided``
(|reference root value| > 0.9, where every move is about equally good or bad) and ``undecided``.
A student that only names a move gets the move metrics alone.

>>> from chessmesa.analysis.label_reader import Label
>>> from chessmesa.analysis.students import StudentOutput
>>> reference = Label(64, np.array([0.75, 0.25]), 0, "e2e4", 0.1, ["e2e4"], np.array([0.2, -0.1]), np.array([True, True]))
>>> row = position_agreement(StudentOutput("d2d4", ["e2e4", "d2d4"], np.array([0.25, 0.75])),
...                          reference, ["e2e4", "d2d4"])
>>> row["top1_strict"], round(row["q_regret"], 3)
(0.0, 0.3)
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from chessmesa.analysis import metrics
from chessmesa.analysis.label_reader import (
    Label, LabelledPosition, LabelSet, recorded_holdout, student_run_config,
)
from chessmesa.analysis.metrics import ClusterBootstrap
from chessmesa.analysis.students import StudentOutput, student_answers

#: Per-position metrics summarised as a mean with a game-level interval.
MEAN_METRICS = ("top1_strict", "top1_tied", "top3", "q_regret", "kl_bits", "xent_bits",
                "kl_teacher_bits", "xent_teacher_bits", "student_entropy_bits",
                "reference_entropy_bits", "kendall_tau", "value_error")
STRATA = ("all", "decided", "undecided")
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


def q_regret(reference: Label, chosen: int) -> float:
    """The reference's Q of its best move minus its Q of move ``chosen`` (never below 0; an
    untried move takes the lowest Q the reference found).

    >>> label = Label(8, np.array([0.5, 0.5, 0.0]), 0, "a", 0.0, [], np.array([0.3, 0.1, 0.0]), np.array([True, True, False]))
    >>> round(q_regret(label, 1), 3), round(q_regret(label, 2), 3)
    (0.2, 0.2)
    """
    q = np.asarray(reference.q, dtype=float)
    tried = np.asarray(reference.visited, dtype=bool)
    if not tried.any():
        return 0.0 if chosen == reference.best_index else math.nan
    value = q[chosen] if tried[chosen] else q[tried].min()
    return max(0.0, float(q[reference.best_index] - value))


def position_agreement(output: StudentOutput, reference: Label, moves: list[str],
                       teacher: Label | None = None) -> dict[str, float]:
    """The per-position metrics of one student answer against one reference label (and against
    the student's own ``teacher`` label, where known); NaN where a metric is undefined."""
    if output.move not in moves:
        raise ValueError(f"the student's move {output.move} is not legal in the dataset's position")
    chosen = moves.index(output.move)
    best = teacher_best(reference.policy, reference.best_index)
    row = dict.fromkeys(MEAN_METRICS, math.nan)
    row.update(top1_strict=float(chosen == reference.best_index), top1_tied=float(best[chosen]),
               q_regret=q_regret(reference, chosen), confidence=math.nan,
               value_error=(output.value - reference.root_value) ** 2)
    if output.policy is None:
        return row
    student = _aligned(output, moves)
    xent = metrics.cross_entropy_bits(reference.policy, student)
    reference_entropy = metrics.entropy_bits(reference.policy)
    row.update(
        top3=max(metrics.topk_agreement(played_first(student, chosen), int(i), k=3) for i in np.flatnonzero(best)),
        kl_bits=xent - reference_entropy, xent_bits=xent,
        student_entropy_bits=metrics.entropy_bits(student), reference_entropy_bits=reference_entropy,
        kendall_tau=metrics.kendall_tau_b(student, reference.policy), confidence=float(student[chosen]))
    if teacher is not None:
        teacher_xent = metrics.cross_entropy_bits(teacher.policy, student)
        row.update(xent_teacher_bits=teacher_xent,
                   kl_teacher_bits=teacher_xent - metrics.entropy_bits(teacher.policy))
    return row


def _value_correlation(boot: ClusterBootstrap, x: np.ndarray, y: np.ndarray) -> tuple[float | None, list | None]:
    """Pearson correlation of the finite pairs and its game-level interval (weighted moments)."""
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3 or np.std(x[keep]) == 0 or np.std(y[keep]) == 0:
        return None, None
    x, y, w = x[keep], y[keep], boot.weights[:, keep]
    n, sx, sy = w.sum(1), w @ x, w @ y
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates = (n * (w @ (x * y)) - sx * sy) / np.sqrt((n * (w @ (x * x)) - sx**2) * (n * (w @ (y * y)) - sy**2))
    return float(np.corrcoef(x, y)[0, 1]), boot.interval(replicates)


def summarise(rows: list[dict[str, float]], student_values: np.ndarray, reference_values: np.ndarray,
              games: np.ndarray, seed: int = 0) -> dict:
    """Means with game-level intervals of the per-position ``rows``, value metrics and
    calibration; ``games`` holds each position's game key.

    >>> rows = [{"top1_tied": 1.0, "confidence": 0.9}, {"top1_tied": 0.0, "confidence": 0.6}]
    >>> summary = summarise(rows, np.array([0.5, 0.0]), np.array([0.5, 0.5]), np.array([1, 2]))
    >>> summary["n"], summary["games"], summary["top1_tied"], summary["top3"]
    (2, 2, 0.5, None)
    """
    boot = ClusterBootstrap.of(games, BOOTSTRAP_RESAMPLES, seed)
    summary: dict = {"n": len(rows), "games": boot.games}
    for name in MEAN_METRICS:
        values = np.array([row.get(name, math.nan) for row in rows], dtype=float)
        finite = np.isfinite(values)
        summary[name] = float(values[finite].mean()) if finite.any() else None
        summary[f"{name}_ci"] = boot.mean_interval(values) if finite.any() else None
    summary["value_mse"], summary["value_mse_ci"] = summary.pop("value_error"), summary.pop("value_error_ci")
    summary["value_corr"], summary["value_corr_ci"] = _value_correlation(
        boot, np.asarray(student_values, dtype=float), np.asarray(reference_values, dtype=float))
    confidence = np.array([row.get("confidence", math.nan) for row in rows], dtype=float)
    correct = np.array([row.get("top1_tied", math.nan) for row in rows], dtype=float)
    known = np.isfinite(confidence)
    summary["calibration"] = None
    if known.any():
        result = metrics.calibration(confidence[known], correct[known], bins=CALIBRATION_BINS)
        summary["calibration"] = {"ece": result.ece, "edges": result.edges, "count": result.count,
                                  "confidence": result.confidence, "accuracy": result.accuracy}
    return summary


def metric_values(outputs: Sequence[StudentOutput], positions: Sequence[LabelledPosition],
                  references: Sequence[Label], metric: str) -> np.ndarray:
    """One per-position metric of :func:`position_agreement`; the move metrics without computing
    the others (an equivalence needs one metric for every budget of the searcher)."""
    def chosen(output: StudentOutput, position: LabelledPosition) -> int:
        return position.moves.index(output.move)

    if metric == "top1_strict":
        values = [chosen(o, p) == r.best_index for o, p, r in zip(outputs, positions, references)]
    elif metric == "top1_tied":
        values = [teacher_best(r.policy, r.best_index)[chosen(o, p)] for o, p, r in zip(outputs, positions, references)]
    elif metric == "q_regret":
        values = [q_regret(r, chosen(o, p)) for o, p, r in zip(outputs, positions, references)]
    else:
        values = [row[metric] for row in agreement_rows(outputs, positions, references)]
    return np.array(values, dtype=float)


def agreement_rows(outputs: Sequence[StudentOutput], positions: Sequence[LabelledPosition],
                   references: Sequence[Label], teacher_budget: int | None = None) -> list[dict]:
    """The per-position rows of ``outputs`` against ``references`` (and the teacher's labels)."""
    return [position_agreement(output, reference, position.moves,
                               position.labels.get(teacher_budget) if teacher_budget else None)
            for output, reference, position in zip(outputs, references, positions)]


def compare(outputs: Sequence[StudentOutput], positions: Sequence[LabelledPosition],
            references: Sequence[Label], teacher_budget: int | None = None, seed: int = 0,
            strata: Sequence[str] = STRATA) -> dict:
    """``{"all": summary, "decided": ..., "undecided": ...}`` of ``outputs`` against ``references``
    (:func:`summarise`, for each of ``strata``; a stratum without positions is None)."""
    rows = agreement_rows(outputs, positions, references, teacher_budget)
    games = np.array([p.game for p in positions], dtype=np.uint64)
    student_values = np.array([o.value for o in outputs], dtype=float)
    reference_values = np.array([r.root_value for r in references], dtype=float)
    decided = np.array([r.decided for r in references], dtype=bool)
    summaries = {}
    for stratum, keep in (("all", np.ones_like(decided)), ("decided", decided), ("undecided", ~decided)):
        if stratum not in strata:
            continue
        summaries[stratum] = summarise([r for r, k in zip(rows, keep) if k], student_values[keep],
                                    reference_values[keep], games[keep], seed) if keep.any() else None
    return summaries


def trained_teacher_budget(spec: str) -> int | None:
    """The teacher budget a trained student (``policy``/``netmcts`` with a run) learned from."""
    return (student_run_config(spec) or {}).get("train", {}).get("teacher_budget")


def run_agreement(spec: str, labels: LabelSet, seed: int = 0,
                  progress: Callable[[int], None] = lambda n: None,
                  outputs: Sequence[StudentOutput] | None = None) -> dict:
    """The whole analysis: the student named by ``spec`` against ``labels``
    (:func:`~chessmesa.analysis.label_reader.load_labels`; pass the same ``student`` there so that a
    trained student is scored on games it never saw). ``outputs`` skips asking the student again.

    Returns ``{"analysis": "agreement", "student", "data", "split", "reference", "teacher_budget",
    "positions", "games", "strata": {"all", "decided", "undecided"}, "budgets": {"64": summary
    against the budget-64 labels, ...}}``; ValueError (a ``SpecError``) for a bad spec.
    """
    if outputs is None:
        name, outputs = student_answers(spec, labels, seed, progress)
    else:
        name = spec
    teacher = trained_teacher_budget(spec)
    teacher = teacher if teacher in labels.budgets else None
    return {
        "analysis": "agreement", "student": name, "data": labels.data_dir,
        "split": {**labels.split, "student_recorded_split": recorded_holdout(spec) is not None},
        "reference": labels.reference_info(), "teacher_budget": teacher,
        "positions": len(labels.positions), "games": labels.split.get("games"),
        "strata": compare(outputs, labels.positions, labels.references(), teacher, seed),
        "budgets": {str(b): compare(outputs, labels.positions, [p.labels[b] for p in labels.positions],
                                    None, seed, strata=("all",))["all"] for b in labels.budgets},
    }
