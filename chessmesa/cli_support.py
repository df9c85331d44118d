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


def print_json(data) -> None:
    """Data to stdout as JSON (the only thing printed with ``--json``)."""
    click.echo(json.dumps(data, indent=2))


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator:
    """A rich progress bar on stderr; yields ``advance(n)``. Silent when not ``enabled``."""
    if not enabled:
        yield lambda n=1: None
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
