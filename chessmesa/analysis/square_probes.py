"""Square-wise probes: which square a layer's activations point at, after Jenner et al. (2024).

A linear probe over a whole layer (:mod:`chessmesa.analysis.probes`) must learn a separate read
for each of 64 target squares from a few thousand positions, and reads the move about to be played
no better than the raw board does. A square-wise probe scores every square from the activations
*at that square*, with one set of weights shared by all squares, and takes a softmax over the 64
scores: far fewer weights, and the question it asks is the one look-ahead poses ("does the
network mark this square?").

Jenner et al.'s probe is bilinear: the score of square ``s`` is ``(A x_s) . (B z)`` where ``x_s``
is the activation vector at ``s`` and ``z`` a context vector (there: the activations at the first
move's target square, to find the third move's). Here ``z`` holds the activations at a
*condition* square (zeros where there is none) and their mean over the board; a linear term
``u . x_s`` and a per-square bias complete the score. The probe is fitted by L-BFGS on the
cross-entropy with a fixed L2 penalty and scored by top-1 accuracy on held-out positions.

>>> rng = np.random.default_rng(0)
>>> features = rng.normal(size=(300, 64, 4)).astype(np.float32)
>>> marked = rng.integers(0, 64, 300)
>>> features[np.arange(300), marked, 2] += 5.0  # the target square is marked in channel 2
>>> train, test = np.arange(200), np.arange(200, 300)
>>> fit_square_probe(features, SquareTarget("marked", marked, np.full(300, -1)), train, test) > 0.8  # chance: 1/64
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


SQUARES = 64
RANK = 8  # the bilinear term's rank
OFFSETS = 15 * 15  # displacements between two squares: -7..7 ranks by -7..7 files
OFFSET_RANK = 16  # the displacement term's rank
PENALTY = 1e-3  # L2, on standardised features
LBFGS_STEPS = 60
ACTIVATION_BATCH = 256


@dataclass(frozen=True)
class SquareTarget:
    """A probe target: per position the square to find (``-1``: undefined, left out), the
    condition square whose activations the probe may use (``-1``: none) and, where the rules narrow
    the answer, the squares it may name (``bool[N, 64]``; None: any). A move's target square given
    the square it leaves is one of that piece's legal destinations: the probe chooses among those,
    as the network's policy does among legal moves."""

    name: str
    squares: np.ndarray
    condition: np.ndarray
    allowed: np.ndarray | None = None

    def allowed_squares(self) -> np.ndarray:
        return np.ones((len(self.squares), SQUARES), dtype=bool) if self.allowed is None else self.allowed


def per_square(tensor: torch.Tensor) -> torch.Tensor:
    """A square layer's output as ``[B, 64, C]``: ``[B, C, 8, 8]`` (squares last) is transposed,
    ``[B, 64, C]`` kept."""
    return tensor.flatten(2).transpose(1, 2) if tensor.dim() == 4 else tensor


def square_activations(model: nn.Module, planes: np.ndarray,
                       batch: int = ACTIVATION_BATCH) -> dict[str, np.ndarray]:
    """Every square layer's output for ``planes``: ``{layer: float32[N, 64, C]}``, in layer order
    (read with forward hooks on ``model.square_layers()``)."""
    layers = dict(model.square_layers())
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    handles = [layer.register_forward_hook(
        lambda module, inputs, output, name=name: chunks[name].append(per_square(output).float().numpy().copy()))
        for name, layer in layers.items()]
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(planes), batch):
                model(torch.from_numpy(planes[start:start + batch]))
    finally:
        for handle in handles:
            handle.remove()
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def planes_per_square(planes: np.ndarray) -> np.ndarray:
    """Input planes ``[N, PLANES, 8, 8]`` as ``[N, 64, PLANES]``: the raw board, square by square."""
    return planes.reshape(len(planes), planes.shape[1], SQUARES).transpose(0, 2, 1)


def square_offsets(condition: torch.Tensor) -> torch.Tensor:
    """``[N, 64]``: the index (0..224) of each square's displacement from the condition square,
    ``(rank difference + 7) * 15 + file difference + 7``; 0 where there is no condition.

    >>> square_offsets(torch.tensor([9]))[0, [9, 18, 0]].tolist()  # itself, one up-right, one down-left
    [112, 128, 96]
    """
    squares = torch.arange(SQUARES)
    ranks = squares[None, :] // 8 - condition.clamp(min=0)[:, None] // 8
    files = squares[None, :] % 8 - condition.clamp(min=0)[:, None] % 8
    return torch.where(condition[:, None] >= 0, (ranks + 7) * 15 + files + 7, 0)


@dataclass(frozen=True)
class ProbeInputs:
    """What a probe reads of each position, computed once per fit (none of it is learned):
    ``x`` the activations ``[N, 64, C]``, ``at_condition`` those at the condition square (zeros
    without one), ``context`` that and the mean over the squares ``[N, 2C]``, ``offsets`` each
    square's displacement from the condition square (:func:`square_offsets`) and ``allowed`` the
    squares the answer may be."""

    x: torch.Tensor
    at_condition: torch.Tensor
    context: torch.Tensor
    offsets: torch.Tensor
    allowed: torch.Tensor

    @classmethod
    def of(cls, x: torch.Tensor, condition: torch.Tensor, allowed: torch.Tensor) -> ProbeInputs:
        at_condition = x[torch.arange(len(x)), condition.clamp(min=0)] * (condition >= 0)[:, None]
        return cls(x, at_condition, torch.cat([at_condition, x.mean(1)], dim=1), square_offsets(condition), allowed)


