"""Child selection: PUCT everywhere, and Gumbel scores for the root (Sequential Halving).

Virtual visits (``in_flight``) of leaves waiting for a batched evaluation count as losses, so that
one batch spreads over different leaves; with one leaf at a time they are always zero.
"""

import math

import numpy as np
from numba import njit

from chessmesa.search.params import (
    C_SCALE, C_VISIT, CPUCT, CPUCT_BASE, CPUCT_FACTOR, FPU_REDUCTION, FPU_REDUCTION_ROOT,
)
from chessmesa.search.softmax import softmax_in_place
from chessmesa.search.tree import LOSS, ROOT, UNKNOWN, WIN, proven_value

NEG_INF = -1e30


@njit(cache=True, inline="always")
def child_q(nodes, child):
    """Q of the move into ``child`` from the mover's view; exact once the child is solved."""
    if nodes.proven[child] != UNKNOWN:
        return -proven_value(nodes.proven[child])
    return nodes.value_sum[child] / nodes.visits[child]


@njit(cache=True, inline="always")
def select_puct(nodes, node, params):
    """The child maximising Q + U (lc0's PUCT). A move to a lost opponent is taken at once; moves
    into a proven loss are avoided unless nothing else is left.

    One pass over the children: every unvisited child has the same Q (the first-play urgency,
    which depends on the policy of the visited children), so the best of them is the one with the
    highest prior, scored once the pass is over. Ties go to the lower index.
    """
    first = nodes.first_child[node]
    n = nodes.num_children[node]
    parent_visits = nodes.visits[node] + nodes.in_flight[node]
    cpuct = params[CPUCT] + params[CPUCT_FACTOR] * math.log(
        (parent_visits + params[CPUCT_BASE]) / params[CPUCT_BASE])
    exploration = cpuct * math.sqrt(max(parent_visits, 1))
    visited_policy = 0.0
    best, best_score = first, NEG_INF
    unvisited, unvisited_prior = -1, -1.0
    for child in range(first, first + n):
        verdict = nodes.proven[child]
        if verdict == LOSS:
            return child
        count = nodes.visits[child] + nodes.in_flight[child]
        prior = nodes.prior[child]
        if count > 0:
            visited_policy += prior
        if verdict == WIN:
            continue
        if count == 0:
            if prior > unvisited_prior:
                unvisited, unvisited_prior = child, prior
            continue
        if verdict != UNKNOWN:
            q = child_q(nodes, child)
        else:
            q = (nodes.value_sum[child] - nodes.in_flight[child]) / count
        score = q + exploration * prior / (1 + count)
        if score > best_score:
            best, best_score = child, score
    if unvisited >= 0:
        parent_q = -nodes.value_sum[node] / nodes.visits[node] if nodes.visits[node] > 0 else 0.0
        reduction = params[FPU_REDUCTION_ROOT] if node == ROOT else params[FPU_REDUCTION]
        score = parent_q - reduction * math.sqrt(visited_policy) + exploration * unvisited_prior
        if score > best_score or (score == best_score and unvisited < best):
            best = unvisited
    return best


@njit(cache=True)
def completed_q(nodes, node, root_value, out):
    """Q of each child of ``node``, unvisited ones completed with the mixed value (Danihelka et
    al. 2022, appendix D), min-max rescaled to [0, 1]."""
    first = nodes.first_child[node]
    n = nodes.num_children[node]
    total_visits, weighted_q, visited_prior = 0, 0.0, 0.0
    for i in range(n):
        child = first + i
        if nodes.visits[child] > 0:
            total_visits += nodes.visits[child]
            weighted_q += nodes.prior[child] * child_q(nodes, child)
            visited_prior += nodes.prior[child]
    mixed = root_value
    if visited_prior > 0:
        mixed = (root_value + total_visits * weighted_q / visited_prior) / (1 + total_visits)
    low, high = 1e30, -1e30
    for i in range(n):
        child = first + i
        q = child_q(nodes, child) if nodes.visits[child] > 0 or nodes.proven[child] != UNKNOWN else mixed
        out[i] = q
        low, high = min(low, q), max(high, q)
    for i in range(n):
        out[i] = (out[i] - low) / (high - low) if high > low else 0.5


@njit(cache=True)
def gumbel_scores(nodes, params, gumbel, root_value, out):
    """``g + logits + sigma(completed Q)`` of each root child: ranks the candidates of Sequential
    Halving and picks the final move."""
    first = nodes.first_child[ROOT]
    n = nodes.num_children[ROOT]
    completed_q(nodes, ROOT, root_value, out)
    most = 0
    for child in range(first, first + n):
        most = max(most, nodes.visits[child] + nodes.in_flight[child])
    scale = (params[C_VISIT] + most) * params[C_SCALE]
    for i in range(n):
        out[i] = gumbel[i] + math.log(max(nodes.prior[first + i], 1e-12)) + scale * out[i]


@njit(cache=True)
def improved_policy(nodes, params, root_value, out):
    """The Gumbel improved policy ``softmax(logits + sigma(completed Q))`` over the root moves."""
    first = nodes.first_child[ROOT]
    n = nodes.num_children[ROOT]
    completed_q(nodes, ROOT, root_value, out)
    most = 0
    for child in range(first, first + n):
        most = max(most, nodes.visits[child])
    scale = (params[C_VISIT] + most) * params[C_SCALE]
    for i in range(n):
        out[i] = math.log(max(nodes.prior[first + i], 1e-12)) + scale * out[i]
    softmax_in_place(out, n)


@njit(cache=True)
def select_gumbel_root(nodes, params, gumbel, root_value, considered_visit, scratch):
    """Sequential Halving: among root children whose visits equal this simulation's scheduled
    count, the best Gumbel score; the least visited best-scored child if none matches (a batch can
    overrun the schedule)."""
    first = nodes.first_child[ROOT]
    n = nodes.num_children[ROOT]
    for child in range(first, first + n):
        if nodes.proven[child] == LOSS:
            return child
    gumbel_scores(nodes, params, gumbel, root_value, scratch)
    best, best_score = -1, NEG_INF
    fallback, fallback_key = first, (1 << 62, NEG_INF)
    for i in range(n):
        child = first + i
        if nodes.proven[child] == WIN:
            continue
        count = nodes.visits[child] + nodes.in_flight[child]
        if count == considered_visit and scratch[i] > best_score:
            best, best_score = child, scratch[i]
        if count < fallback_key[0] or (count == fallback_key[0] and scratch[i] > fallback_key[1]):
            fallback, fallback_key = child, (count, scratch[i])
    return best if best >= 0 else fallback


def considered_visits(num_considered: int, num_simulations: int) -> np.ndarray:
    """The visit count each simulation gives its root move under Sequential Halving: phases of
    equal visits to the remaining moves, halving them until two are left.

    >>> considered_visits(4, 12).tolist()
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    """
    num_simulations = max(int(num_simulations), 1)
    if num_considered <= 1:
        return np.arange(num_simulations, dtype=np.int64)
    phases = math.ceil(math.log2(num_considered))
    sequence: list[int] = []
    visits = [0] * num_considered
    remaining = num_considered
    while len(sequence) < num_simulations:
        extra = max(1, num_simulations // (phases * remaining))
        for _ in range(extra):
            sequence.extend(visits[:remaining])
            for i in range(remaining):
                visits[i] += 1
        remaining = max(2, remaining // 2)
    return np.array(sequence[:num_simulations], dtype=np.int64)
