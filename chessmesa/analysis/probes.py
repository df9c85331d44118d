"""Linear probes: what a student network's layers encode, against two controls.

The controls: the same architecture with random weights (what any network of this shape encodes),
and the raw input planes (what a linear read of the board gives without any network).

Targets per position, concepts a linear read can find: ``material`` (balance in pawns, side to
move's view; regression), ``in_check``, ``hanging`` (the side to move can take an undefended
piece) and ``mobility`` (legal moves; regression). Look-ahead (the squares of a line's later
moves) is :mod:`chessmesa.analysis.lookahead`'s: a linear probe over a whole layer read even the
move about to be played no better than the raw board, so square-wise probes and activation
patching answer that question there.

Each probe is fitted on the positions of a training split of the games and scored on the positions of
the other games
(accuracy for classes, R^2 for regressions), its L2 penalty chosen on a validation split of the
training positions (ridge regression for values, a ridge classifier for classes: closed forms, so a
sweep of penalties costs a Cholesky factorisation each). Activations are first expressed in the
span of the training rows (:func:`principal_features`): the same probes, on far fewer columns than
a layer has.

>>> rng = np.random.default_rng(0)
>>> features = rng.normal(size=(400, 20))
>>> planted = (features[:, 3] - features[:, 7] > 0).astype(int)
>>> train, test = split_positions(400, seed=0)
>>> fit_probe(features, planted, CLASSIFICATION, train, test) > 0.8  # chance: 0.5
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import chess
import numpy as np
from scipy.linalg import cho_factor, cho_solve

from chessmesa.analysis.label_reader import LabelSet
from chessmesa.play.root_rules import material_balance

CLASSIFICATION, REGRESSION = "classification", "regression"
#: Candidate L2 penalties (per position, on unit-variance features); each probe takes the one
#: that scores best on a validation split of its training positions.
PENALTIES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
TEST_SHARE = 0.25
ACTIVATION_BATCH = 256


@dataclass(frozen=True)
class Target:
    """A probe target: one value per position (NaN, or -1 for classes, where undefined)."""

    name: str
    kind: str
    values: np.ndarray


def can_take_hanging_piece(board: chess.Board) -> bool:
    """Whether the side to move attacks an opponent piece (not the king) that nothing defends.

    >>> can_take_hanging_piece(chess.Board("4k3/8/8/3n4/8/8/8/3RK3 w - - 0 1"))
    True
    >>> can_take_hanging_piece(chess.Board("4k3/4p3/3n4/8/8/8/8/3RK3 w - - 0 1"))
    False
    """
    opponent = not board.turn
    return any(board.is_attacked_by(board.turn, square) and not board.is_attacked_by(opponent, square)
               for square, piece in board.piece_map().items()
               if piece.color == opponent and piece.piece_type != chess.KING)


def concept_targets(boards: Sequence[chess.Board]) -> list[Target]:
    """The concept targets of ``boards``."""
    return [
        Target("material", REGRESSION, np.array([material_balance(b) for b in boards], dtype=float)),
        Target("in_check", CLASSIFICATION, np.array([b.is_check() for b in boards], dtype=int)),
        Target("hanging", CLASSIFICATION, np.array([can_take_hanging_piece(b) for b in boards], dtype=int)),
        Target("mobility", REGRESSION, np.array([b.legal_moves.count() for b in boards], dtype=float)),
    ]


def split_positions(count: int, seed: int = 0, test_share: float = TEST_SHARE,
                    games: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint train and test indices of ``count`` positions (seeded); with ``games`` (a key per
    position) whole games go to one side, about ``test_share`` of the positions to the test side.

    >>> train, test = split_positions(8, seed=1)
    >>> len(train), len(test), sorted(np.concatenate([train, test]).tolist()) == list(range(8))
    (6, 2, True)
    >>> train, test = split_positions(6, games=[1, 1, 2, 2, 3, 3], test_share=0.3)
    >>> len(test), len({[1, 1, 2, 2, 3, 3][i] for i in test})
    (2, 1)
    """
    rng = np.random.default_rng(seed)
    if games is None:
        order = rng.permutation(count)
        cut = count - max(1, int(round(count * test_share)))
        return np.sort(order[:cut]), np.sort(order[cut:])
    keys, index = np.unique(np.asarray(games), return_inverse=True)
    if len(keys) < 2:
        return np.arange(count), np.zeros(0, dtype=np.int64)
    shuffled = rng.permutation(len(keys))
    positions_so_far = np.cumsum(np.bincount(index, minlength=len(keys))[shuffled])
    # the fewest games of the shuffle that reach the test share; at least one, never all
    test_games = int(np.clip(np.searchsorted(positions_so_far, count * test_share) + 1, 1, len(keys) - 1))
    test = np.isin(index, shuffled[:test_games])
    return np.flatnonzero(~test), np.flatnonzero(test)


