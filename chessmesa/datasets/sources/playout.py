"""Random playouts (``random[:BOOK]``): games of uniformly random legal moves.

They reach positions no sensible player would, which is the point: the labels then cover more
of the position space than self-play does. A game stops when it is over or after ``max_plies``;
its result is known only when it ended on the board.
"""

from __future__ import annotations

from chessmesa.datasets.sources import Candidate, TaskContext
from chessmesa.datasets.sources.book import start_position
from chessmesa.datasets.sources.games import (
    candidate, final_white_score, sampled, set_results, without_history,
)


def candidates(payload: tuple[int, str] | None, number: int, context: TaskContext) -> list[Candidate]:
    """The sampled positions of random game ``number`` (its ``game_id``)."""
    game = start_position(payload, context)
    if game is None:
        return []
    found = []
    for ply in range(context.config.max_plies):
        if game.is_game_over():
            break
        if sampled(ply, context):
            found.append(candidate(without_history(game), number))
        if game.is_game_over(claim_draw=True):
            break  # a draw that can be claimed ends the game, once the position is sampled
        moves = game.legal_moves()
        game.push(int(moves[context.rng.integers(len(moves))]))
    return set_results(found, final_white_score(game))
