"""Play throughput: simulations/s through UCI against the direct API, and a match on both cores.

1. The same searches (``mcts``, fixed simulations, several positions) run directly through
   ``MCTS.search`` and through ``chessmesa uci`` driven by python-chess; the ratio of
   simulations/s is the cost of the protocol, the pipes and the time spent outside the search.
2. A match of fast games with ``--concurrency 2``: wall time, and CPU time of the worker
   processes over wall time (2.0 means both cores busy the whole match).

Writes ``bench/results/play.json`` and prints the tables quoted in the README.

    python bench/play.py [--games 100] [--sims 20000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import chess
import chess.engine

from chessmesa.play.match import run_match
from chessmesa.search import MCTS

POSITIONS = [
    chess.STARTING_FEN,
    "r1bqkb1r/pppp1ppp/2n2n2/4p3/2B1P3/5N2/PPPP1PPP/RNBQK2R w KQkq - 4 4",
    "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
    "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
]


def search_rates(sims: int, repeats: int = 3) -> tuple[float, float]:
    """Simulations/s directly and through UCI: the same searches, interleaved position by position
    (best of ``repeats`` each) so that a busy machine slows both alike."""
    searcher = MCTS()
    engine = chess.engine.SimpleEngine.popen_uci([sys.executable, "-m", "chessmesa.cli", "uci",
                                                  "--engine", "mcts"])
    try:
        searcher.search(chess.Board(), sims=200, reuse=False)
        engine.play(chess.Board(), chess.engine.Limit(nodes=200))
        direct_seconds = uci_seconds = 0.0
        for fen in POSITIONS:
            board = chess.Board(fen)
            direct, through_uci = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                searcher.search(board, sims=sims, reuse=False)
                direct.append(time.perf_counter() - start)
                start = time.perf_counter()
                engine.play(board, chess.engine.Limit(nodes=sims), game=object())  # a new game: no tree reuse
                through_uci.append(time.perf_counter() - start)
            direct_seconds += min(direct)
            uci_seconds += min(through_uci)
    finally:
        engine.quit()
    total = sims * len(POSITIONS)
    return total / direct_seconds, total / uci_seconds


def match_cores(games: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = run_match("mcts:sims=200", "mcts:sims=100", games, tc="spec", concurrency=2,
                       openings=str(Path(__file__).resolve().parents[1] / "data" / "openings" / "noob_2moves.epd"),
                       seed=1)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"games": len(result.games), "wall_seconds": wall, "worker_cpu_seconds": cpu,
            "cores_busy": cpu / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--sims", type=int, default=20_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "play.json"))
    args = parser.parse_args()
    direct, through_uci = search_rates(args.sims)
    result = {"sims": args.sims, "direct_sims_per_s": direct, "uci_sims_per_s": through_uci,
              "uci_over_direct": through_uci / direct, "match": match_cores(args.games),
              "python": sys.version.split()[0]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    m = result["match"]
    print("| direct sims/s | through UCI sims/s | UCI / direct |")
    print("|---|---|---|")
    print(f"| {direct:,.0f} | {through_uci:,.0f} | {result['uci_over_direct']:.1%} |")
    print(f"\nmatch of {m['games']} games, concurrency 2: {m['wall_seconds']:.0f} s wall, "
          f"{m['cores_busy']:.2f} cores busy")


if __name__ == "__main__":
    main()
