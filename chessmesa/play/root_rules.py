"""Root rules every player deserves, searching or not: play a mate in one, and do not throw a won
game away into a draw.

The searcher has them in its tree (a mate in one is played at any budget, the solver backs up
proven results, repetitions are draws in the tree). A network without search has none: up by a
rook against ``random``, a student drew most of its games by threefold repetition and stalemate.
:func:`guarded_move` gives it the same floor: among the moves it ranks, a mate in one first; when
winning, the best-ranked move that neither stalemates, leaves mating material to neither side, nor
lets the opponent claim a draw (a third repetition, the fifty-move mark), and that leads to a
position not seen before in the game where there is one: a winning side that shuffles back and
forth hands the opponent the repetition, even if it never makes the third one itself.

The rules run in numba on the rules kernel's arrays, so that they cost microseconds on the fast
move path (:mod:`chessmesa.nn.fast`); they follow python-chess's ``is_checkmate``,
``is_stalemate``, ``is_insufficient_material``, ``can_claim_draw`` and ``is_repetition(2)``, and
are tested against a python-chess formulation of the same rules.

>>> from chessmesa.core import Position, move_to_uci
>>> position = Position("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1")
>>> ranked = np.array([position.parse_move(u) for u in ("a1a2", "a1a8")])
>>> move_to_uci(guarded_move(position.bb, position.st, position.tables, ranked, 0.0))  # the mate
'a1a8'
"""

from __future__ import annotations

import chess
import numpy as np
from numba import njit

from chessmesa.core.bits import popcount
from chessmesa.core.layout import BISHOP, COLOR_BB, HALFMOVE, KNIGHT, MAX_MOVES, PAWN, QUEEN, ROOK, SIDE
from chessmesa.core.movegen import generate_legal, in_check
from chessmesa.core.make_unmake import make_move, unmake_move
from chessmesa.core.status import insufficient_material, repetition_count

PIECE_VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9}
#: A player counts as winning from this value of its own evaluation (side to move's view) ...
WINNING_VALUE = 0.3
#: ... or this material lead, in pawns.
WINNING_MATERIAL = 3


def material_balance(board: chess.Board) -> int:
    """Material of the side to move minus the opponent's, in pawns (P=1, N=B=3, R=5, Q=9).

    >>> material_balance(chess.Board("4k3/8/8/8/8/8/8/R3K3 b - - 0 1"))
    -5
    """
    total = 0
    for piece_type, value in PIECE_VALUES.items():
        total += value * (len(board.pieces(piece_type, board.turn)) - len(board.pieces(piece_type, not board.turn)))
    return total


def gives_mate(board: chess.Board, move: chess.Move) -> bool:
    """Whether ``move`` checkmates (the board is left as it was)."""
    board.push(move)
    try:
        return board.is_checkmate()
    finally:
        board.pop()


@njit(cache=True, nogil=True)
def _material_balance(bb, us):
    """:func:`material_balance` on the kernel's bitboards, for the side ``us``."""
    total = 0
    for piece, value in ((PAWN, 1), (KNIGHT, 3), (BISHOP, 3), (ROOK, 5), (QUEEN, 9)):
        total += value * (popcount(bb[piece - 1] & bb[COLOR_BB + us]) - popcount(bb[piece - 1] & bb[COLOR_BB + 1 - us]))
    return total


@njit(cache=True, nogil=True)
def is_winning(bb, st, value):
    """Whether the side to move is winning: by its own ``value`` or by material."""
    return value > WINNING_VALUE or _material_balance(bb, st[SIDE]) >= WINNING_MATERIAL


@njit(cache=True, nogil=True)
def _fifty_moves(bb, st, t, buffer):
    """python-chess's ``is_fifty_moves``: 100 half-moves without capture or pawn move, and a
    legal move left."""
    return st[HALFMOVE] >= 100 and generate_legal(bb, st, t, buffer) > 0


@njit(cache=True, nogil=True)
def _draws_away(bb, st, t, move, buffer, replies):
    """Whether ``move`` stalemates, leaves mating material to neither side, or lets the opponent
    claim a draw at once (python-chess's ``can_claim_draw``: the fifty-move mark or a third
    occurrence, now or after one of its replies)."""
    make_move(bb, st, t, move)
    count = generate_legal(bb, st, t, replies)
    draws = ((count == 0 and not in_check(bb, st, t)) or insufficient_material(bb)
             or _fifty_moves(bb, st, t, buffer) or repetition_count(bb, st) >= 3)
    i = 0
    while not draws and i < count:
        make_move(bb, st, t, replies[i])
        draws = repetition_count(bb, st) >= 3 or (st[HALFMOVE] >= 100 and _fifty_moves(bb, st, t, buffer))
        unmake_move(bb, st, t)
        i += 1
    unmake_move(bb, st, t)
    return draws


@njit(cache=True, nogil=True)
def _gives_mate(bb, st, t, move, buffer):
    make_move(bb, st, t, move)
    mate = in_check(bb, st, t) and generate_legal(bb, st, t, buffer) == 0  # only a check can mate
    unmake_move(bb, st, t)
    return mate


@njit(cache=True, nogil=True)
def _repeats(bb, st, t, move):
    """Whether the position after ``move`` occurred before in the game."""
    make_move(bb, st, t, move)
    seen = repetition_count(bb, st) >= 2
    unmake_move(bb, st, t)
    return seen


@njit(cache=True, nogil=True)
def guarded_move(bb, st, t, ranked, value):
    """The move to play from ``ranked`` (legal move codes, best first, at least one): a mate in
    one if there is one; when winning (:func:`is_winning` with the player's own ``value``), the
    best move that does not draw the game away, one that reaches a new position if there is such
    a move; otherwise the first. ``(bb, st)`` is left as it was."""
    buffer = np.empty(MAX_MOVES, np.int64)
    replies = np.empty(MAX_MOVES, np.int64)
    for move in ranked:
        if _gives_mate(bb, st, t, move, buffer):
            return move
    if is_winning(bb, st, value):
        first_safe = -1
        for move in ranked:
            if _draws_away(bb, st, t, move, buffer, replies):
                continue
            if not _repeats(bb, st, t, move):
                return move
            if first_safe < 0:
                first_safe = move
        if first_safe >= 0:
            return first_safe
    return ranked[0]
