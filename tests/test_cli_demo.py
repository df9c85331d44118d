"""The demo in its smallest form: a newcomer's first command must keep working end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import chessmesa


@pytest.mark.slow
def test_smoke_demo_writes_summary_and_report_and_resumes(tmp_path):
    out = tmp_path / "demo"
    command = [sys.executable, "-m", "chessmesa.cli", "demo", "--smoke", "--out", str(out), "--json"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    students = summary["students"]
    assert [(s["teacher_budget"], s["model"], s["target"]) for s in students] == [
        (1, "tiny", "best"), (16, "tiny", "best"), (64, "tiny", "best"), (64, "tiny", "visits")]
    for student in students:
        assert student["train_flops"] > 0 and student["train_samples"] > 0
        agreement = student["agreement"]["all"]
        assert 0 <= agreement["top1_strict"] <= agreement["top1_tied"] <= 1 and agreement["n"] > 0
        low, high = agreement["top1_tied_ci"]
        assert low <= agreement["top1_tied"] <= high
        assert student["elo"] is not None and 0 <= student["puzzle_first_move_accuracy"] <= 1
        assert sum(student["against_random"][k] for k in ("wins", "draws", "losses")) == 2
        duel = student["duel"]  # against the anchor alone, its own match
        assert sum(duel[k] for k in ("wins", "draws", "losses")) == 4 and 0 <= duel["score"] <= 1
    # scored against the independent reference: even the top budget is not scored against itself
    assert summary["reference"]["kind"] == "independent" and summary["reference"]["budget"] == 128
    curve = {int(b): v for b, v in summary["searcher"]["all"]["agreement"].items()}
    assert curve[64] < 1.0
    assert summary["searcher"]["all"]["self_agreement"]["64"] == 1.0  # kept, under its own name
    assert summary["split"]["split"] == "validation" and summary["split"]["games"] >= 1
    html = (out / "report.html").read_text()
    assert "<img" in html and "base64" in html and (out / "headline.png").stat().st_size > 10_000
    assert "Duels: each student against mcts-1" in html
    assert html.index("The answer") < html.index("Tournament") < html.index("Strength against time per move")
    clock = summary["clock"]  # every student at its own speed against mcts at 1 and 3 ms a move
    assert clock["limits_ms"] == [1, 3] and {v["player"] for v in clock["break_even"]} == {s["name"] for s in students}
    assert all(s["clock"]["status"] in ("found", "never", "beyond") for s in students)
    for student in students:  # look-ahead on 8 puzzles: a verdict per student, whatever it finds
        verdict = student["lookahead"]
        assert verdict["square"] == "move3" and isinstance(verdict["found"], bool)
        assert verdict["probe"]["trained"] is None or 0 <= verdict["probe"]["trained"] <= 1
    training = json.loads((out / "results" / "lookahead-training.json").read_text())
    assert [s["step"] for s in training["students"]] == [20, 40]  # the traced student's halves
    assert "Look-ahead" in html

    # a second run, of the shipped smoke file named by --config, finds every stage done
    shipped = Path(chessmesa.__file__).parent / "configs" / "smoke.toml"
    again = subprocess.run([*command[:4], "--config", str(shipped), *command[5:]], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["students"] == students


def test_demo_refuses_a_folder_of_another_configuration(tmp_path):
    (tmp_path / "demo-config.json").write_text(json.dumps({"positions": 1}))
    result = subprocess.run([sys.executable, "-m", "chessmesa.cli", "demo", "--smoke", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "another configuration" in result.stderr


@pytest.mark.slow
def test_an_edited_run_file_runs_and_a_bad_one_is_refused(tmp_path):
    run = tmp_path / "run.toml"
    run.write_text("\n".join([
        "positions = 200", "budgets = [1, 8, 32]", "teacher_budgets = [8]", 'models = ["tiny"]', "steps = 20",
        "puzzles = 10", "tournament_budgets = [1]", "games_per_pair = 2", "reference = 64", "holdout = 0.3",
        "duel_games = 2"]))
    command = [sys.executable, "-m", "chessmesa.cli", "demo", "--config", str(run), "--out", str(tmp_path / "d"), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert [s["name"] for s in summary["students"]] == ["tiny-b8", "tiny-b8-visits"]
    assert summary["config"]["budgets"] == [1, 8, 32] and summary["clock"] is None

    run.write_text(run.read_text() + "\nbatch_size = 3\n")
    refused = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "unknown key(s) batch_size" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("changes, message", [
    ({"lookahead_puzzles": 3}, "lookahead_puzzles 3 must be 0"),
    ({"lookahead_puzzles": 8, "lookahead_snapshots": 41}, "lookahead_snapshots 41 must lie between 0 and steps"),
    ({"lookahead_probe_puzzles": 7}, "lookahead_probe_puzzles 7 must be 8 or more"),
])
def test_look_ahead_sizes_a_run_cannot_take_are_named(changes, message):
    from chessmesa.experiment import DemoConfig, mode_config

    smoke = {key: list(value) if isinstance(value, tuple) else value
             for key, value in mode_config("smoke").__dict__.items()}
    with pytest.raises(ValueError, match=message):
        DemoConfig.from_dict({**smoke, **changes})
