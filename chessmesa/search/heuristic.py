"""The static evaluator: tapered piece-square tables, a capture quiescence search, move priors.

Everything here is numba; the MCTS leaves call ``evaluate`` and ``move_priors``, and the ``greedy``
baseline engine is ``best_static_move``. Only the quiescence search allocates (one small frame
array per call); the caller owns the move buffers and reuses them.

Scores are centipawns from the side to move's point of view. ``evaluate`` maps the quiescence
score ``cp`` to a value in ``[-1, 1]`` as ``tanh(cp / EVAL_SCALE_CP)``, ``EVAL_SCALE_CP = 400``: a
pawn is worth about 0.25, a minor piece about 0.65, a queen about 0.98, and a mate exactly 1.

The piece-square tables are written for this project in the spirit of PeSTO's (Ronald Friederich):
a midgame and an endgame table per piece, blended by the game phase, which counts the non-pawn
material left (knight and bishop 1, rook 2, queen 4, 24 in the starting position). The midgame
tables reward development, central pawns and a castled king; the endgame tables reward advanced
pawns and a central king. The values are round numbers chosen by hand, not tuned.

A quiescence search needs a move buffer of ``depth + 1`` rows of ``MAX_MOVES`` (one row per ply);
``quiescence_buffer()`` makes one:

>>> from chessmesa.core import Position
>>> position = Position("rnb1kbnr/pppp1ppp/8/4p1q1/3P4/8/PPP1PPPP/RNBQKBNR w KQkq - 0 1")
>>> buffer = quiescence_buffer()
>>> static_eval_cp(position.bb, position.st, position.tables)  # level material, White to move
10
>>> quiescence_cp(position.bb, position.st, position.tables, -INFINITE_CP, INFINITE_CP,
...               QUIESCENCE_DEPTH, buffer) > 900  # but Bxg5 wins the queen
True
>>> round(float(evaluate(position.bb, position.st, position.tables, buffer)), 2)
0.99
"""

import numpy as np
from numba import njit

from chessmesa.core.bits import clear_lsb, lsb, popcount, square_bb
from chessmesa.core.layout import (
    BISHOP, BLACK, BOARD, CAPTURE, COLOR_BB, EP_CAPTURE, KING, KNIGHT, MAX_MOVES, MAX_PLY,
    NULL_MOVE, PAWN, PLY, PROMOTION, QUEEN, ROOK, SIDE, WHITE, ZERO,
)
from chessmesa.core.movegen import generate_captures, generate_legal, in_check
from chessmesa.core.make_unmake import attackers_to, make_move, unmake_move
from chessmesa.core.tables import pawn_attacks
from chessmesa.search.checks import _occupied_after, check_info, gives_check, quick_gives_check
from chessmesa.search.softmax import softmax_in_place

TEMPO_CP = 10
EVAL_SCALE_CP = 400.0
MATE_CP = 30000  # a mate in p plies from the node scores MATE_CP - p
INFINITE_CP = 32000
QUIESCENCE_DEPTH = 6
DELTA_MARGIN_CP = 200  # skip a capture that cannot lift the stand-pat score this close to alpha
PHASE_TOTAL = 24

# move prior features, in centipawns; the softmax sees them in pawns (divided by PRIOR_UNIT_CP)
PRIOR_UNIT_CP = 100.0
CHECK_BONUS_CP = 80
UNDERPROMOTION_PENALTY_CP = 300

# by piece type (index 0 unused): material for the tables, exchange values for MVV-LVA and priors
MATERIAL_MG = (0, 85, 330, 360, 480, 1000, 0)
MATERIAL_EG = (0, 105, 290, 310, 530, 960, 0)
PIECE_VALUE = np.array([0, 100, 320, 330, 500, 950, 0], dtype=np.int64)

