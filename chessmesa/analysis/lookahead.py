"""Look-ahead inside a student: square-wise probes and activation patching on look-ahead puzzles.

For each student and each of its square layers (:meth:`ResNet.square_layers`):

- **patching** (:mod:`chessmesa.analysis.patching`): the drop in the solution's log-odds when the
  layer's activations at the target square of the line's 1st, 2nd or 3rd move come from the
  corrupted twin, against the mean drop over the other squares as near the twin's change, on the
  puzzles whose twin the student notices;
- **probes** (:mod:`chessmesa.analysis.square_probes`): held-out accuracy of a square-wise probe
  for the target square of the student's own move (the control that shows the probe can read),
  and of the line's 1st, 2nd and 3rd moves, beside three controls: the same architecture with
  random weights, the raw input planes, and the most frequent square (no features). The probes
  train on a larger pool than the set (:func:`probe_positions`): a square-wise probe fitted on a
  thousand positions reads the student's own move no better than the raw board does.

Look-ahead, in the sense of Jenner et al. (2024), is a 3rd-move square that matters causally more
than other squares (patching) and that a probe finds above its controls.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import chess
import numpy as np
import torch

from chessmesa.analysis.answer import format_value
from chessmesa.analysis.lookahead_puzzles import LookaheadPuzzle, is_candidate, solver_position
from chessmesa.analysis.patching import (
    MIN_TOTAL_DROP, EncodedPuzzles, encode_puzzles, frame_square, patching_effects, policy_logits,
    summarise_patching,
)
from chessmesa.analysis.puzzles import Puzzle
from chessmesa.analysis.probes import split_positions
from chessmesa.analysis.square_probes import (
    SquareTarget, planes_per_square, prior_accuracy, probe_square_layers, square_activations,
)
from chessmesa.nn.moves import decode_index

TARGET_NAMES = ("own_move", "move1", "move2", "move3")
#: what a figure or table calls each patched square and probe target
LABELS = {"own_move": "own move's target", "move1": "1st move's target", "move2": "2nd move's target",
          "move3": "3rd move's target", "move1_from": "1st move's from-square"}


def own_moves(model: torch.nn.Module, puzzles: EncodedPuzzles) -> np.ndarray:
    """The policy index of each puzzle's legal move that ``model`` rates highest."""
    with torch.inference_mode():
        logits = policy_logits(model.eval(), puzzles.clean)
    return np.array([indices[np.argmax(row[indices])] for row, indices in zip(logits, puzzles.legal)])


def legal_destinations(fens: Sequence[str], origins: np.ndarray) -> np.ndarray:
    """``bool[N, 64]``: the frame squares the piece on frame square ``origins[n]`` can move to.

    >>> legal_destinations([chess.STARTING_FEN], np.array([chess.G1])).nonzero()[1].tolist()  # Nf3, Nh3
    [21, 23]
    """
    allowed = np.zeros((len(fens), 64), dtype=bool)
    for row, (fen, origin) in enumerate(zip(fens, origins)):
        board = chess.Board(fen)
        for move in board.legal_moves:
            if frame_square(move.from_square, board) == origin:
                allowed[row, frame_square(move.to_square, board)] = True
    return allowed


def square_targets(fens: Sequence[str], puzzles: EncodedPuzzles, own: np.ndarray) -> list[SquareTarget]:
    """The probe targets, in the side to move's frame: the target square of the student's own move
    and of the line's 1st move, each given the square it leaves (and chosen among that piece's
    legal destinations), and of the 2nd and 3rd moves, given the 1st move's target square (as
    Jenner et al. condition the 3rd move's probe)."""
    own_from = own % 64
    own_to = np.array([decode_index(index, 0)[1] for index in own])  # side 0: the frame itself
    first_to = puzzles.targets[:, 0]
    return [SquareTarget("own_move", own_to, own_from, legal_destinations(fens, own_from)),
            SquareTarget("move1", first_to, puzzles.first_from, legal_destinations(fens, puzzles.first_from)),
            SquareTarget("move2", puzzles.targets[:, 1], first_to),
            SquareTarget("move3", puzzles.targets[:, 2], first_to)]


