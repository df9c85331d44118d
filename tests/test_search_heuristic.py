"""The static evaluator: piece-square score, quiescence, value scale, move priors, greedy choice."""

import chess
import numpy as np
import pytest
from numba import njit

from chessmesa.core import Position, move_to_uci
from chessmesa.core.layout import HIST, UNDO
from chessmesa.search.heuristic import (
    INFINITE_CP, MATE_CP, MATERIAL_EG, MATERIAL_MG, PHASE_TOTAL, POSITIONAL_EG, POSITIONAL_MG,
    QUIESCENCE_DEPTH, TEMPO_CP, best_static_move, evaluate, move_priors, quiescence_cp,
    quiescence_buffer, static_eval_cp,
)
from chessmesa.search.checks import check_info, gives_check, quick_gives_check
from conftest import random_game_boards

# White to move, a black queen en prise to a pawn (d4xe5) or to a bishop (Bxg5)
PAWN_TAKES_QUEEN = "rnb1kbnr/pppp1ppp/8/4q3/3P4/8/PPP1PPPP/RNBQKBNR w KQkq - 0 1"
BISHOP_TAKES_QUEEN = "rnb1kbnr/pppp1ppp/8/4p1q1/3P4/8/PPP1PPPP/RNBQKBNR w KQkq - 0 1"
BACK_RANK_MATE = "6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1"  # Ra8#
PHASE_OF = {chess.KNIGHT: 1, chess.BISHOP: 1, chess.ROOK: 2, chess.QUEEN: 4}
MIDDLEGAME = "r1bq1rk1/pp2bppp/2n1pn2/3p4/2PP4/2N1PN2/PP1B1PPP/R2QKB1R w KQ - 0 8"


def _random_boards(games: int, every: int = 3) -> list[chess.Board]:
    boards = []
    for seed in range(games):
        plies = enumerate(random_game_boards(seed, 200))
        boards.extend(board.copy() for ply, board in plies if ply % every == 0)
    return boards


def _static(fen: str) -> int:
    p = Position(fen)
    return int(static_eval_cp(p.bb, p.st, p.tables))


def _quiescence(position: Position, depth: int = QUIESCENCE_DEPTH) -> int:
    buffer = quiescence_buffer(depth)
    return int(quiescence_cp(position.bb, position.st, position.tables, -INFINITE_CP, INFINITE_CP,
                             depth, buffer))


def _value(position: Position) -> float:
    return float(evaluate(position.bb, position.st, position.tables, quiescence_buffer()))


