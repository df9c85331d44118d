"""Make and unmake moves on the ``(bb, st)`` arrays, keeping the Polyglot hash incremental.

``make_move`` pushes an undo entry and the previous hash; ``unmake_move`` pops it and restores every
field exactly. Both assume a legal move (from ``chessmesa.core.movegen``).

Polyglot key layout (``zobrist(t, index)``): ``64 * kind + square`` for pieces, where ``kind`` is
``2 * (piece_type - 1)`` for black and one more for white; then 4 castling keys (white king side,
white queen side, black king side, black queen side), 8 en passant keys by file, and the key
xored in when White is to move.
"""

from numba import njit

from chessmesa.core.bits import clear_lsb, lsb, square_bb
from chessmesa.core.layout import (
    BISHOP, BLACK, BOARD, CAPTURE, CASTLING, COLOR_BB, DOUBLE_PUSH, EP, EP_CAPTURE, FULLMOVE, HALFMOVE,
    HASH, HIST, KING, KING_CASTLE, KNIGHT, NO_SQUARE, PAWN, PLY, PROMOTION, QUEEN, QUEEN_CASTLE, ROOK, SIDE,
    U_CAPTURED, U_CASTLING, U_EP, U_HALFMOVE, U_MOVE, UNDO, UNDO_SIZE, WHITE, ZERO,
)
from chessmesa.core.tables import (
    bishop_attacks, castle_keep, king_attacks, knight_attacks, pawn_attacks, rook_attacks, zobrist,
)

ZOBRIST_CASTLING = 768
ZOBRIST_EP = 772
ZOBRIST_TURN = 780


@njit(cache=True, inline="always")
def piece_key(t, piece, sq):
    color, ptype = piece >> 3, piece & 7
    return zobrist(t, 64 * (2 * (ptype - 1) + (1 - color)) + sq)


@njit(cache=True, inline="always")
def castling_key(t, rights):
    key = ZERO
    for i in range(4):
        if rights & (1 << i):
            key ^= zobrist(t, ZOBRIST_CASTLING + i)
    return key


@njit(cache=True, inline="always")
def put_piece(bb, st, piece, sq):
    """Place ``piece`` (``color * 8 + type``) on an empty square; the hash is the caller's."""
    bit = square_bb(sq)
    bb[(piece & 7) - 1] |= bit
    bb[COLOR_BB + (piece >> 3)] |= bit
    st[BOARD + sq] = piece


@njit(cache=True, inline="always")
def remove_piece(bb, st, sq):
    """Take the piece off ``sq`` and return its code; the hash is the caller's."""
    piece = st[BOARD + sq]
    bit = square_bb(sq)
    bb[(piece & 7) - 1] ^= bit
    bb[COLOR_BB + (piece >> 3)] ^= bit
    st[BOARD + sq] = 0
    return piece


@njit(cache=True, inline="always")
def king_square(bb, color):
    return lsb(bb[KING - 1] & bb[COLOR_BB + color])


@njit(cache=True)
def attackers_to(bb, t, sq, occupied):
    """Pieces of both colours attacking ``sq`` given the occupancy ``occupied``."""
    return (
        (pawn_attacks(t, BLACK, sq) & bb[PAWN - 1] & bb[COLOR_BB + WHITE])
        | (pawn_attacks(t, WHITE, sq) & bb[PAWN - 1] & bb[COLOR_BB + BLACK])
        | (knight_attacks(t, sq) & bb[KNIGHT - 1])
        | (king_attacks(t, sq) & bb[KING - 1])
        | (bishop_attacks(t, sq, occupied) & (bb[BISHOP - 1] | bb[QUEEN - 1]))
        | (rook_attacks(t, sq, occupied) & (bb[ROOK - 1] | bb[QUEEN - 1]))
    )


@njit(cache=True)
def en_passant_capturers(bb, t, us, ep_sq):
    """The pawns of ``us`` that can legally capture en passant on ``ep_sq``.

    Each capture is tested on the occupancy it leaves: that covers pins, the horizontal pin
    through both pawns, and a check that the capture does not answer.
    """
    them = 1 - us
    captured = square_bb(ep_sq ^ 8)  # the pawn that made the double push
    occupied = bb[COLOR_BB + WHITE] | bb[COLOR_BB + BLACK]
    king_sq = king_square(bb, us)
    enemies = bb[COLOR_BB + them] & ~captured
    candidates = pawn_attacks(t, them, ep_sq) & bb[PAWN - 1] & bb[COLOR_BB + us]
    legal = ZERO
    while candidates:
        from_sq = lsb(candidates)
        candidates = clear_lsb(candidates)
        after = occupied ^ square_bb(from_sq) ^ captured | square_bb(ep_sq)
        if not attackers_to(bb, t, king_sq, after) & enemies:
            legal |= square_bb(from_sq)
    return legal


@njit(cache=True, inline="always")
def _castling_rook_squares(to_sq, flag):
    """(rook from, rook to) for a castling king move landing on ``to_sq``."""
    if flag == KING_CASTLE:
        return to_sq + 1, to_sq - 1
    return to_sq - 2, to_sq + 1


