"""The student networks: a residual policy+value family in named sizes, and a small transformer.

Every model maps planes ``float32[B, PLANES, 8, 8]`` (:mod:`chessmesa.nn.planes`) to policy
logits ``[B, POLICY_SIZE]`` (:mod:`chessmesa.nn.moves`), a value ``[B]`` in [-1, 1] for the side
to move, and, in a model built with ``action_values=True``, action values ``[B, POLICY_SIZE]`` in
[-1, 1]: each move's Q for the side to move, in the policy's move order (searchless chess's
action-value head; training adds it when asked to fit the searcher's per-move Q); None without
that head. ``forward(x, taps)`` also records each layer's output in ``taps`` when given a dict
(the activations that linear probes read).

>>> model = build_model(MODEL_SIZES["tiny"])
>>> logits, value, action_values = model(torch.zeros(2, PLANES, 8, 8))
>>> tuple(logits.shape), tuple(value.shape), action_values
((2, 4672), (2,), None)
>>> with_q = build_model(replace(MODEL_SIZES["tiny"], action_values=True))
>>> tuple(with_q(torch.zeros(2, PLANES, 8, 8))[2].shape)
(2, 4672)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from chessmesa.nn.moves import POLICY_PLANES, POLICY_SIZE
from chessmesa.nn.planes import PLANES

VALUE_PLANES = 8  # channels the residual value head squeezes the board into


@dataclass(frozen=True)
class ModelConfig:
    """An architecture: ``arch`` is ``resnet`` or ``transformer``; ``width`` is the channels of
    the residual tower or the transformer's model dimension; ``depth`` counts residual blocks or
    transformer layers."""

    name: str
    arch: str
    width: int
    depth: int
    heads: int = 0
    value_hidden: int = 64
    global_pool: bool = False  # residual blocks add a bias from the whole board's mean (KataGo's global pooling)
    action_values: bool = False  # an action-value (Q) head beside the policy

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """The config stored by :meth:`to_dict`; ValueError naming an unknown or missing field."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown model config field(s) {', '.join(sorted(unknown))}")
        try:
            config = cls(**data)
        except TypeError as error:
            raise ValueError(f"bad model config: {error}") from None
        if config.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {config.arch!r}; known: {', '.join(ARCHITECTURES)}")
        return config


#: The named sizes ``--model`` accepts. ``tiny`` trains in minutes on two CPU cores.
MODEL_SIZES: dict[str, ModelConfig] = {
    "tiny": ModelConfig("tiny", "resnet", width=32, depth=2, value_hidden=32),
    "tiny-global": ModelConfig("tiny-global", "resnet", width=32, depth=2, value_hidden=32, global_pool=True),
    "small": ModelConfig("small", "resnet", width=64, depth=4, value_hidden=64),
    "medium": ModelConfig("medium", "resnet", width=128, depth=8, value_hidden=128),
    "transformer": ModelConfig("transformer", "transformer", width=64, depth=4, heads=4,
                               value_hidden=64),
}


def model_config(size: str) -> ModelConfig:
    """The config of a named size; ValueError listing the sizes when unknown.

    >>> model_config("small").width
    64
    """
    try:
        return MODEL_SIZES[size]
    except KeyError:
        raise ValueError(f"unknown model size {size!r}; known: {', '.join(MODEL_SIZES)}") from None


