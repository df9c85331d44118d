"""Invalid FENs: each kind is refused with one line that names what is wrong (exit 2 on the CLI)."""

import subprocess
import sys

import chess
import pytest

from chessmesa.core import InvalidFenError, Position, fen_from_line, move_to_uci

START = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR"

INVALID = [
    ("", "expected 6 fields"),
    (f"{START} w KQkq", "expected 6 fields"),
    (f"{START} w KQkq - 0 1 extra", "expected 6 fields"),
    ("rnbqkbnr/ppppxppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "invalid character"),
    ("rnbqkbnr/ppppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "expected 8 columns"),
    ("rnbqkbnr/pppppppp/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "expected 8 rows"),
    ("rnbqkbnr/pppppppp/44/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "two subsequent digits"),
    (f"{START} x KQkq - 0 1", "expected 'w' or 'b'"),
    (f"{START} w KQkz - 0 1", "invalid castling"),
    (f"{START} w KQkq e9 0 1", "invalid en passant"),
    (f"{START} w KQkq - -1 1", "half-move clock cannot be negative"),
    (f"{START} w KQkq - 0 -3", "fullmove number cannot be negative"),
    (f"{START} w KQkq - x 1", "invalid half-move clock"),
    ("rnbq1bnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQ - 0 1", "no black king"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQ1BNR w kq - 0 1", "no white king"),
    ("4k3/8/8/8/8/8/8/3KK3 w - - 0 1", "more than one king"),
    ("P3k3/8/8/8/8/8/8/4K3 w - - 0 1", "pawns on the first or last rank"),
    ("4k3/8/8/8/8/8/8/4K2R w Qk - 0 1", "castling rights"),
    (f"{START} w KQkq e3 0 1", "en passant square"),
    ("4k3/4R3/8/8/8/8/8/4K3 w - - 0 1", "side not to move is in check"),
    ("4k3/pppppppp/p7/8/8/8/8/4K3 w - - 0 1", "more than 8 black pawns"),
]


@pytest.mark.parametrize("fen,message", INVALID)
def test_invalid_fen_is_refused_with_its_reason(fen, message):
    with pytest.raises(InvalidFenError) as error:
        Position(fen)
    text = str(error.value)
    assert message in text and "\n" not in text


def test_position_lines_are_read_as_fen_or_epd_and_checked_like_a_fen():
    assert fen_from_line(f"{START} w KQkq - 0 1 ;D1 20 ;D2 400") == f"{START} w KQkq - 0 1"
    assert fen_from_line(f'{START} b KQkq - hmvc 7; fmvn 9; id "x";') == f"{START} b KQkq - 7 9"
    for line in ["4k3/8/8/8/8/8/8/3KK3 w - - 0 1", '4k3/8/8/8/8/8/8/3KK3 w - - id "two kings";']:
        with pytest.raises(InvalidFenError, match="more than one king"):
            fen_from_line(line)


def test_impossible_double_check_is_still_searchable():
    # two checking bishops cannot arise in a game; python-chess flags it, perft suites use it
    fen = "B6b/8/8/8/2K5/5k2/8/b6B b - - 0 1"
    assert chess.Board(fen).status() & chess.STATUS_IMPOSSIBLE_CHECK
    position = Position(fen)
    assert position.is_check()
    assert sorted(move_to_uci(m) for m in position.legal_moves()) == sorted(
        m.uci() for m in chess.Board(fen).legal_moves)


def test_cli_reports_bad_fen_in_one_line_with_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "chessmesa.cli", "perft", "8/8/8 w - - 0 1", "--depth", "1"],
        capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "8/8/8 w - - 0 1" in lines[0] and "Traceback" not in result.stderr
