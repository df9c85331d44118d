"""UCI conformance of ``chessmesa uci --engine mcts``: every ``go`` variant, ``ucinewgame``,
``setoption`` and positions where a draw can be claimed, driven by python-chess's
``chess.engine`` (a client nobody here wrote) and by raw lines."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import chess
import chess.engine
import pytest

from chessmesa.play.players import Limit, make_player
from test_play_uci import Connection

ENGINE = [sys.executable, "-m", "chessmesa.cli", "uci", "--engine", "mcts"]
MATE_IN_ONE = "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1"
FIFTY = "4k3/8/8/8/8/8/8/4KR2 w - - 100 80"
KNIGHTS_TWICE = ["g1f3", "g8f6", "f3g1", "f6g8"] * 2


def claimable_boards() -> list[chess.Board]:
    """Positions with legal moves where a draw can be claimed, by repetition or fifty moves."""
    threefold = chess.Board()
    for uci in KNIGHTS_TWICE:
        threefold.push_uci(uci)
    middlegame = chess.Board("r1bqkb1r/pppp1ppp/2n2n2/4p3/4P3/2N2N2/PPPP1PPP/R1BQKB1R w KQkq - 4 4")
    for uci in ["c3b1", "c6b8", "b1c3", "b8c6"] * 2:
        middlegame.push_uci(uci)
    boards = [threefold, middlegame, chess.Board(FIFTY),
              chess.Board("8/5k2/8/3p4/8/2R5/5K2/8 b - - 100 120")]
    assert all(board.can_claim_draw() and not board.is_game_over() for board in boards)
    return boards


def searched_move(board: chess.Board, nodes: int) -> chess.Move:
    """What a fresh ``mcts`` player chooses at this budget: the move the engine must play."""
    player = make_player("mcts")
    try:
        return player.choose(board, Limit(nodes=nodes)).move
    finally:
        player.close()


@pytest.fixture(scope="module")
def engine():
    engine = chess.engine.SimpleEngine.popen_uci(ENGINE, timeout=120)
    yield engine
    engine.quit()


def test_options_include_ponder_and_setoption_is_applied(engine):
    assert engine.options["Ponder"].type == "check" and "cpuct" in engine.options
    engine.configure({"cpuct": "3.0", "Hash": 64})
    board = chess.Board()
    assert engine.play(board, chess.engine.Limit(nodes=30)).move in board.legal_moves
    engine.configure({"cpuct": "5.0"})


@pytest.mark.parametrize("limit", [
    chess.engine.Limit(nodes=40),
    chess.engine.Limit(time=0.05),
    chess.engine.Limit(depth=3, nodes=40),
    chess.engine.Limit(white_clock=2, black_clock=2, white_inc=0.01, black_inc=0.01, remaining_moves=20),
    chess.engine.Limit(white_clock=0.001, black_clock=0.001),  # the flag is about to fall
], ids=["nodes", "movetime", "depth", "clock", "no-time"])
def test_every_limit_gets_a_legal_move(engine, limit):
    board = chess.Board("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3")
    result = engine.play(board, limit, game=object())  # a new game each time: ucinewgame
    assert result.move in board.legal_moves


def test_searchmoves_restrict_the_root(engine):
    board = chess.Board()
    allowed = [chess.Move.from_uci("a2a3"), chess.Move.from_uci("h2h3")]
    result = engine.play(board, chess.engine.Limit(nodes=60), root_moves=allowed)
    assert result.move in allowed


def test_mate_search_stops_at_the_proof(engine):
    board = chess.Board(MATE_IN_ONE)
    started = time.monotonic()
    result = engine.play(board, chess.engine.Limit(mate=1))
    assert result.move == chess.Move.from_uci("a1a8") and time.monotonic() - started < 5


def test_infinite_analysis_stops_on_request(engine):
    with engine.analysis(chess.Board()) as analysis:
        for info in analysis:
            if info.get("nodes", 0) > 0:
                break
    assert analysis.wait().move in chess.Board().legal_moves


def test_pondering_through_python_chess_uses_ponderhit(engine, caplog):
    board = chess.Board()
    with caplog.at_level(logging.DEBUG, logger="chess.engine"):
        first = engine.play(board, chess.engine.Limit(nodes=200), ponder=True, game="ponder")
        assert first.move in board.legal_moves and first.ponder is not None
        board.push(first.move)
        board.push(first.ponder)  # the expected reply: python-chess answers with ponderhit
        second = engine.play(board, chess.engine.Limit(nodes=200), ponder=True, game="ponder")
        assert second.move in board.legal_moves
    sent = [record.getMessage() for record in caplog.records]
    assert any("go ponder" in line for line in sent) and any("ponderhit" in line for line in sent)


@pytest.mark.parametrize("index", range(4))
def test_claimable_draws_get_the_searched_move(engine, index):
    board = claimable_boards()[index]
    result = engine.play(board, chess.engine.Limit(nodes=200), game=object())
    assert result.move == searched_move(board, 200)


@pytest.fixture(scope="module")
def raw_engine():
    """The engine in a subprocess, spoken to line by line."""
    process = subprocess.Popen(ENGINE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, bufsize=1)

    def write(text):
        process.stdin.write(text)
        process.stdin.flush()

    connection = Connection(write, process.stdout, process.stderr)
    connection.send("uci")
    connection.read_until("uciok", timeout=120)
    connection.send("setoption name Hash value 4", "isready")
    connection.read_until("readyok", timeout=120)
    yield connection
    connection.send("quit")
    assert process.wait(timeout=10) == 0


@pytest.fixture
def raw(raw_engine):
    """The shared engine, after the previous test's search and with no lines left unread."""
    raw_engine.send("stop", "isready")
    raw_engine.read_until("readyok")
    for lines in (raw_engine.lines, raw_engine.errors):
        while not lines.empty():
            lines.get()
    return raw_engine


