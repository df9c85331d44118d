"""A residual student's forward pass for one position, in numba: the fast move path.

At batch 1 a PyTorch call spends most of its time in the framework (dispatch, allocation, one
kernel launch per layer), not in arithmetic: a ``tiny`` student is 6 MFLOP, well under 100
microseconds of this CPU's floating-point rate. Here the whole pass is one compiled function:

- batch norm is folded into the convolution before it (inference only: running statistics);
- activations are channels-last on a board padded to 10x10, so that a 3x3 convolution is one
  matrix product of the 64 squares' 3x3 neighbourhoods (``im2col``) with the weights, which BLAS
  does near the machine's peak;
- the policy head's last 1x1 convolution is computed only at the legal moves' policy indices
  (about 30 of 4,672), and so is the action-value head's.

It computes what the PyTorch model computes, to float32 rounding (tested against it on positions
from real games). It needs no torch: the weights are numpy arrays. Residual models of any width and depth are supported, with global pooling and
the action-value head; :func:`supports` says which configs, and the transformer keeps PyTorch.

>>> import torch
>>> from chessmesa.core import Position
>>> from chessmesa.nn.models import MODEL_SIZES, build_model
>>> from chessmesa.nn.moves import move_indices
>>> from chessmesa.nn.planes import encode_positions
>>> model = build_model(MODEL_SIZES["tiny"]).eval()
>>> weights = fold_weights({name: tensor.numpy() for name, tensor in model.state_dict().items()}, MODEL_SIZES["tiny"])
>>> position = Position()
>>> legal = position.legal_moves()
>>> logits, value, _ = evaluate(position.bb, position.st, position.tables, legal, len(legal), weights, False)
>>> with torch.no_grad():
...     reference, reference_value, _ = model(torch.from_numpy(encode_positions([position])))
>>> indices = move_indices(np.zeros(1), legal[None], np.array([len(legal)]))[0]
>>> bool(np.allclose(logits, reference[0, indices].numpy(), atol=1e-4))
True
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chessmesa.core.layout import SIDE
from chessmesa.core.tables import get_tables
from chessmesa.nn.models import ModelConfig
from chessmesa.nn.moves import move_index
from chessmesa.nn.planes import PLANES, encode_batch
from chessmesa.search.bridge import LEAF_BB, LEAF_ST

#: The board with a one-square border of zeros, the padding of every 3x3 convolution.
PADDED = 10
#: ``torch.nn.BatchNorm2d``'s default epsilon, which every student uses.
BATCH_NORM_EPS = 1e-5


def supports(config: ModelConfig) -> bool:
    """Whether the fast path computes this architecture (residual towers; not the transformer).

    >>> from chessmesa.nn.models import MODEL_SIZES
    >>> supports(MODEL_SIZES["small"]), supports(MODEL_SIZES["transformer"])
    (True, False)
    """
    return config.arch == "resnet"


def limit_blas_threads(threads: int = 1) -> None:
    """Run the fast path's matrix products (BLAS) on ``threads`` threads, for the whole process.

    A move's products are small: a second thread brings nothing and, where players or workers
    already run one per core, costs milliseconds a move waiting for a busy core (measured: a
    ``small`` student's median move took 2-3 ms with OpenBLAS's default of a thread per core,
    and 200 ms at the 99th percentile).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads, user_api="blas")


def _folded(state: dict[str, np.ndarray], conv: str, norm: str) -> tuple[np.ndarray, np.ndarray]:
    """The convolution's weights and bias with the batch norm after it folded in (float64)."""
    scale = state[f"{norm}.weight"] / np.sqrt(state[f"{norm}.running_var"] + BATCH_NORM_EPS)
    bias = state[f"{norm}.bias"] - state[f"{norm}.running_mean"] * scale
    return state[f"{conv}.weight"] * scale[:, None, None, None], bias


def _im2col_weights(weights: np.ndarray) -> np.ndarray:
    """``[out, in, 3, 3]`` as the ``[9 * in, out]`` matrix the neighbourhood rows multiply:
    row ``(dy * 3 + dx) * in + c``."""
    return np.ascontiguousarray(weights.transpose(2, 3, 1, 0).reshape(-1, weights.shape[0]), dtype=np.float32)


def _pointwise(weights: np.ndarray) -> np.ndarray:
    """A 1x1 convolution's ``[out, in, 1, 1]`` as ``[out, in]``."""
    return np.ascontiguousarray(weights[:, :, 0, 0], dtype=np.float32)


