"""Fully legal move generation.

Legality is decided while generating, not by making each move: pinned pieces move only along the
line through their king, check evasions are limited to capturing or blocking the single checker
(only the king moves in double check), king steps are tested against attacks with the king lifted
off the board, and en passant is tested by removing both pawns (the horizontal pin).
"""

import numpy as np
from numba import njit

from chessmesa.core.bits import clear_lsb, lsb, popcount, square_bb
from chessmesa.core.layout import (
    ALL, BISHOP, BK, BLACK, BQ, CAPTURE, CASTLING, COLOR_BB, DOUBLE_PUSH, EP, EP_CAPTURE,
    KING_CASTLE, KNIGHT, MAX_MOVES, NO_SQUARE, PAWN, PROMOTION, QUEEN, QUEEN_CASTLE, ROOK,
    SIDE, WHITE, WK, WQ, ZERO,
)
from chessmesa.core.make_unmake import attackers_to, en_passant_capturers, king_square
from chessmesa.core.tables import (
    between, bishop_attacks, king_attacks, knight_attacks, line, pawn_attacks, rook_attacks,
)

RANK_1 = np.uint64(0xFF)
RANK_3 = np.uint64(0xFF << 16)
RANK_6 = np.uint64(0xFF << 40)
RANK_8 = np.uint64(0xFF << 56)
PROMOTION_RANKS = RANK_1 | RANK_8
FILE_A = np.uint64(0x0101010101010101)
FILE_H = np.uint64(0x8080808080808080)
EIGHT = np.uint64(8)
SEVEN = np.uint64(7)
NINE = np.uint64(9)
SIXTEEN = np.uint64(16)

# squares that must be empty, and squares the king crosses (must not be attacked), per castling
_CASTLE_EMPTY = np.array(
    [0x60, 0x0E, 0x60 << 56, 0x0E << 56], dtype=np.uint64
)
_CASTLE_SAFE = np.array([0x70, 0x1C, 0x70 << 56, 0x1C << 56], dtype=np.uint64)


@njit(cache=True, inline="always")
def _add_targets(moves, n, from_sq, targets, enemies):
    while targets:
        to_sq = lsb(targets)
        flag = CAPTURE if enemies & square_bb(to_sq) else 0
        moves[n] = from_sq | (to_sq << 6) | (flag << 12)
        n += 1
        targets = clear_lsb(targets)
    return n


@njit(cache=True, inline="always")
def _add_pawn_moves(moves, n, targets, offset, flag):
    """Pawn moves to ``targets`` from ``to - offset``; promotions expand to all four pieces."""
    while targets:
        to_sq = lsb(targets)
        from_sq = to_sq - offset
        if to_sq >= 56 or to_sq < 8:
            for promo in range(4):
                moves[n] = from_sq | (to_sq << 6) | ((flag | PROMOTION | promo) << 12)
                n += 1
        else:
            moves[n] = from_sq | (to_sq << 6) | (flag << 12)
            n += 1
        targets = clear_lsb(targets)
    return n


@njit(cache=True, inline="always")
def _shift_forward(bits, color, amount):
    return bits << amount if color == WHITE else bits >> amount


@njit(cache=True)
def _attacked(bb, t, sq, occupied, them):
    return attackers_to(bb, t, sq, occupied) & bb[COLOR_BB + them] != ZERO


@njit(cache=True)
def pinned_pieces(bb, t, us, king_sq):
    """Our pieces that stand alone between our king and an enemy slider."""
    them = 1 - us
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    enemies = bb[COLOR_BB + them]
    queens = bb[QUEEN - 1]
    snipers = (rook_attacks(t, king_sq, enemies) & (bb[ROOK - 1] | queens) & enemies) | (
        bishop_attacks(t, king_sq, enemies) & (bb[BISHOP - 1] | queens) & enemies
    )
    pinned = ZERO
    while snipers:
        blockers = between(t, king_sq, lsb(snipers)) & occupied
        if popcount(blockers) == 1:
            pinned |= blockers & bb[COLOR_BB + us]
        snipers = clear_lsb(snipers)
    return pinned


@njit(cache=True)
def generate_legal(bb, st, t, moves):
    """Write every legal move into ``moves`` (length >= MAX_MOVES) and return how many."""
    return _generate(bb, st, t, moves, ALL)


@njit(cache=True)
def generate_captures(bb, st, t, moves):
    """Write the legal captures and promotions into ``moves`` and return how many: what a
    quiescence search looks at, several times cheaper than every move. In check, every evasion
    (a quiescence search must not stand pat there)."""
    return _generate(bb, st, t, moves, bb[COLOR_BB + 1 - st[SIDE]])


