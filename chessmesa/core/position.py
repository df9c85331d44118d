"""``Position``: the Python face of the numba rules kernel.

It owns the ``(bb, st)`` arrays and the attack tables, and offers the operations a caller outside
numba needs. Hot loops (perft, search) pass ``position.bb, position.st, position.tables`` straight
to the numba functions instead.

>>> position = Position()
>>> len(position.legal_moves())
20
>>> _ = position.push_uci("e2e4"); position.fen()
'rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1'
>>> _ = position.pop(); position.fen() == chess.STARTING_FEN
True
"""

from __future__ import annotations

import chess
import numpy as np
from numba import njit

from chessmesa.core.convert import (
    IllegalMoveError, arrays_from_board, castling_bits, fen_from_arrays, match_move, move_to_chess,
    parse_fen,
)
from chessmesa.core.layout import (
    BLACK, BOARD, CASTLING, COLOR_BB, EP, FULLMOVE, HALFMOVE, HASH, HIST, KNIGHT, MAX_MOVES, MAX_PLY, NO_SQUARE,
    PLY, PROMOTION, SIDE, U_MOVE, UNDO, UNDO_SIZE, WHITE,
)
from chessmesa.core.movegen import generate_legal, in_check, legal_moves
from chessmesa.core.make_unmake import make_move, unmake_move
from chessmesa.core.status import (
    ONGOING, STATUS_NAMES, game_over, position_status, repetition_count,
)
from chessmesa.core.tables import get_tables

# Conversion keeps every move since the last capture or pawn move (no older position can repeat),
# up to half the undo stack, leaving the other half to the search. The 75-move rule ends a game
# 150 such moves on, so this covers every game that has not ended.
_HISTORY_KEPT = MAX_PLY // 2


@njit(cache=True)
def _replay(bb, st, t, moves):
    """Play each of ``moves``, given as ``from | to << 6 | promotion piece type << 12``, as the
    legal move code with those squares and that promotion."""
    buffer = np.empty(MAX_MOVES, np.int64)
    for wanted in moves:
        for i in range(generate_legal(bb, st, t, buffer)):
            code = buffer[i]
            flag = code >> 12
            promotion = (flag & 3) + KNIGHT if flag & PROMOTION else 0
            if code & 4095 | promotion << 12 == wanted:
                make_move(bb, st, t, code)
                break