def _priors(position: Position, temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    moves = position.legal_moves()
    out = np.full(len(moves) + 3, -7.0)  # a longer buffer: nothing past n may be written
    move_priors(position.bb, position.st, position.tables, moves, len(moves), temperature, out)
    assert (out[len(moves):] == -7.0).all()
    return moves, out[: len(moves)]


def _reference_static(board: chess.Board) -> int:
    """The tapered piece-square score computed square by square in Python."""
    mg = eg = phase = 0
    for square, piece in board.piece_map().items():
        relative = square if piece.color == chess.WHITE else chess.square_mirror(square)
        sign = 1 if piece.color == board.turn else -1
        mg += sign * (POSITIONAL_MG[piece.piece_type, relative] + MATERIAL_MG[piece.piece_type])
        eg += sign * (POSITIONAL_EG[piece.piece_type, relative] + MATERIAL_EG[piece.piece_type])
        phase += PHASE_OF.get(piece.piece_type, 0)
    phase = min(phase, PHASE_TOTAL)
    return (mg * phase + eg * (PHASE_TOTAL - phase)) // PHASE_TOTAL + TEMPO_CP


def test_static_eval_matches_a_python_reference():
    boards = _random_boards(6)
    assert len(boards) > 100
    for board in boards:
        assert _static(board.fen()) == _reference_static(board), board.fen()


def test_tables_favour_development_and_advanced_pawns():
    # the same move for both sides gives the same score: Nf3 vs Na3, e4 vs a3
    assert _static("rnbqkbnr/pppppppp/8/8/8/5N2/PPPPPPPP/RNBQKB1R b KQkq - 1 1") < _static(
        "rnbqkbnr/pppppppp/8/8/8/N7/PPPPPPPP/R1BQKBNR b KQkq - 1 1")
    assert _static("8/4P3/8/8/8/8/k6K/8 b - - 0 1") < _static("8/8/8/8/8/4P3/k6K/8 b - - 0 1")


def test_evaluation_is_colour_symmetric():
    boards = _random_boards(8, every=5)
    for board in boards:
        position, mirrored = Position(board.fen()), Position(board.mirror().fen())
        assert _static(board.fen()) == _static(board.mirror().fen()), board.fen()
        assert _quiescence(position) == _quiescence(mirrored), board.fen()
        assert _value(position) == _value(mirrored), board.fen()


def test_start_position_is_near_equal():
    position = Position()
    assert abs(_static(chess.STARTING_FEN)) < 50
    assert abs(_quiescence(position)) < 50
    assert abs(_value(position)) < 0.15


@pytest.mark.parametrize("turn", ["w", "b"])
def test_a_queen_up_is_nearly_won(turn):
    without_black_queen = Position(f"rnb1kbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR {turn} KQkq - 0 1")
    value = _value(without_black_queen)
    assert (value > 0.8) if turn == "w" else (value < -0.8)


def test_quiescence_sees_a_hanging_queen():
    position = Position(BISHOP_TAKES_QUEEN)
    static = _static(BISHOP_TAKES_QUEEN)
    assert abs(static) < 100
    assert _quiescence(position) > static + 700
    assert _quiescence(position, depth=0) == static  # no search at depth 0


def test_quiescence_scores_mate_when_in_check_without_moves():
    mated = Position("R5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 0 1")
    assert _quiescence(mated) == -MATE_CP
    assert _value(mated) == -1.0


def test_quiescence_leaves_the_position_as_found():
    for board in _random_boards(10, every=4):
        position = Position.from_board(board)
        before_bb, before_st = position.bb.copy(), position.st.copy()
        _quiescence(position)
        assert position == Position.from_board(board)
        assert np.array_equal(position.bb[:HIST], before_bb[:HIST])
        assert np.array_equal(position.st[:UNDO], before_st[:UNDO])


def test_quiescence_respects_the_window_fail_soft():
    position = Position(MIDDLEGAME)
    exact = _quiescence(position)
    buffer = quiescence_buffer()
    low = quiescence_cp(position.bb, position.st, position.tables, exact + 1, exact + 50,
                        QUIESCENCE_DEPTH, buffer)
    high = quiescence_cp(position.bb, position.st, position.tables, exact - 50, exact - 1,
                         QUIESCENCE_DEPTH, buffer)
    assert low <= exact + 1 and high >= exact - 1


def test_evaluate_stays_within_bounds_on_random_positions():
    boards = _random_boards(12, every=7)
    assert len(boards) > 300
    values = np.array([_value(Position(board.fen())) for board in boards])
    assert ((values >= -1.0) & (values <= 1.0)).all()
    assert np.isfinite(values).all() and len(np.unique(values)) > 50


def test_priors_are_a_distribution_ranking_the_winning_capture_first():
    moves, priors = _priors(Position(PAWN_TAKES_QUEEN))
    assert (priors > 0).all() and priors.sum() == pytest.approx(1.0, abs=1e-12)
    assert move_to_uci(int(moves[np.argmax(priors)])) == "d4e5"
    assert priors.max() > 0.5


def test_priors_charge_the_capturer_only_when_the_victim_is_defended():
    def prior_of(fen, uci):
        moves, priors = _priors(Position(fen))
        return dict(zip((move_to_uci(int(m)) for m in moves), priors))[uci], priors

    free, free_priors = prior_of("4k3/8/8/3p4/8/8/8/3QK3 w - - 0 1", "d1d5")
    defended, defended_priors = prior_of("4k3/8/4p3/3p4/8/8/8/3QK3 w - - 0 1", "d1d5")
    assert free == free_priors.max()
    assert defended < 0.01 * np.median(defended_priors)


def test_priors_are_deterministic_and_sharpen_with_lower_temperature():
    position = Position(MIDDLEGAME)
    moves, first = _priors(position)
    _, again = _priors(position)
    _, cold = _priors(position, temperature=0.25)
    _, hot = _priors(position, temperature=4.0)
    assert np.array_equal(first, again)
    assert cold.max() > first.max() > hot.max()
    assert np.argmax(cold) == np.argmax(first) == np.argmax(hot)


def test_priors_over_random_positions_sum_to_one():
    for board in _random_boards(4, every=5):
        position = Position(board.fen())
        if position.legal_moves().size:
            _, priors = _priors(position)
            assert (priors > 0).all() and abs(priors.sum() - 1.0) < 1e-9


def test_priors_prefer_queen_promotion_and_avoid_pawn_attacked_squares():
    moves, priors = _priors(Position("8/4P3/8/8/8/k7/8/7K w - - 0 1"))
    by_uci = dict(zip((move_to_uci(int(m)) for m in moves), priors))
    assert max(by_uci, key=by_uci.get) == "e7e8q"
    assert by_uci["e7e8n"] < by_uci["h1g1"] and by_uci["e7e8r"] < by_uci["h1g1"]
    # Nc3-d5 walks into ...e6xd5; Nc3-b5 does not, with a similar square gain
    moves, priors = _priors(Position("4k3/8/4p3/8/8/2N5/8/4K3 w - - 0 1"))
    by_uci = dict(zip((move_to_uci(int(m)) for m in moves), priors))
    assert by_uci["c3d5"] < by_uci["c3b5"]


@njit
def _fast_gives_check(bb, st, t, move):
    check = quick_gives_check(st, check_info(bb, st, t), move)
    return gives_check(bb, st, t, move) if check < 0 else check == 1


def test_gives_check_matches_python_chess():
    checked = 0
    for board in _random_boards(6, every=2):
        position = Position(board.fen())
        for move in position.legal_moves():
            chess_move = chess.Move.from_uci(move_to_uci(int(move)))
            if board.is_castling(chess_move):
                continue  # a rook's check by castling is not detected (documented)
            expected = board.gives_check(chess_move)
            checked += expected
            assert gives_check(position.bb, position.st, position.tables, move) == expected, (
                board.fen(), chess_move.uci())
            assert _fast_gives_check(position.bb, position.st, position.tables, move) == expected, (
                board.fen(), chess_move.uci())
    assert checked > 50


def test_greedy_takes_a_free_queen_and_mates():
    for fen, expected in [(BISHOP_TAKES_QUEEN, "c1g5"), (PAWN_TAKES_QUEEN, "d4e5"),
                          (BACK_RANK_MATE, "a1a8")]:
        position = Position(fen)
        before = position.copy()
        move = best_static_move(position.bb, position.st, position.tables, quiescence_buffer())
        assert move_to_uci(int(move)) == expected
        assert position == before


def test_greedy_avoids_stalemate_and_returns_null_without_moves():
    # Nxh1 wins Black's last free piece (the best capture by material), and stalemates
    position = Position("k7/p1K5/P7/8/8/6N1/8/7n w - - 0 1")
    buffer = quiescence_buffer()
    move = best_static_move(position.bb, position.st, position.tables, buffer)
    assert move_to_uci(int(move)) != "g3h1"
    position.push(int(move))
    assert position.status() == "ongoing"
    mated = Position("R5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 0 1")
    assert best_static_move(mated.bb, mated.st, mated.tables, buffer) == 0
