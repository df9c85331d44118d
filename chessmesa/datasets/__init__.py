"""Search-labelled datasets: generation, storage, reading and checking.

A dataset is a folder with ``_manifest.json`` and Parquet shards ``part-00000.parquet``, ...; one
row per (position, budget), columns in :mod:`chessmesa.datasets.schema`. Plain pyarrow, pandas,
polars or duckdb read the shards; chessmesa adds the manifest's checks.

Reading (needs only pyarrow; the names are stable, other modules build on them):

- ``load_dataset(directory, budget=None, columns=None) -> pyarrow.Table``: the rows, optionally of
  one budget and some columns, in position then budget order.
- ``read_manifest(directory) -> dict``: config, seed, budgets, counts, shards.
- ``shard_paths(directory) -> list[Path]``: the shard files, for streaming readers.
- ``dataset_schema(gumbel=False) -> pyarrow.Schema``; ``SCHEMA_VERSION``.
- ``DatasetError`` (a ``ValueError``): a missing dataset, an unknown budget or column, ... with a
  one-line message. ``SourceError`` (a ``DatasetError``): a bad source file.

Making and checking (load the engine when first used):

- ``GenerateConfig``, ``SourceSpec``, ``parse_budgets``: what a dataset is made from.
- ``generate(config, out, workers=None, backend="local", ray_address=None, resume=False,
  progress=None) -> GenerateReport``.
- ``dataset_info(directory) -> dict`` and ``validate_dataset(directory, recheck=0) -> list[str]``
  (the problems found; empty when the dataset is sound).

>>> import tempfile
>>> from chessmesa.datasets import GenerateConfig, SourceSpec, generate, validate_dataset
>>> config = GenerateConfig(positions=20, budgets=(4, 8), sources=(SourceSpec("random"),))
>>> out = tempfile.mkdtemp() + "/data"
>>> generate(config, out, workers=1).positions  # doctest: +SKIP
20
>>> table = load_dataset(out, budget=8, columns=["fen", "moves", "visits"])  # doctest: +SKIP
>>> table.num_rows, validate_dataset(out)  # doctest: +SKIP
(20, [])
"""

from __future__ import annotations

import importlib

from chessmesa.datasets.errors import DatasetError, SourceError
from chessmesa.datasets.manifest import read_manifest
from chessmesa.datasets.reader import load_dataset, shard_paths
from chessmesa.datasets.schema import SCHEMA_VERSION, dataset_schema

# generation and validation import the searcher (numba): loaded on first use, so that readers of
# datasets (training, analysis, notebooks) import only pyarrow
_LAZY = {
    "GenerateConfig": "chessmesa.datasets.config",
    "SourceSpec": "chessmesa.datasets.config",
    "parse_budgets": "chessmesa.datasets.config",
    "generate": "chessmesa.datasets.pipeline",
    "GenerateReport": "chessmesa.datasets.pipeline",
    "dataset_info": "chessmesa.datasets.info",
    "validate_dataset": "chessmesa.datasets.validate",
}

__all__ = ["DatasetError", "SourceError", "read_manifest", "load_dataset", "shard_paths",
           "SCHEMA_VERSION", "dataset_schema", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
