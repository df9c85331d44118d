"""External engines over UCI, driven through python-chess: the ``stockfish`` kind (Debian's or
any Stockfish on PATH) and the ``uci`` kind (any UCI engine binary). Importing this module
registers both.

>>> from chessmesa.play.players import make_player
>>> player = make_player("stockfish:nodes=100")  # doctest: +SKIP
>>> player.choose(chess.Board(), Limit()).move in chess.Board().legal_moves  # doctest: +SKIP
True
"""

from __future__ import annotations

import shlex
import shutil
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import chess
import chess.engine

from chessmesa.play.base import MATE_CP, Choice, Limit, Player, SearchInfo
from chessmesa.play.specs import ANY, EngineSpec, SpecError, register_kind, spec_limit


class UciPlayer:
    """An external UCI engine driven through python-chess.

    ``defaults`` are the spec's own limits, used for whatever the caller's :class:`Limit` leaves
    unset; with neither, the engine thinks for :attr:`DEFAULT_MOVETIME_MS`.
    """

    DEFAULT_MOVETIME_MS = 1000

    def __init__(self, name: str, command: list[str], options: dict[str, Any], defaults: Limit = Limit()) -> None:
        self.name = name
        self._defaults = defaults
        self._game = object()
        try:
            self._engine = chess.engine.SimpleEngine.popen_uci(command)
        except (OSError, chess.engine.EngineError) as error:
            raise SpecError(f"cannot start UCI engine {shlex.join(command)!r}: {error}") from None
        try:
            self._engine.configure(options)
        except chess.engine.EngineError as error:
            self._engine.quit()
            raise SpecError(f"engine {name!r} rejected its options: {error}") from None

    def new_game(self) -> None:
        # python-chess sends ucinewgame whenever the game object changes.
        self._game = object()

    def choose(
        self,
        board: chess.Board,
        limit: Limit,
        stop: threading.Event | None = None,
        on_info: Callable[[SearchInfo], None] | None = None,
    ) -> Choice:
        start = time.monotonic()
        root_moves = limit.allowed_moves(board) if limit.searchmoves else None
        with self._engine.analysis(board, self._engine_limit(limit), game=self._game,
                                   root_moves=root_moves) as analysis:
            with _forward_stop(stop, analysis.stop):
                for info in analysis:
                    if on_info is not None and info.get("pv"):
                        progress = _choice(info["pv"][0], info, board.turn, time.monotonic() - start)
                        on_info(SearchInfo.of(progress, depth=info.get("depth")))
            best = analysis.wait()
            final = analysis.info
        if best.move is None:
            raise RuntimeError(f"engine {self.name!r} returned no move for {board.fen()}")
        return _choice(best.move, final, board.turn, time.monotonic() - start)

    def close(self) -> None:
        try:
            self._engine.quit()
        except chess.engine.EngineTerminatedError:
            pass

    def _engine_limit(self, limit: Limit) -> chess.engine.Limit | None:
        if limit.infinite:
            return None
        limit = limit.with_defaults(self._defaults)
        if limit.is_empty():
            limit = Limit(movetime_ms=self.DEFAULT_MOVETIME_MS)
        return chess.engine.Limit(
            time=_seconds(limit.movetime_ms),
            depth=limit.depth,
            nodes=limit.nodes,
            mate=limit.mate,
            white_clock=_seconds(limit.wtime_ms),
            black_clock=_seconds(limit.btime_ms),
            white_inc=_seconds(limit.winc_ms),
            black_inc=_seconds(limit.binc_ms),
            remaining_moves=limit.movestogo,
        )


@contextmanager
def _forward_stop(stop: threading.Event | None, action: Callable[[], None]) -> Iterator[None]:
    """Call ``action`` once if ``stop`` is set while the block runs."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        # One thread cannot wait on two events; a 10 ms poll keeps stop latency far below UCI's needs.
        while not done.is_set():
            if stop.wait(0.01):
                action()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _choice(move: chess.Move, info: chess.engine.InfoDict, turn: chess.Color, seconds: float) -> Choice:
    """What the engine's ``info`` says about ``move``, from the side to move's point of view."""
    score = info.get("score")
    wdl = info.get("wdl")
    return Choice(
        move=move,
        score_cp=None if score is None else score.pov(turn).score(mate_score=MATE_CP),
        wdl=None if wdl is None else tuple(wdl.pov(turn)),
        pv=list(info.get("pv", [move])),
        nodes=info.get("nodes", 0),
        seconds=seconds,
    )


def _seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def find_stockfish() -> str:
    """The Stockfish binary: ``stockfish`` on PATH, else ``/usr/games/stockfish`` (Debian).

    Raises :class:`SpecError` with the install command when there is none.
    """
    found = shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")
    if found is None:
        raise SpecError("stockfish not found on PATH or in /usr/games; install it with: sudo apt-get install stockfish")
    return found


#: The limits of the external engine kinds: the spec's keys (``movetime`` in ms).
_UCI_LIMIT_FIELDS = {"nodes": "nodes", "movetime_ms": "movetime", "depth": "depth"}


def _pass_through(options: dict[str, Any]) -> dict[str, Any]:
    """The raw UCI options of a spec: ``option.Hash=64`` -> ``{"Hash": 64}``."""
    return {key.removeprefix("option."): value for key, value in options.items() if key.startswith("option.")}


def _stockfish(spec: EngineSpec, seed: int | None) -> Player:
    options = spec.options
    uci_options: dict[str, Any] = {"UCI_ShowWDL": True}
    renames = {"skill": "Skill Level", "threads": "Threads", "hash": "Hash", "elo": "UCI_Elo"}
    uci_options.update({uci: options[key] for key, uci in renames.items() if key in options})
    if "elo" in options:
        uci_options["UCI_LimitStrength"] = True
    uci_options.update(_pass_through(options))
    return UciPlayer(spec.name, [find_stockfish()], uci_options, spec_limit(spec, _UCI_LIMIT_FIELDS))


def _uci(spec: EngineSpec, seed: int | None) -> Player:
    if "cmd" not in spec.options:
        raise SpecError(f"engine spec {str(spec)!r} needs cmd=... (the engine's command line)")
    command = shlex.split(spec.options["cmd"])
    executable = shutil.which(command[0]) if command else None
    if executable is None:
        raise SpecError(f"UCI engine command {spec.options['cmd']!r} not found (not executable, not on PATH)")
    command[0] = executable
    return UciPlayer(spec.name, command, _pass_through(spec.options), spec_limit(spec, _UCI_LIMIT_FIELDS))


_UCI_LIMIT_KEYS: dict[str, type] = {"nodes": int, "movetime": int, "depth": int, "option.*": ANY}

register_kind(
    "stockfish",
    _stockfish,
    {"skill": int, "elo": int, "threads": int, "hash": int, **_UCI_LIMIT_KEYS},
    "the system Stockfish (skill 0-20, elo 1350-2850 limits strength; nodes/movetime ms/depth per move)",
)
register_kind(
    "uci",
    _uci,
    {"cmd": str, **_UCI_LIMIT_KEYS},
    "any UCI engine binary (cmd=...; option.NAME=value passes UCI options)",
)
