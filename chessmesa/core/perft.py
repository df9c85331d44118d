"""Perft: count the leaf nodes of the legal move tree, the ground truth for move generation.

The walk uses an explicit stack (numba cache and recursion do not mix well) and counts the moves at
depth 1 without making them ("bulk counting"), as Stockfish's ``go perft`` does. Nothing is
allocated per node: one move buffer per level is made before the walk.
"""

import numpy as np
from numba import njit

from chessmesa.core.layout import MAX_MOVES
from chessmesa.core.movegen import generate_legal
from chessmesa.core.make_unmake import make_move, unmake_move


@njit(cache=True, nogil=True)
def perft(bb, st, t, depth):
    """Leaf count of the legal move tree ``depth`` plies deep.

    >>> from chessmesa.core import Position
    >>> position = Position()
    >>> perft(position.bb, position.st, position.tables, 3)
    8902
    """
    if depth == 0:
        return 1
    moves = np.empty((depth, MAX_MOVES), dtype=np.int64)
    counts = np.zeros(depth, dtype=np.int64)
    next_index = np.zeros(depth, dtype=np.int64)
    counts[0] = generate_legal(bb, st, t, moves[0])
    if depth == 1:
        return counts[0]
    total = 0
    level = 0
    while level >= 0:
        if next_index[level] == counts[level]:
            level -= 1
            if level >= 0:
                unmake_move(bb, st, t)
            continue
        make_move(bb, st, t, moves[level, next_index[level]])
        next_index[level] += 1
        if level + 2 == depth:
            total += generate_legal(bb, st, t, moves[level + 1])
            unmake_move(bb, st, t)
        else:
            level += 1
            counts[level] = generate_legal(bb, st, t, moves[level])
            next_index[level] = 0
    return total


@njit(cache=True, nogil=True)
def perft_divide(bb, st, t, depth):
    """``(moves, counts)``: the perft count below each legal root move (``depth >= 1``)."""
    moves = np.empty(MAX_MOVES, dtype=np.int64)
    n = generate_legal(bb, st, t, moves)
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n):
        make_move(bb, st, t, moves[i])
        counts[i] = perft(bb, st, t, depth - 1)
        unmake_move(bb, st, t)
    return moves[:n].copy(), counts
