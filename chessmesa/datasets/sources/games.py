"""What the game sources share: which plies are sampled, the ply number, the game's result.

>>> from chessmesa.core import Position
>>> ply_of(Position("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"))
1
>>> side_to_move_result(1, Position())   # White won; White to move
1
"""

from __future__ import annotations

from chessmesa.core import Position
from chessmesa.core.layout import BLACK, FULLMOVE, PLY, SIDE
from chessmesa.datasets.sources import Candidate, TaskContext


def sampled(ply: int, context: TaskContext) -> bool:
    """The sampling rule: skip the game's first ``skip_plies`` plies, then keep each position
    with probability ``sample_rate`` (drawn from the task's generator)."""
    config = context.config
    return ply >= config.skip_plies and context.rng.random() < config.sample_rate


def ply_of(position: Position) -> int:
    """Half-moves since the start of the game, from the FEN's move number and side to move."""
    return 2 * (int(position.st[FULLMOVE]) - 1) + int(position.st[SIDE] == BLACK)


def side_to_move_result(white_score: int | None, position: Position) -> int | None:
    """A game result from White's view (1, 0, -1 or None) seen from ``position``'s side to move."""
    if white_score is None:
        return None
    return -white_score if position.st[SIDE] == BLACK else white_score


def final_white_score(game: Position) -> int | None:
    """The result of a game that stopped at ``game``: None while it is still going on."""
    status = game.status()
    if status == "ongoing":
        return None
    if status == "checkmate":
        return -1 if game.st[SIDE] != BLACK else 1
    return 0


def without_history(game: Position) -> Position:
    """The game's current position with no moves behind it: what ``Position(game.fen())``
    builds, for the cost of a copy instead of a FEN parse (a hundred times more)."""
    root = game.copy()
    root.st[PLY] = 0  # the undo stack below PLY is the only history a Position keeps
    return root


def candidate(root: Position, game_id: int) -> Candidate:
    """A candidate for a position without history. The caller has checked that the game is not
    over there: terminal positions are never labelled."""
    return Candidate(root.fen(), root, game_id, ply_of(root))


def set_results(found: list[Candidate], white_score: int | None) -> list[Candidate]:
    """Fill in each candidate's result from its own side to move's view."""
    for item in found:
        item.result = side_to_move_result(white_score, item.position)
    return found
