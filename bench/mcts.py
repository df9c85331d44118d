"""MCTS speed, memory and tactical strength.

1. Simulations/s of chessmesa's MCTS against a plain python-chess PUCT with the same evaluator and
   parameters, in one run. The reference is what a researcher would write in Python: a tree of
   objects, python-chess move generation, and the evaluator ported rule for rule to python-chess
   (``bench/python_reference.py``). A second reference keeps the Python tree but calls chessmesa's
   numba evaluator on each leaf, to show where the time goes. Each figure is the median of three
   runs; the references run 1,000 simulations (50,000 would take a minute each), and their
   shallower tree only flatters them.
2. Bytes per node, and peak memory (RSS) of a search that grows its tree to 1M nodes.
3. Win At Chess: share solved and time at 1k, 10k and 100k simulations.

Writes ``bench/results/mcts.json`` and prints the tables quoted in the README.

    python bench/mcts.py                 # WAC: all 300 at 1k and 10k, the first 60 at 100k
    python bench/mcts.py --quick         # smaller everything
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import time
from pathlib import Path

import chess
import numpy as np

import python_reference

from chessmesa.analysis.epd_suite import read_epd_suite
from chessmesa.core import Position, move_to_chess
from chessmesa.search import MCTS, SearchParams
from chessmesa.search.heuristic import evaluate, move_priors, quiescence_buffer
from chessmesa.search.tree import NODE_BYTES

WAC = Path(__file__).resolve().parents[1] / "data" / "tactics" / "wac.epd"
BENCH_FEN = "r1bqkb1r/pppp1ppp/2n2n2/4p3/2B1P3/5N2/PPPP1PPP/RNBQK2R w KQkq - 4 4"


class _Node:
    __slots__ = ("moves", "priors", "children", "visits", "value_sum")

    def __init__(self):
        self.moves, self.priors, self.children = None, None, []
        self.visits, self.value_sum = 0, 0.0


def python_chess_puct(board: chess.Board, sims: int, params: SearchParams, numba_leaves: bool) -> float:
    """A plain PUCT on python-chess boards; returns seconds. The leaves are evaluated by the
    Python port of the evaluator, or by chessmesa's numba evaluator when ``numba_leaves``."""
    buffer, priors_out = quiescence_buffer(), np.zeros(256)
    root = _Node()
    start = time.perf_counter()
    for _ in range(sims + 1):
        node, path, board_copy = root, [root], board.copy(stack=False)
        while node.moves is not None and node.moves:
            parent_q = -node.value_sum / node.visits if node.visits else 0.0
            visited = sum(p for p, c in zip(node.priors, node.children) if c.visits)
            fpu = parent_q - params.fpu_reduction * math.sqrt(visited)
            c = (params.cpuct + params.cpuct_factor * math.log(
                (node.visits + params.cpuct_base) / params.cpuct_base)) * math.sqrt(max(node.visits, 1))
            scores = [(child.value_sum / child.visits if child.visits else fpu)
                      + c * prior / (1 + child.visits) for prior, child in zip(node.priors, node.children)]
            index = int(np.argmax(scores))
            board_copy.push(node.moves[index])
            node = node.children[index]
            path.append(node)
        if board_copy.is_game_over():
            value = -1.0 if board_copy.is_checkmate() else 0.0
        elif not numba_leaves:
            node.moves = list(board_copy.legal_moves)
            node.priors = python_reference.move_priors(board_copy, node.moves, params.policy_temperature)
            node.children = [_Node() for _ in node.moves]
            value = python_reference.evaluate(board_copy)
        else:
            position = Position.from_board(board_copy)
            codes = position.legal_moves()
            value = evaluate(position.bb, position.st, position.tables, buffer)
            move_priors(position.bb, position.st, position.tables, codes, len(codes),
                        params.policy_temperature, priors_out)
            node.moves = [move_to_chess(m) for m in codes]
            node.priors = priors_out[: len(codes)].tolist()
            node.children = [_Node() for _ in codes]
        for visited_node in reversed(path):
            visited_node.visits += 1
            visited_node.value_sum -= value
            value = -value
    return time.perf_counter() - start


