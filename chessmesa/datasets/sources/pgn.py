"""Recorded games (``pgn:FILE``): positions sampled from the main line of each game, one game
per task.

The plan scans the file's headers once (fast: no moves are read) to find where each game starts;
a worker reads its game's moves. A game python-chess cannot read without errors (an illegal or
unreadable move), or of another variant, is a bad game: skipped and counted, or with
``--bad-lines error`` (which reads every game before any search) an error naming the line where
it starts. ``result`` comes from the ``Result`` header; ``game_id`` is the game's index in the
file, from 0.
"""

from __future__ import annotations

from pathlib import Path

import chess
import chess.pgn

from chessmesa.core import Position, move_from_chess
from chessmesa.datasets.config import GenerateConfig, SourceSpec
from chessmesa.datasets.errors import SourceError
from chessmesa.datasets.sources import Candidate, TaskContext, check_up_front, file_digest
from chessmesa.datasets.sources.games import candidate, sampled, set_results, without_history

_WHITE_SCORES = {"1-0": 1, "0-1": -1, "1/2-1/2": 0}
_STANDARD = ("standard", "chess", "from position")


class _QuietGameBuilder(chess.pgn.GameBuilder):
    """Collects errors in ``game.errors`` without logging them: they are reported as bad games."""

    def handle_error(self, error: Exception) -> None:
        self.game.errors.append(error)


def _open(path: str):
    # one way to open the file for both the scan and the workers: the offsets must agree
    return open(path, encoding="utf-8", errors="replace", newline="")


def boards_along_games(path: str | Path, count: int) -> list[chess.Board]:
    """The first ``count`` positions along the main lines of a PGN file's games, in game order,
    each a board with its game's move stack (as a game hands positions to a player); positions
    where the game is over are left out. Fewer when the file runs out.

    >>> import chessmesa
    >>> games = Path(chessmesa.__file__).parents[1] / "data" / "games" / "lichess_2021-10_sample.pgn"
    >>> [len(board.move_stack) for board in boards_along_games(games, 3)]
    [1, 2, 3]
    """
    boards: list[chess.Board] = []
    with open(path, encoding="utf-8", errors="replace") as pgn:
        while len(boards) < count and (game := chess.pgn.read_game(pgn)) is not None:
            board = game.board()
            for move in game.mainline_moves():
                board.push(move)
                if not board.is_game_over():
                    boards.append(board.copy())
    return boards[:count]


def game_offsets(path: str) -> list[int]:
    """Where each game of the file starts (``tell()`` offsets)."""
    offsets = []
    try:
        with _open(path) as handle:
            while True:
                offset = handle.tell()
                if chess.pgn.read_headers(handle) is None:
                    break
                offsets.append(offset)
    except OSError as error:
        raise SourceError(f"cannot read source file {path}: {error.strerror}") from None
    if not offsets:
        raise SourceError(f"no game in {path}")
    return offsets


def read_game(path: str, offset: int) -> tuple[chess.pgn.Game | None, str | None]:
    """The game at ``offset``, or what is wrong with it."""
    with _open(path) as handle:
        handle.seek(offset)
        game = chess.pgn.read_game(handle, Visitor=_QuietGameBuilder)
    if game is None:
        return None, "no game"
    variant = game.headers.get("Variant", "Standard")
    if variant.lower() not in _STANDARD:
        return None, f"variant {variant!r} is not standard chess"
    if game.errors:
        return None, f"unreadable game: {game.errors[0]}"
    return game, None


def line_of(path: str, offset: int) -> int:
    """The line number at a game's offset (for messages only: it reads the file up to there)."""
    with open(path, "rb") as handle:
        return handle.read(offset).count(b"\n") + 1


class PgnPlan:
    """One task per game, in file order."""

    def __init__(self, spec: SourceSpec, config: GenerateConfig, index: int):
        self.spec = spec
        self.digest = file_digest(spec.path)
        self.offsets = game_offsets(spec.path)
        if config.bad_lines == "error":
            check_up_front(spec.path, self.offsets, lambda offset: read_game(spec.path, offset)[1],
                           lambda offset: line_of(spec.path, offset))
        self.count = len(self.offsets)

    def payload(self, number: int) -> int:
        return self.offsets[number]

    def input_info(self) -> dict:
        return {"source": str(self.spec), **self.digest, "games": self.count}


def candidates(offset: int, number: int, context: TaskContext) -> list[Candidate]:
    """The sampled positions of game ``number``: every position of its main line, the start
    position included, is a ply."""
    game, problem = read_game(context.spec.path, offset)
    if problem is not None:
        context.bad_line(line_of(context.spec.path, offset), problem, what="game")
        return []
    board = game.board()
    walker = Position(board.fen())  # follows the game: a copy per position beats a FEN parse
    found = []
    for ply, move in enumerate([*game.mainline_moves(), None]):
        if sampled(ply, context):
            root = without_history(walker)
            if not root.is_game_over():  # a final mate or stalemate is not labelled
                found.append(candidate(root, number))
        if move is not None:
            walker.push(move_from_chess(board, move))
            board.push(move)
    return set_results(found, _WHITE_SCORES.get(game.headers.get("Result", "*")))
