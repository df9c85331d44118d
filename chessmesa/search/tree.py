"""The search tree: preallocated struct-of-arrays, one slot per node.

Children of a node occupy consecutive slots ``first_child .. first_child + num_children``, so a
node is also the edge into it. ``value_sum`` is kept from the point of view of the player who made
the move into the node (the parent's side to move), so ``Q = value_sum / visits`` is directly the
parent's view of that move. ``proven`` holds the MCTS-solver's verdict for the side to move *at*
the node: ``WIN``, ``LOSS`` or ``DRAW`` once the game-theoretic value is known.

Bytes per node: ``NODE_BYTES``.

>>> tree = new_tree(1000)
>>> int(tree.meta[NODE_COUNT]), tree.visits.shape[0]
(1, 1000)
"""

from collections import namedtuple

import numpy as np
from numba import njit

Tree = namedtuple(
    "Tree",
    ["parent", "move", "prior", "visits", "value_sum", "first_child", "num_children",
     "in_flight", "proven", "meta"],
)

UNEXPANDED = -1
UNKNOWN, WIN, LOSS, DRAW = 0, 1, 2, 3
ROOT = 0
NODE_COUNT = 0  # meta[NODE_COUNT]: slots in use
NODE_BYTES = 4 + 4 + 4 + 4 + 8 + 4 + 4 + 4 + 1


def new_tree(capacity: int) -> Tree:
    """An empty tree with room for ``capacity`` nodes; the root sits in slot 0."""
    capacity = max(int(capacity), 2)
    tree = Tree(
        parent=np.full(capacity, -1, dtype=np.int32),
        move=np.zeros(capacity, dtype=np.int32),
        prior=np.zeros(capacity, dtype=np.float32),
        visits=np.zeros(capacity, dtype=np.int32),
        value_sum=np.zeros(capacity, dtype=np.float64),
        first_child=np.zeros(capacity, dtype=np.int32),
        num_children=np.full(capacity, UNEXPANDED, dtype=np.int32),
        in_flight=np.zeros(capacity, dtype=np.int32),
        proven=np.zeros(capacity, dtype=np.int8),
        meta=np.zeros(4, dtype=np.int64),
    )
    tree.meta[NODE_COUNT] = 1
    return tree


@njit(cache=True)
def reset_tree(tree):
    tree.meta[NODE_COUNT] = 1
    tree.parent[ROOT] = -1
    tree.move[ROOT] = 0
    tree.prior[ROOT] = 1.0
    tree.visits[ROOT] = 0
    tree.value_sum[ROOT] = 0.0
    tree.num_children[ROOT] = UNEXPANDED
    tree.in_flight[ROOT] = 0
    tree.proven[ROOT] = UNKNOWN


@njit(cache=True)
def expand(tree, node, moves, priors, n):
    """Give ``node`` its ``n`` children; False (node left unexpanded) when the tree is full."""
    first = tree.meta[NODE_COUNT]
    if first + n > tree.visits.shape[0]:
        return False
    for i in range(n):
        child = first + i
        tree.parent[child] = node
        tree.move[child] = moves[i]
        tree.prior[child] = priors[i]
        tree.visits[child] = 0
        tree.value_sum[child] = 0.0
        tree.num_children[child] = UNEXPANDED
        tree.in_flight[child] = 0
        tree.proven[child] = UNKNOWN
    tree.first_child[node] = first
    tree.num_children[node] = n
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
def _solve(tree, node):
    """MCTS-solver: decide ``node`` from its children's verdicts, if they decide it."""
    n = tree.num_children[node]
    if n <= 0:
        return UNKNOWN
    first = tree.first_child[node]
    all_known, any_draw = True, False
    for child in range(first, first + n):
        verdict = tree.proven[child]
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
def backup(tree, leaf, value):
    """Add one visit along the path from ``leaf`` to the root. ``value`` is the leaf's value for
    its side to move; proven verdicts are propagated upwards while they decide the parent."""
    node = leaf
    solving = tree.proven[leaf] != UNKNOWN
    while node >= 0:
        tree.visits[node] += 1
        tree.value_sum[node] -= value  # the mover into this node sees the opposite value
        parent = tree.parent[node]
        if solving and parent >= 0 and tree.proven[parent] == UNKNOWN:
            verdict = _solve(tree, parent)
            if verdict != UNKNOWN:
                tree.proven[parent] = verdict
            else:
                solving = False
        value = -value
        node = parent


@njit(cache=True)
def add_in_flight(tree, leaf, amount):
    """Virtual visits on the path of a leaf waiting for its evaluation (batched search)."""
    node = leaf
    while node >= 0:
        tree.in_flight[node] += amount
        node = tree.parent[node]


@njit(cache=True)
def compact_subtree(tree, new_root, out):
    """Copy the subtree under ``new_root`` into ``out`` (breadth first, root in slot 0): tree reuse
    between the moves of a game without the dead branches."""
    capacity = out.visits.shape[0]
    queue = np.empty(tree.meta[NODE_COUNT], dtype=np.int64)  # old slot of each new slot
    queue[0] = new_root
    count = 1
    head = 0
    while head < count:
        old = queue[head]
        new = head
        out.parent[new] = -1 if head == 0 else out.parent[new]
        out.move[new] = tree.move[old] if head else 0
        out.prior[new] = tree.prior[old] if head else 1.0
        out.visits[new] = tree.visits[old]
        out.value_sum[new] = tree.value_sum[old]
        out.in_flight[new] = 0
        out.proven[new] = tree.proven[old]
        n = tree.num_children[old]
        if n > 0 and count + n <= capacity:
            out.first_child[new] = count
            out.num_children[new] = n
            for i in range(n):
                queue[count + i] = tree.first_child[old] + i
                out.parent[count + i] = new
            count += n
        else:
            out.num_children[new] = UNEXPANDED
            out.proven[new] = tree.proven[old] if n <= 0 else 0
        head += 1
    out.meta[NODE_COUNT] = count
