"""Parquet shards: ``part-00000.parquet``, ``part-00001.parquet``, ... written atomically.

A shard is written under a temporary name (a dot file that no reader lists), synced, then renamed:
a killed run leaves whole shards or none, never half of one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SHARD_GLOB = "part-*.parquet"
TEMPORARY_GLOB = ".*.tmp-*"


def shard_name(index: int) -> str:
    """The file name of shard ``index``.

    >>> shard_name(3)
    'part-00003.parquet'
    """
    return f"part-{index:05d}.parquet"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Dictionary-encode only the columns of few distinct values: on the lists of floats a dictionary
# costs a third of the writing time and makes the file larger, not smaller.
DICTIONARY_COLUMNS = ["budget", "source", "stop_reason", "proven", "sims", "split"]


def write_shard(directory: Path, index: int, table: pa.Table) -> dict:
    """Write ``table`` as shard ``index``; returns its manifest entry (file, rows, bytes, sha256)."""
    path = directory / shard_name(index)
    temporary = directory / f".{path.name}.tmp-{os.getpid()}"
    pq.write_table(table, temporary, compression="zstd", use_dictionary=DICTIONARY_COLUMNS)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return {"file": path.name, "rows": table.num_rows, "bytes": path.stat().st_size,
            "sha256": file_sha256(path)}


def remove_uncommitted(directory: Path, listed: set[str]) -> list[str]:
    """Delete temporary files and shards no manifest lists (left by a killed run); their names."""
    removed = []
    for path in [*directory.glob(TEMPORARY_GLOB), *directory.glob(SHARD_GLOB)]:
        if path.name not in listed:
            path.unlink()
            removed.append(path.name)
    return removed
