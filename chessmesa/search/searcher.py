"""``MCTS``: the searcher's Python face. Budgets, the clock, ``stop``, snapshots, tree reuse.

>>> from chessmesa.core import Position
>>> result = MCTS().search(Position("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1"), sims=50)
>>> result.best_move, result.stop_reason    # mate in one is proven at once
('a1a8', 'proven')
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Sequence

import chess
import numpy as np

from chessmesa.core import Position, move_to_uci
from chessmesa.core.layout import PLY
from chessmesa.core.status import STATUS_NAMES, position_status
from chessmesa.search.bridge import BatchEvaluator
from chessmesa.search.shares import root_policy
from chessmesa.search.mcts import (
    ROOT_SOLVED, RUNNING, TREE_FULL, Workspace, finish_leaves, gather_leaves,
    prove_root_mates, run_simulations, static_leaf_evaluations,
)
from chessmesa.search.heuristic import quiescence_buffer
from chessmesa.search.params import SearchParams
from chessmesa.search.select import considered_visits, gumbel_scores, improved_policy
from chessmesa.search.tree import (
    LOSS, NODE_COUNT, ROOT, UNKNOWN, WIN, backup, compact_subtree, expand, new_tree,
    proven_value, reset_tree,
)

DEFAULT_GUMBEL_SIMULATIONS = 1000  # the Sequential Halving schedule of a search with no sims budget
NODES_PER_SIMULATION = 16  # the tree's first capacity per simulation; a middlegame search uses ~7
#: :func:`~chessmesa.search.tree.proven_value` of each verdict code, for whole arrays at once.
PROVEN_VALUES = np.array([proven_value(verdict) for verdict in range(4)])
#: Simulations of a search's first chunk while its rate is unknown.
FIRST_CHUNK = 16
#: More simulations a millisecond than any search here runs (about 300 to 600 with the static
#: evaluator): a search bounded by time gets a tree sized for its limit at this rate.
MAX_SIMULATIONS_PER_MS = 2_000
DEFAULT_MAX_NODES = 16_000_000  # about 600 MB of tree
NO_SCHEDULE = np.zeros(1, dtype=np.int64)


def value_to_cp(value: float) -> int:
    """A value in [-1, 1] as centipawns: the inverse of the static evaluator's ``tanh(cp / 400)``.

    >>> value_to_cp(0.0), value_to_cp(0.5)
    (0, 220)
    """
    return int(round(400 * math.atanh(min(max(value, -0.999), 0.999))))


class StaticBatchEvaluator:
    """The static evaluator behind the batch bridge: the same numbers as the native search."""

    def __init__(self, params: SearchParams):
        self.temperature = params.policy_temperature
        self._position = Position()  # scratch arrays for each leaf
        self._qsearch = quiescence_buffer()

    def __call__(self, leaf_bb, leaf_st, repetitions, moves, counts):
        count = len(counts)
        values = np.zeros(count, dtype=np.float64)
        priors = np.zeros((count, moves.shape[1]), dtype=np.float64)
        static_leaf_evaluations(leaf_bb, leaf_st, moves, counts, count, self.temperature,
                                self._position.tables, self._position.bb, self._position.st,
                                self._qsearch, values, priors)
        return values, priors


class StaticValueBlend:
    """A network's priors, with its leaf values blended with the static evaluator's: ``share`` of
    the static value (0: the network's own, 1: the static evaluator's quiescence value with the
    network's priors). A small student's value head is far weaker than a capture quiescence, so a
    search on its values alone can be weaker than the static searcher at the same simulations.

    >>> from chessmesa.core import Position
    >>> static = StaticBatchEvaluator(SearchParams())
    >>> position = Position()
    >>> leaf = (position.bb[None, :9], position.st[None, :70], np.ones(1, dtype=np.int64),
    ...         position.legal_moves()[None, :].astype(np.int64), np.array([20]))
    >>> values, priors = StaticValueBlend(static, SearchParams(), share=0.5)(*leaf)
    >>> bool(np.isclose(values[0], static(*leaf)[0][0]))
    True
    """

    def __init__(self, network: BatchEvaluator, params: SearchParams, share: float):
        if not 0 <= share <= 1:
            raise ValueError(f"static value share must be in [0, 1], got {share}")
        self.network, self.share = network, share
        self.static = StaticBatchEvaluator(params)

    def __call__(self, leaf_bb, leaf_st, repetitions, moves, counts):
        values, priors = self.network(leaf_bb, leaf_st, repetitions, moves, counts)
        static_values, _ = self.static(leaf_bb, leaf_st, repetitions, moves, counts)
        return (1 - self.share) * np.asarray(values) + self.share * static_values, priors


def network_evaluator(network: BatchEvaluator, params: SearchParams, static_value: float) -> BatchEvaluator:
    """The leaf evaluator of a search on ``network``: the network itself, or blended with
    ``static_value`` of the static evaluator's value (:class:`StaticValueBlend`)."""
    return StaticValueBlend(network, params, static_value) if static_value > 0 else network


@dataclass
class SearchResult:
    """What one search found at its root (moves in UCI, values for the side to move)."""

    best_move: str | None
    move_codes: np.ndarray  # uint16 move codes of the root's moves (chessmesa.core.layout)
    visits: np.ndarray
    q: np.ndarray
    prior: np.ndarray
    improved_policy: np.ndarray | None
    root_value: float
    pv: list[str]
    nodes: int
    sims: int
    seconds: float
    stop_reason: str
    proven: str | None = None  # "win", "loss" or "draw" once the solver decided the root
    # the root's status (chessmesa.core.status): "ongoing", a draw that can be claimed there
    # ("fifty_moves", "threefold_repetition"), or how the game ended by itself. Every root with
    # legal moves is searched; only checkmate and stalemate have no move.
    status: str = "ongoing"

    @cached_property
    def moves(self) -> list[str]:
        """The root's moves in UCI, in the order of every per-move array (made when first read:
        a game's move needs only the best one)."""
        return [move_to_uci(code) for code in self.move_codes]

    @property
    def score_cp(self) -> int:
        """The root value as centipawns (see ``value_to_cp``)."""
        return value_to_cp(self.root_value)

    def root_policy(self) -> np.ndarray:
        """The search's policy over ``moves``: the improved policy under Gumbel, else the visit
        shares; all on the best move when the solver proved the root before any visit.

        >>> result = MCTS().search(Position(), sims=10)
        >>> bool(abs(result.root_policy().sum() - 1) < 1e-6), len(result.root_policy())
        (True, 20)
        """
        return root_policy(self.visits, self.improved_policy, self.moves.index(self.best_move))

    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in (
            "best_move", "moves", "root_value", "pv", "nodes", "sims", "seconds", "stop_reason",
            "proven", "status")}
        data["visits"] = self.visits.tolist()
        data["q"] = [round(float(x), 6) for x in self.q]
        data["prior"] = [round(float(x), 6) for x in self.prior]
        if self.improved_policy is not None:
            data["improved_policy"] = [round(float(x), 6) for x in self.improved_policy]
        data["score_cp"] = self.score_cp
        return data


