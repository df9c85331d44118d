"""``chessmesa analyze clock``: strength against time per move, and the break-even time."""

from __future__ import annotations

import click

from chessmesa.cli.analyze import SHIPPED_OPENINGS, analyze
from chessmesa.analysis.answer import format_interval
from chessmesa.cli.support import BadInput, console, print_json, progress_bar
from chessmesa.play.game import DEFAULT_MAX_MOVES


def _limits(text: str) -> list[float]:
    """``"0.3,1,3"`` as positive milliseconds; BadInput naming the value otherwise."""
    try:
        limits = sorted({float(part) for part in text.replace(" ", "").split(",") if part})
    except ValueError:
        limits = []
    if not limits or limits[0] < 0.01:
        raise BadInput(f"bad --limits {text!r}: expected milliseconds of at least 0.01, separated by commas")
    return limits


@analyze.command()
@click.argument("specs", nargs=-1, required=True, metavar="SPEC...")
@click.option("--limits", default="0.3,1,3,10,30,100", show_default=True, metavar="MS,...",
              help="Time per move, in milliseconds, for every searching player.")
@click.option("--games-per-pair", type=click.IntRange(2), default=20, show_default=True,
              help="Games of each pairing (even: every opening with both colours).")
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Folder for the games (kept as they finish: a rerun resumes), clock.json and elo-vs-time.png.")
@click.option("--openings", type=click.Path(exists=True, dir_okay=False), default=str(SHIPPED_OPENINGS),
              show_default=True, help="EPD/FEN or PGN file of start positions.")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True,
              help="Games played at once, one process each (one per core: two processes share no time).")
@click.option("--max-moves", type=click.IntRange(1), default=DEFAULT_MAX_MOVES, show_default=True,
              help="A game still going after this many moves is a draw.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def clock(specs, limits, games_per_pair, out, openings, workers, max_moves, seed, as_json):
    """Play SPEC... against each other at several times per move: at what time does a heuristic
    beat search?

    A searching player (mcts, netmcts, stockfish, uci; give it no budget) takes part once per
    limit; a player that does not search (policy, greedy, random) once, at its own speed. The
    first searching player is the reference: its limits play each other, every other player plays
    it. Prints the Bradley-Terry ratings (the reference at the shortest limit = 0), each player's
    measured time per move, and the break-even time of each player that does not search.

    Example: chessmesa analyze clock mcts policy:ckpt=runs/t256 --limits 0.3,1,3,10 --out clock1
    """
    from chessmesa.analysis.clock import check_folder, clock_config, run_clock

    limit_values = _limits(limits)
    try:
        config = clock_config(list(specs), limit_values, games_per_pair, openings, seed, max_moves)
        check_folder(out, config)
    except ValueError as error:
        raise BadInput(str(error)) from None
    summary = run_clock(config, out, workers,
                        progress=lambda description, total: progress_bar(description, total, enabled=not as_json))
    if as_json:
        print_json(summary)
    else:
        _print(summary, out)


def _print(summary: dict, out: str) -> None:
    """The ratings with each entrant's time per move, then the break-even verdicts."""
    from rich.table import Table

    from chessmesa.analysis.clock import break_even_sentence

    table = Table(title=f"strength against time per move (Elo, {summary['anchor']} = 0)")
    for column in ("player", "limit", "Elo [95% CI]", "W-D-L", "move time p50 / p99 / max", "over limit"):
        table.add_column(column)
    for row in sorted(summary["entrants"], key=lambda r: -r["elo"]):
        times = row["move_time"]
        limit = "own time" if row["limit_ms"] is None else f"{row['limit_ms']:g} ms"
        moved = ("-" if times["p50_ms"] is None else
                 f"{times['p50_ms']:.3g} / {times['p99_ms']:.3g} / {times['max_ms']:.3g} ms")
        over = "-" if times["over_limit_share"] is None else f"{times['over_limit_share']:.0%}"
        table.add_row(row["name"], limit, format_interval(row["elo"], row["elo_ci"], "{:+.0f}"),
                      "-".join(str(x) for x in row["wdl"]), moved, over)
    console.print(table)
    for verdict in summary["break_even"]:
        console.print(break_even_sentence(verdict), markup=False)
    console.print(f"games, clock.json and elo-vs-time.png in {out}")