# Positional tables from White's side, printed as the board is seen: rank 8 on top, a-file left.
# Black uses the square mirrored vertically (sq ^ 56).
_TABLES_MG = {
    PAWN: """
          0   0   0   0   0   0   0   0
         60  65  70  75  75  70  65  60
         15  20  30  40  40  30  20  15
          0   5  10  25  25  10   5   0
         -5   0   5  20  20   5   0  -5
          0   0  -5   5   5  -5   0   0
         -5   5   5 -15 -15  10  10  -5
          0   0   0   0   0   0   0   0""",
    KNIGHT: """
        -90 -40 -30 -30 -30 -30 -40 -90
        -40 -20   0   5   5   0 -20 -40
        -30   5  15  20  20  15   5 -30
        -25   5  20  25  25  20   5 -25
        -25   0  15  20  20  15   0 -25
        -30   0  10  15  15  10   0 -30
        -40 -20   0   5   5   0 -20 -40
        -80 -25 -30 -30 -30 -30 -25 -80""",
    BISHOP: """
        -20 -10 -10 -10 -10 -10 -10 -20
        -10   0   0   0   0   0   0 -10
        -10   0   5  10  10   5   0 -10
        -10   5   5  10  10   5   5 -10
        -10   0  10  10  10  10   0 -10
        -10  10  10  10  10  10  10 -10
        -10   5   0   0   0   0   5 -10
        -20 -10 -15 -10 -10 -15 -10 -20""",
    ROOK: """
         10  10  10  15  15  10  10  10
         20  25  25  25  25  25  25  20
         -5   0   0   0   0   0   0  -5
         -5   0   0   0   0   0   0  -5
         -5   0   0   0   0   0   0  -5
         -5   0   0   0   0   0   0  -5
         -5   0   0   0   0   0   0  -5
         -5  -5   0  10  10   5  -5  -5""",
    QUEEN: """
        -20 -10 -10  -5  -5 -10 -10 -20
        -10 -10   0   0   0   0 -10 -10
        -10   0   5   5   5   5   0 -10
         -5   0   5   5   5   5   0  -5
         -5   0   5   5   5   5   0  -5
        -10   5   5   5   5   5   0 -10
        -10   0   5   0   0   0   0 -10
        -20 -10 -10   0  -5 -10 -10 -20""",
    KING: """
        -60 -60 -60 -70 -70 -60 -60 -60
        -50 -50 -50 -60 -60 -50 -50 -50
        -40 -40 -50 -60 -60 -50 -40 -40
        -40 -40 -50 -60 -60 -50 -40 -40
        -30 -40 -40 -50 -50 -40 -40 -30
        -20 -30 -30 -40 -40 -30 -30 -20
         10  10 -10 -20 -20 -10  10  10
         15  30  10 -10   0  -5  35  15""",
}
_TABLES_EG = {
    PAWN: """
          0   0   0   0   0   0   0   0
        120 120 115 110 110 115 120 120
         80  75  65  55  55  65  75  80
         35  30  25  15  15  25  30  35
         15  10   5   0   0   5  10  15
          0   0  -5  -5  -5  -5   0   0
          0   0   0   0   0   0   0   0
          0   0   0   0   0   0   0   0""",
    KNIGHT: """
        -50 -40 -30 -30 -30 -30 -40 -50
        -40 -20   0   0   0   0 -20 -40
        -30   0  10  15  15  10   0 -30
        -30   5  15  20  20  15   5 -30
        -30   0  15  20  20  15   0 -30
        -30   5  10  15  15  10   5 -30
        -40 -20   0   5   5   0 -20 -40
        -50 -40 -30 -30 -30 -30 -40 -50""",
    BISHOP: """
        -15 -10 -10 -10 -10 -10 -10 -15
        -10  -5   0   0   0   0  -5 -10
        -10   0   5   5   5   5   0 -10
        -10   0   5  10  10   5   0 -10
        -10   0   5  10  10   5   0 -10
        -10   0   5   5   5   5   0 -10
        -10  -5   0   0   0   0  -5 -10
        -15 -10 -10 -10 -10 -10 -10 -15""",
    ROOK: """
         10  10  10  10  10  10  10  10
         15  15  15  15  15  15  15  15
          5   5   5   5   5   5   5   5
          0   0   0   0   0   0   0   0
          0   0   0   0   0   0   0   0
         -5  -5  -5  -5  -5  -5  -5  -5
         -5  -5  -5  -5  -5  -5  -5  -5
         -5  -5  -5  -5  -5  -5  -5  -5""",
    QUEEN: """
        -20 -10 -10  -5  -5 -10 -10 -20
        -10   0   5   5   5   5   0 -10
        -10   5  15  15  15  15   5 -10
         -5   5  15  20  20  15   5  -5
         -5   5  15  20  20  15   5  -5
        -10   5  15  15  15  15   5 -10
        -10   0   5   5   5   5   0 -10
        -20 -10 -10  -5  -5 -10 -10 -20""",
    KING: """
        -50 -35 -25 -20 -20 -25 -35 -50
        -30 -10   0   5   5   0 -10 -30
        -20   5  15  20  20  15   5 -20
        -15  10  20  30  30  20  10 -15
        -20   5  20  30  30  20   5 -20
        -25   0  10  20  20  10   0 -25
        -35 -15  -5   0   0  -5 -15 -35
        -55 -40 -30 -25 -25 -30 -40 -55""",
}


