"""Training examples: dataset rows of one teacher budget as arrays, and the held-out split.

A :class:`Samples` holds, per position, what the encoder needs (the leaf arrays of the batch
bridge), the legal moves' policy indices (padded rows) and the teacher's labels aligned with them,
as the teacher contract (:mod:`chessmesa.datasets.targets`) reads them from the rows.

The validation split is by game (:mod:`chessmesa.datasets.split`): every position of a game is
on the same side, at every budget, whatever the training seed, so every run of a sweep is judged
on the same games and none of them is seen in training.

>>> import pyarrow as pa
>>> from chessmesa.core import Position
>>> fen = Position().fen()
>>> table = pa.table({"fen": [fen, fen], "moves": [[1804], [1804]], "visits": [[1], [1]],
...                   "best_move": ["e2e4", "e2e4"], "root_value": [0.0, 0.0],
...                   "source": ["selfplay", "selfplay"], "game_id": [3, 4]})
>>> train, validation = samples_from_table(table).split(0.5)
>>> len(train), len(validation)
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chessmesa.core.position import Position
from chessmesa.core.layout import SIDE
from chessmesa.datasets.split import game_keys, key_fraction
from chessmesa.datasets.targets import policy_distribution, row_targets
from chessmesa.nn.moves import move_indices
from chessmesa.nn.planes import position_arrays

COLUMNS = ["position_id", "fen", "budget", "moves", "visits", "q", "best_move", "root_value", "result",
           "improved_policy", "source", "game_id"]


@dataclass
class Samples:
    """Labelled positions as arrays; row ``i`` of every field is one position.

    ``indices[i, :counts[i]]`` are the policy indices of its legal moves and ``visits`` (the
    visit shares), ``improved`` (None without Gumbel labels) the teacher's distributions over
    them; ``q`` is the teacher's Q of each move for the side to move, known where ``q_known``
    (the move was visited); ``best`` is the slot of the teacher's best move; ``result`` is NaN
    where the game result is unknown; ``games`` is the key of the game each position comes from.
    """

    games: np.ndarray
    leaf_bb: np.ndarray
    leaf_st: np.ndarray
    repetitions: np.ndarray
    indices: np.ndarray
    counts: np.ndarray
    visits: np.ndarray
    improved: np.ndarray | None
    q: np.ndarray
    q_known: np.ndarray
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
        """``(train, validation)``: the games held out at ``fraction`` (:mod:`chessmesa.datasets.split`)."""
        held_out = key_fraction(self.games) < fraction
        return self.take(~held_out), self.take(held_out)

    def game_count(self) -> int:
        return len(np.unique(self.games))

    def policy_target(self, target: str) -> np.ndarray:
        """The distribution the student learns, ``float32[N, L]``, for a target of
        :data:`~chessmesa.datasets.targets.TARGET_KINDS`."""
        return policy_distribution(target, self.visits, self.best, self.improved)

    def value_target(self, result_weight: float) -> np.ndarray:
        """``(1 - w) * root_value + w * result`` where the result is known, else the root value."""
        known = ~np.isnan(self.result)
        mixed = (1 - result_weight) * self.root_value + result_weight * np.nan_to_num(self.result)
        return np.where(known, mixed, self.root_value).astype(np.float32)


def samples_from_table(table: pa.Table) -> Samples:
    """Samples from dataset rows (the contract's columns with ``source`` and ``game_id``;
    ``q``, ``result`` and ``improved_policy`` may be absent). Rows without legal moves carry no policy
    and are dropped.

    ValueError when a row's best move is not among its moves (a corrupt dataset).
    """
    counts = pc.list_value_length(table.column("moves")).to_numpy(zero_copy_only=False)
    if (counts == 0).any():
        table = table.filter(pa.array(counts > 0))
    targets = row_targets(table)
    if targets.q is None:  # rows without per-move Q: nothing for an action-value head to learn
        q, q_known = np.zeros_like(targets.visits), np.zeros(targets.visits.shape, dtype=bool)
    else:
        q, q_known = targets.q, targets.visits > 0
    fens = table.column("fen").to_pylist()
    leaf_bb, leaf_st, repetitions = position_arrays((Position(fen) for fen in fens), len(fens))
    names = table.column_names
    result = (table.column("result").to_numpy(zero_copy_only=False).astype(np.float32)
              if "result" in names else np.full(len(table), np.nan, dtype=np.float32))
    return Samples(
        games=game_keys(table.column("source").to_pylist(), table.column("game_id").to_pylist()),
        leaf_bb=leaf_bb, leaf_st=leaf_st, repetitions=repetitions,
        indices=move_indices(leaf_st[:, SIDE], targets.moves, targets.counts), counts=targets.counts,
        visits=targets.shares, improved=targets.improved, q=q, q_known=q_known, best=targets.best,
        root_value=targets.root_value, result=result)


def load_samples(data_dir: str | Path, budget: int) -> Samples:
    """The samples of teacher budget ``budget`` in the dataset at ``data_dir``.

    ValueError (``DatasetError``) with one line for a missing dataset or a budget it does not hold.
    """
    from chessmesa.datasets import load_dataset

    table = load_dataset(data_dir, budget=budget)
    if table.num_rows == 0:
        raise ValueError(f"the dataset at {data_dir} has no rows at budget {budget}")
    return samples_from_table(table.select([c for c in COLUMNS if c in table.column_names]))
