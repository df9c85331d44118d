"""The held-out split by game, the independent reference search, a folder that plain Parquet
readers open as it is, and the upgrade of a version-1 dataset."""

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chessmesa.cli import main
from chessmesa.core import Position
from chessmesa.datasets import (
    DatasetError, GenerateConfig, SourceSpec, generate, load_dataset, read_manifest, validate_dataset,
)
from chessmesa.datasets.split import held_out
from chessmesa.search import MCTS

BUDGETS = (2, 8)
REFERENCE = 32


@pytest.fixture(scope="module")
def referenced(tmp_path_factory):
    """Self-play with half the games held out and a 32-simulation reference on those."""
    out = tmp_path_factory.mktemp("data") / "referenced"
    config = GenerateConfig(positions=120, budgets=BUDGETS, max_plies=10, seed=5, holdout=0.5,
                            reference=REFERENCE, shard_size=40,
                            sources=(SourceSpec.parse("selfplay:data/openings/noob_2moves.epd"),))
    generate(config, out, workers=1)
    return out, config


def test_every_game_lies_on_one_side_and_the_rule_decides_it(referenced):
    out, config = referenced
    table = load_dataset(out, budget=BUDGETS[0]).to_pandas()
    sides = table.groupby(["source", "game_id"])["split"].nunique()
    assert (sides == 1).all() and len(sides) > 4
    expected = held_out(table["source"], table["game_id"], config.holdout)
    assert ((table["split"] == "validation") == expected).all()
    assert 0 < expected.mean() < 1


def test_the_reference_labels_exactly_the_held_out_positions(referenced):
    out, config = referenced
    reference = load_dataset(out, budget=REFERENCE)
    held = set(load_dataset(out, budget=BUDGETS[0], split="validation").column("position_id").to_pylist())
    assert set(reference.column("position_id").to_pylist()) == held and held
    assert set(reference.column("split").to_pylist()) == {"validation"}
    assert all(sum(v) == REFERENCE for v, reason in zip(reference.column("visits").to_pylist(),
                                                        reference.column("stop_reason").to_pylist())
               if reason == "budget")
    assert read_manifest(out)["counts"]["per_budget"][str(REFERENCE)] == len(held)
    assert validate_dataset(out, recheck=4) == []


def test_the_reference_shares_no_simulation_with_the_label_search(referenced):
    """A separate search at the reference budget with the label search's seed and no noise would
    repeat the labels' simulations; the reference's own seed and root noise make it differ."""
    out, config = referenced
    rows = load_dataset(out, budget=REFERENCE).to_pylist()
    same_seed = MCTS(config.label_params())
    differing = sum(same_seed.search(Position(row["fen"]), sims=REFERENCE, reuse=False).visits.tolist()
                    != row["visits"] for row in rows)
    assert differing >= len(rows) // 2


def test_plain_parquet_readers_open_the_folder_as_it_is(referenced):
    import duckdb
    import pandas
    import polars

    out, _ = referenced
    rows = read_manifest(out)["counts"]["rows"]
    assert len(pandas.read_parquet(out)) == rows
    assert pq.read_table(out).num_rows == rows
    assert polars.read_parquet(f"{out}/*.parquet").height == rows
    assert duckdb.sql(f"select count(*) from read_parquet('{out}/*.parquet')").fetchall() == [(rows,)]


def test_config_refuses_a_reference_that_is_a_label_budget():
    with pytest.raises(DatasetError, match="reference budget 8 is also a label budget"):
        GenerateConfig(positions=1, budgets=BUDGETS, reference=8)
    with pytest.raises(DatasetError, match="needs held-out games"):
        GenerateConfig(positions=1, budgets=BUDGETS, reference=64, holdout=0.0)