def sample_move(result: SearchResult, temperature: float, rng: np.random.Generator) -> str:
    """A root move drawn with probability proportional to ``visits ** (1 / temperature)``; the
    best move at temperature 0, and whenever the solver proved the root (its best move is then
    the proof: sampling could throw away a won game).

    >>> import chess
    >>> result = MCTS().search(chess.Board(), sims=64)
    >>> sample_move(result, 0.0, np.random.default_rng(0)) == result.best_move
    True
    """
    if temperature <= 0 or result.proven is not None or result.visits.sum() == 0:
        return result.best_move
    weights = result.visits.astype(np.float64) ** (1.0 / temperature)
    return result.moves[int(rng.choice(len(weights), p=weights / weights.sum()))]


@dataclass
class _Root:
    """The position a tree was built for, so that the next search can reuse it."""

    position: Position
    gumbel: np.ndarray = field(default_factory=lambda: np.zeros(0))
    value: float = 0.0
    status: str = "ongoing"  # or the draw that can be claimed there, or how the game ended
    restricted: bool = False  # the root's children are only some of its moves


class MCTS:
    """Monte Carlo tree search with PUCT (or a Gumbel root), an MCTS-solver, anytime budgets.

    ``evaluator=None`` evaluates leaves natively with the static evaluator; a ``BatchEvaluator``
    gets up to ``batch`` leaves at a time through the batch bridge.
    """

    def __init__(self, params: SearchParams | None = None, evaluator: BatchEvaluator | None = None,
                 batch: int = 1, max_nodes: int = DEFAULT_MAX_NODES):
        self.params = params or SearchParams()
        self.evaluator = evaluator
        self.batch = max(1, int(batch)) if evaluator is not None else 1
        self.max_nodes = max_nodes
        self._params_array = self.params.as_array()
        self._workspace = Workspace(self.batch)
        self._root_evaluator = evaluator or StaticBatchEvaluator(self.params)
        self._tree = new_tree(1024)
        self._root: _Root | None = None
        self._rate: float | None = None  # simulations per second of the last chunk measured

    # public API
    def search(self, position: Position | chess.Board, sims: int | None = None,
               movetime_ms: float | None = None, stop: threading.Event | None = None,
               on_info: Callable[[SearchResult], None] | None = None,
               reuse: bool = True, root_moves: Sequence[int] | None = None) -> SearchResult:
        """Search ``position`` for ``sims`` simulations and/or ``movetime_ms`` milliseconds (or
        until ``stop`` is set, the root is solved or the tree is full); returns the root
        statistics. ``root_moves`` (legal move codes) restricts the root to those moves.

        >>> position = Position("4k3/8/8/8/8/8/8/4KR2 w - - 100 80")  # a draw can be claimed
        >>> result = MCTS().search(position, sims=100, root_moves=[5 | 13 << 6])
        >>> result.status, result.moves, result.best_move
        ('fifty_moves', ['f1f2'], 'f1f2')
        """
        return self.search_budgets(position, [sims] if sims else [], movetime_ms, stop, on_info,
                                   reuse, root_moves)[-1]

    def search_budgets(self, position: Position | chess.Board, budgets: Sequence[int],
                       movetime_ms: float | None = None, stop: threading.Event | None = None,
                       on_info: Callable[[SearchResult], None] | None = None,
                       reuse: bool = False,
                       root_moves: Sequence[int] | None = None) -> list[SearchResult]:
        """One anytime search, snapshotted when the simulation count reaches each budget.

        With PUCT each snapshot equals a search with that budget alone; under Gumbel the
        Sequential Halving schedule follows the largest budget, so only that one does.
        """
        budgets = sorted({int(b) for b in budgets})
        if any(b <= 0 for b in budgets):
            raise ValueError(f"budgets must be positive, got {budgets}")
        if not budgets and movetime_ms is None and stop is None:
            raise ValueError("a search needs sims, a movetime or a stop event")
        start = time.perf_counter()
        position = position.copy() if isinstance(position, Position) else Position.from_board(position)
        status, legal = position_status(position.bb, position.st, position.tables,
                                        self._workspace.moves)
        if legal == 0:
            return [self._terminal_result(position, STATUS_NAMES[status])]
        # any other root is searched: claiming a draw there, or stopping a game that has ended
        # by itself (a GUI may play on), is the caller's business; the tree below the root
        # scores every such draw as a draw
        planned = budgets[-1] if budgets else None
        if planned is None and movetime_ms is not None:  # what the time could hold at most
            planned = math.ceil(movetime_ms * MAX_SIMULATIONS_PER_MS)
        self._prepare_root(position, reuse, planned, root_moves)
        self._root.status = STATUS_NAMES[status]
        deadline = start + movetime_ms / 1000 if movetime_ms is not None else math.inf
        snapshots: list[SearchResult] = []
        done, reason, last_info = 0, RUNNING, start
        chunk = self._chunk(self._rate, deadline - time.perf_counter())
        target = budgets[-1] if budgets else math.inf
        while reason == RUNNING and done < target:
            boundary = next((b for b in budgets if b > done), target)
            chunk_start = time.perf_counter()
            ran, reason = self._run(position, done, int(min(chunk, boundary - done)))
            done += ran
            now = time.perf_counter()
            if ran >= FIRST_CHUNK:  # a rate measured on enough simulations to go by
                self._rate = ran / max(now - chunk_start, 1e-6)
            if done in budgets:
                snapshots.append(self._result(done, now - start, "budget"))
            if now >= deadline or (stop is not None and stop.is_set()):
                break
            chunk = self._chunk(self._rate, deadline - now)
            if on_info is not None and now - last_info > 0.5:
                on_info(self._result(done, now - start, "running"))
                last_info = now
        if len(snapshots) == len(budgets) and budgets:
            return snapshots
        stop_reason = {TREE_FULL: "tree_full", ROOT_SOLVED: "proven"}.get(reason) or (
            "stopped" if stop is not None and stop.is_set() else "time")
        final = self._result(done, time.perf_counter() - start, stop_reason)
        # a search cut short reports each budget it did not reach with its last statistics
        return snapshots + [final] * max(len(budgets) - len(snapshots), 1)

    @staticmethod
    def _chunk(rate: float | None, seconds_left: float) -> int:
        """Simulations to run before the next look at the clock: about 20 ms worth, which keeps
        stop, the clock and progress responsive; near the deadline what the time left holds at
        the last measured rate (a move of a fraction of a millisecond must not overrun by a
        fixed chunk); :data:`FIRST_CHUNK` while no rate is known."""
        if rate is None:
            return FIRST_CHUNK
        return int(min(np.clip(rate * 0.02, FIRST_CHUNK, 50_000), max(1.0, rate * seconds_left)))

    def reset(self) -> None:
        """Forget the tree (a new game)."""
        self._root = None

    # internals
    def _prepare_root(self, position: Position, reuse: bool, planned_sims: int | None,
                      root_moves: Sequence[int] | None) -> None:
        # a restricted root has children the next search may not want: no reuse into or of it
        reused = (reuse and self.params.dirichlet_epsilon == 0 and root_moves is None
                  and self._reuse_tree(position))
        if not reused:
            # a search bounded by nothing but a stop gets the largest tree at once (its memory is
            # mapped only as nodes are used), since growing it later would copy it mid-search
            self._ensure_capacity(NODES_PER_SIMULATION * planned_sims + 1024 if planned_sims
                                  else self.max_nodes)
            reset_tree(self._tree)
            self._expand_root(position, root_moves)
        root = self._root
        n = self._tree.nodes["num_children"][ROOT]
        if self.params.gumbel:
            rng = np.random.default_rng([self.params.seed, position.hash])
            root.gumbel = rng.gumbel(size=n)
            self._schedule = considered_visits(
                min(self.params.gumbel_m, n), planned_sims or DEFAULT_GUMBEL_SIMULATIONS)
        else:  # PUCT reads neither
            root.gumbel, self._schedule = np.zeros(n), NO_SCHEDULE

    def _expand_root(self, position: Position, root_moves: Sequence[int] | None) -> None:
        ws, tree = self._workspace, self._tree
        ws.leaf_nodes[0] = ROOT
        ws.leaf_bb[0] = position.bb[: ws.leaf_bb.shape[1]]
        ws.leaf_st[0] = position.st[: ws.leaf_st.shape[1]]
        ws.leaf_repetitions[0] = position.repetitions()
        legal = position.legal_moves()
        if root_moves is not None:
            legal = legal[np.isin(legal, np.asarray(root_moves, dtype=np.int64))]
            if len(legal) == 0:
                raise ValueError(f"none of the root moves {list(root_moves)} is legal in {position.fen()}")
        ws.leaf_moves[0, : len(legal)] = legal
        ws.leaf_counts[0] = len(legal)
        values, priors = self._root_evaluator(ws.leaf_bb[:1], ws.leaf_st[:1], ws.leaf_repetitions[:1],
                                              ws.leaf_moves[:1], ws.leaf_counts[:1])
        root_priors = np.asarray(priors[0, : len(legal)], dtype=np.float64)
        if self.params.dirichlet_epsilon > 0:
            rng = np.random.default_rng([self.params.seed, position.hash, 1])
            noise = rng.dirichlet([self.params.dirichlet_alpha] * len(legal))
            eps = self.params.dirichlet_epsilon
            root_priors = (1 - eps) * root_priors + eps * noise
        expand(tree, ROOT, legal, root_priors, len(legal))
        prove_root_mates(tree.nodes, position.bb, position.st, position.tables, ws.moves)
        backup(tree.nodes, ROOT, float(values[0]))
        self._root = _Root(position.copy(), value=float(values[0]), restricted=root_moves is not None)

    def _reuse_tree(self, position: Position) -> bool:
        """Re-root the previous tree at ``position`` if it is the old root or one of its children
        or grandchildren in the tree (:meth:`Position.same_position`)."""
        if self._root is None:
            return False
        node = self._find_in_tree(position)
        nodes = self._tree.nodes
        if node is None or nodes["num_children"][node] <= 0 or nodes["proven"][node] != UNKNOWN:
            return False
        if node == ROOT and self._root.restricted:
            return False
        if node != ROOT:
            fresh = new_tree(len(nodes))
            compact_subtree(self._tree, node, fresh)
            self._tree = fresh
        root = self._tree.nodes[ROOT]
        value = -root["value_sum"] / max(root["visits"], 1)
        self._root = _Root(position.copy(), value=value)
        return True

    def _find_in_tree(self, target: Position) -> int | None:
        """The node of ``target`` among the old root, its children and grandchildren: along the
        last moves of ``target``'s history where they lead back from the old root (a game's
        case, no search needed), else by a walk of the tree's visited nodes."""
        walker, line = target.copy(), []
        for _ in range(3):
            if walker.same_position(self._root.position):
                return self._follow(line[::-1])
            if walker.st[PLY] == 0:
                break
            line.append(walker.pop())
        return self._walk(self._root.position.copy(), target, ROOT, depth=2)

    def _follow(self, line: list[int]) -> int | None:
        """The node the moves of ``line`` lead to from the root, None where one has no child."""
        nodes, node = self._tree.nodes, ROOT
        for move in line:
            first, count = nodes["first_child"][node], nodes["num_children"][node]
            children = np.nonzero(nodes["move"][first:first + max(count, 0)] == move)[0]
            if len(children) == 0:
                return None
            node = first + int(children[0])
        return node

    def _walk(self, walker: Position, target: Position, node: int, depth: int) -> int | None:
        if walker.same_position(target):
            return node
        nodes = self._tree.nodes
        if depth == 0 or nodes["num_children"][node] <= 0:
            return None
        first = nodes["first_child"][node]
        for child in range(first, first + nodes["num_children"][node]):
            if nodes["visits"][child] == 0:
                continue
            walker.push(int(nodes["move"][child]))
            found = self._walk(walker, target, child, depth - 1)
            walker.pop()
            if found is not None:
                return found
        return None

    def _ensure_capacity(self, nodes: int) -> None:
        nodes = min(nodes, self.max_nodes)
        if len(self._tree.nodes) < nodes:
            self._tree = new_tree(nodes)

    def _grow(self) -> bool:
        """Double the tree's capacity (up to ``max_nodes``), keeping its contents."""
        old = self._tree
        capacity = len(old.nodes)
        if capacity >= self.max_nodes:
            return False
        bigger = new_tree(min(2 * capacity, self.max_nodes))
        bigger.nodes[:capacity] = old.nodes
        bigger.meta[:] = old.meta
        self._tree = bigger
        return True

    def _run(self, position: Position, done: int, count: int) -> tuple[int, int]:
        """Up to ``count`` simulations, natively or through the batch bridge; grows a full tree."""
        ws, tree, root = self._workspace, self._tree, self._root
        if self.evaluator is None:
            ran, reason = run_simulations(
                tree, position.bb, position.st, position.tables, self._params_array, root.gumbel,
                root.value, self._schedule, done, count, ws.moves, ws.replies, ws.priors,
                ws.scratch, ws.qsearch)
        else:
            ran, reason = self._run_batched(position, done, count)
        if reason == TREE_FULL and self._grow():
            more, reason = self._run(position, done + ran, count - ran)
            ran += more
        return ran, reason

    def _run_batched(self, position: Position, done: int, count: int) -> tuple[int, int]:
        ws, root = self._workspace, self._root
        ran = 0
        while ran < count:
            tree = self._tree
            if tree.nodes["proven"][ROOT] != UNKNOWN:
                return ran, ROOT_SOLVED
            gathered, simulations = gather_leaves(
                tree, position.bb, position.st, position.tables, self._params_array, root.gumbel,
                root.value, self._schedule, done + ran, count - ran, self.batch, ws.moves,
                ws.replies, ws.scratch, ws.leaf_nodes, ws.leaf_bb, ws.leaf_st, ws.leaf_repetitions,
                ws.leaf_moves, ws.leaf_counts)
            if gathered:
                values, priors = self.evaluator(
                    ws.leaf_bb[:gathered], ws.leaf_st[:gathered], ws.leaf_repetitions[:gathered],
                    ws.leaf_moves[:gathered], ws.leaf_counts[:gathered])
                released = finish_leaves(tree, ws.leaf_nodes, ws.leaf_moves, ws.leaf_counts,
                                         np.asarray(values, dtype=np.float64),
                                         np.asarray(priors, dtype=np.float64), gathered)
                if released:
                    return ran + simulations - released, TREE_FULL
            ran += simulations
        return ran, ROOT_SOLVED if self._tree.nodes["proven"][ROOT] != UNKNOWN else RUNNING

    def _result(self, sims: int, seconds: float, stop_reason: str) -> SearchResult:
        tree, root = self._tree, self._root
        nodes = tree.nodes
        first, n = int(nodes["first_child"][ROOT]), int(nodes["num_children"][ROOT])
        children = np.arange(first, first + n)
        kids = nodes[first:first + n]
        visits = kids["visits"].astype(np.int32)
        proven = kids["proven"]
        root_value = float(-nodes["value_sum"][ROOT] / max(nodes["visits"][ROOT], 1))
        q = np.where(visits > 0, kids["value_sum"] / np.maximum(visits, 1), root_value)
        q = np.where(proven != UNKNOWN, -PROVEN_VALUES[proven], q).astype(np.float32)
        improved = None
        if self.params.gumbel:
            improved = np.zeros(n, dtype=np.float64)
            improved_policy(nodes, self._params_array, root.value, improved)
            improved = improved.astype(np.float32)
        best = self._best_child(children, visits, q, proven)
        verdict = {WIN: "win", LOSS: "loss"}.get(int(nodes["proven"][ROOT]),
                                                 "draw" if nodes["proven"][ROOT] else None)
        if verdict is not None:  # the exact value, not the mean of the visits that found it
            root_value = {"win": 1.0, "loss": -1.0, "draw": 0.0}[verdict]
        return SearchResult(
            best_move=move_to_uci(nodes["move"][best]) if best is not None else None,
            move_codes=kids["move"].astype(np.uint16),
            visits=visits, q=q, prior=kids["prior"].astype(np.float32),
            improved_policy=improved, root_value=root_value,
            pv=self._principal_variation(best), nodes=int(tree.meta[NODE_COUNT]), sims=sims,
            seconds=seconds, stop_reason=stop_reason, proven=verdict, status=root.status)

    def _best_child(self, children, visits, q, proven) -> int | None:
        """A proven win first; otherwise the most visited move not proven lost (ties: better Q;
        under Gumbel: the best Gumbel score among the most visited, as Sequential Halving)."""
        if len(children) == 0:
            return None
        winning = children[proven == LOSS]
        if len(winning):
            return int(winning[np.argmax(visits[proven == LOSS])])
        playable = proven != WIN
        if not playable.any():
            playable[:] = True
        if self.params.gumbel:
            scores = np.zeros(len(children))
            gumbel_scores(self._tree.nodes, self._params_array, self._root.gumbel, self._root.value, scores)
            key = np.where(playable & (visits == visits[playable].max()), scores, -np.inf)
        else:
            key = np.where(playable, visits + 0.5 * (q + 1) / 2, -np.inf)
        return int(children[int(np.argmax(key))])

    def _principal_variation(self, best: int | None) -> list[str]:
        nodes, line, node = self._tree.nodes, [], best
        while node is not None and nodes["visits"][node] > 0:
            line.append(move_to_uci(nodes["move"][node]))
            first, n = int(nodes["first_child"][node]), int(nodes["num_children"][node])
            if n <= 0:
                break
            kids = nodes[first:first + n]
            lost = np.flatnonzero(kids["proven"] == LOSS)
            node = first + int(lost[0] if len(lost) else np.argmax(kids["visits"]))
        return line

    @staticmethod
    def _terminal_result(position: Position, status: str) -> SearchResult:
        value = -1.0 if status == "checkmate" else 0.0
        empty = np.zeros(0, dtype=np.float32)
        return SearchResult(None, np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.int32),
                            empty, empty, None, value, [], 1, 0, 0.0, "terminal",
                            "loss" if value < 0 else "draw", status)
