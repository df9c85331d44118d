"""A plain Python port of chessmesa's static evaluator on python-chess, for bench/mcts.py.

It follows ``chessmesa.search.heuristic`` rule for rule (same tables, phase, tempo, quiescence
pruning, prior features, tanh scale) so that the speed comparison is numba against ordinary Python
code a researcher would write, not numba against numba.
"""

from __future__ import annotations

import math

import chess
import numpy as np

from chessmesa.search.heuristic import (
    CHECK_BONUS_CP, DELTA_MARGIN_CP, EVAL_SCALE_CP, INFINITE_CP, MATE_CP, PHASE_TOTAL,
    PIECE_VALUE, POSITIONAL_EG, POSITIONAL_MG, PRIOR_UNIT_CP, PST_EG, PST_MG,
    QUIESCENCE_DEPTH, TEMPO_CP, UNDERPROMOTION_PENALTY_CP,
)

_PST_MG, _PST_EG = PST_MG.tolist(), PST_EG.tolist()
_POS_MG, _POS_EG, _VALUE = POSITIONAL_MG.tolist(), POSITIONAL_EG.tolist(), PIECE_VALUE.tolist()


def _code(piece: chess.Piece) -> int:
    return (0 if piece.color == chess.WHITE else 8) + piece.piece_type


def phase(board: chess.Board) -> int:
    count = (chess.popcount(board.knights) + chess.popcount(board.bishops)
             + 2 * chess.popcount(board.rooks) + 4 * chess.popcount(board.queens))
    return min(count, PHASE_TOTAL)


def static_eval_cp(board: chess.Board) -> int:
    mg = eg = 0
    for square, piece in board.piece_map().items():
        mg += _PST_MG[_code(piece)][square]
        eg += _PST_EG[_code(piece)][square]
    if board.turn == chess.BLACK:
        mg, eg = -mg, -eg
    p = phase(board)
    return (mg * p + eg * (PHASE_TOTAL - p)) // PHASE_TOTAL + TEMPO_CP


def _victim(board: chess.Board, move: chess.Move) -> int:
    if board.is_en_passant(move):
        return chess.PAWN
    piece = board.piece_at(move.to_square)
    return piece.piece_type if piece else 0


def _loses_material(board: chess.Board, move: chess.Move) -> bool:
    attacker = board.piece_type_at(move.from_square)
    if _VALUE[_victim(board, move)] >= _VALUE[attacker]:
        return False
    return bool(board.attackers(not board.turn, move.to_square))


def quiescence_cp(board: chess.Board, alpha: int, beta: int, ply: int = 0) -> int:
    if ply == QUIESCENCE_DEPTH:
        return static_eval_cp(board)
    checked = board.is_check()
    best, stand = -INFINITE_CP, None
    if not checked:
        stand = static_eval_cp(board)
        if stand >= beta:
            return stand
        best = stand
        alpha = max(alpha, stand)
    moves = []
    for move in board.legal_moves:
        if not checked:
            if move.promotion:
                if move.promotion != chess.QUEEN:
                    continue
            elif not board.is_capture(move) or _loses_material(board, move):
                continue
        gain = _victim(board, move) + (chess.QUEEN if move.promotion == chess.QUEEN else 0)
        moves.append((gain * 8 + 7 - board.piece_type_at(move.from_square), move))
    if checked and not moves:
        return -MATE_CP + ply
    for _, move in sorted(moves, key=lambda item: -item[0]):
        if stand is not None and not move.promotion:
            if stand + _VALUE[_victim(board, move)] + DELTA_MARGIN_CP <= alpha:
                continue
        board.push(move)
        score = -quiescence_cp(board, -beta, -alpha, ply + 1)
        board.pop()
        if score > best:
            best = score
            alpha = max(alpha, score)
        if score >= beta:
            break
    return best


def evaluate(board: chess.Board) -> float:
    return math.tanh(quiescence_cp(board, -INFINITE_CP, INFINITE_CP) / EVAL_SCALE_CP)


def move_priors(board: chess.Board, moves: list[chess.Move], temperature: float) -> list[float]:
    p, us = phase(board), board.turn
    flip = 0 if us == chess.WHITE else 56
    logits = []
    for move in moves:
        mover = board.piece_type_at(move.from_square)
        lands, score = mover, 0
        if move.promotion:
            lands = move.promotion
            score += _VALUE[chess.QUEEN] - _VALUE[chess.PAWN] if lands == chess.QUEEN else -UNDERPROMOTION_PENALTY_CP
        victim = _victim(board, move)
        if victim:
            score += _VALUE[victim]
            board.push(move)
            if board.attackers(board.turn, move.to_square):
                score -= _VALUE[lands]
            board.pop()
        elif chess.BB_PAWN_ATTACKS[us][move.to_square] & board.pawns & board.occupied_co[not us]:
            score -= _VALUE[lands] // 2
        if board.gives_check(move):
            score += CHECK_BONUS_CP
        gain_mg = _POS_MG[lands][move.to_square ^ flip] - _POS_MG[mover][move.from_square ^ flip]
        gain_eg = _POS_EG[lands][move.to_square ^ flip] - _POS_EG[mover][move.from_square ^ flip]
        score += (gain_mg * p + gain_eg * (PHASE_TOTAL - p)) // PHASE_TOTAL
        logits.append(score / (PRIOR_UNIT_CP * temperature))
    top = max(logits)
    weights = np.exp(np.array(logits) - top)
    return (weights / weights.sum()).tolist()
