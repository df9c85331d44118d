"""The network engine kinds: ``policy`` (the student's best move, no search) and ``netmcts`` (the
searcher with network leaves, evaluated in batches through the batch bridge).

A ``policy`` player plays its policy head's most probable move, or with ``select=q`` the move its
action-value head rates highest (a student trained with ``--q-weight``).

``ckpt`` names a run folder or a ``.safetensors`` model file (:func:`chessmesa.nn.load_network`).
``threads`` sets torch's intra-op threads and the fast path's BLAS threads for the process (default 1: these small networks gain
little from more at the batch sizes of play, and games often run side by side). Importing this
module registers both kinds but loads torch only when a player is built.

>>> from chessmesa.play.players import Limit, make_player
>>> import chess
>>> make_player("policy:ckpt=runs/tiny").choose(chess.Board(), Limit()).move  # doctest: +SKIP
Move.from_uci('e2e4')
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

import chess
import numpy as np

from chessmesa.core import Position, move_to_chess, move_to_uci
from chessmesa.core.position import BoardFollower
from chessmesa.play.base import Analysis, Choice, Limit, SearchInfo
from chessmesa.play.root_rules import guarded_move
from chessmesa.play.searchers import MctsPlayer, mcts_keys, root_move_codes, value_to_wdl
from chessmesa.play.specs import EngineSpec, SpecError, register_kind
from chessmesa.search.options import params_from_options, tree_nodes
from chessmesa.search.searcher import MCTS, network_evaluator, value_to_cp

DEFAULT_BATCH = 16
#: Positions per network call when a ``policy`` player analyses many.
ANALYSIS_BATCH = 256
_NETWORK_KEYS = {"ckpt": str, "device": str, "threads": int}
#: What a ``policy`` player ranks its moves by: the policy head, or the action-value (Q) head.
SELECTIONS = ("policy", "q")


def load_spec_network(spec: EngineSpec):
    """The network a spec's ``ckpt`` names, on its ``device``; SpecError with one line if the
    checkpoint is missing, corrupt, or the device is not there."""
    checkpoint = spec.options.get("ckpt")
    if not checkpoint:
        raise SpecError(f"engine kind {spec.kind!r} needs ckpt=RUN_OR_FILE in {spec.name!r}")
    import torch

    from chessmesa.nn import load_network

    torch.set_num_threads(spec.options.get("threads", 1))
    try:
        return load_network(checkpoint, spec.options.get("device", "cpu"))
    except ValueError as error:
        raise SpecError(f"{error} (engine {spec.name!r})") from None


class PolicyPlayer:
    """The network's most probable legal move: the one-second grandmaster, no search, with the
    root rules every player has (:mod:`chessmesa.play.root_rules`: a mate in one, and no draw
    thrown away when winning); ``rules=false`` plays the raw argmax instead.

    A residual student on the CPU moves through the numba forward pass (:mod:`chessmesa.nn.fast`:
    position in, move out, no framework in between); ``fast=false``, a transformer or a GPU use
    PyTorch. Both rank the moves alike, up to float32 rounding between near-equal scores.
    """

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        self.name = spec.name or str(spec)
        self.select = spec.options.get("select", "policy")
        if self.select not in SELECTIONS:
            raise SpecError(f"unknown select={self.select!r} in {spec.name!r}; known: {', '.join(SELECTIONS)}")
        self.rules = spec.options.get("rules", True)
        self.network = load_spec_network(spec)
        if self.select == "q" and not self.network.has_action_values:
            raise SpecError(f"select=q needs a network with an action-value head (train --q-weight) in {spec.name!r}")
        from chessmesa.nn.fast import fold_weights, limit_blas_threads, supports

        fast = spec.options.get("fast", True) and supports(self.network.config) and self.network.device.type == "cpu"
        self.weights = fold_weights(self.network.state(), self.network.config) if fast else None
        if fast:
            limit_blas_threads(spec.options.get("threads", 1))
        self.follower = BoardFollower()

    def new_game(self) -> None:
        self.follower = BoardFollower()

    def _batch_scores(self, positions: Sequence[Position]) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """Through PyTorch: the policies, the values and what the moves are ranked by (the policy
        or the Q head), aligned with each position's legal moves."""
        priors, values, action_values = self.network.answers(positions)
        return priors, values, priors if self.select == "policy" else action_values

    def _best(self, position: Position, ranked: np.ndarray, value: float) -> int:
        """The move code played from ``ranked`` (best first): the root rules' choice, or the first."""
        if not self.rules:
            return int(ranked[0])
        return int(guarded_move(position.bb, position.st, position.tables, ranked, value))

    def choose(self, board: chess.Board, limit: Limit, stop: threading.Event | None = None,
               on_info: Callable[[SearchInfo], None] | None = None) -> Choice:
        start = time.perf_counter()
        position = self.follower.position(board)
        allowed = root_move_codes(board, position, limit)
        allowed = np.array(allowed or (), dtype=np.int64)
        if self.weights is not None:
            from chessmesa.play.fast_policy import fast_policy_move

            code, value = fast_policy_move(position.bb, position.st, position.tables, self.weights,
                                           self.select == "q", self.rules, allowed)
        else:
            legal = position.legal_moves()
            _, values, (scores,) = self._batch_scores([position])
            value = float(values[0])
            ranked = legal[np.argsort(-scores, kind="stable")]
            code = self._best(position, ranked[np.isin(ranked, allowed)] if len(allowed) else ranked, value)
        move = move_to_chess(int(code))
        value = float(value)
        choice = Choice(move=move, score_cp=value_to_cp(value), wdl=value_to_wdl(value), pv=[move],
                        nodes=1, seconds=time.perf_counter() - start)
        if on_info is not None:
            on_info(SearchInfo.of(choice))
        return choice

    def analyse(self, positions: Sequence[Position],
                progress: Callable[[int], None] = lambda n: None) -> list[Analysis]:
        """The network's policy and value of each position, :data:`ANALYSIS_BATCH` positions per
        call (:class:`~chessmesa.play.base.Analyser`); the best move is the one the player plays
        (the root rules' choice unless ``rules=false``; a position alone has no game history, so
        no repetition to avoid)."""
        found = []
        for start in range(0, len(positions), ANALYSIS_BATCH):
            chunk = list(positions[start:start + ANALYSIS_BATCH])
            policies, values, scores = self._batch_scores(chunk)
            for position, policy, value, score in zip(chunk, policies, values, scores):
                legal = position.legal_moves()
                best = self._best(position, legal[np.argsort(-score, kind="stable")], float(value))
                found.append(Analysis(move_to_uci(best), [move_to_uci(int(code)) for code in legal],
                                      np.asarray(policy, dtype=float), float(value)))
            progress(len(chunk))
        return found

    def close(self) -> None:
        self.network = None
        self.weights = None


