"""Game state: checkmate, stalemate, insufficient material, the 75- and 50-move rules, fivefold
and threefold repetition.

The rules and their order follow python-chess's ``Board.outcome(claim_draw=True)`` for a position
as it stands: checkmate, insufficient material (neither side can mate), stalemate, the 75-move rule
(150 half-moves without capture or pawn move), the fifth occurrence of the position, then the two
draws a player may claim but need not: the fifty-move rule (100 half-moves) and the third
occurrence. Repetitions are counted in the game history kept on the undo stack.

The first five end the game by themselves (``game_over``); a claimable draw is the caller's to
claim, and until it does the game goes on: an engine asked to move there searches and moves.

>>> from chessmesa.core import Position
>>> status = Position("4k3/8/8/8/8/8/8/4KR2 w - - 100 80").status()
>>> status, is_claimable(STATUS_NAMES.index(status))
('fifty_moves', True)
"""

import numpy as np
from numba import njit

from chessmesa.core.bits import popcount
from chessmesa.core.movegen import generate_legal, in_check
from chessmesa.core.layout import (
    BISHOP, COLOR_BB, HALFMOVE, HASH, HIST, KING, KNIGHT, PAWN, PLY, QUEEN, ROOK, WHITE, BLACK,
)

ONGOING, CHECKMATE, STALEMATE, INSUFFICIENT_MATERIAL, FIFTY_MOVES, THREEFOLD_REPETITION = range(6)
SEVENTYFIVE_MOVES, FIVEFOLD_REPETITION = 6, 7
#: Each code's name: python-chess's ``Termination`` name in lower case.
STATUS_NAMES = (
    "ongoing", "checkmate", "stalemate", "insufficient_material", "fifty_moves",
    "threefold_repetition", "seventyfive_moves", "fivefold_repetition",
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
    if st[HALFMOVE] >= 150:
        return SEVENTYFIVE_MOVES
    repetitions = repetition_count(bb, st)
    if repetitions >= 5:
        return FIVEFOLD_REPETITION
    if st[HALFMOVE] >= 100:
        return FIFTY_MOVES
    if repetitions >= 3:
        return THREEFOLD_REPETITION
    return ONGOING


@njit(cache=True)
def is_claimable(status):
    """Whether ``status`` is a draw that a player may claim (and the game goes on until one does)."""
    return status == FIFTY_MOVES or status == THREEFOLD_REPETITION


@njit(cache=True)
def game_over(status):
    """Whether ``status`` ends the game by itself, claimed or not."""
    return status != ONGOING and not is_claimable(status)


@njit(cache=True)
def position_status(bb, st, t, moves):
    """``(status code, legal move count)`` of the position; its legal moves are left in
    ``moves``."""
    n = generate_legal(bb, st, t, moves)
    return game_status(bb, st, in_check(bb, st, t), n), n
