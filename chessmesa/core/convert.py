"""Conversion between the numba arrays and python-chess: FEN in and out, boards, moves.

FEN text is parsed by python-chess (the reference for the notation); this module adds the checks
that make a position safe to search, each failing with a one-line message naming what is wrong.
"""

from functools import lru_cache

import chess
import numpy as np
from numba import njit

from chessmesa.core.layout import (
    BB_SIZE, BK, BLACK, BOARD, BQ, CAPTURE, CASTLING, COLOR_BB, DOUBLE_PUSH, EP, EP_CAPTURE, FULLMOVE,
    HALFMOVE, HASH, KING, KING_CASTLE, KNIGHT, NO_SQUARE, ONE, PAWN, PLY, PROMOTION, QUEEN_CASTLE,
    SIDE, ST_SIZE, WHITE, WK, WQ,
)
from chessmesa.core.make_unmake import compute_hash


class InvalidFenError(ValueError):
    """A FEN that cannot be read or describes a position that cannot be played."""


class IllegalMoveError(ValueError):
    """A move that is not legal (or not readable) in the position it is played in."""


# python-chess status flags that make a position unsafe or meaningless to search. Checks that
# cannot arise in a real game (IMPOSSIBLE_CHECK, TOO_MANY_CHECKERS) are allowed on purpose: such
# positions appear in perft suites and move generation handles them.
_STATUS_MESSAGES = {
    chess.STATUS_NO_WHITE_KING: "no white king",
    chess.STATUS_NO_BLACK_KING: "no black king",
    chess.STATUS_TOO_MANY_KINGS: "more than one king of a colour",
    chess.STATUS_TOO_MANY_WHITE_PAWNS: "more than 8 white pawns",
    chess.STATUS_TOO_MANY_BLACK_PAWNS: "more than 8 black pawns",
    chess.STATUS_PAWNS_ON_BACKRANK: "pawns on the first or last rank",
    chess.STATUS_TOO_MANY_WHITE_PIECES: "more than 16 white pieces",
    chess.STATUS_TOO_MANY_BLACK_PIECES: "more than 16 black pieces",
    chess.STATUS_BAD_CASTLING_RIGHTS: "castling rights without the king and rook on their squares",
    chess.STATUS_INVALID_EP_SQUARE: "en passant square that no double pawn push can have made",
    chess.STATUS_OPPOSITE_CHECK: "the side not to move is in check",
}

_CASTLING_BITS = ((chess.BB_H1, WK), (chess.BB_A1, WQ), (chess.BB_H8, BK), (chess.BB_A8, BQ))

#: The largest full-move number accepted: the 75-move rule ends every game before move 8,850,
#: and the bound keeps a position's ply (twice the move number) within 16 bits.
MAX_FULLMOVE = 10_000
#: The largest half-move clock accepted: no game of ``MAX_FULLMOVE`` moves holds more half-moves.
MAX_HALFMOVE_CLOCK = 2 * MAX_FULLMOVE


def parse_fen(fen: str) -> chess.Board:
    """Read and check a FEN (4 to 6 fields; missing clocks default to ``0 1``).

    >>> parse_fen("8/8/8/8/8/8/8/K6k w - - 0 1").king(chess.BLACK) == chess.H1
    True
    >>> parse_fen("8/8/8/8/8/8/8/K7 w - - 0 1")
    Traceback (most recent call last):
    ...
    chessmesa.core.convert.InvalidFenError: invalid FEN '8/8/8/8/8/8/8/K7 w - - 0 1': no black king
    """
    fields = fen.split()
    if not 4 <= len(fields) <= 6:
        raise InvalidFenError(
            f"invalid FEN {fen!r}: expected 6 fields (pieces, side, castling, en passant, "
            f"half-move clock, full-move number), got {len(fields)}"
        )
    try:
        board = chess.Board(" ".join(fields))
    except ValueError as error:
        reason = str(error).split(":")[0]
        raise InvalidFenError(f"invalid FEN {fen!r}: {reason}") from None
    status = board.status()
    problems = [text for flag, text in _STATUS_MESSAGES.items() if status & flag]
    problems += counter_problems(board)
    if problems:
        raise InvalidFenError(f"invalid FEN {fen!r}: {'; '.join(problems)}")
    return board


