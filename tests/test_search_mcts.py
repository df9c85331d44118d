"""The MCTS searcher: legal, budget-exact, deterministic, solves mates, knows draws, batch bridge."""

from __future__ import annotations

import csv
import random

import chess
import numpy as np
import pytest

from chessmesa.core import Position
from chessmesa.search import MCTS, SearchParams, StaticBatchEvaluator
from chessmesa.search.tree import NODE_COUNT, ROOT, compact_subtree, new_tree
from conftest import random_game_boards


def random_positions(count: int, seed: int = 3) -> list[chess.Board]:
    rng = random.Random(seed)
    boards = []
    for game in range(count):
        plies = rng.randrange(4, 80)
        for board in random_game_boards(seed * 1000 + game, plies):
            pass
        if not board.is_game_over():
            boards.append(board.copy())
    return boards


def puzzles_ending_in_mate(repo_data, solver_moves: int, limit: int) -> list[tuple[chess.Board, str]]:
    """(position after the setup move, first solution move) of Lichess puzzles that mate in N."""
    found = []
    with open(repo_data / "puzzles" / "lichess_puzzles.csv") as handle:
        for fen, moves, _rating in csv.reader(handle):
            moves = moves.split()
            if len(moves) != 2 * solver_moves:
                continue
            board = chess.Board(fen)
            for uci in moves:
                board.push_uci(uci)
            if board.is_checkmate():
                start = chess.Board(fen)
                start.push_uci(moves[0])
                found.append((start, moves[1]))
            if len(found) == limit:
                break
    return found


def mates_in(board: chess.Board, move: chess.Move, depth: int) -> bool:
    """Whether ``move`` forces mate within ``depth`` of the mover's moves (python-chess)."""
    board = board.copy()
    board.push(move)
    if board.is_checkmate():
        return True
    if depth == 1 or board.is_game_over():
        return False
    return all(any(mates_in(_after(board, reply), m, depth - 1) for m in _after(board, reply).legal_moves)
               for reply in board.legal_moves)


def _after(board: chess.Board, move: chess.Move) -> chess.Board:
    board = board.copy()
    board.push(move)
    return board


def test_best_move_is_always_legal_and_root_moves_are_the_legal_moves():
    searcher = MCTS()
    for board in random_positions(60):
        result = searcher.search(board, sims=64, reuse=False)
        assert sorted(result.moves) == sorted(m.uci() for m in board.legal_moves)
        assert chess.Move.from_uci(result.best_move) in board.legal_moves
        assert result.pv[0] == result.best_move


@pytest.mark.parametrize("gumbel", [False, True])
def test_visits_sum_to_the_budget(gumbel):
    searcher = MCTS(SearchParams(gumbel=gumbel))
    for board in random_positions(15):
        result = searcher.search(board, sims=200, reuse=False)
        if result.proven is None:
            assert result.visits.sum() == 200 == result.sims


@pytest.mark.parametrize("gumbel", [False, True])
def test_same_seed_same_result(gumbel):
    board = random_positions(1, seed=11)[0]
    first = MCTS(SearchParams(gumbel=gumbel, seed=5)).search(board, sims=300)
    second = MCTS(SearchParams(gumbel=gumbel, seed=5)).search(board, sims=300)
    assert first.best_move == second.best_move
    assert np.array_equal(first.visits, second.visits) and np.array_equal(first.q, second.q)


def test_anytime_snapshots_equal_separate_searches():
    board = random_positions(1, seed=12)[0]
    snapshots = MCTS().search_budgets(board, [16, 64, 256])
    for snapshot, budget in zip(snapshots, [16, 64, 256]):
        alone = MCTS().search(board, sims=budget, reuse=False)
        assert snapshot.sims == budget
        assert np.array_equal(snapshot.visits, alone.visits)
        assert snapshot.best_move == alone.best_move


def test_mate_in_one_is_played_at_any_budget(repo_data):
    cases = puzzles_ending_in_mate(repo_data, 1, 40)
    assert len(cases) >= 20
    for board, _ in cases:
        for sims in (1, 8):
            result = MCTS().search(board, sims=sims)
            board_after = board.copy()
            board_after.push_uci(result.best_move)
            assert board_after.is_checkmate(), (board.fen(), result.best_move)
            assert result.proven == "win"


def test_mates_in_two_within_two_thousand_simulations(repo_data):
    cases = puzzles_ending_in_mate(repo_data, 2, 25)
    assert len(cases) >= 15
    solved = 0
    for board, _ in cases:
        result = MCTS().search(board, sims=2000)
        solved += mates_in(board, chess.Move.from_uci(result.best_move), 2)
    assert solved >= 0.9 * len(cases)