def probe_layers(model: torch.nn.Module, control: torch.nn.Module, fens: Sequence[str], positions: EncodedPuzzles,
                 train: np.ndarray, test: np.ndarray, seed: int = 0,
                 progress: Callable[[int], None] = lambda n: None) -> dict:
    """The square-wise probes of every layer of ``model`` and of its untrained ``control``, of the
    input planes and without features, for the targets of :func:`square_targets`."""
    targets = square_targets(fens, positions, own_moves(model, positions))
    probes = {role: probe_square_layers(square_activations(network, positions.clean), targets, train, test, seed,
                                        progress)
              for role, network in (("trained", model), ("random", control))}
    probes["planes"] = probe_square_layers({"input": planes_per_square(positions.clean)}, targets, train, test,
                                           seed, progress)["input"]
    probes["prior"] = {target.name: prior_accuracy(target, train, test) for target in targets}
    return probes


def probe_fits(layers: int) -> int:
    """How many probes :func:`probe_layers` fits for a network of ``layers`` square layers."""
    return (2 * layers + 1) * len(TARGET_NAMES)


def probe_positions(puzzles: Sequence[LookaheadPuzzle], extra: Sequence[Puzzle], seed: int = 0,
                    test_share: float = 0.25) -> tuple[list[LookaheadPuzzle], np.ndarray, np.ndarray]:
    """The probes' positions and their train and test rows: a seeded ``test_share`` of the
    look-ahead set is held out; the rest of the set and every three-move-line puzzle of ``extra``
    (Lichess puzzles; no twin needed) whose position is not in the set train the probes. Each
    Lichess puzzle comes from its own game, so holding out puzzles holds out games."""
    train, test = split_positions(len(puzzles), seed, test_share)
    known = {puzzle.fen for puzzle in puzzles}
    added = []
    for puzzle in extra:
        if is_candidate(puzzle):
            board = solver_position(puzzle)
            if board.fen() not in known:
                known.add(board.fen())
                added.append(LookaheadPuzzle(puzzle.id, board.fen(), puzzle.moves[1:], puzzle.rating, board.fen(), ""))
    positions = [puzzles[row] for row in test] + [puzzles[row] for row in train] + added
    return positions, np.arange(len(test), len(positions)), np.arange(len(test))


def run_lookahead(students: Sequence[tuple[str, str | Path]], puzzles: Sequence[LookaheadPuzzle],
                  probe_set: Sequence[LookaheadPuzzle] | None = None, extra: Sequence[Puzzle] = (), seed: int = 0,
                  min_total_drop: float = MIN_TOTAL_DROP, progress: Callable[[int], None] = lambda n: None) -> dict:
    """For each ``(name, checkpoint)``: patching on every one of ``puzzles``, and the probes
    (:func:`probe_positions`) on ``probe_set`` (a whole look-ahead set, of which ``puzzles`` may be
    a sample; default: ``puzzles``) and ``extra``. A checkpoint that is a training snapshot
    (``RUN/snapshots/step-N.safetensors``) carries its ``step``. ``progress`` advances by one per
    puzzle patched and one per probe fitted."""
    from chessmesa.analysis.frontier import read_run
    from chessmesa.nn import load_network, random_init_like
    from chessmesa.nn.train import snapshot_step

    encoded = encode_puzzles(puzzles)
    positions, train, test = probe_positions(puzzles if probe_set is None else probe_set, extra, seed)
    fens = [position.fen for position in positions]
    encoded_positions = encode_puzzles(positions)
    results = []
    for name, checkpoint in students:
        network = load_network(checkpoint)
        step = snapshot_step(checkpoint)
        folder = Path(checkpoint) if Path(checkpoint).is_dir() else Path(checkpoint).parents[0 if step is None else 1]
        run = read_run(folder, folder)
        patching = patching_effects(network.model, encoded, progress)
        results.append({
            "name": name, "checkpoint": str(checkpoint), "teacher_budget": run.teacher_budget if run else None,
            "step": step,
            "layers": patching.layers,
            "solves": float(np.mean(own_moves(network.model, encoded) == encoded.solution)),
            "patching": summarise_patching(patching, encoded, seed, min_total_drop),
            "probes": probe_layers(network.model, random_init_like(network, seed).model, fens, encoded_positions,
                                   train, test, seed, progress),
        })
    return {"analysis": "lookahead", "puzzles": len(encoded), "probe_split": {"train": len(train), "test": len(test)},
            "seed": seed, "students": results}


