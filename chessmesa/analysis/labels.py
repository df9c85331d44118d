"""The searcher's labels of a dataset, grouped by position, as the analyses consume them.

A dataset (``chessmesa generate``) has one row per (position, budget); the analyses want one
:class:`LabelledPosition` per position holding a :class:`Label` per budget, with every array in the
engine's legal-move order (``Position.legal_moves()``), the order the students answer in.

>>> label = Label(64, np.array([0.75, 0.25]), 0, "e2e4", 0.1, ["e2e4", "e7e5"])
>>> float(label.policy[label.best_index]), label.pv[1]
(0.75, 'e7e5')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chessmesa.core import Position, move_to_uci

#: The dataset columns the labels are built from (and ``improved_policy`` under Gumbel).
LABEL_COLUMNS = ("position_id", "fen", "budget", "moves", "visits", "root_value", "best_move", "pv")


@dataclass(frozen=True)
class Label:
    """The searcher's root statistics for one position at one budget: ``policy`` as in
    :func:`teacher_policy`, ``best_index`` the index of ``best_move`` (the move it plays)."""

    budget: int
    policy: np.ndarray
    best_index: int
    best_move: str
    root_value: float
    pv: list[str]


@dataclass(frozen=True)
class LabelledPosition:
    position_id: int
    fen: str
    moves: list[str]  # UCI, engine order
    labels: dict[int, Label]

    def position(self) -> Position:
        return Position(self.fen)


@dataclass(frozen=True)
class LabelSet:
    """The labelled positions of a dataset, its budgets (ascending) and its manifest."""

    data_dir: str
    budgets: list[int]
    positions: list[LabelledPosition]
    manifest: dict

    @property
    def top_budget(self) -> int:
        return self.budgets[-1]


def teacher_policy(visits: np.ndarray, improved_policy: np.ndarray | None, best: int) -> np.ndarray:
    """The searcher's policy over its root moves: the improved policy if any, else the visit
    shares; a one-hot on ``best`` (the index of the move played) when the solver proved the root
    before counting any visit.

    >>> teacher_policy(np.array([3, 1, 0]), None, 0).tolist(), teacher_policy(np.zeros(2), None, 1).tolist()
    ([0.75, 0.25, 0.0], [0.0, 1.0])
    """
    if improved_policy is not None:
        return np.asarray(improved_policy, dtype=float)
    visits = np.asarray(visits, dtype=float)
    total = visits.sum()
    if total > 0:
        return visits / total
    return (np.arange(len(visits)) == best).astype(float)


def load_labels(data_dir: str | Path, budgets: list[int] | None = None, limit: int | None = None,
                seed: int = 0) -> LabelSet:
    """The labels of ``data_dir`` at ``budgets`` (default all), for ``limit`` positions (default all).

    The ``limit`` positions are a seeded random sample (in position-id order), since a dataset's
    first rows come from the first few games. Raises ValueError (a ``DatasetError`` from the
    reader) for a missing or unreadable dataset, or a budget the dataset does not hold.
    """
    from chessmesa.datasets import load_dataset, read_manifest

    manifest = read_manifest(data_dir)
    gumbel = bool(manifest["config"]["search"].get("gumbel"))
    table = load_dataset(data_dir, columns=list(LABEL_COLUMNS) + (["improved_policy"] if gumbel else []))
    present = sorted({int(b) for b in table.column("budget").to_pylist()})
    if not present:
        raise ValueError(f"dataset {str(data_dir)!r} holds no rows")
    missing = sorted(set(budgets or []) - set(present))
    if missing:
        raise ValueError(f"budget {missing[0]} not in dataset {str(data_dir)!r}; its budgets: "
                         f"{', '.join(map(str, present))}")
    wanted = sorted(set(budgets)) if budgets else present
    ids = sorted(set(table.column("position_id").to_pylist()))
    if limit is not None and limit < len(ids):
        ids = sorted(np.random.default_rng(seed).choice(ids, size=limit, replace=False).tolist())
    table = table.filter(pc.and_(pc.is_in(table["position_id"], value_set=pa.array(ids, pa.int64())),
                                 pc.is_in(table["budget"], value_set=pa.array(wanted, pa.int32()))))
    columns = table.to_pydict()
    improved = columns.get("improved_policy", [None] * table.num_rows)
    grouped: dict[int, tuple[str, list[str], dict[int, Label]]] = {}
    for row in range(table.num_rows):
        position_id, budget = columns["position_id"][row], columns["budget"][row]
        best_move = columns["best_move"][row]
        if position_id not in grouped:  # the moves are the same at every budget
            grouped[position_id] = (columns["fen"][row], [move_to_uci(c) for c in columns["moves"][row]], {})
        moves = grouped[position_id][1]
        best = moves.index(best_move)
        grouped[position_id][2][budget] = Label(
            budget, teacher_policy(np.array(columns["visits"][row]), improved[row], best), best, best_move,
            float(columns["root_value"][row]), list(columns["pv"][row] or []))
    positions = [LabelledPosition(pid, fen, moves, labels)
                 for pid, (fen, moves, labels) in sorted(grouped.items())]
    return LabelSet(str(data_dir), wanted, positions, manifest)
