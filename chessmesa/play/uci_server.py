"""A UCI engine around any :class:`~chessmesa.play.players.Player`, for GUIs and match runners.

Supported: ``uci``, ``isready``, ``ucinewgame``, ``setoption name X [value Y]``,
``position startpos|fen FEN [moves ...]``, ``go`` with ``wtime btime winc binc movestogo movetime
nodes depth infinite``, ``stop``, ``quit`` (``debug``, ``register`` and ``ponderhit`` are accepted
and ignored). The search runs in a background thread, so ``isready`` and ``stop`` are answered while
it runs. A command that cannot be used (unknown, an illegal move, a bad FEN or number) is reported as
one line on stderr and ignored; the engine keeps running.

Run it as ``chessmesa uci --engine SPEC`` or ``python -m chessmesa.play.uci_server --engine SPEC``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Callable, TextIO

import chess

from chessmesa import __version__
from chessmesa.play.players import MATE_CP, Choice, Limit, Player, SearchInfo, UciOption, make_player
from chessmesa.play.specs import SpecError

#: Options every engine shows; accepted and ignored unless the player defines them itself.
STANDARD_OPTIONS = (
    UciOption("Hash", "spin", 16, 1, 65536),
    UciOption("Threads", "spin", 1, 1, 1024),
)

_GO_INTEGERS = {
    "wtime": "wtime_ms",
    "btime": "btime_ms",
    "winc": "winc_ms",
    "binc": "binc_ms",
    "movestogo": "movestogo",
    "movetime": "movetime_ms",
    "nodes": "nodes",
    "depth": "depth",
}


class UciError(ValueError):
    """A command that cannot be used; reported on stderr, then ignored."""


def serve(player_factory: Callable[[], Player], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> None:
    """Speak UCI on ``stdin``/``stdout`` until ``quit`` or end of input; errors go to ``stderr``.

    The player is built on first need (``uci``, ``isready`` or ``go``), so that a slow engine does
    not delay start-up, and closed at the end.

    >>> import io
    >>> out = io.StringIO()
    >>> commands = io.StringIO("position startpos\\ngo nodes 1\\nquit\\n")
    >>> serve(lambda: make_player("random:seed=1"), commands, out, io.StringIO())
    >>> out.getvalue().splitlines()[-1].startswith("bestmove ")
    True
    """
    session = _Session(player_factory, stdout, stderr)
    try:
        while line := stdin.readline():
            if not session.handle(line):
                break
    finally:
        session.close()


class _Session:
    """The state of one UCI conversation: the position, the player, the running search."""

    def __init__(self, player_factory: Callable[[], Player], stdout: TextIO, stderr: TextIO) -> None:
        self._player_factory = player_factory
        self._player: Player | None = None
        self._stdout = stdout
        self._stderr = stderr
        self._write_lock = threading.Lock()
        self._board = chess.Board()
        self._search: threading.Thread | None = None
        self._stop = threading.Event()
        self._commands: dict[str, Callable[[list[str]], None]] = {
            "uci": self._uci,
            "isready": self._isready,
            "ucinewgame": self._ucinewgame,
            "setoption": self._setoption,
            "position": self._position,
            "go": self._go,
            "stop": lambda args: self._finish_search(),
            "debug": lambda args: None,
            "register": lambda args: None,
            "ponderhit": lambda args: None,
        }

    def handle(self, line: str) -> bool:
        """Run one command line; False once ``quit`` was received."""
        tokens = line.split()
        if not tokens:
            return True
        command, args = tokens[0], tokens[1:]
        if command == "quit":
            return False
        try:
            if command not in self._commands:
                raise UciError(f"unknown command {command!r}")
            self._commands[command](args)
        except ValueError as error:  # UciError, SpecError, or a player rejecting an option value
            self._error(f"{error} (ignored: {line.strip()!r})")
        return True

    def close(self) -> None:
        self._finish_search()
        if self._player is not None:
            self._player.close()

    @property
    def player(self) -> Player:
        if self._player is None:
            self._player = self._player_factory()
        return self._player

    def _options(self) -> dict[str, UciOption]:
        """The player's options and the standard ones it does not define, by lower-case name."""
        own = getattr(self.player, "uci_options", lambda: [])()
        options = {option.name.lower(): option for option in STANDARD_OPTIONS}
        options.update({option.name.lower(): option for option in own})
        return options

    def _uci(self, args: list[str]) -> None:
        self._send(f"id name chessmesa {__version__} ({self.player.name})")
        self._send("id author the chessmesa authors")
        for option in self._options().values():
            self._send(_option_line(option))
        self._send("uciok")

    def _isready(self, args: list[str]) -> None:
        self.player  # isready is the GUI's way to wait for initialisation: build the player now
        self._send("readyok")

    def _ucinewgame(self, args: list[str]) -> None:
        self._finish_search()
        self._board = chess.Board()
        self.player.new_game()

    def _setoption(self, args: list[str]) -> None:
        if not args or args[0] != "name":
            raise UciError("expected 'setoption name NAME [value VALUE]'")
        text = " ".join(args[1:])
        name, _, value = (part.strip() for part in text.partition(" value "))
        option = self._options().get(name.lower())
        if option is None:
            raise UciError(f"unknown option {name!r}")
        typed = _option_value(option, value)
        self._finish_search()
        if any(option is standard for standard in STANDARD_OPTIONS):
            return
        self.player.set_option(option.name, typed)

    def _position(self, args: list[str]) -> None:
        moves_at = args.index("moves") if "moves" in args else len(args)
        where, moves = args[:moves_at], args[moves_at + 1:]
        if where == ["startpos"]:
            board = chess.Board()
        elif where[:1] == ["fen"] and len(where) > 1:
            board = _board_from_fen(" ".join(where[1:]))
        else:
            raise UciError("expected 'position startpos|fen FEN [moves ...]'")
        for move in moves:
            try:
                board.push(board.parse_uci(move))
            except ValueError:
                raise UciError(f"illegal move {move!r} in {board.fen()}") from None
        self._finish_search()
        self._board = board

    def _go(self, args: list[str]) -> None:
        limit = _parse_go(args)
        self._finish_search()
        player = self.player
        self._stop = threading.Event()
        search_args = (player, self._board.copy(), limit, self._stop)
        self._search = threading.Thread(target=self._run_search, args=search_args, daemon=True)
        self._search.start()

    def _run_search(self, player: Player, board: chess.Board, limit: Limit, stop: threading.Event) -> None:
        """The search thread: choose, report, and always end with ``bestmove``."""
        move = None
        if any(board.legal_moves):
            try:
                choice = player.choose(board, limit, stop, self._send_info)
                if choice.move in board.legal_moves:
                    move = choice.move
                    self._send_info(_final_info(choice))
                else:
                    self._error(f"player {player.name!r} chose illegal move {choice.move.uci()} in {board.fen()}")
            except Exception as error:  # the GUI still needs its bestmove; the error goes to stderr
                self._error(f"search failed in {board.fen()}: {type(error).__name__}: {error}")
            if move is None:
                move = next(iter(board.legal_moves))
        if limit.infinite:
            # UCI forbids bestmove before stop during "go infinite", even when the player is done.
            stop.wait()
        self._send(f"bestmove {move.uci() if move is not None else '0000'}")

    def _finish_search(self) -> None:
        """Stop the running search, if any, and wait for its bestmove."""
        if self._search is not None:
            self._stop.set()
            self._search.join()
            self._search = None

    def _send_info(self, info: SearchInfo) -> None:
        self._send(_info_line(info))

    def _send(self, line: str) -> None:
        with self._write_lock:
            self._stdout.write(line + "\n")
            self._stdout.flush()

    def _error(self, message: str) -> None:
        with self._write_lock:
            self._stderr.write(f"error: {message}\n")
            self._stderr.flush()


