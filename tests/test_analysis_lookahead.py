"""Look-ahead puzzles, activation patching and square-wise probes.

The patching is checked on a planted network whose second layer copies the square below each
square forward, so that a twin changed one rank below the line's 3rd-move target shows its effect
at that target in that layer and nowhere else; a random network shows none.
"""

from __future__ import annotations

import json

import chess
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from chessmesa.analysis.lookahead_puzzles import (
    LINE_MOVES, LookaheadPuzzle, build_lookahead_set, candidate_corruptions, is_candidate, line_squares,
    plausible_corruptions, read_lookahead_set, solver_position, write_lookahead_set,
)
from chessmesa.analysis.patching import encode_puzzles, frame_square, patching_effects, summarise_patching
from chessmesa.analysis.puzzles import PuzzleError, read_puzzles
from chessmesa.cli import main
from chessmesa.nn.models import MODEL_SIZES, build_model
from chessmesa.nn.moves import POLICY_SIZE
from chessmesa.nn.planes import PLANES
from chessmesa.play.players import make_player

from conftest import DATA

PUZZLES = DATA / "puzzles" / "lichess_puzzles.csv"


@pytest.fixture(scope="module")
def candidates():
    """The shipped puzzles with a three-move line to three different squares."""
    return [puzzle for puzzle in read_puzzles(PUZZLES)[:400] if is_candidate(puzzle)]


def test_corruptions_are_one_small_legal_change_off_the_line(candidates):
    puzzle = candidates[0]
    board, line = solver_position(puzzle), puzzle.moves[1:]
    first = chess.Move.from_uci(line[0])
    seen = 0
    for description, changed in plausible_corruptions(board, line):
        differs = [s for s in chess.SQUARES if board.piece_at(s) != changed.piece_at(s)]
        assert 1 <= len(differs) <= 2, description
        assert not set(differs) & line_squares(board, line[:LINE_MOVES])
        assert changed.is_valid() and first in changed.legal_moves
        assert changed.attackers(chess.WHITE, first.to_square) == board.attackers(chess.WHITE, first.to_square)
        seen += 1
    assert 0 < seen < sum(1 for _ in candidate_corruptions(board))


def test_line_squares_include_the_castling_rook():
    board = chess.Board("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1")
    assert line_squares(board, ["e1g1"]) == {chess.E1, chess.G1, chess.H1, chess.F1}


def test_built_set_agrees_with_its_checker_and_round_trips(candidates, tmp_path):
    checker = make_player("mcts:sims=200")
    try:
        chosen, counts = build_lookahead_set(candidates[:12], checker)
    finally:
        checker.close()
    assert counts["puzzles"] == 12 and counts["three_move_lines"] == 12
    assert counts["with_twin"] == len(chosen) <= counts["checker_agrees"] <= 12
    assert chosen, "some of 12 puzzles should keep a twin"
    for puzzle in chosen:
        assert len(set(puzzle.target_squares())) == LINE_MOVES
        assert puzzle.changed_squares() and not set(puzzle.changed_squares()) & set(puzzle.target_squares())
    path = tmp_path / "set.csv"
    write_lookahead_set(path, chosen)
    assert read_lookahead_set(path) == chosen


@pytest.mark.parametrize("text, message", [
    ("FEN,Moves,Rating\n", "not a look-ahead puzzle set"),
    ("PuzzleId,FEN,Moves,Rating,CorruptedFEN,Corruption\n"
     f"a,{chess.STARTING_FEN},e2e4 e7e5 e1e3,900,{chess.STARTING_FEN},none\n", "illegal"),
    ("PuzzleId,FEN,Moves,Rating,CorruptedFEN,Corruption\n"
     f"a,{chess.STARTING_FEN},e2e4 e7e5,900,{chess.STARTING_FEN},none\n", "3 moves"),
])
def test_bad_sets_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PuzzleError, match=message):
        read_lookahead_set(path)


class PlantedCopy(nn.Module):
    """Layer ``occupancy``: 1 on every occupied square. Layer ``shifted``: each square holds the
    occupancy of the square one rank below it (in the side to move's frame). The logit of each move
    in ``watched`` is ``-gain`` times the sum of ``shifted``; every other logit is 0."""

    def __init__(self, watched: list[int], gain: float = 2.0):
        super().__init__()
        self.occupancy = nn.Conv2d(PLANES, 1, 1, bias=False)
        self.shifted = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        with torch.no_grad():
            self.occupancy.weight.zero_()
            self.occupancy.weight[0, :12] = 1.0  # planes 0..11: own and opposing pieces
            self.shifted.weight.zero_()
            self.shifted.weight[0, 0, 0, 1] = 1.0  # output row r reads input row r - 1
        self.watched = torch.tensor(sorted(set(watched)))
        self.gain = gain

    def square_layers(self) -> dict[str, nn.Module]:
        return {"occupancy": self.occupancy, "shifted": self.shifted}

    def forward(self, x: torch.Tensor, taps=None):
        total = self.shifted(self.occupancy(x)).sum((1, 2, 3))
        logits = torch.zeros(len(x), POLICY_SIZE)
        logits[:, self.watched] = -self.gain * total[:, None]
        return logits, torch.zeros(len(x)), None


