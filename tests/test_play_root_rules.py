"""The root rules of a player without search: a mate in one, and no draw thrown away when winning.

The rules run in numba (:mod:`chessmesa.play.root_rules`); the reference here states the same
rules in python-chess's terms (``is_checkmate``, ``is_stalemate``, ``is_insufficient_material``,
``can_claim_draw``, ``is_repetition``), and the two must choose the same move on every board.
"""

import random

import chess
import numpy as np
import pytest

from chessmesa.core import Position, move_to_uci
from chessmesa.play.root_rules import WINNING_MATERIAL, WINNING_VALUE, gives_mate, guarded_move, material_balance


def reference_draws_away(board: chess.Board, move: chess.Move) -> bool:
    board.push(move)
    try:
        return board.is_stalemate() or board.is_insufficient_material() or board.can_claim_draw()
    finally:
        board.pop()


def reference_repeats(board: chess.Board, move: chess.Move) -> bool:
    board.push(move)
    try:
        return board.is_repetition(2)
    finally:
        board.pop()


def reference_guarded_move(board: chess.Board, ranked: list[chess.Move], value: float) -> chess.Move:
    for move in ranked:
        if gives_mate(board, move):
            return move
    if value > WINNING_VALUE or material_balance(board) >= WINNING_MATERIAL:
        safe = [move for move in ranked if not reference_draws_away(board, move)]
        fresh = [move for move in safe if not reference_repeats(board, move)]
        if fresh or safe:
            return (fresh or safe)[0]
    return ranked[0]


def chosen(board: chess.Board, ranked: list[chess.Move], value: float) -> chess.Move:
    position = Position.from_board(board)
    codes = np.array([position.parse_move(move.uci()) for move in ranked], dtype=np.int64)
    before = position.fen()
    move = guarded_move(position.bb, position.st, position.tables, codes, value)
    assert position.fen() == before  # left as it was
    return chess.Move.from_uci(move_to_uci(move))


def test_a_mate_in_one_is_played_whatever_the_ranking():
    board = chess.Board("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1")
    ranked = sorted(board.legal_moves, key=lambda m: m.uci() != "a1a2")  # the network likes Ra2
    assert chosen(board, ranked, value=-0.5).uci() == "a1a8"


def test_when_winning_a_third_repetition_and_a_stalemate_are_passed_over():
    board = chess.Board("7k/8/5K2/8/8/8/8/5Q2 w - - 0 1")
    for uci in ("f1f2", "h8g8", "f2f1", "g8h8", "f1f2", "h8g8", "f2f1", "g8h8"):
        board.push_uci(uci)
    repeat = chess.Move.from_uci("f1f2")  # the position after it occurs a third time
    assert reference_draws_away(board, repeat)
    ranked = [repeat, *(m for m in board.legal_moves if m != repeat)]
    move = chosen(board, ranked, value=0.0)  # a queen up: winning by material
    assert move != repeat and not reference_draws_away(board, move)

    lone = chess.Board("7k/8/8/8/8/8/8/KQ6 w - - 0 1")
    stalemate = chess.Move.from_uci("b1g6")
    ranked = [stalemate, *(m for m in lone.legal_moves if m != stalemate)]
    assert chosen(lone, ranked, value=0.0) != stalemate


def test_not_winning_the_ranking_stands():
    board = chess.Board("7k/8/8/8/4K3/8/8/r7 w - - 0 1")  # a rook down
    for uci in ("e4d4", "a1a2", "d4e4", "a2a1", "e4d4", "a1a2", "d4e4", "a2a1"):
        board.push_uci(uci)
    repeat = chess.Move.from_uci("e4d4")
    assert reference_draws_away(board, repeat)
    ranked = [repeat, *(m for m in board.legal_moves if m != repeat)]
    assert chosen(board, ranked, value=0.0) == repeat


def test_when_winning_a_position_seen_before_and_the_opponents_claim_are_passed_over():
    board = chess.Board("7k/8/5K2/8/8/8/8/5Q2 w - - 0 1")
    for uci in ("f1f2", "h8g8", "f2f1", "g8h8"):
        board.push_uci(uci)
    back = chess.Move.from_uci("f1f2")  # the position after it was seen once already
    assert reference_repeats(board, back) and not reference_draws_away(board, back)
    ranked = [back, *(m for m in board.legal_moves if m != back)]
    move = chosen(board, ranked, value=0.9)
    assert not reference_repeats(board, move) and not reference_draws_away(board, move)

    for uci in ("f1f2", "h8g8"):
        board.push_uci(uci)
    again = chess.Move.from_uci("f2f1")  # a second occurrence only, but Kh8 would make the third
    after = board.copy()
    after.push(again)
    assert not after.is_repetition(3) and after.can_claim_threefold_repetition()
    ranked = [again, *(m for m in board.legal_moves if m != again)]
    assert chosen(board, ranked, value=0.9) != again


def shuffling_boards(seed: int, count: int):
    """Boards from endgames where the pieces shuffle back and forth (repetitions), some near the
    fifty-move mark, each with its game history."""
    rng = random.Random(seed)
    starts = ["7k/8/5K2/8/8/8/8/5Q2 w - - {} 1", "8/8/3k4/8/8/2K5/8/R7 b - - {} 1",
              "8/5k2/8/8/2N5/8/3K4/1B6 w - - {} 1", "6k1/5p2/8/8/8/8/1R3PK1/8 w - - {} 1",
              "4k3/8/8/8/8/8/3q4/4K2R w K - {} 1"]
    found = []
    while len(found) < count:
        board = chess.Board(rng.choice(starts).format(rng.choice([0, 60, 90, 96])))
        for _ in range(rng.randrange(4, 40)):
            moves = list(board.legal_moves)
            if not moves:
                break
            back = [m for m in moves if len(board.move_stack) >= 2 and m.from_square == board.move_stack[-2].to_square
                    and m.to_square == board.move_stack[-2].from_square]
            board.push(rng.choice(back) if back and rng.random() < 0.6 else rng.choice(moves))
        if not board.is_game_over(claim_draw=False):
            found.append(board)
    return found


@pytest.mark.parametrize("seed", range(3))
def test_the_numba_rules_choose_as_python_chess_does(seed):
    rng = random.Random(seed)
    boards = shuffling_boards(seed, 150)
    for board in boards:
        ranked = list(board.legal_moves)
        rng.shuffle(ranked)
        value = rng.choice([-0.5, 0.0, 0.5])
        assert chosen(board, ranked, value) == reference_guarded_move(board, ranked, value), board.fen()
    # the boards exercise every rule, or the comparison would prove little
    assert sum(any(reference_repeats(b, m) for m in b.legal_moves) for b in boards) > 20
    assert sum(b.halfmove_clock >= 98 for b in boards) > 5


def test_the_policy_player_plays_the_mate_an_untrained_network_misses(tmp_path, one_torch_thread):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model
    from chessmesa.play.players import Limit, make_player

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    player = make_player(f"policy:ckpt={tmp_path}")
    for fen, mate in (("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", "a1a8"),
                      ("r5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 0 1", "a8a1")):
        assert player.choose(chess.Board(fen), Limit()).move.uci() == mate
    player.close()
