"""One game between two players: the time control and its clocks, the arbiter's adjudication,
and the PGN record. :mod:`chessmesa.play.match` schedules many of them.

>>> from chessmesa.play.players import RandomPlayer
>>> board = chess.Board()
>>> play_engine_game(RandomPlayer(seed=1), RandomPlayer(seed=2), board, TimeControl(nodes=1))
('1/2-1/2', 'threefold repetition', 'normal')
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import chess
import chess.pgn

from chessmesa.play.base import INT32_MAX, Limit, Player

_CLOCK_PATTERN = re.compile(r"^(?:(?P<moves>\d+)/)?(?P<base>\d+(?:\.\d*)?)(?:\+(?P<inc>\d+(?:\.\d*)?))?$")


@dataclass(frozen=True)
class TimeControl:
    """How long each move may take: a clock (``40/60+0.6``, ``10+0.1``), ``movetime=MS`` or ``nodes=N``.

    Clock games are enforced: a player whose move overruns its remaining time loses on time.
    ``movetime`` and ``nodes`` are handed to the players as targets and not policed.

    >>> TimeControl.parse("40/60+0.6")
    TimeControl(base_ms=60000, inc_ms=600, moves=40, movetime_ms=None, nodes=None)
    >>> TimeControl.parse("nodes=1000").limit_for_move().nodes
    1000
    """

    base_ms: int | None = None
    inc_ms: int = 0
    moves: int | None = None
    movetime_ms: int | None = None
    nodes: int | None = None

    @classmethod
    def parse(cls, text: str) -> TimeControl:
        """Parse ``MOVES/SECONDS+INC``, ``SECONDS[+INC]``, ``movetime=MS``, ``nodes=N``, or
        ``spec``: no limit from the match, each engine searches with its own spec's budget."""
        text = text.strip()
        if text == "spec":
            return cls()
        key, equals, value = text.partition("=")
        if equals and key in ("movetime", "nodes") and value.isdigit() and 0 < int(value) <= INT32_MAX:
            return cls(movetime_ms=int(value)) if key == "movetime" else cls(nodes=int(value))
        found = _CLOCK_PATTERN.match(text)
        base_ms, inc_ms = (round(float(found[part] or 0) * 1000) if found else 0 for part in ("base", "inc"))
        moves = int(found["moves"]) if found and found["moves"] else None
        if found is None or base_ms <= 0 or moves == 0 or max(base_ms, inc_ms, moves or 0) > INT32_MAX:
            raise ValueError(
                f"bad time control {text!r}: expected MOVES/SECONDS+INC (40/60+0.6), SECONDS+INC (10+0.1), "
                f"movetime=MS, nodes=N or spec (at most {INT32_MAX} ms or nodes)"
            )
        return cls(base_ms=base_ms, inc_ms=inc_ms, moves=moves)

    @property
    def is_clock(self) -> bool:
        return self.base_ms is not None

    def limit_for_move(self) -> Limit:
        """The per-move limit of a ``movetime`` or ``nodes`` control (clock limits come from :class:`_Clocks`)."""
        return Limit(nodes=self.nodes, movetime_ms=self.movetime_ms)


#: The move cap every command adjudicates a draw at by default (match, tournament, analyze, demo,
#: iterate): a game still going after this many moves is a draw.
DEFAULT_MAX_MOVES = 150


@dataclass(frozen=True)
class Adjudication:
    """When the arbiter ends a game before the rules do; every rule is off by default, except
    that draws are claimed.

    - ``claim_draws``: a draw as soon as one can be claimed (threefold repetition, fifty moves);
      when off, the players move on and the game ends by itself (fivefold repetition, 75 moves)
      or by another rule.
    - ``max_moves``: a draw after this many full moves of the game.
    - ``resign_cp``/``resign_moves``: a side loses once the scores have been beyond ``resign_cp``
      against it for ``resign_moves`` consecutive moves: both engines' scores when ``resign_both``,
      else either engine's.
    - ``draw_cp``/``draw_moves``/``draw_after``: a draw once both engines' scores have been within
      ``draw_cp`` of zero for ``draw_moves`` consecutive moves, from move ``draw_after`` on.
    """

    claim_draws: bool = True
    max_moves: int | None = None
    resign_cp: int | None = None
    resign_moves: int = 3
    resign_both: bool = True
    draw_cp: int | None = None
    draw_moves: int = 8
    draw_after: int = 40


