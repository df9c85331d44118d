"""A student's move: position in, move out, on the fast path against PyTorch and against the
arithmetic.

For each model size, on positions of the shipped Lichess games played in game order (as a game
hands them to a player), the ``policy`` player's ``choose`` from a python-chess board to a move,
the root rules included:

1. **PyTorch at batch 1** (``policy:...,fast=false``): today's path before the fast one;
2. **fast, in a game**: the numba forward pass, the board follower pushing the one new move;
3. **fast, fresh boards**: the same with every board converted anew (``new_game`` before each);
4. **kernel**: the compiled call alone on a ready position (no python-chess, no player);
   and the **forward pass alone** (planes encoded, outputs out) by each candidate for the fast
   path: numba, ONNX Runtime (one thread, where installed) and PyTorch;
5. **FLOP time**: the model's forward FLOPs at this core's measured float32 peak (one thread,
   a 1024x1024 matrix product): what the arithmetic alone would cost.

And the check that the two paths play alike: on the same positions, the moves the fast player
and the PyTorch player choose, and where they differ, whether PyTorch scores the two alike.

Medians and 99th percentiles of each move's wall time, the paths timed in alternating blocks of
:data:`BLOCK` positions in one run, so a busy machine slows them alike. Writes ``bench/results/policy.json``.

6. **as a search's leaves**: ``netmcts`` simulations per second with ``tiny`` on the fast path
   (one leaf a batch), on PyTorch (batches of 1 and 16), and the static ``mcts`` beside them.

    python bench/policy.py [--positions 1000] [--models tiny,small]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as a player in a match has

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import chess
import numpy as np
import torch

from chessmesa.core import Position
from chessmesa.datasets.sources.pgn import boards_along_games
from chessmesa.nn import MODEL_SIZES, build_model
from chessmesa.nn.checkpoint import MODEL_FILE, save_model
from chessmesa.nn.models import forward_flops
from chessmesa.nn.fast import evaluate
from chessmesa.nn.planes import encode_positions
from chessmesa.play.fast_policy import fast_policy_move
from chessmesa.play.players import Limit, make_player

GAMES = Path(__file__).resolve().parents[1] / "data" / "games" / "lichess_2021-10_sample.pgn"
NO_MOVES = np.empty(0, dtype=np.int64)
#: Positions each path plays in a row: the paths alternate by blocks, so that a busy machine slows
#: them alike while each path keeps its own caches warm, as a player does within its game.
BLOCK = 100


def game_boards(count: int) -> list[chess.Board]:
    """Boards along the shipped games, in game order, each with its move stack."""
    return boards_along_games(GAMES, count)


def peak_flops(seconds: float = 1.0) -> float:
    """float32 FLOP/s of a 1024x1024 matrix product on one thread (the best of a few)."""
    torch.set_num_threads(1)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * 1024**3 / (time.perf_counter() - start))
    return best


def summary(seconds: list[float]) -> dict:
    micro = np.array(seconds) * 1e6
    return {"median_us": float(np.median(micro)), "p99_us": float(np.percentile(micro, 99)),
            "max_us": float(micro.max())}


def measure(size: str, boards: list[chess.Board], folder: Path) -> dict:
    torch.manual_seed(0)
    config = MODEL_SIZES[size]
    model = build_model(config)
    save_model(folder / MODEL_FILE, model, config)
    fast = make_player(f"policy:ckpt={folder}")
    fresh = make_player(f"policy:ckpt={folder}")
    slow = make_player(f"policy:ckpt={folder},fast=false")
    positions = [Position.from_board(board) for board in boards]
    for board in boards[:50]:  # warm: compilation, caches, torch's first calls
        fast.choose(board, Limit()), slow.choose(board, Limit())

    def fresh_choose(board: chess.Board) -> chess.Move:
        fresh.new_game()
        return fresh.choose(board, Limit()).move

    def kernel(position: Position) -> int:
        return fast_policy_move(position.bb, position.st, position.tables, fast.weights, False, True, NO_MOVES)[0]

    forward = forwards(folder, model, fast.weights)
    paths = {"pytorch": lambda board, _: slow.choose(board, Limit()).move,
             "fast_in_game": lambda board, _: fast.choose(board, Limit()).move,
             "fast_fresh_board": lambda board, _: fresh_choose(board),
             "kernel": lambda _, position: kernel(position),
             **{f"forward: {name}": (lambda _, position, run=run: run(position)) for name, run in forward.items()}}
    times: dict[str, list[float]] = {name: [] for name in paths}
    moves: dict[str, list] = {"pytorch": [], "fast_in_game": []}
    for start in range(0, len(boards), BLOCK):  # each path a block at a time: its own caches warm
        block = range(start, min(start + BLOCK, len(boards)))
        for name, play in paths.items():
            for i in block:
                began = time.perf_counter()
                move = play(boards[i], positions[i])
                times[name].append(time.perf_counter() - began)
                if name in moves:
                    moves[name].append(move)
    differ = ties = 0
    for board, position, fast_move, slow_move in zip(boards, positions, moves["fast_in_game"], moves["pytorch"]):
        if fast_move != slow_move:
            differ += 1
            scores = dict(zip(position.legal_moves().tolist(), slow._batch_scores([position])[2][0]))
            ties += abs(scores[position.parse_move(fast_move.uci())] - scores[position.parse_move(slow_move.uci())]) < 1e-5
    flops = forward_flops(model)
    return {"model": size, "forward_flops": flops, "positions": len(boards),
            "paths": {name: summary(values) for name, values in times.items()},
            "moves_differ": differ, "differ_within_tie_tolerance": ties}


def forwards(folder: Path, model: torch.nn.Module, weights: tuple) -> dict[str, Callable[[Position], object]]:
    """The forward pass alone at batch 1, from a position's planes (encoding included) to the
    outputs, by each candidate for the fast path: numba (the one chosen), ONNX Runtime (where
    installed: ``pip install "chessmesa[export]"``) and PyTorch."""
    model = model.eval()

    def numba_forward(position: Position):
        legal = position.legal_moves()
        return evaluate(position.bb, position.st, position.tables, legal, len(legal), weights, False)

    def pytorch_forward(position: Position):
        with torch.inference_mode():
            return model(torch.from_numpy(encode_positions([position])))

    found = {"numba": numba_forward, "PyTorch": pytorch_forward}
    try:
        import onnxruntime
    except ImportError:
        return found
    from chessmesa.nn.export import export_onnx

    path = folder / "model.onnx"
    export_onnx(folder, path, check_positions=20)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    found["ONNX Runtime"] = lambda position: session.run(None, {"planes": encode_positions([position])})
    return found


def search_rates(folder: Path, boards: list[chess.Board], sims: int = 256) -> dict:
    """Simulations per second of ``netmcts`` with the model in ``folder`` (the fast path at one
    leaf a batch, PyTorch at 1 and at 16) and of the static ``mcts``, over the same positions."""
    specs = {"netmcts, fast path, batch 1": f"netmcts:ckpt={folder},sims={sims}",
             "netmcts, PyTorch, batch 1": f"netmcts:ckpt={folder},sims={sims},fast=false,batch=1",
             "netmcts, PyTorch, batch 16": f"netmcts:ckpt={folder},sims={sims},fast=false,batch=16",
             "mcts (static evaluator)": f"mcts:sims={sims}"}
    rates = {}
    for name, spec in specs.items():
        player = make_player(spec)
        player.choose(boards[0], Limit())
        simulations, seconds = 0, 0.0
        for board in boards:
            player.new_game()
            choice = player.choose(board, Limit())
            simulations, seconds = simulations + choice.nodes, seconds + choice.seconds
        rates[name] = simulations / seconds
        player.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--models", default="tiny,small")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "policy.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    boards = game_boards(args.positions)
    peak = peak_flops()
    results = []
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in args.models.split(","):
            results.append(measure(size, boards, Path(folder)))  # leaves that size's model in folder
            if size == "tiny":
                rates = search_rates(Path(folder), boards[::25])
    report = {"peak_flops_per_s": peak, "python": sys.version.split()[0], "torch": torch.__version__,
              "models": results, "tiny_search_sims_per_s": rates}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"float32 peak, one thread: {peak / 1e9:.0f} GFLOP/s; {args.positions} positions of the shipped games")
    print("| model | MFLOP | PyTorch batch 1 | fast, in a game | fast, fresh board | kernel | FLOP time | "
          "PyTorch / fast | fast / FLOP time | moves differ (ties) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in results:
        paths = row["paths"]
        flop_us = row["forward_flops"] / peak * 1e6
        cell = {name: f"{p['median_us']:.0f} us (p99 {p['p99_us']:.0f})" for name, p in paths.items()}
        print(f"| {row['model']} | {row['forward_flops'] / 1e6:.1f} | {cell['pytorch']} | {cell['fast_in_game']} | "
              f"{cell['fast_fresh_board']} | {cell['kernel']} | {flop_us:.0f} us | "
              f"{paths['pytorch']['median_us'] / paths['fast_in_game']['median_us']:.1f}x | "
              f"{paths['fast_in_game']['median_us'] / flop_us:.1f}x | {row['moves_differ']} "
              f"({row['differ_within_tie_tolerance']}) |")
    print("\n| model | forward alone at batch 1: " + " | ".join(
        name[len("forward: "):] for name in results[0]["paths"] if name.startswith("forward: ")) + " |")
    print("|---|" + "---|" * sum(name.startswith("forward: ") for name in results[0]["paths"]))
    for row in results:
        print(f"| {row['model']} | " + " | ".join(
            f"{p['median_us']:.0f} us" for name, p in row["paths"].items() if name.startswith("forward: ")) + " |")
    if rates:
        print("\n| tiny as the searcher's leaf evaluator | simulations/s | vs PyTorch batch 16 |")
        print("|---|---|---|")
        for name, rate in rates.items():
            print(f"| {name} | {rate:,.0f} | {rate / rates['netmcts, PyTorch, batch 16']:.1f}x |")


if __name__ == "__main__":
    main()