def _parse_go(args: list[str]) -> Limit:
    """``go`` arguments as a :class:`Limit`.

    >>> _parse_go("wtime 1000 btime 900 movestogo 5".split()).movestogo
    5
    """
    values: dict[str, int | bool] = {}
    tokens = iter(args)
    for token in tokens:
        if token == "infinite":
            values["infinite"] = True
        elif token in _GO_INTEGERS:
            text = next(tokens, "")
            try:
                values[_GO_INTEGERS[token]] = int(text)
            except ValueError:
                raise UciError(f"bad number {text!r} after 'go ... {token}'") from None
        else:
            raise UciError(f"unsupported 'go' argument {token!r}")
    return Limit(**values)


def _board_from_fen(fen: str) -> chess.Board:
    try:
        board = chess.Board(fen)
    except ValueError as error:
        raise UciError(f"bad FEN {fen!r}: {error}") from None
    if not board.is_valid():
        raise UciError(f"impossible position {fen!r}: {board.status()!r}")
    return board


def _option_line(option: UciOption) -> str:
    line = f"option name {option.name} type {option.type}"
    default = str(option.default).lower() if isinstance(option.default, bool) else option.default
    line += f" default {default if default != '' else '<empty>'}"
    if option.type == "spin":
        line += f" min {option.min} max {option.max}"
    return line + "".join(f" var {choice}" for choice in option.choices)


