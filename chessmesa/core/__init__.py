"""The rules kernel in numba: positions, legal moves, make/unmake, hashing, game state, perft.

>>> from chessmesa.core import Position, perft
>>> position = Position()
>>> perft(position.bb, position.st, position.tables, 4)
197281
"""

from chessmesa.core.position import Position
from chessmesa.core.convert import (
    IllegalMoveError, InvalidFenError, fen_from_line, move_from_chess, move_to_chess, move_to_uci,
    parse_fen,
)
from chessmesa.core.movegen import generate_legal, in_check, legal_moves
from chessmesa.core.perft import perft, perft_divide
from chessmesa.core.make_unmake import make_move, unmake_move
from chessmesa.core.status import STATUS_NAMES, game_status
from chessmesa.core.tables import get_tables

__all__ = [
    "Position", "IllegalMoveError", "InvalidFenError", "fen_from_line", "move_from_chess",
    "move_to_chess", "move_to_uci", "parse_fen", "generate_legal", "in_check", "legal_moves", "perft",
    "perft_divide", "make_move", "unmake_move", "STATUS_NAMES", "game_status",
    "get_tables",
]
