"""The ``chessmesa`` command line: parse, call the library, print.

Exit codes: 0 success, 1 the work ran but failed (a perft mismatch, a failed validation, or an
error inside the work: its cause in one line and a file with the traceback), 2 bad input, with a
one-line error naming the bad value, checked where the input is read. Each module of this package
adds the commands of one area to the ``main`` group.
"""

from __future__ import annotations

import click

from chessmesa.cli.support import FailureReportingGroup


@click.group(cls=FailureReportingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chessmesa")
def main() -> None:
    """chessmesa: the time-limited grandmaster in code.

    A numba MCTS engine labels positions; networks distilled from it play without search; the
    analysis measures how close the fast heuristic comes to the searcher.

    One name per idea in every command: --engine SPEC is a player, --sims N one player's
    simulations per move, --budgets a dataset's label budgets, --workers K worker processes,
    --out a folder (an analysis's JSON file: --json-out FILE).
    """


def _register_commands() -> None:
    """Import every module of this package: each adds its area's commands to ``main``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("support", "__main__"):
            importlib.import_module(f"{__name__}.{module.name}")


_register_commands()