def bestmove(lines: list[str], board: chess.Board) -> chess.Move:
    """The move of the final ``bestmove`` line, checked to be legal (a ponder move too)."""
    words = lines[-1].split()
    assert words[0] == "bestmove" and len(words) in (2, 4), lines[-1]
    move = chess.Move.from_uci(words[1])
    assert move in board.legal_moves, lines[-1]
    if len(words) == 4:
        assert words[2] == "ponder"
        after = board.copy()
        after.push(move)
        assert chess.Move.from_uci(words[3]) in after.legal_moves, lines[-1]
    return move


def test_ponder_then_ponderhit_searches_on_with_the_limit(raw):
    raw.send("position startpos moves e2e4 e7e5", "go ponder wtime 1000 btime 1000 nodes 300")
    time.sleep(0.3)
    assert not any(line.startswith("bestmove") for line in list(raw.lines.queue))  # still pondering
    raw.send("ponderhit")
    board = chess.Board()
    for uci in ["e2e4", "e7e5"]:
        board.push_uci(uci)
    lines = raw.read_until("bestmove")
    bestmove(lines, board)
    assert not any("info string" in line for line in lines)


def test_ponder_then_stop_answers_at_once(raw):
    raw.send("position startpos", "go ponder movetime 100000")
    time.sleep(0.2)
    started = time.monotonic()
    raw.send("stop")
    bestmove(raw.read_until("bestmove"), chess.Board())
    assert time.monotonic() - started < 0.5
    raw.send("ponderhit")  # nothing to hit any more: refused, nothing else happens
    assert "ponderhit" in raw.error()


@pytest.mark.parametrize("command,refused", [
    ("go nodes 0", "'go nodes 0' out of range"),
    ("go nodes -5", "'go nodes -5' out of range"),
    ("go movetime 0", "'go movetime 0' out of range"),
    ("go movetime -1 nodes 20", "'go movetime -1' out of range"),
    ("go nodes 99999999999999999999", "'go nodes 99999999999999999999' out of range"),
    ("go nodes ten", "bad number 'ten'"),
    ("go nodes", "missing number"),
    ("go searchmoves e2e5 nodes 20", "'go searchmoves ... e2e5': illegal move"),
    ("go sideways nodes 20", "unsupported 'go' argument 'sideways'"),
])
def test_a_go_that_cannot_be_used_as_it_is_says_why_and_moves(raw, command, refused):
    raw.send("position startpos", command)
    lines = raw.read_until("bestmove", timeout=30)
    assert any(line.startswith("info string") and refused in line for line in lines), lines
    bestmove(lines, chess.Board())
    assert not any("first legal move" in line for line in lines)


@pytest.mark.parametrize("command", [
    "go nodes 30", "go movetime 30", "go depth 2 nodes 30", "go wtime 500 btime 500 winc 5 binc 5 movestogo 2",
    "go wtime -100 btime -100", "go searchmoves a2a3 h2h3 nodes 30", "go mate 2 nodes 50",
])
def test_every_go_variant_moves(raw, command):
    raw.send("ucinewgame", "position startpos moves d2d4 d7d5", command)
    board = chess.Board()
    for uci in ["d2d4", "d7d5"]:
        board.push_uci(uci)
    lines = raw.read_until("bestmove", timeout=30)
    move = bestmove(lines, board)
    assert not any(line.startswith("info string") for line in lines), lines
    assert any(line.startswith("info depth") for line in lines)
    if "searchmoves" in command:
        assert move.uci() in ("a2a3", "h2h3")


def test_mate_and_infinite_by_raw_lines(raw):
    raw.send(f"position fen {MATE_IN_ONE}", "go mate 1")
    assert bestmove(raw.read_until("bestmove"), chess.Board(MATE_IN_ONE)).uci() == "a1a8"
    raw.send("position startpos", "go infinite")
    time.sleep(0.2)
    raw.send("stop")
    bestmove(raw.read_until("bestmove"), chess.Board())


def test_the_reported_claimable_draws_get_searched_moves(raw):
    raw.send("ucinewgame", f"position startpos moves {' '.join(KNIGHTS_TWICE)}", "go nodes 200")
    board = claimable_boards()[0]
    lines = raw.read_until("bestmove")
    assert bestmove(lines, board) == searched_move(board, 200)
    assert not any("info string" in line for line in lines)
    raw.send("ucinewgame", f"position fen {FIFTY}", "go nodes 100")
    board = chess.Board(FIFTY)
    assert bestmove(raw.read_until("bestmove"), board) == searched_move(board, 100)
    raw.send("position fen 4k3/8/8/8/8/8/8/4KR2 w - - 0 99999999999999999999")
    assert "99999999999999999999 out of range" in raw.error()