def _option_value(option: UciOption, value: str) -> int | bool | str:
    """A ``setoption`` value checked and typed against its option."""
    if option.type == "spin":
        try:
            number = int(value)
        except ValueError:
            raise UciError(f"option {option.name!r} needs an integer, got {value!r}") from None
        if not option.min <= number <= option.max:
            raise UciError(f"option {option.name!r} must be within {option.min}..{option.max}, got {number}")
        return number
    if option.type == "check":
        if value.lower() not in ("true", "false"):
            raise UciError(f"option {option.name!r} needs true or false, got {value!r}")
        return value.lower() == "true"
    if option.type == "combo" and value not in option.choices:
        raise UciError(f"option {option.name!r} must be one of {', '.join(option.choices)}, got {value!r}")
    return "" if value == "<empty>" else value


def _final_info(choice: Choice) -> SearchInfo:
    nps = int(choice.nodes / choice.seconds) if choice.seconds > 0 else 0
    return SearchInfo(choice.nodes, nps, choice.seconds, choice.score_cp, choice.wdl, choice.pv)


def _info_line(info: SearchInfo) -> str:
    """``info depth ... nodes ... nps ... time ... score ... wdl ... pv ...``.

    MCTS players report no depth; the length of the principal variation stands in.

    >>> _info_line(SearchInfo(nodes=800, nps=40000, seconds=0.02, score_cp=35, pv=[chess.Move.from_uci("e2e4")]))
    'info depth 1 nodes 800 nps 40000 time 20 score cp 35 pv e2e4'
    """
    depth = info.depth if info.depth is not None else max(1, len(info.pv))
    parts = [f"info depth {depth} nodes {info.nodes} nps {info.nps} time {round(info.seconds * 1000)}"]
    if info.score_cp is not None:
        if abs(info.score_cp) > MATE_CP - 1000:
            mate_moves = MATE_CP - abs(info.score_cp)
            parts.append(f"score mate {mate_moves if info.score_cp > 0 else -mate_moves}")
        else:
            parts.append(f"score cp {info.score_cp}")
    if info.wdl is not None:
        parts.append("wdl {} {} {}".format(*info.wdl))
    if info.pv:
        parts.append("pv " + " ".join(move.uci() for move in info.pv))
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """``python -m chessmesa.play.uci_server --engine SPEC``: serve UCI on the standard streams."""
    parser = argparse.ArgumentParser(
        prog="python -m chessmesa.play.uci_server", description="Serve a chessmesa engine over UCI on stdin/stdout."
    )
    parser.add_argument("--engine", default="random", help="engine spec, e.g. random, sf1, mcts:sims=800")
    engine = parser.parse_args(argv).engine
    try:
        player = make_player(engine)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    serve(lambda: player, sys.stdin, sys.stdout, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
