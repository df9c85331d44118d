"""A UCI engine around any :class:`~chessmesa.play.players.Player`, for GUIs and match runners.

Supported: ``uci``, ``isready``, ``ucinewgame``, ``setoption name X [value Y]``,
``position startpos|fen FEN [moves ...]``, ``go`` with ``searchmoves ponder wtime btime winc binc
movestogo depth nodes mate movetime infinite``, ``ponderhit``, ``stop``, ``quit`` (``debug`` and
``register`` are accepted and ignored). The search runs in a background thread, so ``isready``,
``stop`` and ``ponderhit`` are answered while it runs.

Every ``go`` ends in a ``bestmove`` (``0000`` only when there is no legal move). Arguments of a
``go`` that cannot be used (unknown, a bad or out-of-range number, an illegal search move) are
refused one by one with an ``info string`` naming them, and the search runs with the rest; if the
player fails, an ``info string`` says so and the first legal move is played. Any other command
that cannot be used (unknown, an illegal move, a bad FEN, an option value) is reported as one
line on stderr and ignored; the engine keeps running.

``go ponder`` searches the position (the opponent's expected move included) until ``ponderhit``,
when the same search goes on within the ``go`` command's limits, or ``stop``. A position where a
draw can be claimed is searched like any other: claiming is the GUI's business.

Run it as ``chessmesa uci --engine SPEC`` or ``python -m chessmesa.play.uci_server --engine SPEC``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Callable, TextIO

import chess

from chessmesa import __version__
from chessmesa.play.base import LIMIT_BOUNDS, MATE_CP, Choice, Limit, Player, SearchInfo, UciOption
from chessmesa.play.players import make_player
from chessmesa.play.specs import SpecError

#: Options every engine shows; accepted and ignored unless the player defines them itself
#: (pondering needs no option: ``go ponder`` works for every player).
STANDARD_OPTIONS = (
    UciOption("Hash", "spin", 16, 1, 65536),
    UciOption("Threads", "spin", 1, 1, 1024),
    UciOption("Ponder", "check", False),
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
    "mate": "mate",
}
_GO_KEYWORDS = {*_GO_INTEGERS, "infinite", "ponder", "searchmoves"}


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
        self._ponder_end: threading.Event | None = None  # set by ponderhit or stop while pondering
        self._commands: dict[str, Callable[[list[str]], None]] = {
            "uci": self._uci,
            "isready": self._isready,
            "ucinewgame": self._ucinewgame,
            "setoption": self._setoption,
            "position": self._position,
            "go": self._go,
            "ponderhit": self._ponderhit,
            "stop": lambda args: self._finish_search(),
            "debug": lambda args: None,
            "register": lambda args: None,
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
        """:func:`served_options` by lower-case name."""
        return {option.name.lower(): option for option in served_options(self.player)}

    def _uci(self, args: list[str]) -> None:
        self._send(f"id name chessmesa {__version__} ({self.player.name})")
        self._send("id author the chessmesa authors")
        for option in self._options().values():
            self._send(option_line(option))
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
                parsed = board.parse_uci(move)
            except ValueError:
                parsed = chess.Move.null()
            if not parsed:  # python-chess reads 0000 as a null move, which no game holds
                raise UciError(f"illegal move {move!r} in {board.fen()}")
            board.push(parsed)
        if moves:  # they can carry the clocks past their bounds
            from chessmesa.core.convert import counter_problems

            problems = counter_problems(board)
            if problems:
                raise UciError(f"position after the moves {board.fen()!r}: {'; '.join(problems)}")
        self._finish_search()
        self._board = board

    def _go(self, args: list[str]) -> None:
        limit, ponder, problems = parse_go(args, self._board)
        self._finish_search()
        for problem in problems:
            self._refuse(problem)
        try:
            player = self.player
        except ValueError as error:  # the player cannot start: still a bestmove
            self._refuse(f"the engine cannot start: {error}")
            self._send(f"bestmove {_first_move(self._board, limit)}")
            return
        self._stop = threading.Event()
        self._ponder_end = threading.Event() if ponder else None
        search_args = (player, self._board.copy(), limit, self._stop, self._ponder_end)
        self._search = threading.Thread(target=self._run_search, args=search_args, daemon=True)
        self._search.start()

    def _ponderhit(self, args: list[str]) -> None:
        if self._ponder_end is None or self._search is None:
            raise UciError("ponderhit without a 'go ponder' search")
        self._ponder_end.set()  # the search thread goes on with the go command's own limits
        self._ponder_end = None

    def _run_search(self, player: Player, board: chess.Board, limit: Limit, stop: threading.Event,
                    ponder_end: threading.Event | None) -> None:
        """The search thread: choose, report, and always end with ``bestmove``."""
        line = "bestmove 0000"
        if any(board.legal_moves):
            if ponder_end is not None:
                # until ponderhit or stop: the tree it grows serves the search after ponderhit
                choice = self._choose(player, board, Limit(infinite=True, searchmoves=limit.searchmoves),
                                      ponder_end)
                ponder_end.wait()
                if not stop.is_set():
                    choice = self._choose(player, board, limit, stop)
            else:
                choice = self._choose(player, board, limit, stop)
            if choice is None:
                self._refuse("playing the first legal move instead")
                line = f"bestmove {_first_move(board, limit)}"
            else:
                self._send_info(SearchInfo.of(choice))
                line = f"bestmove {choice.move.uci()}" + _ponder_suffix(board, choice)
        if limit.infinite:
            # UCI forbids bestmove before stop during "go infinite", even when the player is done.
            stop.wait()
        self._send(line)

    def _choose(self, player: Player, board: chess.Board, limit: Limit,
                stop: threading.Event) -> Choice | None:
        """The player's choice, or None (reported) when it fails or chooses an illegal move."""
        try:
            choice = player.choose(board, limit, stop, self._send_info)
        except Exception as error:  # the GUI still needs its bestmove; the error is reported
            self._refuse(f"search failed in {board.fen()}: {type(error).__name__}: {error}")
            return None
        if choice.move not in board.legal_moves:
            self._refuse(f"player {player.name!r} chose illegal move {choice.move.uci()} in {board.fen()}")
            return None
        return choice

    def _finish_search(self) -> None:
        """Stop the running search, if any, and wait for its bestmove."""
        if self._search is not None:
            self._stop.set()
            if self._ponder_end is not None:
                self._ponder_end.set()
            self._search.join()
            self._search = None
            self._ponder_end = None

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

    def _refuse(self, message: str) -> None:
        """A problem of a ``go``: for the GUI as an ``info string``, and on stderr."""
        self._send(f"info string {message}")
        self._error(message)