def _span_axes(rows: np.ndarray) -> np.ndarray:
    """Orthonormal axes ``[k, D]`` of the span of centred ``rows`` (null directions left out).

    The eigenvectors of the smaller Gram matrix (rows x rows, or features x features) give them
    faster than an SVD of the full matrix when one side is much longer than the other.
    """
    if len(rows) < rows.shape[1]:
        eigenvalues, vectors = np.linalg.eigh(rows @ rows.T)
        axes = (rows.T @ vectors).T  # each row scaled by its singular value
    else:
        eigenvalues, axes = np.linalg.eigh(rows.T @ rows)
        axes = axes.T
    kept = eigenvalues > 1e-9 * max(eigenvalues.max(), 1e-300)
    axes = axes[kept] if kept.any() else axes[-1:]
    return axes / np.linalg.norm(axes, axis=1, keepdims=True).clip(min=1e-300)


def principal_features(features: np.ndarray, train: np.ndarray) -> np.ndarray:
    """``features`` (flattened per row, centred on the ``train`` rows) in coordinates of the
    span of the training rows: at most as many columns as training rows, whatever the width.

    Nothing is lost for the probes: an L2-penalised linear model's weights lie in the span of its
    training rows (the representer theorem), so ridge and logistic regression fit the same
    function here as on the raw features, only faster. The coordinates are not whitened, which
    would change the penalty; one common scale gives them a mean variance of 1.

    >>> principal_features(np.arange(12.0).reshape(4, 3), np.arange(4)).shape  # rank 1
    (4, 1)
    """
    features = features.reshape(len(features), -1).astype(np.float64)
    centred = features - features[train].mean(axis=0)
    projected = centred @ _span_axes(centred[train]).T
    scale = np.sqrt(np.mean(projected[train].var(axis=0)))
    return projected / scale if scale > 0 else projected


def _ridge_path(x: np.ndarray, y: np.ndarray, rows: np.ndarray,
                penalties: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Ridge ``(weights, intercept)`` of ``y`` (``[N, outputs]``) on the ``rows`` of ``x``, one
    per penalty; the intercept is never penalised.

    The normal equations are solved on the smaller side (features x features, or rows x rows in
    the dual form), with one Gram matrix for every penalty and a Cholesky factorisation each.
    """
    x_mean, y_mean = x[rows].mean(axis=0), y[rows].mean(axis=0)
    centred, targets = x[rows] - x_mean, y[rows] - y_mean
    dual = len(rows) < x.shape[1]
    gram = centred @ centred.T if dual else centred.T @ centred
    right = targets if dual else centred.T @ targets
    path = []
    for penalty in penalties:
        solved = cho_solve(cho_factor(gram + penalty * len(rows) * np.eye(len(gram))), right)
        weights = centred.T @ solved if dual else solved
        path.append((weights, y_mean - x_mean @ weights))
    return path


def _score(kind: str, predicted: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy of the argmax over one-hot columns, or R^2 of a single output."""
    if kind == CLASSIFICATION:
        return float(np.mean(np.argmax(predicted, axis=1) == np.argmax(truth, axis=1)))
    total = np.sum((truth - truth.mean()) ** 2)
    return 1.0 - float(np.sum((truth - predicted) ** 2) / total) if total > 0 else math.nan


def fit_probe(features: np.ndarray, target: np.ndarray, kind: str, train: np.ndarray,
              test: np.ndarray) -> float:
    """Fit a linear probe on the ``train`` rows of ``features`` ``[N, D]`` and score it on the
    ``test`` rows.

    Both kinds are ridge regressions: of the value for :data:`REGRESSION` (scored by R^2), of
    the one-hot class for :data:`CLASSIFICATION` (a ridge classifier, scored by the accuracy of
    its argmax; a test class never seen in training counts as a miss). Rows whose target is
    undefined (NaN, or a negative class) are left out. The penalty is chosen among
    :data:`PENALTIES` on a validation split of the training rows.
    """
    defined = np.isfinite(target) if kind == REGRESSION else target >= 0
    train, test = train[defined[train]], test[defined[test]]
    if len(train) < 4 or len(test) == 0:
        return math.nan
    if kind == REGRESSION:
        y = target.astype(float)[:, None]
    else:
        classes = np.unique(target[train])
        y = (target[:, None] == classes[None, :]).astype(float)
        y = np.column_stack([y, ~y.any(axis=1)])  # unseen classes: a column no probe predicts
    fit_rows, validation_rows = (train[rows] for rows in split_positions(len(train)))
    validated = [_score(kind, features[validation_rows] @ weights + intercept, y[validation_rows])
                 for weights, intercept in _ridge_path(features, y, fit_rows, PENALTIES)]
    best = PENALTIES[int(np.argmax(np.nan_to_num(validated, nan=-np.inf)))]
    weights, intercept = _ridge_path(features, y, train, [best])[0]
    return _score(kind, features[test] @ weights + intercept, y[test])


def baseline(target: Target, train: np.ndarray, test: np.ndarray) -> float:
    """What a probe without features scores: the majority class (accuracy), or R^2 = 0.

    >>> baseline(Target("t", CLASSIFICATION, np.array([1, 1, 0, 1, 0])), np.arange(3), np.arange(3, 5))
    0.5
    """
    if target.kind == REGRESSION:
        return 0.0
    known_train = target.values[train][target.values[train] >= 0]
    known_test = target.values[test][target.values[test] >= 0]
    if known_train.size == 0 or known_test.size == 0:
        return math.nan
    return float(np.mean(known_test == np.bincount(known_train).argmax()))


def layer_activations(network, positions: Sequence, batch: int = ACTIVATION_BATCH) -> dict[str, np.ndarray]:
    """``network.activations`` over all ``positions``, in batches: ``{layer: [N, ...]}``."""
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(positions), batch):
        for layer, values in network.activations(list(positions[start:start + batch])).items():
            chunks.setdefault(layer, []).append(np.asarray(values))
    return {layer: np.concatenate(values) for layer, values in chunks.items()}


