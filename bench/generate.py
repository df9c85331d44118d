"""Dataset generation speed: labelled positions/s at budgets 16,64,256 with 1 and 2 workers.

Each round measures, one after the other:

- the machine's own scaling: label searches in 1, then 2 independent processes (no pipeline at
  all), the best that 2 workers can do on this (shared) machine at that moment;
- ``generate`` with 1 and with 2 local workers on the same config (self-play from the opening
  book): positions/s, and the share of the workers' wall time spent outside the label and move
  searches (reading sources, encoding, transfer, writing, idling at the end), of which the setup
  before the first task (reading the sources and the output folder).

Every figure is the best of its rounds (the machines are shared and noisy). The local pool's
forkserver is started and warmed once before the timed runs; that cost, paid once per
``chessmesa generate`` command, is reported apart as ``cold_start_seconds``. Writes
``bench/results/generate.json`` and prints the table quoted in the README.

    python bench/generate.py                               # 10000 positions per run, 2 rounds
    python bench/generate.py --positions 1000 --rounds 1   # quicker, noisier
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import tempfile
import time
from pathlib import Path

from chessmesa.datasets import GenerateConfig, SourceSpec, generate

BUDGETS = (16, 64, 256)
BOOK = Path(__file__).resolve().parents[1] / "data" / "openings" / "noob_2moves.epd"
RAW_SECONDS = 5.0


def raw_search_rate(seconds: float) -> float:
    """Label searches per second of one process, on the book's first positions, for ``seconds``."""
    from chessmesa.core import Position
    from chessmesa.search import MCTS, SearchParams

    fens = BOOK.read_text().splitlines()[:50]
    searcher = MCTS(SearchParams())
    searcher.search_budgets(Position(fens[0]), BUDGETS)  # warm
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        searcher.search_budgets(Position(fens[done % len(fens)]), BUDGETS, reuse=False)
        done += 1
    return done / (time.perf_counter() - start)


def raw_rate(processes: int) -> float:
    """Label searches/s of ``processes`` independent processes searching at once."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return sum(pool.map(raw_search_rate, [RAW_SECONDS] * processes))


def run(config: GenerateConfig, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = generate(config, Path(folder) / "data", workers=workers)
    return {"workers": workers, "positions": report.added, "seconds": report.seconds,
            "setup_seconds": report.setup_seconds,
            "positions_per_second": report.positions_per_second,
            "search_seconds": report.search_seconds,
            "outside_search_share": report.outside_search_share}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "generate.json"))
    args = parser.parse_args()
    config = GenerateConfig(positions=args.positions, budgets=BUDGETS,
                            sources=(SourceSpec.parse(f"selfplay:{BOOK}"),))

    start = time.perf_counter()  # the forkserver: an interpreter, imports, numba's cache
    with tempfile.TemporaryDirectory() as folder:
        generate(GenerateConfig(positions=2, budgets=(2,), sources=(SourceSpec("random"),)),
                 Path(folder) / "warm", workers=2)
    cold_start = time.perf_counter() - start

    raw: dict[int, list[float]] = {1: [], 2: []}
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for workers in (1, 2):
            raw[workers].append(raw_rate(workers))
            runs[workers].append(run(config, workers))
    best = {w: max(runs[w], key=lambda r: r["positions_per_second"]) for w in (1, 2)}
    machine = {w: max(raw[w]) for w in (1, 2)}
    speedup = best[2]["positions_per_second"] / best[1]["positions_per_second"]
    results = {"budgets": list(BUDGETS), "source": str(config.sources[0]), "best": list(best.values()),
               "speedup": speedup, "machine_searches_per_second": machine,
               "machine_speedup": machine[2] / machine[1], "rounds": {"raw": raw, "runs": runs},
               "cold_start_seconds": cold_start, "cpus": multiprocessing.cpu_count(),
               "python": platform.python_version()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")

    print(f"budgets {','.join(map(str, BUDGETS))}, self-play from {BOOK.name}, {args.positions} "
          f"positions per run, best of {args.rounds} rounds, {multiprocessing.cpu_count()} CPUs\n")
    print("| workers | positions/s | speed-up | outside search | of which setup "
          "| machine: raw searches/s | machine speed-up |")
    print("|---|---|---|---|---|---|---|")
    for workers in (1, 2):
        row = best[workers]
        print(f"| {workers} | {row['positions_per_second']:.1f} | "
              f"{row['positions_per_second'] / best[1]['positions_per_second']:.2f}x | "
              f"{row['outside_search_share']:.1%} | {row['setup_seconds'] / row['seconds']:.1%} | "
              f"{machine[workers]:.1f} | {machine[workers] / machine[1]:.2f}x |")
    print(f"\ncold start of the worker pool (once per command): {cold_start:.2f} s")


if __name__ == "__main__":
    main()