def _vector(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


def fold_weights(state: dict[str, np.ndarray], config: ModelConfig) -> tuple:
    """The arrays :func:`evaluate` reads, from a residual model's state dict as numpy arrays
    (``{name: tensor.numpy()}``; batch norms by their running statistics, as in evaluation mode).
    ValueError for an architecture :func:`supports` refuses."""
    if not supports(config):
        raise ValueError(f"the fast path computes residual models only, not {config.arch!r}")
    state = {name: np.asarray(array, dtype=np.float64) for name, array in state.items()}
    depth, width = config.depth, config.width
    stem_w, stem_b = _folded(state, "stem.0", "stem.1")
    first = [_folded(state, f"blocks.{i}.conv1", f"blocks.{i}.bn1") for i in range(depth)]
    second = [_folded(state, f"blocks.{i}.conv2", f"blocks.{i}.bn2") for i in range(depth)]
    blocks = (np.stack([_im2col_weights(w) for w, _ in first]), np.stack([_vector(b) for _, b in first]),
              np.stack([_im2col_weights(w) for w, _ in second]), np.stack([_vector(b) for _, b in second]))
    if config.global_pool:
        pool = (np.stack([_vector(state[f"blocks.{i}.pool_bias.weight"]) for i in range(depth)]),
                np.stack([_vector(state[f"blocks.{i}.pool_bias.bias"]) for i in range(depth)]))
    else:  # no pooling: empty arrays keep one signature for both kinds of tower
        pool = (np.zeros((depth, 0, width), np.float32), np.zeros((depth, 0), np.float32))
    policy_w, policy_b = _folded(state, "policy_conv.0", "policy_conv.1")
    value_w, value_b = _folded(state, "value_conv.0", "value_conv.1")
    if config.action_values:
        q_head = (_pointwise(state["q_out.weight"]), _vector(state["q_out.bias"]))
    else:
        q_head = (np.zeros((0, width), np.float32), np.zeros(0, np.float32))
    return (_im2col_weights(stem_w), _vector(stem_b), *blocks, *pool,
            _pointwise(policy_w), _vector(policy_b), _pointwise(state["policy_out.weight"]),
            _vector(state["policy_out.bias"]), *q_head,
            _pointwise(value_w), _vector(value_b), _vector(state["value_hidden.weight"]),
            _vector(state["value_hidden.bias"]), _vector(state["value_out.weight"]), _vector(state["value_out.bias"]))


@njit(cache=True, fastmath=True, nogil=True)
def _conv3x3(inputs, weights, bias, out, columns, residual, add_residual):
    """``out = relu(conv3x3(inputs) + bias [+ residual])`` on padded channels-last boards; the
    border of ``out`` is left as it was (zero). ``columns`` is scratch ``[64, 9 * in]``."""
    channels = inputs.shape[2]
    for square in range(64):
        y, x = square >> 3, square & 7
        k = 0
        for dy in range(3):
            for dx in range(3):
                for c in range(channels):
                    columns[square, k] = inputs[y + dy, x + dx, c]
                    k += 1
    products = np.dot(columns, weights)
    for square in range(64):
        y, x = (square >> 3) + 1, (square & 7) + 1
        for c in range(weights.shape[1]):
            total = products[square, c] + bias[c]
            if add_residual:
                total += residual[y, x, c]
            out[y, x, c] = max(total, 0.0)


@njit(cache=True, fastmath=True, nogil=True)
def _add_pooled_bias(features, weights, bias):
    """Global pooling (KataGo's): add ``weights @ mean over squares + bias`` to every square."""
    width = features.shape[2]
    mean = np.zeros(width, np.float32)
    for y in range(1, 9):
        for x in range(1, 9):
            mean += features[y, x]
    mean /= 64.0
    added = weights @ mean + bias
    for y in range(1, 9):
        for x in range(1, 9):
            features[y, x] += added


@njit(cache=True, fastmath=True, nogil=True)
def _pointwise_relu(features, weights, bias):
    """A 1x1 convolution with ReLU over the 64 squares: ``float32[64, out]``."""
    inner = np.ascontiguousarray(features[1:9, 1:9]).reshape(64, features.shape[2])
    products = np.dot(inner, weights.T)
    for square in range(64):
        for c in range(weights.shape[0]):
            products[square, c] = max(products[square, c] + bias[c], 0.0)
    return products


@njit(cache=True, fastmath=True, nogil=True)
def _at_moves(features, weights, bias, indices, count):
    """A 1x1 convolution's output planes, read only at the policy ``indices[:count]``
    (``plane * 64 + square``)."""
    out = np.empty(count, np.float32)
    for i in range(count):
        plane, square = indices[i] // 64, indices[i] % 64
        out[i] = bias[plane] + np.dot(weights[plane], features[square])
    return out


@njit(cache=True, fastmath=True, nogil=True)
def evaluate(bb, st, t, moves, count, weights, want_action_values):
    """``(logits, value, action_values)`` of the position ``(bb, st)`` for its legal ``moves[:count]``:
    the policy logits of those moves, the value in [-1, 1] (side to move), and with
    ``want_action_values`` the action-value head's Q of each move (an empty array otherwise).
    ``weights`` are :func:`fold_weights`'s; ``t`` the attack tables."""
    (stem_w, stem_b, first_w, first_b, second_w, second_b, pool_w, pool_b, policy_w, policy_b,
     policy_out_w, policy_out_b, q_w, q_b, value_w, value_b, hidden_w, hidden_b, out_w, out_b) = weights
    width = stem_b.shape[0]
    planes = np.empty((1, PLANES, 8, 8), np.float32)
    encode_batch(bb[:LEAF_BB].reshape(1, LEAF_BB), st[:LEAF_ST].reshape(1, LEAF_ST), np.ones(1, np.int64), planes, t)
    board = np.zeros((PADDED, PADDED, PLANES), np.float32)
    for c in range(PLANES):
        for y in range(8):
            for x in range(8):
                board[y + 1, x + 1, c] = planes[0, c, y, x]
    x = np.zeros((PADDED, PADDED, width), np.float32)
    middle = np.zeros((PADDED, PADDED, width), np.float32)
    after = np.zeros((PADDED, PADDED, width), np.float32)
    _conv3x3(board, stem_w, stem_b, x, np.empty((64, 9 * PLANES), np.float32), x, False)
    columns = np.empty((64, 9 * width), np.float32)
    for block in range(first_w.shape[0]):
        _conv3x3(x, first_w[block], first_b[block], middle, columns, x, False)
        if pool_w.shape[1] > 0:
            _add_pooled_bias(middle, pool_w[block], pool_b[block])
        _conv3x3(middle, second_w[block], second_b[block], after, columns, x, True)
        x, after = after, x
    indices = np.empty(count, np.int64)
    side = st[SIDE]
    for i in range(count):
        indices[i] = move_index(moves[i], side)
    policy = _pointwise_relu(x, policy_w, policy_b)
    logits = _at_moves(policy, policy_out_w, policy_out_b, indices, count)
    if want_action_values:
        action_values = np.tanh(_at_moves(policy, q_w, q_b, indices, count))
    else:
        action_values = np.empty(0, np.float32)
    value_planes = _pointwise_relu(x, value_w, value_b)  # [64 squares, planes]; torch flattens planes first
    hidden = hidden_w @ np.ascontiguousarray(value_planes.T).reshape(-1) + hidden_b
    hidden = np.maximum(hidden, np.float32(0.0))
    value = np.tanh(out_b[0] + np.dot(out_w[0], hidden))
    return logits, value, action_values


@njit(cache=True, fastmath=True, nogil=True)
def evaluate_leaves(leaf_bb, leaf_st, moves, counts, weights, t, temperature, values, priors):
    """The batch bridge's answer for a batch of leaves (:mod:`chessmesa.search.bridge`), one
    :func:`evaluate` after the other: ``values[i]`` and ``priors[i, :counts[i]]``, the softmax of
    the policy logits over leaf ``i``'s legal moves at ``temperature`` (1: the network's own;
    above 1 flatter, as lc0's policy softmax temperature)."""
    for i in range(counts.shape[0]):
        count = counts[i]
        logits, value, _ = evaluate(leaf_bb[i], leaf_st[i], t, moves[i], count, weights, False)
        values[i] = value
        if count == 0:
            continue
        top = logits.max()
        total = 0.0
        for j in range(count):
            priors[i, j] = np.exp((logits[j] - top) / temperature)
            total += priors[i, j]
        for j in range(count):
            priors[i, j] /= total


class FastEvaluator:
    """A residual student as the searcher's leaf evaluator on the fast path (``netmcts`` on the
    CPU): a :class:`chessmesa.search.BatchEvaluator` whose batch costs its leaves' arithmetic and
    nothing more, so that a search needs no batch to amortise a framework call and can stop
    between any two leaves (a short clock).

    >>> from chessmesa.core import Position
    >>> from chessmesa.nn.models import MODEL_SIZES, build_model
    >>> from chessmesa.search import MCTS
    >>> state = {k: v.numpy() for k, v in build_model(MODEL_SIZES["tiny"]).state_dict().items()}
    >>> MCTS(evaluator=FastEvaluator(fold_weights(state, MODEL_SIZES["tiny"])), batch=1).search(Position(), sims=32).sims
    32
    """

    def __init__(self, weights: tuple, threads: int = 1, temperature: float = 1.0):
        if not temperature > 0:
            raise ValueError(f"prior temperature must be positive, got {temperature}")
        self.weights = weights
        self.tables = get_tables()
        self.temperature = temperature
        limit_blas_threads(threads)

    def __call__(self, leaf_bb: np.ndarray, leaf_st: np.ndarray, repetitions: np.ndarray,
                 moves: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(len(counts), dtype=np.float64)
        priors = np.zeros(moves.shape, dtype=np.float64)
        evaluate_leaves(leaf_bb, leaf_st, moves, counts, self.weights, self.tables, self.temperature, values, priors)
        return values, priors
