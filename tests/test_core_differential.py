"""The rules kernel against python-chess over many positions from random and real games."""

from __future__ import annotations

import chess
import chess.pgn
import chess.polyglot
import numpy as np
import pytest

from chessmesa.core import Position, move_to_uci
from chessmesa.core.layout import MAX_MOVES
from chessmesa.core.movegen import generate_captures
from conftest import random_game_boards


def reference_status(board: chess.Board) -> str:
    """python-chess's verdict on the position as it stands, in the order of
    ``Board.outcome(claim_draw=True)`` (which also counts draws claimable by the next move)."""
    if board.is_checkmate():
        return "checkmate"
    if board.is_insufficient_material():
        return "insufficient_material"
    if not any(board.generate_legal_moves()):
        return "stalemate"
    if board.is_seventyfive_moves():
        return "seventyfive_moves"
    if board.is_fivefold_repetition():
        return "fivefold_repetition"
    if board.is_fifty_moves():
        return "fifty_moves"
    if board.is_repetition(3):
        return "threefold_repetition"
    return "ongoing"


def reference_hash(board: chess.Board) -> int:
    """Polyglot's hash of the position the board's FEN describes.

    python-chess's ``zobrist_hash`` follows Polyglot, which hashes an en passant square in
    whenever a pawn attacks it, legal or not; the FEN (and python-chess's repetition rule) keep it
    only when the capture is legal, and so does chessmesa: the same position, the same hash.
    """
    if board.ep_square is not None and not board.has_legal_en_passant():
        board = board.copy(stack=False)
        board.ep_square = None
    return chess.polyglot.zobrist_hash(board)


def reference_captures(board: chess.Board) -> list[str]:
    """What a quiescence search looks at: every evasion in check, else captures and promotions."""
    return sorted(m.uci() for m in board.legal_moves
                  if board.is_check() or board.is_capture(m) or m.promotion)


def assert_same(position: Position, board: chess.Board) -> None:
    where = board.fen()
    assert sorted(move_to_uci(m) for m in position.legal_moves()) == sorted(
        m.uci() for m in board.legal_moves), where
    captures = np.empty(MAX_MOVES, dtype=np.int64)
    count = generate_captures(position.bb, position.st, position.tables, captures)
    assert sorted(move_to_uci(m) for m in captures[:count]) == reference_captures(board), where
    assert position.is_check() == board.is_check(), where
    assert position.status() == reference_status(board), where
    assert position.fen() == board.fen(), where
    assert position.hash == reference_hash(board), where


def _walk(boards, seen_statuses):
    """Follow a game move by move in both implementations; count the positions compared."""
    position, compared = None, 0
    for board in boards:
        if position is None:
            position = Position.from_board(board)
        else:
            position.push_uci(board.peek().uci())
        assert_same(position, board)
        seen_statuses.add(position.status())
        compared += 1
    return compared


def test_random_games_match_python_chess():
    seen: set[str] = set()
    compared = sum(_walk(random_game_boards(seed, max_plies=400), seen) for seed in range(60))
    assert compared >= 12_000
    # random games reach every kind of ending; the comparison above covers each of them
    assert {"checkmate", "insufficient_material", "fifty_moves", "ongoing"} <= seen


def _pgn_boards(game):
    board = game.board()
    yield board.copy()
    for move in game.mainline_moves():
        board.push(move)
        yield board.copy(stack=True)


def test_lichess_games_match_python_chess(repo_data):
    seen: set[str] = set()
    compared = 0
    with open(repo_data / "games" / "lichess_2021-10_sample.pgn") as pgn:
        while compared < 10_000:
            game = chess.pgn.read_game(pgn)
            if game is None:
                break
            compared += _walk(_pgn_boards(game), seen)
    assert compared >= 10_000


def test_threefold_repetition_counts_history_before_conversion():
    board = chess.Board()
    for uci in ["g1f3", "g8f6", "f3g1", "f6g8"] * 2:
        board.push_uci(uci)
    position = Position.from_board(board)
    assert position.repetitions() == 3 and position.status() == "threefold_repetition"
    position.pop()
    assert position.repetitions() == 2 and position.status() == "ongoing"


def test_fifty_move_rule_and_mate_on_the_hundredth_half_move():
    assert Position("8/8/8/8/8/5k2/8/R3K3 w - - 100 80").status() == "fifty_moves"
    assert Position("8/8/8/8/8/5k2/8/R3K3 w - - 99 80").status() == "ongoing"
    # checkmate takes precedence over the fifty-move rule, as in python-chess
    mated = "7k/6Q1/6K1/8/8/8/8/8 b - - 100 80"
    assert Position(mated).status() == reference_status(chess.Board(mated)) == "checkmate"


@pytest.mark.parametrize("fen", [
    "8/8/8/8/8/8/8/K1k5 w - - 0 1",          # kings only
    "8/8/8/8/8/8/8/KNk5 w - - 0 1",          # king and knight
    "8/8/8/8/8/8/8/KBk1b3 w - - 0 1",        # bishops on one colour
    "8/8/8/8/8/8/8/KBkb4 w - - 0 1",         # bishops on both colours: a mate exists
    "8/8/8/8/8/8/8/KNkn4 w - - 0 1",         # knight each: self-mate possible
    "8/8/8/8/8/8/8/KNk1q3 w - - 0 1",        # knight against a queen
])
def test_insufficient_material_matches_python_chess(fen):
    board = chess.Board(fen)
    assert Position(fen).status() == reference_status(board)


def test_en_passant_horizontal_pin_and_fen():
    # the capture would expose the king on the fifth rank: illegal, and the FEN drops the square
    fen = "8/8/8/K2pP2r/8/8/8/7k w - d6 0 1"
    position, board = Position(fen), chess.Board(fen)
    assert "e5d6" not in {move_to_uci(m) for m in position.legal_moves()}
    assert_same(position, board)
    # Polyglot's convention, which python-chess follows: the illegal square is hashed in
    assert chess.polyglot.zobrist_hash(board) != position.hash == chess.polyglot.zobrist_hash(
        chess.Board(board.fen()))
