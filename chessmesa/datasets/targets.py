"""The teacher contract: how dataset rows become the distributions students learn and are scored on.

One place decides, for every reader (training samples, training's validation, the analyses and the
demo), what a row means:

- the **visit shares** ``visits / sum(visits)``, or a one-hot on the best move when the solver
  proved the root before any visit was counted (:mod:`chessmesa.search.shares`, the rule a
  search's own result follows);
- the **best move's index**: the index of ``best_move`` (the move the searcher plays, which the
  solver may choose over the most visited) among ``moves``;
- **sharpened visits** ``visits ** (1 / T)``, normalised (``sharpen:T``; T < 1 sharpens);
- Gumbel's **improved policy** where the dataset has one;
- the per-move **Q** and the root value.

Arrays are padded to the widest row (``[rows, width]``, zeros past ``counts[i]``), as numpy needs.

>>> import pyarrow as pa
>>> table = pa.table({"moves": [[1804, 1739], [1292]], "visits": [[3, 1], [0]], "best_move": ["e2e4", "e2e3"],
...                   "q": [[0.1, -0.2], [1.0]], "root_value": [0.05, 1.0]})
>>> targets = row_targets(table)
>>> targets.shares.tolist(), targets.best.tolist()
([[0.75, 0.25], [1.0, 0.0]], [0, 0])
>>> [round(float(p), 2) for p in policy_distribution("sharpen:0.5", targets.shares, targets.best)[0]]
[0.9, 0.1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chessmesa.core.layout import KNIGHT, PROMOTION
from chessmesa.search.shares import visit_shares

#: The policy targets a student can learn (``sharpen:T`` with a temperature T > 0).
TARGET_KINDS = ("visits", "best", "sharpen:T", "improved")


def parse_target(text: str) -> str:
    """``text`` if it names a policy target (:data:`TARGET_KINDS`); ValueError naming it if not.

    >>> parse_target("sharpen:0.3")
    'sharpen:0.3'
    >>> parse_target("sharpen:0")
    Traceback (most recent call last):
    ...
    ValueError: unknown target 'sharpen:0'; known: visits, best, sharpen:T, improved (T > 0)
    """
    kind, _, temperature = text.partition(":")
    if kind in ("visits", "best", "improved") and not temperature:
        return text
    if kind == "sharpen":
        try:
            if float(temperature) > 0:
                return text
        except ValueError:
            pass
    raise ValueError(f"unknown target {text!r}; known: {', '.join(TARGET_KINDS)} (T > 0)")


@dataclass
class RowTargets:
    """What a table's rows say about their positions, padded: row ``i``'s moves are
    ``moves[i, :counts[i]]`` and every other field is aligned with them."""

    moves: np.ndarray  # int64 move codes
    counts: np.ndarray
    visits: np.ndarray  # float32 visit counts
    shares: np.ndarray  # float32 visit shares (one-hot on ``best`` for a root without visits)
    best: np.ndarray  # index of the best move
    q: np.ndarray | None
    improved: np.ndarray | None
    root_value: np.ndarray


def padded(column: pa.ChunkedArray | pa.Array, counts: np.ndarray, dtype) -> np.ndarray:
    """A list column as a zero-padded ``[rows, max(counts)]`` array (at least one column)."""
    flat = pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(dtype)
    starts = np.cumsum(counts) - counts
    rows = np.repeat(np.arange(len(counts)), counts)
    out = np.zeros((len(counts), max(int(counts.max(initial=0)), 1)), dtype=dtype)
    out[rows, np.arange(len(flat)) - np.repeat(starts, counts)] = flat
    return out


def uci_keys(ucis: list[str]) -> np.ndarray:
    """``from | to << 6 | promotion piece << 12`` of UCI moves, the key :func:`move_keys` gives.

    >>> uci_keys(["e2e4", "a7a8q"]).tolist() == move_keys(np.array([12 | 28 << 6, 48 | 56 << 6 | 11 << 12])).tolist()
    True
    """
    pieces = {"": 0, "n": 2, "b": 3, "r": 4, "q": 5}
    keys = np.empty(len(ucis), dtype=np.int64)
    for i, uci in enumerate(ucis):
        from_square = (ord(uci[0]) - 97) + 8 * (ord(uci[1]) - 49)
        to_square = (ord(uci[2]) - 97) + 8 * (ord(uci[3]) - 49)
        keys[i] = from_square | to_square << 6 | pieces[uci[4:]] << 12
    return keys


def move_keys(moves: np.ndarray) -> np.ndarray:
    """Move codes reduced to what UCI tells apart: squares and promotion piece (no other flags)."""
    flags = moves >> 12
    promotion = np.where(flags & PROMOTION, (flags & 3) + KNIGHT, 0)
    return (moves & 4095) | promotion << 12


def row_targets(table: pa.Table) -> RowTargets:
    """The targets of every row of ``table`` (columns ``moves``, ``visits``, ``best_move``,
    ``root_value``; ``q`` and ``improved_policy`` where present).

    ValueError when a row's best move is not among its moves (a corrupt dataset).
    """
    counts = pc.list_value_length(table.column("moves")).to_numpy(zero_copy_only=False).astype(np.int64)
    moves = padded(table.column("moves"), counts, np.int64)
    visits = padded(table.column("visits"), counts, np.float32)
    matches = move_keys(moves) == uci_keys(table.column("best_move").to_pylist())[:, None]
    matches[np.arange(moves.shape[1])[None, :] >= counts[:, None]] = False
    found = matches.any(axis=1)
    if not found.all():
        bad = int(np.argmin(found))
        raise ValueError(f"best move {table.column('best_move')[bad]} of row {bad} is not among its moves")
    best = matches.argmax(axis=1)
    names = table.column_names
    q = padded(table.column("q"), counts, np.float32) if "q" in names else None
    improved = None
    if "improved_policy" in names and table.column("improved_policy").null_count == 0:
        improved = padded(table.column("improved_policy"), counts, np.float32)
    return RowTargets(moves=moves, counts=counts, visits=visits, shares=visit_shares(visits, best),
                      best=best, q=q, improved=improved,
                      root_value=table.column("root_value").to_numpy(zero_copy_only=False).astype(np.float32))


def policy_distribution(target: str, shares: np.ndarray, best: np.ndarray,
                        improved: np.ndarray | None = None) -> np.ndarray:
    """The distribution a student learns, ``float32[rows, width]``, for a target of
    :data:`TARGET_KINDS`, from the fields of :class:`RowTargets`: ``visits`` (the shares),
    ``best`` (one-hot on the best move), ``sharpen:T`` (visits ** (1 / T), normalised; the
    one-hot where there are no visits) or ``improved`` (Gumbel's improved policy)."""
    kind, _, temperature = parse_target(target).partition(":")
    if kind == "visits":
        return shares
    if kind == "best":
        one_hot = np.zeros_like(shares)
        one_hot[np.arange(len(one_hot)), best] = 1.0
        return one_hot
    if kind == "sharpen":
        # shares, not counts, to the power: the same distribution without overflow at small T
        return visit_shares(shares.astype(np.float64) ** (1.0 / float(temperature)), best)
    if improved is None:
        raise ValueError("the dataset has no improved policy (it was generated without Gumbel)")
    return improved
