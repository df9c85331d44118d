"""Matches and tournaments: game pairs, PGN, pentanomial counts, clocks, adjudication, early stop."""

import io
import shutil
import time

import chess
import chess.pgn
import pytest

from chessmesa.play.match import (
    Adjudication,
    MatchResult,
    TimeControl,
    load_openings,
    run_gauntlet,
    run_match,
    run_round_robin,
)
from chessmesa.play.players import Choice, Limit, RandomPlayer
from chessmesa.play.specs import register_kind

needs_stockfish = pytest.mark.skipif(
    shutil.which("stockfish") is None and shutil.which("stockfish", path="/usr/games") is None,
    reason="stockfish is not installed",
)

OPENINGS = [
    "rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2",
    "rnbqkbnr/pp1ppppp/8/2p5/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2",
]


class ScriptedPlayer(RandomPlayer):
    """Random moves with a fixed score, an optional delay per move and a log of its limits."""

    def __init__(self, name, seed, score=None, delay=0.0):
        super().__init__(name, seed)
        self.score, self.delay, self.limits = score, delay, []

    def choose(self, board, limit, stop=None, on_info=None):
        self.limits.append(limit)
        time.sleep(self.delay)
        return Choice(super().choose(board, limit).move, score_cp=self.score)


class IllegalPlayer(RandomPlayer):
    def choose(self, board, limit, stop=None, on_info=None):
        return Choice(chess.Move.null())


scripted: list[ScriptedPlayer] = []


def make_scripted(spec, seed):
    scripted.append(ScriptedPlayer(spec.name, seed, spec.options.get("score"), spec.options.get("delay", 0.0)))
    return scripted[-1]


# Registered in this process only: matches using them run with concurrency=1.
register_kind("test-scripted", make_scripted, {"seed": int, "score": int, "delay": float}, "scripted test player")
register_kind("test-illegal", lambda spec, seed: IllegalPlayer(spec.name, seed), {}, "always plays a null move")


def test_time_control_parsing():
    assert TimeControl.parse("40/60+0.6") == TimeControl(base_ms=60_000, inc_ms=600, moves=40)
    assert TimeControl.parse("10+0.1") == TimeControl(base_ms=10_000, inc_ms=100)
    assert TimeControl.parse("5") == TimeControl(base_ms=5_000)
    assert TimeControl.parse("movetime=100") == TimeControl(movetime_ms=100)
    assert TimeControl.parse("nodes=1000").limit_for_move() == Limit(nodes=1000)
    for bad in ["", "10+", "fast", "0+1", "nodes=", "nodes=-5", "0/60+1", "depth=3"]:
        with pytest.raises(ValueError, match="bad time control"):
            TimeControl.parse(bad)


def test_load_openings_epd_fen_and_pgn(tmp_path):
    epd = tmp_path / "book.epd"
    epd.write_text(
        "# comment\n"
        "rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2\n\n"
        'rnbqkbnr/pp1ppppp/8/2p5/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - hmvc 0; fmvn 2; id "sicilian";\n'
    )
    assert load_openings(epd) == OPENINGS
    pgn = tmp_path / "book.pgn"
    pgn.write_text("1. e4 e5 *\n\n1. e4 c5 *\n")
    assert load_openings(pgn) == OPENINGS
    bad = tmp_path / "bad.epd"
    bad.write_text(OPENINGS[0] + "\nnot a position\n")
    with pytest.raises(ValueError, match="bad.epd:2"):
        load_openings(bad)
    with pytest.raises(ValueError, match="not found"):
        load_openings(tmp_path / "missing.epd")


def check_games(result: MatchResult, pgn_text: str, openings: list[str]) -> None:
    """Every game legal, its PGN parseable and consistent with the record; colours swapped per pair."""
    stream = io.StringIO(pgn_text)
    parsed = {}
    while (game := chess.pgn.read_game(stream)) is not None:
        assert not game.errors
        parsed[game.headers["Round"]] = game
    assert len(parsed) == len(result.games)
    for record in result.games:
        game = parsed[f"{record.pair + 1}.{record.game + 1}"]
        assert game.headers["Result"] == record.result in ("1-0", "0-1", "1/2-1/2")
        assert (game.headers["White"], game.headers["Black"]) == (record.white, record.black)
        assert game.headers["FEN"] == record.opening_fen == openings[record.pair % len(openings)]
        assert game.headers["SetUp"] == "1" and game.headers["Termination"] == record.termination
        board = game.end().board()
        assert len(board.move_stack) == record.plies
        if record.termination == "normal":
            assert board.outcome(claim_draw=True).result() == record.result
    for first, second in result.pairs():
        assert first.a_is_white and not second.a_is_white
        assert first.opening_fen == second.opening_fen
        assert (first.white, first.black) == (second.black, second.white)


