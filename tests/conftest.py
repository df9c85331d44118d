"""Shared test fixtures: the third-party data shipped in ``data/``, and seeded random games."""

from __future__ import annotations

import random
from pathlib import Path

import chess
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


@pytest.fixture(scope="session")
def repo_data() -> Path:
    """``data/``: the third-party test data shipped with the repository (provenance in its SOURCES.md)."""
    return DATA


def random_game_boards(seed: int, max_plies: int = 300):
    """Boards along one seeded random game (python-chess plays the moves)."""
    rng = random.Random(seed)
    board = chess.Board()
    for _ in range(max_plies):
        yield board
        moves = list(board.legal_moves)
        if not moves:
            return
        board.push(rng.choice(moves))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Two cores shared with other tests: torch's spinning threads only get in the way."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
