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

>>> board = chess.Board("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1")
>>> ranked = [chess.Move.from_uci(u) for u in ("a1a2", "a1a8")]
>>> guarded_move(board, ranked, winning=False).uci()  # the back-rank mate, whatever the ranking
'a1a8'
"""

from __future__ import annotations

from collections.abc import Sequence

import chess

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


def is_winning(board: chess.Board, value: float) -> bool:
    """Whether the side to move is winning: by its own ``value`` or by material."""
    return value > WINNING_VALUE or material_balance(board) >= WINNING_MATERIAL


def gives_mate(board: chess.Board, move: chess.Move) -> bool:
    """Whether ``move`` checkmates (the board is left as it was)."""
    board.push(move)
    try:
        return board.is_checkmate()
    finally:
        board.pop()


def draws_away(board: chess.Board, move: chess.Move) -> bool:
    """Whether ``move`` ends the game in a draw or lets the opponent claim one at once:
    stalemate, insufficient material, a third repetition (now or by the opponent's reply), or the
    fifty-move mark.

    >>> board = chess.Board("7k/5Q2/6K1/8/8/8/8/8 w - - 0 1")
    >>> draws_away(board, chess.Move.from_uci("f7f8")), draws_away(board, chess.Move.from_uci("f7g7"))
    (False, False)
    >>> draws_away(board, chess.Move.from_uci("g6h6"))  # stalemate
    True
    """
    board.push(move)
    try:
        return board.is_stalemate() or board.is_insufficient_material() or board.can_claim_draw()
    finally:
        board.pop()


def repeats(board: chess.Board, move: chess.Move) -> bool:
    """Whether the position after ``move`` occurred before in the game.

    >>> board = chess.Board()
    >>> for uci in ("g1f3", "g8f6", "f3g1"):
    ...     _ = board.push_uci(uci)
    >>> repeats(board, chess.Move.from_uci("f6g8")), repeats(board, chess.Move.from_uci("e7e5"))
    (True, False)
    """
    board.push(move)
    try:
        return board.is_repetition(2)
    finally:
        board.pop()


def guarded_move(board: chess.Board, ranked: Sequence[chess.Move], winning: bool) -> chess.Move:
    """The move to play from ``ranked`` (every legal move, best first): a mate in one if there is
    one; when ``winning``, the best move that does not draw the game away (:func:`draws_away`),
    one that reaches a new position (:func:`repeats`) if there is such a move; otherwise the first."""
    for move in ranked:
        if gives_mate(board, move):
            return move
    if winning:
        first_safe = None
        for move in ranked:
            if draws_away(board, move):
                continue
            if not repeats(board, move):
                return move
            if first_safe is None:
                first_safe = move
        return ranked[0] if first_safe is None else first_safe
    return ranked[0]
