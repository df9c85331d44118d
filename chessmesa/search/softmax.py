"""A numerically stable softmax in place, shared by the heuristic priors and the Gumbel policy."""

import math

from numba import njit


@njit(cache=True, inline="always")
def softmax_in_place(values, n):
    """Replace ``values[:n]`` (logits) by their softmax.

    >>> import numpy as np
    >>> values = np.array([0.0, np.log(3.0)])
    >>> softmax_in_place(values, 2); values.tolist()
    [0.25, 0.75]
    """
    top = -math.inf
    for i in range(n):
        top = max(top, values[i])
    total = 0.0
    for i in range(n):
        values[i] = math.exp(values[i] - top)
        total += values[i]
    for i in range(n):
        values[i] /= total
