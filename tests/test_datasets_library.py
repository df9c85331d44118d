"""Datasets through the library: schema and types, plain pyarrow, labels that reproduce, the same
rows for any number of workers and on Ray, validation that catches damage."""

import shutil
import subprocess
import sys
import textwrap

import chess
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chessmesa.core import Position
from chessmesa.datasets import (
    DatasetError, GenerateConfig, SourceSpec, dataset_info, dataset_schema, generate, load_dataset,
    read_manifest, shard_paths, validate_dataset,
)
from chessmesa.datasets.config import parse_budgets
from chessmesa.datasets.sources import TaskPlan
from chessmesa.datasets.sources.games import without_history
from chessmesa.search import MCTS, SearchParams

CONTRACT = {  # the public columns, as chessmesa/datasets/schema.py lists them
    "position_id": pa.int64(), "fen": pa.string(), "budget": pa.int32(),
    "moves": pa.list_(pa.uint16()), "visits": pa.list_(pa.int32()), "q": pa.list_(pa.float32()),
    "prior": pa.list_(pa.float32()), "root_value": pa.float32(), "best_move": pa.string(),
    "pv": pa.list_(pa.string()), "game_id": pa.int64(), "ply": pa.int16(), "source": pa.string(),
    "result": pa.int8(),
}
BUDGETS = (4, 8, 16)


def pgn_config(repo_data, **changes) -> GenerateConfig:
    """Positions from recorded games: the reference config of the cross-backend comparisons."""
    settings = dict(positions=400, budgets=BUDGETS, skip_plies=4, sample_rate=0.5, shard_size=50,
                    sources=(SourceSpec.parse(f"pgn:{repo_data / 'games/lichess_2021-10_sample.pgn'}"),))
    return GenerateConfig(**{**settings, **changes})


@pytest.fixture(scope="module")
def selfplay_data(tmp_path_factory):
    """A small self-play dataset from an opening book (one worker)."""
    out = tmp_path_factory.mktemp("data") / "selfplay"
    config = GenerateConfig(positions=60, budgets=BUDGETS, shard_size=25, max_plies=40, seed=3,
                            sources=(SourceSpec.parse("selfplay:data/openings/noob_2moves.epd"),))
    report = generate(config, out, workers=1)
    assert report.positions == 60 and report.complete
    return out


@pytest.fixture(scope="module")
def pgn_reference(tmp_path_factory, repo_data):
    """The PGN dataset made by one local worker: what every other way of running must match."""
    out = tmp_path_factory.mktemp("data") / "pgn"
    generate(pgn_config(repo_data), out, workers=1)
    return pq.read_table(shard_paths(out))


def test_schema_and_types(selfplay_data):
    table = load_dataset(selfplay_data)
    assert table.schema == dataset_schema()
    assert table.schema.names[: len(CONTRACT)] == list(CONTRACT)
    for name, arrow_type in CONTRACT.items():
        assert table.schema.field(name).type == arrow_type, name
    rows = table.to_pylist()
    assert len(rows) == 60 * len(BUDGETS)
    assert [row["position_id"] for row in rows] == [i // 3 for i in range(180)]
    assert [row["budget"] for row in rows] == list(BUDGETS) * 60
    for row in rows:
        assert len(row["moves"]) == len(row["visits"]) == len(row["q"]) == len(row["prior"]) > 0
        assert sum(row["visits"]) == row["sims"] <= row["budget"]
        assert row["result"] in (-1, 0, 1, None) and row["source"] == "selfplay:noob_2moves.epd"
    manifest = read_manifest(selfplay_data)
    assert manifest["config"]["budgets"] == list(BUDGETS) and manifest["config"]["seed"] == 3
    assert manifest["counts"]["per_budget"] == {str(b): 60 for b in BUDGETS}
    assert len(manifest["shards"]) >= 2  # whole games per shard, at least 25 positions each
    assert validate_dataset(selfplay_data, recheck=5) == []


def test_plain_pyarrow_reads_the_shards(selfplay_data):
    script = textwrap.dedent(f"""
        import glob, sys
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
        table = pq.read_table(sorted(glob.glob("{selfplay_data}/part-*.parquet")))
        folder = ds.dataset("{selfplay_data}", format="parquet", exclude_invalid_files=True).to_table()
        assert table.num_rows == folder.num_rows == 180, table.num_rows
        assert table.schema.field("moves").type == pa.list_(pa.uint16())
        assert not any(name.startswith("chessmesa") for name in sys.modules)
        print(table.column("fen")[0])
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    chess.Board(output.stdout.strip())


def test_labels_reproduce_a_plain_search(selfplay_data):
    """``mcts:sims=B`` on the FEN gives the budget-B labels exactly."""
    table = load_dataset(selfplay_data).to_pylist()
    for row in table[::17]:
        result = MCTS(SearchParams()).search(Position(row["fen"]), sims=row["budget"], reuse=False)
        assert result.visits.tolist() == row["visits"] and result.best_move == row["best_move"]
        assert result.move_codes.tolist() == row["moves"] and result.q.tolist() == row["q"]


def test_reader_errors_are_one_line_value_errors(selfplay_data, tmp_path):
    with pytest.raises(ValueError, match="budget 32 is not in the dataset"):
        load_dataset(selfplay_data, budget=32)
    with pytest.raises(DatasetError, match="unknown column 'nope'"):
        load_dataset(selfplay_data, columns=["nope"])
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "missing")
    with pytest.raises(DatasetError, match="_manifest.json not found"):
        read_manifest(tmp_path)
    assert load_dataset(selfplay_data, budget=8, columns=["fen", "visits"]).num_rows == 60


def test_info_counts(selfplay_data):
    info = dataset_info(selfplay_data)
    assert info["positions"] == 60 and info["rows"] == 180 and info["complete"]
    assert info["per_source"] == {"selfplay:noob_2moves.epd": 60}
    assert info["bytes"] > 0 and info["shards"] == len(shard_paths(selfplay_data))


def test_validate_catches_a_truncated_shard(selfplay_data, tmp_path):
    copy = shutil.copytree(selfplay_data, tmp_path / "copy")
    shard = copy / "part-00000.parquet"
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    problems = validate_dataset(copy)
    assert any("part-00000.parquet: checksum" in p for p in problems)
    assert any("part-00000.parquet: unreadable" in p for p in problems)


def _rewrite_first_row(shard, **changes):
    """Rewrite a shard with the first row's columns changed (as an editor of the data would)."""
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[0].update(changes)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), shard)
    return rows[0]


