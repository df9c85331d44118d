"""Lichess puzzles: first-move and full-line accuracy of an engine, by rating band.

A puzzle row is ``FEN,Moves,Rating`` (no header, as in ``data/puzzles``) or the full Lichess
export with its header (``PuzzleId,FEN,Moves,Rating,...``). The FEN is the position *before* the
opponent's setup move ``Moves[0]``; the solution starts at ``Moves[1]`` and every other move after
it is the solver's, the moves between are the opponent's forced replies. As on Lichess, when the
expected move mates, any mating move is correct.

>>> import io
>>> puzzles = read_puzzles(io.StringIO("6k1/5ppp/8/8/8/8/8/R5K1 b - - 0 1,g8h8 a1a8,600\\n"))
>>> puzzles[0].solver_moves, rating_band(puzzles[0].rating)
(['a1a8'], 600)
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO, TypeVar

import chess
import numpy as np

from chessmesa.analysis.metrics import bootstrap_ci
from chessmesa.play.players import Limit, Player
from chessmesa.play.root_rules import gives_mate

BAND_WIDTH = 200
T = TypeVar("T")


class PuzzleError(ValueError):
    """An unreadable puzzle file: the message names the file and line."""


@dataclass(frozen=True)
class Puzzle:
    """One puzzle: ``fen`` before the setup move ``moves[0]``; UCI moves throughout."""

    id: str
    fen: str
    moves: list[str]
    rating: int

    @property
    def solver_moves(self) -> list[str]:
        """The moves the solver must find: ``moves[1]``, ``moves[3]``, ..."""
        return self.moves[1::2]


@dataclass(frozen=True)
class PuzzleResult:
    """How an engine did on one puzzle: ``played`` holds its moves up to the first wrong one."""

    id: str
    rating: int
    first_move_correct: bool
    solved: bool
    played: list[str]

    def to_dict(self) -> dict:
        return {"id": self.id, "rating": self.rating, "first_move_correct": self.first_move_correct,
                "solved": self.solved, "played": self.played}


def rating_band(rating: int, width: int = BAND_WIDTH) -> int:
    """The lower bound of the rating band holding ``rating``.

    >>> rating_band(1599), rating_band(1600)
    (1400, 1600)
    """
    return rating // width * width


def read_csv_rows(source: str | Path | TextIO, what: str) -> tuple[str, list[list[str]]]:
    """The name and the rows of a CSV file of ``what``; PuzzleError when it cannot be read."""
    name = getattr(source, "name", str(source))
    try:
        text = source.read() if hasattr(source, "read") else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PuzzleError(f"cannot read {what} {name!r}: {error}") from None
    return name, list(csv.reader(io.StringIO(text)))


def parse_rows(name: str, rows: list[list[str]], first_number: int, parse: Callable[[list[str], int], T],
               what: str) -> list[T]:
    """``parse(row, line number)`` of every row that is not blank (numbered from
    ``first_number``); PuzzleError naming the file and line of the first row it refuses (a
    ValueError or IndexError), or when no row is left."""
    parsed = []
    for number, row in enumerate(rows, first_number):
        if not "".join(row).strip():
            continue
        try:
            parsed.append(parse(row, number))
        except (IndexError, ValueError) as error:
            raise PuzzleError(f"{name}:{number}: bad {what} {','.join(row)!r}: {error}") from None
    if not parsed:
        raise PuzzleError(f"no {what}s in {name!r}")
    return parsed


def read_puzzles(source: str | Path | TextIO) -> list[Puzzle]:
    """Every puzzle of a CSV file; each is replayed once, so an illegal move is caught here."""
    name, rows = read_csv_rows(source, "puzzles")
    header = rows[0] if rows and "FEN" in rows[0] else None
    columns = {key: header.index(key) for key in ("FEN", "Moves", "Rating")} if header else \
        {"FEN": 0, "Moves": 1, "Rating": 2}

    def parse(row: list[str], number: int) -> Puzzle:
        fields = {key: row[index] for key, index in columns.items()}
        puzzle_id = row[header.index("PuzzleId")] if header and "PuzzleId" in header else str(number)
        puzzle = Puzzle(puzzle_id, fields["FEN"], fields["Moves"].split(), int(fields["Rating"]))
        _replay(puzzle)
        return puzzle

    return parse_rows(name, rows[1:] if header else rows, 2 if header else 1, parse, "puzzle")


def _replay(puzzle: Puzzle) -> None:
    """Raise ValueError unless the puzzle's moves are legal and the solver has one at least."""
    if len(puzzle.moves) < 2:
        raise ValueError("a puzzle needs the setup move and one solver move at least")
    board = chess.Board(puzzle.fen)
    for move in puzzle.moves:
        board.push_uci(move)  # raises a ValueError subclass for an illegal move