def _positional_table(printed: dict) -> np.ndarray:
    """int64[7, 64] by piece type and square (a1 = 0), White's view."""
    table = np.zeros((7, 64), dtype=np.int64)
    for piece_type, text in printed.items():
        grid = np.array(text.split(), dtype=np.int64).reshape(8, 8)
        table[piece_type] = grid[::-1].ravel()  # printed rank 8 first
    return table


def _signed_table(positional: np.ndarray, material: tuple) -> np.ndarray:
    """int64[16, 64] indexed by piece code and square: material + position, White's view, so
    that a black piece counts negatively."""
    table = np.zeros((16, 64), dtype=np.int64)
    mirrored = np.arange(64) ^ 56
    for piece_type in range(PAWN, KING + 1):
        white = positional[piece_type] + material[piece_type]
        table[WHITE * 8 + piece_type] = white
        table[BLACK * 8 + piece_type] = -white[mirrored]
    return table


POSITIONAL_MG = _positional_table(_TABLES_MG)
POSITIONAL_EG = _positional_table(_TABLES_EG)
PST_MG = _signed_table(POSITIONAL_MG, MATERIAL_MG)
PST_EG = _signed_table(POSITIONAL_EG, MATERIAL_EG)

# quiescence frame fields, one column per ply
F_ALPHA, F_BETA, F_BEST, F_NEXT, F_COUNT, F_STAND = range(6)
NO_STAND = -INFINITE_CP - 1  # marks a node in check: no stand pat, no delta pruning
MOVE_MASK = 0xFFFF


def quiescence_buffer(depth: int = QUIESCENCE_DEPTH) -> np.ndarray:
    """A move buffer for a quiescence search ``depth`` plies deep: int64[depth + 1, MAX_MOVES].

    ``evaluate`` searches as deep as its buffer allows, so the buffer sets the depth; allocate it
    once and reuse it for every call.
    """
    return np.zeros((depth + 1, MAX_MOVES), dtype=np.int64)


@njit(cache=True)
def game_phase(bb):
    """Non-pawn material left, from 0 (pawn ending) to 24 (all pieces; more after promotions is
    capped)."""
    phase = (
        popcount(bb[KNIGHT - 1]) + popcount(bb[BISHOP - 1])
        + 2 * popcount(bb[ROOK - 1]) + 4 * popcount(bb[QUEEN - 1])
    )
    return min(phase, PHASE_TOTAL)


@njit(cache=True)
def static_eval_cp(bb, st, t):
    """Tapered piece-square evaluation in centipawns from the side to move's view, tempo included.

    The score of a position and of its colour-mirrored twin are equal (the tables are mirrored and
    the blend is rounded after the sign is applied).
    """
    mg = 0
    eg = 0
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    while occupied:
        sq = lsb(occupied)
        piece = st[BOARD + sq]
        mg += PST_MG[piece, sq]
        eg += PST_EG[piece, sq]
        occupied = clear_lsb(occupied)
    if st[SIDE] == BLACK:
        mg, eg = -mg, -eg
    phase = game_phase(bb)
    return (mg * phase + eg * (PHASE_TOTAL - phase)) // PHASE_TOTAL + TEMPO_CP


