"""Self-play (``selfplay[:BOOK]``): games of the searcher against itself.

Each move is drawn from the root visits raised to ``1 / temperature`` for the first
``temperature_plies`` plies of the game, then the searcher's best move is played. The move search
is the label search at the largest budget (so a labelled position costs one search, not two)
unless ``play_sims`` or ``play_noise`` asks for a search of its own; that one keeps its tree from
move to move, and its Dirichlet noise is seeded per game.
"""

from __future__ import annotations

import numpy as np

from chessmesa.datasets.sources import Candidate, TaskContext
from chessmesa.datasets.sources.book import start_position
from chessmesa.datasets.sources.games import (
    candidate, final_white_score, sampled, set_results, without_history,
)


def choose_move(result, temperature: float, rng: np.random.Generator) -> int:
    """A move code from a search result: sampled from ``visits ** (1 / temperature)``, or the
    best move when the temperature is 0 (or nothing was visited: a root proven at once).

    >>> from types import SimpleNamespace
    >>> result = SimpleNamespace(visits=np.array([0, 5, 1]), move_codes=np.array([7, 8, 9]),
    ...                          moves=["a", "b", "c"], best_move="b")
    >>> choose_move(result, 0.0, np.random.default_rng(0))
    8
    """
    if temperature == 0 or result.visits.sum() == 0:
        return int(result.move_codes[result.moves.index(result.best_move)])
    cumulative = np.cumsum(result.visits.astype(np.float64) ** (1.0 / temperature))
    return int(result.move_codes[np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")])


def candidates(payload: tuple[int, str] | None, number: int, context: TaskContext) -> list[Candidate]:
    """The sampled positions of self-play game ``number`` (its ``game_id``), labelled on the way."""
    config, labeller = context.config, context.labeller
    game = start_position(payload, context)  # keeps the history: repetitions end games
    if game is None:
        return []
    player = labeller.play_searcher(seed=int(context.rng.integers(2**63))) \
        if config.separate_play_search else None
    found, labelled = [], {}
    for ply in range(config.max_plies):
        if game.is_game_over():
            break
        root = without_history(game)  # labels depend on the position, not on how it was reached
        item = candidate(root, number) if sampled(ply, context) else None
        if item is not None:
            item.labels = labelled.get(item.position.hash) or labeller.label(item.position)
            labelled[item.position.hash] = item.labels
            found.append(item)
        if game.is_game_over(claim_draw=True):
            break  # a draw the game claims, as a match does, once the position is labelled
        if player is not None:
            choice = labeller.timed(player.search, game, sims=config.play_sims or config.budgets[-1])
        elif item is not None:
            choice = item.labels[-1]  # the search at the largest budget
        else:
            choice = labeller.search(root, config.budgets[-1])
        temperature = config.temperature if ply < config.temperature_plies else 0.0
        game.push(choose_move(choice, temperature, context.rng))
    return set_results(found, final_white_score(game))
