"""Short games between every pair of engine kinds end with a legal result."""

import io
import itertools

import chess
import chess.pgn

from chessmesa.play.match import Adjudication, run_round_robin
from chessmesa.play.external import find_stockfish


def test_every_pair_of_kinds_plays_legal_games(tmp_path):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    stockfish = find_stockfish()
    specs = ["random:seed=1", "greedy", "mcts:sims=16", f"policy:ckpt={tmp_path}",
             f"netmcts:ckpt={tmp_path},sims=8,batch=4", "stockfish:nodes=50,skill=0",
             f"uci:cmd={stockfish},nodes=50"]
    result = run_round_robin(specs, 1, tc="spec", adjudication=Adjudication(max_moves=40), seed=3)
    played = {(m.name_a, m.name_b) for m in result.matches if m.games}
    assert played == set(itertools.combinations(result.names, 2))
    for match in result.matches:
        for game in match.games:
            assert game.result in ("1-0", "0-1", "1/2-1/2")
            record = chess.pgn.read_game(io.StringIO(game.pgn))
            board = record.board()
            for move in record.mainline_moves():
                assert move in board.legal_moves
                board.push(move)
            assert record.headers["Result"] == game.result


def test_mcts_never_loses_on_time_at_two_seconds_plus_increment():
    from chessmesa.play.match import run_match

    result = run_match("mcts", "random:seed=2", 2, tc="2+0.05", concurrency=2,
                       adjudication=Adjudication(max_moves=80), seed=5)
    assert len(result.games) == 2
    assert all(game.reason != "time forfeit" for game in result.games)
    assert result.score() >= 0.75  # and it still beats random under the clock
