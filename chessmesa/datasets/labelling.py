"""The label search: every position labelled at all budgets, and the time spent searching.

With PUCT one anytime search is snapshotted at each budget, and each snapshot equals a search with
that budget alone, so ``mcts:sims=B`` (same search parameters, same seed) reproduces the budget-B
labels. Under Gumbel the Sequential Halving schedule depends on the total budget, so each budget
gets a search of its own. Label searches never reuse a tree: a label depends on the FEN alone.

With ``config.network`` every search (labels, reference, self-play) evaluates its leaves with that
network through the batch bridge, as ``netmcts`` does, one torch thread per worker process.

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
from chessmesa.datasets.errors import DatasetError
from chessmesa.search import MCTS, SearchResult
from chessmesa.search.bridge import BatchEvaluator
from chessmesa.search.searcher import network_evaluator


class Labeller:
    """The searches of one worker. ``search_seconds`` adds up the time spent inside them, so
    that the pipeline can report the share of its time spent on anything else."""

    def __init__(self, config: GenerateConfig):
        self.config = config
        self.evaluator = load_evaluator(config)
        self.searcher = self._mcts(config.label_params())
        self.reference_searcher = self._mcts(config.reference_params()) if config.reference else None
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
        return self._mcts(self.config.play_params(seed))

    def _mcts(self, params) -> MCTS:
        if self.evaluator is None:
            return MCTS(params)
        evaluator = network_evaluator(self.evaluator, params, self.config.network_static_value)
        return MCTS(params, evaluator=evaluator, batch=self.config.network_batch)

    def timed(self, function, *args, **kwargs):
        """Call a search function, adding its time to ``search_seconds``."""
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.search_seconds += time.perf_counter() - start


def load_evaluator(config: GenerateConfig) -> BatchEvaluator | None:
    """The leaf evaluator of ``config.network`` (None for the static evaluator): a residual
    student on the fast path, any other through PyTorch; DatasetError with one line when the
    checkpoint is missing or unreadable.

    torch is imported here only, and only when a network labels: the static pipeline never loads it.
    """
    if config.network is None:
        return None
    import torch

    from chessmesa.nn import load_network

    from chessmesa.nn.fast import FastEvaluator, fold_weights, supports

    torch.set_num_threads(1)  # one worker process per core
    try:
        network = load_network(config.network)
    except ValueError as error:
        raise DatasetError(f"cannot label with network {config.network!r}: {error}") from None
    # a residual student's leaves in numba (chessmesa.nn.fast): the same answers, no framework call
    return FastEvaluator(fold_weights(network.state(), network.config)) if supports(network.config) else network
