"""A fuzz of ``chessmesa uci --engine mcts``: over a thousand lines, sent at once as a hasty GUI
would, mixing every ``go`` variant (small budgets), positions where a draw can be claimed, bad
numbers, bad moves, bad options and garbage. Every ``go`` must end in a ``bestmove``, and no
move may be a fallback played because the search failed."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import chess

ENGINE = [sys.executable, "-m", "chessmesa.cli", "uci", "--engine", "mcts"]
LINES = 1200
BESTMOVE = re.compile(r"^bestmove (0000|[a-h][1-8][a-h][1-8][qrbn]?)( ponder [a-h][1-8][a-h][1-8][qrbn]?)?$")

#: The cases the issue names, each sent as it stands.
REPORTED = [
    "position startpos moves g1f3 g8f6 f3g1 f6g8 g1f3 g8f6 f3g1 f6g8", "go nodes 200",
    "position fen 4k3/8/8/8/8/8/8/4KR2 w - - 100 80", "go nodes 100", "go nodes -5",
    "position startpos", "go ponder wtime 1000 btime 1000", "ponderhit",
    "go searchmoves e2e4 nodes 100", "go mate 3", "stop",
    "position fen 4k3/8/8/8/8/8/8/4KR2 w - - 0 99999999999999999999", "go nodes 10",
]
FIXED_POSITIONS = [
    "position startpos",
    "position startpos moves g1f3 g8f6 f3g1 f6g8 g1f3 g8f6 f3g1 f6g8",  # threefold: claimable
    "position startpos moves g1f3 g8f6 f3g1 f6g8 g1f3 g8f6 f3g1 f6g8 g1f3 g8f6 f3g1 f6g8 "
    "g1f3 g8f6 f3g1 f6g8",  # fivefold: over, no move
    "position fen 4k3/8/8/8/8/8/8/4KR2 w - - 100 80",  # fifty moves: claimable
    "position fen 8/5k2/8/3p4/8/2R5/5K2/8 b - - 100 120",
    "position fen 4k3/8/8/8/8/8/8/4KR2 w - - 150 80",  # 75 moves: over
    "position fen 6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1",  # mate in one
    "position fen 6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1 moves d1d8",  # checkmated
    "position fen 7k/5Q2/6K1/8/8/8/8/8 b - - 0 1",  # stalemate
    "position fen 8/8/8/K2pP2r/8/8/8/7k w - d6 0 1",  # an en passant square no capture can use
    "position fen 7k/P7/8/8/8/8/8/K7 w - - 0 1",  # promotions, under ones too
]
BAD_POSITIONS = [
    "position startpos moves e2e5", "position startpos moves 0000", "position startpos moves",
    "position fen 4k3/8/8/8/8/8/8/4K3 w - - 99999999999999999999 1",
    "position fen 4k3/8/8/8/8/8/8/4K3 w - - 0 0x10", "position fen not/a/fen w - - 0 1",
    "position fen 8/8/8/8/8/8/8/8 w - - 0 1", "position fen", "position", "position moves e2e4",
]
OPTIONS = [
    "setoption name Hash value 2", "setoption name Hash value 0", "setoption name Hash value huge",
    "setoption name cpuct value 3.5", "setoption name cpuct value nan", "setoption name cpuct value abc",
    "setoption name policy_temperature value 0", "setoption name gumbel value true",
    "setoption name gumbel value false", "setoption name twofold_draw value maybe",
    "setoption name Ponder value true", "setoption name Threads value 99999", "setoption name Nope value 1",
    "setoption", "setoption name seed value -1", "setoption name gumbel_m value 0",
]
OTHERS = ["isready", "stop", "ponderhit", "ucinewgame", "uci", "debug on", "register later", ""]
NUMBERS = ["1", "7", "25", "0", "-5", "-1", "99999999999999999999", "2147483648", "ten", "1e3", ""]


def random_game_line(rng: random.Random) -> str:
    """``position startpos moves ...`` along a random game of up to 80 plies."""
    board, moves = chess.Board(), []
    for _ in range(rng.randrange(1, 80)):
        legal = list(board.legal_moves)
        if not legal:
            break
        move = rng.choice(legal)
        board.push(move)
        moves.append(move.uci())
    return ("position startpos moves " + " ".join(moves)) if rng.random() < 0.5 else f"position fen {board.fen()}"


def go_line(rng: random.Random) -> str:
    """A ``go`` with a few random arguments, mostly usable, some not."""
    parts = ["go"]
    for _ in range(rng.randrange(0, 4)):
        choice = rng.random()
        if choice < 0.35:
            parts += [rng.choice(["nodes", "movetime"]), rng.choice(["5", "20", "40"] + NUMBERS)]
        elif choice < 0.5:
            parts += ["wtime", rng.choice(["300", "-50", "99999999999"]), "btime", rng.choice(["300", "-50"])]
            parts += rng.choice([[], ["winc", "10", "binc", "10"], ["movestogo", rng.choice(["1", "0", "40"])]])
        elif choice < 0.6:
            parts += ["depth", rng.choice(NUMBERS)]
        elif choice < 0.7:
            parts += ["mate", rng.choice(["1", "3", "0"]), "nodes", "30"]
        elif choice < 0.8:
            parts += ["searchmoves"] + rng.sample(["e2e4", "d2d4", "g1f3", "a1a8", "e7e5", "h7h8q", "zz"], 2)
        elif choice < 0.87:
            parts.append("ponder")
        elif choice < 0.93:
            parts.append("infinite")
        else:
            parts.append(rng.choice(["sideways", "nodes", "searchmoves", "mate", "0"]))
    return " ".join(parts)


def fuzz_lines(seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = ["uci", "setoption name Hash value 4", "isready", *REPORTED]
    while len(lines) < LINES:
        roll = rng.random()
        if roll < 0.22:
            lines.append(rng.choice(FIXED_POSITIONS))
        elif roll < 0.32:
            lines.append(random_game_line(rng))
        elif roll < 0.37:
            lines.append(rng.choice(BAD_POSITIONS))
        elif roll < 0.77:
            lines.append(go_line(rng))
        elif roll < 0.82:
            lines.append(rng.choice(OPTIONS))
        elif roll < 0.94:
            lines.append(rng.choice(OTHERS))
        else:  # garbage: random printable text, sometimes starting like a command
            prefix = rng.choice(["", "go", "position", "setoption name", "xyzzy"])
            noise = "".join(rng.choice("abcdefgh12345678 -/kqrbnpKQRBNP\t") for _ in range(rng.randrange(30)))
            lines.append(f"{prefix} {noise}".strip())
    return lines + ["quit"]


def test_fuzz_every_go_ends_in_a_bestmove_and_none_is_a_fallback():
    lines = fuzz_lines(seed=16)
    assert len(lines) > 1000
    process = subprocess.run(ENGINE, input="\n".join(lines) + "\n", capture_output=True, text=True,
                             timeout=300)
    assert process.returncode == 0, process.stderr[-2000:]
    output = process.stdout.splitlines()
    gos = sum(1 for line in lines if line.split()[:1] == ["go"])
    bestmoves = [line for line in output if line.startswith("bestmove")]
    fallbacks = [line for line in output if "first legal move" in line]
    failures = [line for line in process.stderr.splitlines() if "search failed" in line or "illegal move" in line
                and "chose" in line]
    print(f"{len(lines)} lines, {gos} go, {len(bestmoves)} bestmove, {len(fallbacks)} fallbacks, "
          f"{len(process.stderr.splitlines())} refusals on stderr")
    assert len(bestmoves) == gos and gos > 300
    assert not fallbacks and not failures, (fallbacks + failures)[:5]
    assert all(BESTMOVE.match(line) for line in bestmoves), [line for line in bestmoves if not BESTMOVE.match(line)]
    assert "Traceback" not in process.stderr
