"""make/unmake restores every field exactly; the incremental hash equals a fresh computation."""

import random

import chess
import chess.polyglot

from chessmesa.core import Position
from chessmesa.core.make_unmake import compute_hash


def test_random_sequences_restore_position_and_hash():
    rng = random.Random(7)
    for game in range(40):
        position = Position()
        snapshots = []
        for _ in range(rng.randrange(20, 200)):
            moves = position.legal_moves()
            if len(moves) == 0:
                break
            snapshots.append(position.copy())
            position.push(int(rng.choice(moves)))
            assert position.hash == compute_hash(position.bb, position.st, position.tables)
        while snapshots:
            position.pop()
            assert position == snapshots.pop()


def test_pop_returns_the_move_and_history_lists_moves():
    position = Position()
    e4 = position.push_uci("e2e4")
    c5 = position.push_uci("c7c5")
    assert position.history == [e4, c5]
    assert position.pop() == c5 and position.history == [e4]


def test_every_move_kind_round_trips():
    # castling both ways, en passant, promotion with and without capture, in one position each
    cases = {
        "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1": ["e1g1", "e1c1", "a1a8", "h1h8"],
        "4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 2": ["e5d6"],
        "1n2k3/P7/8/8/8/8/8/4K3 w - - 0 1": ["a7a8q", "a7b8n", "a7a8r", "a7b8b"],
    }
    for fen, ucis in cases.items():
        position = Position(fen)
        for uci in ucis:
            before = position.copy()
            position.push_uci(uci)
            board = chess.Board(fen)
            board.push_uci(uci)
            assert position.fen() == board.fen()
            assert position.hash == chess.polyglot.zobrist_hash(board)
            position.pop()
            assert position == before
