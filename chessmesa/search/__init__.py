"""The searcher: MCTS with PUCT or a Gumbel root, an MCTS-solver, anytime budgets, a batch bridge.

>>> import chess
>>> MCTS().search(chess.Board(), sims=100).sims
100
"""

from chessmesa.search.bridge import BatchEvaluator
from chessmesa.search.params import SearchParams
from chessmesa.search.searcher import (
    MCTS, SearchResult, StaticBatchEvaluator, sample_move, value_to_cp,
)

__all__ = [
    "MCTS", "BatchEvaluator", "SearchParams", "SearchResult", "StaticBatchEvaluator", "sample_move",
    "value_to_cp",
]