@njit(cache=True, inline="always")
def _victim_type(st, move):
    """The type of the piece ``move`` captures, 0 if none."""
    flag = (move >> 12) & 15
    if flag == EP_CAPTURE:
        return PAWN
    if flag & CAPTURE:
        return st[BOARD + ((move >> 6) & 63)] & 7
    return 0


@njit(cache=True, inline="always")
def _order_key(st, move, us):
    """MVV-LVA, queen promotions counted as a capture of a queen; ties broken by the squares as
    seen from the mover's side, so that a position and its mirror search moves in the same order."""
    from_sq, to_sq, flag = move & 63, (move >> 6) & 63, (move >> 12) & 15
    gain = _victim_type(st, move)
    promotion = 0
    if flag & PROMOTION:
        promotion = flag & 3
        if promotion + KNIGHT == QUEEN:
            gain += QUEEN
    attacker = st[BOARD + from_sq] & 7
    flip = 56 * us
    major = gain * 8 + (7 - attacker)
    return (major << 14) | (promotion << 12) | ((to_sq ^ flip) << 6) | (from_sq ^ flip)


@njit(cache=True, inline="always")
def _sort_descending(row, n):
    for i in range(1, n):
        entry = row[i]
        j = i - 1
        while j >= 0 and row[j] < entry:
            row[j + 1] = row[j]
            j -= 1
        row[j + 1] = entry


@njit(cache=True, inline="always")
def _loses_material(bb, st, t, move):
    """A capture of a cheaper piece on a square the enemy defends (a one-step exchange estimate)."""
    from_sq, to_sq = move & 63, (move >> 6) & 63
    attacker = st[BOARD + from_sq] & 7
    if PIECE_VALUE[_victim_type(st, move)] >= PIECE_VALUE[attacker]:
        return False
    occupied = (bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]) ^ square_bb(from_sq)
    return attackers_to(bb, t, to_sq, occupied) & bb[COLOR_BB + 1 - st[SIDE]] != ZERO


@njit(cache=True, inline="always")
def _open_node(bb, st, t, moves, frames, ply, limit):
    """Set up the quiescence node at ``ply``; returns ``(score, True)`` when it is a leaf, else
    ``(0, False)`` with its ordered moves in ``moves[ply]`` and its frame filled."""
    if ply == limit:
        return static_eval_cp(bb, st, t), True
    checked = in_check(bb, st, t)
    stand = NO_STAND
    best = -INFINITE_CP
    if not checked:
        stand = static_eval_cp(bb, st, t)
        if stand >= frames[F_BETA, ply]:
            return stand, True
        best = stand
        if stand > frames[F_ALPHA, ply]:
            frames[F_ALPHA, ply] = stand
    row = moves[ply]
    n = generate_legal(bb, st, t, row) if checked else generate_captures(bb, st, t, row)
    if checked and n == 0:
        return -MATE_CP + ply, True
    us = st[SIDE]
    kept = 0
    for i in range(n):
        move = row[i]
        flag = (move >> 12) & 15
        if not checked:
            if flag & PROMOTION:
                if (flag & 3) + KNIGHT != QUEEN:
                    continue
            elif not flag & CAPTURE:
                continue
            elif _loses_material(bb, st, t, move):
                continue
        row[kept] = (_order_key(st, move, us) << 16) | move
        kept += 1
    if kept == 0:
        return best, True
    _sort_descending(row, kept)
    frames[F_BEST, ply] = best
    frames[F_NEXT, ply] = 0
    frames[F_COUNT, ply] = kept
    frames[F_STAND, ply] = stand
    return 0, False


