"""Attack tables: leapers, magic bitboards for sliders, lines between squares, Zobrist keys.

Built once per process (a few milliseconds, compiled code cached on disk) and handed to every numba
function as one flat ``uint64`` array ``t``, read through the accessors below (``knight_attacks(t,
sq)``, ``between(t, a, b)``, ...). One array rather than a tuple of arrays, because numba keeps a
reference count per array argument, and in a branchy function it cannot always prove the counting
away: with fifteen arrays that cost more than a move generation. (numba also refuses to cache
functions that read a global array over 1 MB, and the rook table alone is 800 kB.)

The magic multipliers are found by a seeded search rather than pasted in, which leaves no unexplained
constants in the code; the multipliers found are kept in the user's cache folder, and each one is
checked again (the table is rebuilt from it) before it is used.

>>> t = get_tables()
>>> import numpy as np
>>> bin(int(rook_attacks(t, 0, np.uint64(0)))).count("1")  # a rook on a1 on an empty board
14
"""

import os
from collections import namedtuple
from functools import lru_cache
from pathlib import Path

import chess.polyglot
import numpy as np
from numba import njit

from chessmesa.core.bits import clear_lsb, lsb, popcount
from chessmesa.core.layout import ONE, ZERO

# Unused, but importable: numba caches (__pycache__/*.nbi) written before the tables became one array
# name this type, and numba unpickles a cache index before it checks that the source is newer. With
# the name gone an upgraded checkout would fail on its stale cache instead of recompiling.
Tables = namedtuple("Tables", [])

# where each table starts in the flat array, in order
KNIGHT_AT = 0  # [sq]: squares a knight on sq attacks
KING_AT = KNIGHT_AT + 64
PAWN_AT = KING_AT + 64  # [64 * colour + sq]: squares a pawn of that colour on sq attacks
BETWEEN_AT = PAWN_AT + 2 * 64  # [64 * a + b]: squares strictly between aligned a and b, else 0
LINE_AT = BETWEEN_AT + 64 * 64  # [64 * a + b]: the whole line through aligned a and b, else 0
CASTLE_KEEP_AT = LINE_AT + 64 * 64  # [sq]: castling rights surviving a move from or to sq
ZOBRIST_AT = CASTLE_KEEP_AT + 64  # the 781 Polyglot keys
ROOK_MASK_AT = ZOBRIST_AT + 781  # then per square: mask, magic, shift, offset into the table
ROOK_MAGIC_AT = ROOK_MASK_AT + 64
ROOK_SHIFT_AT = ROOK_MAGIC_AT + 64
ROOK_OFFSET_AT = ROOK_SHIFT_AT + 64
BISHOP_MASK_AT = ROOK_OFFSET_AT + 64
BISHOP_MAGIC_AT = BISHOP_MASK_AT + 64
BISHOP_SHIFT_AT = BISHOP_MAGIC_AT + 64
BISHOP_OFFSET_AT = BISHOP_SHIFT_AT + 64
ROOK_TABLE_AT = BISHOP_OFFSET_AT + 64  # 102,400 entries: the sum over squares of 2 ** mask bits
BISHOP_TABLE_AT = ROOK_TABLE_AT + 102_400
TABLES_SIZE = BISHOP_TABLE_AT + 5_248

ROOK_DIRECTIONS = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]], dtype=np.int64)
BISHOP_DIRECTIONS = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=np.int64)
KNIGHT_STEPS = np.array(
    [[1, 2], [2, 1], [2, -1], [1, -2], [-1, -2], [-2, -1], [-2, 1], [-1, 2]], dtype=np.int64
)
KING_STEPS = np.array(
    [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]], dtype=np.int64
)


@njit(cache=True)
def _leaper_attacks(steps):
    attacks = np.zeros(64, dtype=np.uint64)
    for sq in range(64):
        file, rank = sq % 8, sq // 8
        for i in range(steps.shape[0]):
            f, r = file + steps[i, 0], rank + steps[i, 1]
            if 0 <= f < 8 and 0 <= r < 8:
                attacks[sq] |= ONE << np.uint64(r * 8 + f)
    return attacks


@njit(cache=True)
def _slider_attacks_slow(sq, occupied, directions):
    """Ray-walking attacks, used only to fill the magic tables."""
    attacks = ZERO
    for i in range(directions.shape[0]):
        f, r = sq % 8 + directions[i, 0], sq // 8 + directions[i, 1]
        while 0 <= f < 8 and 0 <= r < 8:
            bit = ONE << np.uint64(r * 8 + f)
            attacks |= bit
            if occupied & bit:
                break
            f += directions[i, 0]
            r += directions[i, 1]
    return attacks