def speed(params: SearchParams, sims: int, reference_sims: int, repeats: int = 3) -> dict:
    """Median simulations/s over ``repeats`` runs of each searcher, one after the other.

    chessmesa's first search loads the compiled code (a small one, not timed); the next, of full
    size, has the operating system map the tree's memory and is reported apart; the median is over
    the searches after it, which reuse the tree, as a game or a dataset run does.
    """
    board = chess.Board(BENCH_FEN)
    searcher = MCTS(params)
    searcher.search(board, sims=100, reuse=False)
    cold = searcher.search(board, sims=sims, reuse=False)
    ours = statistics.median(
        result.sims / result.seconds
        for result in (searcher.search(board, sims=sims, reuse=False) for _ in range(repeats)))
    python_chess_puct(board, 20, params, numba_leaves=True)
    reference = statistics.median(
        reference_sims / python_chess_puct(board, reference_sims, params, numba_leaves=False)
        for _ in range(repeats))
    hybrid = statistics.median(
        reference_sims / python_chess_puct(board, reference_sims, params, numba_leaves=True)
        for _ in range(repeats))
    return {"sims": sims, "repeats": repeats, "chessmesa_sims_per_s": ours,
            "chessmesa_fresh_tree_sims_per_s": cold.sims / cold.seconds,
            "reference_sims": reference_sims, "python_chess_sims_per_s": reference,
            "ratio": ours / reference, "python_tree_numba_leaves_sims_per_s": hybrid,
            "ratio_vs_numba_leaves": ours / hybrid, "nodes_per_sim": cold.nodes / cold.sims}


def memory(nodes: int) -> dict:
    """Peak RSS before and after a search that grows the tree past ``nodes`` nodes."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    searcher = MCTS()
    sims = 1000
    while True:
        result = searcher.search(chess.Board(BENCH_FEN), sims=sims, reuse=False)
        if result.nodes >= nodes:
            break
        sims = int(sims * nodes / result.nodes * 1.1) + 1
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"nodes": result.nodes, "sims": result.sims, "bytes_per_node": NODE_BYTES,
            "tree_mb": result.nodes * NODE_BYTES / 2**20, "peak_rss_mb": after,
            "rss_growth_mb": after - before}


def wac(budgets: dict[int, int]) -> list[dict]:
    positions = read_epd_suite(WAC)
    rows = []
    for sims, count in budgets.items():
        searcher = MCTS()
        solved, start = 0, time.perf_counter()
        for position in positions[:count]:
            result = searcher.search(position.board, sims=sims, reuse=False)
            solved += position.solved_by(chess.Move.from_uci(result.best_move))
        seconds = time.perf_counter() - start
        rows.append({"sims": sims, "positions": count, "solved": solved, "share": solved / count,
                     "seconds": seconds, "seconds_per_position": seconds / count})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "mcts.json"))
    args = parser.parse_args()
    params = SearchParams()
    wac_budgets = {1000: 100, 10_000: 30} if args.quick else {1000: 300, 10_000: 300, 100_000: 60}
    result = {
        "params": params.to_dict(),
        "speed": speed(params, 5000 if args.quick else 50_000, 300 if args.quick else 1000),
        "memory": memory(200_000 if args.quick else 1_000_000),
        "wac": wac(wac_budgets),
        "python": sys.version.split()[0],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    s, m = result["speed"], result["memory"]
    print("| chessmesa sims/s | python-chess PUCT sims/s | ratio | Python tree + numba leaves sims/s | ratio "
          "| chessmesa, fresh tree |")
    print("|---|---|---|---|---|---|")
    print(f"| {s['chessmesa_sims_per_s']:,.0f} | {s['python_chess_sims_per_s']:,.0f} | {s['ratio']:.0f}x "
          f"| {s['python_tree_numba_leaves_sims_per_s']:,.0f} | {s['ratio_vs_numba_leaves']:.1f}x "
          f"| {s['chessmesa_fresh_tree_sims_per_s']:,.0f} |")
    print(f"\n{m['bytes_per_node']} bytes per node; a tree of {m['nodes']:,} nodes ({m['sims']:,} sims): "
          f"{m['tree_mb']:.0f} MB of tree, peak RSS {m['peak_rss_mb']:.0f} MB\n")
    print("| WAC sims | positions | solved | share | seconds/position |")
    print("|---|---|---|---|---|")
    for r in result["wac"]:
        print(f"| {r['sims']:,} | {r['positions']} | {r['solved']} | {r['share']:.1%} | {r['seconds_per_position']:.2f} |")


if __name__ == "__main__":
    main()