def lookahead_verdict(student: dict, square: str = "move3") -> dict:
    """The headline of one student's look-ahead result: the layer where patching ``square`` (the
    3rd move's target square by default) lowers the solution's log-odds most beyond the other
    squares as near the twin's change, that difference with its interval (simultaneous over the
    layers: :func:`chessmesa.analysis.patching.summarise_patching`), whether the interval lies
    above 0 (``found``), and the probes' best layer for that target beside the best of each
    control.

    >>> entry = lambda mean, low: {"difference": {"mean": mean, "ci": [low, mean + 1]}}
    >>> student = {"patching": {"noticed": 40, "layers": {"block1": {"move3": entry(0.1, -0.2)},
    ...                                                   "block2": {"move3": entry(0.5, 0.2)}}},
    ...            "probes": {"trained": {"block1": {"move3": 0.3}, "block2": {"move3": 0.4}},
    ...                       "random": {"block1": {"move3": 0.2}, "block2": {"move3": 0.1}},
    ...                       "planes": {"move3": 0.25}, "prior": {"move3": 0.05}}}
    >>> verdict = lookahead_verdict(student)
    >>> verdict["layer"], verdict["found"], verdict["probe"]["trained"], verdict["probe"]["random"]
    ('block2', True, 0.4, 0.2)
    """
    layers = student["patching"]["layers"]
    measured = {layer: entry[square]["difference"] for layer, entry in layers.items()
                if entry[square]["difference"]["mean"] is not None}
    probes = student["probes"]
    probe = {"trained": _best(probes["trained"], square), "random": _best(probes["random"], square),
             "planes": probes["planes"][square], "prior": probes["prior"][square]}
    if not measured:
        return {"square": square, "layer": None, "difference": None, "ci": None, "found": False,
                "noticed": student["patching"]["noticed"], "probe": probe}
    layer = max(measured, key=lambda name: measured[name]["mean"])
    low = measured[layer]["ci"][0]
    return {"square": square, "layer": layer, "difference": measured[layer]["mean"], "ci": measured[layer]["ci"],
            "found": low is not None and low > 0, "noticed": student["patching"]["noticed"], "probe": probe}


def _best(scores: dict[str, dict[str, float]], target: str) -> float | None:
    values = [by_target[target] for by_target in scores.values()
              if by_target[target] is not None and math.isfinite(by_target[target])]
    return max(values) if values else None


def lookahead_sentence(name: str, verdict: dict) -> str:
    """One sentence of :func:`lookahead_verdict`'s figures, for the report's answer.

    >>> verdict = {"square": "move3", "layer": "block2", "difference": 0.05, "ci": [-0.01, 0.11], "found": False,
    ...            "noticed": 80, "probe": {"trained": 0.3, "random": 0.2, "planes": 0.25, "prior": 0.05}}
    >>> sentence = lookahead_sentence("small-b64", verdict)
    >>> sentence.split(":")[0], "+0.05 [-0.01, +0.11]" in sentence, "no look-ahead found" in sentence
    ('Look-ahead in small-b64', True, True)
    """
    probe = verdict["probe"]
    share = {role: format_value(probe[role], "{:.0%}") for role in ("trained", "random", "planes")}
    read = (f"a square-wise probe finds that square on {share['trained']} of held-out puzzles "
            f"(random init {share['random']}, input planes {share['planes']})")
    if verdict["layer"] is None:
        return (f"Look-ahead in {name}: no puzzle's twin lowered its log-odds of the solution enough to "
                f"patch; {read}.")
    effect = f"{verdict['difference']:+.2f} [{verdict['ci'][0]:+.2f}, {verdict['ci'][1]:+.2f}]"
    finding = ("above them: a trace of look-ahead" if verdict["found"]
               else "no more than patching them: no look-ahead found")
    return (f"Look-ahead in {name}: patching the target square of the 3rd move of a puzzle line (its "
            f"strongest layer, {verdict['layer']}, on the {verdict['noticed']} puzzles whose twin it notices) "
            f"changes the solution's log-odds by {effect} beyond the squares as near the twin's change, {finding}; "
            f"{read}.")
