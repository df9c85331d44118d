"""chessmesa: the time-limited grandmaster in code.

A numba MCTS chess engine labels positions with its search results; PyTorch networks distilled from
it play without search; the analysis measures how closely the fast heuristic approximates the
searcher. ``import chessmesa`` loads neither torch nor ray.
"""

__version__ = "0.1.0"
