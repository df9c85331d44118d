"""Play a game against an engine in the terminal.

The board is drawn with rich from the person's side, the last move highlighted. Moves are typed in
SAN (``Nf3``) or UCI (``g1f3``); the commands are listed in :data:`COMMANDS`. Input is any text
stream, so a game can be scripted::

    >>> import io
    >>> from rich.console import Console
    >>> from chessmesa.play.players import make_player
    >>> game = play_in_terminal(make_player("random:seed=1"), chess.WHITE, io.StringIO("e4\\nresign\\n"),
    ...                  Console(file=io.StringIO()), pgn_path=None)
    >>> game.headers["Result"]
    '0-1'
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TextIO

import chess
import chess.pgn
from rich.console import Console
from rich.text import Text

from chessmesa.play.base import Limit, Player
from chessmesa.play.game import TimeControl, _Clocks, pgn_game

COMMANDS = {
    "undo": "take back your last move (and the engine's reply)",
    "hint": "ask the engine for a move",
    "draw": "claim a draw when the rules allow one, else offer one (the engine accepts when its "
            "score is near 0)",
    "resign": "give up the game",
    "help": "show this list",
    "quit": "stop now; the game is saved unfinished",
}

#: The engine accepts a draw offer when its score is within this many centipawns of zero.
DRAW_ACCEPT_CP = 30

_LIGHT, _DARK, _HIGHLIGHT = "on #e8d0aa", "on #b08860", "on #cdd26a"
_SAN_TARGET = re.compile(r"^([NBRQK])[a-h]?[1-8]?x?([a-h][1-8])")


def play_in_terminal(
    player: Player,
    human_color: chess.Color,
    input_stream: TextIO,
    console: Console,
    pgn_path: str | Path | None,
    tc: TimeControl = TimeControl(),
    board: chess.Board | None = None,
    human_name: str = "You",
    claim_draws: bool = True,
) -> chess.pgn.Game:
    """Play one game, the person on ``human_color``; return it and save it to ``pgn_path``.

    The game starts from ``board`` (the initial position by default). The engine moves within
    ``tc``, as in a match: its spec's own budget (``spec``, the default), ``movetime=MS`` or
    ``nodes=N`` per move, or a clock (``SECONDS+INC``, ``MOVES/SECONDS+INC``) that only the
    engine's moves spend; the engine loses on time when a move overruns its clock. The game ends
    with the rules, a resignation, an accepted or claimed draw, ``quit`` or the end of the input
    (both unfinished, result ``*``). With ``claim_draws`` a draw is claimed as soon as the rules
    allow one (threefold repetition, fifty moves); without, the game goes on until the person
    claims it with ``draw`` or it ends by itself (fivefold repetition, 75 moves).
    """
    board = chess.Board() if board is None else board
    player.new_game()
    result, termination = _play(player, human_color, board, input_stream, console, tc, claim_draws)
    console.print(render_board(board, human_color))
    console.print(f"[bold]Game over: {result}[/] ({termination})")
    white, black = (human_name, player.name) if human_color == chess.WHITE else (player.name, human_name)
    headers = {"Event": "chessmesa play", "White": white, "Black": black, "Result": result, "Termination": termination}
    game = pgn_game(board, headers)
    if pgn_path is not None:
        Path(pgn_path).write_text(str(game) + "\n", encoding="utf-8")
        console.print(f"Saved to {pgn_path}")
    return game


def _play(
    player: Player, human: chess.Color, board: chess.Board, input_stream: TextIO, console: Console,
    tc: TimeControl, claim_draws: bool,
) -> tuple[str, str]:
    """The game loop; returns (PGN result, PGN termination)."""
    loss, win = ("0-1", "1-0") if human == chess.WHITE else ("1-0", "0-1")
    clocks = _Clocks(tc) if tc.is_clock else None  # the person's side of it is never spent

    def limit() -> Limit:
        """The engine's limit for its next search: its clock, or the per-move limit."""
        return clocks.limit(not human) if clocks is not None else tc.limit_for_move()

    console.print("Type a move (e4, Nf3, g1f3) or a command: " + ", ".join(COMMANDS))
    while (outcome := board.outcome(claim_draw=claim_draws)) is None:
        if board.turn != human:
            started = time.perf_counter()
            choice = player.choose(board.copy(), limit())
            if clocks is not None and not clocks.spend(not human, time.perf_counter() - started):
                console.print(f"{player.name} ran out of time.")
                return ("1/2-1/2" if board.has_insufficient_material(human) else win), "time forfeit"
            console.print(f"{player.name} plays [bold]{board.san(choice.move)}[/]" + (
                f" ({clocks.remaining_ms[not human] / 1000:.1f} s left)" if clocks is not None else ""))
            board.push(choice.move)
            continue
        console.print(render_board(board, human))
        console.print("Your move: ", end="")
        line = input_stream.readline()
        if not line:
            return "*", "unterminated"
        text = line.strip()
        if text == "quit":
            return "*", "unterminated"
        if text == "resign":
            return loss, "normal"
        if text == "draw" and (claim := board.outcome(claim_draw=True)) is not None:
            console.print(f"You claim a draw ({claim.termination.name.lower().replace('_', ' ')}).")
            return "1/2-1/2", "normal"
        if text == "draw":
            choice = player.choose(board.copy(), limit())
            if choice.score_cp is not None and abs(choice.score_cp) <= DRAW_ACCEPT_CP:
                console.print(f"{player.name} accepts the draw.")
                return "1/2-1/2", "normal"
            console.print(f"{player.name} declines the draw.")
        elif text == "undo":
            _undo(board, console)
        elif text == "hint":
            console.print(f"Hint: {board.san(player.choose(board.copy(), limit()).move)}")
        elif text == "help":
            console.print("\n".join(f"  {name:7} {meaning}" for name, meaning in COMMANDS.items()))
        elif text:
            move = _parse_move(board, text, console)
            if move is not None:
                board.push(move)
    return outcome.result(), "normal"


