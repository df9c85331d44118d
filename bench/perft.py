"""Perft speed: chessmesa against python-chess (bulk counting) and Stockfish's ``go perft``.

All three run in this one process's run, so the ratios hold on a noisy machine. Writes
``bench/results/perft.json`` and prints the table quoted in the README.

    python bench/perft.py            # start position depth 6, Kiwipete depth 5
    python bench/perft.py --quick    # one depth less each
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chess

from chessmesa.core import Position, perft
from chessmesa.core.perft_suite import python_chess_perft

POSITIONS = {
    "startpos": (chess.STARTING_FEN, 6),
    "kiwipete": ("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", 5),
}
PYTHON_CHESS_DEPTH_DROP = 2  # python-chess is ~100x slower: two plies less keeps it under a minute


def stockfish_perft(fen: str, depth: int) -> tuple[int, float] | None:
    """Nodes and seconds of Stockfish's ``go perft`` (start-up measured with depth 1, subtracted)."""
    binary = shutil.which("stockfish") or ("/usr/games/stockfish" if Path("/usr/games/stockfish").exists() else None)
    if binary is None:
        return None

    def run(d: int) -> tuple[int, float]:
        script = f"position fen {fen}\ngo perft {d}\nquit\n"
        start = time.perf_counter()
        out = subprocess.run([binary], input=script, capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - start
        nodes = int(next(line for line in out.splitlines() if line.startswith("Nodes searched")).split()[-1])
        return nodes, seconds

    _, startup = min((run(1) for _ in range(3)), key=lambda r: r[1])
    nodes, seconds = min((run(depth) for _ in range(3)), key=lambda r: r[1])
    return nodes, seconds - startup


def chessmesa_perft(fen: str, depth: int) -> tuple[int, float]:
    position = Position(fen)
    perft(position.bb, position.st, position.tables, 1)
    best = None
    for _ in range(3):
        start = time.perf_counter()
        nodes = perft(position.bb, position.st, position.tables, depth)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return int(nodes), best


def startup_seconds() -> float:
    """Warm start-up of ``chessmesa perft startpos --depth 1`` (best of three, cache warm)."""
    command = [sys.executable, "-m", "chessmesa.cli", "perft", "startpos", "--depth", "1"]
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one ply less everywhere")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "perft.json"))
    args = parser.parse_args()
    rows = []
    for name, (fen, depth) in POSITIONS.items():
        depth -= args.quick
        nodes, seconds = chessmesa_perft(fen, depth)
        row = {"position": name, "depth": depth, "nodes": nodes, "chessmesa_nps": nodes / seconds}
        sf = stockfish_perft(fen, depth)
        if sf:
            assert sf[0] == nodes, f"Stockfish counts {sf[0]} nodes, chessmesa {nodes}"
            row["stockfish_nps"] = sf[0] / sf[1]
            row["vs_stockfish"] = row["chessmesa_nps"] / row["stockfish_nps"]
        pc_depth = depth - PYTHON_CHESS_DEPTH_DROP
        start = time.perf_counter()
        pc_nodes = python_chess_perft(chess.Board(fen), pc_depth)
        row["python_chess_depth"] = pc_depth
        row["python_chess_nps"] = pc_nodes / (time.perf_counter() - start)
        row["vs_python_chess"] = row["chessmesa_nps"] / row["python_chess_nps"]
        rows.append(row)
    result = {
        "rows": rows,
        "startup_seconds": startup_seconds(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "python": sys.version.split()[0],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print("| position | depth | chessmesa Mnps | Stockfish Mnps | vs Stockfish | python-chess Mnps | vs python-chess |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['position']} | {r['depth']} | {r['chessmesa_nps'] / 1e6:.1f} | "
              f"{r.get('stockfish_nps', float('nan')) / 1e6:.1f} | {r.get('vs_stockfish', float('nan')):.0%} | "
              f"{r['python_chess_nps'] / 1e6:.2f} | {r['vs_python_chess']:.0f}x |")
    print(f"warm start-up of `chessmesa perft startpos --depth 1`: {result['startup_seconds']:.2f} s; "
          f"peak RSS {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