class Position:
    """A position with the game history that matters for repetitions."""

    def __init__(self, fen: str = chess.STARTING_FEN):
        self.tables = get_tables()
        self.bb, self.st = arrays_from_board(parse_fen(fen))

    @classmethod
    def from_board(cls, board: chess.Board) -> Position:
        """The board's position, with the recent moves of its move stack replayed as history.

        >>> board = chess.Board()
        >>> for uci in ["g1f3", "g8f6", "f3g1", "f6g8"]: _ = board.push_uci(uci)
        >>> Position.from_board(board).repetitions()
        2

        Raises InvalidFenError when the board's clocks are out of bounds
        (``chessmesa.core.convert.counter_problems``).
        """
        kept = min(len(board.move_stack), board.halfmove_clock, _HISTORY_KEPT)
        start = board.copy(stack=kept)
        recent = [start.pop() for _ in range(kept)][::-1]
        position = cls.__new__(cls)
        position.tables = get_tables()
        position.bb, position.st = arrays_from_board(start)
        position.push_all(recent)
        return position

    def push_all(self, moves: list[chess.Move]) -> None:
        """Play legal python-chess moves in order, in one compiled call (not checked: they must be
        legal, as a python-chess board's move stack is).

        >>> position = Position()
        >>> position.push_all([chess.Move.from_uci(u) for u in ("e2e4", "e7e5", "g1f3")])
        >>> position.fen()
        'rnbqkbnr/pppp1ppp/8/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R b KQkq - 1 2'
        """
        if self.st[PLY] + len(moves) > MAX_PLY:
            raise OverflowError(f"more than {MAX_PLY} moves of history")
        squares = [move.from_square | move.to_square << 6 | (move.promotion or 0) << 12 for move in moves]
        _replay(self.bb, self.st, self.tables, np.array(squares, dtype=np.int64))

    def copy(self) -> Position:
        clone = Position.__new__(Position)
        clone.tables, clone.bb, clone.st = self.tables, self.bb.copy(), self.st.copy()
        return clone

    # moves
    def legal_moves(self) -> np.ndarray:
        """The legal move codes (int64)."""
        return legal_moves(self.bb, self.st, self.tables)

    def parse_move(self, text: str) -> int:
        """The code of a legal move given in UCI (``e2e4``, ``e7e8q``) or SAN (``Nf3``, ``O-O``)."""
        try:
            move = chess.Move.from_uci(text)
        except ValueError:
            try:
                move = self.to_board().parse_san(text)
            except ValueError:
                raise IllegalMoveError(f"illegal or unreadable move {text!r} in {self.fen()}") from None
        try:
            return match_move(self.legal_moves(), move)
        except IllegalMoveError:
            raise IllegalMoveError(f"illegal move {text!r} in {self.fen()}") from None

    def push(self, move: int) -> None:
        """Play a legal move code (not checked: use ``push_uci`` for input)."""
        if self.st[PLY] >= MAX_PLY:
            raise OverflowError(f"more than {MAX_PLY} moves of history")
        make_move(self.bb, self.st, self.tables, move)

    def push_uci(self, text: str) -> int:
        move = self.parse_move(text)
        self.push(move)
        return move

    def pop(self) -> int:
        """Take back the last move and return it."""
        if self.st[PLY] == 0:
            raise IndexError("no move to take back")
        move = int(self.st[UNDO + UNDO_SIZE * (self.st[PLY] - 1) + U_MOVE])
        unmake_move(self.bb, self.st, self.tables)
        return move

    @property
    def history(self) -> list[int]:
        """The moves on the undo stack, oldest first."""
        return [int(self.st[UNDO + UNDO_SIZE * i + U_MOVE]) for i in range(self.st[PLY])]

    # state
    @property
    def hash(self) -> int:
        """The Polyglot Zobrist hash (equals ``chess.polyglot.zobrist_hash``)."""
        return int(self.bb[HASH])

    def is_check(self) -> bool:
        return bool(in_check(self.bb, self.st, self.tables))

    def repetitions(self) -> int:
        return int(repetition_count(self.bb, self.st))

    def status(self) -> str:
        """``ongoing``, ``checkmate``, ``stalemate``, ``insufficient_material``,
        ``seventyfive_moves``, ``fivefold_repetition``, or a draw that can be claimed:
        ``fifty_moves``, ``threefold_repetition`` (see ``chessmesa.core.status``)."""
        return STATUS_NAMES[self._status_code()]

    def is_game_over(self, claim_draw: bool = False) -> bool:
        """Whether the game has ended, as python-chess's ``Board.is_game_over``: by itself, or
        also by a draw that can be claimed when ``claim_draw``.

        >>> position = Position("4k3/8/8/8/8/8/8/4KR2 w - - 100 80")
        >>> position.is_game_over(), position.is_game_over(claim_draw=True)
        (False, True)
        """
        code = self._status_code()
        return code != ONGOING if claim_draw else bool(game_over(code))

    def _status_code(self) -> int:
        code, _ = position_status(self.bb, self.st, self.tables, np.empty(MAX_MOVES, np.int64))
        return int(code)

    def fen(self) -> str:
        """The FEN; like python-chess, the en passant square only when the capture is legal."""
        return fen_from_arrays(self.st)

    def to_board(self) -> chess.Board:
        """A python-chess board of this position and its history."""
        moves = self.history
        if not moves:
            return chess.Board(self.fen())
        root = self.copy()
        for _ in moves:
            root.pop()
        board = chess.Board(root.fen())
        for move in moves:
            board.push(move_to_chess(move))
        return board

    def same_position(self, other: Position) -> bool:
        """The same position as FEN has it (pieces, side, castling, en passant, clocks), the
        histories aside.

        >>> a, b = Position(), Position()
        >>> for uci in ("g1f3", "g8f6", "f3g1", "f6g8"): _ = b.push_uci(uci)
        >>> a.same_position(b), a == b  # the clocks differ: two moves more were played
        (False, False)
        """
        return bool(self.bb[HASH] == other.bb[HASH] and (self.st[:PLY] == other.st[:PLY]).all()
                    and (self.st[BOARD:UNDO] == other.st[BOARD:UNDO]).all())

    def __eq__(self, other: object) -> bool:
        """Same position and same history (the undo stack above the top is scratch space)."""
        if not isinstance(other, Position):
            return NotImplemented
        ply = int(self.st[PLY])
        bb_used, st_used = HIST + ply, UNDO + UNDO_SIZE * ply
        return bool((self.bb[:bb_used] == other.bb[:bb_used]).all()
                    and (self.st[:st_used] == other.st[:st_used]).all())

    def __repr__(self) -> str:
        return f"Position({self.fen()!r})"