def test_a_version_1_dataset_is_refused_then_upgraded(tmp_path):
    out = tmp_path / "old"
    config = GenerateConfig(positions=30, budgets=BUDGETS, max_plies=20, seed=2, shard_size=10,
                            sources=(SourceSpec("random"),))
    generate(config, out, workers=1)
    rows = load_dataset(out).to_pylist()
    # what schema version 1 wrote: no split column, the manifest as manifest.json
    manifest = read_manifest(out)
    for shard in manifest["shards"]:
        path = out / shard["file"]
        pq.write_table(pq.read_table(path).drop_columns(["split"]), path)
    manifest["schema_version"] = 1
    for key in ("holdout", "reference"):
        del manifest["config"][key]
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "_manifest.json").unlink()

    runner = CliRunner()
    refused = runner.invoke(main, ["dataset", "info", str(out)])
    assert refused.exit_code == 2 and "chessmesa dataset upgrade" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    upgraded = runner.invoke(main, ["dataset", "upgrade", str(out)])
    assert upgraded.exit_code == 0, upgraded.output
    assert not (out / "manifest.json").exists()
    assert load_dataset(out).to_pylist() == rows  # same rows, split recomputed by the same rule
    assert validate_dataset(out) == []
    assert runner.invoke(main, ["dataset", "upgrade", str(tmp_path / "none")]).exit_code == 2


def test_a_small_dataset_holds_out_its_smallest_game_when_the_fraction_draws_none(tmp_path):
    """Self-play games 0 to 9 all hash above 0.1: the dataset holds out the smallest one, with its
    reference rows, and records the raised fraction that every reader of the manifest applies."""
    from chessmesa.datasets.split import game_keys, key_fraction

    out = tmp_path / "small"
    result = CliRunner().invoke(main, [
        "generate", "--out", str(out), "--positions", "30", "--budgets", "2,4", "--max-plies", "10",
        "--workers", "1", "--reference", "8"])
    assert result.exit_code == 0, result.output
    assert "held out: 1 of 4 games" in result.output and "warning: only 1 held-out game" in result.output
    manifest = read_manifest(out)
    table = load_dataset(out, budget=2).to_pandas()
    fractions = key_fraction(game_keys(table["source"], table["game_id"]))
    assert manifest["config"]["holdout"] > 0.1 == manifest["counts"]["held_out"]["asked"]
    assert ((table["split"] == "validation") == (fractions < manifest["config"]["holdout"])).all()
    assert table[table["split"] == "validation"]["game_id"].nunique() == 1
    assert load_dataset(out, budget=8).num_rows == manifest["counts"]["held_out"]["positions"] > 0
    assert validate_dataset(out) == []
    again = CliRunner().invoke(main, [
        "generate", "--out", str(out), "--positions", "30", "--budgets", "2,4", "--max-plies", "10",
        "--workers", "1", "--reference", "8", "--resume"])
    assert again.exit_code == 0 and "already complete" in again.output, again.output


def test_a_dataset_without_reference_says_what_the_analyses_score_against(tmp_path):
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path / "d"), "--positions", "12",
                                       "--budgets", "2,4", "--max-plies", "6", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "no --reference" in result.output and "top budget's labels (4 simulations)" in result.output


def test_a_small_dataset_trains_a_student_and_scores_every_player(tmp_path):
    """The newcomer's path at its smallest: a few games, none drawn by the fraction, then train
    (which holds out the same game) and agreement for a searcher (all positions) and the student
    (the held-out game)."""
    data, run = str(tmp_path / "d"), str(tmp_path / "run")
    runner = CliRunner()
    made = runner.invoke(main, ["generate", "--out", data, "--positions", "30", "--budgets", "2,4",
                                "--max-plies", "10", "--workers", "1", "--seed", "12"])
    assert made.exit_code == 0, made.output
    trained = runner.invoke(main, ["train", "--data", data, "--teacher-budget", "4", "--model", "tiny",
                                   "--steps", "2", "--out", run, "--json"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.output)["val_top1_strict"] is not None  # a held-out game to score on
    held = read_manifest(data)["counts"]["held_out"]
    for student, split, positions in (("mcts:sims=2", "all", 30), (f"policy:ckpt={run}", "validation", held["positions"])):
        scored = runner.invoke(main, ["analyze", "agreement", "--engine", student, "--data", data, "--json"])
        assert scored.exit_code == 0, scored.output
        result = json.loads(scored.output)
        assert result["config"]["split"] == split and result["split"]["positions"] == positions
