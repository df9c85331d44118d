"""Move <-> policy index: AlphaZero's 73 x 8 x 8 layout, seen from the side to move.

A move is indexed by the square it leaves and by one of 73 "move planes" (Silver et al., 2018):

==============  ============================================================================
planes 0..55    queen-like moves: ``7 * direction + distance - 1``, directions N, NE, E, SE,
                S, SW, W, NW; also king moves, castling (the king's two-square move), pawn
                pushes and captures, and promotions to a queen
planes 56..63   knight jumps: (+2,+1), (+1,+2), (-1,+2), (-2,+1), (-2,-1), (-1,-2), (+1,-2), (+2,-1)
                as (ranks, files)
planes 64..72   under-promotions: ``64 + 3 * piece + file step + 1``, piece knight 0, bishop 1,
                rook 2; file step -1 (capture to the left), 0 (push), +1 (capture to the right)
==============  ============================================================================

``index = plane * 64 + from_square``, squares in the mover's frame: for Black both squares are
flipped vertically (``sq ^ 56``), as the input planes are, so "forward" is always up the board.

Why this layout rather than lc0's 1858 moves: a convolutional head emits the 73 planes directly
(a 1x1 convolution, no dense layer, so the tiny networks stay tiny), the transformer emits 73
logits per square token in the same order, and the index is plain arithmetic both ways (no table).
About 60% of the 4672 indices can never be legal; that costs nothing, because the loss and the
move choice only ever look at the legal moves' logits (a softmax masked to them).

>>> from chessmesa.core import Position
>>> position = Position()
>>> e2e4 = position.parse_move("e2e4")
>>> index = move_index(e2e4, 0); index == (7 * 0 + 1) * 64 + 12   # north, 2 squares, from e2
True
>>> decode_index(index, 0)      # (from, to, under-promotion piece or 0)
(12, 28, 0)
>>> index_to_move(index, 0, position.legal_moves()) == e2e4
True
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chessmesa.core.layout import BLACK, KNIGHT, PROMOTION, QUEEN

POLICY_PLANES = 73
POLICY_SIZE = POLICY_PLANES * 64
KNIGHT_PLANE = 56
UNDERPROMOTION_PLANE = 64

# (rank step, file step) of the 8 queen directions and the 8 knight jumps, in plane order
_DIRECTIONS = np.array([(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)],
                       dtype=np.int64)
_KNIGHT_JUMPS = np.array([(2, 1), (1, 2), (-1, 2), (-2, 1), (-2, -1), (-1, -2), (1, -2), (2, -1)],
                         dtype=np.int64)
# the inverse maps: (rank step + 2) * 5 + file step + 2 -> direction / jump number
_DIRECTION_OF = np.full(25, -1, dtype=np.int64)
_JUMP_OF = np.full(25, -1, dtype=np.int64)
for _i in range(8):
    _DIRECTION_OF[(_DIRECTIONS[_i, 0] + 2) * 5 + _DIRECTIONS[_i, 1] + 2] = _i
    _JUMP_OF[(_KNIGHT_JUMPS[_i, 0] + 2) * 5 + _KNIGHT_JUMPS[_i, 1] + 2] = _i


@njit(cache=True, inline="always")
def _sign(x):
    return (x > 0) - (x < 0)


@njit(cache=True)
def move_index(move, side):
    """The policy index of a legal move code for the side to move ``side`` (0 white, 1 black)."""
    flip = 56 if side == BLACK else 0
    from_sq, to_sq, flag = (move & 63) ^ flip, ((move >> 6) & 63) ^ flip, (move >> 12) & 15
    ranks, files = (to_sq >> 3) - (from_sq >> 3), (to_sq & 7) - (from_sq & 7)
    if flag & PROMOTION and (flag & 3) + KNIGHT != QUEEN:
        plane = UNDERPROMOTION_PLANE + 3 * (flag & 3) + files + 1
    elif abs(ranks) + abs(files) == 3 and ranks != 0 and files != 0:
        plane = KNIGHT_PLANE + _JUMP_OF[(ranks + 2) * 5 + files + 2]
    else:
        distance = max(abs(ranks), abs(files))
        plane = 7 * _DIRECTION_OF[(_sign(ranks) + 2) * 5 + _sign(files) + 2] + distance - 1
    return plane * 64 + from_sq


@njit(cache=True)
def decode_index(index, side):
    """``(from, to, under-promotion piece type or 0)`` of a policy index, in board squares;
    ``to`` is -1 when the index leaves the board."""
    plane, from_sq = index // 64, index % 64
    promotion = 0
    if plane < KNIGHT_PLANE:
        distance = plane % 7 + 1
        ranks, files = _DIRECTIONS[plane // 7, 0] * distance, _DIRECTIONS[plane // 7, 1] * distance
    elif plane < UNDERPROMOTION_PLANE:
        ranks, files = _KNIGHT_JUMPS[plane - KNIGHT_PLANE, 0], _KNIGHT_JUMPS[plane - KNIGHT_PLANE, 1]
    else:
        promotion = KNIGHT + (plane - UNDERPROMOTION_PLANE) // 3
        ranks, files = 1, (plane - UNDERPROMOTION_PLANE) % 3 - 1
    rank, file = (from_sq >> 3) + ranks, (from_sq & 7) + files
    flip = 56 if side == BLACK else 0
    to_sq = (rank * 8 + file) ^ flip if 0 <= rank < 8 and 0 <= file < 8 else -1
    return from_sq ^ flip, to_sq, promotion


@njit(cache=True)
def index_to_move(index, side, legal_moves):
    """The legal move (from ``legal_moves``) with policy index ``index``, or 0 if none has it."""
    for move in legal_moves:
        if move_index(move, side) == index:
            return move
    return 0


@njit(cache=True, nogil=True)
def batch_move_indices(sides, moves, counts, out):
    """``out[i, j] = move_index(moves[i, j], sides[i])`` for ``j < counts[i]``, else 0."""
    out[:] = 0
    for i in range(counts.shape[0]):
        for j in range(counts[i]):
            out[i, j] = move_index(moves[i, j], sides[i])


@njit(cache=True, nogil=True)
def legal_softmax(logits, indices, counts, out):
    """Softmax of each row's logits over its legal moves: ``out[i, j]`` is the probability of the
    move with policy index ``indices[i, j]`` (``j < counts[i]``); the rest of ``out`` is 0."""
    out[:] = 0.0
    for i in range(counts.shape[0]):
        n = counts[i]
        if n == 0:
            continue
        top = -np.inf
        for j in range(n):
            top = max(top, logits[i, indices[i, j]])
        total = 0.0
        for j in range(n):
            out[i, j] = np.exp(logits[i, indices[i, j]] - top)
            total += out[i, j]
        for j in range(n):
            out[i, j] /= total


def move_indices(sides: np.ndarray, moves: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Policy indices of padded rows of move codes: ``int64[rows, moves.shape[1]]``, 0 as padding.

    >>> from chessmesa.core import Position
    >>> legal = Position().legal_moves()
    >>> move_indices(np.array([0]), legal[None], np.array([len(legal)])).shape
    (1, 20)
    """
    out = np.empty(moves.shape, dtype=np.int64)
    batch_move_indices(np.asarray(sides, dtype=np.int64), np.asarray(moves, dtype=np.int64),
                       np.asarray(counts, dtype=np.int64), out)
    return out
