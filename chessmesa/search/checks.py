"""Which moves give check: the precomputed check squares of a position, and the exact test.

``check_info`` computes once per position the squares from which each piece type would check the
enemy king and the pieces whose move uncovers a check; then it answers for an
ordinary move in a few instructions (``quick_gives_check``), leaving the rare rest to
``gives_check``, which looks at the board after the move.

>>> from chessmesa.core import Position
>>> position = Position("4k3/8/8/8/8/8/8/R3K3 w Q - 0 1")
>>> gives_check(position.bb, position.st, position.tables, 0 | 56 << 6)  # Ra8+
True
"""

from numba import njit

from chessmesa.core.bits import clear_lsb, lsb, popcount, square_bb
from chessmesa.core.layout import (
    BISHOP, BLACK, BOARD, COLOR_BB, EP_CAPTURE, KING_CASTLE, KNIGHT, PAWN, PROMOTION, QUEEN,
    QUEEN_CASTLE, ROOK, SIDE, WHITE, ZERO,
)
from chessmesa.core.make_unmake import king_square
from chessmesa.core.tables import (
    between, bishop_attacks, knight_attacks, pawn_attacks, rook_attacks,
)


@njit(cache=True, inline="always")
def _piece_attacks(t, piece_type, color, sq, occupied):
    if piece_type == PAWN:
        return pawn_attacks(t, color, sq)
    if piece_type == KNIGHT:
        return knight_attacks(t, sq)
    if piece_type == BISHOP:
        return bishop_attacks(t, sq, occupied)
    if piece_type == ROOK:
        return rook_attacks(t, sq, occupied)
    if piece_type == QUEEN:
        return bishop_attacks(t, sq, occupied) | rook_attacks(t, sq, occupied)
    return ZERO  # a king never gives check


@njit(cache=True, inline="always")
def _occupied_after(bb, move):
    """The occupancy after ``move`` (castling's rook move aside)."""
    from_sq, to_sq = move & 63, (move >> 6) & 63
    after = (bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]) ^ square_bb(from_sq) | square_bb(to_sq)
    if (move >> 12) & 15 == EP_CAPTURE:
        after ^= square_bb(to_sq ^ 8)
    return after


@njit(cache=True)
def gives_check(bb, st, t, move):
    """Whether the legal ``move`` checks the enemy king: the moved piece (the promoted piece on
    arrival) attacks it from its destination, or a rook, bishop or queen uncovered by the move does
    (discovered check, en passant included). Exact except that a rook's check by castling is
    missed."""
    us = st[SIDE]
    from_sq, to_sq, flag = move & 63, (move >> 6) & 63, (move >> 12) & 15
    lands = (flag & 3) + KNIGHT if flag & PROMOTION else st[BOARD + from_sq] & 7
    after = _occupied_after(bb, move)
    king_sq = king_square(bb, 1 - us)
    own = bb[COLOR_BB + us] & ~square_bb(from_sq)
    straight = (bb[ROOK - 1] | bb[QUEEN - 1]) & own
    diagonal = (bb[BISHOP - 1] | bb[QUEEN - 1]) & own
    return (
        _piece_attacks(t, lands, us, to_sq, after) & square_bb(king_sq)
        | rook_attacks(t, king_sq, after) & straight
        | bishop_attacks(t, king_sq, after) & diagonal
    ) != ZERO


@njit(cache=True, inline="always")
def check_info(bb, st, t):
    """``(enemy king square, check squares by piece type (index 0..6), discoverers)`` for the side
    to move: a piece checks by landing on its type's check squares, and a discoverer by leaving
    the line between a slider of ours and the enemy king."""
    us = st[SIDE]
    them = 1 - us
    king_sq = king_square(bb, them)
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    own = bb[COLOR_BB + us]
    enemies = bb[COLOR_BB + them]
    # our sliders that see the king when our own pieces are lifted off the board
    snipers = (rook_attacks(t, king_sq, enemies) & (bb[ROOK - 1] | bb[QUEEN - 1]) & own) | (
        bishop_attacks(t, king_sq, enemies) & (bb[BISHOP - 1] | bb[QUEEN - 1]) & own)
    discoverers = ZERO
    while snipers:
        blockers = between(t, king_sq, lsb(snipers)) & occupied
        if popcount(blockers) == 1:
            discoverers |= blockers & own
        snipers = clear_lsb(snipers)
    diagonal = bishop_attacks(t, king_sq, occupied)
    straight = rook_attacks(t, king_sq, occupied)
    by_type = (ZERO, pawn_attacks(t, them, king_sq), knight_attacks(t, king_sq), diagonal,
               straight, diagonal | straight, ZERO)
    return king_sq, by_type, discoverers


@njit(cache=True, inline="always")
def quick_gives_check(st, info, move):
    """1 if the legal ``move`` checks, 0 if not, -1 if ``info`` cannot tell (promotions, en
    passant, castling, and a discoverer's move off its line), when ``gives_check`` must answer.

    It answers most moves from ``info`` with a few instructions and no table lookups. Use it as::

        check = quick_gives_check(st, info, move)
        if check < 0:
            check = gives_check(bb, st, t, move)
    """
    flag = (move >> 12) & 15
    if flag & PROMOTION or flag == EP_CAPTURE or flag == KING_CASTLE or flag == QUEEN_CASTLE:
        return -1
    by_type, discoverers = info[1], info[2]
    from_sq, to_sq = move & 63, (move >> 6) & 63
    if by_type[st[BOARD + from_sq] & 7] & square_bb(to_sq):
        return 1
    return -1 if discoverers & square_bb(from_sq) else 0