def test_validate_catches_an_edited_row(selfplay_data, tmp_path):
    copy = shutil.copytree(selfplay_data, tmp_path / "copy")
    row = pq.read_table(copy / "part-00000.parquet").slice(0, 1).to_pylist()[0]
    best = [chess.Move(m & 63, (m >> 6) & 63).uci()[:4] for m in row["moves"]].index(row["best_move"][:4])
    visits = [0] * len(row["moves"])
    visits[(best + 1) % len(visits)] = row["sims"]  # every visit moved to another move
    _rewrite_first_row(copy / "part-00000.parquet", visits=visits)
    problems = validate_dataset(copy)
    assert any("checksum differs" in p for p in problems)
    assert any("row 0 (position 0), budget 4: best move" in p for p in problems)


def test_validate_catches_an_edited_fen(selfplay_data, tmp_path):
    copy = shutil.copytree(selfplay_data, tmp_path / "copy")
    _rewrite_first_row(copy / "part-00000.parquet", fen="8/8/8/8/8/8/8/K6k w - - 0 1")
    problems = validate_dataset(copy)
    assert any("differs between the budgets" in p for p in problems)
    assert any("is not the hash of its FEN" in p for p in problems)


def test_validate_catches_duplicates_and_uncommitted_shards(selfplay_data, tmp_path):
    copy = shutil.copytree(selfplay_data, tmp_path / "copy")
    (copy / "part-00099.parquet").write_bytes(b"left by a killed run")
    table = pq.read_table(copy / "part-00001.parquet")
    first_id = table["position_id"][0].as_py()
    duplicate = pq.read_table(copy / "part-00000.parquet").slice(0, len(BUDGETS)).to_pylist()
    for row in duplicate:
        row["position_id"] = first_id
    rows = duplicate + table.to_pylist()[len(BUDGETS):]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), copy / "part-00001.parquet")
    problems = validate_dataset(copy)
    assert any("part-00099.parquet is not listed" in p for p in problems)
    assert any(f"(position {first_id}): duplicate of position 0" in p for p in problems)


def test_one_and_two_workers_give_the_same_rows(tmp_path):
    config = GenerateConfig(positions=50, budgets=BUDGETS, shard_size=10, max_plies=12, play_noise=True,
                            sources=(SourceSpec.parse("selfplay:data/openings/noob_2moves.epd"),))
    tables = []
    for workers in (1, 2):
        generate(config, tmp_path / str(workers), workers=workers)
        tables.append(load_dataset(tmp_path / str(workers)))
    assert tables[0].num_rows == 150 and tables[0].equals(tables[1])


def test_two_workers_match_the_reference(tmp_path, repo_data, pgn_reference):
    generate(pgn_config(repo_data), tmp_path / "two", workers=2)
    assert pq.read_table(shard_paths(tmp_path / "two")).equals(pgn_reference)


def test_ray_backend_gives_the_same_rows(tmp_path, repo_data, pgn_reference):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        report = generate(pgn_config(repo_data), tmp_path / "ray", workers=2, backend="ray")
    finally:
        ray.shutdown()
    assert report.backend == "ray" and report.workers == 2
    assert pq.read_table(shard_paths(tmp_path / "ray")).equals(pgn_reference)