@njit(cache=True)
def _relevant_mask(sq, directions):
    """Squares whose occupancy matters to a slider on ``sq``: its rays without the board edge."""
    mask = ZERO
    for i in range(directions.shape[0]):
        f, r = sq % 8 + directions[i, 0], sq // 8 + directions[i, 1]
        while 0 <= f + directions[i, 0] < 8 and 0 <= r + directions[i, 1] < 8:
            mask |= ONE << np.uint64(r * 8 + f)
            f += directions[i, 0]
            r += directions[i, 1]
    return mask


@njit(cache=True)
def _xorshift(state):
    state[0] ^= state[0] >> np.uint64(12)
    state[0] ^= state[0] << np.uint64(25)
    state[0] ^= state[0] >> np.uint64(27)
    return state[0] * np.uint64(2685821657736338717)


@njit(cache=True)
def _slider_layout(directions):
    """Per square: the relevant mask, the shift, and the offset of its slice of the shared table."""
    masks = np.zeros(64, dtype=np.uint64)
    shifts = np.zeros(64, dtype=np.uint64)
    offsets = np.zeros(65, dtype=np.int64)
    for sq in range(64):
        masks[sq] = _relevant_mask(sq, directions)
        shifts[sq] = np.uint64(64 - popcount(masks[sq]))
        offsets[sq + 1] = offsets[sq] + (1 << popcount(masks[sq]))
    return masks, shifts, offsets


@njit(cache=True)
def _fill_square(sq, magic, directions, masks, shifts, offsets, table, filled):
    """Write the attacks of every occupancy of ``sq`` at its magic index; False on a collision."""
    filled[offsets[sq]:offsets[sq + 1]] = False
    subset = ZERO  # enumerates every subset of the mask (Carry-Rippler)
    while True:
        slot = offsets[sq] + np.int64((subset * magic) >> shifts[sq])
        attacks = _slider_attacks_slow(sq, subset, directions)
        if not filled[slot]:
            filled[slot] = True
            table[slot] = attacks
        elif table[slot] != attacks:
            return False
        subset = (subset - masks[sq]) & masks[sq]
        if subset == ZERO:
            return True


@njit(cache=True)
def _slider_tables(directions, magics, seed):
    """Fancy magic bitboards. Squares whose magic is 0 (or fails) get a new one by a seeded search."""
    masks, shifts, offsets = _slider_layout(directions)
    table = np.zeros(offsets[64], dtype=np.uint64)
    filled = np.zeros(offsets[64], dtype=np.bool_)
    state = np.array([np.uint64(seed)], dtype=np.uint64)
    magics = magics.copy()
    for sq in range(64):
        while magics[sq] == ZERO or not _fill_square(
            sq, magics[sq], directions, masks, shifts, offsets, table, filled
        ):
            magic = _xorshift(state) & _xorshift(state) & _xorshift(state)
            # a good multiplier spreads the mask over the top byte of the product
            magics[sq] = magic if popcount((masks[sq] * magic) >> np.uint64(56)) >= 6 else ZERO
    return masks, magics, shifts, offsets[:64].copy(), table


@njit(cache=True)
def _lines(directions_rook, directions_bishop):
    between = np.zeros((64, 64), dtype=np.uint64)
    line = np.zeros((64, 64), dtype=np.uint64)
    for a in range(64):
        for d in range(8):
            step = directions_rook[d] if d < 4 else directions_bishop[d - 4]
            ray = ZERO
            f, r = a % 8 + step[0], a // 8 + step[1]
            while 0 <= f < 8 and 0 <= r < 8:
                b = r * 8 + f
                between[a, b] = ray
                ray |= ONE << np.uint64(b)
                f += step[0]
                r += step[1]
            # the full line through a in this direction and its opposite
            full = ray | (ONE << np.uint64(a))
            f, r = a % 8 - step[0], a // 8 - step[1]
            while 0 <= f < 8 and 0 <= r < 8:
                full |= ONE << np.uint64(r * 8 + f)
                f -= step[0]
                r -= step[1]
            b_bits = ray
            while b_bits:
                line[a, lsb(b_bits)] = full
                b_bits = clear_lsb(b_bits)
    return between, line


def _castle_keep():
    from chessmesa.core.layout import BK, BQ, WK, WQ

    keep = np.full(64, WK | WQ | BK | BQ, dtype=np.int64)
    keep[chess.E1] &= ~(WK | WQ)
    keep[chess.H1] &= ~WK
    keep[chess.A1] &= ~WQ
    keep[chess.E8] &= ~(BK | BQ)
    keep[chess.H8] &= ~BK
    keep[chess.A8] &= ~BQ
    return keep


MAGIC_SEED = 0x9E3779B97F4A7C15
_MAGIC_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chessmesa" / "magics.npy"


def _load_magics() -> np.ndarray:
    """Magics found by an earlier process (the search costs ~0.3 s); zeros, so searched, if none."""
    try:
        magics = np.load(_MAGIC_CACHE)
        if magics.shape == (2, 64) and magics.dtype == np.uint64:
            return magics
    except (OSError, ValueError):
        pass
    return np.zeros((2, 64), dtype=np.uint64)


