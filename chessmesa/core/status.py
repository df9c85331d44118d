"""Game state: checkmate, stalemate, insufficient material, fifty moves, threefold repetition.

The rules and their order follow python-chess's ``Board.outcome(claim_draw=True)`` for a position
as it stands: checkmate, insufficient material (neither side can mate), stalemate, the fifty-move
rule (100 half-moves without capture or pawn move), then the third occurrence of the position in
the game history kept on the undo stack.
"""

import numpy as np
from numba import njit

from chessmesa.core.bits import popcount
from chessmesa.core.movegen import generate_legal, in_check
from chessmesa.core.layout import (
    BISHOP, COLOR_BB, HALFMOVE, HASH, HIST, KING, KNIGHT, PAWN, PLY, QUEEN, ROOK, WHITE, BLACK,
)

ONGOING, CHECKMATE, STALEMATE, INSUFFICIENT_MATERIAL, FIFTY_MOVES, THREEFOLD_REPETITION = range(6)
STATUS_NAMES = (
    "ongoing", "checkmate", "stalemate", "insufficient_material", "fifty_moves",
    "threefold_repetition",
)

DARK_SQUARES = np.uint64(0xAA55AA55AA55AA55)


@njit(cache=True)
def repetition_count(bb, st):
    """How often the current position occurred, counting itself, since the last irreversible move."""
    count = 1
    ply = st[PLY]
    oldest = max(0, ply - st[HALFMOVE])
    i = ply - 2
    while i >= oldest:
        if bb[HIST + i] == bb[HASH]:
            count += 1
        i -= 2
    return count


@njit(cache=True)
def _has_insufficient_material(bb, color):
    """python-chess's rule: ``color`` cannot mate even with the opponent's help (self-mate)."""
    own = bb[COLOR_BB + color]
    other = bb[COLOR_BB + 1 - color]
    if own & (bb[PAWN - 1] | bb[ROOK - 1] | bb[QUEEN - 1]):
        return False
    if own & bb[KNIGHT - 1]:
        return popcount(own) <= 2 and not (other & ~bb[KING - 1] & ~bb[QUEEN - 1])
    bishops = bb[BISHOP - 1]
    if own & bishops:
        same_color = not (bishops & DARK_SQUARES) or not (bishops & ~DARK_SQUARES)
        return same_color and not bb[PAWN - 1] and not bb[KNIGHT - 1]
    return True


@njit(cache=True)
def insufficient_material(bb):
    return _has_insufficient_material(bb, WHITE) and _has_insufficient_material(bb, BLACK)


@njit(cache=True)
def game_status(bb, st, in_check, n_legal):
    """The status code of the position, given whether the side to move is in check and its
    number of legal moves."""
    if n_legal == 0 and in_check:
        return CHECKMATE
    if insufficient_material(bb):
        return INSUFFICIENT_MATERIAL
    if n_legal == 0:
        return STALEMATE
    if st[HALFMOVE] >= 100:
        return FIFTY_MOVES
    if repetition_count(bb, st) >= 3:
        return THREEFOLD_REPETITION
    return ONGOING


@njit(cache=True)
def position_status(bb, st, t, moves):
    """``(status code, legal move count)`` of the position; its legal moves are left in
    ``moves``."""
    n = generate_legal(bb, st, t, moves)
    return game_status(bb, st, in_check(bb, st, t), n), n
