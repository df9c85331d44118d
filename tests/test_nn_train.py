"""Distillation: real learning, the validation split, exact resume, the train and sweep commands."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from chessmesa.core import Position, move_to_uci
from chessmesa.datasets import GenerateConfig, generate, load_dataset
from chessmesa.nn import load_network
from chessmesa.nn.checkpoint import CHECKPOINT_FILE, MODEL_FILE
from chessmesa.nn.samples import load_samples, samples_from_table
from chessmesa.nn.train import LOG_FILE, SNAPSHOTS, TrainConfig, learning_rate, snapshot_step, train

CLI = [sys.executable, "-m", "chessmesa.cli"]
BUDGETS = (4, 16)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """300 self-play positions (games of 24 plies, 30% of them held out) at budgets 4 and 16."""
    out = tmp_path_factory.mktemp("data") / "data"
    generate(GenerateConfig(positions=300, budgets=BUDGETS, seed=0, max_plies=24, holdout=0.3),
             str(out), workers=1)
    return out


def config(data, **changes) -> TrainConfig:
    fields = dict(data=str(data), teacher_budget=16, steps=12, batch_size=32, eval_every=4,
                  checkpoint_every=4, log_every=2)
    return TrainConfig(**{**fields, **changes})


def test_a_tiny_model_overfits_200_positions(dataset, tmp_path):
    table = load_dataset(dataset, budget=16).slice(0, 200)
    samples = samples_from_table(table)
    run = tmp_path / "overfit"
    train(config(dataset, steps=300, batch_size=64, lr=3e-3, target="best", val_fraction=0.0,
                 eval_every=300, checkpoint_every=300, log_every=50), run, samples=samples)
    network = load_network(run)
    positions = [Position(fen) for fen in table.column("fen").to_pylist()]
    probabilities, _ = network.policy_value(positions)
    played = [move_to_uci(int(p.legal_moves()[np.argmax(q)])) for p, q in zip(positions, probabilities)]
    agreement = np.mean(np.array(played) == np.array(table.column("best_move").to_pylist()))
    assert agreement > 0.95
    # the untrained network agrees with the teacher far less: this is learning
    with torch.random.fork_rng():
        from chessmesa.nn import random_init_like

        untrained = random_init_like(network).policy_value(positions)[0]
    chance = np.mean([move_to_uci(int(p.legal_moves()[np.argmax(q)])) == best for p, q, best in
                      zip(positions, untrained, table.column("best_move").to_pylist())])
    assert chance < 0.5


def test_the_q_head_learns_the_teachers_action_values(dataset, tmp_path):
    """Trained with ``q_weight``, the Q head fits the teacher's Q of the visited moves far better
    than an untrained head, and a ``policy:select=q`` player plays its argmax."""
    table = load_dataset(dataset, budget=16).slice(0, 200)
    samples = samples_from_table(table)
    run = tmp_path / "q"
    train(config(dataset, steps=300, batch_size=64, lr=3e-3, q_weight=1.0, val_fraction=0.0,
                 eval_every=300, checkpoint_every=300, log_every=50), run, samples=samples)
    network = load_network(run)
    positions = [Position(fen) for fen in table.column("fen").to_pylist()]
    visited = [np.array(v) > 0 for v in table.column("visits").to_pylist()]
    teacher = [np.array(q)[known] for q, known in zip(table.column("q").to_pylist(), visited)]

    def mse(net) -> float:
        predicted = net.answers(positions)[2]
        return float(np.mean(np.concatenate([(p[known] - q) ** 2 for p, known, q in zip(predicted, visited, teacher)])))

    from chessmesa.nn import random_init_like

    trained, untrained = mse(network), mse(random_init_like(network))
    assert trained < 0.5 * untrained, (trained, untrained)

    from chessmesa.play.players import make_player

    # the raw argmax of each head (rules=false): with the root rules a mate in one would overrule both
    by_q, by_policy = make_player(f"policy:ckpt={run},select=q,rules=false"), make_player(f"policy:ckpt={run},rules=false")
    _, _, action_values = network.answers(positions)
    expected = [move_to_uci(int(p.legal_moves()[np.argmax(q)])) for p, q in zip(positions, action_values)]
    assert [a.best_move for a in by_q.analyse(positions)] == expected
    assert [a.best_move for a in by_policy.analyse(positions)] != expected  # the heads rank differently
    by_q.close()
    by_policy.close()


def test_no_game_is_in_both_splits_at_any_budget(dataset):
    splits = {}
    for budget in BUDGETS:
        train_set, val_set = load_samples(dataset, budget).split(0.3)
        assert len(val_set) > 10 and len(train_set) > 100
        assert not set(train_set.games.tolist()) & set(val_set.games.tolist())
        splits[budget] = set(val_set.games.tolist())
    assert splits[4] == splits[16]  # a game is held out at every budget or at none
    # the dataset's own split column is the same rule at the dataset's fraction
    rows = load_dataset(dataset, budget=16, columns=["game_id", "split"]).to_pylist()
    _, at_holdout = load_samples(dataset, 16).split(0.3)
    held = {row["game_id"] for row in rows if row["split"] == "validation"}
    assert len(at_holdout) == sum(row["split"] == "validation" for row in rows) and held


def test_a_run_records_its_split_and_holds_out_whole_games(dataset, tmp_path):
    train(config(dataset, val_fraction=0.5), tmp_path / "half")
    split = json.loads((tmp_path / "half" / "config.json").read_text())["split"]
    assert split["by"] == "game" and split["fraction"] == 0.5
    assert split["dataset"]["path"] == str(dataset.resolve())
    assert split["train_games"] > 0 and split["validation_games"] > 0


def test_sharpened_targets_lie_between_the_visits_and_the_best_move(dataset):
    samples = load_samples(dataset, 16)
    visits, best = samples.policy_target("visits"), samples.policy_target("best")
    sharp = samples.policy_target("sharpen:0.3")
    assert np.allclose(sharp.sum(axis=1), 1.0, atol=1e-5)
    assert (sharp.max(axis=1) >= visits.max(axis=1) - 1e-6).all()  # sharper than the visits
    assert (sharp.max(axis=1) < best.max(axis=1)).any()  # and softer than the one-hot
    assert np.allclose(samples.policy_target("sharpen:1"), visits, atol=1e-6)
    with pytest.raises(ValueError, match="unknown target 'sharpen:x'"):
        samples.policy_target("sharpen:x")


def test_resume_takes_exactly_the_steps_of_an_uninterrupted_run(dataset, tmp_path):
    samples = load_samples(dataset, 16)
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    train(config(dataset), whole, samples=samples)

    def crash_after_step_6(step, total, info):
        if step == 6:
            raise KeyboardInterrupt  # killed between checkpoints (the last one was at step 4)

    with pytest.raises(KeyboardInterrupt):
        train(config(dataset), broken, samples=samples, on_progress=crash_after_step_6)
    with pytest.raises(ValueError, match="--resume"):
        train(config(dataset), broken, samples=samples)
    with pytest.raises(ValueError, match="cannot resume.*lr"):
        train(config(dataset, lr=1e-4), broken, resume=True, samples=samples)
    metrics = train(config(dataset), broken, resume=True, samples=samples)

    first = load_network(whole).model.state_dict()
    second = load_network(broken).model.state_dict()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert metrics["steps"] == 12 and metrics["samples"] == 12 * 32

    def losses(run):
        with open(run / LOG_FILE, newline="") as file:
            return [(row["step"], row["loss"], row["val_top1_strict"]) for row in csv.DictReader(file)]

    assert losses(whole) == losses(broken)
    assert train(config(dataset), broken, resume=True, samples=samples) == metrics  # finished


def test_snapshots_keep_the_model_along_training_and_the_last_is_the_final_model(dataset, tmp_path):
    samples = load_samples(dataset, 16)
    train(config(dataset, snapshot_every=6), tmp_path / "run", samples=samples)
    kept = sorted((tmp_path / "run" / SNAPSHOTS).iterdir())
    assert [snapshot_step(path) for path in kept] == [6, 12]
    first, last, final = (load_network(path).model.state_dict() for path in (*kept, tmp_path / "run"))
    assert all(torch.equal(last[name], final[name]) for name in final)
    assert not all(torch.equal(first[name], final[name]) for name in final)
    with pytest.raises(ValueError, match="snapshot_every"):
        config(dataset, snapshot_every=-1)


def test_learning_rate_warms_up_then_decays():
    schedule = config("d", steps=100, warmup=0.1)
    rates = [learning_rate(step, 100, schedule) for step in range(100)]
    assert rates[0] < rates[5] < rates[9] == pytest.approx(schedule.lr)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:]))
    assert rates[-1] == pytest.approx(schedule.lr * schedule.min_lr_ratio)


def test_train_command_reports_metrics_and_compute(dataset, tmp_path):
    run = tmp_path / "run"
    result = subprocess.run(CLI + ["train", "--data", str(dataset), "--teacher-budget", "4", "--model",
                                   "tiny", "--epochs", "1", "--batch-size", "64", "--out", str(run),
                                   "--target", "visits", "--threads", "1", "--json"],
                            capture_output=True, text=True, check=True)
    metrics = json.loads(result.stdout)
    for key in ("val_top1_strict", "val_kl_bits", "train_flops", "seconds", "samples", "parameters"):
        assert metrics[key] is not None, key
    assert metrics["steps"] == -(-metrics["train_positions"] // 64)
    assert metrics["train_flops"] == 3 * metrics["forward_flops"] * metrics["samples"]
    assert 0 <= metrics["val_top1_strict"] <= 1 and metrics["val_kl_bits"] > 0
    config_file = json.loads((run / "config.json").read_text())
    assert config_file["model"]["name"] == "tiny" and config_file["train"]["teacher_budget"] == 4
    assert (run / MODEL_FILE).exists() and (run / CHECKPOINT_FILE).exists()


def test_train_again_from_a_runs_config_with_overrides(dataset, tmp_path):
    first = tmp_path / "first"
    base = CLI + ["train", "--threads", "1", "--json"]
    subprocess.run(base + ["--data", str(dataset), "--teacher-budget", "16", "--steps", "6", "--batch-size", "32",
                           "--target", "best", "--out", str(first)], capture_output=True, text=True, check=True)
    again, reseeded = tmp_path / "again", tmp_path / "reseeded"
    subprocess.run(base + ["--config", str(first), "--out", str(again)], capture_output=True, text=True, check=True)
    subprocess.run(base + ["--config", str(first / "config.json"), "--seed", "1", "--epochs", "0.1",
                           "--out", str(reseeded)], capture_output=True, text=True, check=True)
    saved = {run: json.loads((run / "config.json").read_text())["train"] for run in (first, again, reseeded)}
    assert saved[again] == saved[first]  # every field, the target and batch size included
    assert (saved[reseeded]["seed"], saved[reseeded]["steps"], saved[reseeded]["epochs"]) == (1, None, 0.1)
    assert saved[reseeded]["target"] == "best" and saved[reseeded]["teacher_budget"] == 16
    weights = {run: load_network(run).model.state_dict() for run in (first, again)}
    assert all(torch.equal(weights[first][name], weights[again][name]) for name in weights[first])


@pytest.mark.parametrize("arguments, message", [
    (["--data", "{tmp}/missing", "--teacher-budget", "4", "--steps", "1"], "no dataset"),
    (["--data", "{data}", "--teacher-budget", "5", "--steps", "1"], "budget 5"),
    (["--data", "{data}", "--teacher-budget", "4", "--steps", "1", "--model", "huge"], "model size 'huge'"),
    (["--data", "{data}", "--teacher-budget", "4"], "steps or epochs"),
    (["--data", "{data}", "--teacher-budget", "4", "--steps", "1", "--target", "improved"], "improved"),
    (["--teacher-budget", "4", "--steps", "1"], "missing --data"),
    (["--data", "{data}", "--steps", "1"], "missing --teacher-budget"),
    (["--config", "{data}"], "cannot read a run's training config"),
])
def test_train_command_bad_input_is_one_line_and_exit_2(dataset, tmp_path, arguments, message):
    arguments = [a.format(tmp=tmp_path, data=dataset) for a in arguments]
    result = subprocess.run(CLI + ["train", "--out", str(tmp_path / "run")] + arguments,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_resuming_a_corrupt_checkpoint_is_bad_input(dataset, tmp_path):
    run = tmp_path / "run"

    def crash(step, total, info):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config(dataset, steps=4, checkpoint_every=2), run, on_progress=crash)
    (run / CHECKPOINT_FILE).write_bytes(b"broken")
    result = subprocess.run(CLI + ["train", "--data", str(dataset), "--teacher-budget", "16", "--steps",
                                   "4", "--batch-size", "32", "--out", str(run), "--resume"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "corrupt checkpoint" in result.stderr


def test_sweep_trains_the_grid_once_and_resumes_by_skipping(dataset, tmp_path):
    arguments = CLI + ["sweep", "--data", str(dataset), "--teacher-budgets", "4,16", "--models", "tiny",
                       "--steps", "3,6", "--batch-size", "32", "--out", str(tmp_path / "sweep"), "--threads", "1",
                       "--json"]
    first = json.loads(subprocess.run(arguments, capture_output=True, text=True, check=True).stdout)
    assert [(r["teacher_budget"], r["steps"]) for r in first] == [(4, 3), (4, 6), (16, 3), (16, 6)]
    summary = json.loads((tmp_path / "sweep" / "summary.json").read_text())
    assert summary["runs"] == first
    again = json.loads(subprocess.run(arguments, capture_output=True, text=True, check=True).stdout)
    assert again == first  # finished runs are read back, not retrained


def test_runs_in_two_processes_match_runs_in_one(dataset, tmp_path):
    from safetensors.numpy import load_file

    from chessmesa.nn.parallel import train_runs

    jobs = [(config(dataset, teacher_budget=budget), tmp_path / f"{where}-{budget}")
            for where in ("serial", "parallel") for budget in BUDGETS]
    steps = []
    serial = train_runs(jobs[:2], workers=1)
    parallel = train_runs(jobs[2:], workers=2, on_step=lambda index, step, total: steps.append((index, step)))
    assert [m["val_kl_bits"] for m in serial] == [m["val_kl_bits"] for m in parallel]
    for (_, one), (_, two) in zip(jobs[:2], jobs[2:]):
        first, second = load_file(one / MODEL_FILE), load_file(two / MODEL_FILE)
        assert all(np.array_equal(first[name], second[name]) for name in first)
    assert {(index, 12) for index in (0, 1)} <= set(steps)


def test_a_warm_start_begins_from_the_given_weights_and_refuses_another_model(dataset, tmp_path):
    train(config(dataset, steps=4), tmp_path / "first")
    train(config(dataset, steps=1, lr=1e-12, init=str(tmp_path / "first")), tmp_path / "warm")
    train(config(dataset, steps=1, lr=1e-12), tmp_path / "cold")
    # the weights, not the batch-norm statistics (which one training step moves whatever the lr)
    first, warm, cold = (dict(load_network(tmp_path / name).model.named_parameters())
                         for name in ("first", "warm", "cold"))
    assert all(torch.allclose(first[key], warm[key], atol=1e-6) for key in first)
    assert not all(torch.allclose(first[key], cold[key], atol=1e-6) for key in first)
    with pytest.raises(ValueError, match="cannot start from"):
        train(config(dataset, steps=1, model="small", init=str(tmp_path / "first")), tmp_path / "other")
