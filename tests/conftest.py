"""Shared test fixtures: the third-party data beside the checkout, and seeded random games."""

from __future__ import annotations

import random
from pathlib import Path

import chess
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DATA = REPO / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (CI clones the repository with ``shared/`` beside it)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"test data not found at {SHARED_DATA}: clone the repository beside shared/")
    return SHARED_DATA


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
