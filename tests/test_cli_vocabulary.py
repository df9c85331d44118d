"""One name per idea on the command line: the old names still work (hidden, with a note), --json-out
writes its file, play starts from --fen under --tc, uci --help lists the engine's options."""

import json

import chess.pgn
import pytest
from click.testing import CliRunner

from chessmesa.cli import main

MATE_IN_ONE = "6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_old_worker_option_still_works_with_a_note_and_is_hidden():
    result = invoke("match", "random:seed=1", "random:seed=2", "--games", "2", "--tc", "nodes=1",
                    "--concurrency", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["games"] == 2
    assert "--concurrency is deprecated; use --workers" in result.stderr
    shown = invoke("match", "--help").output
    assert "--workers" in shown and "--concurrency" not in shown


def test_old_and_new_name_together_are_refused():
    result = invoke("match", "random", "random", "--games", "2", "--workers", "1", "--concurrency", "1")
    assert result.exit_code == 2 and "--concurrency is the old name of --workers" in result.output


@pytest.mark.parametrize("args,reached", [
    # a value under the old name reaches the new parameter: the error is about its value, not a missing option
    (("analyze", "agreement", "--student", "mcts:simz=4", "--data", "nowhere"), "simz"),
    (("analyze", "probes", "--student", "no-such-run", "--data", "nowhere"), "no such checkpoint 'no-such-run'"),
    (("analyze", "equivalence", "--engine", "greedy", "--data", "nowhere", "--elo", "--elo-budgets", "1,x"),
     "bad --ladder-sims '1,x'"),
    (("iterate", "--out", "nowhere", "--generations", "1", "--positions", "10", "--budget", "8",
      "--ray-address", "auto"), "needs --backend ray"),
])
def test_old_names_reach_the_renamed_parameters(args, reached):
    result = invoke(*args)
    assert result.exit_code == 2 and reached in result.output and "Missing option" not in result.output
    assert "is deprecated; use --" in result.stderr


def test_json_out_writes_the_result_and_out_still_does_with_a_note(tmp_path, repo_data):
    puzzles = str(repo_data / "puzzles" / "lichess_puzzles.csv")
    for option, note in (("--json-out", False), ("--out", True)):
        path = tmp_path / f"{option.strip('-')}.json"
        result = invoke("analyze", "puzzles", "--engine", "random", "--puzzles", puzzles, "--limit", "2",
                        "--json", option, str(path))
        assert result.exit_code == 0, result.output
        assert json.loads(path.read_text()) == json.loads(result.stdout)
        assert ("--out is deprecated; use --json-out" in result.stderr) == note


def test_play_starts_from_the_fen(tmp_path):
    pgn = tmp_path / "game.pgn"
    result = invoke("play", "--engine", "random", "--fen", MATE_IN_ONE, "--tc", "movetime=5",
                    "--pgn-out", str(pgn), input="Rd8#\n")
    assert result.exit_code == 0, result.output
    assert "Game over: 1-0" in result.output
    game = chess.pgn.read_game(pgn.open())
    assert game.headers["FEN"] == MATE_IN_ONE and [m.uci() for m in game.mainline_moves()] == ["d1d8"]


@pytest.mark.parametrize("args,needle", [
    (("--fen", "8/8/8 w - - 0 1"), "invalid FEN"),
    (("--tc", "fast"), "bad time control 'fast'"),
])
def test_play_refuses_a_bad_fen_or_time_control_in_one_line(args, needle):
    result = invoke("play", "--engine", "random", *args, input="")
    assert result.exit_code == 2 and needle in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_uci_help_lists_the_engine_options_with_an_example():
    shown = invoke("uci", "--help").output
    assert "option name Hash type spin" in shown and "option name cpuct type string" in shown
    assert "cutechess-cli -engine" in shown and "arg=uci" in shown
