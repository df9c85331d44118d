"""Command-line behaviour shared by every command: exit codes, one-line errors, JSON output."""

import json
import subprocess
import sys

import pytest


def run_cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chessmesa.cli", *args], capture_output=True,
                          text=True, input=input, timeout=300)


def test_search_json_reports_move_sims_and_seconds():
    result = run_cli("search", "startpos", "--sims", "300", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["sims"] == 300 and sum(report["visits"]) == 300
    assert report["best_move"] in report["moves"] and report["seconds"] > 0


def test_search_finds_mate_in_one_from_the_command_line():
    report = json.loads(run_cli("search", "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1", "--sims", "10",
                                "--json").stdout)
    assert report["best_move"] == "a1a8" and report["proven"] == "win"


@pytest.mark.parametrize("args,needle", [
    (("search", "startpos", "--sims", "10", "--engine", "nope"), "unknown engine 'nope'"),
    (("search", "startpos", "--sims", "10", "--engine", "mcts:cpuct=abc"), "cpuct"),
    (("search", "8/8/8/8 w - - 0 1", "--sims", "10"), "invalid FEN"),
    (("solve", "--epd", "missing.epd", "--engine", "mcts"), "missing.epd"),
    (("match", "random", "nope", "--games", "2"), "nope"),
    (("match", "random", "random", "--games", "2", "--tc", "fast"), "bad time control 'fast'"),
    (("perft", "--epd", "missing.epd"), "missing.epd"),
])
def test_bad_input_is_one_line_with_exit_2(args, needle):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr


def test_solve_json_counts_solved_positions(tmp_path):
    suite = tmp_path / "mates.epd"
    suite.write_text('6k1/5ppp/8/8/8/8/8/R5K1 w - - bm Ra8#; id "m1";\n'
                     '6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - bm Rd8#; id "m2";\n')
    report = json.loads(run_cli("solve", "--epd", str(suite), "--engine", "mcts:sims=20", "--json").stdout)
    assert report["solved"] == report["total"] == 2
    assert [r["id"] for r in report["results"]] == ["m1", "m2"]


def test_perft_suite_mismatch_exits_1(tmp_path):
    suite = tmp_path / "wrong.epd"
    suite.write_text("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1; D1 20; D2 401\n")
    result = run_cli("perft", "--epd", str(suite), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["mismatches"] == [{"fen": "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
                                     "depth": 2, "expected": 401, "nodes": 400}]


def test_match_json_has_the_contract_fields():
    report = json.loads(run_cli("match", "mcts:sims=30", "random", "--games", "2", "--json").stdout)
    for key in ("wins", "draws", "losses", "pentanomial", "elo", "elo_ci"):
        assert key in report
    assert report["wins"] + report["draws"] + report["losses"] == 2 and len(report["pentanomial"]) == 5


def test_bench_json_is_faster_than_python_chess():
    report = json.loads(run_cli("bench", "--sims", "2000", "--json").stdout)
    assert report["perft_ratio"] > 10 and report["mcts_sims_per_s"] > 1000


def test_a_failure_inside_the_work_exits_1_with_its_cause_and_bad_input_still_exits_2(monkeypatch, tmp_path):
    """A ValueError raised deep inside a match is not the user's mistake: exit 1, the cause in
    one line and the file holding the traceback; a bad value given on the command line: exit 2."""
    from click.testing import CliRunner

    import chessmesa.play.match
    from chessmesa.cli import main

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(chessmesa.play.match, "run_match", broken)
    runner = CliRunner()
    failed = runner.invoke(main, ["match", "random", "random", "--games", "2"])
    assert failed.exit_code == 1, failed.output
    line = failed.output.strip().splitlines()[-1]
    assert "ValueError: operands could not be broadcast together" in line and "traceback in" in line
    traceback_file = line.rsplit("traceback in ", 1)[1].rstrip(")")
    assert "in broken" in open(traceback_file).read()
    odd = runner.invoke(main, ["match", "random", "random", "--games", "3"])
    assert odd.exit_code == 2 and "even number" in odd.output
    both = runner.invoke(main, ["demo", "--quick", "--smoke", "--out", str(tmp_path / "demo")])
    assert both.exit_code == 2 and "--quick and --smoke" in both.output