def fen_from_line(line: str) -> str:
    """The FEN of a position line (a FEN or an EPD), checked as :func:`parse_fen` checks it.

    A line whose fifth and sixth fields are numbers is a FEN: its first six fields, whatever
    follows them (perft counts, a comment) ignored. Any other line is EPD, read by python-chess:
    four fields and operations, of which ``hmvc`` and ``fmvn`` set the clocks. An unreadable line
    raises ``ValueError``, a position that cannot be played ``InvalidFenError``.

    >>> fen_from_line("8/8/8/8/8/8/1Q6/K6k w - - 0 1 ;D1 20")
    '8/8/8/8/8/8/1Q6/K6k w - - 0 1'
    >>> fen_from_line('8/8/8/8/8/8/1Q6/K6k b - - hmvc 3; fmvn 40; id "endgame";')
    '8/8/8/8/8/8/1Q6/K6k b - - 3 40'
    >>> fen_from_line("not a fen")
    Traceback (most recent call last):
    ...
    ValueError: expected 'w' or 'b' for turn part of fen: 'not a fen'
    """
    fields = line.split()
    if len(fields) >= 6 and fields[4].isdigit() and fields[5].isdigit():
        fen = " ".join(fields[:6])
    else:
        fen = chess.Board.from_epd(line)[0].fen()
    parse_fen(fen)
    return fen


def counter_problems(board: chess.Board) -> list[str]:
    """What is wrong with the board's half-move clock and full-move number: both must fit the
    bounds of a real game (:data:`MAX_HALFMOVE_CLOCK`, :data:`MAX_FULLMOVE`), which python-chess
    does not check and the int64 arrays could not always hold.

    >>> counter_problems(chess.Board("4k3/8/8/8/8/8/8/4K3 w - - 0 99999999999999999999"))
    ['full-move number 99999999999999999999 out of range 1..10000']
    """
    problems = []
    if not 0 <= board.halfmove_clock <= MAX_HALFMOVE_CLOCK:
        problems.append(f"half-move clock {board.halfmove_clock} out of range 0..{MAX_HALFMOVE_CLOCK}")
    if not 1 <= board.fullmove_number <= MAX_FULLMOVE:
        problems.append(f"full-move number {board.fullmove_number} out of range 1..{MAX_FULLMOVE}")
    return problems


def castling_bits(board: chess.Board) -> int:
    """The board's castling rights as ``WK | WQ | BK | BQ`` bits (``st[CASTLING]``)."""
    return sum(bit for rook, bit in _CASTLING_BITS if board.castling_rights & rook)


def arrays_from_board(board: chess.Board) -> tuple[np.ndarray, np.ndarray]:
    """The ``(bb, st)`` arrays of the board's current position, without history.

    Raises InvalidFenError when the board's clocks are out of bounds (see ``counter_problems``).
    """
    from chessmesa.core.tables import get_tables

    problems = counter_problems(board)
    if problems:
        raise InvalidFenError(f"invalid position {board.fen()!r}: {'; '.join(problems)}")
    bb = np.zeros(BB_SIZE, dtype=np.uint64)
    st = np.zeros(ST_SIZE, dtype=np.int64)
    # python-chess keeps bitboards in the same square order: copy them, let numba do the rest
    bb[:COLOR_BB + 2] = (board.pawns, board.knights, board.bishops, board.rooks, board.queens, board.kings,
                         board.occupied_co[chess.WHITE], board.occupied_co[chess.BLACK])
    st[SIDE] = WHITE if board.turn == chess.WHITE else BLACK
    st[CASTLING] = castling_bits(board)
    st[EP] = NO_SQUARE
    if board.has_legal_en_passant():  # as in the FEN (see chessmesa.core.layout)
        st[EP] = board.ep_square
    st[HALFMOVE] = board.halfmove_clock
    st[FULLMOVE] = board.fullmove_number
    st[PLY] = 0
    _fill_mailbox_and_hash(bb, st, get_tables())
    return bb, st


