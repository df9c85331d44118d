"""The fixed layout of a position and of a move: the contract every numba function relies on.

A position is two flat numpy arrays, so that numba functions can take them as plain arguments and
the disk cache works across processes (no jitclass):

``bb`` (``uint64[BB_SIZE]``), bitboards and hashes, square ``a1 = 0 ... h8 = 63`` as in python-chess:

==============  ==========================================================================
``bb[0..5]``    pieces by type: ``bb[PAWN - 1]`` ... ``bb[KING - 1]`` (both colours)
``bb[6], [7]``  pieces by colour: ``bb[COLOR_BB + WHITE]``, ``bb[COLOR_BB + BLACK]``
``bb[HASH]``    Polyglot Zobrist hash of the position (``chess.polyglot.zobrist_hash`` of its FEN)
``bb[HIST+i]``  hash of the position before the i-th move on the undo stack (for repetitions)
==============  ==========================================================================

``st`` (``int64[ST_SIZE]``), the rest of the state:

=================  ======================================================================
``st[SIDE]``       side to move, ``WHITE = 0`` or ``BLACK = 1``
``st[CASTLING]``   castling rights, bits ``WK | WQ | BK | BQ``
``st[EP]``         en passant target square, or ``NO_SQUARE``; set only when the capture is
                   legal, as python-chess's FEN and repetition rules have it (the same position
                   has the same moves). Polyglot hashes the square in whenever a pawn attacks it,
                   legal or not, so ``chess.polyglot.zobrist_hash(board)`` differs from
                   ``bb[HASH]`` only on a board whose en passant capture is illegal: a pinned
                   pawn, or a check the capture does not answer
``st[HALFMOVE]``   half-move clock for the fifty-move rule
``st[FULLMOVE]``   full-move number
``st[PLY]``        number of moves on the undo stack (the game history kept for repetitions)
``st[BOARD+sq]``   piece on ``sq``: 0 if empty, else ``color * 8 + piece_type``
``st[UNDO+5*i]``   undo entry i: move, captured piece code, castling, en passant, half-move clock
=================  ======================================================================

A move is a 16-bit code ``from | to << 6 | flag << 12``. Castling is the king's move (``e1g1``), as
in UCI. ``NULL_MOVE = 0`` (a1a1) is never a legal move and marks "no move".

>>> from chessmesa.core import move_to_uci
>>> move_to_uci(12 | 28 << 6 | DOUBLE_PUSH << 12)
'e2e4'
"""

import numpy as np

WHITE, BLACK = 0, 1
PAWN, KNIGHT, BISHOP, ROOK, QUEEN, KING = 1, 2, 3, 4, 5, 6
PIECE_SYMBOLS = " pnbrqk"

# bb: bitboards and hashes
COLOR_BB = 6
HASH = 8
HIST = 9
MAX_PLY = 1024  # undo stack capacity: game history kept plus the deepest line searched
BB_SIZE = HIST + MAX_PLY

# st: scalar state, mailbox and undo stack
SIDE, CASTLING, EP, HALFMOVE, FULLMOVE, PLY = 0, 1, 2, 3, 4, 5
BOARD = 6
UNDO = BOARD + 64
UNDO_SIZE = 5
U_MOVE, U_CAPTURED, U_CASTLING, U_EP, U_HALFMOVE = 0, 1, 2, 3, 4
ST_SIZE = UNDO + UNDO_SIZE * MAX_PLY

NO_SQUARE = 64
WK, WQ, BK, BQ = 1, 2, 4, 8

# move flags
QUIET, DOUBLE_PUSH, KING_CASTLE, QUEEN_CASTLE = 0, 1, 2, 3
CAPTURE, EP_CAPTURE = 4, 5
PROMOTION = 8  # + (promotion piece type - KNIGHT); with CAPTURE set too: a capturing promotion
NULL_MOVE = 0
MAX_MOVES = 256  # more than the most legal moves of any position (218)

ONE = np.uint64(1)
ZERO = np.uint64(0)
ALL = np.uint64(0xFFFFFFFFFFFFFFFF)

