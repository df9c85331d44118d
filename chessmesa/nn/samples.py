"""Training examples: dataset rows of one teacher budget as arrays, and the validation split.

A :class:`Samples` holds, per position, what the encoder needs (the leaf arrays of the batch
bridge), the legal moves' policy indices (padded rows) and the teacher's labels aligned with them.
Rows come from a dataset table (:mod:`chessmesa.datasets`, one row per position and budget).

The validation split is decided by the position itself, its Zobrist hash: a position is in the
validation split at every budget or at none, and so is a duplicate under another ``position_id``;
the split does not depend on the training seed, so every run of a sweep is judged on the same
positions.

>>> validation_mask(np.array([1, 2, 3], dtype=np.uint64), 0.0).tolist()
[False, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chessmesa.core.board import Position
from chessmesa.core.layout import HASH, KNIGHT, PROMOTION, SIDE
from chessmesa.nn.moves import move_indices
from chessmesa.nn.planes import position_arrays

TARGETS = ("visits", "improved", "best")
COLUMNS = ["position_id", "fen", "budget", "moves", "visits", "best_move", "root_value", "result",
           "improved_policy"]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads any 64-bit key evenly


def validation_mask(position_hashes: np.ndarray, fraction: float) -> np.ndarray:
    """True for the positions (by Zobrist hash) in the validation split: about ``fraction`` of them.

    >>> hashes = np.arange(100_000, dtype=np.uint64) * np.uint64(0x100000001B3)
    >>> round(float(validation_mask(hashes, 0.1).mean()), 2)
    0.1
    """
    mixed = np.asarray(position_hashes, dtype=np.uint64) * _GOLDEN
    return (mixed >> np.uint64(11)).astype(np.float64) / 2.0**53 < fraction


@dataclass
class Samples:
    """Labelled positions as arrays; row ``i`` of every field is one position.

    ``indices[i, :counts[i]]`` are the policy indices of its legal moves and ``visits``,
    ``improved`` (None without Gumbel labels) the teacher's distributions over them; ``best`` is the
    slot of the teacher's best move; ``result`` is NaN where the game result is unknown.
    """

    hashes: np.ndarray
    leaf_bb: np.ndarray
    leaf_st: np.ndarray
    repetitions: np.ndarray
    indices: np.ndarray
    counts: np.ndarray
    visits: np.ndarray
    improved: np.ndarray | None
    best: np.ndarray
    root_value: np.ndarray
    result: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)

    def take(self, rows: np.ndarray) -> Samples:
        """The samples at ``rows`` (an index array or boolean mask)."""
        return Samples(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[rows]
                          for f in fields(self)})

    def split(self, fraction: float) -> tuple[Samples, Samples]:
        """``(train, validation)`` by :func:`validation_mask`."""
        held_out = validation_mask(self.hashes, fraction)
        return self.take(~held_out), self.take(held_out)

    def policy_target(self, target: str) -> np.ndarray:
        """The distribution the student learns, ``float32[N, L]``: ``visits`` (the visit shares),
        ``improved`` (Gumbel's improved policy) or ``best`` (one-hot on the best move)."""
        if target == "visits":
            return self.visits
        if target == "improved":
            if self.improved is None:
                raise ValueError("the dataset has no improved policy (it was generated without Gumbel)")
            return self.improved
        if target == "best":
            one_hot = np.zeros_like(self.visits)
            one_hot[np.arange(len(self)), self.best] = 1.0
            return one_hot
        raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")

    def value_target(self, result_weight: float) -> np.ndarray:
        """``(1 - w) * root_value + w * result`` where the result is known, else the root value."""
        known = ~np.isnan(self.result)
        mixed = (1 - result_weight) * self.root_value + result_weight * np.nan_to_num(self.result)
        return np.where(known, mixed, self.root_value).astype(np.float32)


def _padded(column: pa.ChunkedArray, counts: np.ndarray, dtype) -> np.ndarray:
    """A list column as a zero-padded ``[rows, max(counts)]`` array."""
    flat = pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(dtype)
    starts = np.cumsum(counts) - counts
    rows = np.repeat(np.arange(len(counts)), counts)
    out = np.zeros((len(counts), max(int(counts.max(initial=0)), 1)), dtype=dtype)
    out[rows, np.arange(len(flat)) - np.repeat(starts, counts)] = flat
    return out


def _uci_keys(ucis: list[str]) -> np.ndarray:
    """``from | to << 6 | promotion piece << 12`` of UCI moves, the key :func:`_move_keys` gives."""
    pieces = {"": 0, "n": 2, "b": 3, "r": 4, "q": 5}
    keys = np.empty(len(ucis), dtype=np.int64)
    for i, uci in enumerate(ucis):
        from_sq = (ord(uci[0]) - 97) + 8 * (ord(uci[1]) - 49)
        to_sq = (ord(uci[2]) - 97) + 8 * (ord(uci[3]) - 49)
        keys[i] = from_sq | to_sq << 6 | pieces[uci[4:]] << 12
    return keys


def _move_keys(moves: np.ndarray) -> np.ndarray:
    flags = moves >> 12
    promotion = np.where(flags & PROMOTION, (flags & 3) + KNIGHT, 0)
    return (moves & 4095) | promotion << 12


def samples_from_table(table: pa.Table) -> Samples:
    """Samples from dataset rows (the contract's columns; ``result`` and ``improved_policy`` may
    be absent). Rows without legal moves carry no policy and are dropped.

    ValueError when a row's best move is not among its moves (a corrupt dataset).
    """
    counts = pc.list_value_length(table.column("moves")).to_numpy(zero_copy_only=False).astype(np.int64)
    if (counts == 0).any():
        table, counts = table.filter(pa.array(counts > 0)), counts[counts > 0]
    positions = [Position(fen) for fen in table.column("fen").to_pylist()]
    leaf_bb, leaf_st, repetitions = position_arrays(positions)
    moves = _padded(table.column("moves"), counts, np.int64)
    visits = _padded(table.column("visits"), counts, np.float32)
    best_key = _uci_keys(table.column("best_move").to_pylist())
    matches = _move_keys(moves) == best_key[:, None]
    matches[np.arange(moves.shape[1])[None, :] >= counts[:, None]] = False
    if not matches.any(axis=1).all():
        bad = int(np.argmin(matches.any(axis=1)))
        raise ValueError(f"best move {table.column('best_move')[bad]} of row {bad} is not among its moves")
    best = matches.argmax(axis=1)
    totals = visits.sum(axis=1, keepdims=True)
    one_hot = np.arange(visits.shape[1])[None, :] == best[:, None]
    # a root decided before any simulation (a mate found at once) has no visits: its best move is all
    visits = np.where(totals > 0, visits / np.maximum(totals, 1), one_hot).astype(np.float32)
    improved = None
    names = table.column_names
    if "improved_policy" in names and table.column("improved_policy").null_count == 0:
        improved = _padded(table.column("improved_policy"), counts, np.float32)
    result = (table.column("result").to_numpy(zero_copy_only=False).astype(np.float32)
              if "result" in names else np.full(len(table), np.nan, dtype=np.float32))
    return Samples(
        hashes=leaf_bb[:, HASH].copy(), leaf_bb=leaf_bb, leaf_st=leaf_st, repetitions=repetitions,
        indices=move_indices(leaf_st[:, SIDE], moves, counts), counts=counts, visits=visits,
        improved=improved, best=best, root_value=table.column("root_value").to_numpy(
            zero_copy_only=False).astype(np.float32), result=result)


def load_samples(data_dir: str | Path, budget: int) -> Samples:
    """The samples of teacher budget ``budget`` in the dataset at ``data_dir``.

    ValueError (``DatasetError``) with one line for a missing dataset or a budget it does not hold.
    """
    from chessmesa.datasets import load_dataset

    table = load_dataset(data_dir, budget=budget)
    if table.num_rows == 0:
        raise ValueError(f"the dataset at {data_dir} has no rows at budget {budget}")
    return samples_from_table(table.select([c for c in COLUMNS if c in table.column_names]))