@njit(cache=True)
def _fill_mailbox_and_hash(bb, st, t):
    """The mailbox from the bitboards, then the hash of the whole position."""
    for sq in range(64):
        bit = ONE << np.uint64(sq)
        for piece_type in range(PAWN, KING + 1):
            if bb[piece_type - 1] & bit:
                st[BOARD + sq] = (BLACK if bb[COLOR_BB + BLACK] & bit else WHITE) * 8 + piece_type
    bb[HASH] = compute_hash(bb, st, t)


# the FEN letter of each piece code (colour * 8 + type), "1" for an empty square
_FEN_LETTERS = np.frombuffer(b"1PNBRQK11pnbrqk1", dtype=np.uint8)


def board_fen_from_arrays(st: np.ndarray) -> str:
    """The piece placement field of the FEN.

    >>> from chessmesa.core import Position
    >>> board_fen_from_arrays(Position().st)
    'rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR'
    """
    squares = _FEN_LETTERS[st[BOARD:BOARD + 64]].reshape(8, 8)[::-1].tobytes().decode()
    placement = "/".join(squares[start:start + 8] for start in range(0, 64, 8))
    for run in range(8, 1, -1):  # runs of empty squares, longest first
        placement = placement.replace("1" * run, str(run))
    return placement


def fen_from_arrays(st: np.ndarray) -> str:
    """The full FEN (the arrays hold an en passant square only when the capture is legal, which
    is also when python-chess writes it)."""
    rights, ep_square = int(st[CASTLING]), int(st[EP])
    castling = "".join(symbol for symbol, bit in zip("KQkq", (WK, WQ, BK, BQ)) if rights & bit) or "-"
    ep = chess.SQUARE_NAMES[ep_square] if ep_square != NO_SQUARE else "-"
    side = "w" if st[SIDE] == WHITE else "b"
    return (f"{board_fen_from_arrays(st)} {side} {castling} {ep} {int(st[HALFMOVE])} "
            f"{int(st[FULLMOVE])}")


def move_to_chess(move: int) -> chess.Move:
    """A move code as a ``chess.Move``.

    >>> move_to_chess(12 | 28 << 6 | 1 << 12).uci()
    'e2e4'
    """
    move = int(move)
    flag = move >> 12
    promotion = (flag & 3) + KNIGHT if flag & PROMOTION else None
    return chess.Move(move & 63, (move >> 6) & 63, promotion)


@lru_cache(maxsize=None)
def move_to_uci(move: int) -> str:
    """A move code in UCI notation (cached: every search result names all its root moves).

    >>> move_to_uci(12 | 28 << 6 | 1 << 12)
    'e2e4'
    """
    return move_to_chess(move).uci()


def match_move(legal: np.ndarray, move: chess.Move) -> int:
    """The code among ``legal`` that is ``move``; raises IllegalMoveError if there is none."""
    for code in legal:
        code = int(code)
        if move_to_chess(code) == move:
            return code
    raise IllegalMoveError(f"illegal move {move.uci()!r}")


def move_flag_for(board: chess.Board, move: chess.Move) -> int:
    """The flag bits of a legal ``move`` on ``board`` (used where no legal list is at hand)."""
    flag = 0
    if board.is_capture(move):
        flag = EP_CAPTURE if board.is_en_passant(move) else CAPTURE
    if move.promotion:
        flag = (flag & CAPTURE) | PROMOTION | (move.promotion - KNIGHT)
    elif board.is_castling(move):
        flag = KING_CASTLE if chess.square_file(move.to_square) == 6 else QUEEN_CASTLE
    elif board.piece_type_at(move.from_square) == PAWN and abs(move.to_square - move.from_square) == 16:
        flag = DOUBLE_PUSH
    return flag


def move_from_chess(board: chess.Board, move: chess.Move) -> int:
    """The move code of a legal ``move`` on ``board``.

    >>> move_from_chess(chess.Board(), chess.Move.from_uci("e2e4")) == (12 | 28 << 6 | 1 << 12)
    True
    """
    return move.from_square | move.to_square << 6 | move_flag_for(board, move) << 12