def test_gumbel_labels_store_the_improved_policy(tmp_path):
    config = GenerateConfig(positions=8, budgets=(4, 16), search=SearchParams(gumbel=True),
                            sources=(SourceSpec("random"),), max_plies=20)
    generate(config, tmp_path / "gumbel", workers=1)
    table = load_dataset(tmp_path / "gumbel")
    assert table.schema == dataset_schema(gumbel=True)
    assert table.schema.field("improved_policy").type == pa.list_(pa.float32())
    row = table.to_pylist()[3]  # budget 16: one search of its own, as mcts:sims=16,gumbel=true
    result = MCTS(SearchParams(gumbel=True)).search(Position(row["fen"]), sims=16, reuse=False)
    assert result.improved_policy.tolist() == row["improved_policy"]
    assert validate_dataset(tmp_path / "gumbel", recheck=3) == []


def test_sources_run_out(tmp_path):
    book = tmp_path / "two.epd"
    book.write_text("8/8/8/8/8/8/1Q6/K6k w - - 0 1\n8/8/8/8/8/8/1R6/K6k b - - 0 1\n")
    report = generate(GenerateConfig(positions=10, budgets=(4,), sources=(SourceSpec.parse(f"epd:{book}"),)),
                      tmp_path / "out", workers=1)
    assert report.positions == 2 and report.exhausted and report.complete
    assert validate_dataset(tmp_path / "out") == []


def test_bad_lines_are_counted_or_named(tmp_path):
    book = tmp_path / "book.epd"
    book.write_text("# two good lines, one bad\n8/8/8/8/8/8/1Q6/K6k w - - 0 1\nnot a fen\n"
                    "8/8/8/8/8/8/1R6/K6k b - - 0 1\n")
    config = GenerateConfig(positions=2, budgets=(4,), sources=(SourceSpec.parse(f"epd:{book}"),))
    report = generate(config, tmp_path / "skip", workers=1)
    assert report.positions == 2 and report.skipped["bad line"] == 1
    assert report.bad_lines == [f"{book} line 3: expected 'w' or 'b' for turn part of fen: 'not a fen'"]
    assert read_manifest(tmp_path / "skip")["counts"]["bad_lines"] == report.bad_lines
    with pytest.raises(DatasetError, match=r"book.epd line 3: .*--bad-lines skip"):
        generate(GenerateConfig(**{**config.__dict__, "bad_lines": "error"}), tmp_path / "error", workers=1)
    assert not (tmp_path / "error").exists()  # checked before anything is written


def test_bad_games_are_counted_or_named(tmp_path):
    pgn = tmp_path / "games.pgn"
    pgn.write_text('[Result "1-0"]\n\n1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0\n\n'
                   '[Result "*"]\n\n1. e4 e4 *\n\n'  # line 5: an illegal reply
                   '[Result "0-1"]\n\n1. f3 e5 2. g4 Qh4# 0-1\n')
    config = GenerateConfig(positions=50, budgets=(4,), sources=(SourceSpec.parse(f"pgn:{pgn}"),))
    report = generate(config, tmp_path / "skip", workers=1)
    assert report.exhausted and report.positions == 7 + 4 - 1  # the start position once
    assert report.skipped == {"bad game": 1, "duplicate": 1}
    assert "games.pgn line 5: unreadable game" in report.bad_lines[0]
    results = load_dataset(tmp_path / "skip", columns=["fen", "result"]).to_pylist()
    assert [row["result"] for row in results[:2]] == [1, -1]  # White won the first game
    with pytest.raises(DatasetError, match=r"games.pgn line 5: unreadable game"):
        generate(GenerateConfig(**{**config.__dict__, "bad_lines": "error"}), tmp_path / "error", workers=1)


def test_config_errors():
    with pytest.raises(DatasetError, match="'x' in '16,x'"):
        parse_budgets("16,x")
    with pytest.raises(DatasetError, match="'0'"):
        parse_budgets("0,16")
    with pytest.raises(DatasetError, match="needs a file"):
        SourceSpec.parse("pgn")
    with pytest.raises(DatasetError, match="sample rate"):
        GenerateConfig(positions=1, sample_rate=0)


def test_tasks_take_turns_between_sources(repo_data):
    config = pgn_config(repo_data, sources=(SourceSpec("selfplay"),
                                              SourceSpec.parse(f"epd:{repo_data / 'tactics/wac.epd'}")))
    plan = TaskPlan(config)
    turns = [(plan.task(i).source, plan.task(i).number) for i in range(26)]
    assert turns[:4] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert [number for source, number in turns if source == 1] == list(range(10))  # 300 lines / 32
    assert turns[20:] == [(0, number) for number in range(10, 16)]  # then selfplay alone


def test_a_position_without_history_is_its_fen():
    rng = np.random.default_rng(0)
    for _ in range(20):
        game = Position()
        for _ in range(60):
            if game.status() != "ongoing":
                break
            assert without_history(game) == Position(game.fen())
            moves = game.legal_moves()
            game.push(int(moves[rng.integers(len(moves))]))
