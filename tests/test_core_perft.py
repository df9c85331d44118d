"""Perft counts against the third-party suite: the ground truth for move generation."""

import pytest

from chessmesa.core import Position, perft, perft_divide
from chessmesa.core.perft_suite import read_perft_suite

NORMAL_LIMIT = 10_000_000


def _suite_cases(repo_data_dir, low, high):
    entries = read_perft_suite(repo_data_dir / "perft" / "perft_suite.epd")
    return [(fen, depth, nodes) for fen, counts in entries
            for depth, nodes in counts.items() if low < nodes <= high]


def test_suite_counts_up_to_ten_million(repo_data):
    cases = _suite_cases(repo_data, 0, NORMAL_LIMIT)
    assert len(cases) > 700
    wrong = []
    for fen, depth, expected in cases:
        position = Position(fen)
        nodes = perft(position.bb, position.st, position.tables, depth)
        if nodes != expected:
            wrong.append((fen, depth, expected, nodes))
    assert wrong == []


@pytest.mark.slow
def test_suite_deeper_counts(repo_data):
    cases = _suite_cases(repo_data, NORMAL_LIMIT, 200_000_000)
    assert cases
    for fen, depth, expected in cases:
        position = Position(fen)
        assert perft(position.bb, position.st, position.tables, depth) == expected, (fen, depth)


def test_divide_sums_to_perft_and_leaves_position_unchanged():
    position = Position("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1")
    before = position.copy()
    moves, counts = perft_divide(position.bb, position.st, position.tables, 3)
    assert len(moves) == 48 and counts.sum() == 97862
    assert position == before


def test_perft_depth_zero_and_one():
    position = Position()
    assert perft(position.bb, position.st, position.tables, 0) == 1
    assert perft(position.bb, position.st, position.tables, 1) == 20
