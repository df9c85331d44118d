"""Distilled students: encodings, models, training, checkpoints and inference (the only place
chessmesa imports torch).

The stable inference API, for the analysis and the engine kinds ``policy`` and ``netmcts``:

- :func:`load_network` ``(path_or_run_dir, device="cpu") -> Network``: a run folder (its
  ``model.safetensors``) or a ``.safetensors`` model file; ValueError on a missing or corrupt one.
- :meth:`Network.policy_value` ``(positions) -> (list[np.ndarray], np.ndarray)``: per position the
  move probabilities aligned with ``position.legal_moves()``, and the values (side to move's view,
  in [-1, 1]).
- :meth:`Network.activations` ``(positions, pooled=False) -> {layer: float32[N, features]}``: every
  layer's output, flattened or averaged over the squares, for linear probes.
- :func:`random_init_like` ``(network, seed=0) -> Network``: the same architecture, untrained.
- A ``Network`` is also the searcher's batch evaluator: ``MCTS(evaluator=network, batch=32)``.
- Which games a run held out is recorded in its ``config.json`` (``split``) and decided by
  :mod:`chessmesa.datasets.split`, so that an analysis stays on games the student never saw.

>>> from chessmesa.core import Position
>>> network = Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])  # or load_network(run)
>>> probabilities, values = network.policy_value([Position()])
>>> len(probabilities[0]), values.shape
(20, (1,))

Training lives in :mod:`chessmesa.nn.train` (``chessmesa train`` and ``chessmesa sweep``).
"""

from chessmesa.nn.models import MODEL_SIZES, ModelConfig, build_model, forward_flops, model_config
from chessmesa.nn.moves import POLICY_SIZE, decode_index, index_to_move, move_index
from chessmesa.nn.network import Network, load_network, random_init_like
from chessmesa.nn.planes import PLANES, encode_positions

__all__ = [
    "MODEL_SIZES", "ModelConfig", "build_model", "forward_flops", "model_config", "POLICY_SIZE",
    "decode_index", "index_to_move", "move_index", "Network", "load_network", "random_init_like",
    "PLANES", "encode_positions",
]