def _save_magics(magics: np.ndarray) -> None:
    try:
        _MAGIC_CACHE.parent.mkdir(parents=True, exist_ok=True)
        temporary = _MAGIC_CACHE.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(temporary, magics)
        os.replace(temporary, _MAGIC_CACHE)
    except OSError:
        pass  # a read-only home only costs the search again next time


@lru_cache(maxsize=None)
def get_tables() -> np.ndarray:
    """The process-wide attack tables as one flat ``uint64`` array (built on first use)."""
    pawn = np.zeros((2, 64), dtype=np.uint64)
    pawn[0] = _leaper_attacks(np.array([[1, 1], [-1, 1]], dtype=np.int64))
    pawn[1] = _leaper_attacks(np.array([[1, -1], [-1, -1]], dtype=np.int64))
    cached = _load_magics()
    rook = _slider_tables(ROOK_DIRECTIONS, cached[0], MAGIC_SEED)
    bishop = _slider_tables(BISHOP_DIRECTIONS, cached[1], MAGIC_SEED + 1)
    if not np.array_equal(cached, [rook[1], bishop[1]]):
        _save_magics(np.array([rook[1], bishop[1]]))
    between_squares, line_squares = _lines(ROOK_DIRECTIONS, BISHOP_DIRECTIONS)
    placed = [
        (KNIGHT_AT, _leaper_attacks(KNIGHT_STEPS)), (KING_AT, _leaper_attacks(KING_STEPS)),
        (PAWN_AT, pawn), (BETWEEN_AT, between_squares), (LINE_AT, line_squares),
        (CASTLE_KEEP_AT, _castle_keep()),
        (ZOBRIST_AT, np.array(chess.polyglot.POLYGLOT_RANDOM_ARRAY, dtype=np.uint64)),
        (ROOK_MASK_AT, rook[0]), (ROOK_MAGIC_AT, rook[1]), (ROOK_SHIFT_AT, rook[2]),
        (ROOK_OFFSET_AT, rook[3]), (BISHOP_MASK_AT, bishop[0]), (BISHOP_MAGIC_AT, bishop[1]),
        (BISHOP_SHIFT_AT, bishop[2]), (BISHOP_OFFSET_AT, bishop[3]),
        (ROOK_TABLE_AT, rook[4]), (BISHOP_TABLE_AT, bishop[4]),
    ]
    t = np.zeros(TABLES_SIZE, dtype=np.uint64)
    for (start, section), (end, _) in zip(placed, placed[1:] + [(TABLES_SIZE, None)]):
        assert start + section.size == end, f"the table at {start} has {section.size} entries"
        t[start:end] = section.astype(np.uint64).ravel()
    t.flags.writeable = False
    return t


@njit(cache=True, inline="always")
def knight_attacks(t, sq):
    return t[KNIGHT_AT + sq]


@njit(cache=True, inline="always")
def king_attacks(t, sq):
    return t[KING_AT + sq]


@njit(cache=True, inline="always")
def pawn_attacks(t, color, sq):
    """The squares a pawn of ``color`` on ``sq`` attacks."""
    return t[PAWN_AT + 64 * color + sq]


@njit(cache=True, inline="always")
def between(t, a, b):
    """The squares strictly between ``a`` and ``b`` if they share a line, else empty."""
    return t[BETWEEN_AT + 64 * a + b]


@njit(cache=True, inline="always")
def line(t, a, b):
    """The whole line (edge to edge) through ``a`` and ``b`` if they share one, else empty."""
    return t[LINE_AT + 64 * a + b]


@njit(cache=True, inline="always")
def castle_keep(t, sq):
    """The castling rights (int64 bits) that survive a move from or to ``sq``."""
    return np.int64(t[CASTLE_KEEP_AT + sq])


@njit(cache=True, inline="always")
def zobrist(t, index):
    """Polyglot key number ``index`` (of 781)."""
    return t[ZOBRIST_AT + index]


@njit(cache=True, inline="always")
def rook_attacks(t, sq, occupied):
    index = ((occupied & t[ROOK_MASK_AT + sq]) * t[ROOK_MAGIC_AT + sq]) >> t[ROOK_SHIFT_AT + sq]
    return t[ROOK_TABLE_AT + np.int64(t[ROOK_OFFSET_AT + sq]) + np.int64(index)]


@njit(cache=True, inline="always")
def bishop_attacks(t, sq, occupied):
    index = ((occupied & t[BISHOP_MASK_AT + sq]) * t[BISHOP_MAGIC_AT + sq]) >> t[
        BISHOP_SHIFT_AT + sq]
    return t[BISHOP_TABLE_AT + np.int64(t[BISHOP_OFFSET_AT + sq]) + np.int64(index)]
