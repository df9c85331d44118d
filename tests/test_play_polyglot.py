"""A whole game through a real third-party adapter: Debian's ``polyglot`` turns
``chessmesa uci --engine mcts`` into an xboard engine, and this test plays it over the xboard
protocol, as XBoard would. Skipped where polyglot is not installed."""

from __future__ import annotations

import os
import queue
import random
import shutil
import subprocess
import sys
import threading

import chess
import pytest

POLYGLOT = shutil.which("polyglot") or shutil.which("polyglot", path="/usr/games")
RESULTS = ("1-0", "0-1", "1/2-1/2")

pytestmark = pytest.mark.skipif(POLYGLOT is None, reason="polyglot is not installed (apt-get install polyglot)")


class XboardEngine:
    """polyglot in a subprocess, with a timeout on every line read."""

    def __init__(self, engine_command: str, home) -> None:
        # polyglot saves its settings under $HOME/.polyglot: a scratch home keeps the real one clean
        self.process = subprocess.Popen(
            [POLYGLOT, "-noini", "-ec", engine_command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1, env={**os.environ, "HOME": str(home)})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def send(self, *commands: str) -> None:
        self.process.stdin.write("".join(command + "\n" for command in commands))
        self.process.stdin.flush()

    def read_until(self, test, timeout: float = 60) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            if test(line):
                return line

    def close(self) -> int:
        self.send("quit")
        return self.process.wait(timeout=20)


def test_a_whole_game_over_xboard_through_polyglot(tmp_path):
    command = f"{sys.executable} -m chessmesa.cli uci --engine mcts:sims=40"
    engine = XboardEngine(command, tmp_path)
    rng, board, result = random.Random(16), chess.Board(), None
    try:
        engine.send("xboard", "protover 2")
        engine.read_until(lambda line: "done=1" in line, timeout=120)
        engine.send("new", "post", "go")  # the engine plays White, a random mover Black
        while result is None and board.ply() < 400:
            line = engine.read_until(lambda line: line.startswith("move ") or line.startswith(RESULTS))
            if line.startswith(RESULTS):
                result = line
                break
            board.push(chess.Move.from_uci(line.split()[1]))  # raises on an illegal move
            if board.is_game_over(claim_draw=True):
                result = engine.read_until(lambda line: line.startswith(RESULTS))
                break
            reply = rng.choice(list(board.legal_moves))
            board.push(reply)
            engine.send(f"usermove {reply.uci()}")
            if board.is_game_over(claim_draw=True):
                result = engine.read_until(lambda line: line.startswith(RESULTS))
    finally:
        assert engine.close() == 0
    assert result is not None, f"no result after {board.ply()} plies: {board.fen()}"
    outcome = board.outcome(claim_draw=True)
    assert outcome is not None and result.split()[0] == outcome.result(), (result, board.fen())
