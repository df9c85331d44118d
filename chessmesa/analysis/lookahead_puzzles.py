"""The look-ahead puzzle set: puzzles with a forced three-move line and a corrupted twin each.

After Jenner et al. (2024, "Evidence of learned look-ahead in a chess-playing neural network"). A
puzzle enters the set when

- its solution line holds at least three moves: the solver's move, the opponent's reply and the
  solver's follow-up (the targets of the look-ahead measures are the squares these three moves go
  to, so the three target squares must differ);
- its first move does not mate (a mate in one needs no look-ahead);
- a strong searcher, the *checker* (Stockfish by default), plays the line's first move and, after
  the reply, its third: the line is forced enough that an independent engine agrees.

Its corrupted twin is the first of a few small legal changes (in a seeded order) that alters the
best line, as the checker sees it: one pawn removed or added, or one piece other than a pawn or king
moved to an empty square. The change must keep the position valid and the first move legal, leave
the squares of the line's three moves alone, and leave the attackers of the first move's target
square as they were, so that the first move turns bad for a reason further along the line rather
than on its own square (Jenner et al. filter such "obvious" corruptions with a weak network; this
is the same idea in the board's terms). The checker's best move in the twin must differ from the
line's first move.

The set is a CSV file with a header: ``PuzzleId,FEN,Moves,Rating,CorruptedFEN,Corruption``; ``FEN``
is the position the solver moves in (after the Lichess setup move) and ``Moves`` the solution line
from there.

>>> puzzle = LookaheadPuzzle("p", "6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", ["a1a8"], 1000,
...                          "6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", "none")
>>> puzzle.target_squares()
[56]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import chess
import numpy as np

from chessmesa.analysis.puzzles import Puzzle, PuzzleError, parse_rows, read_csv_rows
from chessmesa.play.base import Limit, Player
from chessmesa.play.root_rules import gives_mate

LINE_MOVES = 3  # the 1st (solver), 2nd (reply) and 3rd (solver's follow-up) moves
HEADER = ["PuzzleId", "FEN", "Moves", "Rating", "CorruptedFEN", "Corruption"]
#: how many candidate corruptions the checker judges per puzzle before the puzzle is left out
CORRUPTION_TRIES = 12
DEFAULT_CHECKER = "stockfish:nodes=20000"


@dataclass(frozen=True)
class LookaheadPuzzle:
    """A puzzle of the look-ahead set: the solver to move in ``fen``, ``line`` in UCI from there."""

    id: str
    fen: str
    line: list[str]
    rating: int
    corrupted_fen: str
    corruption: str

    def target_squares(self, moves: int = LINE_MOVES) -> list[int]:
        """The squares (python-chess numbering) the line's first ``moves`` moves go to."""
        return [chess.Move.from_uci(uci).to_square for uci in self.line[:moves]]

    def changed_squares(self) -> list[int]:
        """The squares whose piece differs between the puzzle and its twin."""
        return differing_squares(chess.Board(self.fen), chess.Board(self.corrupted_fen))

    def row(self) -> list[str]:
        return [self.id, self.fen, " ".join(self.line), str(self.rating), self.corrupted_fen, self.corruption]


def differing_squares(board: chess.Board, other: chess.Board) -> list[int]:
    """The squares whose piece differs between two boards.

    >>> differing_squares(chess.Board(), chess.Board("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"))
    [12, 28]
    """
    return [square for square in chess.SQUARES if board.piece_at(square) != other.piece_at(square)]


def line_squares(board: chess.Board, line: Sequence[str]) -> set[int]:
    """Every square a move of ``line`` leaves or reaches (with a castling rook's)."""
    squares: set[int] = set()
    board = board.copy(stack=False)
    for uci in line:
        move = chess.Move.from_uci(uci)
        before = board.occupied
        board.push(move)
        squares |= {move.from_square, move.to_square} | set(chess.SquareSet(before ^ board.occupied))
    return squares


