"""Analysis results as JSON files: strict JSON out, and the results of a folder back in.

Every analysis returns a plain dict with an ``"analysis"`` key naming it (``"agreement"``,
``"puzzles"``, ...) and a ``"config"`` holding what produced it, so that :mod:`.report` can find and
render the results later. NaN and infinities become ``null``: strict JSON has neither.

>>> json_ready({"top1": np.float64(0.5), "kl": float("nan"), "bins": np.arange(2)})
{'top1': 0.5, 'kl': None, 'bins': [0, 1]}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

#: The ``analysis`` key of a ``chessmesa tournament --json`` output, which has none of its own.
TOURNAMENT = "tournament"


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made Python, NaN and infinities made ``None``."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_result(path: str | Path, result: dict) -> None:
    """Write ``result`` as indented strict JSON."""
    Path(path).write_text(json.dumps(json_ready(result), indent=2) + "\n", encoding="utf-8")


def analysis_kind(data: object) -> str | None:
    """Which analysis a loaded JSON document holds, or None when it is none of ours.

    >>> analysis_kind({"analysis": "puzzles"}), analysis_kind({"players": [], "anchor": "a"})
    ('puzzles', 'tournament')
    """
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("analysis"), str):
        return data["analysis"]
    return TOURNAMENT if {"players", "anchor"} <= data.keys() else None


def load_results(folder: str | Path) -> list[tuple[Path, dict]]:
    """Every analysis result among the ``*.json`` files under ``folder``, sorted by path.

    Files that are not JSON, or JSON that is not an analysis result, are skipped.
    """
    found = []
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if analysis_kind(data) is not None:
            found.append((path, data))
    return found
