"""The UCI server: transcripts through a subprocess, stop latency, garbage input, python-chess as GUI."""

import io
import os
import queue
import subprocess
import sys
import threading
import time

import chess
import chess.engine
import pytest

from chessmesa.play.base import Choice, Limit, SearchInfo, UciOption
from chessmesa.play.players import RandomPlayer
from chessmesa.play.uci_server import serve

SERVER = [sys.executable, "-m", "chessmesa.play.uci_server"]


class Connection:
    """Both ends of a UCI conversation, with a timeout on every read."""

    def __init__(self, write, stdout, stderr):
        self._write = write
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: queue.Queue[str] = queue.Queue()
        for stream, sink in ((stdout, self.lines), (stderr, self.errors)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink.put(line.rstrip("\n"))

    def send(self, *commands: str) -> None:
        self._write("".join(command + "\n" for command in commands))

    def read_until(self, prefix: str, timeout: float = 10.0) -> list[str]:
        """Every line up to and including the first that starts with ``prefix``."""
        seen, deadline = [], time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def error(self, timeout: float = 5.0) -> str:
        return self.errors.get(timeout=timeout)


@pytest.fixture
def server():
    """``python -m chessmesa.play.uci_server --engine random`` in a subprocess."""
    process = subprocess.Popen(
        [*SERVER, "--engine", "random:seed=1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1,
    )

    def write(text):
        process.stdin.write(text)
        process.stdin.flush()

    connection = Connection(write, process.stdout, process.stderr)
    connection.send("isready")  # started: the timings below are the protocol's, not start-up's
    connection.read_until("readyok", timeout=60)
    yield connection
    process.stdin.close()
    assert process.wait(timeout=10) == 0


def test_transcript(server):
    server.send("uci")
    lines = server.read_until("uciok")
    assert lines[0].startswith("id name chessmesa") and "random:seed=1" in lines[0]
    assert any(line.startswith("option name Hash type spin") for line in lines)
    server.send("setoption name Hash value 64", "isready")
    assert server.read_until("readyok") == ["readyok"]
    server.send("ucinewgame", "position startpos moves e2e4 e7e5", "go nodes 10")
    lines = server.read_until("bestmove")
    board = chess.Board()
    for move in ("e2e4", "e7e5"):
        board.push_uci(move)
    assert chess.Move.from_uci(lines[-1].split()[1]) in board.legal_moves
    assert any(line.startswith("info depth") and " nodes " in line and " pv " in line for line in lines)
    fen = "6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1"
    server.send(f"position fen {fen} moves d1d2", "go wtime 1000 btime 1000 winc 10 binc 10 movestogo 3")
    board = chess.Board(fen)
    board.push_uci("d1d2")
    assert chess.Move.from_uci(server.read_until("bestmove")[-1].split()[1]) in board.legal_moves
    server.send("quit")


def test_go_infinite_waits_for_stop_and_answers_fast(server):
    server.send("position startpos", "go infinite")
    time.sleep(0.3)
    assert all(not line.startswith("bestmove") for line in list(server.lines.queue))
    started = time.monotonic()
    server.send("stop")
    server.read_until("bestmove")
    assert time.monotonic() - started < 0.2


def test_garbage_is_reported_on_stderr_and_ignored(server):
    garbage = {
        "xyzzy": "xyzzy",
        "position startpos moves e2e5": "e2e5",
        "position startpos moves 0000": "'0000'",
        "position fen not/a/fen w - - 0 1": "invalid FEN",
        "position fen 8/8/8/8/8/8/8/8 w - - 0 1": "no white king",
        "position fen 4k3/8/8/8/8/8/8/4K3 w - - 0 99999999999999999999": "99999999999999999999",
        "position fen 4k3/8/8/8/8/8/8/4K2R w - - 0 10000 moves h1h2 e8e7": "10001 out of range",
        "position": "expected",
        "setoption name NoSuchOption value 3": "NoSuchOption",
        "setoption name Hash value big": "'big'",
        "setoption Hash": "expected",
    }
    for command, expected in garbage.items():
        server.send(command)
        error = server.error()
        assert error.startswith("error:") and expected in error, (command, error)
        assert error.count("\n") == 0
    # a go that cannot be used as it stands still moves, after saying what it left out
    for command, expected in {"go nodes lots": "'lots'", "go sideways": "'sideways'"}.items():
        server.send(command)
        assert expected in server.error()
        lines = server.read_until("bestmove")
        assert lines[0].startswith("info string") and expected in lines[0]
    server.send("position startpos moves e2e4", "isready", "go nodes 1")
    lines = server.read_until("bestmove")
    assert "readyok" in lines
    board = chess.Board()
    board.push_uci("e2e4")
    assert chess.Move.from_uci(lines[-1].split()[1]) in board.legal_moves  # the bad position was ignored


def test_python_chess_drives_a_whole_game_against_random():
    engine = chess.engine.SimpleEngine.popen_uci([*SERVER, "--engine", "random:seed=2"])
    opponent = RandomPlayer(seed=3)
    board = chess.Board()
    try:
        engine.configure({"Hash": 32})
        while not board.is_game_over(claim_draw=True):
            if board.turn == chess.WHITE:
                result = engine.play(board, chess.engine.Limit(white_clock=5, black_clock=5, nodes=10))
                board.push(result.move)  # push raises on an illegal move
            else:
                board.push(opponent.choose(board, Limit()).move)
    finally:
        engine.quit()
    assert board.outcome(claim_draw=True) is not None and len(board.move_stack) > 10


def test_bad_engine_spec_exits_with_code_2():
    process = subprocess.run([*SERVER, "--engine", "nosuchkind:x=1"], capture_output=True, text=True, timeout=30)
    assert process.returncode == 2
    assert process.stderr.count("\n") == 1 and "nosuchkind" in process.stderr


class SearchUntilStop(RandomPlayer):
    """Loops until stopped, reporting progress; exposes two tunable options."""

    def __init__(self):
        super().__init__("looper", seed=1)
        self.options = {"Width": 3, "Fancy": False}

    def uci_options(self):
        return [UciOption("Width", "spin", 3, 1, 10), UciOption("Fancy", "check", False)]

    def set_option(self, name, value):
        self.options[name] = value

    def choose(self, board, limit, stop=None, on_info=None):
        move, nodes, started = super().choose(board, limit).move, 0, time.monotonic()
        while not stop.wait(0.005):
            nodes += 100
            on_info(SearchInfo(nodes, 20_000, time.monotonic() - started, score_cp=12, wdl=(300, 600, 100), pv=[move]))
        return Choice(move, 12, (300, 600, 100), [move], nodes, time.monotonic() - started)


@pytest.fixture
def looper():
    """serve() in a thread around SearchUntilStop, talking through OS pipes."""
    player = SearchUntilStop()
    pipes = [os.pipe() for _ in range(3)]
    stdin_r, stdin_w = os.fdopen(pipes[0][0]), os.fdopen(pipes[0][1], "w")
    out_r, out_w = os.fdopen(pipes[1][0]), os.fdopen(pipes[1][1], "w")
    err_r, err_w = os.fdopen(pipes[2][0]), os.fdopen(pipes[2][1], "w")
    thread = threading.Thread(target=serve, args=(lambda: player, stdin_r, out_w, err_w), daemon=True)
    thread.start()

    def write(text):
        stdin_w.write(text)
        stdin_w.flush()

    yield player, Connection(write, out_r, err_r)
    write("quit\n")
    thread.join(timeout=5)
    assert not thread.is_alive()
    for stream in (stdin_w, out_w, err_w, stdin_r):
        stream.close()


def test_player_options_info_lines_and_stop_latency(looper):
    player, connection = looper
    connection.send("uci")
    lines = connection.read_until("uciok")
    assert "option name Width type spin default 3 min 1 max 10" in lines
    assert "option name Fancy type check default false" in lines
    assert any(line.startswith("option name Threads") for line in lines)
    connection.send("setoption name width value 7", "setoption name Fancy value true", "setoption name Width value 11")
    assert "1..10" in connection.error()
    connection.send("isready")
    connection.read_until("readyok")
    assert player.options == {"Width": 7, "Fancy": True}
    connection.send("position startpos", "go infinite")
    connection.read_until("info depth")
    time.sleep(0.2)
    connection.send("isready")  # answered while searching
    lines = connection.read_until("readyok", timeout=0.5)
    infos = lines[:-1]
    assert infos and all(line.startswith("info depth 1 nodes") and "score cp 12 wdl 300 600 100 pv" in line
                         for line in infos)
    started = time.monotonic()
    connection.send("stop")
    connection.read_until("bestmove")
    assert time.monotonic() - started < 0.2


def test_serve_with_string_streams_always_answers_bestmove():
    out, err = io.StringIO(), io.StringIO()
    commands = "position fen 6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1 moves d1d8\ngo nodes 5\nbogus\nquit\n"
    serve(lambda: RandomPlayer(seed=1), io.StringIO(commands), out, err)
    assert out.getvalue().splitlines()[-1] == "bestmove 0000"  # checkmated: no legal move
    assert err.getvalue().count("\n") == 1 and "bogus" in err.getvalue()


def test_mcts_engine_over_uci_reports_info_and_stops_fast():
    process = subprocess.Popen(
        [sys.executable, "-m", "chessmesa.cli", "uci", "--engine", "mcts"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def write(text):
        process.stdin.write(text)
        process.stdin.flush()

    connection = Connection(write, process.stdout, process.stderr)
    connection.send("uci")
    options = connection.read_until("uciok")
    assert any(line.startswith("option name cpuct") for line in options)
    connection.send("isready")
    connection.read_until("readyok")
    connection.send("position startpos moves e2e4", "go infinite")
    # the first progress line says the search runs (code compiled or loaded from the cache)
    early = connection.read_until("info", timeout=120)
    time.sleep(0.5)
    started = time.monotonic()
    connection.send("stop")
    lines = early + connection.read_until("bestmove")
    assert time.monotonic() - started < 0.2
    info = [line for line in lines if line.startswith("info") and " pv " in line]
    assert info and all(key in info[-1] for key in (" nodes ", " nps ", " score cp ", " wdl "))
    board = chess.Board()
    board.push_uci("e2e4")
    assert chess.Move.from_uci(lines[-1].split()[1]) in board.legal_moves
    connection.send("quit")
    assert process.wait(timeout=10) == 0


def test_mcts_hash_option_sets_the_tree_memory():
    from chessmesa.play.players import make_player
    from chessmesa.search.searcher import DEFAULT_MAX_NODES
    from chessmesa.search.tree import NODE_BYTES

    player = make_player("mcts")
    hash_option = next(option for option in player.uci_options() if option.name == "Hash")
    assert hash_option.default == DEFAULT_MAX_NODES * NODE_BYTES // 2**20
    player.set_option("Hash", 1)
    assert player.searcher.max_nodes == 2**20 // NODE_BYTES
    choice = player.choose(chess.Board(), Limit(movetime_ms=3000))
    assert choice.move in chess.Board().legal_moves
    assert choice.seconds < 1.5  # the 1 MB tree filled long before the 3 s were up