@njit(cache=True, inline="always")
def _generate(bb, st, t, moves, wanted):
    """The legal moves to the squares of ``wanted`` (every move when it is ``ALL``), pawn
    promotions always, evasions always when in check."""
    us = st[SIDE]
    them = 1 - us
    own = bb[COLOR_BB + us]
    enemies = bb[COLOR_BB + them]
    occupied = own | enemies
    king_sq = king_square(bb, us)
    king_bit = square_bb(king_sq)
    check = attackers_to(bb, t, king_sq, occupied) & enemies
    n = 0

    # king steps, with the king lifted so that it cannot hide behind itself from a slider
    targets = king_attacks(t, king_sq) & ~own
    if not check:
        targets &= wanted
    while targets:
        to_sq = lsb(targets)
        if not _attacked(bb, t, to_sq, occupied ^ king_bit, them):
            flag = CAPTURE if enemies & square_bb(to_sq) else 0
            moves[n] = king_sq | (to_sq << 6) | (flag << 12)
            n += 1
        targets = clear_lsb(targets)
    if popcount(check) > 1:
        return n

    if check:
        allowed = between(t, king_sq, lsb(check)) | check
        pushes = allowed
    else:
        allowed = wanted
        pushes = wanted | PROMOTION_RANKS
        if wanted == ALL:
            n = _castling_moves(bb, st, t, moves, n, us, occupied)

    pinned = pinned_pieces(bb, t, us, king_sq)
    free = ~pinned

    knights = bb[KNIGHT - 1] & own & free  # a pinned knight can never move
    while knights:
        from_sq = lsb(knights)
        n = _add_targets(moves, n, from_sq, knight_attacks(t, from_sq) & ~own & allowed, enemies)
        knights = clear_lsb(knights)

    diagonal = (bb[BISHOP - 1] | bb[QUEEN - 1]) & own
    while diagonal:
        from_sq = lsb(diagonal)
        targets = bishop_attacks(t, from_sq, occupied) & ~own & allowed
        if pinned & square_bb(from_sq):
            targets &= line(t, king_sq, from_sq)
        n = _add_targets(moves, n, from_sq, targets, enemies)
        diagonal = clear_lsb(diagonal)

    straight = (bb[ROOK - 1] | bb[QUEEN - 1]) & own
    while straight:
        from_sq = lsb(straight)
        targets = rook_attacks(t, from_sq, occupied) & ~own & allowed
        if pinned & square_bb(from_sq):
            targets &= line(t, king_sq, from_sq)
        n = _add_targets(moves, n, from_sq, targets, enemies)
        straight = clear_lsb(straight)

    return _pawn_moves(bb, st, t, moves, n, us, occupied, allowed, pushes, pinned, king_sq)


@njit(cache=True)
def _pawn_moves(bb, st, t, moves, n, us, occupied, allowed, pushes, pinned, king_sq):
    """Pawn captures to ``allowed`` and pushes to ``pushes``."""
    enemies = bb[COLOR_BB + 1 - us]
    pawns = bb[PAWN - 1] & bb[COLOR_BB + us]
    forward = 8 if us == WHITE else -8
    empty = ~occupied
    double_rank = RANK_3 if us == WHITE else RANK_6

    # unpinned pawns in bulk; pinned ones one by one along their pin line
    free = pawns & ~pinned
    single = _shift_forward(free, us, EIGHT) & empty
    double = _shift_forward(single & double_rank, us, EIGHT) & empty & pushes
    n = _add_pawn_moves(moves, n, single & pushes, forward, 0)
    n = _add_pawn_moves(moves, n, double, 2 * forward, DOUBLE_PUSH)
    left = _shift_forward(free & ~FILE_A, us, SEVEN if us == WHITE else NINE) & enemies & allowed
    right = _shift_forward(free & ~FILE_H, us, NINE if us == WHITE else SEVEN) & enemies & allowed
    n = _add_pawn_moves(moves, n, left, forward - 1, CAPTURE)
    n = _add_pawn_moves(moves, n, right, forward + 1, CAPTURE)

    pinned_pawns = pawns & pinned
    while pinned_pawns:
        from_sq = lsb(pinned_pawns)
        pin_line = line(t, king_sq, from_sq)
        bit = square_bb(from_sq)
        step = _shift_forward(bit, us, EIGHT) & empty
        n = _add_pawn_moves(moves, n, step & pushes & pin_line, forward, 0)
        jump = _shift_forward(step & double_rank, us, EIGHT) & empty & pushes & pin_line
        n = _add_pawn_moves(moves, n, jump, 2 * forward, DOUBLE_PUSH)
        captures = pawn_attacks(t, us, from_sq) & enemies & allowed & pin_line
        while captures:
            to_sq = lsb(captures)
            n = _add_pawn_moves(moves, n, square_bb(to_sq), to_sq - from_sq, CAPTURE)
            captures = clear_lsb(captures)
        pinned_pawns = clear_lsb(pinned_pawns)

    ep_sq = st[EP]
    if ep_sq != NO_SQUARE:
        capturers = en_passant_capturers(bb, t, us, ep_sq)
        while capturers:
            moves[n] = lsb(capturers) | (ep_sq << 6) | (EP_CAPTURE << 12)
            n += 1
            capturers = clear_lsb(capturers)
    return n


@njit(cache=True)
def _castling_moves(bb, st, t, moves, n, us, occupied):
    """Castling moves for a side not in check; rights guarantee king and rook on their squares."""
    rights = st[CASTLING]
    base = 0 if us == WHITE else 2
    for i in range(2):
        right = (WK, WQ, BK, BQ)[base + i]
        if not rights & right or occupied & _CASTLE_EMPTY[base + i]:
            continue
        king_sq = 4 if us == WHITE else 60
        safe = _CASTLE_SAFE[base + i] & ~square_bb(king_sq)
        ok = True
        while safe:
            if _attacked(bb, t, lsb(safe), occupied, 1 - us):
                ok = False
                break
            safe = clear_lsb(safe)
        if ok:
            to_sq = king_sq + 2 if i == 0 else king_sq - 2
            moves[n] = king_sq | (to_sq << 6) | ((KING_CASTLE if i == 0 else QUEEN_CASTLE) << 12)
            n += 1
    return n


@njit(cache=True)
def legal_moves(bb, st, t):
    """The legal moves as a new int64 array (convenience; hot loops reuse a buffer instead)."""
    buffer = np.empty(MAX_MOVES, dtype=np.int64)
    return buffer[: generate_legal(bb, st, t, buffer)].copy()


@njit(cache=True)
def in_check(bb, st, t):
    us = st[SIDE]
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    return _attacked(bb, t, king_square(bb, us), occupied, 1 - us)
