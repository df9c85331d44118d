"""Players: limits, time management, the random player and Stockfish through python-chess."""

import shutil
import threading
import time

import chess
import pytest

from chessmesa.play.base import SAFETY_MARGIN_MS, Limit, Player, SearchInfo, allot_time
from chessmesa.play.players import make_player

needs_stockfish = pytest.mark.skipif(
    shutil.which("stockfish") is None and shutil.which("stockfish", path="/usr/games") is None,
    reason="stockfish is not installed",
)


def test_allot_time_movetime_and_no_time():
    assert allot_time(Limit(movetime_ms=250), chess.WHITE) == 0.25
    assert allot_time(Limit(nodes=100), chess.WHITE) is None


def test_allot_time_shares_the_clock_and_keeps_a_margin():
    limit = Limit(wtime_ms=30_000, btime_ms=3_000, winc_ms=1_000, binc_ms=100)
    white, black = allot_time(limit, chess.WHITE), allot_time(limit, chess.BLACK)
    assert white == pytest.approx(30 / 30 + 0.75)
    assert black == pytest.approx(3 / 30 + 0.075)
    # Last move before the time control: everything but the margin, never more.
    last_move = allot_time(Limit(wtime_ms=2_000, movestogo=1), chess.WHITE)
    assert last_move == pytest.approx((2_000 - SAFETY_MARGIN_MS) / 1000)
    assert allot_time(Limit(btime_ms=100, binc_ms=5_000), chess.BLACK) == pytest.approx((100 - SAFETY_MARGIN_MS) / 1000)
    assert allot_time(Limit(wtime_ms=10), chess.WHITE) == 0.0


def test_limit_defaults_fill_only_unset_fields():
    spec_limits = Limit(nodes=800, movetime_ms=5_000)
    assert Limit(movetime_ms=100).with_defaults(spec_limits) == Limit(nodes=800, movetime_ms=100)
    assert Limit(infinite=True).with_defaults(spec_limits) == Limit(infinite=True)
    assert Limit().is_empty() and not Limit(depth=1).is_empty()


def test_random_player_is_legal_and_reproducible():
    def moves(seed):
        player = make_player(f"random:seed={seed}")
        assert isinstance(player, Player)
        board, played = chess.Board(), []
        while not board.is_game_over() and len(played) < 60:
            choice = player.choose(board, Limit())
            assert choice.move in board.legal_moves and choice.score_cp is None
            board.push(choice.move)
            played.append(choice.move)
        return played

    assert moves(5) == moves(5)
    assert moves(5) != moves(6)


def test_seed_argument_is_used_when_the_spec_has_none():
    first = make_player("random", seed=9).choose(chess.Board(), Limit()).move
    assert all(make_player("random", seed=9).choose(chess.Board(), Limit()).move == first for _ in range(3))


@needs_stockfish
def test_stockfish_player_reports_score_pv_and_info():
    player = make_player("stockfish:nodes=2000")
    infos: list[SearchInfo] = []
    try:
        board = chess.Board("6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1")
        choice = player.choose(board, Limit(), on_info=infos.append)
        assert choice.move == chess.Move.from_uci("d1d8")
        assert choice.score_cp is not None and choice.score_cp > 90_000  # mate in one
        assert choice.pv[0] == choice.move and choice.nodes > 0
        assert infos and all(info.pv for info in infos)
        # The caller's limit wins over the spec's nodes.
        assert player.choose(chess.Board(), Limit(depth=1)).nodes < 2000
    finally:
        player.close()


@needs_stockfish
def test_stockfish_infinite_search_honours_stop():
    player = make_player("stockfish:threads=1,hash=16")
    stop = threading.Event()
    try:
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        choice = player.choose(chess.Board(), Limit(infinite=True), stop)
        elapsed = time.monotonic() - started
        assert 0.25 < elapsed < 0.8
        assert choice.move in chess.Board().legal_moves
    finally:
        player.close()


@needs_stockfish
def test_stockfish_elo_out_of_range_is_a_spec_error():
    with pytest.raises(ValueError, match="UCI_Elo"):
        make_player("stockfish:elo=100")
