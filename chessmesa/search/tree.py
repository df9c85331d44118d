"""The search tree: a preallocated array of node records, one slot per node.

Children of a node occupy consecutive slots ``first_child .. first_child + num_children``, so a
node is also the edge into it. ``value_sum`` is kept from the point of view of the player who made
the move into the node (the parent's side to move), so ``Q = value_sum / visits`` is directly the
parent's view of that move. ``proven`` holds the MCTS-solver's verdict for the side to move *at*
the node: ``WIN``, ``LOSS`` or ``DRAW`` once the game-theoretic value is known.

A ``Tree`` is the structured array ``nodes`` (numba reads a field as ``nodes.visits[i]``, numpy as
``nodes["visits"][i]``) and ``meta``, whose ``meta[NODE_COUNT]`` counts the slots in use. One
array of records rather than an array per field: a selection reads a node's children together,
and numba keeps a reference count per array argument that it cannot always prove away.

Bytes per node: ``NODE_BYTES``.

>>> tree = new_tree(1000)
>>> int(tree.meta[NODE_COUNT]), tree.nodes.shape[0], NODE_BYTES
(1, 1000, 37)
"""

from collections import namedtuple

import numpy as np
from numba import njit

Tree = namedtuple("Tree", ["nodes", "meta"])

NODE = np.dtype([
    ("value_sum", np.float64),
    ("parent", np.int32),
    ("move", np.int32),
    ("prior", np.float32),
    ("visits", np.int32),
    ("in_flight", np.int32),  # virtual visits of leaves waiting for a batched evaluation
    ("first_child", np.int32),
    ("num_children", np.int32),  # UNEXPANDED until the node is expanded
    ("proven", np.int8),
])
NODE_BYTES = NODE.itemsize

UNEXPANDED = -1
UNKNOWN, WIN, LOSS, DRAW = 0, 1, 2, 3
ROOT = 0
NODE_COUNT = 0  # meta[NODE_COUNT]: slots in use


def new_tree(capacity: int) -> Tree:
    """An empty tree with room for ``capacity`` nodes; the root sits in slot 0.

    The nodes are zeroed lazily by the operating system: a slot is written in full when its
    parent is expanded, so memory is touched only as the tree grows.
    """
    tree = Tree(np.zeros(max(int(capacity), 2), dtype=NODE), np.zeros(4, dtype=np.int64))
    reset_tree(tree)
    return tree


@njit(cache=True, inline="always")
def _init_node(nodes, node, parent, move, prior):
    nodes.parent[node] = parent
    nodes.move[node] = move
    nodes.prior[node] = prior
    nodes.visits[node] = 0
    nodes.value_sum[node] = 0.0
    nodes.first_child[node] = 0
    nodes.num_children[node] = UNEXPANDED
    nodes.in_flight[node] = 0
    nodes.proven[node] = UNKNOWN


@njit(cache=True)
def reset_tree(tree):
    """Empty the tree: only an unexpanded root is left."""
    tree.meta[NODE_COUNT] = 1
    _init_node(tree.nodes, ROOT, -1, 0, 1.0)


@njit(cache=True)
def expand(tree, node, moves, priors, n):
    """Give ``node`` its ``n`` children; False (node left unexpanded) when the tree is full."""
    nodes = tree.nodes
    first = tree.meta[NODE_COUNT]
    if first + n > nodes.shape[0]:
        return False
    for i in range(n):
        _init_node(nodes, first + i, node, moves[i], priors[i])
    nodes.first_child[node] = first
    nodes.num_children[node] = n
    tree.meta[NODE_COUNT] = first + n
    return True


@njit(cache=True)
def proven_value(verdict):
    """The exact value, for the side to move at the node, of a solved node."""
    if verdict == WIN:
        return 1.0
    if verdict == LOSS:
        return -1.0
    return 0.0


@njit(cache=True)
def _solve(nodes, node):
    """MCTS-solver: decide ``node`` from its children's verdicts, if they decide it."""
    n = nodes.num_children[node]
    if n <= 0:
        return UNKNOWN
    first = nodes.first_child[node]
    all_known, any_draw = True, False
    for child in range(first, first + n):
        verdict = nodes.proven[child]
        if verdict == LOSS:  # the opponent is lost after this move
            return WIN
        if verdict == UNKNOWN:
            all_known = False
        elif verdict == DRAW:
            any_draw = True
    if not all_known:
        return UNKNOWN
    return DRAW if any_draw else LOSS


@njit(cache=True)
def backup(nodes, leaf, value):
    """Add one visit along the path from ``leaf`` to the root. ``value`` is the leaf's value for
    its side to move; proven verdicts are propagated upwards while they decide the parent."""
    node = leaf
    solving = nodes.proven[leaf] != UNKNOWN
    while node >= 0:
        nodes.visits[node] += 1
        nodes.value_sum[node] -= value  # the mover into this node sees the opposite value
        parent = nodes.parent[node]
        if solving and parent >= 0 and nodes.proven[parent] == UNKNOWN:
            verdict = _solve(nodes, parent)
            if verdict != UNKNOWN:
                nodes.proven[parent] = verdict
            else:
                solving = False
        value = -value
        node = parent


@njit(cache=True)
def add_in_flight(nodes, leaf, amount):
    """Virtual visits on the path of a leaf waiting for its evaluation (batched search)."""
    node = leaf
    while node >= 0:
        nodes.in_flight[node] += amount
        node = nodes.parent[node]


@njit(cache=True)
def compact_subtree(tree, new_root, out):
    """Copy the subtree under ``new_root`` into ``out`` (breadth first, root in slot 0): tree reuse
    between the moves of a game without the dead branches. Nodes that do not fit are left
    unexpanded."""
    old_nodes, new_nodes = tree.nodes, out.nodes
    capacity = new_nodes.shape[0]
    used = tree.meta[NODE_COUNT]
    source = np.empty(used, dtype=np.int64)  # the old slot of each new slot
    parent = np.empty(used, dtype=np.int64)  # and its new parent
    source[0], parent[0] = new_root, -1
    count = 1
    for new in range(used):
        if new == count:
            break
        old = source[new]
        new_nodes[new] = old_nodes[old]
        new_nodes.parent[new] = parent[new]
        new_nodes.in_flight[new] = 0
        if new == ROOT:
            new_nodes.move[new] = 0
            new_nodes.prior[new] = 1.0
        n = old_nodes.num_children[old]
        if n > 0 and count + n <= capacity:
            new_nodes.first_child[new] = count
            for i in range(n):
                source[count + i] = old_nodes.first_child[old] + i
                parent[count + i] = new
            count += n
        elif n > 0:
            new_nodes.num_children[new] = UNEXPANDED
            new_nodes.proven[new] = UNKNOWN  # a verdict needs the children it came from
    out.meta[NODE_COUNT] = count