def _undo(board: chess.Board, console: Console) -> None:
    """Take back the person's last move and the engine's reply to it."""
    if len(board.move_stack) < 2:
        console.print("[yellow]Nothing to take back.[/]")
        return
    board.pop()
    board.pop()
    console.print("Took back one move.")


def _parse_move(board: chess.Board, text: str, console: Console) -> chess.Move | None:
    """The legal move ``text`` names in SAN or UCI, else None after saying what is wrong."""
    try:
        return board.parse_san(text)
    except chess.AmbiguousMoveError:
        options = " or ".join(_candidates(board, text))
        console.print(f"[red]Ambiguous move {text!r}[/]: it could be {options}; say which piece moves.")
        return None
    except chess.IllegalMoveError:
        illegal = True
    except chess.InvalidMoveError:
        illegal = False
    try:
        return board.parse_uci(text.lower())
    except chess.IllegalMoveError:
        illegal = True
    except chess.InvalidMoveError:
        pass
    if illegal:
        console.print(f"[red]Illegal move {text!r}[/] in this position.")
    else:
        console.print(f"[red]Not a move or command: {text!r}[/]. Type help for the commands.")
    return None


def _candidates(board: chess.Board, text: str) -> list[str]:
    """The SAN of every legal move an ambiguous SAN could mean."""
    found = _SAN_TARGET.match(text)
    if found is None:
        return []
    piece_type = chess.Piece.from_symbol(found[1]).piece_type
    target = chess.parse_square(found[2])
    return sorted(board.san(move) for move in board.legal_moves
                  if move.to_square == target and board.piece_type_at(move.from_square) == piece_type)


def render_board(board: chess.Board, perspective: chess.Color) -> Text:
    """The board as rich text from ``perspective``'s side, the last move's squares highlighted.

    >>> print(render_board(chess.Board(), chess.WHITE).plain.splitlines()[0].rstrip())
    8  ♜  ♞  ♝  ♛  ♚  ♝  ♞  ♜
    """
    last = board.peek() if board.move_stack else None
    highlighted = {last.from_square, last.to_square} if last is not None else set()
    ranks = range(7, -1, -1) if perspective == chess.WHITE else range(8)
    files = range(8) if perspective == chess.WHITE else range(7, -1, -1)
    text = Text()
    for rank in ranks:
        text.append(f"{rank + 1} ")
        for file in files:
            square = chess.square(file, rank)
            background = _HIGHLIGHT if square in highlighted else _LIGHT if (file + rank) % 2 else _DARK
            piece = board.piece_at(square)
            # The solid glyphs for both sides, coloured: outlined glyphs vanish on some terminals.
            glyph = chess.UNICODE_PIECE_SYMBOLS[piece.symbol().lower()] if piece else " "
            colour = "bold white" if piece and piece.color == chess.WHITE else "bold black"
            text.append(f" {glyph} ", style=f"{colour} {background}")
        text.append("\n")
    text.append("   " + "".join(f" {chess.FILE_NAMES[file]} " for file in files))
    return text
