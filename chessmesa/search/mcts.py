"""The simulation loop in numba: descend, evaluate, expand, back up.

Two drivers share every piece. ``run_simulations`` evaluates leaves natively with the static
evaluator, one at a time, for a chunk of simulations (``nogil``, so Python serves the clock, a
``stop`` and a progress bar between chunks). ``gather_leaves`` / ``finish_leaves`` form the batch
bridge for evaluators that live in Python (networks): up to K leaves are collected with virtual
visits, their positions handed to a callback (the arrays of :mod:`chessmesa.search.bridge`), and
its values and priors backed up. With K = 1 the bridge makes exactly the native search's decisions.

The native search gives a leaf its children on the leaf's second visit, not its first: most
leaves are visited once, so the tree holds about four times fewer nodes, and their priors are
never computed. The decisions are the same as expanding at once, since an expansion's children
are all unvisited until the next visit selects among them. A network answers value and policy
together, so the bridge expands at once.

A simulation adds one visit to one root move, so the root moves' visits sum to the simulations run
(fewer only when the solver proves the root and the search stops early).
"""

import numpy as np
from numba import njit

from chessmesa.core.layout import HALFMOVE, HASH, HIST, MAX_MOVES, MAX_PLY, PLY
from chessmesa.core.movegen import generate_legal, in_check
from chessmesa.core.make_unmake import make_move, unmake_move
from chessmesa.core.status import CHECKMATE, ONGOING, game_status, repetition_count
from chessmesa.search.bridge import LEAF_BB, LEAF_ST
from chessmesa.search.checks import check_info, gives_check, quick_gives_check
from chessmesa.search.heuristic import evaluate, move_priors, quiescence_buffer
from chessmesa.search.params import GUMBEL, POLICY_TEMPERATURE, TWOFOLD_DRAW
from chessmesa.search.select import select_gumbel_root, select_puct
from chessmesa.search.tree import (
    DRAW, LOSS, ROOT, UNEXPANDED, UNKNOWN, WIN, add_in_flight, backup, expand, proven_value,
)

# what a descent found at its leaf: a node never visited, a game end, a solved node, or a node
# evaluated on an earlier visit and not expanded yet
LEAF_NEW, LEAF_TERMINAL, LEAF_PROVEN, LEAF_SEEN = 0, 1, 2, 3
# why a driver returned before its simulations were done
RUNNING, TREE_FULL, ROOT_SOLVED = 0, 1, 2


class Workspace:
    """Scratch buffers of one search (numba functions take them as arguments)."""

    def __init__(self, batch: int = 1):
        self.moves = np.empty(MAX_MOVES, dtype=np.int64)
        self.replies = np.empty(MAX_MOVES, dtype=np.int64)
        self.priors = np.empty(MAX_MOVES, dtype=np.float64)
        self.scratch = np.empty(MAX_MOVES, dtype=np.float64)
        self.qsearch = quiescence_buffer()
        self.leaf_nodes = np.empty(batch, dtype=np.int64)
        self.leaf_bb = np.zeros((batch, LEAF_BB), dtype=np.uint64)
        self.leaf_st = np.zeros((batch, LEAF_ST), dtype=np.int64)
        self.leaf_repetitions = np.zeros(batch, dtype=np.int64)
        self.leaf_moves = np.zeros((batch, MAX_MOVES), dtype=np.int64)
        self.leaf_counts = np.zeros(batch, dtype=np.int64)


@njit(cache=True)
def _repeats_inside_tree(bb, st, depth):
    """True if the position already occurred on the path since the root (lc0's twofold draw)."""
    ply = st[PLY]
    oldest = max(ply - depth, ply - st[HALFMOVE])
    i = ply - 2
    while i >= oldest:
        if bb[HIST + i] == bb[HASH]:
            return True
        i -= 2
    return False


