"""``chessmesa bench``: the headline throughput figures in a few seconds.

The full benchmarks, with their references, live in ``bench/`` (see the README).
"""

from __future__ import annotations

import time

import click

from chessmesa.cli import main
from chessmesa.cli.support import console, print_json

MIDDLEGAME = "r1bqkb1r/pppp1ppp/2n2n2/4p3/2B1P3/5N2/PPPP1PPP/RNBQK2R w KQkq - 4 4"


def _perft_figures() -> dict:
    import chess

    from chessmesa.core import Position, perft
    from chessmesa.core.perft_suite import python_chess_perft

    position = Position()
    perft(position.bb, position.st, position.tables, 1)
    start = time.perf_counter()
    nodes = perft(position.bb, position.st, position.tables, 5)
    ours = nodes / (time.perf_counter() - start)
    start = time.perf_counter()
    reference_nodes = python_chess_perft(chess.Board(), 3)
    reference = reference_nodes / (time.perf_counter() - start)
    return {"perft_nps": ours, "python_chess_perft_nps": reference, "perft_ratio": ours / reference}


def _mcts_figures(sims: int) -> dict:
    import chess

    from chessmesa.search import MCTS

    searcher = MCTS()
    board = chess.Board(MIDDLEGAME)
    searcher.search(board, sims=200, reuse=False)
    result = searcher.search(board, sims=sims, reuse=False)
    return {"mcts_sims_per_s": result.sims / result.seconds, "mcts_nodes": result.nodes}


@main.command()
@click.option("--sims", type=click.IntRange(100), default=20_000, show_default=True,
              help="Simulations of the MCTS measurement.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench(sims, as_json):
    """Headline throughput: perft nodes/s (vs python-chess) and MCTS simulations/s."""
    figures = {**_perft_figures(), **_mcts_figures(sims)}
    if as_json:
        print_json(figures)
        return
    console.print(f"perft:  {figures['perft_nps'] / 1e6:.1f} M nodes/s "
                  f"({figures['perft_ratio']:.0f}x python-chess)")
    console.print(f"MCTS:   {figures['mcts_sims_per_s']:,.0f} simulations/s with the static evaluator")
