"""Claimable draws at the board: every player kind moves where a draw can be claimed (the searcher
with the move its search chose), and a match or a terminal game claims the draw or plays on, as
asked."""

from __future__ import annotations

import io

import chess
import pytest
from rich.console import Console

from chessmesa.play.game import Adjudication, TimeControl, play_engine_game
from chessmesa.play.players import Choice, Limit, make_player
from chessmesa.play.terminal import play_in_terminal
from chessmesa.search import MCTS
from test_play_uci_conformance import claimable_boards

DANCE = ["g1f3", "g8f6", "f3g1", "f6g8"]


class KnightDancer:
    """Takes its king's knight out and back, for ever: repetitions on demand."""

    def __init__(self, name: str) -> None:
        self.name = name

    def new_game(self) -> None:
        pass

    def choose(self, board, limit, stop=None, on_info=None) -> Choice:
        return Choice(chess.Move.from_uci(DANCE[len(board.move_stack) % 4]), score_cp=0)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("spec", ["mcts:sims=64", "greedy", "random:seed=1"])
def test_every_kind_moves_where_a_draw_can_be_claimed(spec):
    player = make_player(spec)
    for board in claimable_boards():
        choice = player.choose(board.copy(), Limit())
        assert choice.move in board.legal_moves
        if spec.startswith("mcts"):
            player.new_game()
            assert choice.move.uci() == MCTS().search(board, sims=64).best_move


@pytest.mark.parametrize("claim,reason,plies", [
    # python-chess lets a player claim with the move that makes the third occurrence
    (True, "threefold repetition", 7), (False, "fivefold repetition", 16),
])
def test_a_match_game_claims_the_draw_or_plays_on(claim, reason, plies):
    board = chess.Board()
    result = play_engine_game(KnightDancer("a"), KnightDancer("b"), board, TimeControl(nodes=1),
                       Adjudication(claim_draws=claim))
    assert result == ("1/2-1/2", reason, "normal") and len(board.move_stack) == plies


def test_terminal_play_on_until_the_person_claims():
    commands = "".join(f"{move}\n" for move in (DANCE * 3)[0::2][:5]) + "draw\n"
    output = io.StringIO()
    game = play_in_terminal(KnightDancer("dancer"), chess.WHITE, io.StringIO(commands),
                            Console(file=output, width=100), pgn_path=None, claim_draws=False)
    assert "You claim a draw (threefold repetition)" in output.getvalue()
    assert game.headers["Result"] == "1/2-1/2" and len(list(game.mainline_moves())) == 10


def test_terminal_play_claims_at_once_by_default():
    commands = "".join(f"{move}\n" for move in (DANCE * 3)[0::2]) + "quit\n"
    game = play_in_terminal(KnightDancer("dancer"), chess.WHITE, io.StringIO(commands),
                            Console(file=io.StringIO(), width=100), pgn_path=None)
    assert game.headers["Result"] == "1/2-1/2" and len(list(game.mainline_moves())) == 7