def candidate_corruptions(board: chess.Board) -> Iterator[tuple[str, chess.Board]]:
    """Every small change of ``board``: a pawn removed, a pawn of either colour added on an empty
    square (ranks 2 to 7), or a piece other than a pawn or king moved to an empty square.

    >>> board = chess.Board("4k3/8/8/8/8/8/4P3/4K3 w - - 0 1")
    >>> changes = dict(candidate_corruptions(board))
    >>> "remove P e2" in changes, "add p d5" in changes, len(changes)
    (True, True, 95)
    """
    for square, piece in board.piece_map().items():
        if piece.piece_type == chess.PAWN:
            changed = board.copy(stack=False)
            changed.remove_piece_at(square)
            yield f"remove {piece.symbol()} {chess.square_name(square)}", changed
    empty = [square for square in chess.SQUARES if board.piece_at(square) is None]
    for square in empty:
        if chess.square_rank(square) in (0, 7):
            continue
        for color in chess.COLORS:
            changed = board.copy(stack=False)
            pawn = chess.Piece(chess.PAWN, color)
            changed.set_piece_at(square, pawn)
            yield f"add {pawn.symbol()} {chess.square_name(square)}", changed
    for source, piece in board.piece_map().items():
        if piece.piece_type in (chess.PAWN, chess.KING):
            continue
        for target in empty:
            changed = board.copy(stack=False)
            changed.set_piece_at(target, changed.remove_piece_at(source))
            yield f"move {piece.symbol()} {chess.square_name(source)}{chess.square_name(target)}", changed


def _attackers(board: chess.Board, square: int) -> tuple[int, int]:
    return int(board.attackers(chess.WHITE, square)), int(board.attackers(chess.BLACK, square))


def plausible_corruptions(board: chess.Board, line: Sequence[str]) -> Iterator[tuple[str, chess.Board]]:
    """The candidate corruptions that keep the position valid and the first move legal, change no
    square of the line and leave the attackers of the first move's target square alone."""
    first = chess.Move.from_uci(line[0])
    untouchable = line_squares(board, line[:LINE_MOVES])
    attackers = _attackers(board, first.to_square)
    for description, changed in candidate_corruptions(board):
        if set(differing_squares(board, changed)) & untouchable or not changed.is_valid() or first not in changed.legal_moves:
            continue
        if _attackers(changed, first.to_square) == attackers:
            yield description, changed


def solver_position(puzzle: Puzzle) -> chess.Board:
    """The board after the Lichess setup move: the solver to move."""
    board = chess.Board(puzzle.fen)
    board.push_uci(puzzle.moves[0])
    return chess.Board(board.fen())


def is_candidate(puzzle: Puzzle) -> bool:
    """Whether ``puzzle`` has a line of three moves to three different squares and no mate in one."""
    line = puzzle.moves[1:1 + LINE_MOVES]
    if len(line) < LINE_MOVES:
        return False
    board = solver_position(puzzle)
    if gives_mate(board, chess.Move.from_uci(line[0])):
        return False
    return len({chess.Move.from_uci(uci).to_square for uci in line}) == LINE_MOVES


def checker_agrees(checker: Player, board: chess.Board, line: Sequence[str], limit: Limit) -> bool:
    """Whether ``checker`` plays the line's first move and, after the reply, its third."""
    if checker.choose(board.copy(), limit).move.uci() != line[0]:
        return False
    after = board.copy(stack=False)
    after.push_uci(line[0])
    after.push_uci(line[1])
    return checker.choose(after, limit).move.uci() == line[2]


def find_twin(checker: Player, board: chess.Board, line: Sequence[str], limit: Limit,
              rng: np.random.Generator, tries: int = CORRUPTION_TRIES) -> tuple[str, chess.Board] | None:
    """The first of ``tries`` plausible corruptions (in a random order) in which the checker's best
    move is no longer the line's first; None when none of them is."""
    candidates = list(plausible_corruptions(board, line))
    for index in rng.permutation(len(candidates))[:tries]:
        description, changed = candidates[index]
        if checker.choose(changed.copy(), limit).move.uci() != line[0]:
            return description, changed
    return None


