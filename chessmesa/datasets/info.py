"""``dataset_info``: what a dataset holds, from its manifest and the files on disk.

>>> dataset_info("/no/such/dataset")
Traceback (most recent call last):
...
chessmesa.datasets.errors.DatasetError: no dataset at /no/such/dataset: the folder does not exist
"""

from __future__ import annotations

from pathlib import Path

from chessmesa.datasets.manifest import MANIFEST, read_manifest


def dataset_info(directory: str | Path) -> dict:
    """Counts per budget and per source, size on disk, completeness, config and provenance."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    counts, config = manifest["counts"], manifest["config"]
    files = [directory / MANIFEST] + [directory / shard["file"] for shard in manifest["shards"]]
    return {
        "path": str(directory),
        "complete": manifest["complete"],
        "exhausted": manifest["exhausted"],
        "positions": counts["positions"],
        "requested": config["positions"],
        "rows": counts["rows"],
        "per_budget": counts["per_budget"],
        "per_source": counts["per_source"],
        "skipped": counts["skipped"],
        "held_out": counts.get("held_out"),  # games and positions (datasets.holdout); None in older datasets
        "shards": len(manifest["shards"]),
        "bytes": sum(path.stat().st_size for path in files if path.is_file()),
        "seed": config["seed"],
        "budgets": config["budgets"],
        "sources": config["sources"],
        "gumbel": config["search"]["gumbel"],
        "search_seconds": round(counts["search_seconds"], 3),
        "created": manifest["created"],
        "chessmesa_version": manifest["chessmesa_version"],
        "schema_version": manifest["schema_version"],
        "versions": manifest["versions"],
        "config": config,
        "inputs": manifest["inputs"],
        "runs": manifest["runs"],
    }