def _twins_below_third_target(candidates) -> list[LookaheadPuzzle]:
    """Puzzles whose twin adds a pawn one rank below (in the mover's frame) the 3rd move's target."""
    puzzles = []
    for puzzle in candidates:
        board, line = solver_position(puzzle), puzzle.moves[1:]
        third = chess.Move.from_uci(line[2]).to_square
        below = frame_square(frame_square(third, board) - 8, board) if frame_square(third, board) >= 8 else None
        for description, changed in plausible_corruptions(board, line):
            if description.startswith("add") and description.endswith(chess.square_name(below or 0)) and below:
                puzzles.append(LookaheadPuzzle(puzzle.id, board.fen(), line, puzzle.rating, changed.fen(), description))
                break
    return puzzles


def test_planted_copy_shows_its_effect_at_that_square_and_layer_only(candidates):
    puzzles = _twins_below_third_target(candidates)[:10]
    assert len(puzzles) >= 6
    encoded = encode_puzzles(puzzles)
    model = PlantedCopy(list(encoded.solution))
    patching = patching_effects(model, encoded)
    assert patching.layers == ["occupancy", "shifted"]
    assert np.all(patching.total_drop >= 1.9)  # the twin's pawn costs 2 in log-odds, about
    rows = np.arange(len(puzzles))
    below = encoded.targets[:, 2] - 8
    # layer 0 carries it at the changed square only, layer 1 at the 3rd move's target only
    assert np.allclose(patching.effects[rows, 0, below], patching.total_drop, atol=0.2)
    assert np.allclose(patching.effects[rows, 1, encoded.targets[:, 2]], patching.total_drop, atol=0.2)
    others = np.ones_like(patching.effects, dtype=bool)
    others[rows, 0, below] = False
    others[rows, 1, encoded.targets[:, 2]] = False
    assert np.abs(patching.effects[others]).max() < 1e-4

    summary = summarise_patching(patching, encoded)
    assert summary["noticed"] == len(puzzles)
    third = summary["layers"]["shifted"]["move3"]["difference"]
    assert third["ci"][0] > 1.5
    for square in ("move1", "move2", "move1_from"):
        assert abs(summary["layers"]["shifted"][square]["difference"]["mean"]) < 1e-4
    assert abs(summary["layers"]["occupancy"]["move3"]["difference"]["mean"]) < 1e-4


class PlantedBlur(PlantedCopy):
    """Like :class:`PlantedCopy`, but ``shifted`` spreads each square's occupancy to its eight
    neighbours alike: every square near the twin's change carries it, the target no more than any."""

    def __init__(self, watched: list[int]):
        super().__init__(watched)
        with torch.no_grad():
            self.shifted.weight.fill_(1.0)


def test_a_target_near_the_change_is_compared_with_squares_as_near(candidates):
    puzzles = _twins_below_third_target(candidates)[:10]
    encoded = encode_puzzles(puzzles)
    patching = patching_effects(PlantedBlur(list(encoded.solution)), encoded)
    rows = np.arange(len(puzzles))
    assert np.all(patching.effects[rows, 1, encoded.targets[:, 2]] > 1.0)  # the target carries the change...
    difference = summarise_patching(patching, encoded)["layers"]["shifted"]["move3"]["difference"]
    assert abs(difference["mean"]) < 1e-4  # ...as much as every square as near it: no look-ahead


def test_random_network_shows_no_look_ahead(candidates):
    puzzles = _twins_below_third_target(candidates)[:10]
    encoded = encode_puzzles(puzzles)
    torch.manual_seed(0)
    model = build_model(MODEL_SIZES["tiny"])
    patching = patching_effects(model, encoded)
    summary = summarise_patching(patching, encoded, min_total_drop=-np.inf)
    for layer, entry in summary["layers"].items():
        low, high = entry["move3"]["difference"]["ci"]
        assert low <= 0.0 <= high or max(abs(low), abs(high)) < 0.05, layer


def test_lookahead_cli_writes_json_and_refuses_bad_input(candidates, tmp_path):
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    run = tmp_path / "tiny"
    run.mkdir()
    torch.manual_seed(0)
    save_model(run / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    puzzles = _twins_below_third_target(candidates)[:12]
    path = tmp_path / "set.csv"
    write_lookahead_set(path, puzzles)
    extra = tmp_path / "extra.csv"
    extra.write_text("".join(PUZZLES.read_text().splitlines(keepends=True)[:60]))
    runner = CliRunner()
    out = tmp_path / "lookahead.json"
    result = runner.invoke(main, ["analyze", "lookahead", "--run", str(run), "--puzzles", str(path),
                                  "--probe-puzzles", str(extra), "--json-out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    student = saved["students"][0]
    assert student["layers"] == ["stem", "block1", "block2", "policy_head"]
    assert set(student["probes"]["trained"]["block1"]) == {"own_move", "move1", "move2", "move3"}
    assert saved["puzzles"] == 12 and saved["config"]["min_drop"] == 1.0
    assert saved["probe_split"]["test"] == 3 and saved["probe_split"]["train"] > 9  # the extra lines train

    for args, message in ((["--run", str(tmp_path / "none")], "no such student"),
                          (["--run", str(run), "--puzzles", str(PUZZLES)], "not a look-ahead puzzle set")):
        bad = runner.invoke(main, ["analyze", "lookahead", *args])
        assert bad.exit_code == 2 and message in bad.output
