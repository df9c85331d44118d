"""Input planes: a batch of positions as ``float32[count, PLANES, 8, 8]``, in numba.

The encoder reads exactly what the batch bridge hands a leaf evaluator (``bb[:9]``, ``st[:70]``
and the repetition count; see :mod:`chessmesa.search.bridge`), so network leaves need no
conversion. The input holds the position alone, never its history: students learn from positions
rebuilt from their FEN, so a repetition plane would be zero in every training example and switched
on, untrained, only in play. Draws by repetition are the tree's business (``netmcts``) and the root
rules' (``policy``). Every position is seen from the
side to move: for Black the board is flipped vertically (square ``sq`` becomes ``sq ^ 56``) and the
colours are swapped, so "own pawns move up the board" always holds and a position and its
colour-mirrored twin give the same planes (except :data:`COLOR_PLANE`).

=========================  ===========================================================
planes ``0..5``            own pawns, knights, bishops, rooks, queens, king
planes ``6..11``           the opponent's pieces, same order
``12, 13``                 own castling rights: king side, queen side (all ones or zeros)
``14, 15``                 the opponent's castling rights: king side, queen side
``16`` (EP_PLANE)          the en passant target square
``17`` (HALFMOVE_PLANE)    fifty-move counter / 100, everywhere (1.0 = a draw can be claimed)
``18`` (COLOR_PLANE)       ones when Black is to move: the only colour-dependent input
``19`` (ONES_PLANE)        ones: lets zero-padded convolutions find the board's edge
``20, 21`` (ATTACK_PLANES) how many own / opposing pieces attack each square, / 4
``22, 23``                 the value of the least valuable own / opposing attacker of each
                           square (pawn 1, knight and bishop 3, rook 5, queen 9, king 10) / 10;
                           0 where none attacks
=========================  ===========================================================

The attack planes are one ply of static information, no search: what a player sees at a glance
(Giraffe's attack and defence maps, Lai 2015). They let a small network tell a piece that hangs
(attacked by a cheaper piece, or attacked and not defended) from one that is safe on the square
itself, where a stack of 3x3 convolutions would need a layer per square of distance to find the
attacker.

Row ``r``, column ``c`` of a plane is square ``8 * r + c`` in the mover's frame (``a1`` at row 0).

>>> from chessmesa.core import Position
>>> planes = encode_positions([Position()])
>>> planes.shape, float(planes[0, 0, 1].sum()), float(planes[0, 6, 6].sum())
((1, 24, 8, 8), 8.0, 8.0)
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from numba import njit

from chessmesa.core.bits import popcount
from chessmesa.core.position import Position
from chessmesa.core.layout import (
    BK, BLACK, BOARD, BQ, CASTLING, COLOR_BB, EP, HALFMOVE, KING, NO_SQUARE, PAWN, SIDE, WHITE, WK, WQ,
)
from chessmesa.core.make_unmake import attackers_to
from chessmesa.core.tables import get_tables
from chessmesa.search.bridge import LEAF_BB, LEAF_ST

PLANES = 24
CASTLING_PLANE = 12
EP_PLANE = 16
HALFMOVE_PLANE = 17
COLOR_PLANE = 18
ONES_PLANE = 19
ATTACK_PLANES = 20  # counts at 20 (own) and 21 (opposing), least attacker values at 22 and 23
#: what an attacker is worth for the least-attacker planes, by piece type (index 0: no attacker)
ATTACKER_VALUE = np.array([0.0, 1.0, 3.0, 3.0, 5.0, 9.0, 10.0], dtype=np.float32) / 10.0


@njit(cache=True, nogil=True)
def _attack_planes(bb, t, us, flip, out_i):
    """Fill ``out_i[ATTACK_PLANES:]`` (one position's planes) from its bitboards."""
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    for sq in range(64):
        attackers = attackers_to(bb, t, sq, occupied)
        if attackers == 0:
            continue
        s = sq ^ flip
        for side in range(2):  # 0: own pieces, 1: the opponent's
            side_attackers = attackers & bb[COLOR_BB + (us ^ side)]
            if side_attackers == 0:
                continue
            out_i[ATTACK_PLANES + side, s >> 3, s & 7] = popcount(side_attackers) / 4.0
            for piece in range(PAWN, KING + 1):
                if side_attackers & bb[piece - 1]:
                    out_i[ATTACK_PLANES + 2 + side, s >> 3, s & 7] = ATTACKER_VALUE[piece]
                    break


@njit(cache=True, nogil=True)
def encode_batch(leaf_bb, leaf_st, repetitions, out, t):
    """Fill ``out[:count]`` (float32[count, PLANES, 8, 8]) with the planes of each leaf; ``t``
    are the attack tables (:func:`chessmesa.core.get_tables`).

    ``repetitions`` (the input holds no history, see the module doc) is unused but kept so that
    the arguments are the batch bridge's.
    """
    count = leaf_st.shape[0]
    out[:count] = 0.0
    for i in range(count):
        us = leaf_st[i, SIDE]
        flip = 56 if us == BLACK else 0
        for sq in range(64):
            piece = leaf_st[i, BOARD + sq]
            if piece:
                plane = (piece & 7) - 1 + (0 if piece >> 3 == us else 6)
                s = sq ^ flip
                out[i, plane, s >> 3, s & 7] = 1.0
        rights = leaf_st[i, CASTLING]
        own_king, own_queen, their_king, their_queen = (
            (BK, BQ, WK, WQ) if us == BLACK else (WK, WQ, BK, BQ))
        if rights & own_king:
            out[i, CASTLING_PLANE] = 1.0
        if rights & own_queen:
            out[i, CASTLING_PLANE + 1] = 1.0
        if rights & their_king:
            out[i, CASTLING_PLANE + 2] = 1.0
        if rights & their_queen:
            out[i, CASTLING_PLANE + 3] = 1.0
        ep = leaf_st[i, EP]
        if ep != NO_SQUARE:
            s = ep ^ flip
            out[i, EP_PLANE, s >> 3, s & 7] = 1.0
        out[i, HALFMOVE_PLANE] = min(leaf_st[i, HALFMOVE], 100) / 100.0
        if us == BLACK:
            out[i, COLOR_PLANE] = 1.0
        out[i, ONES_PLANE] = 1.0
        _attack_planes(leaf_bb[i], t, us, flip, out[i])


def position_arrays(positions: Iterable[Position], count: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(leaf_bb, leaf_st, repetitions)`` of positions, as the batch bridge hands them over.

    ``positions`` may be made one at a time (a generator, with ``count`` given): each is copied
    and dropped, so that a dataset's positions need not all exist at once (a ``Position`` carries
    its whole undo stack, about 50 KB).

    >>> bb, st, reps = position_arrays([Position()])
    >>> bb.shape, st.shape, reps.tolist()
    ((1, 9), (1, 70), [1])
    >>> position_arrays((Position() for _ in range(3)), count=3)[1].shape
    (3, 70)
    """
    count = len(positions) if count is None else count
    leaf_bb = np.empty((count, LEAF_BB), dtype=np.uint64)
    leaf_st = np.empty((count, LEAF_ST), dtype=np.int64)
    repetitions = np.empty(count, dtype=np.int64)
    for i, position in enumerate(positions):
        leaf_bb[i] = position.bb[:LEAF_BB]
        leaf_st[i] = position.st[:LEAF_ST]
        repetitions[i] = position.repetitions()
    return leaf_bb, leaf_st, repetitions


def encode_arrays(leaf_bb: np.ndarray, leaf_st: np.ndarray, repetitions: np.ndarray) -> np.ndarray:
    """The planes of a batch given as arrays: ``float32[count, PLANES, 8, 8]``."""
    out = np.empty((leaf_st.shape[0], PLANES, 8, 8), dtype=np.float32)
    encode_batch(leaf_bb, leaf_st, repetitions, out, get_tables())
    return out


def encode_positions(positions: Sequence[Position]) -> np.ndarray:
    """The planes of positions: ``float32[len(positions), PLANES, 8, 8]`` (see the module doc)."""
    return encode_arrays(*position_arrays(positions))
