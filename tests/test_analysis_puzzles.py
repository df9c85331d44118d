"""Puzzle scoring on hand-made puzzles: the any-mate rule, line accuracy, bands, subsets, the CLI."""

from __future__ import annotations

import io
import json

import chess
import pytest
from click.testing import CliRunner

from chessmesa.analysis.puzzles import (
    Puzzle, PuzzleError, read_puzzles, score_puzzles, solve_puzzle, stratified_subset,
)
from chessmesa.cli import main
from chessmesa.play.players import Choice

# Black's setup move Kh8 lets White mate with either rook: Ra8# is expected, Rb8# mates too.
TWO_MATES = Puzzle("mate", "6k1/6pp/8/8/8/8/8/RR4K1 b - - 0 1", ["g8h8", "a1a8"], 900)
# A two-move line from the Lichess sample: the solver's moves are f5e5 and e5e6.
ENDGAME = Puzzle("line", "8/4R3/1p2P3/p4r2/P6p/1P3Pk1/4K3/8 w - - 1 64",
                 ["e7f7", "f5e5", "e2f1", "e5e6"], 1440)


class ScriptedPlayer:
    """Plays the move scripted for each position (by board FEN), else the first legal move."""

    name = "scripted"

    def __init__(self, script: dict[str, str]):
        self.script = script
        self.asked: list[str] = []

    def new_game(self) -> None:
        pass

    def choose(self, board, limit, stop=None, on_info=None) -> Choice:
        self.asked.append(board.board_fen())
        uci = self.script.get(board.board_fen(), next(iter(board.legal_moves)).uci())
        return Choice(chess.Move.from_uci(uci))

    def close(self) -> None:
        pass


def _after(puzzle: Puzzle, plies: int) -> str:
    board = chess.Board(puzzle.fen)
    for uci in puzzle.moves[:plies]:
        board.push_uci(uci)
    return board.board_fen()


def test_any_mating_move_solves_a_mate_in_one():
    position = _after(TWO_MATES, 1)
    other_mate = solve_puzzle(ScriptedPlayer({position: "b1b8"}), TWO_MATES)
    assert other_mate.first_move_correct and other_mate.solved
    no_mate = solve_puzzle(ScriptedPlayer({position: "a1a7"}), TWO_MATES)
    assert not no_mate.first_move_correct and not no_mate.solved
    assert no_mate.played == ["a1a7"]


def test_line_accuracy_needs_every_solver_move_and_skips_the_opponents():
    first, second = _after(ENDGAME, 1), _after(ENDGAME, 3)
    right = ScriptedPlayer({first: "f5e5", second: "e5e6"})
    result = solve_puzzle(right, ENDGAME)
    assert result.solved and result.played == ["f5e5", "e5e6"]
    assert right.asked == [first, second]  # asked for the solver's moves only
    half = solve_puzzle(ScriptedPlayer({first: "f5e5", second: "e5e4"}), ENDGAME)
    assert half.first_move_correct and not half.solved and half.played == ["f5e5", "e5e4"]


def test_score_puzzles_reports_overall_and_band_accuracies():
    player = ScriptedPlayer({_after(TWO_MATES, 1): "a1a8", _after(ENDGAME, 1): "f5e5",
                             _after(ENDGAME, 3): "f7f8"})
    report = score_puzzles(player, [TWO_MATES, ENDGAME])
    assert report["first_move_accuracy"] == 1.0 and report["line_accuracy"] == 0.5
    assert report["bands"]["800"]["line_accuracy"] == 1.0
    band = report["bands"]["1400"]
    assert band["range"] == [1400, 1599] and band["n"] == 1 and band["line_accuracy"] == 0.0


def test_read_puzzles_headerless_and_lichess_header_and_errors():
    plain = read_puzzles(io.StringIO(f"{ENDGAME.fen},{' '.join(ENDGAME.moves)},1440\n"))
    assert plain[0].solver_moves == ["f5e5", "e5e6"] and plain[0].rating == 1440
    header = "PuzzleId,FEN,Moves,Rating,Themes\n"
    lichess = read_puzzles(io.StringIO(header + f"abc12,{TWO_MATES.fen},g8h8 a1a8,900,mateIn1\n"))
    assert lichess[0].id == "abc12" and lichess[0].moves == ["g8h8", "a1a8"]
    with pytest.raises(PuzzleError, match=":2: bad puzzle"):
        read_puzzles(io.StringIO(f"{TWO_MATES.fen},g8h8 a1a8,900\n{TWO_MATES.fen},g8h8 a1a9,900\n"))


def test_stratified_subset_is_seeded_and_proportional(repo_data):
    pool = read_puzzles(repo_data / "puzzles" / "lichess_puzzles.csv")
    subset = stratified_subset(pool, 100, seed=3)
    assert len(subset) == 100 and subset == stratified_subset(pool, 100, seed=3)
    assert subset != stratified_subset(pool, 100, seed=4)
    low = sum(p.rating < 1500 for p in pool) / len(pool)
    assert abs(sum(p.rating < 1500 for p in subset) / 100 - low) < 0.06


def test_cli_puzzles_json_and_bad_input(tmp_path, repo_data):
    runner = CliRunner()
    out = tmp_path / "puzzles.json"
    result = runner.invoke(main, ["analyze", "puzzles", "--engine", "greedy", "--puzzles",
                                  str(repo_data / "puzzles" / "lichess_puzzles.csv"), "--limit", "6",
                                  "--json", "--json-out", str(out), "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"first_move_accuracy", "line_accuracy", "bands", "config"} <= data.keys()
    assert data["n"] == 6 and data["config"]["limit"] == 6
    assert json.loads(out.read_text())["analysis"] == "puzzles" and (tmp_path / "p.png").stat().st_size > 0
    missing = runner.invoke(main, ["analyze", "puzzles", "--engine", "greedy", "--puzzles", "nope.csv"])
    assert missing.exit_code == 2 and "nope.csv" in missing.output
    bad_spec = runner.invoke(main, ["analyze", "puzzles", "--engine", "nosuchkind", "--puzzles",
                                    str(repo_data / "puzzles" / "lichess_puzzles.csv")])
    assert bad_spec.exit_code == 2 and "nosuchkind" in bad_spec.output
