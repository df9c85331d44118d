"""Search parameters: one dataclass for Python, one float64 array for numba.

PUCT follows lc0: ``U = cpuct(N) * P * sqrt(N) / (1 + n)`` with
``cpuct(N) = cpuct + cpuct_factor * ln((N + cpuct_base) / cpuct_base)``, unvisited moves valued at
the parent's Q minus ``fpu_reduction * sqrt(sum of visited priors)`` (first-play urgency).
Gumbel root selection follows Danihelka et al. (2022): Gumbel-top-k over ``gumbel_m`` moves,
Sequential Halving, and ``sigma(q) = (c_visit + max N) * c_scale * q``.

>>> float(SearchParams(cpuct=2.0).as_array()[CPUCT])
2.0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

CPUCT, CPUCT_BASE, CPUCT_FACTOR, FPU_REDUCTION, FPU_REDUCTION_ROOT = 0, 1, 2, 3, 4
POLICY_TEMPERATURE, GUMBEL, C_VISIT, C_SCALE, TWOFOLD_DRAW = 5, 6, 7, 8, 9
N_PARAMS = 10


#: ``(parameter, lower bound, whether the bound itself is excluded)``; fpu reductions may be
#: any finite number, and ``seed`` seeds numpy generators, which take no negative seed.
_LOWER_BOUNDS = (
    ("cpuct", 0, False), ("cpuct_base", 0, True), ("cpuct_factor", 0, False),
    ("policy_temperature", 0, True), ("dirichlet_alpha", 0, True), ("dirichlet_epsilon", 0, False),
    ("gumbel_m", 1, False), ("c_visit", 0, False), ("c_scale", 0, False), ("seed", 0, False),
)


@dataclass
class SearchParams:
    """Everything that shapes a search, except its budget."""

    cpuct: float = 5.0  # high: the heuristic priors are weak, exploration pays (WAC sweep)
    cpuct_base: float = 19652.0
    cpuct_factor: float = 2.0
    fpu_reduction: float = 0.3
    fpu_reduction_root: float = 0.0
    policy_temperature: float = 3.0  # softmax temperature of the heuristic priors
    dirichlet_alpha: float = 0.3
    dirichlet_epsilon: float = 0.0  # root noise: off by default
    gumbel: bool = False
    gumbel_m: int = 16  # moves considered at the root by Gumbel-top-k
    c_visit: float = 50.0
    c_scale: float = 1.0
    twofold_draw: bool = True  # a repetition inside the tree counts as a draw, as in lc0
    seed: int = 0

    def __post_init__(self) -> None:
        """Refuse values the search cannot use: each number finite, and within its range.

        >>> SearchParams(policy_temperature=0.0)
        Traceback (most recent call last):
        ...
        ValueError: search parameter policy_temperature=0.0 out of range: must be above 0
        """
        for name, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"search parameter {name}={value} is not a finite number")
        for name, low, strict in _LOWER_BOUNDS:
            value = getattr(self, name)
            if value < low or (strict and value == low):
                bound = f"above {low}" if strict else f"at least {low}"
                raise ValueError(f"search parameter {name}={value} out of range: must be {bound}")
        if self.dirichlet_epsilon > 1:
            raise ValueError(f"search parameter dirichlet_epsilon={self.dirichlet_epsilon} out of "
                             "range: must be at most 1")

    def as_array(self) -> np.ndarray:
        array = np.zeros(N_PARAMS, dtype=np.float64)
        array[CPUCT] = self.cpuct
        array[CPUCT_BASE] = self.cpuct_base
        array[CPUCT_FACTOR] = self.cpuct_factor
        array[FPU_REDUCTION] = self.fpu_reduction
        array[FPU_REDUCTION_ROOT] = self.fpu_reduction_root
        array[POLICY_TEMPERATURE] = self.policy_temperature
        array[GUMBEL] = float(self.gumbel)
        array[C_VISIT] = self.c_visit
        array[C_SCALE] = self.c_scale
        array[TWOFOLD_DRAW] = float(self.twofold_draw)
        return array

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_types(cls) -> dict[str, type]:
        """Each parameter's name and type (engine specs and UCI options are built from this)."""
        return {f.name: type(f.default) for f in fields(cls)}