def parse_go(args: list[str], board: chess.Board) -> tuple[Limit, bool, list[str]]:
    """``go`` arguments as ``(limit, ponder, problems)``: each argument that cannot be used is
    left out and named in ``problems``, so that the search can run with the others.

    >>> limit, ponder, problems = parse_go("wtime 1000 btime -20 movestogo 0 searchmoves e2e4 e2e5".split(),
    ...                                    chess.Board())
    >>> limit.wtime_ms, limit.btime_ms, limit.movestogo, limit.searchmoves, ponder
    (1000, -20, None, (Move.from_uci('e2e4'),), False)
    >>> problems
    ["'go movestogo 0' out of range 1..2147483647 (ignored)", "'go searchmoves ... e2e5': illegal move (ignored)"]
    """
    values: dict[str, object] = {}
    ponder, problems, searchmoves = False, [], []
    position = 0
    while position < len(args):
        token = args[position]
        position += 1
        if token == "infinite":
            values["infinite"] = True
        elif token == "ponder":
            ponder = True
        elif token == "searchmoves":
            while position < len(args) and args[position] not in _GO_KEYWORDS:
                text = args[position]
                position += 1
                try:
                    searchmoves.append(board.parse_uci(text))
                except ValueError:
                    problems.append(f"'go searchmoves ... {text}': illegal move (ignored)")
        elif token in _GO_INTEGERS:
            text = args[position] if position < len(args) and args[position] not in _GO_KEYWORDS else ""
            position += bool(text)
            problem = _number_problem(token, text)
            if problem is None:
                values[_GO_INTEGERS[token]] = int(text)
            else:
                problems.append(problem)
        else:
            problems.append(f"unsupported 'go' argument {token!r} (ignored)")
    return Limit(**values, searchmoves=tuple(move for move in searchmoves if move)), ponder, problems


def _number_problem(token: str, text: str) -> str | None:
    """Why ``text`` cannot follow ``go ... token``, None when it can."""
    if not text:
        return f"missing number after 'go ... {token}' (ignored)"
    try:
        number = int(text)
    except ValueError:
        return f"bad number {text!r} after 'go ... {token}' (ignored)"
    low, high = LIMIT_BOUNDS[_GO_INTEGERS[token]]
    if not low <= number <= high:
        return f"'go {token} {number}' out of range {low}..{high} (ignored)"
    return None


def _first_move(board: chess.Board, limit: Limit) -> str:
    """The move played when the player could not choose: the first one the limit allows."""
    allowed = limit.allowed_moves(board)
    return allowed[0].uci() if allowed else "0000"


def _ponder_suffix(board: chess.Board, choice: Choice) -> str:
    """`` ponder MOVE`` when the principal variation names the reply it expects."""
    if len(choice.pv) < 2 or choice.pv[0] != choice.move:
        return ""
    after = board.copy(stack=False)
    after.push(choice.move)
    return f" ponder {choice.pv[1].uci()}" if choice.pv[1] in after.legal_moves else ""


def _board_from_fen(fen: str) -> chess.Board:
    # the rules kernel (numba) is loaded only when needed: a server of the random or stockfish
    # kind starts and answers at once
    from chessmesa.core import InvalidFenError, parse_fen

    try:
        return parse_fen(fen)
    except InvalidFenError as error:
        raise UciError(str(error)) from None


def served_options(player: Player) -> list[UciOption]:
    """The UCI options served for ``player``: the standard ones (:data:`STANDARD_OPTIONS`), each
    replaced by the player's own of that name, then the player's others."""
    options = {option.name.lower(): option for option in STANDARD_OPTIONS}
    options.update({option.name.lower(): option for option in getattr(player, "uci_options", lambda: [])()})
    return list(options.values())


def option_line(option: UciOption) -> str:
    """The ``option name ... type ...`` line that announces ``option`` to a GUI."""
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
