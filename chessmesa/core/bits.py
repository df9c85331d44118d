"""uint64 bit operations for numba, compiled to single CPU instructions.

numba has no popcount or trailing-zero count for integers, and a software loop would dominate move
generation, so these are LLVM intrinsics (``ctpop``, ``cttz``). They are inlined into every caller,
which keeps them compatible with ``cache=True``.

>>> import numpy as np
>>> popcount(np.uint64(0b1011)), lsb(np.uint64(0b1000))
(3, 3)
"""

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from chessmesa.core.layout import ONE


@intrinsic
def _ctpop(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@intrinsic
def _cttz(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], context.get_constant(types.boolean, True))

    return types.uint64(types.uint64), codegen


@njit(cache=True, inline="always")
def popcount(x):
    """Number of set bits of a uint64, as int64."""
    return np.int64(_ctpop(np.uint64(x)))


@njit(cache=True, inline="always")
def lsb(x):
    """Index of the lowest set bit of a non-zero uint64, as int64 (undefined for 0)."""
    return np.int64(_cttz(np.uint64(x)))


@njit(cache=True, inline="always")
def square_bb(square):
    """The bitboard with only ``square`` set."""
    return ONE << np.uint64(square)


@njit(cache=True, inline="always")
def clear_lsb(x):
    """``x`` with its lowest set bit cleared; stays uint64 (``x - 1`` would turn int64 in numba)."""
    return x & (x - ONE)
