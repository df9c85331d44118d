"""The compute frontier: sweep runs read from their files, and the exchange-rate fit recovering
planted coefficients."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from chessmesa.analysis.frontier import frontier, read_sweep
from chessmesa.analysis.plots import save_plot
from chessmesa.cli import main

INTERCEPT, TRAIN_SLOPE, ELO_SLOPE = 9.0, -0.6, 0.004
SIMS = (1, 8, 32)


def _write_sweep(folder, forward_flops=(1e6, 4e6)):
    """Runs for two teacher budgets, three training computes, two model sizes."""
    for teacher in (16, 64):
        for model, forward in zip(("tiny", "small"), forward_flops):
            for exponent in (12, 13, 14):
                run = folder / f"t{teacher}-{model}-{exponent}"
                run.mkdir(parents=True)
                (run / "config.json").write_text(json.dumps({"teacher_budget": teacher, "model": model}))
                (run / "metrics.json").write_text(json.dumps(
                    {"final": {"train_flops": 10.0**exponent, "val_top1_strict": 0.1 * exponent - 1.0,
                               "forward_flops": forward}}))
    (folder / "notes.json").write_text("not json")  # skipped


def _planted_elo(runs, noise=0.0, seed=0):
    """Elo such that log10 test = INTERCEPT + TRAIN_SLOPE * log10 train + ELO_SLOPE * Elo (+ noise)."""
    rng = np.random.default_rng(seed)
    elo = {}
    for run in runs:
        for sims in SIMS:
            log_test = np.log10(sims * run.forward_flops)
            elo[run.player_name(sims)] = ((log_test - INTERCEPT - TRAIN_SLOPE * np.log10(run.train_flops))
                                          / ELO_SLOPE + rng.normal(0, noise))
    return elo


def test_read_sweep_finds_runs_in_nested_files(tmp_path):
    _write_sweep(tmp_path)
    runs = read_sweep(tmp_path)
    assert len(runs) == 12 and {run.teacher_budget for run in runs} == {16, 64}
    first = runs[0]
    assert first.train_flops == 1e12 and first.teacher_agreement == pytest.approx(0.2)
    assert first.forward_flops in (1e6, 4e6) and first.model in ("tiny", "small")
    assert first.player_spec(1).startswith("policy:ckpt=") and "netmcts:" in first.player_spec(8)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no runs"):
        read_sweep(empty)


@pytest.mark.parametrize("noise, tolerance", [(0.0, 1e-9), (5.0, 0.05)])
def test_fit_recovers_planted_exchange_rate(tmp_path, noise, tolerance):
    _write_sweep(tmp_path)
    runs = read_sweep(tmp_path)
    result = frontier(runs, _planted_elo(runs, noise), SIMS)
    fit = result["fit"]
    assert len(result["points"]) == 12 * len(SIMS)
    assert fit["train_slope"] == pytest.approx(TRAIN_SLOPE, abs=tolerance)
    assert fit["elo_slope"] == pytest.approx(ELO_SLOPE, rel=tolerance)
    assert fit["intercept"] == pytest.approx(INTERCEPT, abs=tolerance * 20)
    assert result["runs"][0]["elo"] is not None
    plot = tmp_path / "frontier.png"
    save_plot({"analysis": "frontier", **result}, plot)
    assert plot.stat().st_size > 10_000


def test_frontier_without_elo_has_no_fit_and_cli_works(tmp_path):
    _write_sweep(tmp_path / "sweep")
    result = frontier(read_sweep(tmp_path / "sweep"))
    assert result["fit"] is None and result["points"] == []
    runner = CliRunner()
    ok = runner.invoke(main, ["analyze", "frontier", str(tmp_path / "sweep"), "--games-per-pair", "0",
                              "--json", "--plot", str(tmp_path / "f.png")])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["analysis"] == "frontier" and len(data["runs"]) == 12 and data["config"]["games_per_pair"] == 0
    assert (tmp_path / "f.png").stat().st_size > 0
    missing = runner.invoke(main, ["analyze", "frontier", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "nope" in missing.output


def test_cli_frontier_reads_saved_ratings(tmp_path):
    _write_sweep(tmp_path / "sweep")
    runs = read_sweep(tmp_path / "sweep")
    planted = _planted_elo(runs)
    ratings = tmp_path / "tournament.json"
    ratings.write_text(json.dumps({"players": [{"name": n, "rating": r} for n, r in planted.items()],
                                   "anchor": runs[0].name}))
    result = CliRunner().invoke(main, ["analyze", "frontier", str(tmp_path / "sweep"), "--ratings",
                                       str(ratings), "--test-sims", ",".join(map(str, SIMS)), "--json"])
    assert result.exit_code == 0, result.output
    fit = json.loads(result.output)["fit"]
    assert fit["train_slope"] == pytest.approx(TRAIN_SLOPE) and fit["elo_slope"] == pytest.approx(ELO_SLOPE)
    ratings.write_text("{}")
    bad = CliRunner().invoke(main, ["analyze", "frontier", str(tmp_path / "sweep"), "--ratings", str(ratings)])
    assert bad.exit_code == 2 and "tournament.json" in bad.output


def test_real_runs_are_scored_on_the_common_reference_and_charged_for_their_labels(tmp_path, one_torch_thread):
    from chessmesa.analysis.frontier import agreement_frontier, score_runs
    from chessmesa.datasets import GenerateConfig, generate
    from chessmesa.nn.train import TrainConfig, train

    data = tmp_path / "data"
    generate(GenerateConfig(positions=80, budgets=(4, 16), max_plies=10, holdout=0.4, reference=64, seed=1),
             data, workers=1)
    for budget, steps in ((4, 2), (16, 6)):
        train(TrainConfig(data=str(data), teacher_budget=budget, steps=steps, batch_size=16),
              tmp_path / "sweep" / f"b{budget}")
    runs = score_runs(read_sweep(tmp_path / "sweep"))
    for run in runs:
        assert 0 <= run.agreement <= 1  # tie-aware top-1 against the 64-simulation reference
        assert run.label_simulations == run.train_positions * run.teacher_budget
        assert run.label_seconds > 0 and run.total_seconds > run.train_seconds
    # the budget-16 labels cost four times the budget-4 ones, over the same training positions
    assert runs[1].label_simulations == 4 * runs[0].label_simulations
    front = agreement_frontier(runs)
    assert front["runs"] and set(front["runs"]) <= {run.name for run in runs}
