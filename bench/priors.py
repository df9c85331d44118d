"""What a search's priors are worth: the static evaluator's move features against a student's
policy, both scored against the dataset's independent reference search on its held-out games.

``netmcts`` replaces the static priors (a softmax over move features: captures, promotions,
checks, piece-square gain, pawn-attacked squares) with a student's policy. This says how the two
rank the reference's move: the share of positions where the prior's favourite is the reference's
move (top-1), the mean prior on it, and the cross-entropy (bits) against the reference's visit
shares; on every position, and split by the kind of move the reference plays (a capture or check,
or a quiet move), since a student that learned typical moves may still be blind to tactics.

    python bench/priors.py --data demo-out/data --student demo-out/students/small-b1024 [--positions 3000]

Writes ``bench/results/priors.json`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import chess
import numpy as np

from chessmesa.analysis.label_reader import load_labels
from chessmesa.core.layout import MAX_MOVES
from chessmesa.nn import load_network
from chessmesa.nn.planes import position_arrays
from chessmesa.search import SearchParams
from chessmesa.search.searcher import StaticBatchEvaluator


def static_priors(positions) -> list[np.ndarray]:
    """The static evaluator's priors over each position's legal moves (the searcher's defaults)."""
    legal = [position.legal_moves() for position in positions]
    moves = np.zeros((len(positions), MAX_MOVES), dtype=np.int64)
    for i, row in enumerate(legal):
        moves[i, :len(row)] = row
    _, priors = StaticBatchEvaluator(SearchParams())(*position_arrays(positions), moves,
                                                      np.array([len(row) for row in legal]))
    return [priors[i, :len(row)] for i, row in enumerate(legal)]


def scores(priors: list[np.ndarray], labelled, mask: np.ndarray) -> dict:
    """Top-1, mean prior on the reference's move and cross-entropy against its visit shares."""
    chosen = [(p, lp.reference) for p, lp, keep in zip(priors, labelled, mask) if keep]
    top1 = np.mean([np.argmax(p) == ref.best_index for p, ref in chosen])
    on_best = np.mean([p[ref.best_index] for p, ref in chosen])
    xent = np.mean([-(ref.policy * np.log2(np.maximum(p, 1e-12))).sum() for p, ref in chosen])
    return {"positions": len(chosen), "top1": float(top1), "prior_on_reference_move": float(on_best),
            "cross_entropy_bits": float(xent)}


def tactical(labelled) -> np.ndarray:
    """Whether the reference's move is a capture or gives check."""
    found = []
    for lp in labelled:
        board = chess.Board(lp.fen)
        move = chess.Move.from_uci(lp.reference.best_move)
        found.append(board.is_capture(move) or board.gives_check(move))
    return np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--student", required=True, help="a run folder or model file")
    parser.add_argument("--positions", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "priors.json"))
    args = parser.parse_args()
    labels = load_labels(args.data, limit=args.positions, seed=args.seed,
                         students=[f"policy:ckpt={args.student}"])
    labelled = [lp for lp in labels.positions if lp.reference is not None]
    positions = [lp.position() for lp in labelled]
    student, _ = load_network(args.student).policy_value(positions)
    sources = {"static move features": static_priors(positions), f"student {Path(args.student).name}": student}
    kinds = tactical(labelled)
    strata = {"all": np.ones(len(labelled), bool), "capture or check": kinds, "quiet": ~kinds}
    result = {name: {stratum: scores(priors, labelled, mask) for stratum, mask in strata.items()}
              for name, priors in sources.items()}
    report = {"data": args.data, "student": args.student, "reference": labels.reference_info(),
              "split": labels.split, "priors": result}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"{len(labelled)} held-out positions; against the independent reference's move")
    print("| priors | positions | top-1 | prior on the reference's move | cross-entropy (bits) |")
    print("|---|---|---|---|---|")
    for name, by_stratum in result.items():
        for stratum, s in by_stratum.items():
            print(f"| {name}, {stratum} | {s['positions']} | {s['top1']:.1%} | {s['prior_on_reference_move']:.3f} | "
                  f"{s['cross_entropy_bits']:.2f} |")


if __name__ == "__main__":
    main()
