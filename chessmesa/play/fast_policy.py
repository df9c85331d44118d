"""The ``policy`` player's move on the fast path, in one compiled call (no torch, no Python
between the position and the move).

>>> import torch
>>> from chessmesa.core import Position, move_to_uci
>>> from chessmesa.nn.fast import fold_weights
>>> from chessmesa.nn.models import MODEL_SIZES, build_model
>>> state = {k: v.numpy() for k, v in build_model(MODEL_SIZES["tiny"]).state_dict().items()}
>>> position = Position("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1")
>>> code, value = fast_policy_move(position.bb, position.st, position.tables,
...                                fold_weights(state, MODEL_SIZES["tiny"]), False, True, np.empty(0, np.int64))
>>> move_to_uci(code)  # an untrained network, but the root rules play the mate
'a1a8'
"""

import numpy as np
from numba import njit

from chessmesa.core.movegen import legal_moves
from chessmesa.nn.fast import evaluate
from chessmesa.play.root_rules import guarded_move


@njit(cache=True, nogil=True)
def fast_policy_move(bb, st, t, weights, select_q, rules, allowed):
    """``(move code, value)``: the legal moves, the network (:func:`chessmesa.nn.fast.evaluate`
    with :func:`~chessmesa.nn.fast.fold_weights`'s ``weights``), the ranking by the policy or,
    with ``select_q``, by the Q head (best first, ties in move order), only the ``allowed`` moves
    (UCI's ``searchmoves``; empty allows all) and, with ``rules``, the root rules'
    choice (:func:`chessmesa.play.root_rules.guarded_move`). The position must have a legal move."""
    legal = legal_moves(bb, st, t)
    logits, value, action_values = evaluate(bb, st, t, legal, len(legal), weights, select_q)
    scores = action_values if select_q else logits
    ranked = legal[np.argsort(-scores, kind="mergesort")]
    if len(allowed):
        keep = np.zeros(len(ranked), np.bool_)
        for i in range(len(ranked)):
            keep[i] = ranked[i] in allowed
        ranked = ranked[keep]
    if rules:
        return guarded_move(bb, st, t, ranked, value), value
    return ranked[0], value
