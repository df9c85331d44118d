"""``Network``: a student ready for inference, on positions or as the searcher's leaf evaluator.

>>> from chessmesa.core import Position
>>> from chessmesa.nn.models import MODEL_SIZES, build_model
>>> network = Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
>>> priors, values = network.policy_value([Position()])
>>> len(priors[0]), round(float(priors[0].sum()), 4), bool(-1 <= values[0] <= 1)
(20, 1.0, True)
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from chessmesa.core.position import Position
from chessmesa.core.layout import MAX_MOVES, SIDE
from chessmesa.nn.checkpoint import load_model
from chessmesa.nn.models import ModelConfig, build_model, forward_flops, parameter_count
from chessmesa.nn.moves import legal_softmax, move_indices
from chessmesa.nn.planes import encode_arrays, position_arrays

#: Positions per forward pass when a call brings more (bounds the memory of big analyses).
CHUNK = 1024


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` is CUDA when available, else the CPU; a device that is not there is a ValueError.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return resolved


def autocast(device: torch.device):
    """bf16 autocast on CUDA (tensor cores, no loss scaling needed); a no-op on the CPU, where
    bf16 matrix products are slower than float32 on most processors."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


class Network:
    """A model in evaluation mode on one device.

    It is a :class:`chessmesa.search.BatchEvaluator` (``network(leaf_bb, leaf_st, repetitions,
    moves, counts) -> (values, priors)``), so ``MCTS(evaluator=network, batch=32)`` searches with
    network leaves, and it answers the analysis' questions on lists of positions.
    """

    def __init__(self, model: nn.Module, config: ModelConfig, device: str | torch.device = "cpu"):
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        self.config = config

    @property
    def parameters(self) -> int:
        """Number of trainable parameters."""
        return parameter_count(self.model)

    @cached_property
    def flops_per_position(self) -> int:
        """Forward-pass FLOPs per position (``torch.utils.flop_counter``)."""
        return forward_flops(self.model)

    @property
    def has_action_values(self) -> bool:
        """Whether the model has an action-value (Q) head (trained with ``--q-weight``)."""
        return self.config.action_values

    def state(self) -> dict[str, np.ndarray]:
        """The model's weights and batch-norm statistics as numpy arrays, by parameter name."""
        return {name: tensor.detach().cpu().numpy() for name, tensor in self.model.state_dict().items()}

    def forward(self, planes: np.ndarray, taps: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Policy logits ``float32[B, POLICY_SIZE]``, values ``float32[B]`` and action values
        ``float32[B, POLICY_SIZE]`` (None without the head) of encoded planes."""
        with torch.inference_mode(), autocast(self.device):
            outputs = self.model(torch.from_numpy(planes).to(self.device), taps)
        return tuple(None if output is None else output.float().cpu().numpy() for output in outputs)

    def __call__(self, leaf_bb: np.ndarray, leaf_st: np.ndarray, repetitions: np.ndarray,
                 moves: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The batch bridge: values (side to move) and priors over each row's legal moves."""
        values, priors, _ = self._evaluate(leaf_bb, leaf_st, repetitions, moves, counts)
        return values, priors

    def _evaluate(self, leaf_bb: np.ndarray, leaf_st: np.ndarray, repetitions: np.ndarray,
                  moves: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Values, priors and action values (None without the head) over each row's legal moves
        (padded rows)."""
        values = np.empty(len(counts), dtype=np.float64)
        priors = np.empty(moves.shape, dtype=np.float64)
        action_values = np.zeros(moves.shape, dtype=np.float32) if self.has_action_values else None
        for start in range(0, len(counts), CHUNK):
            rows = slice(start, start + CHUNK)
            logits, values[rows], q = self.forward(
                encode_arrays(leaf_bb[rows], leaf_st[rows], repetitions[rows]))
            indices = move_indices(leaf_st[rows, SIDE], moves[rows], counts[rows])
            legal_softmax(logits, indices, counts[rows], priors[rows])
            if action_values is not None:
                action_values[rows] = np.take_along_axis(q, indices, axis=1)
        return values, priors, action_values

    def policy_value(self, positions: Sequence[Position]) -> tuple[list[np.ndarray], np.ndarray]:
        """For each position, the move probabilities aligned with ``position.legal_moves()``, and
        the values (side to move's view, in [-1, 1]) as one array.

        A position without legal moves gets an empty probability array (its value is still the
        network's opinion, not the game's result).
        """
        priors, values, _ = self.answers(positions)
        return priors, values

    def answers(self, positions: Sequence[Position]) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray] | None]:
        """:meth:`policy_value`'s answers and, aligned with each position's legal moves as well,
        the Q head's action values (side to move's view, in [-1, 1]; None without the head), from
        one forward pass.

        >>> from dataclasses import replace
        >>> from chessmesa.nn.models import MODEL_SIZES, build_model
        >>> config = replace(MODEL_SIZES["tiny"], action_values=True)
        >>> priors, values, action_values = Network(build_model(config), config).answers([Position()])
        >>> len(action_values[0]), bool(abs(action_values[0]).max() <= 1)
        (20, True)
        """
        legal = [position.legal_moves() for position in positions]
        moves = np.zeros((len(positions), MAX_MOVES), dtype=np.int64)
        counts = np.array([len(m) for m in legal], dtype=np.int64)
        for i, row in enumerate(legal):
            moves[i, : len(row)] = row
        values, priors, action_values = self._evaluate(*position_arrays(positions), moves, counts)
        return ([priors[i, :n].copy() for i, n in enumerate(counts)], values,
                None if action_values is None else [action_values[i, :n].copy() for i, n in enumerate(counts)])

    def activations(self, positions: Sequence[Position], pooled: bool = False) -> dict[str, np.ndarray]:
        """Each layer's output for the positions, ``{layer: float32[len(positions), features]}``,
        in network order (``stem``/``embed``, ``block1``..., ``policy_head``, ``value_head``).

        Board-shaped outputs are flattened (channels x 64 squares for the residual tower, 64
        squares x width for the transformer), or averaged over the squares with ``pooled=True``.

        >>> from chessmesa.nn.models import MODEL_SIZES, build_model
        >>> network = Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
        >>> {k: v.shape for k, v in network.activations([Position()], pooled=True).items()}["block2"]
        (1, 32)
        """
        chunks: dict[str, list[np.ndarray]] = {}
        planes = encode_arrays(*position_arrays(positions))
        for start in range(0, len(positions), CHUNK):
            taps: dict[str, torch.Tensor] = {}
            self.forward(planes[start:start + CHUNK], taps)
            for name, tensor in taps.items():
                chunks.setdefault(name, []).append(_features(tensor.float(), pooled))
        return {name: np.concatenate(parts) for name, parts in chunks.items()}


def _features(tensor: torch.Tensor, pooled: bool) -> np.ndarray:
    """[B, C, 8, 8] (squares last) or [B, 64, C] (squares first) or [B, C] as [B, features]."""
    if pooled and tensor.dim() == 4:
        tensor = tensor.mean(dim=(2, 3))
    elif pooled and tensor.dim() == 3:
        tensor = tensor.mean(dim=1)
    return tensor.flatten(1).cpu().numpy()


def load_network(path: str | Path, device: str = "cpu") -> Network:
    """The network of a run folder or a ``.safetensors`` model file.

    ValueError with a one-line message when the checkpoint is missing or corrupt.
    """
    model, config = load_model(path)
    return Network(model, config, device)


def random_init_like(network: Network, seed: int = 0) -> Network:
    """An untrained network of the same architecture (a control for probes), seeded; the global
    torch random state is left as it was.

    >>> from chessmesa.nn.models import MODEL_SIZES, build_model
    >>> trained = Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    >>> random_init_like(trained).parameters == trained.parameters
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(network.config)
    return Network(model, network.config, network.device)
