"""Perft runs and perft suites (``FEN; D1 n; D2 n; ...`` lines) with timing.

>>> from chessmesa.core import Position
>>> run_perft(Position(), 2)["nodes"]
400
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import chess

from chessmesa.core.position import Position
from chessmesa.core.convert import InvalidFenError, move_to_uci
from chessmesa.core.perft import perft, perft_divide


def python_chess_perft(board: chess.Board, depth: int) -> int:
    """Bulk-counting perft written with python-chess: the pure-Python reference for benchmarks.

    >>> python_chess_perft(chess.Board(), 3)
    8902
    """
    if depth == 0:
        return 1
    if depth == 1:
        return board.legal_moves.count()
    nodes = 0
    for move in board.legal_moves:
        board.push(move)
        nodes += python_chess_perft(board, depth - 1)
        board.pop()
    return nodes


class SuiteError(ValueError):
    """An unreadable perft suite file or line."""


def run_perft(position: Position, depth: int, divide: bool = False) -> dict:
    """Perft of ``position`` to ``depth``: nodes, seconds and nodes/s (compilation excluded)."""
    perft(position.bb, position.st, position.tables, 1)  # load the compiled code before timing
    start = time.perf_counter()
    if divide and depth >= 1:
        moves, counts = perft_divide(position.bb, position.st, position.tables, depth)
        nodes = int(counts.sum())
    else:
        nodes = int(perft(position.bb, position.st, position.tables, depth))
    seconds = time.perf_counter() - start
    report = {"fen": position.fen(), "depth": depth, "nodes": nodes, "seconds": seconds,
              "nps": nodes / seconds if seconds > 0 else 0.0}
    if divide and depth >= 1:
        report["divide"] = {move_to_uci(m): int(c) for m, c in sorted(
            zip(moves, counts), key=lambda mc: move_to_uci(mc[0]))}
    return report


def read_perft_suite(path: str | Path) -> list[tuple[str, dict[int, int]]]:
    """``(fen, {depth: nodes})`` for each line; blank lines and ``#`` comments are skipped."""
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"cannot read perft suite {str(path)!r}: {error}") from None
    entries = []
    for number, line in enumerate(lines, 1):
        line = line.strip().strip("\x00")
        if not line or line.startswith("#"):
            continue
        fen, *fields = [part.strip() for part in line.split(";")]
        counts = {}
        for field in filter(None, fields):
            try:
                label, value = field.split()
                if label[0] not in "Dd":
                    raise ValueError
                counts[int(label[1:])] = int(value)
            except ValueError:
                raise SuiteError(
                    f"{path}:{number}: expected 'Dn count', got {field!r}") from None
        entries.append((fen, counts))
    return entries


def verify_perft_suite(
    entries: list[tuple[str, dict[int, int]]],
    max_depth: int | None = None,
    on_position: Callable[[int], None] = lambda nodes: None,
) -> dict:
    """Check every count (up to ``max_depth``); returns totals and the list of mismatches."""
    mismatches, checks, total_nodes, seconds = [], 0, 0, 0.0
    for fen, counts in entries:
        try:
            position = Position(fen)
        except InvalidFenError as error:
            raise SuiteError(str(error)) from None
        nodes_here = 0
        for depth, expected in sorted(counts.items()):
            if max_depth is not None and depth > max_depth:
                continue
            result = run_perft(position, depth)
            checks += 1
            nodes_here += result["nodes"]
            seconds += result["seconds"]
            if result["nodes"] != expected:
                mismatches.append({"fen": fen, "depth": depth, "expected": expected,
                                   "nodes": result["nodes"]})
        total_nodes += nodes_here
        on_position(nodes_here)
    return {"positions": len(entries), "checks": checks, "mismatches": mismatches,
            "nodes": total_nodes, "seconds": seconds,
            "nps": total_nodes / seconds if seconds > 0 else 0.0}
