"""What every command shares: bad-input errors (exit 2), position arguments, JSON and progress."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Iterator

import click
from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
)

console = Console(highlight=False, soft_wrap=True)


class BadInput(click.ClickException):
    """Bad input from the user: one line naming the bad value, exit code 2."""

    exit_code = 2


def load_position(text: str):
    """A ``Position`` from a FEN or ``startpos``; a bad FEN becomes ``BadInput``."""
    from chessmesa.core import InvalidFenError, Position

    try:
        return Position() if text.strip() in ("startpos", "") else Position(text)
    except InvalidFenError as error:
        raise BadInput(str(error)) from None


def make_cli_player(spec: str, seed: int | None = None):
    """A player from an engine spec; a bad spec becomes ``BadInput`` naming it."""
    from chessmesa.play.players import make_player

    try:
        return make_player(spec, seed=seed)
    except ValueError as error:
        raise BadInput(str(error)) from None


def print_json(data) -> None:
    """Data to stdout as JSON (the only thing printed with ``--json``)."""
    click.echo(json.dumps(data, indent=2))


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator:
    """A rich progress bar on stderr; yields ``advance(n)``. Silent when not ``enabled``."""
    if not enabled:
        yield lambda n=1, rate="": None
        return
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stderr), transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int = 1, rate: str = "") -> None:
            progress.update(task, advance=n, rate=rate)

        yield advance


def search_table(result, top: int):
    """The root moves of a search result as a rich table, most visited first."""
    from rich.table import Table

    table = Table(title=f"root moves ({len(result.moves)} legal)")
    for column in ("move", "visits", "share", "Q", "prior") + (
            ("improved",) if result.improved_policy is not None else ()):
        table.add_column(column, justify="right")
    total = max(int(result.visits.sum()), 1)
    order = sorted(range(len(result.moves)), key=lambda i: (-int(result.visits[i]), -float(result.prior[i])))
    for i in order[:top]:
        row = [result.moves[i], f"{int(result.visits[i]):,}", f"{result.visits[i] / total:.1%}",
               f"{result.q[i]:+.3f}", f"{result.prior[i]:.3f}"]
        if result.improved_policy is not None:
            row.append(f"{result.improved_policy[i]:.3f}")
        table.add_row(*row)
    return table


def match_summary(stats: dict) -> str:
    """A few lines summarising a match for people."""
    def number(x, fmt="{:+.1f}"):
        return "inf" if x is None else fmt.format(x)

    low, high = stats["elo_ci"]
    lines = [
        f"{stats['engine_a']} vs {stats['engine_b']} ({stats['games']} games, tc {stats['tc']})",
        f"W/D/L {stats['wins']}/{stats['draws']}/{stats['losses']}   "
        f"pentanomial {stats['pentanomial']}",
        f"Elo {number(stats['elo'])}  95% CI [{number(low)}, {number(high)}]   "
        f"nElo {number(stats['nelo'])}   LOS {number(stats['los'], '{:.1%}')}",
    ]
    if stats.get("sprt"):
        sprt = stats["sprt"]
        lines.append(f"SPRT LLR {sprt['llr']:.2f} [{sprt['lower']:.2f}, {sprt['upper']:.2f}] "
                     f"-> {sprt['decision'] or 'undecided'}")
    return "\n".join(lines)


def ratings_table(rows, anchor: str, anchor_elo: float):
    """Bradley-Terry ratings as a rich table."""
    from rich.table import Table

    table = Table(title=f"Bradley-Terry ratings ({anchor} fixed at {anchor_elo:g})")
    for column in ("engine", "Elo", "95% CI", "games", "score"):
        table.add_column(column, justify="right" if column != "engine" else "left")

    def fmt(x: float) -> str:
        return f"{x:+.0f}" if x == x and abs(x) != float("inf") else ("+inf" if x > 0 else "-inf")

    for row in rows:
        table.add_row(row.name, fmt(row.rating), f"[{fmt(row.low)}, {fmt(row.high)}]",
                      str(row.games), f"{row.score:.1%}")
    return table
