"""Activation patching on look-ahead puzzles: which squares of which layer carry the solution.

For each puzzle of a look-ahead set (:mod:`chessmesa.analysis.lookahead_puzzles`) the network runs
on its corrupted twin, and then on the clean puzzle with one layer's activations at one square
replaced by the twin's (forward hooks; every square of a layer in one batch). The effect of a
patch is the drop in the log-odds of the solution's first move, ``log p - log(1 - p)`` with ``p``
the network's probability of that move among the legal ones, as Jenner et al. (2024) measure it.

The squares are read in the network's frame, the side to move's (for Black the board is flipped
vertically: square ``s`` becomes ``s ^ 56``; :mod:`chessmesa.nn.planes`). A network takes part when
it has a ``square_layers()`` method naming, in order, the modules whose outputs hold one vector
per square (``[B, C, 8, 8]`` for a convolutional tower, ``[B, 64, C]`` for a transformer) and
its ``forward`` returns the policy logits first.

>>> log_odds(np.array([[0.0, 0.0, 0.0, 5.0]]), [np.array([0, 1, 2])], np.array([0]))
array([-0.69314718])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import chess
import numpy as np
import torch
from scipy.special import logsumexp
from torch import nn

from chessmesa.analysis.lookahead_puzzles import LINE_MOVES, LookaheadPuzzle
from chessmesa.analysis.metrics import bootstrap_ci
from chessmesa.core.convert import move_from_chess
from chessmesa.core.position import Position
from chessmesa.nn.moves import move_index
from chessmesa.nn.planes import encode_positions

SQUARES = 64
#: the squares whose patching the summary reports: the target squares of the line's three moves
#: and the square its first move leaves
PATCHED_SQUARES = ("move1", "move2", "move3", "move1_from")
PUZZLES_PER_BATCH = 4  # a batch patches every square of this many puzzles: 256 rows


@dataclass(frozen=True)
class EncodedPuzzles:
    """A look-ahead set as the network sees it.

    ``clean`` and ``corrupted`` are the input planes ``[P, PLANES, 8, 8]``; ``legal`` the policy
    indices of each clean position's legal moves; ``solution`` the policy index of the line's first
    move; ``targets`` ``[P, 3]`` the frame squares the line's three moves go to; ``first_from`` the
    square the first move leaves (a convolutional policy head reads a move at the square it
    leaves); ``changed`` the frame squares the twin differs on.
    """

    clean: np.ndarray
    corrupted: np.ndarray
    legal: list[np.ndarray]
    solution: np.ndarray
    targets: np.ndarray
    first_from: np.ndarray
    changed: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.clean)


def frame_square(square: int, board: chess.Board) -> int:
    """A square in the side to move's frame (vertically flipped for Black).

    >>> frame_square(chess.E2, chess.Board()), frame_square(chess.E7, chess.Board("4k3/8/8/8/8/8/8/4K3 b - - 0 1"))
    (12, 12)
    """
    return square if board.turn == chess.WHITE else square ^ 56


def policy_indices(board: chess.Board, moves: Sequence[chess.Move]) -> np.ndarray:
    """The policy indices of legal ``moves`` of ``board``."""
    side = 0 if board.turn == chess.WHITE else 1
    return np.array([move_index(move_from_chess(board, move), side) for move in moves], dtype=np.int64)


def encode_puzzles(puzzles: Sequence[LookaheadPuzzle]) -> EncodedPuzzles:
    """The planes, legal moves, solution and squares of each puzzle."""
    boards = [chess.Board(puzzle.fen) for puzzle in puzzles]
    legal, solution, targets, first_from, changed = [], [], [], [], []
    for puzzle, board in zip(puzzles, boards):
        first = chess.Move.from_uci(puzzle.line[0])
        legal.append(policy_indices(board, list(board.legal_moves)))
        solution.append(policy_indices(board, [first])[0])
        first_from.append(frame_square(first.from_square, board))
        targets.append([frame_square(square, board) for square in puzzle.target_squares()])
        changed.append(np.array([frame_square(square, board) for square in puzzle.changed_squares()], dtype=np.int64))
    return EncodedPuzzles(
        clean=encode_positions([Position(puzzle.fen) for puzzle in puzzles]),
        corrupted=encode_positions([Position(puzzle.corrupted_fen) for puzzle in puzzles]),
        legal=legal, solution=np.array(solution, dtype=np.int64),
        targets=np.array(targets, dtype=np.int64).reshape(len(puzzles), LINE_MOVES),
        first_from=np.array(first_from, dtype=np.int64), changed=changed)


def log_odds(logits: np.ndarray, legal: Sequence[np.ndarray], moves: np.ndarray) -> np.ndarray:
    """``log p - log(1 - p)`` of ``moves[i]`` in row ``i``, ``p`` its softmax share among the row's
    ``legal`` indices (computed as the move's logit minus the log-sum-exp of the other legal ones)."""
    odds = np.empty(len(logits))
    for row, (indices, move) in enumerate(zip(legal, moves)):
        others = indices[indices != move]
        odds[row] = logits[row, move] - (logsumexp(logits[row, others]) if len(others) else -np.inf)
    return odds


def square_mask(output: torch.Tensor, puzzles: int) -> torch.Tensor:
    """A boolean mask, broadcastable to ``output`` (``puzzles * 64`` rows), that selects square
    ``row % 64`` of each row: row ``r`` patches square ``r % 64``."""
    eye = torch.eye(SQUARES, dtype=torch.bool, device=output.device)
    shape = (SQUARES, 1, 8, 8) if output.dim() == 4 else (SQUARES, SQUARES, 1)
    return eye.reshape(shape).repeat((puzzles,) + (1,) * (len(shape) - 1))


def policy_logits(model: nn.Module, planes: np.ndarray) -> np.ndarray:
    """The policy logits ``[B, POLICY]`` of encoded planes (call under ``torch.inference_mode``)."""
    return model(torch.from_numpy(planes))[0].float().numpy()


def patch_layer(model: nn.Module, layer: nn.Module, clean: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """The policy logits ``[P * 64, POLICY]`` of the clean positions with ``layer``'s output at one
    square taken from the corrupted positions: row ``64 * p + s`` patches square ``s`` of puzzle
    ``p``."""
    captured: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.setdefault("donor", output))
    try:
        model(torch.from_numpy(corrupted))
    finally:
        handle.remove()
    donor = captured["donor"].repeat_interleave(SQUARES, dim=0)

    def patch(module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        return torch.where(square_mask(output, len(clean)), donor, output)

    handle = layer.register_forward_hook(patch)
    try:
        return policy_logits(model, np.repeat(clean, SQUARES, axis=0))
    finally:
        handle.remove()


@dataclass(frozen=True)
class Patching:
    """What patching measured on a set of puzzles.

    ``effects[p, l, s]`` is the drop in puzzle ``p``'s solution log-odds when layer ``layers[l]``
    is patched at square ``s`` (positive: the patch hurts the solution); ``clean`` and
    ``corrupted`` are the log-odds on the clean puzzle and on its whole twin, so ``clean -
    corrupted`` is the drop that the corruption causes as a whole.
    """

    layers: list[str]
    effects: np.ndarray
    clean: np.ndarray
    corrupted: np.ndarray

    @property
    def total_drop(self) -> np.ndarray:
        return self.clean - self.corrupted


def patching_effects(model: nn.Module, puzzles: EncodedPuzzles,
                     progress: Callable[[int], None] = lambda n: None) -> Patching:
    """Patch every square of every square layer of ``model`` on every puzzle (:class:`Patching`)."""
    layers = dict(model.square_layers())
    effects = np.empty((len(puzzles), len(layers), SQUARES))
    clean, corrupted = np.empty(len(puzzles)), np.empty(len(puzzles))
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(puzzles), PUZZLES_PER_BATCH):
            rows = slice(start, start + PUZZLES_PER_BATCH)
            legal, solution = puzzles.legal[rows], puzzles.solution[rows]
            clean[rows] = log_odds(policy_logits(model, puzzles.clean[rows]), legal, solution)
            corrupted[rows] = log_odds(policy_logits(model, puzzles.corrupted[rows]), legal, solution)
            repeated_legal = [indices for indices in legal for _ in range(SQUARES)]
            for number, layer in enumerate(layers.values()):
                patched = log_odds(patch_layer(model, layer, puzzles.clean[rows], puzzles.corrupted[rows]),
                                   repeated_legal, np.repeat(solution, SQUARES))
                effects[rows, number] = clean[rows, None] - patched.reshape(-1, SQUARES)
            progress(len(legal))
    return Patching(list(layers), effects, clean, corrupted)


def other_squares(puzzles: EncodedPuzzles) -> np.ndarray:
    """``bool[P, 64]``: the squares that are neither a square of the line's first move, nor a
    target of the line, nor changed in the twin."""
    others = np.ones((len(puzzles), SQUARES), dtype=bool)
    for row, (targets, changed) in enumerate(zip(puzzles.targets, puzzles.changed)):
        others[row, targets] = False
        others[row, changed] = False
    others[np.arange(len(puzzles)), puzzles.first_from] = False
    return others


def distance_to_change(puzzles: EncodedPuzzles) -> np.ndarray:
    """``int[P, 64]``: each square's king-move (Chebyshev) distance to the nearest square the
    twin changed. An early layer sees a few squares around each square, so a square near the change
    carries the twin's difference whatever the network computes: targets are compared with the
    other squares as near the change (:func:`matched_others`).

    >>> puzzles = EncodedPuzzles(*([None] * 6), changed=[np.array([0])])
    >>> distance_to_change(puzzles)[0, [0, 9, 63]].tolist()
    [0, 1, 7]
    """
    squares = np.arange(SQUARES)
    distances = np.empty((len(puzzles.changed), SQUARES), dtype=np.int64)
    for row, changed in enumerate(puzzles.changed):
        ranks = np.abs(squares[:, None] // 8 - changed[None, :] // 8)
        files = np.abs(squares[:, None] % 8 - changed[None, :] % 8)
        distances[row] = np.maximum(ranks, files).min(axis=1)
    return distances


def matched_others(others: np.ndarray, distances: np.ndarray, square: np.ndarray) -> np.ndarray:
    """``bool[P, 64]``: per puzzle, the ``others`` squares at the same distance from the twin's
    change as ``square`` (at the nearest distance there is, when none is at the same one)."""
    gap = np.abs(distances - distances[np.arange(len(square)), square][:, None])
    gap = np.where(others, gap, np.iinfo(np.int64).max)
    return others & (gap == gap.min(axis=1, keepdims=True))


def _mean_with_interval(values: np.ndarray, seed: int, level: float = 0.95) -> dict:
    if len(values) == 0:
        return {"mean": None, "ci": [None, None]}
    low, high = bootstrap_ci(values, seed=seed, level=level)
    return {"mean": float(values.mean()), "ci": [low, high]}


#: a puzzle counts for the patching summary when the whole corruption lowers the network's
#: log-odds of the solution by at least this much: a twin the network does not notice cannot
#: show where it reads the line (Jenner et al. keep twins that drop the move below 10%)
MIN_TOTAL_DROP = 1.0


def summarise_patching(patching: Patching, puzzles: EncodedPuzzles, seed: int = 0,
                       min_total_drop: float = MIN_TOTAL_DROP) -> dict:
    """The patching effects on the puzzles whose twin the network notices (a total drop of at
    least ``min_total_drop``), per layer, with bootstrap intervals over those puzzles.

    Per layer: ``others`` (each puzzle's mean over the squares that are no square of the line and
    not changed in the twin), ``changed`` (the twin's changed squares) and, for the target square of
    the line's 1st, 2nd and 3rd move (``move1``..``move3``) and the square the first move leaves
    (``move1_from``): ``target``, the effect there, and ``difference``, that minus the mean over the
    other squares as near the twin's change (:func:`matched_others`), per puzzle. The differences'
    intervals hold at 95% for all layers at once (Bonferroni: each at ``1 - 0.05 / layers``), as
    a reader looks for the layer where the effect is largest.
    """
    kept = np.flatnonzero(patching.total_drop >= min_total_drop)
    others = other_squares(puzzles)[kept]
    distances = distance_to_change(puzzles)[kept]
    level = 1 - 0.05 / len(patching.layers)
    squares = {f"move{move + 1}": puzzles.targets[kept, move] for move in range(LINE_MOVES)}
    squares["move1_from"] = puzzles.first_from[kept]
    matched = {name: matched_others(others, distances, square) for name, square in squares.items()}
    rows = np.arange(len(kept))
    summary: dict = {"puzzles": len(puzzles), "noticed": len(kept), "min_total_drop": min_total_drop,
                     "difference_level": level,
                     "total_drop": _mean_with_interval(patching.total_drop[kept], seed), "layers": {}}
    for number, layer in enumerate(patching.layers):
        effects = patching.effects[kept, number]
        entry = {"others": _mean_with_interval(np.array([row[mask].mean() for row, mask in zip(effects, others)]),
                                               seed)}
        for name, square in squares.items():
            at_square = effects[rows, square]
            near = np.array([row[mask].mean() for row, mask in zip(effects, matched[name])])
            entry[name] = {"target": _mean_with_interval(at_square, seed),
                           "difference": _mean_with_interval(at_square - near, seed, level)}
        entry["changed"] = _mean_with_interval(
            np.array([effects[row, puzzles.changed[index]].mean() for row, index in enumerate(kept)]), seed)
        summary["layers"][layer] = entry
    return summary
