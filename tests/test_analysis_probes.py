"""Linear probes: a planted linear feature is found, a random one is not; the concept targets."""

from __future__ import annotations

import math

import chess
import numpy as np
import pytest

from chessmesa.analysis.probes import (
    CLASSIFICATION, REGRESSION, Target, baseline, concept_targets, fit_probe,
    principal_features, probe_layers, split_positions,
)

N, D = 600, 40


@pytest.fixture
def features():
    return np.random.default_rng(0).normal(size=(N, D))


def test_planted_class_is_found_and_random_class_is_not(features):
    train, test = split_positions(N, seed=0)
    planted = (features @ np.linspace(-1, 1, D) > 0).astype(int)
    random_labels = np.random.default_rng(1).integers(0, 2, N)
    assert fit_probe(features, planted, CLASSIFICATION, train, test) > 0.9
    assert fit_probe(features, random_labels, CLASSIFICATION, train, test) < 0.65


def test_planted_many_class_target_with_undefined_rows(features):
    train, test = split_positions(N, seed=0)
    squares = np.argmax(features[:, :8], axis=1)  # 8 classes, linear-ish in the features
    squares[::10] = -1  # undefined: left out
    assert fit_probe(features, squares, CLASSIFICATION, train, test) > 0.6  # chance: 1/8


def test_planted_regression_is_found_and_noise_is_not(features):
    train, test = split_positions(N, seed=0)
    planted = features[:, 2] * 3 - features[:, 5] + 0.1 * np.random.default_rng(2).normal(size=N)
    assert fit_probe(features, planted, REGRESSION, train, test) > 0.95
    noise = np.random.default_rng(3).normal(size=N)
    assert fit_probe(features, noise, REGRESSION, train, test) < 0.1


def test_probe_layers_ranks_an_informative_layer_above_noise(features):
    train, test = split_positions(N, seed=0)
    target = Target("planted", CLASSIFICATION, (features[:, 0] > 0).astype(int))
    # the informative layer hides the feature in a wide random embedding, as a network layer would
    embedding = np.random.default_rng(4).normal(size=(D, 300))
    layers = {"informative": features @ embedding,
              "noise": np.random.default_rng(5).normal(size=(N, 300))}
    scores = probe_layers(layers, [target], train, test)
    assert scores["informative"]["planted"] > 0.9 > 0.65 > scores["noise"]["planted"]
    assert principal_features(layers["noise"], train).shape == (N, 300)  # the rows' span


def test_split_is_disjoint_and_seeded():
    train, test = split_positions(100, seed=7)
    assert not set(train) & set(test) and len(train) + len(test) == 100
    assert np.array_equal(test, split_positions(100, seed=7)[1])
    assert not np.array_equal(test, split_positions(100, seed=8)[1])


def test_split_by_game_keeps_each_game_on_one_side():
    games = np.repeat(np.arange(20), 5)
    train, test = split_positions(100, seed=3, games=games)
    assert not set(games[train]) & set(games[test]) and len(train) + len(test) == 100
    assert 15 <= len(test) <= 35


def test_concept_targets():
    boards = [chess.Board(), chess.Board("4k3/8/8/3n4/8/8/8/3RK3 w - - 0 1"),
              chess.Board("4k3/8/8/8/8/8/4r3/4K3 w - - 0 1")]
    targets = {t.name: t for t in concept_targets(boards)}
    assert targets["material"].values.tolist() == [0, 2, -5]
    assert targets["in_check"].values.tolist() == [0, 0, 1]
    assert targets["hanging"].values.tolist() == [0, 1, 1]
    assert targets["mobility"].values.tolist() == [20, boards[1].legal_moves.count(), 3]
    assert baseline(targets["material"], np.arange(2), np.arange(2, 3)) == 0.0


def _searched_labels(count: int, budget: int = 32):
    """Positions along seeded random games, labelled by a fresh search (no dataset needed)."""
    from chessmesa.analysis.label_reader import Label, LabelledPosition, LabelSet
    from chessmesa.core import Position
    from chessmesa.search import MCTS

    from tests.conftest import random_game_boards

    boards = [board.copy() for seed in range(count) for board in random_game_boards(seed, 40)
              if board.ply() == 10 + seed % 20 and not board.is_game_over()]
    searcher, positions = MCTS(), []
    for i, board in enumerate(boards):
        result = searcher.search(Position(board.fen()), sims=budget, reuse=False)
        label = Label(budget, result.root_policy(), result.moves.index(result.best_move),
                      result.best_move, result.root_value, result.pv, result.q, result.visits > 0)
        positions.append(LabelledPosition(i, board.fen(), result.moves, {budget: label}, game=i // 3))
    return LabelSet("searched", [budget], positions, {})


def test_run_probes_on_a_saved_network_and_its_control(tmp_path):
    from chessmesa.analysis.probes import run_probes
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    labels = _searched_labels(60)
    result = run_probes([str(tmp_path)], labels, seed=0)
    student = result["students"][0]
    assert set(result["targets"]) == {"material", "in_check", "hanging", "mobility"}
    assert list(student["trained"]) == list(student["control"]) and "block1" in student["trained"]
    assert result["planes"]["input"].keys() == result["targets"].keys()  # the input-plane control
    assert result["positions"]["train"] + result["positions"]["test"] == len(labels.positions)
    metrics = {name: target["metric"] for name, target in result["targets"].items()}
    for layers in (student["trained"], student["control"], result["planes"]):
        for scores in layers.values():
            assert scores.keys() == metrics.keys()
            for name, score in scores.items():  # every probe fitted and scored on its own scale
                assert math.isfinite(score), (name, score)
                assert 0 <= score <= 1 if metrics[name] == "accuracy" else score <= 1, (name, score)
