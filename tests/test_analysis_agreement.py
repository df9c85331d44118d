"""Agreement with the searcher's labels: hand-made cases, and end to end on a tiny generated
dataset, where ``mcts:sims=B`` must reproduce its own budget-B labels exactly; the commands that
read a dataset (agreement, equivalence, probes) through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from chessmesa.analysis.agreement import position_agreement, run_agreement
from chessmesa.analysis.equivalence import search_equivalence
from chessmesa.analysis.labels import Label, load_labels
from chessmesa.analysis.students import StudentOutput
from chessmesa.cli import main

MOVES = ["e2e4", "d2d4", "g1f3"]
BUDGETS = (4, 16)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from chessmesa.datasets import GenerateConfig, generate

    out = tmp_path_factory.mktemp("agreement") / "data"
    generate(GenerateConfig(positions=30, budgets=BUDGETS, seed=0), out, workers=1)
    return str(out)


def _label(policy, best, value=0.0):
    return Label(16, np.array(policy, dtype=float), best, MOVES[best], value, [])


def _student(policy, move=None, value=0.0):
    policy = None if policy is None else np.array(policy, dtype=float)
    move = move or MOVES[int(np.argmax(policy))]
    return StudentOutput(move, MOVES, policy, value)


def test_hand_computed_position_metrics():
    row = position_agreement(_student([0.5, 0.25, 0.25]), _label([0.5, 0.5, 0.0], 0), MOVES)
    assert row["top1"] == 1.0 and row["top3"] == 1.0
    assert row["xent_bits"] == pytest.approx(1.5) and row["kl_bits"] == pytest.approx(0.5)
    assert row["teacher_entropy_bits"] == 1.0 and row["student_entropy_bits"] == 1.5
    assert row["confidence"] == 0.5
    miss = position_agreement(_student([0.1, 0.2, 0.7]), _label([0.8, 0.2, 0.0], 0), MOVES)
    assert miss["top1"] == 0.0 and miss["top3"] == 1.0 and miss["kendall_tau"] == -1.0  # every pair reversed


def test_ties_count_as_agreement_and_the_solver_move_stands_alone():
    tied = _label([0.4, 0.4, 0.2], 0)
    assert position_agreement(_student([0.2, 0.7, 0.1]), tied, MOVES)["top1"] == 1.0
    # the solver plays a proven win with few visits: only that move is best
    proven = _label([0.6, 0.3, 0.1], 2)
    assert position_agreement(_student([0.6, 0.3, 0.1]), proven, MOVES)["top1"] == 0.0
    assert position_agreement(_student([0.6, 0.3, 0.1], move="g1f3"), proven, MOVES)["top1"] == 1.0


def test_a_student_naming_only_its_move_gets_top1_alone():
    row = position_agreement(_student(None, move="d2d4"), _label([0.2, 0.8, 0.0], 1), MOVES)
    assert row["top1"] == 1.0 and np.isnan(row["kl_bits"]) and np.isnan(row["top3"])


@pytest.mark.parametrize("budget", BUDGETS)
def test_mcts_reproduces_its_own_labels_exactly(dataset, budget):
    result = run_agreement(f"mcts:sims={budget}", load_labels(dataset))
    own = result["budgets"][str(budget)]
    assert own["n"] == 30
    assert own["top1"] == 1.0 and own["top3"] == 1.0
    assert own["kl_bits"] == 0.0 and own["kendall_tau"] == 1.0
    assert own["value_mse"] < 1e-12  # labels store the value as float32
    other = result["budgets"][str(BUDGETS[0] if budget == BUDGETS[1] else BUDGETS[1])]
    assert other["kl_bits"] > 0.1


def test_load_labels_limit_is_a_seeded_sample(dataset):
    labels = load_labels(dataset, [16], limit=10, seed=1)
    ids = [p.position_id for p in labels.positions]
    assert len(ids) == 10 and ids == sorted(ids) and labels.budgets == [16]
    assert ids == [p.position_id for p in load_labels(dataset, [16], limit=10, seed=1).positions]
    assert ids != [p.position_id for p in load_labels(dataset, [16], limit=10, seed=2).positions]
    with pytest.raises(ValueError, match="budget 5 not in dataset"):
        load_labels(dataset, [5])


def test_search_equivalence_of_the_searcher_itself(dataset):
    found = search_equivalence("mcts:sims=4", load_labels(dataset))
    assert found["curve"]["16"] == 1.0 and found["student_agreement"] == found["curve"]["4"]
    assert found["budget"] == 4.0 and found["out_of_range"] is None


def test_policy_student_from_a_saved_network(dataset, tmp_path):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    result = run_agreement(f"policy:ckpt={tmp_path}", load_labels(dataset, limit=12))
    summary = result["budgets"]["16"]
    assert summary["n"] == 12 and 0 <= summary["top1"] <= summary["top3"] <= 1
    assert summary["kl_bits"] > 0 and summary["value_mse"] is not None
    assert summary["calibration"]["count"].sum() == 12


def test_cli_agreement_json_plot_and_bad_input(dataset, tmp_path):
    runner = CliRunner()
    plot, out = tmp_path / "agreement.png", tmp_path / "agreement.json"
    result = runner.invoke(main, ["analyze", "agreement", "--student", "greedy", "--data", dataset,
                                  "--json", "--plot", str(plot), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["budgets"]) == {"4", "16"} and data["config"]["student"] == "greedy"
    row = data["budgets"]["16"]
    assert {"top1", "top3", "kl_bits", "xent_bits", "kendall_tau", "value_mse", "n"} <= row.keys()
    assert row["kl_bits"] is None and 0 <= row["top1"] <= 1
    assert plot.stat().st_size > 10_000 and json.loads(out.read_text()) == data
    for args, named in ((["--data", str(tmp_path / "nowhere")], "nowhere"),
                        (["--data", dataset, "--budgets", "5"], "budget 5"),
                        (["--data", dataset, "--budgets", "x"], "--budgets")):
        bad = runner.invoke(main, ["analyze", "agreement", "--student", "greedy", *args])
        assert bad.exit_code == 2 and named in bad.output and "Traceback" not in bad.output
    bad_spec = runner.invoke(main, ["analyze", "agreement", "--student", "mcts:simz=4", "--data", dataset])
    assert bad_spec.exit_code == 2 and "simz" in bad_spec.output
    no_ckpt = runner.invoke(main, ["analyze", "agreement", "--student", f"policy:ckpt={tmp_path}/none",
                                   "--data", dataset])
    assert no_ckpt.exit_code == 2 and "none" in no_ckpt.output


def test_cli_equivalence_and_probes_on_the_dataset(dataset, tmp_path):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    runner = CliRunner()
    result = runner.invoke(main, ["analyze", "equivalence", "--student", "mcts:sims=4", "--data", dataset,
                                  "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["search"]["budget"] == 4.0 and data["elo"] is None and data["config"]["metric"] == "top1"
    bad = runner.invoke(main, ["analyze", "equivalence", "--student", "greedy", "--data", dataset,
                               "--elo", "--elo-budgets", "1,x"])
    assert bad.exit_code == 2 and "--elo-budgets" in bad.output

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    probes = runner.invoke(main, ["analyze", "probes", "--student", str(tmp_path), "--data", dataset,
                                  "--json", "--plot", str(tmp_path / "probes.png")])
    assert probes.exit_code == 0, probes.output
    data = json.loads(probes.output)
    assert {"material", "pv2_to@16", "pv3_to@4"} <= data["targets"].keys()
    assert data["students"][0]["trained"].keys() == data["students"][0]["control"].keys()
    assert (tmp_path / "probes.png").stat().st_size > 10_000
    missing = runner.invoke(main, ["analyze", "probes", "--student", str(tmp_path / "nope"), "--data", dataset])
    assert missing.exit_code == 2 and "nope" in missing.output
