"""Terminal play driven through StringIO: messages, commands, the saved PGN."""

import io
import time

import chess
import chess.pgn
from rich.console import Console

from chessmesa.play.game import TimeControl
from chessmesa.play.players import Choice, RandomPlayer, make_player
from chessmesa.play.terminal import play_in_terminal, render_board

MATE_IN_ONE = "6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1"
TWO_KNIGHTS = "4k3/8/8/8/8/8/8/1N2KN2 w - - 0 1"


class Drawish(RandomPlayer):
    """Random moves, but always thinks the position is level."""

    def choose(self, board, limit, stop=None, on_info=None):
        return Choice(super().choose(board, limit).move, score_cp=5)


class Recording(RandomPlayer):
    """Random moves, each after ``delay`` seconds; keeps the limits it was given."""

    def __init__(self, name, seed, delay=0.0):
        super().__init__(name, seed)
        self.delay, self.limits = delay, []

    def choose(self, board, limit, stop=None, on_info=None):
        self.limits.append(limit)
        time.sleep(self.delay)
        return super().choose(board, limit)


def play(player, color, commands, pgn_path=None, fen=chess.STARTING_FEN, tc="spec"):
    output = io.StringIO()
    game = play_in_terminal(player, color, io.StringIO("".join(f"{c}\n" for c in commands)),
                            Console(file=output, width=100), pgn_path, tc=TimeControl.parse(tc),
                            board=chess.Board(fen))
    return game, output.getvalue()


def test_illegal_ambiguous_and_unknown_input_get_clear_messages():
    game, output = play(make_player("random:seed=1"), chess.WHITE, ["Nd2", "e4", "e1e3", "Ke9", "Nbd2", "quit"],
                        fen=TWO_KNIGHTS)
    assert "Ambiguous move 'Nd2'" in output and "Nbd2 or Nfd2" in output
    assert "Illegal move 'e4'" in output and "Illegal move 'e1e3'" in output
    assert "Not a move or command: 'Ke9'" in output
    assert next(iter(game.mainline_moves())) == chess.Move.from_uci("b1d2")
    assert game.headers["Result"] == "*"


def test_uci_input_undo_and_resign_write_the_pgn(tmp_path):
    pgn = tmp_path / "game.pgn"
    game, output = play(make_player("random:seed=1"), chess.WHITE, ["e2e4", "d4", "undo", "Nf3", "resign"], pgn)
    assert "Took back one move." in output
    saved = chess.pgn.read_game(io.StringIO(pgn.read_text()))
    moves = [move.uci() for move in saved.mainline_moves()]
    assert moves[0] == "e2e4" and moves[2] == "g1f3" and len(moves) == 4  # d4 and its reply were taken back
    assert saved.headers["Result"] == "0-1" and saved.headers["White"] == "You"
    assert saved.headers["Black"] == "random:seed=1"


def test_undo_with_nothing_to_take_back():
    _, output = play(make_player("random:seed=1"), chess.BLACK, ["undo", "quit"])
    assert "Nothing to take back." in output


def test_checkmate_ends_the_game(tmp_path):
    pgn = tmp_path / "mate.pgn"
    game, output = play(make_player("random:seed=1"), chess.WHITE, ["Rd8#"], pgn, fen=MATE_IN_ONE)
    assert game.headers["Result"] == "1-0" and "Game over: 1-0" in output
    saved = chess.pgn.read_game(io.StringIO(pgn.read_text()))
    assert saved.headers["FEN"] == MATE_IN_ONE and saved.end().board().is_checkmate()


def test_draw_offers_hint_and_help():
    game, output = play(make_player("random:seed=1"), chess.WHITE, ["draw", "hint", "help", "quit"])
    assert "declines the draw" in output and "Hint: " in output and "resign" in output
    assert game.headers["Result"] == "*"
    game, output = play(Drawish("drawish", 1), chess.BLACK, ["draw"])
    assert "accepts the draw" in output and game.headers["Result"] == "1/2-1/2"


def test_end_of_input_leaves_the_game_unfinished():
    game, _ = play(make_player("random:seed=1"), chess.WHITE, ["e4"])
    assert game.headers["Result"] == "*" and len(list(game.mainline_moves())) == 2


def test_board_is_drawn_from_the_players_side_with_the_last_move_highlighted():
    board = chess.Board()
    board.push_uci("e2e4")
    white = render_board(board, chess.WHITE)
    black = render_board(board, chess.BLACK)
    assert white.plain.startswith("8 ") and black.plain.startswith("1 ")
    assert white.plain.splitlines()[-1].split() == list("abcdefgh")
    highlighted = [span for span in white.spans if "#cdd26a" in str(span.style)]
    assert len(highlighted) == 2


def test_the_engine_moves_within_the_time_control():
    player = Recording("recording", 1)
    play(player, chess.BLACK, ["e5", "quit"], tc="movetime=20")
    assert [limit.movetime_ms for limit in player.limits] == [20, 20]
    player = Recording("recording", 1)
    _, output = play(player, chess.BLACK, ["e5", "quit"], tc="40/60+1")
    first, second = player.limits
    assert (first.wtime_ms, first.btime_ms, first.winc_ms, first.movestogo) == (60_000, 60_000, 1000, 40)
    assert second.wtime_ms > 60_000 - 1000 and second.btime_ms == 60_000 and second.movestogo == 39
    assert "s left)" in output


def test_the_engine_loses_on_time_when_it_overruns_its_clock():
    game, output = play(Recording("slow", 1, delay=0.2), chess.BLACK, [], tc="0.05")
    assert "slow ran out of time." in output
    assert game.headers["Result"] == "0-1" and game.headers["Termination"] == "time forfeit"