def test_threefold_repetition_in_game_history_is_a_draw():
    board = chess.Board()
    for uci in ["g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6", "f3g1"]:
        board.push_uci(uci)
    result = MCTS().search(board, sims=200)
    index = result.moves.index("f6g8")  # the third occurrence of the start position
    assert result.q[index] == 0.0


def test_fifty_move_rule_is_a_draw():
    # White is a queen up, yet every non-pawn, non-capture move ends the game in a draw
    fen = "7k/8/8/8/8/8/6Q1/K7 w - - 99 120"
    result = MCTS().search(Position(fen), sims=100)
    assert all(q == 0.0 for q in result.q)


def test_losing_side_takes_a_repetition_draw():
    # Black is a queen down; repeating the position a third time draws
    board = chess.Board("7k/8/8/8/8/8/8/K2Q4 b - - 0 1")
    for uci in ["h8g8", "a1b1", "g8h8", "b1a1", "h8g8", "a1b1", "g8h8"]:
        board.push_uci(uci)
    # it is White's move now; White, winning, must avoid b1a1 (threefold)
    result = MCTS().search(board, sims=400)
    assert result.best_move != "b1a1"


def test_batch_bridge_at_one_leaf_equals_native_search():
    for board in random_positions(8, seed=21):
        params = SearchParams(seed=2)
        native = MCTS(params).search(board, sims=300)
        bridged = MCTS(params, evaluator=StaticBatchEvaluator(params), batch=1).search(board, sims=300)
        assert np.array_equal(native.visits, bridged.visits)
        assert np.allclose(native.q, bridged.q) and native.best_move == bridged.best_move
        assert native.pv == bridged.pv
        # the same decisions from a smaller tree: natively a leaf gets its children on its
        # second visit, through the bridge at once
        assert native.nodes < bridged.nodes


def test_batched_bridge_keeps_the_budget_and_plays_legal_moves():
    params = SearchParams()
    searcher = MCTS(params, evaluator=StaticBatchEvaluator(params), batch=16)
    for board in random_positions(5, seed=22):
        result = searcher.search(board, sims=256, reuse=False)
        assert result.proven or result.visits.sum() == 256
        assert chess.Move.from_uci(result.best_move) in board.legal_moves


def test_tree_reuse_keeps_the_subtree_after_two_moves():
    searcher = MCTS()
    board = chess.Board()
    first = searcher.search(board, sims=2000)
    board.push_uci(first.pv[0])
    board.push_uci(first.pv[1])
    reused = searcher.search(board, sims=10)
    assert reused.visits.sum() > 10  # the visits of the kept subtree plus the new ones


def _subtree_size(nodes, node) -> int:
    n = int(nodes["num_children"][node])
    first = int(nodes["first_child"][node])
    return 1 + sum(_subtree_size(nodes, first + i) for i in range(max(n, 0)))


def _assert_same_subtree(old, old_node, new, new_node) -> None:
    for field in ("visits", "value_sum", "proven", "num_children"):
        assert old[field][old_node] == new[field][new_node], field
    n = int(old["num_children"][old_node])
    old_first, new_first = int(old["first_child"][old_node]), int(new["first_child"][new_node])
    for i in range(max(n, 0)):
        assert new["parent"][new_first + i] == new_node
        assert new["move"][new_first + i] == old["move"][old_first + i]
        assert new["prior"][new_first + i] == old["prior"][old_first + i]
        _assert_same_subtree(old, old_first + i, new, new_first + i)


def test_compact_subtree_copies_a_subtree_exactly():
    searcher = MCTS()
    searcher.search(chess.Board(), sims=3000)
    tree = searcher._tree
    nodes = tree.nodes
    first = int(nodes["first_child"][ROOT])
    child = first + int(np.argmax(nodes["visits"][first:first + nodes["num_children"][ROOT]]))
    grandchild = int(nodes["first_child"][child]) + int(np.argmax(
        nodes["visits"][nodes["first_child"][child]:][:nodes["num_children"][child]]))
    out = new_tree(len(nodes))
    compact_subtree(tree, grandchild, out)
    assert out.meta[NODE_COUNT] == _subtree_size(nodes, grandchild) > 50
    assert out.nodes["parent"][ROOT] == -1
    _assert_same_subtree(nodes, grandchild, out.nodes, ROOT)
    # into a smaller tree: whatever does not fit is left unexpanded, with no verdict
    small = new_tree(200)
    compact_subtree(tree, grandchild, small)
    count = int(small.meta[NODE_COUNT])
    kept = small.nodes[:count]
    assert count <= 200
    assert np.all((kept["num_children"] == -1) | (kept["first_child"] + kept["num_children"] <= count))


