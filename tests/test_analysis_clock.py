"""Strength against time per move: entrants, pairings, the break-even time, move times, and a
small run through the command line (resumed, and refused in a folder of another run)."""

from __future__ import annotations

import json

import chess
import numpy as np
import pytest
from click.testing import CliRunner

from chessmesa.analysis import clock
from chessmesa.analysis.clock import break_even, crossing, entrants, pairings
from chessmesa.cli import main
from chessmesa.play.match import GameRecord


def test_a_searching_player_enters_at_every_limit_it_can_take():
    found = entrants(["mcts", "stockfish:skill=1", "random"], [0.3, 1, 10])
    assert [(e.name, e.limit_ms) for e in found] == [
        ("mcts@0.3ms", 0.3), ("mcts@1ms", 1), ("mcts@10ms", 10),
        ("stockfish:skill=1@1ms", 1), ("stockfish:skill=1@10ms", 10),  # UCI's movetime is whole ms
        ("random", None)]
    assert found[0].spec.options["movetime"] == 0.3 and found[3].spec.options["movetime"] == 1
    assert [(a.name, b.name) for a, b in pairings(found)] == [
        ("mcts@0.3ms", "mcts@1ms"), ("mcts@1ms", "mcts@10ms"),
        ("stockfish:skill=1@1ms", "mcts@1ms"), ("stockfish:skill=1@10ms", "mcts@10ms"),
        ("random", "mcts@0.3ms"), ("random", "mcts@1ms"), ("random", "mcts@10ms")]
    with pytest.raises(ValueError, match="searching player"):
        entrants(["random", "greedy"], [1])


def test_the_crossing_is_interpolated_in_log_time_and_its_interval_covers_it():
    limits = [1.0, 10.0, 100.0]
    assert crossing(limits, np.array([0.0, 200.0, 400.0]), 100.0) == ("found", pytest.approx(10 ** 0.5))
    ratings = np.array([0.0, 200.0, 400.0, 100.0])  # the reference at three limits, then the player
    rng = np.random.default_rng(0)
    samples = ratings + rng.normal(0, 30, size=(400, 4)) * np.array([0, 1, 1, 1])
    verdict = break_even(3, [0, 1, 2], limits, ratings, samples)
    assert verdict["status"] == "found"
    low, high = verdict["limit_ci_ms"]
    assert 1 < low < verdict["limit_ms"] < high < 10
    weaker = break_even(3, [0, 1, 2], limits, np.array([0.0, 200.0, 400.0, -100.0]), samples - [0, 0, 0, 200])
    assert weaker["status"] == "never" and weaker["gap_at_shortest_elo"] == -100
    assert weaker["limit_ci_ms"] == [None, None] or weaker["limit_ci_ms"][0] is None


def test_each_players_move_times_are_its_own():
    record = GameRecord(0, 0, "w", "b", True, "8/8/8/4k3/8/8/8/4K3 b - - 0 1", "1/2-1/2", "x", "normal", 3, "",
                        (0.1, 0.2, 0.3))
    assert record.seconds_of("b") == [0.1, 0.3] and record.seconds_of("w") == [0.2]  # Black moved first
    assert record.seconds_of("nobody") == []


def test_a_small_clock_run_resumes_and_refuses_another_configuration(tmp_path, monkeypatch):
    out = tmp_path / "clock"
    args = ["analyze", "clock", "mcts", "random", "--limits", "0.5,2", "--games-per-pair", "2",
            "--out", str(out), "--max-moves", "30", "--workers", "1", "--json"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    by_name = {row["name"]: row for row in summary["entrants"]}
    assert set(by_name) == {"mcts@0.5ms", "mcts@2ms", "random"}
    assert by_name["random"]["wdl"][0] == 0  # random wins nothing against a searcher
    assert by_name["mcts@2ms"]["move_time"]["moves"] > 0 and by_name["random"]["limit_ms"] is None
    assert summary["break_even"][0]["player"] == "random" and summary["break_even"][0]["status"] == "never"
    assert (out / "elo-vs-time.png").stat().st_size > 0 and len(list((out / "games").iterdir())) == 3

    def no_games(*args, **kwargs):
        raise AssertionError("a resumed run plays no finished pairing again")

    monkeypatch.setattr(clock, "run_match", no_games)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and json.loads(again.output)["entrants"] == summary["entrants"]
    other = CliRunner().invoke(main, [*args[:5], "0.5,3", *args[6:]])
    assert other.exit_code == 2 and "limits_ms" in other.output


@pytest.mark.parametrize("args, message", [
    (["mcts", "--limits", "0,1"], "--limits"),
    (["mcts", "--games-per-pair", "3"], "even"),
    (["random", "greedy"], "searching player"),
    (["mcts:nosuchkey=1"], "nosuchkey"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = CliRunner().invoke(main, ["analyze", "clock", *args, "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and message in result.output, result.output