class BoardFollower:
    """A :class:`Position` kept in step with a game's python-chess board: a call with the board
    of the same game a few moves on pushes only the new moves (about 2 microseconds a move)
    instead of converting the board anew (:meth:`Position.from_board`, tens of microseconds); any
    other board (a new game, a take-back, another line) is converted anew.

    "The same game" is checked where it matters: the board's move stack holds the known moves
    since the last capture or pawn move at the same places, and the position reached equals the
    board's (pieces, side, castling, en passant, clocks), so the history that repetitions count
    is the board's.

    >>> board, follower = chess.Board(), BoardFollower()
    >>> follower.position(board).fen() == board.fen()
    True
    >>> for uci in ("g1f3", "g8f6", "f3g1", "f6g8"): _ = board.push_uci(uci)
    >>> follower.position(board).repetitions()
    2
    """

    def __init__(self) -> None:
        self._moves: list[chess.Move] = []
        self._position: Position | None = None

    def position(self, board: chess.Board) -> Position:
        """The board's position with its history; the follower's own: do not modify it."""
        stack, known, position = board.move_stack, len(self._moves), self._position
        if (position is not None and known <= len(stack) <= known + _FOLLOWED_MOVES
                and position.st[PLY] + len(stack) - known <= _HISTORY_KEPT and self._continued_by(stack)):
            position.push_all(stack[known:])
            if not _same_position(position, board):
                position = Position.from_board(board)
        else:
            position = Position.from_board(board)
        self._moves, self._position = list(stack), position
        return position

    def _continued_by(self, stack: list[chess.Move]) -> bool:
        """Whether ``stack`` repeats the known moves that the known position's repetitions
        count (those since the last capture or pawn move) and the one before them."""
        known = len(self._moves)
        recent = min(known, int(self._position.st[HALFMOVE]) + 1)
        return stack[known - recent:known] == self._moves[known - recent:]


#: A follower pushes at most this many new moves; a board further on is converted anew.
_FOLLOWED_MOVES = 8


def _same_position(position: Position, board: chess.Board) -> bool:
    """Whether the position is the board's: pieces, side to move, castling, en passant, clocks."""
    bb, st = position.bb, position.st
    return (bb[:COLOR_BB + 2].tolist()
            == [board.pawns, board.knights, board.bishops, board.rooks, board.queens, board.kings,
                board.occupied_co[chess.WHITE], board.occupied_co[chess.BLACK]]
            and st[SIDE] == (WHITE if board.turn == chess.WHITE else BLACK)
            and st[HALFMOVE] == board.halfmove_clock and st[FULLMOVE] == board.fullmove_number
            and st[CASTLING] == castling_bits(board)
            and st[EP] == (board.ep_square if board.has_legal_en_passant() else NO_SQUARE))
