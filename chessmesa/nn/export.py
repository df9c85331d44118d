"""A student for use outside PyTorch: ONNX export, checked against PyTorch with ONNX Runtime.

The exported graph maps input planes ``float32[batch, PLANES, 8, 8]`` (:mod:`chessmesa.nn.planes`:
encode a position with :func:`chessmesa.nn.encode_positions`) to ``policy`` logits
``[batch, POLICY_SIZE]`` (:mod:`chessmesa.nn.moves`: index a legal move with
:func:`chessmesa.nn.move_index`), ``value`` ``[batch]`` in [-1, 1] for the side to move, and, for
a student with the action-value head, ``action_values`` ``[batch, POLICY_SIZE]``. The batch size
is free. Needs the ``export`` extra (``pip install chessmesa[export]``: onnx, onnxscript,
onnxruntime).

>>> import tempfile
>>> from chessmesa.nn.checkpoint import MODEL_FILE, save_model
>>> from chessmesa.nn.models import MODEL_SIZES, build_model
>>> run = Path(tempfile.mkdtemp())
>>> save_model(run / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
>>> report = export_onnx(run, run / "tiny.onnx", check_positions=50)  # doctest: +SKIP
>>> report["argmax_equal"], report["positions"]  # doctest: +SKIP
(50, 50)
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from chessmesa.core.layout import PLY, SIDE
from chessmesa.nn.checkpoint import load_model
from chessmesa.nn.moves import move_indices
from chessmesa.nn.planes import PLANES, encode_positions

#: Largest difference allowed between ONNX Runtime's and PyTorch's values and logits (float32
#: arithmetic in another order): the check fails beyond it.
TOLERANCE = 1e-4
#: The random games the check draws positions from end after this many plies.
GAME_PLIES = 160


class _Outputs(nn.Module):
    """The model with its outputs as the graph names them (no None for a missing head)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, planes: torch.Tensor):
        logits, value, action_values = self.model(planes)
        return (logits, value) if action_values is None else (logits, value, action_values)


def output_names(has_action_values: bool) -> list[str]:
    return ["policy", "value", *(["action_values"] if has_action_values else [])]


def export_onnx(checkpoint: str | Path, path: str | Path, check_positions: int = 1000, seed: int = 0) -> dict:
    """Write the student of ``checkpoint`` (a run folder or model file) to ``path`` as ONNX, then
    run both on ``check_positions`` positions of seeded random games: ``{"path", "positions",
    "argmax_equal"`` (the policy's best legal move the same), ``"max_logit_diff",
    "max_value_diff"}``. ValueError for a missing checkpoint, RuntimeError when the two disagree
    beyond :data:`TOLERANCE`."""
    import onnxruntime

    model, config = load_model(checkpoint)
    wrapped = _Outputs(model.eval()).eval()
    names = output_names(config.action_values)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # the exporter's own chatter (operators it skips), not the user's business
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(wrapped, (torch.zeros(2, PLANES, 8, 8),), input_names=["planes"],
                                    output_names=names, dynamic_shapes={"planes": {0: torch.export.Dim("batch")}},
                                    dynamo=True, verbose=False)
    exporter_log.setLevel(level)
    program.save(str(path))
    positions = _random_positions(check_positions, seed)
    planes = encode_positions(positions)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits, values = session.run(names[:2], {"planes": planes})
    with torch.no_grad():
        reference_logits, reference_values, _ = model(torch.from_numpy(planes))
    equal = sum(int(np.argmax(logits[i, idx]) == np.argmax(reference_logits[i, idx].numpy()))
                for i, idx in enumerate(_legal_indices(positions)))
    report = {"path": str(path), "positions": len(positions), "argmax_equal": equal,
              "max_logit_diff": float(np.abs(logits - reference_logits.numpy()).max()),
              "max_value_diff": float(np.abs(values - reference_values.numpy()).max()), "tolerance": TOLERANCE}
    if max(report["max_logit_diff"], report["max_value_diff"]) > TOLERANCE:
        raise RuntimeError(f"ONNX Runtime and PyTorch disagree beyond {TOLERANCE}: {report}")
    return report


def _legal_indices(positions) -> list[np.ndarray]:
    """Each position's legal moves as policy indices."""
    found = []
    for position in positions:
        moves = position.legal_moves()
        found.append(move_indices(position.st[SIDE:SIDE + 1], moves[None], np.array([len(moves)]))[0])
    return found


def _random_positions(count: int, seed: int) -> list:
    """Positions along seeded random games, every one with a legal move."""
    import random

    from chessmesa.core import Position

    rng, found = random.Random(seed), []
    position = Position()
    while len(found) < count:
        moves = position.legal_moves()
        if len(moves) == 0 or position.st[PLY] >= GAME_PLIES:  # a game over, or long enough: a new one
            position = Position()
            continue
        found.append(position.copy())
        position.push(int(rng.choice(list(moves))))
    return found