@njit(cache=True)
def has_mate_in_one(bb, st, t, moves, n, replies):
    """Whether one of ``moves[:n]`` mates. Only checking moves are tried, so this costs little
    beside an evaluation, and it lets the solver prove mates a ply earlier everywhere."""
    info = check_info(bb, st, t)
    for i in range(n):
        check = quick_gives_check(st, info, moves[i])
        if check < 0:
            check = gives_check(bb, st, t, moves[i])
        if check:
            make_move(bb, st, t, moves[i])
            mated = generate_legal(bb, st, t, replies) == 0
            unmake_move(bb, st, t)
            if mated:
                return True
    return False


@njit(cache=True)
def descend(nodes, bb, st, t, params, gumbel, root_value, considered_visit, moves, replies,
            scratch, node=ROOT, depth=0):
    """Walk down to a leaf from ``node`` (by default the root; ``depth`` moves already made on
    ``bb``/``st`` to reach it), making the moves on ``bb``/``st``.

    Returns ``(leaf, depth, kind, n_moves)``; for a new or seen leaf ``moves[:n_moves]`` holds its
    legal moves; a terminal leaf, or one whose side to move mates at once, is marked solved here.
    The caller unmakes ``depth`` moves.
    """
    use_gumbel = params[GUMBEL] > 0
    while nodes.num_children[node] != UNEXPANDED:
        if nodes.proven[node] != UNKNOWN:
            return node, depth, LEAF_PROVEN, 0
        if node == ROOT and use_gumbel:
            child = select_gumbel_root(nodes, params, gumbel, root_value, considered_visit, scratch)
        else:
            child = select_puct(nodes, node, params)
        make_move(bb, st, t, nodes.move[child])
        depth += 1
        node = child
    if nodes.proven[node] != UNKNOWN:
        return node, depth, LEAF_PROVEN, 0
    n = generate_legal(bb, st, t, moves)
    if nodes.visits[node] > 0:
        return node, depth, LEAF_SEEN, n
    status = game_status(bb, st, in_check(bb, st, t), n)
    if status == ONGOING and params[TWOFOLD_DRAW] > 0 and _repeats_inside_tree(bb, st, depth):
        status = DRAW  # any non-ongoing code: a draw
    if status == ONGOING and st[PLY] >= MAX_PLY - 1:
        status = DRAW  # the undo stack is full: an absurdly long line, scored as a draw
    if status != ONGOING:
        nodes.proven[node] = LOSS if status == CHECKMATE else DRAW
        return node, depth, LEAF_TERMINAL, 0
    if has_mate_in_one(bb, st, t, moves, n, replies):
        nodes.proven[node] = WIN
        return node, depth, LEAF_TERMINAL, 0
    return node, depth, LEAF_NEW, n


@njit(cache=True)
def _unwind(bb, st, t, depth):
    for _ in range(depth):
        unmake_move(bb, st, t)


@njit(cache=True, nogil=True)
def run_simulations(tree, bb, st, t, params, gumbel, root_value, schedule, done, count, ws_moves,
                    ws_replies, ws_priors, ws_scratch, ws_qsearch):
    """Run up to ``count`` simulations with the static evaluator; ``done`` were run before.

    Returns ``(simulations run, reason)`` with reason RUNNING, TREE_FULL or ROOT_SOLVED.
    """
    nodes = tree.nodes
    for i in range(count):
        if nodes.proven[ROOT] != UNKNOWN:
            return i, ROOT_SOLVED
        considered = schedule[min(done + i, schedule.shape[0] - 1)]
        leaf, depth, kind, n = descend(
            nodes, bb, st, t, params, gumbel, root_value, considered, ws_moves, ws_replies,
            ws_scratch)
        if kind == LEAF_SEEN:  # its second visit: expand it, and go on to one of its children
            move_priors(bb, st, t, ws_moves, n, params[POLICY_TEMPERATURE], ws_priors)
            if not expand(tree, leaf, ws_moves, ws_priors, n):
                _unwind(bb, st, t, depth)
                return i, TREE_FULL
            leaf, depth, kind, n = descend(
                nodes, bb, st, t, params, gumbel, root_value, considered, ws_moves, ws_replies,
                ws_scratch, leaf, depth)
        if kind == LEAF_NEW:
            value = evaluate(bb, st, t, ws_qsearch)
        else:
            value = proven_value(nodes.proven[leaf])
        backup(nodes, leaf, value)
        _unwind(bb, st, t, depth)
    return count, ROOT_SOLVED if nodes.proven[ROOT] != UNKNOWN else RUNNING


