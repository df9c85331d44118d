"""The held-out split, by game: every position of a game is on the same side of it.

Positions of one game are highly correlated (about 87 a game in self-play), so a split by position
would put every validation game in training too. A game is named by its key, the ``source``
column's value and its ``game_id``; a stable hash of the key, mixed to a uniform number in
[0, 1), decides the side: below ``fraction`` it is held out. The rule depends on the key alone,
so it is the same for every training seed, every budget and every reader, and the held-out games
at a smaller fraction are a subset of those at a larger one.

A small dataset can draw no game below the fraction (six games at 10%: about half the time). Then
the dataset's fraction is raised to just above its smallest game value (:func:`dataset_fraction`),
once, when ``generate`` completes: that game alone is held out, the manifest records the raised
fraction, and every reader of the manifest's fraction, or of the ``split`` column, sees one split.

>>> held_out(["selfplay", "selfplay", "selfplay"], [3, 3, 4], 0.5).tolist()  # game 3: one side
[False, False, True]
>>> round(float(held_out(["pgn:a.pgn"] * 100_000, range(100_000), 0.1).mean()), 2)
0.1
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

#: The values of the dataset's ``split`` column.
TRAIN, VALIDATION = "train", "validation"
#: What ``--split`` may ask for: the held-out games, the training games, or every position.
SPLITS = (VALIDATION, TRAIN, "all")
#: Held-out share of the games by default.
DEFAULT_HOLDOUT = 0.1
#: How the rule is recorded in manifests, run configs and results.
RULE = ("game: crc32(source) << 32 ^ game_id, Fibonacci-mixed, below the fraction (raised to just "
        "above the smallest game's value where no game falls below it)")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads any 64-bit key evenly


def game_keys(sources: Iterable[str], game_ids: Iterable[int]) -> np.ndarray:
    """One ``uint64`` key per row: the CRC-32 of its source in the high half, the game id below.

    >>> game_keys(["a"], [5]).tolist() == [(zlib.crc32(b"a") << 32) ^ 5]
    True
    """
    crc = {}
    high = np.array([crc.setdefault(s, zlib.crc32(s.encode())) for s in sources], dtype=np.uint64)
    ids = np.asarray(list(game_ids), dtype=np.int64).astype(np.uint64)
    return (high << np.uint64(32)) ^ ids


def key_fraction(keys: np.ndarray) -> np.ndarray:
    """A game key mixed to a uniform number in [0, 1)."""
    mixed = np.asarray(keys, dtype=np.uint64) * _GOLDEN
    return (mixed >> np.uint64(11)).astype(np.float64) / 2.0**53


def held_out(sources: Iterable[str], game_ids: Iterable[int], fraction: float) -> np.ndarray:
    """True for the rows whose game is held out at ``fraction``."""
    return key_fraction(game_keys(sources, game_ids)) < fraction


def dataset_fraction(keys: np.ndarray, fraction: float) -> float:
    """The held-out fraction of a dataset whose games have ``keys``: ``fraction`` when it holds
    out a game, or cannot (it is 0, or there are fewer than two games); else raised to just above
    the smallest game value, so that exactly that game is held out.

    >>> keys = game_keys(["selfplay"] * 3, [0, 1, 2])
    >>> dataset_fraction(keys, 0.01) > 0.01, int((key_fraction(keys) < dataset_fraction(keys, 0.01)).sum())
    (True, 1)
    >>> dataset_fraction(keys, 0.9), dataset_fraction(keys[:1], 0.01), dataset_fraction(keys, 0.0)
    (0.9, 0.01, 0.0)
    """
    values = key_fraction(np.unique(keys))
    if fraction <= 0 or len(values) < 2 or (values < fraction).any():
        return fraction
    return float(np.nextafter(values.min(), 1.0))


def check_fraction(fraction: float) -> float:
    """``fraction`` if it is a share in [0, 1); ValueError naming it otherwise.

    >>> check_fraction(1.5)
    Traceback (most recent call last):
    ...
    ValueError: held-out fraction must be in [0, 1), got 1.5
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"held-out fraction must be in [0, 1), got {fraction}")
    return fraction