def stratified_subset(puzzles: list[Puzzle], n: int, seed: int = 0,
                      width: int = BAND_WIDTH) -> list[Puzzle]:
    """``n`` puzzles drawn from each rating band in proportion to its size, reproducibly.

    Shares are rounded by largest remainder, so the band sizes sum to ``n``; the subset keeps the
    file's order.

    >>> pool = [Puzzle(str(i), chess.STARTING_FEN, [], 1000 + 100 * (i % 4)) for i in range(40)]
    >>> sorted(rating_band(p.rating) for p in stratified_subset(pool, 4, seed=1))
    [1000, 1000, 1200, 1200]
    """
    if n >= len(puzzles):
        return list(puzzles)
    bands: dict[int, list[int]] = defaultdict(list)
    for index, puzzle in enumerate(puzzles):
        bands[rating_band(puzzle.rating, width)].append(index)
    keys = sorted(bands)
    shares = np.array([len(bands[key]) for key in keys]) * n / len(puzzles)
    counts = np.floor(shares).astype(int)
    for extra in np.argsort(-(shares - counts), kind="stable")[: n - counts.sum()]:
        counts[extra] += 1
    rng = np.random.default_rng(seed)
    chosen = [index for key, count in zip(keys, counts)
              for index in rng.choice(bands[key], size=count, replace=False)]
    return [puzzles[index] for index in sorted(chosen)]


def is_correct(board: chess.Board, expected: chess.Move, played: chess.Move) -> bool:
    """The expected move, or any checkmate when the expected move is one.

    >>> board = chess.Board("6k1/5ppp/8/8/8/8/8/R5KR w - - 0 1")
    >>> is_correct(board, chess.Move.from_uci("a1a8"), chess.Move.from_uci("h1h8"))
    False
    >>> board = chess.Board("7k/6pp/8/8/8/8/8/RR4K1 w - - 0 1")
    >>> is_correct(board, chess.Move.from_uci("a1a8"), chess.Move.from_uci("b1b8"))
    True
    """
    return played == expected or (gives_mate(board, expected) and gives_mate(board, played))


def solve_puzzle(player: Player, puzzle: Puzzle, limit: Limit = Limit()) -> PuzzleResult:
    """Play the solver's side of ``puzzle`` until the engine errs or the line ends."""
    player.new_game()
    board = chess.Board(puzzle.fen)
    board.push_uci(puzzle.moves[0])
    played = []
    for ply, uci in enumerate(puzzle.moves[1:]):
        expected = chess.Move.from_uci(uci)
        if ply % 2 == 0:
            move = player.choose(board.copy(), limit).move
            played.append(move.uci())
            if not is_correct(board, expected, move):
                return PuzzleResult(puzzle.id, puzzle.rating, ply > 0, False, played)
        board.push(expected)
    return PuzzleResult(puzzle.id, puzzle.rating, True, True, played)


def _accuracies(results: list[PuzzleResult], seed: int) -> dict:
    first = np.array([r.first_move_correct for r in results], dtype=float)
    line = np.array([r.solved for r in results], dtype=float)
    return {"n": len(results),
            "first_move_accuracy": float(first.mean()), "first_move_ci": bootstrap_ci(first, seed=seed),
            "line_accuracy": float(line.mean()), "line_ci": bootstrap_ci(line, seed=seed)}


def score_puzzles(player: Player, puzzles: list[Puzzle], limit: Limit = Limit(), seed: int = 0,
                  width: int = BAND_WIDTH,
                  on_result: Callable[[PuzzleResult], None] = lambda result: None) -> dict:
    """Solve every puzzle; overall and per-band accuracies with bootstrap 95% intervals.

    Returns ``{"first_move_accuracy", "line_accuracy", "n", ..., "bands": {"1400": {...}},
    "results": [...], "seconds"}``; band keys are each band's lower bound.
    """
    start = time.perf_counter()
    results = []
    for puzzle in puzzles:
        results.append(solve_puzzle(player, puzzle, limit))
        on_result(results[-1])
    by_band: dict[int, list[PuzzleResult]] = defaultdict(list)
    for result in results:
        by_band[rating_band(result.rating, width)].append(result)
    bands = {str(low): {"range": [low, low + width - 1], **_accuracies(by_band[low], seed)}
             for low in sorted(by_band)}
    return {**_accuracies(results, seed), "bands": bands,
            "results": [result.to_dict() for result in results],
            "seconds": time.perf_counter() - start}