@njit(cache=True)
def make_move(bb, st, t, move):
    """Play a legal ``move``, pushing what ``unmake_move`` needs onto the undo stack."""
    us = st[SIDE]
    them = 1 - us
    from_sq, to_sq, flag = move & 63, (move >> 6) & 63, (move >> 12) & 15
    ply = st[PLY]
    entry = UNDO + UNDO_SIZE * ply
    st[entry + U_MOVE] = move
    st[entry + U_CASTLING] = st[CASTLING]
    st[entry + U_EP] = st[EP]
    st[entry + U_HALFMOVE] = st[HALFMOVE]
    h = bb[HASH]
    bb[HIST + ply] = h

    if st[EP] != NO_SQUARE:
        h ^= zobrist(t, ZOBRIST_EP + (st[EP] & 7))
    captured = 0
    if flag == EP_CAPTURE:
        captured_sq = to_sq ^ 8
        captured = remove_piece(bb, st, captured_sq)
        h ^= piece_key(t, captured, captured_sq)
    elif flag & CAPTURE:
        captured = remove_piece(bb, st, to_sq)
        h ^= piece_key(t, captured, to_sq)
    st[entry + U_CAPTURED] = captured

    piece = remove_piece(bb, st, from_sq)
    h ^= piece_key(t, piece, from_sq)
    resets_clock = (piece & 7) == PAWN or captured != 0
    if flag & PROMOTION:
        piece = us * 8 + (flag & 3) + KNIGHT
    put_piece(bb, st, piece, to_sq)
    h ^= piece_key(t, piece, to_sq)
    if flag == KING_CASTLE or flag == QUEEN_CASTLE:
        rook_from, rook_to = _castling_rook_squares(to_sq, flag)
        rook = remove_piece(bb, st, rook_from)
        put_piece(bb, st, rook, rook_to)
        h ^= piece_key(t, rook, rook_from) ^ piece_key(t, rook, rook_to)

    rights = st[CASTLING] & castle_keep(t, from_sq) & castle_keep(t, to_sq)
    h ^= castling_key(t, st[CASTLING] ^ rights)
    st[CASTLING] = rights

    st[EP] = NO_SQUARE
    if flag == DOUBLE_PUSH:
        ep_sq = (from_sq + to_sq) >> 1
        # the square counts only when the capture is legal, as in FEN and in the rules of
        # repetition: a position's hash is then its FEN's (the cheap pawn test goes first)
        if pawn_attacks(t, us, ep_sq) & bb[PAWN - 1] & bb[COLOR_BB + them] and \
                en_passant_capturers(bb, t, them, ep_sq):
            st[EP] = ep_sq
            h ^= zobrist(t, ZOBRIST_EP + (ep_sq & 7))

    st[HALFMOVE] = 0 if resets_clock else st[HALFMOVE] + 1
    if us == BLACK:
        st[FULLMOVE] += 1
    st[SIDE] = them
    bb[HASH] = h ^ zobrist(t, ZOBRIST_TURN)
    st[PLY] = ply + 1


@njit(cache=True)
def unmake_move(bb, st, t):
    """Take back the last move made with ``make_move``, restoring every field exactly."""
    ply = st[PLY] - 1
    entry = UNDO + UNDO_SIZE * ply
    move = st[entry + U_MOVE]
    from_sq, to_sq, flag = move & 63, (move >> 6) & 63, (move >> 12) & 15
    them = st[SIDE]
    us = 1 - them

    piece = remove_piece(bb, st, to_sq)
    if flag & PROMOTION:
        piece = us * 8 + PAWN
    put_piece(bb, st, piece, from_sq)
    if flag == KING_CASTLE or flag == QUEEN_CASTLE:
        rook_from, rook_to = _castling_rook_squares(to_sq, flag)
        put_piece(bb, st, remove_piece(bb, st, rook_to), rook_from)
    captured = st[entry + U_CAPTURED]
    if captured:
        put_piece(bb, st, captured, to_sq ^ 8 if flag == EP_CAPTURE else to_sq)

    st[CASTLING] = st[entry + U_CASTLING]
    st[EP] = st[entry + U_EP]
    st[HALFMOVE] = st[entry + U_HALFMOVE]
    if us == BLACK:
        st[FULLMOVE] -= 1
    st[SIDE] = us
    bb[HASH] = bb[HIST + ply]
    st[PLY] = ply


@njit(cache=True)
def compute_hash(bb, st, t):
    """The Polyglot hash computed from scratch (what ``make_move`` keeps up to date)."""
    h = castling_key(t, st[CASTLING])
    for sq in range(64):
        if st[BOARD + sq]:
            h ^= piece_key(t, st[BOARD + sq], sq)
    if st[EP] != NO_SQUARE:
        h ^= zobrist(t, ZOBRIST_EP + (st[EP] & 7))
    if st[SIDE] == WHITE:
        h ^= zobrist(t, ZOBRIST_TURN)
    return h
