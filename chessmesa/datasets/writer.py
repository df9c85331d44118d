"""The output folder: commits finished tasks in task order, dedupes, writes shards and manifest.

Determinism rests here. Tasks finish in any order, but they are committed strictly in task order,
and a candidate is kept only if no earlier committed position has its Zobrist hash and fewer than
``positions`` are kept. Which positions a dataset holds, and their ids, are therefore a function
of the config alone: not of the number of workers, the backend, or where a run was killed and
resumed. A shard holds whole tasks (the last one may be cut at ``positions``); the manifest
records the next task to run, so ``--resume`` restarts exactly after the last shard.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import chessmesa
from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.holdout import asked_config, held_out_counts, hold_out_one_game
from chessmesa.datasets.manifest import MANIFEST, read_manifest, write_manifest
from chessmesa.datasets.schema import SCHEMA_VERSION
from chessmesa.datasets.shards import file_sha256, remove_uncommitted, write_shard
from chessmesa.datasets.sources import BAD_LINES_NAMED
from chessmesa.datasets.worker import TaskResult


def _versions() -> dict:
    import chess
    import numba

    return {"python": platform.python_version(), "numba": numba.__version__,
            "pyarrow": pa.__version__, "chess": chess.__version__}


def _new_manifest(config: GenerateConfig, inputs: list[dict]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "chessmesa_version": chessmesa.__version__,
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "inputs": inputs,
        "counts": {"positions": 0, "rows": 0, "per_budget": {}, "per_source": {}, "skipped": {},
                   "bad_lines": [], "tasks": 0, "search_seconds": 0.0},
        "shards": [],
        "next_task": 0,
        "complete": False,
        "exhausted": False,
        "runs": [],
    }


class DatasetWriter:
    """Open with :meth:`open`; :meth:`commit` task results in order; :meth:`finish` at the end."""

    def __init__(self, directory: Path, config: GenerateConfig, manifest: dict, kept: set[int]):
        self.directory, self.config, self.manifest = directory, config, manifest
        self.kept = kept  # hashes of every committed position
        self.next_task = manifest["next_task"]
        self.positions = manifest["counts"]["positions"]
        self.counts = manifest["counts"]
        self.complete = manifest["complete"]
        self._buffer: list[pa.Table] = []
        self._buffered = 0  # positions in the buffer
        self._first_task = self.next_task

    # opening
    @classmethod
    def open(cls, directory: str | Path, config: GenerateConfig, inputs: list[dict],
             resume: bool) -> DatasetWriter:
        """A new dataset in an empty (or new) folder, or with ``resume`` the one already there.

        A folder that is not empty is never written into without ``resume``, and with it only if
        it holds a dataset of the same config made from the same input files.
        """
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise DatasetError(f"--out {directory} is a file, not a folder")
        has_manifest = (directory / MANIFEST).is_file()
        if resume and has_manifest:
            return cls._resume(directory, config, inputs)
        if directory.is_dir() and any(directory.iterdir()):
            raise DatasetError(
                f"--out {directory} is not empty and holds no dataset to resume; choose a new folder"
                if resume else
                f"--out {directory} is not empty: use --resume to continue the dataset in it, or "
                f"choose a new folder")
        directory.mkdir(parents=True, exist_ok=True)
        manifest = _new_manifest(config, inputs)
        write_manifest(directory, manifest)
        return cls(directory, config, manifest, set())

    @classmethod
    def _resume(cls, directory: Path, config: GenerateConfig, inputs: list[dict]) -> DatasetWriter:
        manifest = read_manifest(directory)
        saved = GenerateConfig.from_dict(asked_config(manifest))
        differences = config.differences(saved, ignore=("positions",))
        if differences:
            raise DatasetError(f"cannot resume {directory} with a different config "
                               f"({'; '.join(differences)}; new vs saved)")
        if config.positions != saved.positions:
            # a new target is the same dataset cut elsewhere, as long as no task was cut yet
            if manifest["complete"] or config.positions < manifest["counts"]["positions"]:
                raise DatasetError(f"cannot resume {directory} with --positions {config.positions}: it "
                                   f"{'is complete with' if manifest['complete'] else 'already holds'} "
                                   f"{manifest['counts']['positions']} positions")
            manifest["config"]["positions"] = config.positions
        for new, old in zip(inputs, manifest["inputs"]):
            if new.get("sha256") != old.get("sha256"):
                raise DatasetError(f"cannot resume {directory}: source file {old['path']} changed "
                                   f"since the dataset was started")
        remove_uncommitted(directory, {shard["file"] for shard in manifest["shards"]})
        kept: set[int] = set()
        for shard in manifest["shards"]:
            path = directory / shard["file"]
            if not path.is_file() or file_sha256(path) != shard["sha256"]:
                raise DatasetError(f"cannot resume {directory}: shard {shard['file']} is missing or "
                                   f"changed since it was written (see chessmesa dataset validate)")
            kept.update(pq.read_table(path, columns=["zobrist"]).column("zobrist").to_pylist())
        return cls(directory, config, manifest, kept)

    # writing
    @property
    def done(self) -> bool:
        return self.positions >= self.config.positions

    def commit(self, result: TaskResult) -> int:
        """Add the next task's new positions (at most what is still missing); returns how many."""
        if result.index != self.next_task:
            raise ValueError(f"task {result.index} committed out of order (expected {self.next_task})")
        ids = np.full(len(result.hashes), -1, dtype=np.int64)  # candidate index -> position id
        for candidate, key in enumerate(result.hashes):
            if key in self.kept:
                result.skipped["duplicate"] += 1
            elif not self.done:
                self.kept.add(key)
                ids[candidate] = self.positions
                self.positions += 1
        added = int((ids >= 0).sum())
        if added:
            candidates = result.table.column("position_id").to_numpy()
            kept = ids[candidates] >= 0
            rows = result.table.filter(pa.array(kept))
            self._buffer.append(rows.set_column(0, "position_id", pa.array(ids[candidates][kept])))
            self._buffered += added
            self._count(rows, added)
        self._add(self.counts["skipped"], result.skipped)
        named = self.counts["bad_lines"]
        named.extend(result.bad_lines[: BAD_LINES_NAMED - len(named)])
        self.counts["tasks"] += 1
        self.counts["search_seconds"] += result.search_seconds
        self.next_task += 1
        if self.done or self._buffered >= self.config.shard_size:
            self.flush()
        return added

    def flush(self) -> None:
        """Write the committed rows not yet in a shard, then the manifest that lists them."""
        if self._buffer:
            table = pa.concat_tables(self._buffer)
            entry = write_shard(self.directory, len(self.manifest["shards"]), table)
            entry.update(positions=self._buffered, first_position_id=table["position_id"][0].as_py(),
                         tasks=[self._first_task, self.next_task])
            self.manifest["shards"].append(entry)
            self._buffer, self._buffered = [], 0
        self._first_task = self.next_task
        self.complete = self.complete or self.done
        self.manifest.update(next_task=self.next_task, counts=self.counts, complete=self.complete)
        write_manifest(self.directory, self.manifest)

    def finish(self, run: dict, exhausted: bool) -> None:
        """Flush and record the run and the held-out games; a complete dataset holds out at least
        one game where it can (:mod:`chessmesa.datasets.holdout`). Sources that ran out before
        ``positions`` complete the dataset too (``exhausted`` in the manifest), with fewer
        positions."""
        if exhausted and not self.done:
            self.manifest["exhausted"] = self.complete = True
        self.manifest["runs"].append(run)
        self.flush()
        if self.complete:
            hold_out_one_game(self.directory, self.manifest, self.config)
        self.counts["held_out"] = held_out_counts(self.directory, self.manifest, self.config.holdout)
        write_manifest(self.directory, self.manifest)

    # counts
    def _count(self, rows: pa.Table, added: int) -> None:
        self.counts["positions"] = self.positions
        self.counts["rows"] += rows.num_rows
        budgets, rows_per_budget = np.unique(rows.column("budget").to_numpy(), return_counts=True)
        self._add(self.counts["per_budget"], {str(b): int(n) for b, n in zip(budgets, rows_per_budget)})
        source = rows.column("source")[0].as_py()  # a task has one source
        self._add(self.counts["per_source"], {source: added})

    @staticmethod
    def _add(total: dict, more: dict) -> None:
        for key, value in more.items():
            total[key] = total.get(key, 0) + value