@njit(cache=True)
def quiescence_cp(bb, st, t, alpha, beta, max_depth, moves_buffer_2d):
    """Fail-soft alpha-beta over captures and queen promotions (all evasions when in check), in
    centipawns from the side to move's view; at most ``max_depth`` plies, and no more than the
    buffer has rows for (``moves_buffer_2d``: int64[depth + 1, MAX_MOVES]).

    Not in check, the side to move may stand pat on the static score; captures are searched in
    MVV-LVA order, leaving out those of a cheaper piece on a defended square, and those that cannot
    reach alpha even by winning the victim (delta pruning). In check with no legal move the score
    is ``-MATE_CP + ply``; stalemate is not detected out of check. At the depth limit the static
    score stands, even in check. An explicit stack replaces recursion; ``bb`` and ``st`` are left
    exactly as found.
    """
    limit = max(0, min(max_depth, moves_buffer_2d.shape[0] - 1, MAX_PLY - st[PLY]))
    frames = np.empty((6, limit + 1), dtype=np.int64)
    frames[F_ALPHA, 0] = alpha
    frames[F_BETA, 0] = beta
    ply = 0
    value, done = _open_node(bb, st, t, moves_buffer_2d, frames, ply, limit)
    while True:
        if done:
            if ply == 0:
                return value
            unmake_move(bb, st, t)
            ply -= 1
            score = -value
            if score > frames[F_BEST, ply]:
                frames[F_BEST, ply] = score
                if score > frames[F_ALPHA, ply]:
                    frames[F_ALPHA, ply] = score
            if score >= frames[F_BETA, ply]:
                value = score
                continue
            done = False
        i = frames[F_NEXT, ply]
        if i == frames[F_COUNT, ply]:
            value = frames[F_BEST, ply]
            done = True
            continue
        frames[F_NEXT, ply] = i + 1
        move = moves_buffer_2d[ply, i] & MOVE_MASK
        stand = frames[F_STAND, ply]
        if stand != NO_STAND and not (move >> 12) & PROMOTION:
            hope = stand + PIECE_VALUE[_victim_type(st, move)] + DELTA_MARGIN_CP
            if hope <= frames[F_ALPHA, ply]:
                continue
        make_move(bb, st, t, move)
        ply += 1
        frames[F_ALPHA, ply] = -frames[F_BETA, ply - 1]
        frames[F_BETA, ply] = -frames[F_ALPHA, ply - 1]
        value, done = _open_node(bb, st, t, moves_buffer_2d, frames, ply, limit)


@njit(cache=True)
def cp_to_value(cp):
    """Centipawns to a value in [-1, 1]: ``tanh(cp / EVAL_SCALE_CP)``."""
    return np.tanh(cp / EVAL_SCALE_CP)


@njit(cache=True)
def evaluate(bb, st, t, buffer):
    """The quiescence score as a value in [-1, 1] from the side to move's view; the search is as
    deep as ``buffer`` allows (``quiescence_buffer(depth)``: ``depth`` plies)."""
    depth = buffer.shape[0] - 1
    return cp_to_value(quiescence_cp(bb, st, t, -INFINITE_CP, INFINITE_CP, depth, buffer))


@njit(cache=True, inline="always")
def _prior_score_cp(st, move, phase, check, recapture, pawn_guarded):
    """The heuristic worth of ``move`` in centipawns (see ``move_priors``); the caller decides
    ``check`` and ``recapture``, which need the board."""
    us = st[SIDE]
    from_sq, to_sq, flag = move & 63, (move >> 6) & 63, (move >> 12) & 15
    mover = st[BOARD + from_sq] & 7
    lands = mover
    score = 0
    if flag & PROMOTION:
        lands = (flag & 3) + KNIGHT
        if lands == QUEEN:
            score += PIECE_VALUE[QUEEN] - PIECE_VALUE[PAWN]
        else:
            score -= UNDERPROMOTION_PENALTY_CP

    victim = _victim_type(st, move)
    if victim:
        # MVV-LVA, charging the mover only when the enemy can take back on the square
        score += PIECE_VALUE[victim]
        if recapture:
            score -= PIECE_VALUE[lands]
    elif pawn_guarded & square_bb(to_sq):
        score -= PIECE_VALUE[lands] // 2
    if check:
        score += CHECK_BONUS_CP

    flip = 56 * us
    gain_mg = POSITIONAL_MG[lands, to_sq ^ flip] - POSITIONAL_MG[mover, from_sq ^ flip]
    gain_eg = POSITIONAL_EG[lands, to_sq ^ flip] - POSITIONAL_EG[mover, from_sq ^ flip]
    return score + (gain_mg * phase + gain_eg * (PHASE_TOTAL - phase)) // PHASE_TOTAL