def probe_layers(activations: dict[str, np.ndarray], targets: Sequence[Target], train: np.ndarray,
                 test: np.ndarray,
                 progress: Callable[[int], None] = lambda n: None) -> dict[str, dict[str, float]]:
    """``{layer: {target: score}}`` for every layer and target."""
    scores: dict[str, dict[str, float]] = {}
    for layer, raw in activations.items():
        features = principal_features(raw, train)
        scores[layer] = {}
        for target in targets:
            scores[layer][target.name] = fit_probe(features, target.values, target.kind, train, test)
            progress(1)
    return scores


def probe_targets(labels: LabelSet) -> list[Target]:
    """The concept targets of the positions of ``labels``."""
    return concept_targets([chess.Board(position.fen) for position in labels.positions])


def run_probes(checkpoints: Sequence[str], labels: LabelSet, seed: int = 0,
               progress: Callable[[int], None] = lambda n: None) -> dict:
    """Probe every layer of each checkpoint's network, of a randomly initialised copy, and the
    raw input planes.

    Returns ``{"analysis": "probes", "targets": {name: {"kind", "metric", "baseline"}},
    "planes": {"input": {target: score}}, "students": [{"name", "teacher_budget",
    "trained": {layer: {target: score}}, "control": ...}]}``.
    """
    from chessmesa.analysis.frontier import read_run
    from chessmesa.nn import encode_positions, load_network, random_init_like

    positions = [position.position() for position in labels.positions]
    targets = probe_targets(labels)
    train, test = split_positions(len(positions), seed, games=[p.game for p in labels.positions])
    if len(train) == 0 or len(test) == 0:
        raise ValueError("probes need positions from at least two games")
    planes = encode_positions(positions).reshape(len(positions), -1)
    students = []
    for checkpoint in checkpoints:
        network = load_network(checkpoint)
        folder = Path(checkpoint) if Path(checkpoint).is_dir() else Path(checkpoint).parent
        run = read_run(folder, folder)
        scores = {role: probe_layers(layer_activations(net, positions), targets, train, test, progress)
                  for role, net in (("trained", network), ("control", random_init_like(network)))}
        students.append({"name": str(checkpoint), "teacher_budget": run.teacher_budget if run else None,
                         **scores})
    return {
        "analysis": "probes",
        "data": labels.data_dir,
        "positions": {"train": len(train), "test": len(test)},
        "targets": {t.name: {"kind": t.kind, "metric": "accuracy" if t.kind == CLASSIFICATION else "r2",
                             "baseline": baseline(t, train, test)} for t in targets},
        "planes": probe_layers({"input": planes}, targets, train, test, progress),
        "students": students,
    }