def play_engine_game(
    white: Player,
    black: Player,
    board: chess.Board,
    tc: TimeControl,
    adjudication: Adjudication = Adjudication(),
    move_seconds: list[float] | None = None,
) -> tuple[str, str, str]:
    """Play one game from ``board`` (moves are pushed onto it); return (result, reason, termination).

    ``move_seconds``, when given, receives the wall time of each move's ``choose`` call, in the
    order of the moves (what ``analyze clock`` reports of each player's time per move).

    ``reason`` is human readable (``checkmate``, ``time forfeit``, ``resign adjudication``, ...);
    ``termination`` is the PGN Termination value (``normal``, ``time forfeit``, ``adjudication``,
    ``rules infraction``). Draws are claimed as soon as the rules allow (threefold, fifty moves)
    unless ``adjudication.claim_draws`` is off.

    >>> from chessmesa.play.players import RandomPlayer
    >>> board = chess.Board()
    >>> play_engine_game(RandomPlayer(seed=1), RandomPlayer(seed=2), board, TimeControl(nodes=1))
    ('1/2-1/2', 'threefold repetition', 'normal')
    """
    players = {chess.WHITE: white, chess.BLACK: black}
    for player in players.values():
        player.new_game()
    clocks = _Clocks(tc) if tc.is_clock else None
    arbiter = _Arbiter(adjudication)
    start_ply = board.ply()
    while True:
        outcome = board.outcome(claim_draw=adjudication.claim_draws)
        if outcome is not None:
            return outcome.result(), outcome.termination.name.lower().replace("_", " "), "normal"
        if adjudication.max_moves is not None and board.ply() - start_ply >= 2 * adjudication.max_moves:
            return "1/2-1/2", "max moves", "adjudication"
        side = board.turn
        limit = clocks.limit(side) if clocks is not None else tc.limit_for_move()
        stop = threading.Event()
        # Stop a cooperative player when its flag falls, so a lost game does not also hang.
        flag_timer = threading.Timer(clocks.remaining_ms[side] / 1000, stop.set) if clocks is not None else None
        if flag_timer is not None:
            flag_timer.start()
        position = board.copy()  # the player's own, copied before its time starts
        started = time.perf_counter()
        try:
            choice = players[side].choose(position, limit, stop)
        finally:
            spent = time.perf_counter() - started
            if flag_timer is not None:
                flag_timer.cancel()
        if move_seconds is not None:
            move_seconds.append(spent)
        if clocks is not None and not clocks.spend(side, spent):
            if board.has_insufficient_material(not side):
                return "1/2-1/2", "time forfeit against insufficient material", "time forfeit"
            return _loss(side), "time forfeit", "time forfeit"
        if choice.move not in board.legal_moves:
            return _loss(side), f"illegal move {choice.move.uci()}", "rules infraction"
        board.push(choice.move)
        verdict = arbiter.record(side, choice.score_cp, board.fullmove_number)
        if verdict is not None:
            return verdict


def _loss(side: chess.Color) -> str:
    return "0-1" if side == chess.WHITE else "1-0"


class _Clocks:
    """Both players' clocks under a clock time control (``moves`` per period, increment per move)."""

    def __init__(self, tc: TimeControl) -> None:
        assert tc.base_ms is not None
        self.tc = tc
        self.remaining_ms = {chess.WHITE: float(tc.base_ms), chess.BLACK: float(tc.base_ms)}
        self.moves_made = {chess.WHITE: 0, chess.BLACK: 0}

    def limit(self, side: chess.Color) -> Limit:
        movestogo = None if self.tc.moves is None else self.tc.moves - self.moves_made[side] % self.tc.moves
        return Limit(
            # increments can take a long game's clock past what UCI's 32-bit times hold
            wtime_ms=min(int(self.remaining_ms[chess.WHITE]), INT32_MAX),
            btime_ms=min(int(self.remaining_ms[chess.BLACK]), INT32_MAX),
            winc_ms=self.tc.inc_ms,
            binc_ms=self.tc.inc_ms,
            movestogo=movestogo,
        )

    def spend(self, side: chess.Color, seconds: float) -> bool:
        """Charge a move; False when it overran the remaining time (the flag fell)."""
        self.remaining_ms[side] -= seconds * 1000
        if self.remaining_ms[side] < 0:
            return False
        self.remaining_ms[side] += self.tc.inc_ms
        self.moves_made[side] += 1
        if self.tc.moves is not None and self.moves_made[side] % self.tc.moves == 0:
            self.remaining_ms[side] += self.tc.base_ms
        return True


class _Arbiter:
    """Score-based adjudication: tracks each engine's recent scores, in White's point of view."""

    def __init__(self, rules: Adjudication) -> None:
        self.rules = rules
        window = max(rules.resign_moves, rules.draw_moves)
        self.scores = {chess.WHITE: deque(maxlen=window), chess.BLACK: deque(maxlen=window)}

    def record(self, side: chess.Color, score_cp: int | None, move_number: int) -> tuple[str, str, str] | None:
        """Note the mover's score (its own point of view); return a verdict when a rule fires."""
        self.scores[side].append(None if score_cp is None else (score_cp if side == chess.WHITE else -score_cp))
        rules = self.rules
        if rules.resign_cp is not None:
            for winner, sign in ((chess.WHITE, 1), (chess.BLACK, -1)):
                agree = [self._all_recent(color, rules.resign_moves, lambda s: sign * s >= rules.resign_cp)
                         for color in (chess.WHITE, chess.BLACK)]
                if all(agree) if rules.resign_both else any(agree):
                    return ("1-0" if winner == chess.WHITE else "0-1"), "resign adjudication", "adjudication"
        if rules.draw_cp is not None and move_number >= rules.draw_after:
            if all(self._all_recent(color, rules.draw_moves, lambda s: abs(s) <= rules.draw_cp)
                   for color in (chess.WHITE, chess.BLACK)):
                return "1/2-1/2", "draw adjudication", "adjudication"
        return None

    def _all_recent(self, color: chess.Color, count: int, test: Callable[[int], bool]) -> bool:
        recent = list(self.scores[color])[-count:]
        return len(recent) == count and all(score is not None and test(score) for score in recent)


def pgn_game(board: chess.Board, headers: dict[str, str]) -> chess.pgn.Game:
    """A finished game as a PGN game: the board's moves, today's date, the given headers.

    The start position goes into SetUp/FEN headers when it is not the initial one.

    >>> board = chess.Board()
    >>> board.push_san("e4")
    Move.from_uci('e2e4')
    >>> print(str(pgn_game(board, {"White": "a", "Black": "b", "Result": "*"})).splitlines()[-1])
    1. e4 *
    """
    game = chess.pgn.Game.from_board(board)
    game.headers["Date"] = datetime.date.today().strftime("%Y.%m.%d")
    game.headers.update(headers)
    return game
