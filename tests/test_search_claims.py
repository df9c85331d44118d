"""The searcher at a root where a draw can be claimed: it searches and moves. A root whose game
has ended by itself is searched too, for a caller that plays on; only checkmate and stalemate
have no move."""

from __future__ import annotations

import chess
import pytest

from chessmesa.core import Position
from chessmesa.search import MCTS

FIFTY = "4k3/8/8/8/8/8/8/4KR2 w - - 100 80"
KNIGHTS_OUT_AND_BACK = ["g1f3", "g8f6", "f3g1", "f6g8"]


def board_after(moves: list[str], fen: str = chess.STARTING_FEN) -> chess.Board:
    board = chess.Board(fen)
    for uci in moves:
        board.push_uci(uci)
    return board


def test_fifty_move_root_is_searched_and_every_quiet_move_is_a_draw():
    result = MCTS().search(Position(FIFTY), sims=100)
    board = chess.Board(FIFTY)
    assert board.can_claim_fifty_moves() and result.status == "fifty_moves"
    assert chess.Move.from_uci(result.best_move) in board.legal_moves
    assert sorted(result.moves) == sorted(move.uci() for move in board.legal_moves)
    # no move captures or moves a pawn: after each the opponent can claim, so the tree knows
    # every one is a draw and the root is a proven draw, its best move still played
    assert result.proven == "draw" and result.stop_reason == "proven"
    assert (result.q == 0).all() and result.root_value == 0


def test_threefold_root_is_searched_and_repeating_again_is_a_draw():
    board = board_after(KNIGHTS_OUT_AND_BACK * 2)
    assert board.can_claim_threefold_repetition()
    result = MCTS().search(board, sims=400)
    assert result.status == "threefold_repetition" and result.proven is None
    assert result.sims == 400 and chess.Move.from_uci(result.best_move) in board.legal_moves
    # Nf3 brings back a position seen twice already: a claimable draw in the tree
    repeat = result.moves.index("g1f3")
    assert result.visits[repeat] > 0 and result.q[repeat] == 0


def test_a_capture_at_a_fifty_move_root_escapes_the_draw():
    # every quiet move lets Black claim; taking the pawn resets the clock and keeps the rook
    claimable = MCTS().search(Position("4k3/8/8/8/8/8/4p3/4K2R w - - 100 80"), sims=300)
    assert claimable.status == "fifty_moves" and claimable.best_move == "e1e2"  # takes the pawn
    assert claimable.q[claimable.moves.index("e1e2")] != 0


@pytest.mark.parametrize("board,status", [
    (board_after(KNIGHTS_OUT_AND_BACK * 4), "fivefold_repetition"),
    (chess.Board("4k3/8/8/8/8/8/8/4KR2 w - - 150 80"), "seventyfive_moves"),
    (chess.Board("8/8/8/8/8/8/8/KNk5 w - - 0 1"), "insufficient_material"),
])
def test_a_game_ended_by_itself_is_searched_for_playing_on(board, status):
    result = MCTS().search(board, sims=100)
    assert result.status == status and chess.Move.from_uci(result.best_move) in board.legal_moves


@pytest.mark.parametrize("fen,status", [
    ("7k/6Q1/6K1/8/8/8/8/8 b - - 100 80", "checkmate"), ("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1", "stalemate"),
])
def test_checkmate_and_stalemate_have_no_move(fen, status):
    result = MCTS().search(chess.Board(fen), sims=100)
    assert result.best_move is None and result.status == status and result.stop_reason == "terminal"


def test_generate_labels_positions_where_a_draw_can_be_claimed(tmp_path):
    from chessmesa.datasets import GenerateConfig, SourceSpec, generate, load_dataset, validate_dataset

    book = tmp_path / "claims.epd"
    ended = "4k3/8/8/8/8/8/8/4KR2 w - - 150 80"  # the 75-move rule: over, not labelled
    book.write_text(f"{FIFTY}\n{ended}\n")
    config = GenerateConfig(positions=2, budgets=(8, 16), sources=(SourceSpec.parse(f"epd:{book}"),))
    report = generate(config, tmp_path / "out", workers=1)
    assert report.positions == 1 and report.skipped["game over"] == 1
    rows = load_dataset(tmp_path / "out", columns=["fen", "budget", "best_move"]).to_pylist()
    assert [row["budget"] for row in rows] == [8, 16] and {row["fen"] for row in rows} == {FIFTY}
    assert all(chess.Move.from_uci(row["best_move"]) in chess.Board(FIFTY).legal_moves for row in rows)
    assert validate_dataset(tmp_path / "out") == []
