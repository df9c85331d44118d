"""EPD test suites (``bm`` best move / ``am`` avoid move): how many positions an engine solves.

>>> import io
>>> suite = read_epd_suite(io.StringIO('6k1/5ppp/8/8/8/8/8/R5K1 w - - bm Ra8#; id "mate";'))
>>> suite[0].board.fen(), [m.uci() for m in suite[0].best]
('6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1', ['a1a8'])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

import chess

from chessmesa.play.players import Limit, Player


class SuiteError(ValueError):
    """An unreadable EPD suite: the message names the file and line."""


@dataclass
class EpdPosition:
    board: chess.Board
    best: list[chess.Move] = field(default_factory=list)
    avoid: list[chess.Move] = field(default_factory=list)
    id: str = ""

    def solved_by(self, move: chess.Move) -> bool:
        """A ``bm`` suite is solved by one of its moves; an ``am`` suite by any other move."""
        if self.best and move not in self.best:
            return False
        return move not in self.avoid


def read_epd_suite(source: str | Path | TextIO) -> list[EpdPosition]:
    """Every position of an EPD file that names ``bm`` or ``am`` moves (python-chess parses)."""
    name = getattr(source, "name", str(source))
    try:
        lines = source.read().splitlines() if hasattr(source, "read") else Path(source).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"cannot read EPD suite {name!r}: {error}") from None
    positions = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            board, ops = chess.Board.from_epd(line)
        except ValueError as error:
            raise SuiteError(f"{name}:{number}: {error}") from None
        best, avoid = ops.get("bm", []), ops.get("am", [])
        if not best and not avoid:
            raise SuiteError(f"{name}:{number}: no 'bm' or 'am' operation")
        positions.append(EpdPosition(board, list(best), list(avoid), str(ops.get("id", number))))
    return positions


def solve_suite(player: Player, positions: list[EpdPosition], limit: Limit,
                on_result: Callable[[dict], None] = lambda result: None) -> dict:
    """Ask ``player`` for a move in each position; the solved count and one record per position."""
    results = []
    for position in positions:
        player.new_game()
        start = time.perf_counter()
        choice = player.choose(position.board.copy(), limit)
        record = {
            "id": position.id,
            "fen": position.board.fen(),
            "bm": [position.board.san(m) for m in position.best],
            "am": [position.board.san(m) for m in position.avoid],
            "move": position.board.san(choice.move),
            "solved": position.solved_by(choice.move),
            "seconds": time.perf_counter() - start,
        }
        results.append(record)
        on_result(record)
    solved = sum(r["solved"] for r in results)
    return {"solved": solved, "total": len(results),
            "share": solved / len(results) if results else 0.0,
            "seconds": sum(r["seconds"] for r in results), "results": results}
