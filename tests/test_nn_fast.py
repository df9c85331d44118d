"""The fast move path: the numba forward pass against PyTorch, the player on it against the
player on PyTorch, and the board follower against a fresh conversion at every ply."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

import chess
import numpy as np
import pytest
import torch

from chessmesa.core import Position
from chessmesa.core.position import BoardFollower
from chessmesa.datasets.sources.pgn import boards_along_games
from chessmesa.nn import MODEL_SIZES, build_model
from chessmesa.nn.checkpoint import MODEL_FILE, save_model
from chessmesa.nn.fast import evaluate, fold_weights, supports
from chessmesa.nn.moves import move_indices
from chessmesa.nn.planes import encode_positions
from chessmesa.play.players import Limit, make_player
from conftest import DATA, random_game_boards

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CONFIGS = {
    "tiny": MODEL_SIZES["tiny"],
    "small": MODEL_SIZES["small"],
    "tiny-global": MODEL_SIZES["tiny-global"],
    "tiny-q": replace(MODEL_SIZES["tiny"], action_values=True),
}


def trained_looking(config, seed: int = 0) -> torch.nn.Module:
    """A model whose batch norms hold statistics other than the identity's, as a trained one's
    do (an untrained model would let a wrong folding of them pass)."""
    torch.manual_seed(seed)
    model = build_model(config).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.3, 3.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
    return model


def game_boards(count: int) -> list[chess.Board]:
    """Boards along the shipped Lichess games, each with its game's move stack."""
    return boards_along_games(DATA / "games" / "lichess_2021-10_sample.pgn", count)


@pytest.mark.parametrize("name", CONFIGS)
def test_the_numba_forward_computes_what_pytorch_does(name):
    config = CONFIGS[name]
    model = trained_looking(config)
    weights = fold_weights({k: v.numpy() for k, v in model.state_dict().items()}, config)
    positions = [Position.from_board(board) for board in game_boards(120)]
    with torch.no_grad():
        logits, values, action_values = model(torch.from_numpy(encode_positions(positions)))
    for i, position in enumerate(positions):
        legal = position.legal_moves()
        indices = move_indices(position.st[:1], legal[None], np.array([len(legal)]))[0]
        fast_logits, fast_value, fast_q = evaluate(position.bb, position.st, position.tables, legal, len(legal),
                                                   weights, config.action_values)
        np.testing.assert_allclose(fast_logits, logits[i, indices].numpy(), rtol=1e-4, atol=1e-4)
        assert abs(fast_value - values[i].item()) < 1e-5
        if config.action_values:
            np.testing.assert_allclose(fast_q, action_values[i, indices].numpy(), atol=1e-5)


def test_the_transformer_keeps_pytorch():
    assert not supports(MODEL_SIZES["transformer"])
    with pytest.raises(ValueError, match="residual models only"):
        fold_weights({}, MODEL_SIZES["transformer"])


@pytest.mark.parametrize("rules", [True, False])
def test_the_fast_player_moves_as_the_pytorch_player_does(tmp_path, rules):
    """On 1,000 positions of real games, in game order (the follower's path): the same move, or
    two moves whose PyTorch logits are equal to float32 rounding (a tie either may break)."""
    config = MODEL_SIZES["tiny"]
    model = trained_looking(config, seed=3)
    save_model(tmp_path / MODEL_FILE, model, config)
    fast = make_player(f"policy:ckpt={tmp_path},rules={str(rules).lower()}")
    slow = make_player(f"policy:ckpt={tmp_path},rules={str(rules).lower()},fast=false")
    assert fast.weights is not None and slow.weights is None
    differ = 0
    for board in game_boards(1000):
        a, b = fast.choose(board, Limit()).move, slow.choose(board, Limit()).move
        if a != b:  # allowed only where PyTorch itself scores the two moves alike
            differ += 1
            position = Position.from_board(board)
            scores = dict(zip(position.legal_moves().tolist(), slow._batch_scores([position])[2][0]))
            assert abs(scores[position.parse_move(a.uci())] - scores[position.parse_move(b.uci())]) < 1e-5, board.fen()
    assert differ <= 5


def test_the_follower_matches_a_fresh_conversion_at_every_ply():
    follower = BoardFollower()
    for seed in range(4):
        boards = list(islice(random_game_boards(seed, max_plies=160), 0, None))
        for board in boards[::2] if seed % 2 else boards:  # one and two moves between calls
            assert follower.position(board) == Position.from_board(board)
        for board in (boards[len(boards) // 2], boards[3]):  # a take-back, then another line
            assert follower.position(board) == Position.from_board(board)
    board = chess.Board("8/8/3k4/8/8/2K5/8/R7 w - - 96 1")  # a position set up, not a game start
    assert follower.position(board) == Position.from_board(board)
    for uci in ("a1a2", "d6d5", "a2a1", "d5d6"):
        board.push_uci(uci)
        assert follower.position(board) == Position.from_board(board)
    assert follower.position(board).repetitions() == 2


def test_netmcts_on_the_fast_path_searches_as_on_pytorch(tmp_path):
    """The same leaves, the same priors and values to float32 rounding: at one leaf a batch both
    searches make the same decisions, so the same visits, on all but rare near-ties."""
    config = MODEL_SIZES["tiny"]
    save_model(tmp_path / MODEL_FILE, trained_looking(config, seed=5), config)
    fast = make_player(f"netmcts:ckpt={tmp_path},sims=48")
    slow = make_player(f"netmcts:ckpt={tmp_path},sims=48,fast=false,batch=1")
    assert fast.leaves is not fast.network and slow.leaves is slow.network
    boards = game_boards(60)[::3]
    same = 0
    for board in boards:
        fast.new_game(), slow.new_game()
        a, b = fast.choose(board, Limit()), slow.choose(board, Limit())
        same += a.move == b.move and a.pv == b.pv
        assert abs(a.score_cp - b.score_cp) <= 2 or a.move != b.move
    assert same >= len(boards) - 2


def test_a_prior_temperature_flattens_the_network_priors_and_keeps_their_order():
    from chessmesa.nn.fast import FastEvaluator
    from chessmesa.nn.planes import position_arrays

    config = MODEL_SIZES["tiny"]
    weights = fold_weights({k: v.numpy() for k, v in trained_looking(config).state_dict().items()}, config)
    positions = [Position.from_board(board) for board in game_boards(20)]
    moves = np.zeros((len(positions), 256), dtype=np.int64)
    counts = np.array([len(p.legal_moves()) for p in positions])
    for i, position in enumerate(positions):
        moves[i, :counts[i]] = position.legal_moves()
    arrays = position_arrays(positions)
    _, sharp = FastEvaluator(weights)(*arrays, moves, counts)
    _, flat = FastEvaluator(weights, temperature=2.0)(*arrays, moves, counts)
    for i, n in enumerate(counts):
        assert np.argmax(sharp[i, :n]) == np.argmax(flat[i, :n]) and flat[i, :n].max() <= sharp[i, :n].max()
        assert abs(flat[i, :n].sum() - 1) < 1e-9
    with pytest.raises(ValueError, match="temperature"):
        FastEvaluator(weights, temperature=0.0)
