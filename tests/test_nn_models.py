"""Models, checkpoints, the inference API, and the network engine kinds ``policy`` and ``netmcts``."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
import sys

import chess
import numpy as np
import pytest
import torch

from chessmesa.core import Position
from chessmesa.nn import MODEL_SIZES, Network, build_model, load_network, random_init_like
from chessmesa.nn.checkpoint import MODEL_FILE, save_model
from chessmesa.nn.models import forward_flops, parameter_count
from chessmesa.nn.moves import move_index
from chessmesa.nn.planes import PLANES, encode_positions
from chessmesa.play.players import Limit, make_player
from chessmesa.play.specs import SpecError
from chessmesa.search import MCTS
from conftest import random_game_boards

CLI = [sys.executable, "-m", "chessmesa.cli"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny(seed: int = 0) -> Network:
    torch.manual_seed(seed)
    return Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A run folder holding a (randomly initialised) tiny network."""
    run = tmp_path_factory.mktemp("run")
    network = tiny(seed=1)
    save_model(run / MODEL_FILE, network.model, network.config)
    return run


def some_positions(count: int) -> list[Position]:
    boards = [board.copy() for seed in range(4) for board in random_game_boards(seed, 60)]
    return [Position.from_board(board) for board in boards[:: max(1, len(boards) // count)]][:count]


@pytest.mark.parametrize("size", list(MODEL_SIZES))
def test_every_size_maps_planes_to_policy_logits_a_value_and_action_values(size):
    model = build_model(MODEL_SIZES[size]).eval()
    logits, values, action_values = model(torch.randn(3, PLANES, 8, 8))
    assert logits.shape == (3, 73 * 64) and values.shape == (3,) and action_values is None
    assert values.abs().max() <= 1
    with_q = build_model(replace(MODEL_SIZES[size], action_values=True)).eval()
    _, _, action_values = with_q(torch.randn(3, PLANES, 8, 8))
    assert action_values.shape == logits.shape and action_values.abs().max() <= 1
    # the head is an addition: the rest of the model starts from the same weights
    torch.manual_seed(0)
    plain = build_model(MODEL_SIZES[size]).state_dict()
    torch.manual_seed(0)
    headed = build_model(replace(MODEL_SIZES[size], action_values=True)).state_dict()
    assert all(torch.equal(plain[key], headed[key]) for key in plain)
    assert forward_flops(model) > 2 * parameter_count(model) * 0.5  # at least a multiply-add per weight


def test_sizes_grow_in_parameters_and_flops():
    resnets = [build_model(MODEL_SIZES[size]) for size in ("tiny", "small", "medium")]
    counts = [parameter_count(m) for m in resnets]
    flops = [forward_flops(m) for m in resnets]
    assert counts == sorted(counts) and flops == sorted(flops) and counts[0] < 100_000


def test_save_and_load_give_identical_outputs(checkpoint):
    positions = some_positions(24)
    saved = tiny(seed=1)
    loaded = load_network(checkpoint)
    (saved_policy, saved_values), (loaded_policy, loaded_values) = (
        saved.policy_value(positions), loaded.policy_value(positions))
    assert all(np.array_equal(a, b) for a, b in zip(saved_policy, loaded_policy))
    np.testing.assert_array_equal(saved_values, loaded_values)
    assert loaded.config == MODEL_SIZES["tiny"]
    assert load_network(checkpoint / MODEL_FILE).parameters == saved.parameters


def test_select_q_needs_an_action_value_head(checkpoint):
    from chessmesa.play.players import make_player
    from chessmesa.play.specs import SpecError

    with pytest.raises(SpecError, match="needs a network with an action-value head"):
        make_player(f"policy:ckpt={checkpoint},select=q")
    with pytest.raises(SpecError, match="unknown select='value'"):
        make_player(f"policy:ckpt={checkpoint},select=value")


def test_missing_or_corrupt_checkpoints_are_one_line_errors(tmp_path, checkpoint):
    with pytest.raises(ValueError, match="checkpoint not found"):
        load_network(tmp_path / "nothing")
    (tmp_path / "garbage.safetensors").write_bytes(b"\x00not a safetensors file")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes((checkpoint / MODEL_FILE).read_bytes()[:-100])
    other = tmp_path / "other.safetensors"
    save_model(other, build_model(MODEL_SIZES["small"]), MODEL_SIZES["tiny"])  # weights don't fit
    for path in (tmp_path / "garbage.safetensors", truncated, other):
        with pytest.raises(ValueError, match="corrupt checkpoint") as error:
            load_network(path)
        assert "\n" not in str(error.value)
    # a student of an older encoding: named as such, not as corrupt
    from safetensors.torch import load_file, save_file

    old = tmp_path / "old.safetensors"
    metadata = {"chessmesa.model": json.dumps(MODEL_SIZES["tiny"].to_dict())}
    save_file(load_file(checkpoint / MODEL_FILE), old, metadata=metadata)
    with pytest.raises(ValueError, match=f"reads 21 input planes, this chessmesa encodes {PLANES}"):
        load_network(old)



def test_policy_value_is_aligned_with_the_legal_moves():
    torch.manual_seed(0)
    config = replace(MODEL_SIZES["tiny"], action_values=True)
    network = Network(build_model(config), config)
    positions = some_positions(16)
    probabilities, values, action_values = network.answers(positions)
    logits, raw_values, raw_action_values = network.forward(encode_positions(positions))
    for i, position in enumerate(positions):
        side = int(position.st[0])
        legal = position.legal_moves()
        columns = [move_index(int(m), side) for m in legal]
        row = logits[i, columns]
        expected = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        np.testing.assert_allclose(probabilities[i], expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(action_values[i], raw_action_values[i, columns])
    np.testing.assert_allclose(values, raw_values, rtol=1e-6)
    assert ((values >= -1) & (values <= 1)).all()


def test_activations_name_every_layer_flattened_or_pooled():
    network = tiny()
    positions = some_positions(5)
    flat, pooled = network.activations(positions), network.activations(positions, pooled=True)
    assert list(flat) == ["stem", "block1", "block2", "policy_head", "value_head"]
    assert flat["block1"].shape == (5, 32 * 64) and pooled["block1"].shape == (5, 32)
    assert flat["value_head"].shape == pooled["value_head"].shape == (5, 32)
    transformer = Network(build_model(MODEL_SIZES["transformer"]), MODEL_SIZES["transformer"])
    taps = transformer.activations(positions, pooled=True)
    assert list(taps)[:2] == ["embed", "block1"] and taps["block1"].shape == (5, 64)


def test_random_init_like_is_the_same_architecture_untrained_and_leaves_the_rng_alone():
    network = tiny(seed=3)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    control = random_init_like(network, seed=7)
    assert torch.rand(1) == expected_next
    assert control.config == network.config and control.parameters == network.parameters
    assert not torch.equal(control.model.stem[0].weight, network.model.stem[0].weight)
    again = random_init_like(network, seed=7)
    assert torch.equal(control.model.stem[0].weight, again.model.stem[0].weight)


def test_network_is_a_batch_evaluator_for_mcts():
    calls = []
    network = tiny()

    def spy(*arrays):
        calls.append(len(arrays[-1]))
        values, priors = network(*arrays)
        counts = arrays[-1]
        for row, n in enumerate(counts):
            assert priors[row, :n].sum() == pytest.approx(1.0) and not priors[row, n:].any()
        return values, priors

    result = MCTS(evaluator=spy, batch=16).search(chess.Board(), sims=200)
    assert result.sims == 200 and result.best_move in [m.uci() for m in chess.Board().legal_moves]
    assert max(calls) > 1  # leaves really came in batches


def test_policy_engine_plays_only_legal_moves(checkpoint):
    player = make_player(f"policy:ckpt={checkpoint}")
    board = chess.Board()
    while not board.is_game_over() and board.ply() < 120:
        choice = player.choose(board, Limit())
        assert choice.move in board.legal_moves and -1000 <= choice.wdl[0] <= 1000
        board.push(choice.move)
    player.close()


def test_netmcts_engine_searches_with_network_leaves_and_plays_legal_moves(checkpoint):
    player = make_player(f"netmcts:ckpt={checkpoint},sims=48,batch=8")
    assert player.searcher.evaluator is player.leaves and player.searcher.batch == 8  # the fast path's leaves
    torch_leaves = make_player(f"netmcts:ckpt={checkpoint},sims=48,fast=false")
    assert torch_leaves.searcher.evaluator is torch_leaves.network and torch_leaves.searcher.batch == 16
    torch_leaves.close()
    board = chess.Board()
    for _ in range(12):
        choice = player.choose(board, Limit())
        assert choice.move in board.legal_moves and choice.nodes == 48
        board.push(choice.move)
    player.close()


def test_network_specs_report_bad_checkpoints_as_spec_errors(tmp_path):
    (tmp_path / "bad.safetensors").write_text("corrupt")
    for spec, message in [("policy", "needs ckpt"), (f"policy:ckpt={tmp_path}/none", "not found"),
                          (f"netmcts:ckpt={tmp_path}/bad.safetensors", "corrupt checkpoint")]:
        with pytest.raises(SpecError, match=message):
            make_player(spec)


def test_network_engines_work_from_the_command_line(checkpoint, tmp_path):
    search = subprocess.run(CLI + ["search", "startpos", "--engine", f"netmcts:ckpt={checkpoint},sims=32",
                                   "--json"], capture_output=True, text=True, check=True)
    assert json.loads(search.stdout)["sims"] == 32
    match = subprocess.run(CLI + ["match", f"policy:ckpt={checkpoint}", f"netmcts:ckpt={checkpoint},sims=8",
                                  "--games", "2", "--max-moves", "30", "--json"],
                           capture_output=True, text=True, check=True)
    assert json.loads(match.stdout)["games"] == 2
    uci = subprocess.run(CLI + ["uci", "--engine", f"policy:ckpt={checkpoint}"], input="uci\nisready\n"
                         "position startpos moves e2e4\ngo nodes 1\nquit\n", capture_output=True,
                         text=True, timeout=60)
    assert "bestmove" in uci.stdout
    bad = subprocess.run(CLI + ["search", "--engine", f"policy:ckpt={tmp_path}/missing"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_torch_stays_unloaded_without_a_network():
    code = ("import sys, chessmesa, chessmesa.cli; from chessmesa.play.specs import registered_kinds;"
            "kinds = registered_kinds(); assert 'policy' in kinds and 'netmcts' in kinds;"
            "assert 'torch' not in sys.modules, 'torch loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)
    perft = subprocess.run(CLI + ["perft", "startpos", "--depth", "1"], capture_output=True, text=True)
    assert perft.returncode == 0


def test_only_the_global_pooling_blocks_see_across_the_board():
    """A change on a1 cannot reach h8's policy logits through tiny's five 3x3 convolutions; with the
    blocks' global pooling it does."""
    x = torch.randn(1, PLANES, 8, 8)
    changed = x.clone()
    changed[0, :, 0, 0] += 1.0
    for size, reaches in (("tiny", False), ("tiny-global", True)):
        torch.manual_seed(0)
        model = build_model(MODEL_SIZES[size]).eval()
        with torch.no_grad():
            before, after = (model(planes)[0].view(73, 8, 8)[:, 7, 7] for planes in (x, changed))
        assert (not torch.allclose(before, after)) == reaches, size