class SquareProbe(nn.Module):
    """The score of square ``s`` in position ``n``::

        (x[n, s] A) . (z[n] B) / sqrt(k)   # what the square holds, against the context
        + E[d(s, c)] . (x[n, c] D)         # where, seen from the condition square c, it lies
        + x[n, s] . u + bias[s]

    with ``z[n]`` the activations at the condition square ``c`` (zeros without one) and their mean
    over the squares, and ``d(s, c)`` the displacement from ``c`` to ``s`` (:func:`square_offsets`).
    The displacement term is what a network whose policy reads a move at the square it leaves (a
    direction per channel, AlphaZero's move planes) needs to be read at all; controls get it too.
    Squares the answer may not be score -1e9.
    """

    def __init__(self, channels: int, rank: int = RANK):
        super().__init__()
        self.rank = rank
        # A and u in one matrix: one pass over the activations reads both
        self.au = nn.Parameter(torch.cat([torch.randn(channels, rank) / math.sqrt(channels),
                                          torch.zeros(channels, 1)], dim=1))
        self.b = nn.Parameter(torch.randn(2 * channels, rank) / math.sqrt(2 * channels))
        self.d = nn.Parameter(torch.randn(channels, OFFSET_RANK) / math.sqrt(channels))
        self.e = nn.Parameter(torch.zeros(OFFSETS, OFFSET_RANK))
        self.c = nn.Parameter(torch.zeros(SQUARES))

    def forward(self, inputs: ProbeInputs) -> torch.Tensor:
        read = inputs.x @ self.au
        bilinear = (read[..., :self.rank] * (inputs.context @ self.b)[:, None, :]).sum(-1) / math.sqrt(self.rank)
        displacement = (self.e[inputs.offsets] * (inputs.at_condition @ self.d)[:, None, :]).sum(-1)
        return (bilinear + displacement + read[..., self.rank] + self.c).masked_fill(~inputs.allowed, -1e9)

    def penalty(self) -> torch.Tensor:
        return sum(weights.square().sum() for weights in (self.au, self.b, self.d, self.e))


def _fit(inputs: ProbeInputs, y: torch.Tensor, seed: int) -> SquareProbe:
    torch.manual_seed(seed)
    probe = SquareProbe(inputs.x.shape[2])
    optimiser = torch.optim.LBFGS(probe.parameters(), max_iter=LBFGS_STEPS, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = F.cross_entropy(probe(inputs), y) + PENALTY * probe.penalty()
        value.backward()
        return value

    optimiser.step(loss)
    return probe


def fit_square_probe(features: np.ndarray, target: SquareTarget, train: np.ndarray, test: np.ndarray,
                     seed: int = 0) -> float:
    """Fit a square-wise probe on the ``train`` rows of ``features`` ``[N, 64, C]`` to find the
    ``target``'s squares and return its top-1 accuracy on the ``test`` rows (NaN when either side
    has no defined target). Features are standardised per channel on the training rows."""
    train, test = train[target.squares[train] >= 0], test[target.squares[test] >= 0]
    if len(train) < 8 or len(test) == 0:
        return math.nan
    mean = features[train].mean(axis=(0, 1))
    scale = features[train].std(axis=(0, 1)) + 1e-6
    x = torch.from_numpy(((features - mean) / scale).astype(np.float32))
    y, condition = torch.from_numpy(target.squares.astype(np.int64)), torch.from_numpy(target.condition.astype(np.int64))
    allowed = torch.from_numpy(target.allowed_squares())

    def inputs(rows: np.ndarray) -> ProbeInputs:
        return ProbeInputs.of(x[rows], condition[rows], allowed[rows])

    with torch.random.fork_rng(devices=[]):
        probe = _fit(inputs(train), y[train], seed)
    with torch.no_grad():
        return float((probe(inputs(test)).argmax(1) == y[test]).float().mean())


def prior_accuracy(target: SquareTarget, train: np.ndarray, test: np.ndarray) -> float:
    """What a probe without features scores: the allowed square most frequent in training.

    >>> target = SquareTarget("t", np.array([3, 3, 5, 3, 5]), np.full(5, -1))
    >>> prior_accuracy(target, np.arange(3), np.arange(3, 5))
    0.5
    """
    train, test = train[target.squares[train] >= 0], test[target.squares[test] >= 0]
    if len(train) == 0 or len(test) == 0:
        return math.nan
    frequency = np.bincount(target.squares[train], minlength=SQUARES).astype(float)
    guesses = np.where(target.allowed_squares()[test], frequency, -1.0).argmax(axis=1)
    return float(np.mean(guesses == target.squares[test]))


def probe_square_layers(activations: dict[str, np.ndarray], targets: Sequence[SquareTarget], train: np.ndarray,
                        test: np.ndarray, seed: int = 0,
                        progress: Callable[[int], None] = lambda n: None) -> dict[str, dict[str, float]]:
    """``{layer: {target: held-out accuracy}}`` for every layer and target."""
    scores: dict[str, dict[str, float]] = {}
    for layer, features in activations.items():
        scores[layer] = {}
        for target in targets:
            scores[layer][target.name] = fit_square_probe(features, target, train, test, seed)
            progress(1)
    return scores
