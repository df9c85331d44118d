"""``chessmesa dataset upgrade DIR``: a dataset of schema version 1 rewritten as version 2.

Version 2 adds the ``split`` column (by game, :mod:`chessmesa.datasets.split`, at the default
held-out share, raised where it holds out no game) and names the manifest ``_manifest.json`` so that Parquet readers open the folder
as it is. The labels are kept as they are; a version-1 dataset has no reference search, which only
``chessmesa generate --reference`` can add. Each shard is rewritten atomically before the new
manifest is written and the old one removed, so an interrupted upgrade can simply be run again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.manifest import LEGACY_MANIFEST, MANIFEST, read_manifest, write_manifest
from chessmesa.datasets.schema import SCHEMA_VERSION, dataset_schema
from chessmesa.datasets.shards import write_shard
from chessmesa.datasets.split import DEFAULT_HOLDOUT, TRAIN, VALIDATION, dataset_fraction, game_keys, held_out


def upgrade_dataset(directory: str | Path) -> dict:
    """Upgrade the version-1 dataset at ``directory`` in place; returns its new manifest.

    DatasetError (one line) when the folder holds no version-1 dataset.
    """
    directory = Path(directory)
    legacy = directory / LEGACY_MANIFEST
    if (directory / MANIFEST).is_file() and not legacy.is_file():
        return read_manifest(directory)  # already version 2 (or an upgrade that finished)
    try:
        manifest = json.loads(legacy.read_text())
    except (OSError, ValueError) as error:
        raise DatasetError(f"no version-1 dataset at {directory}: {error}") from None
    if manifest.get("schema_version") != 1:
        raise DatasetError(f"{legacy}: schema version {manifest.get('schema_version')!r}, "
                           "not the version 1 this command upgrades")
    games = [pq.read_table(directory / shard["file"], columns=["source", "game_id"]).to_pydict()
             for shard in manifest["shards"]]
    keys = game_keys([s for g in games for s in g["source"]], [i for g in games for i in g["game_id"]])
    fraction = dataset_fraction(keys, DEFAULT_HOLDOUT)
    manifest["config"].update(holdout=fraction, reference=None)
    schema = dataset_schema(manifest["config"]["search"]["gumbel"])
    for index, shard in enumerate(manifest["shards"]):
        table = pq.read_table(directory / shard["file"])
        if "split" not in table.column_names:
            games_held_out = held_out(table.column("source").to_pylist(),
                                      table.column("game_id").to_pylist(), fraction)
            split = pa.array([VALIDATION if h else TRAIN for h in games_held_out], pa.string())
            table = table.append_column("split", split).select(schema.names).cast(schema)
        shard.update(write_shard(directory, index, table))
    manifest["schema_version"] = SCHEMA_VERSION
    write_manifest(directory, manifest)
    legacy.unlink()
    return manifest