@njit(cache=True)
def _recapturable(bb, st, t, move):
    """Whether an enemy piece attacks the destination of a capture once it is made."""
    return attackers_to(bb, t, (move >> 6) & 63, _occupied_after(bb, move)) & bb[
        COLOR_BB + 1 - st[SIDE]] != ZERO


@njit(cache=True)
def move_priors(bb, st, t, moves, n, temperature, out):
    """Write heuristic priors for the legal moves ``moves[:n]`` into ``out[:n]``: a softmax of each
    move's score in pawns divided by ``temperature`` (> 0), so they are positive and sum to 1.

    A move's score (centipawns, then divided by ``PRIOR_UNIT_CP``) adds up:

    - a capture: the victim's value, less the mover's value when an enemy piece attacks the
      destination after the move (MVV-LVA that does not charge for taking an undefended piece);
    - a promotion: queen minus pawn for a queen, ``-UNDERPROMOTION_PENALTY_CP`` for the others;
    - a check (exact but for a rook's check by castling), ``CHECK_BONUS_CP``;
    - the tapered piece-square gain of the moving piece (the promoted piece on arrival);
    - a quiet move to a square an enemy pawn attacks: minus half the mover's value.
    """
    if temperature <= 0.0:
        raise ValueError("move_priors: temperature must be positive")
    phase = game_phase(bb)
    info = check_info(bb, st, t)
    us = st[SIDE]
    enemy_pawns = bb[PAWN - 1] & bb[COLOR_BB + 1 - us]
    pawn_guarded = ZERO
    while enemy_pawns:
        pawn_guarded |= pawn_attacks(t, 1 - us, lsb(enemy_pawns))
        enemy_pawns = clear_lsb(enemy_pawns)
    scale = 1.0 / (PRIOR_UNIT_CP * temperature)
    for i in range(n):
        move = moves[i]
        check = quick_gives_check(st, info, move)
        if check < 0:
            check = gives_check(bb, st, t, move)
        recapture = _victim_type(st, move) != 0 and _recapturable(bb, st, t, move)
        out[i] = _prior_score_cp(st, move, phase, check, recapture, pawn_guarded) * scale
    softmax_in_place(out, n)


@njit(cache=True)
def best_static_move(bb, st, t, buffer, allowed=None):
    """The legal move whose reply position scores best for the mover, by quiescence search; the
    lowest index wins ties, ``NULL_MOVE`` when there is no legal move. The ``greedy`` baseline.
    A non-empty ``allowed`` (move codes) restricts the choice to those moves.

    ``buffer`` (``quiescence_buffer(depth)``) holds the root moves in its first row and each reply's
    quiescence search in the rest, so the horizon is ``depth`` plies from the root, as for
    ``evaluate``. A stalemating move scores 0; repetitions and the fifty-move rule are ignored.
    """
    root = buffer[0]
    replies = buffer[1:]
    depth = buffer.shape[0] - 2
    n = generate_legal(bb, st, t, root)
    best_move = NULL_MOVE
    best = -INFINITE_CP - 1
    for i in range(n):
        move = root[i]
        if allowed is not None and allowed.shape[0] > 0 and not (allowed == move).any():
            continue
        make_move(bb, st, t, move)
        if generate_legal(bb, st, t, replies[0]) == 0 and not in_check(bb, st, t):
            score = 0
        else:
            # a reply scoring -best or more cannot beat the best move so far: that is its beta
            score = -quiescence_cp(bb, st, t, -INFINITE_CP, -best, depth, replies)
        unmake_move(bb, st, t)
        if score > best:
            best = score
            best_move = move
    return best_move