@njit(cache=True)
def gather_leaves(tree, bb, st, t, params, gumbel, root_value, schedule, done, limit, batch,
                  ws_moves, ws_replies, ws_scratch, leaf_nodes, leaf_bb, leaf_st, leaf_repetitions,
                  leaf_moves, leaf_counts):
    """Collect up to ``batch`` new leaves for a Python evaluator, at most ``limit`` simulations in
    all. Terminal and solved leaves are backed up at once. Returns ``(leaves, simulations)``.
    (Leaves are expanded when their evaluation comes back, so none is ever seen unexpanded.)"""
    nodes = tree.nodes
    gathered, simulations = 0, 0
    while gathered < batch and simulations < limit and nodes.proven[ROOT] == UNKNOWN:
        considered = schedule[min(done + simulations, schedule.shape[0] - 1)]
        leaf, depth, kind, n = descend(
            nodes, bb, st, t, params, gumbel, root_value, considered, ws_moves, ws_replies,
            ws_scratch)
        if kind == LEAF_TERMINAL or kind == LEAF_PROVEN:
            backup(nodes, leaf, proven_value(nodes.proven[leaf]))
            simulations += 1
        elif nodes.in_flight[leaf] > 0:
            _unwind(bb, st, t, depth)  # the leaf is already waiting in this batch
            break
        else:
            leaf_nodes[gathered] = leaf
            leaf_bb[gathered] = bb[:LEAF_BB]
            leaf_st[gathered] = st[:LEAF_ST]
            leaf_repetitions[gathered] = repetition_count(bb, st)
            leaf_moves[gathered, :n] = ws_moves[:n]
            leaf_counts[gathered] = n
            add_in_flight(nodes, leaf, 1)
            gathered += 1
            simulations += 1
        _unwind(bb, st, t, depth)
    return gathered, simulations


@njit(cache=True)
def finish_leaves(tree, leaf_nodes, leaf_moves, leaf_counts, values, priors, count):
    """Expand and back up the gathered leaves with their evaluations. Returns how many were
    released unvisited because the tree is full (0 when all fit): their simulations did not run."""
    released = 0
    for i in range(count):
        leaf = leaf_nodes[i]
        add_in_flight(tree.nodes, leaf, -1)
        if released or not expand(tree, leaf, leaf_moves[i], priors[i], leaf_counts[i]):
            released += 1
            continue
        backup(tree.nodes, leaf, values[i])
    return released


@njit(cache=True)
def prove_root_mates(nodes, bb, st, t, moves):
    """Mark root moves that mate at once, so a mate in one is played at any budget."""
    first = nodes.first_child[ROOT]
    for child in range(first, first + nodes.num_children[ROOT]):
        make_move(bb, st, t, nodes.move[child])
        if generate_legal(bb, st, t, moves) == 0 and in_check(bb, st, t):
            nodes.proven[child] = LOSS
        unmake_move(bb, st, t)
    for child in range(first, first + nodes.num_children[ROOT]):
        if nodes.proven[child] == LOSS:
            return True
    return False


@njit(cache=True)
def static_leaf_evaluations(leaf_bb, leaf_st, leaf_moves, leaf_counts, count, temperature, t,
                            bb, st, qsearch, values, priors):
    """The static evaluator as a batch callback (tests the bridge against the native search)."""
    for i in range(count):
        bb[:LEAF_BB] = leaf_bb[i]
        st[:LEAF_ST] = leaf_st[i]
        values[i] = evaluate(bb, st, t, qsearch)
        move_priors(bb, st, t, leaf_moves[i], leaf_counts[i], temperature, priors[i])