def test_growing_the_tree_mid_search_changes_nothing(monkeypatch):
    import chessmesa.search.searcher as searcher_module

    board = chess.Board()
    roomy = MCTS().search(board, sims=3000)
    monkeypatch.setattr(searcher_module, "NODES_PER_SIMULATION", 2)  # too small: it must grow
    cramped = MCTS().search(board, sims=3000)
    assert cramped.nodes == roomy.nodes > 2 * 3000 + 1024
    assert np.array_equal(cramped.visits, roomy.visits) and cramped.pv == roomy.pv


def test_a_search_bounded_by_time_alone_never_grows_its_tree():
    searcher = MCTS(max_nodes=100_000)
    searcher.search(chess.Board(), movetime_ms=50)
    assert len(searcher._tree.nodes) == 100_000


def test_gumbel_returns_an_improved_policy():
    board = random_positions(1, seed=13)[0]
    result = MCTS(SearchParams(gumbel=True)).search(board, sims=64)
    assert result.improved_policy is not None
    assert abs(result.improved_policy.sum() - 1) < 1e-5


def test_movetime_and_stop():
    import threading
    import time

    searcher = MCTS()
    result = searcher.search(chess.Board(), movetime_ms=100)
    assert result.stop_reason == "time" and 0.09 < result.seconds < 0.5
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    start = time.perf_counter()
    result = searcher.search(chess.Board(), stop=stop, reuse=False)
    assert result.stop_reason == "stopped" and time.perf_counter() - start < 0.3


def test_tree_full_stops_cleanly():
    result = MCTS(max_nodes=2000).search(chess.Board(), sims=5000, reuse=False)
    assert result.stop_reason == "tree_full" and result.sims < 5000
    assert result.visits.sum() == result.sims


def test_game_over_position_reports_its_status():
    result = MCTS().search(chess.Board("7k/6Q1/6K1/8/8/8/8/8 b - - 0 1"), sims=10)
    assert result.best_move is None and result.status == "checkmate"


def test_dirichlet_noise_changes_root_priors_reproducibly():
    board = chess.Board()
    plain = MCTS().search(board, sims=32)
    noisy = MCTS(SearchParams(dirichlet_epsilon=0.25, seed=4)).search(board, sims=32)
    again = MCTS(SearchParams(dirichlet_epsilon=0.25, seed=4)).search(board, sims=32)
    assert not np.allclose(plain.prior, noisy.prior)
    assert np.array_equal(noisy.prior, again.prior) and abs(noisy.prior.sum() - 1) < 1e-5


def test_sample_move_follows_visits_and_temperature():
    from chessmesa.search import sample_move

    result = MCTS().search(chess.Board(), sims=400)
    rng = np.random.default_rng(0)
    draws = [sample_move(result, 1.0, rng) for _ in range(2000)]
    best = result.moves.index(result.best_move)
    share = draws.count(result.best_move) / len(draws)
    assert abs(share - result.visits[best] / result.visits.sum()) < 0.04
    assert set(draws) <= {m for m, v in zip(result.moves, result.visits) if v > 0}
    assert sample_move(result, 0.0, rng) == result.best_move


def test_sample_move_plays_a_proved_win_at_any_temperature():
    from chessmesa.search import sample_move

    result = MCTS().search(chess.Board("k7/8/2K5/8/8/8/8/7R w - - 0 1"), sims=200)  # 1.Kb6, mate in 2
    assert result.proven == "win" and result.best_move == "c6b6"
    assert result.visits[result.moves.index("c6b6")] < result.visits.sum() / 4  # few visits reach it
    rng = np.random.default_rng(0)
    assert {sample_move(result, 1.0, rng) for _ in range(200)} == {"c6b6"}


def test_win_at_chess_floor():
    from chessmesa.analysis.epd_suite import read_epd_suite
    from conftest import DATA

    positions = read_epd_suite(DATA / "tactics" / "wac.epd")
    searcher = MCTS()
    solved = sum(position.solved_by(chess.Move.from_uci(
        searcher.search(position.board, sims=1000, reuse=False).best_move)) for position in positions)
    # measured 106/300 with the default parameters (README); a regression would fall below this
    assert solved >= 95
