"""A search's root policy from its visits: the one rule that the searcher's results, the dataset's
teacher contract (:mod:`chessmesa.datasets.targets`) and every student read.

>>> visit_shares(np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), np.array([0, 1])).tolist()
[[0.75, 0.25, 0.0], [0.0, 1.0, 0.0]]
>>> root_policy(np.array([3, 1, 0]), None, 0).tolist()
[0.75, 0.25, 0.0]
"""

from __future__ import annotations

import numpy as np


def visit_shares(visits: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Visit shares per row of ``visits`` (``[rows, moves]``); a one-hot on ``best`` for a row
    without visits (a root the solver decided before any simulation, such as a mate in one)."""
    visits = np.asarray(visits, dtype=np.float64)
    totals = visits.sum(axis=1, keepdims=True)
    one_hot = np.arange(visits.shape[1])[None, :] == np.asarray(best)[:, None]
    return np.where(totals > 0, visits / np.where(totals > 0, totals, 1), one_hot).astype(np.float32)


def root_policy(visits: np.ndarray, improved_policy: np.ndarray | None, best: int) -> np.ndarray:
    """One search's policy over its root moves: the improved policy under Gumbel, else the visit
    shares (:func:`visit_shares`; ``best`` is the index of the move it plays)."""
    if improved_policy is not None:
        return np.asarray(improved_policy, dtype=float)
    return visit_shares(np.asarray(visits, dtype=np.float64)[None, :], np.array([best]))[0].astype(float)
