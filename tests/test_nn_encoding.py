"""Encodings: move <-> policy index round trips, colour-mirror symmetry, the input planes."""

from __future__ import annotations

import chess
import numpy as np
import pytest

from chessmesa.core import Position, move_to_chess
from chessmesa.core.layout import KNIGHT, PROMOTION
from chessmesa.nn.moves import POLICY_SIZE, decode_index, index_to_move, move_index, move_indices
from chessmesa.nn.planes import (
    ATTACK_PLANES, ATTACKER_VALUE, CASTLING_PLANE, COLOR_PLANE, EP_PLANE, HALFMOVE_PLANE, ONES_PLANE, PLANES,
    encode_positions,
)
from conftest import random_game_boards

# promotions (under-promotions with capture on both sides), castling both ways, en passant
SPECIAL_FENS = [
    "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
    "r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1",
    "n1n5/PPPk4/8/8/8/8/4Kppp/5N1N b - - 0 1",
    "n1n5/PPPk4/8/8/8/8/4Kppp/5N1N w - - 0 1",
    "rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",
]


def sample_boards() -> list[chess.Board]:
    boards = [chess.Board(fen) for fen in SPECIAL_FENS]
    for seed in range(40):
        boards.extend(board.copy() for board in random_game_boards(seed, 120))
    return boards


@pytest.fixture(scope="module")
def boards() -> list[chess.Board]:
    return sample_boards()


def test_every_legal_move_round_trips_through_its_policy_index(boards):
    checked = 0
    for board in boards:
        position = Position.from_board(board)
        side = int(board.turn == chess.BLACK)
        legal = position.legal_moves()
        indices = [move_index(int(move), side) for move in legal]
        assert len(set(indices)) == len(indices), board.fen()  # no two moves share an index
        assert all(0 <= index < POLICY_SIZE for index in indices)
        for move, index in zip(legal, indices):
            assert index_to_move(index, side, legal) == move
            from_sq, to_sq, promotion = decode_index(index, side)
            uci = move_to_chess(int(move))
            assert (from_sq, to_sq) == (uci.from_square, uci.to_square), (board.fen(), uci)
            under = uci.promotion if uci.promotion not in (None, chess.QUEEN) else 0
            assert promotion == under
            checked += 1
    assert checked > 50_000


def test_batch_indices_equal_the_scalar_ones(boards):
    positions = [Position.from_board(board) for board in boards[:200]]
    legal = [position.legal_moves() for position in positions]
    moves = np.zeros((len(positions), 256), dtype=np.int64)
    counts = np.array([len(m) for m in legal])
    for i, row in enumerate(legal):
        moves[i, : len(row)] = row
    sides = np.array([position.st[0] for position in positions])
    batch = move_indices(sides, moves, counts)
    for i, row in enumerate(legal):
        assert batch[i, : len(row)].tolist() == [move_index(int(m), int(sides[i])) for m in row]
        assert not batch[i, len(row):].any()


def test_under_promotions_use_their_own_planes():
    position = Position("n1n5/PPPk4/8/8/8/8/4Kppp/5N1N w - - 0 1")
    planes = {}
    for move in position.legal_moves():
        flag = int(move) >> 12
        if flag & PROMOTION:
            planes.setdefault((flag & 3) + KNIGHT, set()).add(move_index(int(move), 0) // 64)
    assert planes[chess.QUEEN] <= set(range(56))  # queen promotions are queen-like moves
    assert planes[chess.KNIGHT] | planes[chess.BISHOP] | planes[chess.ROOK] <= set(range(64, 73))


def test_a_position_and_its_colour_mirror_encode_identically(boards):
    for board in boards[::7]:
        mirrored = board.mirror()  # colours swapped, ranks flipped, the other side to move
        original, twin = Position(board.fen()), Position(mirrored.fen())  # both without history
        planes = encode_positions([original, twin])
        same = [p for p in range(PLANES) if p != COLOR_PLANE]
        np.testing.assert_array_equal(planes[0, same], planes[1, same], err_msg=board.fen())
        assert planes[0, COLOR_PLANE].max() != planes[1, COLOR_PLANE].max()
        # the policy too: a move and its mirror image get the same index
        side = int(board.turn == chess.BLACK)
        for move in original.legal_moves():
            uci = move_to_chess(int(move))
            image = chess.Move(chess.square_mirror(uci.from_square), chess.square_mirror(uci.to_square),
                               uci.promotion)
            code = twin.parse_move(image.uci())
            assert move_index(int(move), side) == move_index(code, 1 - side)


def test_attack_planes_match_python_chess_attackers(boards):
    """Counts and least attackers per square, from the mover's side, against
    ``chess.Board.attackers`` (which, like the planes, counts pinned pieces and no x-rays)."""
    sample = boards[::3]
    planes = encode_positions([Position(board.fen()) for board in sample])
    for board, encoded in zip(sample, planes):
        flip = 56 if board.turn == chess.BLACK else 0
        for square in chess.SQUARES:
            row, column = divmod(square ^ flip, 8)
            for side, color in enumerate((board.turn, not board.turn)):
                attackers = board.attackers(color, square)
                least = min((board.piece_type_at(s) for s in attackers), default=0)
                assert encoded[ATTACK_PLANES + side, row, column] == pytest.approx(len(attackers) / 4), board.fen()
                assert encoded[ATTACK_PLANES + 2 + side, row, column] == ATTACKER_VALUE[least], board.fen()


def test_planes_of_the_start_position_and_after_e4():
    start, after = Position(), Position()
    after.push_uci("e2e4")
    planes = encode_positions([start, after])
    assert planes.shape == (2, PLANES, 8, 8) and planes.dtype == np.float32
    assert planes[0, 0, 1].sum() == 8 and planes[0, 5, 0, 4] == 1  # own pawns on rank 2, king e1
    assert planes[0, 11, 7, 4] == 1  # their king on e8
    assert (planes[0, CASTLING_PLANE:CASTLING_PLANE + 4] == 1).all()
    # Black to move after e4: seen from Black, its pawns are on "rank 2", White's e-pawn on "rank 5"
    assert planes[1, 0, 1].sum() == 8 and planes[1, 6, 4, 4] == 1
    assert planes[1, COLOR_PLANE].min() == 1 and planes[0, COLOR_PLANE].max() == 0
    assert (planes[:, ONES_PLANE] == 1).all()


def test_en_passant_and_fifty_move_planes_and_no_history():
    ep = Position(SPECIAL_FENS[-1])  # f6 seen from White
    assert encode_positions([ep])[0, EP_PLANE, 5, 5] == 1
    clock = Position("8/8/4k3/8/8/3K4/8/7R w - - 50 80")
    assert encode_positions([clock])[0, HALFMOVE_PLANE].mean() == pytest.approx(0.5)
    board = chess.Board()
    for uci in ["g1f3", "g8f6", "f3g1", "f6g8"]:
        board.push_uci(uci)
    repeated, fresh = Position.from_board(board), Position(board.fen())
    assert repeated.repetitions() == 2
    # training positions come from FENs, without history: the input never depends on it either
    planes = encode_positions([repeated, fresh])
    assert np.array_equal(planes[0], planes[1])
