"""Search results to Arrow rows: one row per (position, budget), built column by column.

List columns are built from one flat numpy array and offsets (no per-element Python objects), so
that encoding stays a small share of a worker's time. ``position_id`` holds the candidate's index
within its task; the parent renumbers the rows it keeps.

>>> from chessmesa.core import Position
>>> from chessmesa.datasets.config import GenerateConfig
>>> from chessmesa.datasets.labelling import Labeller
>>> from chessmesa.datasets.sources import Candidate
>>> config = GenerateConfig(positions=1, budgets=(4, 8))
>>> rows = RowBuilder(config, "selfplay")
>>> position = Position()
>>> rows.add(Candidate(position.fen(), position, 0, 0), Labeller(config).label(position))
>>> table = rows.table()
>>> table.num_rows, table.column("budget").to_pylist()
(2, [4, 8])
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.schema import dataset_schema
from chessmesa.datasets.sources import Candidate
from chessmesa.datasets.split import TRAIN, VALIDATION

_LISTS = {"moves": np.uint16, "visits": np.int32, "q": np.float32, "prior": np.float32,
          "improved_policy": np.float32}
_SCALARS = ("position_id", "fen", "budget", "root_value", "best_move", "pv", "game_id", "ply",
            "source", "result", "zobrist", "sims", "stop_reason", "proven", "split")


class RowBuilder:
    """Collects the rows of one task (``source``: the ``source`` column's value)."""

    def __init__(self, config: GenerateConfig, source: str):
        self.source = source
        self.schema = dataset_schema(config.search.gumbel)
        self.config = config
        self.lists = {name: [] for name in _LISTS if name in self.schema.names}
        self.scalars = {name: [] for name in _SCALARS}
        self.candidates = 0

    def add(self, item: Candidate, labels: list, held_out: bool = False) -> None:
        """The rows of one candidate: ``labels`` holds one search result per budget of
        ``config.row_budgets(held_out)`` (the reference last, on a held-out position)."""
        split = VALIDATION if held_out else TRAIN
        for budget, result in zip(self.config.row_budgets(held_out), labels, strict=True):
            self.add_row(item, budget, result, split)
        self.candidates += 1

    def add_row(self, item: Candidate, budget: int, result, split: str) -> None:
        """One row: the search ``result`` of ``item`` at ``budget``, on the ``split`` side."""
        self.lists["moves"].append(result.move_codes)
        self.lists["visits"].append(result.visits)
        self.lists["q"].append(result.q)
        self.lists["prior"].append(result.prior)
        if "improved_policy" in self.lists:
            self.lists["improved_policy"].append(result.improved_policy)
        row = (self.candidates, item.fen, budget, result.root_value, result.best_move, result.pv,
               item.game_id, item.ply, self.source, item.result, item.position.hash, result.sims,
               result.stop_reason, result.proven, split)
        for name, value in zip(_SCALARS, row):
            self.scalars[name].append(value)

    def table(self) -> pa.Table:
        columns = {}
        for name, values in self.lists.items():
            lengths = np.fromiter((len(v) for v in values), dtype=np.int32, count=len(values))
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
            flat = np.concatenate(values).astype(_LISTS[name]) if values else np.zeros(0, _LISTS[name])
            columns[name] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))
        for name, values in self.scalars.items():
            columns[name] = pa.array(values, type=self.schema.field(name).type)
        return pa.table([columns[name] for name in self.schema.names], schema=self.schema)
