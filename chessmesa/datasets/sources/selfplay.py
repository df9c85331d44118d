"""Self-play (``selfplay[:BOOK]``): games of the searcher against itself.

Each move is drawn from the root visits raised to ``1 / temperature`` for the first
``temperature_plies`` plies of the game, then the searcher's best move is played (and always
where the solver proved the root: see ``chessmesa.search.sample_move``). The move search
is the label search at the largest budget (so a labelled position costs one search, not two)
unless ``play_sims`` or ``play_noise`` asks for a search of its own; that one keeps its tree from
move to move, and its Dirichlet noise is seeded per game.
"""

from __future__ import annotations

from chessmesa.datasets.sources import Candidate, TaskContext
from chessmesa.datasets.sources.book import start_position
from chessmesa.datasets.sources.games import (
    candidate, final_white_score, sampled, set_results, without_history,
)
from chessmesa.search import sample_move


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
        move = sample_move(choice, temperature, context.rng)
        game.push(int(choice.move_codes[choice.moves.index(move)]))
    return set_results(found, final_white_score(game))