def test_random_vs_random_in_parallel(tmp_path):
    pgn = tmp_path / "games.pgn"
    seen = []
    result = run_match(
        "random:seed=1", "random:seed=2", games=6, openings=OPENINGS, tc="nodes=1",
        concurrency=2, pgn_out=pgn, progress=lambda record, so_far: seen.append(len(so_far.games)),
    )
    assert [(g.pair, g.game) for g in result.games] == [(p, g) for p in range(3) for g in range(2)]
    assert seen == list(range(1, 7))
    check_games(result, pgn.read_text(), OPENINGS)


def test_pentanomial_counts_match_game_results():
    result = run_match("test-scripted:seed=3", "random:seed=4", games=7, tc="nodes=1",
                       adjudication=Adjudication(max_moves=30))
    assert len(result.games) == 7 and len(result.pairs()) == 3
    penta = result.pentanomial()
    assert sum(penta) == 3
    pair_scores = sorted(first.score_a + second.score_a for first, second in result.pairs())
    assert pair_scores == sorted(score / 2 for score, count in enumerate(penta) for _ in range(count))
    wins, draws, losses = result.wdl()
    assert wins + draws + losses == 7
    assert result.score() == pytest.approx((wins + draws / 2) / 7)


@needs_stockfish
def test_stockfish_beats_random_with_legal_pgn(tmp_path):
    pgn = tmp_path / "games.pgn"
    result = run_match("stockfish:nodes=200", "random:seed=5", games=2, openings=OPENINGS, tc="10+0.1",
                       concurrency=2, pgn_out=pgn)
    check_games(result, pgn.read_text(), OPENINGS)
    assert result.wdl()[0] == 2


def test_player_that_overruns_its_clock_loses_on_time():
    result = run_match("test-scripted:delay=0.3,seed=1", "random:seed=1", games=2, tc="0.2+0")
    assert [game.reason for game in result.games] == ["time forfeit", "time forfeit"]
    assert [game.termination for game in result.games] == ["time forfeit", "time forfeit"]
    assert result.wdl() == (0, 0, 2)


def test_clock_periods_and_increments_reach_the_players():
    scripted.clear()
    result = run_match("test-scripted:delay=0.1,seed=1", "random:seed=2", games=1, tc="2/0.4+0.01",
                       adjudication=Adjudication(max_moves=6))
    assert result.games[0].reason == "max moves"  # 0.6 s of thinking on a 0.4 s clock: periods add time
    warm_up, *limits = scripted[-1].limits  # a match warms each player with one move first
    assert warm_up.nodes == 1 and warm_up.wtime_ms is None
    assert [limit.movestogo for limit in limits] == [2, 1, 2, 1, 2, 1]
    assert limits[0].wtime_ms == 400 and limits[0].winc_ms == 10
    assert 300 < limits[1].wtime_ms < 320  # 400 - ~100 thinking + 10 increment
    assert 600 < limits[2].wtime_ms < 640  # a new period adds 400


def test_illegal_move_loses():
    result = run_match("test-illegal", "random:seed=1", games=2, tc="nodes=1")
    assert [game.termination for game in result.games] == ["rules infraction"] * 2
    assert result.wdl() == (0, 0, 2)


def test_max_moves_adjudication():
    result = run_match("random:seed=1", "random:seed=2", games=2, tc="nodes=1", adjudication=Adjudication(max_moves=5))
    assert [(game.result, game.reason, game.plies) for game in result.games] == [("1/2-1/2", "max moves", 10)] * 2


def test_resign_adjudication_one_sided_and_two_sided():
    rules = Adjudication(resign_cp=500, resign_moves=3, resign_both=False, max_moves=40)
    result = run_match("test-scripted:score=900,seed=1", "random:seed=2", games=2, tc="nodes=1", adjudication=rules)
    for game in result.games:
        assert game.reason in ("resign adjudication", "checkmate")
        assert game.score_a == 1.0
    # Two-sided: the random engine never agrees, so no resignation.
    both = Adjudication(resign_cp=500, resign_moves=3, resign_both=True, max_moves=10)
    result = run_match("test-scripted:score=900,seed=1", "random:seed=2", games=2, tc="nodes=1", adjudication=both)
    assert "resign adjudication" not in [game.reason for game in result.games]
    # Both engines agree that A is lost.
    result = run_match("test-scripted:score=-900,seed=1", "test-scripted:score=900,seed=2", games=2, tc="nodes=1",
                       adjudication=Adjudication(resign_cp=500, resign_moves=3))
    assert [(game.reason, game.score_a) for game in result.games] == [("resign adjudication", 0.0)] * 2
    assert all(game.plies <= 6 for game in result.games)


