"""The play package's seams: the analyse() seam of the players that have one, and engine kinds
that register from their own modules, loaded only as far as a lookup needs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from chessmesa.core import Position
from chessmesa.play.base import Analyser
from chessmesa.play.players import make_player
from chessmesa.search import MCTS


def test_searching_players_analyse_and_the_others_do_not():
    assert isinstance(make_player("mcts:sims=8"), Analyser)
    assert not isinstance(make_player("random"), Analyser)
    assert not isinstance(make_player("greedy"), Analyser)


def test_mcts_analysis_is_a_fresh_search_at_the_spec_budget():
    positions = [Position(), Position("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3")]
    done = []
    analyses = make_player("mcts:sims=48").analyse(positions, progress=done.append)
    assert done == [1, 1]
    for position, analysis in zip(positions, analyses):
        reference = MCTS().search(position, sims=48)
        assert analysis.moves == reference.moves and analysis.best_move == reference.best_move
        assert np.allclose(analysis.policy, reference.visits / 48) and analysis.value == reference.root_value


def test_parsing_a_spec_loads_only_the_module_of_its_kind():
    code = ("import sys; from chessmesa.play.specs import parse_spec;"
            "parse_spec('random'); parse_spec('stockfish:nodes=5'); parse_spec('uci:cmd=x');"
            "assert 'numba' not in sys.modules and 'chessmesa.play.searchers' not in sys.modules;"
            "parse_spec('mcts:sims=5'); assert 'chessmesa.play.searchers' in sys.modules;"
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