def build_lookahead_set(puzzles: Sequence[Puzzle], checker: Player, limit: Limit = Limit(), seed: int = 0,
                        progress: Callable[[int], None] = lambda n: None) -> tuple[list[LookaheadPuzzle], dict]:
    """The look-ahead puzzles among ``puzzles``, and the count each filter left.

    Each puzzle's corruptions are tried in an order drawn from ``seed`` and the puzzle's index, so
    a subset of the file gives the same twins as the whole.
    """
    counts = {"puzzles": len(puzzles), "three_move_lines": 0, "checker_agrees": 0, "with_twin": 0}
    chosen = []
    for index, puzzle in enumerate(puzzles):
        progress(1)
        if not is_candidate(puzzle):
            continue
        counts["three_move_lines"] += 1
        board, line = solver_position(puzzle), puzzle.moves[1:]
        checker.new_game()
        if not checker_agrees(checker, board, line, limit):
            continue
        counts["checker_agrees"] += 1
        twin = find_twin(checker, board, line, limit, np.random.default_rng([seed, index]))
        if twin is None:
            continue
        counts["with_twin"] += 1
        chosen.append(LookaheadPuzzle(puzzle.id, board.fen(), line, puzzle.rating, twin[1].fen(), twin[0]))
    return chosen, counts


def sample_puzzles(puzzles: Sequence[LookaheadPuzzle], count: int | None, seed: int = 0) -> list[LookaheadPuzzle]:
    """A seeded sample of ``count`` puzzles in the file's order (all of them when ``count`` is None
    or not smaller).

    >>> [p.id for p in sample_puzzles([LookaheadPuzzle(str(i), "", [], 0, "", "") for i in range(5)], 2)]
    ['3', '4']
    """
    if count is None or count >= len(puzzles):
        return list(puzzles)
    chosen = np.sort(np.random.default_rng(seed).choice(len(puzzles), count, replace=False))
    return [puzzles[index] for index in chosen]


def write_lookahead_set(path: str | Path, puzzles: Sequence[LookaheadPuzzle]) -> None:
    """Write the set as CSV (atomically: a temporary file, then a rename)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(puzzle.row() for puzzle in puzzles)
    temporary.replace(path)


def read_lookahead_set(path: str | Path) -> list[LookaheadPuzzle]:
    """The puzzles of a look-ahead set file; PuzzleError naming the file and line when a row is bad
    (an unreadable FEN, an illegal line, a twin whose first move is illegal) or the file is not a set.
    """
    name, rows = read_csv_rows(path, "look-ahead puzzles")
    if not rows or rows[0] != HEADER:
        raise PuzzleError(f"{name} is not a look-ahead puzzle set: its header must be {','.join(HEADER)} "
                          "(build one with `chessmesa analyze lookahead-puzzles`)")

    def parse(row: list[str], number: int) -> LookaheadPuzzle:
        puzzle_id, fen, moves, rating, corrupted_fen, corruption = row
        puzzle = LookaheadPuzzle(puzzle_id, fen, moves.split(), int(rating), corrupted_fen, corruption)
        _check(puzzle)
        return puzzle

    return parse_rows(name, rows[1:], 2, parse, "look-ahead puzzle")


def _check(puzzle: LookaheadPuzzle) -> None:
    """Raise ValueError unless the line is legal, long enough, and its first move legal in the twin."""
    if len(puzzle.line) < LINE_MOVES:
        raise ValueError(f"the line needs {LINE_MOVES} moves at least")
    board = chess.Board(puzzle.fen)
    for uci in puzzle.line:
        board.push_uci(uci)
    twin = chess.Board(puzzle.corrupted_fen)
    if twin.turn != chess.Board(puzzle.fen).turn:
        raise ValueError("the twin has the other side to move")
    if chess.Move.from_uci(puzzle.line[0]) not in twin.legal_moves:
        raise ValueError(f"the first move {puzzle.line[0]} is illegal in the twin")
