"""The network engine kinds: ``policy`` (the student's best move, no search) and ``netmcts`` (the
searcher with network leaves, evaluated in batches through the batch bridge).

A ``policy`` player plays its policy head's most probable move, or with ``select=q`` the move its
action-value head rates highest (a student trained with ``--q-weight``).

``ckpt`` names a run folder or a ``.safetensors`` model file (:func:`chessmesa.nn.load_network`).
``threads`` sets torch's intra-op threads for the process (default 1: these small networks gain
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
from chessmesa.play.base import Analysis, Choice, Limit, SearchInfo
from chessmesa.play.root_rules import guarded_move, is_winning
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
    thrown away when winning)."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        self.name = spec.name or str(spec)
        self.select = spec.options.get("select", "policy")
        if self.select not in SELECTIONS:
            raise SpecError(f"unknown select={self.select!r} in {spec.name!r}; known: {', '.join(SELECTIONS)}")
        self.network = load_spec_network(spec)
        if self.select == "q" and not self.network.has_action_values:
            raise SpecError(f"select=q needs a network with an action-value head (train --q-weight) in {spec.name!r}")

    def new_game(self) -> None:
        pass

    def _scores(self, positions: Sequence[Position]) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """The policy, the value and what the moves are ranked by (the policy or the Q head)."""
        priors, values, action_values = self.network.answers(positions)
        return priors, values, priors if self.select == "policy" else action_values

    def choose(self, board: chess.Board, limit: Limit, stop: threading.Event | None = None,
               on_info: Callable[[SearchInfo], None] | None = None) -> Choice:
        start = time.perf_counter()
        position = Position.from_board(board)
        _, values, (scores,) = self._scores([position])
        legal = position.legal_moves()
        allowed = root_move_codes(board, position, limit)
        ranked = legal[np.argsort(-scores, kind="stable")]
        if allowed is not None:  # searchmoves: only those, most probable first
            ranked = ranked[np.isin(ranked, allowed)]
        value = float(values[0])
        move = guarded_move(board, [move_to_chess(int(code)) for code in ranked], is_winning(board, value))
        choice = Choice(move=move, score_cp=value_to_cp(value), wdl=value_to_wdl(value), pv=[move],
                        nodes=1, seconds=time.perf_counter() - start)
        if on_info is not None:
            on_info(SearchInfo.of(choice))
        return choice

    def analyse(self, positions: Sequence[Position],
                progress: Callable[[int], None] = lambda n: None) -> list[Analysis]:
        """The network's policy and value of each position, :data:`ANALYSIS_BATCH` positions per
        call (:class:`~chessmesa.play.base.Analyser`); the best move is the one the player plays
        without root rules: the argmax of its policy or, with ``select=q``, of its Q head."""
        found = []
        for start in range(0, len(positions), ANALYSIS_BATCH):
            chunk = list(positions[start:start + ANALYSIS_BATCH])
            policies, values, scores = self._scores(chunk)
            for position, policy, value, score in zip(chunk, policies, values, scores):
                moves = [move_to_uci(int(code)) for code in position.legal_moves()]
                policy = np.asarray(policy, dtype=float)
                found.append(Analysis(moves[int(np.argmax(score))], moves, policy, float(value)))
            progress(len(chunk))
        return found

    def close(self) -> None:
        self.network = None


class NetMctsPlayer(MctsPlayer):
    """The MCTS searcher with the network as leaf evaluator, ``batch`` leaves per forward pass."""

    def __init__(self, spec: EngineSpec, seed: int | None = None):
        self.network = load_spec_network(spec)
        super().__init__(spec, seed)

    def _searcher(self, options: dict) -> MCTS:
        params = params_from_options(options)
        return MCTS(params, evaluator=network_evaluator(self.network, params, options.get("static_value", 0.0)),
                    batch=options.get("batch", DEFAULT_BATCH), max_nodes=tree_nodes(options))

    def close(self) -> None:
        super().close()
        self.network = None


register_kind("policy", PolicyPlayer, {**_NETWORK_KEYS, "select": str},
              "a network's best move, no search (ckpt=RUN_OR_FILE, device, threads, "
              "select=policy|q: the policy head's most probable move or the Q head's best)")
register_kind("netmcts", NetMctsPlayer, {**mcts_keys(), **_NETWORK_KEYS, "static_value": float},
              f"MCTS with network leaves, batched (ckpt, sims, batch={DEFAULT_BATCH}, static_value=0..1 "
              "of the static evaluator's value in each leaf's, mcts keys)")