class NetMctsPlayer(MctsPlayer):
    """The MCTS searcher with the network as leaf evaluator. A residual student on the CPU
    evaluates its leaves on the fast path (:class:`chessmesa.nn.fast.FastEvaluator`), one at a
    time by default (``batch=1``: the native search's own decisions); ``fast=false``, a
    transformer or a GPU use PyTorch, ``batch`` leaves per forward pass (default
    :data:`DEFAULT_BATCH`)."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        from chessmesa.nn.fast import FastEvaluator, fold_weights, supports

        self.network = load_spec_network(spec)
        fast = spec.options.get("fast", True) and supports(self.network.config) and self.network.device.type == "cpu"
        try:
            self.leaves = (FastEvaluator(fold_weights(self.network.state(), self.network.config),
                                         spec.options.get("threads", 1), spec.options.get("prior_temperature", 1.0))
                           if fast else self.network)
        except ValueError as error:
            raise SpecError(f"{error} in {spec.name!r}") from None
        super().__init__(spec, seed)

    def _searcher(self, options: dict) -> MCTS:
        params = params_from_options(options)
        batch = options.get("batch", DEFAULT_BATCH if self.leaves is self.network else 1)
        return MCTS(params, evaluator=network_evaluator(self.leaves, params, options.get("static_value", 0.0)),
                    batch=batch, max_nodes=tree_nodes(options))

    def close(self) -> None:
        super().close()
        self.network = self.leaves = None


register_kind("policy", PolicyPlayer, {**_NETWORK_KEYS, "select": str, "rules": bool, "fast": bool},
              "a network's best move, no search (ckpt=RUN_OR_FILE, device, threads, "
              "select=policy|q: the policy head's most probable move or the Q head's best, "
              "rules=false: the raw argmax without the root rules, fast=false: PyTorch at batch 1)")
register_kind("netmcts", NetMctsPlayer, {**mcts_keys(), **_NETWORK_KEYS, "static_value": float, "fast": bool,
                                          "prior_temperature": float},
              f"MCTS with network leaves (ckpt, sims, batch: 1 on the fast path, {DEFAULT_BATCH} on PyTorch, "
              "static_value=0..1 of the static evaluator's value in each leaf's, prior_temperature=T: the "
              "network's priors at softmax temperature T on the fast path, fast=false: PyTorch, mcts keys)")
