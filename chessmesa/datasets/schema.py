"""The dataset's Parquet schema: one row per (position, budget).

The contract columns (``position_id`` to ``result``, which readers may rely on) come first; after
them the extras this implementation adds. Every column is a plain Arrow type, so pyarrow, pandas,
polars and duckdb read the shards without chessmesa.

==================  ======================  ====================================================
column              type                    meaning
==================  ======================  ====================================================
position_id         int64                   0 .. N-1, in generation order; stable under resume
fen                 string                  the position (labels depend on the FEN alone)
budget              int32                   search budget of this label (simulations)
moves               list<uint16>            legal root moves as move codes, in generation order
visits              list<int32>             root visits of each move; they sum to ``sims``
q                   list<float32>           mean value of each move, side to move's view
prior               list<float32>           prior probability of each move
root_value          float32                 search value of the position, side to move's view
best_move           string                  UCI of the move the searcher plays (see below)
pv                  list<string>            principal variation at this budget, UCI
game_id             int64                   game index (selfplay, random, pgn) or line number
                                            (epd, fen) within its source
ply                 int16                   half-moves since the game's start, from the FEN's
                                            move number
source              string                  ``kind`` or ``kind:file name`` of the source
result              int8, nullable          final game result from the side to move's view
                                            (1, 0, -1), null when unknown
improved_policy     list<float32>           Gumbel only: the improved policy of each move
zobrist             uint64                  Polyglot hash of the position (the dedupe key)
sims                int32                   simulations run: the budget, or fewer when the
                                            solver proved the root first
stop_reason         string                  ``budget``, ``proven`` or ``tree_full``
proven              string, nullable        ``win``, ``loss`` or ``draw`` once the solver proved
                                            the root
split               string                  ``train`` or ``validation``: the side of the
                                            held-out split its game is on
                                            (:mod:`chessmesa.datasets.split`)
==================  ======================  ====================================================

Held-out positions of a dataset generated with a reference search carry one more row, whose
``budget`` is the reference budget (``config.reference`` in the manifest): the independent
reference every player is scored against.

``best_move`` is the most visited move, except where the MCTS-solver knows better: a move proven to
win is played whatever its visits, and a most-visited move proven to lose (Q = -1) is passed over.

>>> dataset_schema().field("moves").type
ListType(list<item: uint16>)
>>> "improved_policy" in dataset_schema(gumbel=True).names
True
"""

from __future__ import annotations

import pyarrow as pa

#: Bumped whenever a column changes meaning or type, or the folder's layout changes.
#: 2: the ``split`` column, reference rows, and the manifest named ``_manifest.json``.
SCHEMA_VERSION = 2

_CONTRACT = [
    ("position_id", pa.int64()),
    ("fen", pa.string()),
    ("budget", pa.int32()),
    ("moves", pa.list_(pa.uint16())),
    ("visits", pa.list_(pa.int32())),
    ("q", pa.list_(pa.float32())),
    ("prior", pa.list_(pa.float32())),
    ("root_value", pa.float32()),
    ("best_move", pa.string()),
    ("pv", pa.list_(pa.string())),
    ("game_id", pa.int64()),
    ("ply", pa.int16()),
    ("source", pa.string()),
    ("result", pa.int8()),
]
_GUMBEL = [("improved_policy", pa.list_(pa.float32()))]
_EXTRA = [
    ("zobrist", pa.uint64()),
    ("sims", pa.int32()),
    ("stop_reason", pa.string()),
    ("proven", pa.string()),
    ("split", pa.string()),
]


def dataset_schema(gumbel: bool = False) -> pa.Schema:
    """The schema of every shard of a dataset (``gumbel``: with the improved policy column)."""
    return pa.schema(_CONTRACT + (_GUMBEL if gumbel else []) + _EXTRA)
