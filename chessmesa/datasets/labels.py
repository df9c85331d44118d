"""The label search: every position labelled at all budgets, and the time spent searching.

With PUCT one anytime search is snapshotted at each budget, and each snapshot equals a search with
that budget alone, so ``mcts:sims=B`` (same search parameters, same seed) reproduces the budget-B
labels. Under Gumbel the Sequential Halving schedule depends on the total budget, so each budget
gets a search of its own. Label searches never reuse a tree: a label depends on the FEN alone.

>>> from chessmesa.core import Position
>>> from chessmesa.datasets.config import GenerateConfig
>>> labels = Labeller(GenerateConfig(positions=1, budgets=(4, 16))).label(Position())
>>> [result.sims for result in labels]
[4, 16]
"""

from __future__ import annotations

import time

from chessmesa.core import Position
from chessmesa.datasets.config import GenerateConfig
from chessmesa.search import MCTS, SearchResult


class Labeller:
    """The searches of one worker. ``search_seconds`` adds up the time spent inside them, so
    that the pipeline can report the share of its time spent on anything else."""

    def __init__(self, config: GenerateConfig):
        self.config = config
        self.searcher = MCTS(config.label_params())
        self.reference_searcher = MCTS(config.reference_params()) if config.reference else None
        self.search_seconds = 0.0

    def label(self, position: Position) -> list[SearchResult]:
        """One search result per budget, in increasing budget order."""
        budgets = self.config.budgets
        if self.config.search.gumbel:
            return [self.search(position, budget) for budget in budgets]
        return self.timed(self.searcher.search_budgets, position, budgets, reuse=False)

    def reference(self, position: Position) -> SearchResult:
        """The independent reference search of a held-out position (``config.reference`` set)."""
        return self.timed(self.reference_searcher.search, position, sims=self.config.reference,
                          reuse=False)

    def search(self, position: Position, sims: int) -> SearchResult:
        """The label search at one budget: what ``mcts:sims=B`` with these parameters returns."""
        return self.timed(self.searcher.search, position, sims=sims, reuse=False)

    def play_searcher(self, seed: int) -> MCTS:
        """A fresh searcher for one self-play game whose moves do not come from the labels."""
        return MCTS(self.config.play_params(seed))

    def timed(self, function, *args, **kwargs):
        """Call a search function, adding its time to ``search_seconds``."""
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.search_seconds += time.perf_counter() - start
