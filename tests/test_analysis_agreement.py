"""Agreement with the searcher: hand-made cases, and end to end on a tiny generated dataset with an
independent reference, where ``mcts:sims=B`` must reproduce its own budget-B labels exactly and a
trained student is scored only on games it never saw; the commands that read a dataset
(agreement, equivalence, probes) through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from chessmesa.analysis.agreement import position_agreement, run_agreement
from chessmesa.analysis.equivalence import search_equivalence
from chessmesa.analysis.label_reader import Label, load_labels
from chessmesa.analysis.students import StudentOutput
from chessmesa.cli import main

MOVES = ["e2e4", "d2d4", "g1f3"]
BUDGETS = (4, 16)
REFERENCE = 64


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from chessmesa.datasets import GenerateConfig, generate

    out = tmp_path_factory.mktemp("agreement") / "data"
    generate(GenerateConfig(positions=60, budgets=BUDGETS, seed=0, max_plies=10, holdout=0.5,
                            reference=REFERENCE), out, workers=1)
    return str(out)


def _label(policy, best, value=0.0, q=(0.3, 0.1, -0.2), visited=(True, True, True)):
    return Label(16, np.array(policy, dtype=float), best, MOVES[best], value, [], np.array(q),
                 np.array(visited))


def _student(policy, move=None, value=0.0):
    policy = None if policy is None else np.array(policy, dtype=float)
    move = move or MOVES[int(np.argmax(policy))]
    return StudentOutput(move, MOVES, policy, value)


def test_hand_computed_position_metrics():
    row = position_agreement(_student([0.5, 0.25, 0.25]), _label([0.5, 0.5, 0.0], 0), MOVES)
    assert row["top1_tied"] == 1.0 and row["top1_strict"] == 1.0 and row["top3"] == 1.0
    assert row["xent_bits"] == pytest.approx(1.5) and row["kl_bits"] == pytest.approx(0.5)
    assert row["reference_entropy_bits"] == 1.0 and row["student_entropy_bits"] == 1.5
    assert row["confidence"] == 0.5 and row["q_regret"] == 0.0
    miss = position_agreement(_student([0.1, 0.2, 0.7]), _label([0.8, 0.2, 0.0], 0), MOVES)
    assert miss["top1_tied"] == 0.0 and miss["top3"] == 1.0 and miss["kendall_tau"] == -1.0  # every pair reversed
    assert miss["q_regret"] == pytest.approx(0.5)  # 0.3 for e2e4 against -0.2 for g1f3


def test_q_regret_counts_an_untried_move_as_the_worst_tried_and_kl_against_the_teacher():
    reference = _label([0.7, 0.3, 0.0], 0, q=(0.4, 0.0, 0.9), visited=(True, True, False))
    row = position_agreement(_student([0.1, 0.1, 0.8]), reference, MOVES,
                             teacher=_label([0.1, 0.1, 0.8], 2))
    assert row["q_regret"] == pytest.approx(0.4)  # g1f3 untried: the lowest tried Q, 0.0
    assert row["kl_teacher_bits"] == pytest.approx(0.0) and row["kl_bits"] > 1


def test_ties_count_as_agreement_and_the_solver_move_stands_alone():
    tied = _label([0.4, 0.4, 0.2], 0)
    row = position_agreement(_student([0.2, 0.7, 0.1]), tied, MOVES)
    assert row["top1_tied"] == 1.0 and row["top1_strict"] == 0.0  # each under its own name
    # the solver plays a proven win with few visits: only that move is best
    proven = _label([0.6, 0.3, 0.1], 2)
    assert position_agreement(_student([0.6, 0.3, 0.1]), proven, MOVES)["top1_tied"] == 0.0
    assert position_agreement(_student([0.6, 0.3, 0.1], move="g1f3"), proven, MOVES)["top1_tied"] == 1.0


def test_a_student_naming_only_its_move_gets_top1_alone():
    row = position_agreement(_student(None, move="d2d4"), _label([0.2, 0.8, 0.0], 1), MOVES)
    assert row["top1_tied"] == 1.0 and np.isnan(row["kl_bits"]) and np.isnan(row["top3"])


@pytest.mark.parametrize("budget", BUDGETS)
def test_mcts_reproduces_its_own_labels_exactly(dataset, budget):
    labels = load_labels(dataset, split="all")
    result = run_agreement(f"mcts:sims={budget}", labels)
    own = result["budgets"][str(budget)]
    assert own["n"] == 60
    assert own["top1_tied"] == 1.0 and own["top1_strict"] == 1.0 and own["top3"] == 1.0
    assert own["kl_bits"] == 0.0 and own["kendall_tau"] == 1.0
    assert own["value_mse"] < 1e-12  # labels store the value as float32
    other = result["budgets"][str(BUDGETS[0] if budget == BUDGETS[1] else BUDGETS[1])]
    assert other["kl_bits"] > 0.1
    # training games have no reference search: the result says it is scored against itself
    assert result["reference"]["kind"] == "self" and result["split"]["split"] == "all"


def test_the_held_out_split_is_scored_against_the_independent_reference(dataset):
    labels = load_labels(dataset)
    assert labels.split["split"] == "validation" and labels.reference_budget == REFERENCE
    assert all(p.reference is not None for p in labels.positions) and 0 < len(labels.positions) < 60
    result = run_agreement("mcts:sims=16", labels)
    assert result["reference"] == labels.reference_info() and result["reference"]["kind"] == "independent"
    assert result["strata"]["all"]["top1_tied"] < 1.0  # not its own snapshot
    assert result["strata"]["all"]["games"] == labels.split["games"]


def test_a_student_trained_on_half_the_games_is_scored_only_on_the_other_half(dataset, tmp_path):
    from chessmesa.datasets import load_dataset
    from chessmesa.datasets.split import held_out
    from chessmesa.nn.train import TrainConfig, train

    run = tmp_path / "half"
    train(TrainConfig(data=dataset, teacher_budget=16, steps=3, batch_size=8, val_fraction=0.4), run)
    rows = load_dataset(dataset, budget=16, columns=["position_id", "source", "game_id"]).to_pylist()
    unseen = {r["position_id"] for r, h in zip(rows, held_out([r["source"] for r in rows],
                                                              [r["game_id"] for r in rows], 0.4)) if h}
    result = CliRunner().invoke(main, ["analyze", "agreement", "--engine", f"policy:ckpt={run}",
                                       "--data", dataset, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["split"]["split"] == "validation" and data["split"]["student_holdout"] == 0.4
    assert data["split"]["student_recorded_split"] and data["teacher_budget"] == 16
    scored = {p.position_id for p in load_labels(dataset, students=[f"policy:ckpt={run}"]).positions}
    assert scored and scored <= unseen and data["positions"] == len(scored)
    trained = {p.position_id for p in load_labels(dataset, split="train", students=[f"policy:ckpt={run}"]).positions}
    assert trained and not trained & unseen


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
    assert found["student_agreement"] == found["curve"]["4"]
    assert found["self_agreement_curve"]["16"] == 1.0
    assert found["student_minus_searcher"]["4"]["difference"] == 0.0


def test_policy_student_from_a_saved_network(dataset, tmp_path):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    result = run_agreement(f"policy:ckpt={tmp_path}", load_labels(dataset, split="all", limit=12))
    summary = result["budgets"]["16"]
    assert summary["n"] == 12 and 0 <= summary["top1_tied"] <= summary["top3"] <= 1
    assert summary["kl_bits"] > 0 and summary["value_mse"] is not None
    assert summary["calibration"]["count"].sum() == 12


def test_cli_agreement_json_plot_and_bad_input(dataset, tmp_path):
    runner = CliRunner()
    plot, out = tmp_path / "agreement.png", tmp_path / "agreement.json"
    result = runner.invoke(main, ["analyze", "agreement", "--engine", "greedy", "--data", dataset,
                                  "--json", "--plot", str(plot), "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["budgets"]) == {"4", "16"} and data["config"]["student"] == "greedy"
    row = data["budgets"]["16"]
    assert {"top1_tied", "top1_strict", "q_regret", "top3", "kl_bits", "xent_bits", "kendall_tau",
            "value_mse", "n", "games"} <= row.keys()
    assert row["kl_bits"] is None and 0 <= row["top1_tied"] <= 1
    assert set(data["strata"]) == {"all", "decided", "undecided"}
    assert plot.stat().st_size > 10_000 and json.loads(out.read_text()) == data
    for args, named in ((["--data", str(tmp_path / "nowhere")], "nowhere"),
                        (["--data", dataset, "--budgets", "5"], "budget 5"),
                        (["--data", dataset, "--budgets", "x"], "--budgets"),
                        (["--data", dataset, "--split", "nope"], "nope")):
        bad = runner.invoke(main, ["analyze", "agreement", "--engine", "greedy", *args])
        assert bad.exit_code == 2 and named in bad.output and "Traceback" not in bad.output
    bad_spec = runner.invoke(main, ["analyze", "agreement", "--engine", "mcts:simz=4", "--data", dataset])
    assert bad_spec.exit_code == 2 and "simz" in bad_spec.output
    no_ckpt = runner.invoke(main, ["analyze", "agreement", "--engine", f"policy:ckpt={tmp_path}/none",
                                   "--data", dataset])
    assert no_ckpt.exit_code == 2 and "none" in no_ckpt.output


def test_cli_equivalence_and_probes_on_the_dataset(dataset, tmp_path):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    runner = CliRunner()
    result = runner.invoke(main, ["analyze", "equivalence", "--engine", "mcts:sims=4", "--data", dataset,
                                  "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["search"]["student_agreement"] == data["search"]["curve"]["4"] and data["elo"] is None
    assert data["config"]["metric"] == "top1_tied" and data["search"]["budget_ci"] is not None
    bad = runner.invoke(main, ["analyze", "equivalence", "--engine", "greedy", "--data", dataset,
                               "--elo", "--ladder-sims", "1,x"])
    assert bad.exit_code == 2 and "--ladder-sims" in bad.output

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    probes = runner.invoke(main, ["analyze", "probes", "--run", str(tmp_path), "--data", dataset,
                                  "--json", "--plot", str(tmp_path / "probes.png")])
    assert probes.exit_code == 0, probes.output
    data = json.loads(probes.output)
    assert set(data["targets"]) == {"material", "in_check", "hanging", "mobility"}
    assert data["planes"]["input"].keys() == data["targets"].keys()
    assert data["students"][0]["trained"].keys() == data["students"][0]["control"].keys()
    assert (tmp_path / "probes.png").stat().st_size > 10_000
    missing = runner.invoke(main, ["analyze", "probes", "--run", str(tmp_path / "nope"), "--data", dataset])
    assert missing.exit_code == 2 and "nope" in missing.output
