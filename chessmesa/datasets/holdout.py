"""The held-out games of a finished dataset: counted, and at least one of them.

Workers decide each game's side as they label it, by its hash alone (:mod:`chessmesa.datasets.split`);
only the whole dataset shows whether any game fell below the fraction. When ``generate`` completes
a dataset of two or more games with none held out, :func:`hold_out_one_game` holds out its
smallest game by hash value: its rows move to the ``validation`` side (with their reference rows,
searched here, when the dataset has a reference), and the manifest's ``config.holdout`` becomes
the raised fraction that gives exactly this split, so that a reader of either agrees. The fraction
asked for stays in ``counts.held_out.asked``, which ``--resume`` compares against.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.schema import dataset_schema
from chessmesa.datasets.shards import write_shard
from chessmesa.datasets.split import VALIDATION, dataset_fraction, game_keys, key_fraction


def asked_config(manifest: dict) -> dict:
    """The manifest's config with the held-out fraction asked for (before any raise)."""
    asked = manifest["counts"].get("held_out", {}).get("asked")
    return manifest["config"] if asked is None else {**manifest["config"], "holdout": asked}


def held_out_counts(directory: Path, manifest: dict, asked: float) -> dict:
    """``{"games", "positions", "total_games", "asked", "fraction"}``: the held-out games and
    positions of the dataset's shards, all its games, and the fraction asked for and in use."""
    games, held_games, held_positions = set(), set(), 0
    for shard in manifest["shards"]:
        table = pq.read_table(directory / shard["file"], columns=["position_id", "source", "game_id", "split"])
        columns = table.to_pydict()
        games.update(zip(columns["source"], columns["game_id"]))
        held = [i for i, split in enumerate(columns["split"]) if split == VALIDATION]
        held_games.update((columns["source"][i], columns["game_id"][i]) for i in held)
        held_positions += len({columns["position_id"][i] for i in held})
    return {"games": len(held_games), "positions": held_positions, "total_games": len(games),
            "asked": asked, "fraction": manifest["config"]["holdout"]}


def hold_out_one_game(directory: Path, manifest: dict, config: GenerateConfig) -> None:
    """Hold out the smallest game by hash value when the dataset holds out none and could
    (:func:`~chessmesa.datasets.split.dataset_fraction`); rewrites its shards and updates
    ``manifest`` (not yet saved)."""
    pairs = set()
    for shard in manifest["shards"]:
        columns = pq.read_table(directory / shard["file"], columns=["source", "game_id", "split"]).to_pydict()
        if VALIDATION in columns["split"]:
            return
        pairs.update(zip(columns["source"], columns["game_id"]))
    sources, game_ids = zip(*sorted(pairs)) if pairs else ((), ())
    keys = game_keys(sources, game_ids)
    fraction = dataset_fraction(keys, config.holdout)
    if fraction == config.holdout:
        return
    chosen = int(np.argmin(key_fraction(keys)))
    source, game_id = sources[chosen], game_ids[chosen]
    labeller = None
    if config.reference:
        from chessmesa.datasets.labelling import Labeller

        labeller = Labeller(config)
    for index, shard in enumerate(manifest["shards"]):
        table = pq.read_table(directory / shard["file"])
        in_game = pc.and_(pc.equal(table["source"], source), pc.equal(table["game_id"], game_id))
        if not pc.any(in_game).as_py():
            continue
        rows_before = shard["rows"]
        shard.update(write_shard(directory, index, _held_out_rows(table, in_game, config, labeller)))
        added = shard["rows"] - rows_before  # the reference rows
        if added:
            manifest["counts"]["rows"] += added
            per_budget = manifest["counts"]["per_budget"]
            per_budget[str(config.reference)] = per_budget.get(str(config.reference), 0) + added
    manifest["config"]["holdout"] = fraction


def _held_out_rows(table: pa.Table, in_game: pa.ChunkedArray, config: GenerateConfig, labeller) -> pa.Table:
    """``table`` with the rows of one game on the validation side, and after each of its
    positions a reference row when ``labeller`` searches one."""
    split = pc.if_else(in_game, VALIDATION, table["split"])
    table = table.set_column(table.schema.get_field_index("split"), "split", split)
    if labeller is None:
        return table
    from chessmesa.core import Position
    from chessmesa.datasets.rows import RowBuilder
    from chessmesa.datasets.sources import Candidate

    firsts = table.filter(pc.and_(in_game, pc.equal(table["budget"], config.budgets[0]))).to_pylist()
    rows = RowBuilder(config, firsts[0]["source"])
    for row in firsts:
        position = Position(row["fen"])
        item = Candidate(row["fen"], position, row["game_id"], row["ply"], row["result"])
        rows.add_row(item, config.reference, labeller.reference(position), VALIDATION)
    references = rows.table()
    references = references.set_column(0, "position_id", pa.array([row["position_id"] for row in firsts], pa.int64()))
    schema = dataset_schema(config.search.gumbel)
    merged = pa.concat_tables([table.cast(schema), references.cast(schema)])
    order = np.argsort(merged["position_id"].to_numpy(), kind="stable")  # a reference after its budgets
    return merged.take(pa.array(order))