def _record(taps: dict | None, name: str, x: torch.Tensor) -> torch.Tensor:
    if taps is not None:
        taps[name] = x
    return x


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions and a skip. With ``global_pool`` the middle features also get a
    per-channel bias computed from their mean over the 64 squares, so that a few blocks see the
    whole board (a stack of 3x3 convolutions sees only 2 squares further per block)."""

    def __init__(self, width: int, global_pool: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.pool_bias = nn.Linear(width, width) if global_pool else None
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        if self.pool_bias is not None:
            y = y + self.pool_bias(y.mean((2, 3)))[:, :, None, None]
        return F.relu(x + self.bn2(self.conv2(y)))


def _conv_bn(inputs: int, outputs: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(outputs), nn.ReLU())


class ResNet(nn.Module):
    """AlphaZero's shape: a convolutional stem, residual blocks, a 1x1-convolution policy head
    that emits the 73 move planes directly, and a small dense value head."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        width = config.width
        self.stem = _conv_bn(PLANES, width, 3)
        self.blocks = nn.ModuleList(ResidualBlock(width, config.global_pool) for _ in range(config.depth))
        self.policy_conv = _conv_bn(width, width, 1)
        self.policy_out = nn.Conv2d(width, POLICY_PLANES, 1)
        self.value_conv = _conv_bn(width, VALUE_PLANES, 1)
        self.value_hidden = nn.Linear(VALUE_PLANES * 64, config.value_hidden)
        self.value_out = nn.Linear(config.value_hidden, 1)
        # built last, so that a model without it draws the same initial weights as before it existed
        self.q_out = nn.Conv2d(width, POLICY_PLANES, 1) if config.action_values else None

    def square_layers(self) -> dict[str, nn.Module]:
        """The modules whose outputs hold a vector per square (``[B, C, 8, 8]``), in order, by the
        names ``forward``'s taps use: what activation patching replaces square by square."""
        return {"stem": self.stem, **{f"block{i + 1}": block for i, block in enumerate(self.blocks)},
                "policy_head": self.policy_conv}

    def forward(self, x: torch.Tensor, taps: dict | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        x = _record(taps, "stem", self.stem(x))
        for i, block in enumerate(self.blocks):
            x = _record(taps, f"block{i + 1}", block(x))
        policy = _record(taps, "policy_head", self.policy_conv(x))
        logits = self.policy_out(policy).flatten(1)
        action_values = None if self.q_out is None else torch.tanh(self.q_out(policy).flatten(1))
        value = _record(taps, "value_head", F.relu(self.value_hidden(self.value_conv(x).flatten(1))))
        return logits, torch.tanh(self.value_out(value)).squeeze(1), action_values


class TransformerBlock(nn.Module):
    """Pre-norm self-attention over the 64 squares, then an MLP."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, tokens, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, tokens, width)
        x = x + self.proj(attended)
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """One token per square (its plane values, embedded, plus a learned square embedding); the
    policy is 73 logits per from-square token, the value a pooled MLP."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        width = config.width
        self.embed = nn.Linear(PLANES, width)
        self.square = nn.Parameter(0.02 * torch.randn(64, width))
        self.blocks = nn.ModuleList(TransformerBlock(width, config.heads) for _ in range(config.depth))
        self.norm = nn.LayerNorm(width)
        self.policy_out = nn.Linear(width, POLICY_PLANES)
        self.value_hidden = nn.Linear(width, config.value_hidden)
        self.value_out = nn.Linear(config.value_hidden, 1)
        self.q_out = nn.Linear(width, POLICY_PLANES) if config.action_values else None

    def square_layers(self) -> dict[str, nn.Module]:
        """The blocks, whose outputs hold a vector per square (``[B, 64, C]``), in order."""
        return {f"block{i + 1}": block for i, block in enumerate(self.blocks)}

    def forward(self, x: torch.Tensor, taps: dict | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        x = _record(taps, "embed", self.embed(x.flatten(2).transpose(1, 2)) + self.square)
        for i, block in enumerate(self.blocks):
            x = _record(taps, f"block{i + 1}", block(x))
        x = self.norm(x)

        def per_move(head: nn.Linear) -> torch.Tensor:  # [B, 64 squares, 73 planes] -> the policy index order
            return head(x).transpose(1, 2).reshape(x.shape[0], POLICY_SIZE)

        value = _record(taps, "value_head", F.relu(self.value_hidden(x.mean(1))))
        action_values = None if self.q_out is None else torch.tanh(per_move(self.q_out))
        return per_move(self.policy_out), torch.tanh(self.value_out(value)).squeeze(1), action_values


ARCHITECTURES: dict[str, type[nn.Module]] = {"resnet": ResNet, "transformer": Transformer}


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised model (seed torch first for a reproducible one)."""
    return ARCHITECTURES[config.arch](config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def forward_flops(model: nn.Module) -> int:
    """Floating-point operations of one position's forward pass, as ``torch.utils.flop_counter``
    counts them (2 per multiply-add, in matrix products, convolutions and attention).

    >>> forward_flops(build_model(MODEL_SIZES["tiny"])) > 1_000_000
    True
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, PLANES, 8, 8, device=device))
    model.train(was_training)
    return int(counter.get_total_flops())
