"""What every command shares: bad-input errors (exit 2), failures inside the work (exit 1), position
arguments, JSON and progress."""

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


class WorkFailed(click.ClickException):
    """A failure inside the work (not the user's input): its cause in one line, exit code 1."""

    exit_code = 1


class FailureReportingGroup(click.Group):
    """The ``main`` group: an exception that escapes a command's work (anything but click's own,
    which carry their exit code, ``BadInput`` among them) ends the command with exit code 1, its
    cause on one line and the path of a file that holds the traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            raise WorkFailed(f"{_one_line(error)} (traceback in {_save_traceback()})") from error


class RenamedOption(click.Option):
    """An option whose old names (``old_names``) still work for one release, hidden from
    ``--help``: a value given under an old name goes to the same parameter, with a one-line note
    on stderr naming the new one. Giving both names is refused (exit 2), except for a
    ``multiple`` option, whose values are joined."""

    def __init__(self, *args, old_names: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_flag:
            raise TypeError("RenamedOption takes options with a value, not flags")
        self.old_names = old_names

    def _old_dest(self, old_name: str) -> str:
        """The parser's slot for a value given under ``old_name``: apart from the new name's, so
        that :meth:`consume_value` knows which name was used."""
        return f"{self.name} as {old_name}"

    def add_to_parser(self, parser, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for old_name in self.old_names:
            parser.add_option(obj=self, opts=[old_name], dest=self._old_dest(old_name),
                              action="append" if self.multiple else "store", nargs=self.nargs)

    def consume_value(self, ctx: click.Context, opts):
        new_name = self.opts[0]
        for old_name in self.old_names:
            if self._old_dest(old_name) not in opts:
                continue
            value = opts[self._old_dest(old_name)]
            if self.name in opts and not self.multiple:
                raise click.BadOptionUsage(new_name,
                                           f"{old_name} is the old name of {new_name}: give one of them")
            click.echo(f"note: {old_name} is deprecated; use {new_name}", err=True)
            opts = {**opts, self.name: [*opts.get(self.name, []), *value] if self.multiple else value}
        return super().consume_value(ctx, opts)


def renamed_option(*param_decls: str, old: str | tuple[str, ...], **attrs):
    """``click.option(*param_decls, **attrs)`` that also accepts the ``old`` name(s) of the option,
    hidden from ``--help`` (see :class:`RenamedOption`)::

        @renamed_option("--workers", old="--concurrency", type=click.IntRange(1), default=1)
    """
    return click.option(*param_decls, cls=RenamedOption, old_names=(old,) if isinstance(old, str) else old,
                        **attrs)


def _one_line(error: Exception) -> str:
    """``Type: message``, the message's first line only."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


def _save_traceback() -> str:
    """The current exception's traceback, written to a new file in the temporary folder; its path."""
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile("w", prefix="chessmesa-traceback-", suffix=".txt",
                                     delete=False) as handle:
        traceback.print_exc(file=handle)
    return handle.name


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


def ratings_table(scales: list[dict]):
    """Bradley-Terry ratings as a rich table: a column and its interval for each scale
    (:func:`chessmesa.analysis.tournament.rating_scales`), in the order of the first one."""
    from rich.table import Table

    first = scales[0]
    table = Table(title=f"Bradley-Terry ratings ({first['anchor']} fixed at {first['anchor_elo']:g}; 95% intervals)")
    table.add_column("engine")
    for scale in scales:
        table.add_column(f"Elo ({scale['anchor']} = {scale['anchor_elo']:g})", justify="right")
        table.add_column("95% CI", justify="right")
    table.add_column("games", justify="right")
    table.add_column("score", justify="right")

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:+.0f}"

    by_scale = [{row["name"]: row for row in scale["players"]} for scale in scales]
    for row in first["players"]:
        cells = []
        for rows in by_scale:
            found = rows[row["name"]]
            cells += [fmt(found["rating"]), f"[{fmt(found['ci'][0])}, {fmt(found['ci'][1])}]"]
        table.add_row(row["name"], *cells, str(row["games"]), "-" if row["score"] is None else f"{row['score']:.1%}")
    return table
