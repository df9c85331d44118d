"""``_manifest.json``: what a dataset folder holds and how it was made.

Its name starts with ``_`` so that Parquet readers given the folder skip it, as they skip Spark's
``_SUCCESS`` and ``_metadata``: ``pandas.read_parquet(DIR)`` and ``pyarrow.parquet.read_table(DIR)``
read the shards beside it as they are.

The manifest is the dataset's commit record. Shards are written first (atomically), then the
manifest is replaced atomically to list them, so a shard that no manifest lists was never
committed: ``--resume`` deletes it and writes it again, identically.

Fields: ``schema_version``, ``chessmesa_version``, ``versions`` (python, numba, pyarrow, chess),
``created``, ``config`` (:class:`~chessmesa.datasets.config.GenerateConfig` as a dict: seed,
budgets, sources, search parameters, sampling), ``inputs`` (each source file's path, size,
sha256, lines or games), ``counts`` (positions, rows, rows per budget, positions per source,
what was skipped and why, the first bad lines by name), ``shards`` (file, positions, rows, first position id, task range,
bytes, sha256), ``next_task``, ``complete``, ``exhausted`` (the sources ran out before
``positions``) and ``runs`` (start, seconds, workers, backend and positions added by each run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.schema import SCHEMA_VERSION

MANIFEST = "_manifest.json"
#: The manifest's name before schema version 2 (whose folders Parquet readers refused).
LEGACY_MANIFEST = "manifest.json"


def manifest_path(directory: str | Path) -> Path:
    return Path(directory) / MANIFEST


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a dataset folder.

    Raises :class:`DatasetError` (a ``ValueError``) with a one-line message when the folder or its
    manifest is missing, unreadable, or of a schema version this chessmesa does not read.

    >>> read_manifest("/no/such/dataset")
    Traceback (most recent call last):
    ...
    chessmesa.datasets.errors.DatasetError: no dataset at /no/such/dataset: the folder does not exist
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"no dataset at {directory}: the folder does not exist")
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        if (directory / LEGACY_MANIFEST).is_file():
            raise DatasetError(f"{directory} holds a dataset of schema version 1: convert it with "
                               f"`chessmesa dataset upgrade {directory}`") from None
        raise DatasetError(f"no dataset at {directory}: {MANIFEST} not found") from None
    except (OSError, ValueError) as error:
        raise DatasetError(f"unreadable {path}: {error}") from None
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version != SCHEMA_VERSION:
        raise DatasetError(f"{path}: schema version {version!r}, this chessmesa reads {SCHEMA_VERSION}")
    return manifest


def write_manifest(directory: str | Path, manifest: dict) -> None:
    """Replace the manifest atomically (temporary file, fsync, rename)."""
    path = manifest_path(directory)
    temporary = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    with open(temporary, "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