def test_draw_adjudication():
    rules = Adjudication(draw_cp=10, draw_moves=4, draw_after=1)
    result = run_match("test-scripted:score=0,seed=1", "test-scripted:score=5,seed=2", games=2, tc="nodes=1",
                       adjudication=rules)
    outcomes = [(game.result, game.reason, game.plies) for game in result.games]
    assert outcomes == [("1/2-1/2", "draw adjudication", 8)] * 2


def test_should_stop_ends_a_match_early():
    calls = []

    def should_stop(so_far):
        calls.append(len(so_far.games))
        return len(so_far.games) >= 2

    result = run_match("random:seed=1", "random:seed=2", games=20, tc="nodes=1", should_stop=should_stop)
    assert len(result.games) == 2 and calls == [2]
    result = run_match("random:seed=1", "random:seed=2", games=40, tc="nodes=1", concurrency=2,
                       adjudication=Adjudication(max_moves=20), should_stop=lambda so_far: len(so_far.games) >= 2)
    assert 2 <= len(result.games) < 40


def test_round_robin_and_gauntlet_tables():
    specs = ["random:seed=1", "random:seed=2", "test-scripted:seed=3"]
    table = run_round_robin(specs, 2, tc="nodes=1", adjudication=Adjudication(max_moves=20)).table()
    assert len(table) == 6
    for (x, y), (wins, draws, losses) in table.items():
        assert wins + draws + losses == 2
        assert table[y, x] == (losses, draws, wins)
    gauntlet = run_gauntlet(specs, 2, tc="nodes=1", adjudication=Adjudication(max_moves=20))
    assert [(m.name_a, m.name_b) for m in gauntlet.matches] == [(specs[0], specs[1]), (specs[0], specs[2])]
    with pytest.raises(ValueError, match="repeated: random"):
        run_round_robin(["random", "random"], 2, tc="nodes=1")


def test_round_robin_pairs_share_one_pool():
    result = run_round_robin(["random:seed=1", "random:seed=2", "random:seed=3"], 2, tc="nodes=1", concurrency=2,
                             adjudication=Adjudication(max_moves=20))
    assert [len(match.games) for match in result.matches] == [2, 2, 2]
    assert all(sum(match.pentanomial()) == 1 for match in result.matches)


def test_a_finished_match_reads_back_from_its_dict():
    match = run_match("random:seed=1", "greedy", 2, tc="nodes=1", adjudication=Adjudication(max_moves=20))
    again = MatchResult.from_dict(match.to_dict())
    assert again == match and again.pentanomial() == match.pentanomial() and len(again.games) == 2


@needs_stockfish
def test_tournament_rates_every_player_on_stockfish_scale_and_against_random():
    from click.testing import CliRunner

    from chessmesa.cli import main

    run = CliRunner().invoke(main, ["tournament", "random", "greedy", "--stockfish-elo", "1350",
                                    "--games-per-pair", "2", "--max-moves", "40", "--json"])
    assert run.exit_code == 0, run.output
    import json

    report = json.loads(run.output)
    assert report["anchor"] == "sf-1350" and report["anchor_elo"] == 1350
    scales = {scale["anchor"]: {row["name"]: row for row in scale["players"]} for scale in report["scales"]}
    assert set(scales) == {"sf-1350", "random"}
    assert scales["sf-1350"]["sf-1350"]["rating"] == 1350 and scales["random"]["random"]["rating"] == 0
    # one fit, two anchors: the gaps between players agree on both scales
    gap = scales["sf-1350"]["greedy"]["rating"] - scales["sf-1350"]["random"]["rating"]
    assert abs(gap - scales["random"]["greedy"]["rating"]) < 0.5  # two fits, each to its tolerance
    bad = CliRunner().invoke(main, ["tournament", "random", "--stockfish-elo", "1000", "--games-per-pair", "2"])
    assert bad.exit_code == 2 and "1000" in bad.output and "1350" in bad.output
