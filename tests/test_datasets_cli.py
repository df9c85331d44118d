"""``chessmesa generate`` and ``chessmesa dataset``: kill and resume, Ctrl-C, bad input, exit codes."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chessmesa.cli import main
from chessmesa.datasets import (
    GenerateConfig, SourceSpec, generate, read_manifest, shard_paths, validate_dataset,
)

CLI = [sys.executable, "-m", "chessmesa.cli"]


def pgn_args(repo_data, out, positions=1200):
    """A run long enough (a few seconds) to be stopped after its first shard."""
    return ["generate", "--out", str(out), "--positions", str(positions), "--budgets", "16,32,64",
            "--source", f"pgn:{repo_data / 'games/lichess_2021-10_sample.pgn'}", "--skip-plies", "4",
            "--sample-rate", "0.5", "--shard-size", "50", "--seed", "5"]


def committed_shards(out) -> int:
    try:
        return len(json.loads((out / "_manifest.json").read_text())["shards"])
    except (OSError, ValueError):  # not written yet (it is replaced atomically: never half)
        return 0


def start_and_stop_after_first_shard(args, out, stop_signal) -> subprocess.Popen:
    """Start the CLI in its own process group; send ``stop_signal`` to the whole group (workers
    included, as a terminal does) once the manifest lists a first shard."""
    process = subprocess.Popen([*CLI, *args], start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not committed_shards(out):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no shard after 120 s"
        time.sleep(0.005)
    os.killpg(process.pid, stop_signal)
    process.wait(timeout=60)
    return process


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_sigkill_then_resume_gives_exactly_n_valid_positions(tmp_path, repo_data):
    out = tmp_path / "killed"
    start_and_stop_after_first_shard([*pgn_args(repo_data, out), "--workers", "1"], out, signal.SIGKILL)
    manifest = read_manifest(out)
    assert not manifest["complete"] and 0 < manifest["counts"]["positions"] < 1200
    resumed = subprocess.run([*CLI, "generate", "--out", str(out), "--resume", "--workers", "2", "--json"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["positions"] == 1200
    assert validate_dataset(out) == []
    # the same rows as a run that was never killed
    config = GenerateConfig(positions=1200, budgets=(16, 32, 64), skip_plies=4, sample_rate=0.5,
                            shard_size=50, seed=5, sources=(SourceSpec.parse(
                                f"pgn:{repo_data / 'games/lichess_2021-10_sample.pgn'}"),))
    generate(config, tmp_path / "whole", workers=2)
    assert pq.read_table(shard_paths(out)).equals(pq.read_table(shard_paths(tmp_path / "whole")))


def test_ctrl_c_stops_after_saving_a_shard(tmp_path, repo_data):
    out = tmp_path / "stopped"
    process = start_and_stop_after_first_shard([*pgn_args(repo_data, out, 5000), "--workers", "2"],
                                               out, signal.SIGINT)
    stderr = process.stderr.read()
    assert process.returncode == 130, stderr
    assert "continue with: chessmesa generate" in process.stdout.read() and "Traceback" not in stderr
    problems = validate_dataset(out)
    assert len(problems) == 1 and problems[0].startswith("incomplete:")


def test_a_non_empty_out_is_refused_and_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("generate", "--out", tmp_path, "--positions", 5, "--source", "random")
    assert result.exit_code == 2 and "use --resume" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    result = invoke("generate", "--out", tmp_path, "--positions", 5, "--resume")
    assert result.exit_code == 2 and "holds no dataset to resume" in result.stderr


@pytest.mark.parametrize("args,needle", [
    (("--budgets", "16,abc"), "budgets must be positive integers: 'abc' in '16,abc'"),
    (("--budgets", "16,0"), "'0'"),
    (("--budgets", "16,16"), "budget 16 given twice"),
    (("--source", "pgn:missing.pgn"), "cannot read source file"),
    (("--source", "tablebase"), "unknown source 'tablebase'"),
    (("--source", "epd"), "needs a file"),
    (("--engine", "mcts:sims=50"), "set sims with --budgets"),
    (("--engine", "random"), "labels come from the mcts or netmcts searcher"),
    (("--engine", "mcts:cpuct=abc"), "cpuct"),
])
def test_bad_input_is_one_line_with_exit_2(tmp_path, args, needle):
    result = invoke("generate", "--out", tmp_path / "out", "--positions", 5, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_lines_error_names_the_line(tmp_path):
    book = tmp_path / "book.fen"
    book.write_text("8/8/8/8/8/8/1Q6/K6k w - - 0 1\n8/8/8/8/8/8/8/K7 w - - 0 1\n")
    result = invoke("generate", "--out", tmp_path / "out", "--positions", 1, "--source", f"fen:{book}",
                    "--bad-lines", "error")
    assert result.exit_code == 2 and "book.fen line 2: invalid FEN" in result.stderr
    assert "no black king" in result.stderr


def test_missing_positions_is_bad_input(tmp_path):
    result = invoke("generate", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "missing --positions" in result.stderr


def test_info_and_validate(tmp_path):
    out = tmp_path / "data"
    result = invoke("generate", "--out", out, "--positions", 12, "--budgets", "4,8", "--source", "random",
                    "--workers", 1, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["positions"] == 12
    info = json.loads(invoke("dataset", "info", out, "--json").stdout)
    assert info["per_budget"] == {"4": 12, "8": 12} and info["per_source"] == {"random": 12}
    assert info["config"]["seed"] == 0 and info["bytes"] > 0
    assert "12 of 12" in invoke("dataset", "info", out).stdout
    assert invoke("dataset", "validate", out, "--recheck", 3).exit_code == 0
    shard = out / "part-00000.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])
    result = invoke("dataset", "validate", out, "--json")
    assert result.exit_code == 1 and not json.loads(result.stdout)["valid"]
    missing = invoke("dataset", "info", tmp_path / "nope")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    # a damaged dataset is not resumed
    again = invoke("generate", "--out", out, "--resume")
    assert again.exit_code == 2 and "changed since it was written" in again.stderr
