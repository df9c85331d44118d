"""Reading a dataset: the shards its manifest lists, as one Arrow table.

Any Parquet reader works on the folder as it is: ``pandas.read_parquet(DIR)``,
``pyarrow.parquet.read_table(DIR)``, ``polars.read_parquet(f"{DIR}/*.parquet")`` and duckdb's
``read_parquet('DIR/*.parquet')`` give the rows. These functions add the manifest's checks and
filters by budget and split.
"""

from __future__ import annotations

import functools
import operator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.manifest import read_manifest
from chessmesa.datasets.schema import dataset_schema
from chessmesa.datasets.split import TRAIN, VALIDATION


def shard_paths(directory: str | Path) -> list[Path]:
    """The shards a dataset's manifest lists, in position order."""
    manifest = read_manifest(directory)
    return [Path(directory) / shard["file"] for shard in manifest["shards"]]


def load_dataset(directory: str | Path, budget: int | None = None,
                 columns: list[str] | None = None, split: str | None = None) -> pa.Table:
    """The rows of a dataset, optionally of one ``budget`` (a label budget or the reference's),
    one ``split`` (``train`` or ``validation``) and only some ``columns``.

    Rows come in ``position_id`` order, then budget order. An interrupted dataset reads as the
    positions it has so far. Raises :class:`DatasetError` (a ``ValueError``) with a one-line
    message for a missing dataset, a budget it was not labelled at, or an unknown column.

    >>> table = load_dataset("runs/data", budget=64, columns=["fen", "moves", "visits"])  # doctest: +SKIP
    >>> table.to_pandas()  # doctest: +SKIP
    """
    manifest = read_manifest(directory)
    reference = manifest["config"].get("reference")
    budgets = manifest["config"]["budgets"] + ([reference] if reference else [])
    if budget is not None and budget not in budgets:
        raise DatasetError(f"budget {budget} is not in the dataset at {directory}: "
                           f"its budgets are {', '.join(map(str, budgets))}")
    schema = dataset_schema(manifest["config"]["search"]["gumbel"])
    unknown = [name for name in columns or [] if name not in schema.names]
    if unknown:
        raise DatasetError(f"unknown column {unknown[0]!r}: the columns are {', '.join(schema.names)}")
    files = [str(path) for path in shard_paths(directory)]
    missing = [path for path in files if not Path(path).is_file()]
    if missing:
        raise DatasetError(f"shard {missing[0]} listed in the manifest is missing")
    if split not in (None, TRAIN, VALIDATION):
        raise DatasetError(f"unknown split {split!r}: expected {TRAIN} or {VALIDATION}")
    conditions = [ds.field(name) == value for name, value in (("budget", budget), ("split", split))
                  if value is not None]
    dataset = ds.dataset(files, schema=schema, format="parquet")
    return dataset.to_table(columns=columns, filter=functools.reduce(operator.and_, conditions)
                            if conditions else None)
