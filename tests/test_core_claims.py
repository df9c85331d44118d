"""The rules kernel against python-chess where games get long: claimable and automatic draws,
repetitions counted across conversion, underpromotions, en passant squares no capture can use,
and clocks out of bounds."""

from __future__ import annotations

import random

import chess
import chess.polyglot
import pytest

from chessmesa.core import InvalidFenError, Position, move_to_uci
from chessmesa.core.position import _HISTORY_KEPT
from conftest import random_game_boards
from test_core_differential import reference_hash, reference_status

#: python-chess's game-ending rules, by whether they end the game by themselves.
AUTOMATIC = {"checkmate", "stalemate", "insufficient_material", "seventyfive_moves", "fivefold_repetition"}
CLAIMABLE = {"fifty_moves", "threefold_repetition"}


def reference_repetitions(board: chess.Board) -> int:
    """How often python-chess counts the current position in the game (itself included)."""
    count = 1
    while board.is_repetition(count + 1):
        count += 1
    return count


def shuffling_game(seed: int, plies: int):
    """Boards along a seeded game of random moves in which, half the time, the piece that moved
    two plies ago goes back: repetitions with material on the board, and games that run on past
    every draw (python-chess lets moves be pushed after the game is over)."""
    rng = random.Random(seed)
    board = chess.Board()
    for _ in range(plies):
        yield board
        moves = list(board.legal_moves)
        if not moves:
            return
        back = None
        if len(board.move_stack) >= 2 and rng.random() < 0.5:
            last = board.move_stack[-2]
            back = chess.Move(last.to_square, last.from_square)
        board.push(back if back in moves else rng.choice(moves))


def test_long_games_match_python_chess():
    games = [shuffling_game(seed, plies=600) for seed in range(16)]
    games += [random_game_boards(seed, max_plies=600) for seed in range(125, 135)]
    statuses, underpromotions, compared = set(), 0, 0
    for game in games:
        position = Position()
        for ply, board in enumerate(game):
            if ply:
                move = board.peek()
                position.push_uci(move.uci())
                underpromotions += move.promotion not in (None, chess.QUEEN)
            where = board.fen()
            status = position.status()
            assert status == reference_status(board), where
            assert position.is_game_over() == (status in AUTOMATIC) == board.is_game_over(), where
            assert position.is_game_over(claim_draw=True) == (status != "ongoing"), where
            assert position.repetitions() == reference_repetitions(board), where
            assert position.fen() == where and position.hash == reference_hash(board), where
            assert position.hash == chess.polyglot.zobrist_hash(chess.Board(where)), where
            assert sorted(move_to_uci(m) for m in position.legal_moves()) == sorted(
                m.uci() for m in board.legal_moves), where
            if ply % 5 == 0:  # conversion replays the history: every fifth position
                converted = Position.from_board(board)
                assert converted.status() == status, where
                if board.halfmove_clock <= _HISTORY_KEPT:
                    assert converted.repetitions() == position.repetitions(), where
            statuses.add(status)
            compared += 1
    assert compared > 10_000 and underpromotions > 20
    assert AUTOMATIC - {"checkmate", "stalemate"} | CLAIMABLE | {"ongoing"} <= statuses


def test_repetition_more_than_a_hundred_plies_back_survives_conversion():
    # a random game, kings alone at the end: after 362 plies (half-move clock 110) the position
    # is one first seen 108 plies before; conversion used to keep only the last 100 moves
    for board in random_game_boards(130, max_plies=362):
        pass  # the generator plays on the one board it yields
    assert len(board.move_stack) == 362 and board.halfmove_clock == 110
    assert reference_repetitions(board) == 2
    assert Position.from_board(board).repetitions() == 2


def test_position_after_an_illegal_en_passant_square_repeats():
    # c7-c5 gives White an en passant square that the pin along the fifth rank makes useless:
    # the position then is the same as after the knights come back (FIDE: same moves)
    board = chess.Board("6n1/2p5/8/KP5r/8/8/8/6Nk b - - 0 1")
    position = Position(board.fen())
    for uci in ["c7c5", "g1f3", "g8f6", "f3g1", "f6g8"]:
        board.push_uci(uci)
        position.push_uci(uci)
    assert reference_repetitions(board) == position.repetitions() == 2
    board.pop()
    assert board.ep_square is None or not board.has_legal_en_passant()


def test_hash_of_the_reported_position_equals_the_hash_of_its_fen():
    # reached in a random game by ...e7-e5: the d5 pawn attacks e6, but White is in check
    board = chess.Board("r4bn1/p4kp1/b4p2/2KPp3/7R/1P6/P1PP1PP1/RNB3N1 w - e6 0 19")
    position = Position.from_board(board)
    assert board.is_check() and not board.has_legal_en_passant()
    assert position.fen() == board.fen() and "e6" not in position.fen()
    assert position.hash == chess.polyglot.zobrist_hash(chess.Board(position.fen()))
    # python-chess's own hash follows Polyglot and differs from its FEN's: the convention
    assert chess.polyglot.zobrist_hash(board) != chess.polyglot.zobrist_hash(chess.Board(board.fen()))


def test_claimable_draws_leave_the_game_going():
    fifty = Position("4k3/8/8/8/8/8/8/4KR2 w - - 100 80")
    assert fifty.status() == "fifty_moves" and not fifty.is_game_over()
    assert Position("4k3/8/8/8/8/8/8/4KR2 w - - 150 80").status() == "seventyfive_moves"
    board = chess.Board()
    for uci in ["g1f3", "g8f6", "f3g1", "f6g8"] * 4:
        board.push_uci(uci)
    position = Position.from_board(board)  # the start position for the fifth time
    assert position.status() == "fivefold_repetition" and position.is_game_over()
    for occurrences, status in [(4, "threefold_repetition"), (3, "threefold_repetition"), (2, "ongoing")]:
        for _ in range(4):
            position.pop()
        assert position.repetitions() == occurrences and position.status() == status
        assert not position.is_game_over()


@pytest.mark.parametrize("fields,message", [
    ("0 99999999999999999999", "full-move number 99999999999999999999 out of range 1..10000"),
    ("99999999999999999999 1", "half-move clock 99999999999999999999 out of range 0..20000"),
    ("20001 10000", "half-move clock 20001"),
    ("0 10001", "full-move number 10001"),
])
def test_clocks_out_of_bounds_are_refused_in_one_line(fields, message):
    fen = f"4k3/8/8/8/8/8/8/4K3 w - - {fields}"
    with pytest.raises(InvalidFenError) as error:
        Position(fen)
    assert message in str(error.value) and fen in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InvalidFenError):
        Position.from_board(chess.Board(fen))  # the same check guards python-chess boards
    assert Position("4k3/8/8/8/8/8/8/4K3 w - - 20000 10000").fen().endswith("20000 10000")
