"""Checkpoints: safetensors files whose metadata carries the model config (and training state).

Two kinds of file, both written atomically (a temporary name, then a rename), so a killed run
never leaves half a file behind:

- ``model.safetensors``: the weights, with the model config in the metadata; all inference needs,
  so a copied file stays usable on its own (``policy:ckpt=that/file.safetensors``);
- ``checkpoint.safetensors``: the weights (``model.*``), the AdamW state (``optimizer.*``) and the
  training state (step, samples, seconds) in one file, so that resuming always finds the three
  consistent.

A run folder holds both, beside ``config.json``, ``log.csv`` and ``metrics.json``
(:mod:`chessmesa.nn.train`).

>>> from chessmesa.nn.models import MODEL_SIZES, build_model
>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / MODEL_FILE
>>> save_model(path, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
>>> model, config = load_model(path)
>>> config.name
'tiny'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from chessmesa.nn.models import ModelConfig, build_model
from chessmesa.nn.planes import PLANES

MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
_CONFIG_KEY = "chessmesa.model"
_PLANES_KEY = "chessmesa.planes"
#: Checkpoints written before the planes were recorded read 21 (with the repetition plane).
_PLANES_BEFORE_THE_KEY = 21
_STATE_KEY = "chessmesa.train_state"
_GROUPS_KEY = "chessmesa.param_groups"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary path)`` and rename the result to ``path``."""
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def resolve_checkpoint(path: str | Path) -> Path:
    """The model file a run folder or file path names; ValueError when there is none.

    >>> resolve_checkpoint("no/such/run")
    Traceback (most recent call last):
    ...
    ValueError: checkpoint not found: no/such/run
    """
    path = Path(path)
    candidate = path / MODEL_FILE if path.is_dir() else path
    if not candidate.is_file():
        raise ValueError(f"checkpoint not found: {path}")
    return candidate


def _weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}


def _model_metadata(config: ModelConfig) -> dict[str, str]:
    """What a model file and a checkpoint both record: the model's config and its input planes."""
    return {_CONFIG_KEY: json.dumps(config.to_dict()), _PLANES_KEY: str(PLANES)}


def save_model(path: Path, model: nn.Module, config: ModelConfig) -> None:
    """Write the weights and the model config to ``path`` (a ``.safetensors`` file)."""
    metadata = _model_metadata(config)
    atomic_write(Path(path), lambda tmp: save_file(_weights(model), tmp, metadata=metadata))


def _read(path: Path, tensors: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (none unless ``tensors``) and the metadata of a safetensors file; ValueError
    when it is unreadable."""
    try:
        with safe_open(str(path), framework="pt", device="cpu") as file:
            return ({key: file.get_tensor(key) for key in file.keys()} if tensors else {}), file.metadata() or {}
    except (SafetensorError, OSError, RuntimeError) as error:
        raise ValueError(f"corrupt checkpoint {path}: {error}") from None


def read_checkpoint_metadata(path: Path) -> dict[str, str]:
    """The metadata of a checkpoint or model file, without its tensors; ValueError when it is
    unreadable (a quick check before any work)."""
    return _read(path, tensors=False)[1]


def _model_from(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]):
    if _CONFIG_KEY not in metadata:
        raise ValueError(f"corrupt checkpoint {path}: no chessmesa model config in its metadata")
    planes = int(metadata.get(_PLANES_KEY, _PLANES_BEFORE_THE_KEY))
    if planes != PLANES:
        raise ValueError(f"checkpoint {path} reads {planes} input planes, this chessmesa encodes {PLANES}: "
                         "train the student again")
    try:
        config = ModelConfig.from_dict(json.loads(metadata[_CONFIG_KEY]))
        model = build_model(config)
        model.load_state_dict(tensors)
    except (ValueError, RuntimeError, TypeError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise ValueError(f"corrupt checkpoint {path}: {first_line}") from None
    return model, config


def load_model(path: str | Path) -> tuple[nn.Module, ModelConfig]:
    """The model (on the CPU, in training mode) and its config from a model file or run folder."""
    path = resolve_checkpoint(path)
    tensors, metadata = _read(path)
    return _model_from(path, tensors, metadata)


def save_checkpoint(path: Path, model: nn.Module, config: ModelConfig,
                    optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Weights, optimizer state and the JSON-able training ``state`` in one file."""
    tensors = {f"model.{name}": tensor for name, tensor in _weights(model).items()}
    optimizer_state = optimizer.state_dict()
    for index, slots in optimizer_state["state"].items():
        for slot, tensor in slots.items():
            tensors[f"optimizer.{index}.{slot}"] = tensor.detach().cpu().contiguous()
    metadata = {
        **_model_metadata(config),
        _STATE_KEY: json.dumps(state),
        _GROUPS_KEY: json.dumps(optimizer_state["param_groups"]),
    }
    atomic_write(Path(path), lambda tmp: save_file(tensors, tmp, metadata=metadata))


def load_checkpoint(path: Path, optimizer_for: Callable[[nn.Module], torch.optim.Optimizer],
                    device: torch.device):
    """``(model, config, optimizer, state)`` from :func:`save_checkpoint`'s file: the model on
    ``device``, then the optimizer built by ``optimizer_for(model)`` and given the saved state."""
    tensors, metadata = _read(path)
    prefix = "model."
    model, config = _model_from(
        path, {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, metadata)
    optimizer = optimizer_for(model.to(device))
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        if key.startswith("optimizer."):
            _, index, slot = key.split(".", 2)
            slots.setdefault(int(index), {})[slot] = tensor
    try:
        optimizer.load_state_dict({"state": slots, "param_groups": json.loads(metadata[_GROUPS_KEY])})
        state = json.loads(metadata[_STATE_KEY])
    except (KeyError, ValueError) as error:
        raise ValueError(f"corrupt checkpoint {path}: {error}") from None
    return model, config, optimizer, state
