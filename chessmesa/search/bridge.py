"""The batch bridge's contract: the leaves MCTS hands a Python evaluator, and what comes back.

The simulation loop (``gather_leaves`` and ``finish_leaves`` in :mod:`chessmesa.search.mcts`) and
the evaluators (``StaticBatchEvaluator``, the networks of :mod:`chessmesa.nn`) meet here, so that an
evaluator depends on this layout rather than on the loop. A batch of ``count`` leaves is five
arrays, row ``i`` describing leaf ``i``:

===============  ============================  ==============================================
array            type                          what row ``i`` holds
===============  ============================  ==============================================
``leaf_bb``      ``uint64[count, LEAF_BB]``    ``bb[:LEAF_BB]``: the bitboards and the hash
``leaf_st``      ``int64[count, LEAF_ST]``     ``st[:LEAF_ST]``: side, castling, en passant,
                                               clocks and mailbox, without the undo stack
``repetitions``  ``int64[count]``              occurrences of the position in its game (1:
                                               the first)
``moves``        ``int64[count, MAX_MOVES]``   the legal move codes, ``counts[i]`` of them
``counts``       ``int64[count]``              the number of legal moves
===============  ============================  ==============================================

>>> from chessmesa.core import Position
>>> position = Position()
>>> position.bb[:LEAF_BB].shape, position.st[:LEAF_ST].shape
((9,), (70,))
"""

from typing import Protocol

import numpy as np

from chessmesa.core.layout import HASH, UNDO

LEAF_BB = HASH + 1  # bitboards and hash: what an encoder needs of a leaf's bb
LEAF_ST = UNDO  # scalars and mailbox, without the undo stack


class BatchEvaluator(Protocol):
    """Evaluates a batch of leaves (the arrays of the module doc) for the batch bridge.

    Returns ``(values, priors)``: ``values[i]`` in [-1, 1] for leaf ``i``'s side to move, and
    ``priors[i, :counts[i]]`` over its legal moves, in the order of ``moves[i]``.
    """

    def __call__(self, leaf_bb: np.ndarray, leaf_st: np.ndarray, repetitions: np.ndarray,
                 moves: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
