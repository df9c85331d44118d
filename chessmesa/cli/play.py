"""``chessmesa match``, ``tournament``, ``uci`` and ``play``: engines at the board."""

from __future__ import annotations

import sys

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, make_cli_player, print_json, progress_bar, renamed_option
from chessmesa.play.game import DEFAULT_MAX_MOVES


def _adjudication(claim_draws, max_moves, resign_cp, draw_cp):
    from chessmesa.play.game import Adjudication

    return Adjudication(claim_draws=claim_draws, max_moves=max_moves, resign_cp=resign_cp,
                        draw_cp=draw_cp)


_claim_draws_option = click.option(
    "--claim-draws/--no-claim-draws", default=True, show_default=True,
    help="End the game in a draw as soon as one can be claimed (threefold repetition, fifty "
         "moves); without, play on until the game ends by itself (fivefold, 75 moves).")


def _games_progress(total: int, enabled: bool):
    """A progress bar advanced by the match runner's per-game callback."""
    return progress_bar("games", total, enabled=enabled)


_match_options = [
    click.option("--tc", default="spec", show_default=True,
                 help="Time control: MOVES/SECONDS+INC (40/60+0.6), SECONDS+INC (10+0.1), "
                      "movetime=MS, nodes=N, or spec (each engine's own budget, e.g. mcts:sims=400)."),
    click.option("--openings", type=click.Path(dir_okay=False),
                 help="EPD/FEN or PGN openings, each played twice with colours swapped."),
    renamed_option("--workers", old="--concurrency", type=click.IntRange(1), default=1, show_default=True,
                   help="Games played in parallel (worker processes)."),
    _claim_draws_option,
    click.option("--max-moves", type=click.IntRange(1), default=DEFAULT_MAX_MOVES, show_default=True,
                 help="Adjudicate a draw after this many moves."),
    click.option("--resign-cp", type=click.IntRange(1), help="Adjudicate a loss beyond this score."),
    click.option("--draw-cp", type=click.IntRange(0), help="Adjudicate a draw within this score."),
    click.option("--pgn-out", type=click.Path(dir_okay=False), help="Write every game here."),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option("--json", "as_json", is_flag=True, help="Print JSON."),
]


def match_options(function):
    for option in reversed(_match_options):
        function = option(function)
    return function


def _check_match_inputs(specs, tc: str, openings: str | None) -> list[str]:
    """Fail on a bad spec, time control or openings file before any game starts; the players'
    names."""
    from chessmesa.play.game import TimeControl
    from chessmesa.play.match import load_openings

    names = []
    for spec in specs:
        player = make_cli_player(spec)
        names.append(player.name)
        player.close()
    try:
        TimeControl.parse(tc)
        if openings:
            load_openings(openings)
    except (OSError, ValueError) as error:
        raise BadInput(str(error)) from None
    return names


def _even_games(ctx, param, value: int) -> int:
    """``--games``: played in pairs with colours swapped, so an even number."""
    if value % 2:
        raise BadInput(f"--games {value}: games are played in pairs with colours swapped; give an even number")
    return value


def _parse_sprt(text: str | None):
    """``elo0=0,elo1=10,alpha=0.05,beta=0.05`` (commas or spaces) as an SprtConfig."""
    if text is None:
        return None
    from chessmesa.analysis.elo import SprtConfig

    try:
        fields = dict(part.split("=", 1) for part in text.replace(",", " ").split())
        return SprtConfig(**{k: (v if k == "model" else float(v)) for k, v in fields.items()})
    except (ValueError, TypeError) as error:
        raise BadInput(f"bad --sprt {text!r}: {error}") from None


@main.command()
@click.argument("spec_a")
@click.argument("spec_b")
@click.option("--games", type=click.IntRange(2), required=True, callback=_even_games,
              help="Games to play: an even number, each opening played twice with colours swapped.")
@click.option("--sprt", help="Stop early by a pentanomial SPRT: 'elo0=0 elo1=10 alpha=0.05 beta=0.05'.")
@match_options
def match(spec_a, spec_b, games, sprt, tc, openings, workers, claim_draws, max_moves, resign_cp,
          draw_cp, pgn_out, seed, as_json):
    """Play SPEC_A against SPEC_B and report W/D/L, pentanomial pairs, Elo with a 95% interval.

    \b
    chessmesa match mcts:sims=400 random --games 20 --workers 2
    chessmesa match mcts:sims=800 sf1 --games 100 --openings data/openings/noob_2moves.epd --sprt "elo0=0 elo1=50"
    """
    from chessmesa.analysis.elo import sprt as run_sprt
    from chessmesa.analysis.tournament import match_stats
    from chessmesa.play.match import run_match

    sprt_config = _parse_sprt(sprt)
    _check_match_inputs([spec_a, spec_b], tc, openings)

    def decided(result) -> bool:
        if sprt_config is None or not sum(result.pentanomial()):
            return False
        return run_sprt(result.pentanomial(), sprt_config).decision is not None

    with _games_progress(games, not as_json) as advance:
        result = run_match(spec_a, spec_b, games, openings=openings, tc=tc,
                           concurrency=workers,
                           adjudication=_adjudication(claim_draws, max_moves, resign_cp, draw_cp),
                           seed=seed, pgn_out=pgn_out, progress=lambda game, _: advance(),
                           should_stop=decided)
    stats = match_stats(result, sprt_config).to_dict()
    stats.update({"engine_a": result.name_a, "engine_b": result.name_b, "tc": tc,
                  "games": len(result.games)})
    if as_json:
        print_json(stats)
        return
    from chessmesa.cli.support import match_summary

    console.print(match_summary(stats))


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--games-per-pair", type=click.IntRange(1), required=True)
@click.option("--gauntlet", is_flag=True, help="The first engine plays each of the others only.")
@click.option("--anchor", help="Player whose rating is fixed (default: the weakest Stockfish level, "
                                "else the first).")
@click.option("--anchor-elo", type=float, help="The anchor's rating (default: a Stockfish level's Elo, else 0).")
@click.option("--stockfish-elo", "stockfish_levels", metavar="LEVELS",
              help="Add Stockfish limited to these Elo levels (UCI_Elo, 1350..2850), e.g. 1350,1600, "
                   "and rate every player on that scale (and against random, when it plays).")
@match_options
def tournament(specs, games_per_pair, gauntlet, anchor, anchor_elo, stockfish_levels, tc, openings, workers,
               claim_draws, max_moves, resign_cp, draw_cp, pgn_out, seed, as_json):
    """Round robin (or gauntlet) with Bradley-Terry ratings and bootstrap 95% intervals.

    \b
    chessmesa tournament random greedy mcts:sims=100 mcts:sims=400 --games-per-pair 10 --workers 2
    chessmesa tournament random mcts:sims=1 mcts:sims=1024 --stockfish-elo 1350,1600 --games-per-pair 20 \\
        --workers 2      # every player on Stockfish's Elo scale, and against random
    """
    from chessmesa.analysis.tournament import parse_stockfish_levels, rating_scales, stockfish_anchor
    from chessmesa.play.match import run_gauntlet, run_round_robin

    try:
        levels = parse_stockfish_levels(stockfish_levels) if stockfish_levels else ()
    except ValueError as error:
        raise BadInput(f"--stockfish-elo: {error}") from None
    specs = list(specs) + [stockfish_anchor(level) for level in levels]
    if len(specs) < 2:
        raise BadInput("a tournament needs at least two engines")
    if anchor is None and levels:
        anchor, anchor_elo = f"sf-{levels[0]}", float(levels[0]) if anchor_elo is None else anchor_elo
    anchor_elo = 0.0 if anchor_elo is None else anchor_elo
    names = _check_match_inputs(specs, tc, openings)
    if anchor is not None and anchor not in names:
        raise BadInput(f"--anchor {anchor!r} is not a player; players: {', '.join(names)}")
    runner = run_gauntlet if gauntlet else run_round_robin
    pairings = len(specs) - 1 if gauntlet else len(specs) * (len(specs) - 1) // 2
    with _games_progress(pairings * games_per_pair, not as_json) as advance:
        result = runner(list(specs), games_per_pair, openings=openings, tc=tc,
                        concurrency=workers,
                        adjudication=_adjudication(claim_draws, max_moves, resign_cp, draw_cp),
                        seed=seed,
                        pgn_out=pgn_out, progress=lambda game, _: advance())
    anchor = anchor or result.names[0]
    anchors = [(anchor, anchor_elo)] + ([("random", 0.0)] if "random" in result.names and anchor != "random" else [])
    scales = rating_scales(result, anchors, seed)
    report = {"players": scales[0]["players"], "anchor": anchor, "anchor_elo": anchor_elo, "scales": scales,
              "tc": tc, "games_per_pair": games_per_pair,
              "table": [{"a": a, "b": b, "wdl": list(wdl)} for (a, b), wdl in result.table().items()]}
    if as_json:
        print_json(report)
        return
    from chessmesa.cli.support import ratings_table

    console.print(ratings_table(scales))


class _UciCommand(click.Command):
    """``uci``'s help ends with the UCI options the default engine serves, read from the player."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from chessmesa.play.uci_server import option_line, served_options

        super().format_epilog(ctx, formatter)
        spec = next(param.default for param in self.params if param.name == "spec")
        player = make_cli_player(spec)
        try:
            lines = [option_line(option) for option in served_options(player)]
        finally:
            player.close()
        with formatter.section(f"UCI options of --engine {spec} (set with: setoption name NAME value VALUE)"):
            for line in lines:
                formatter.write_text(line)


@main.command(cls=_UciCommand)
@click.option("--engine", "spec", default="mcts", show_default=True, help="Engine spec.")
def uci(spec):
    """Speak UCI on stdin/stdout (for any chess GUI, or python-chess's SimpleEngine).

    In a GUI (Cute Chess, Arena, BanksiaGUI, ...), add an engine whose command is
    "chessmesa uci --engine SPEC"; from a match runner:

    \b
    cutechess-cli -engine name=mesa cmd=chessmesa arg=uci arg=--engine arg=mcts:movetime=1000 \\
        -engine cmd=/usr/games/stockfish -each proto=uci tc=40/60 -games 2
    """
    from chessmesa.play.uci_server import serve

    player = make_cli_player(spec)
    serve(lambda: player, sys.stdin, sys.stdout, sys.stderr)


@main.command()
@click.option("--engine", "spec", default="mcts:sims=800", show_default=True, help="Engine spec.")
@click.option("--color", type=click.Choice(["white", "black"]), default="white", show_default=True,
              help="Your colour.")
@click.option("--fen", default="startpos", show_default=True, help="The position to start from (a FEN).")
@click.option("--tc", default="spec", show_default=True,
              help="The engine's time control, as for match: its spec's budget (spec), movetime=MS, "
                   "nodes=N, or a clock, SECONDS+INC or MOVES/SECONDS+INC, that only its moves spend.")
@click.option("--pgn-out", type=click.Path(dir_okay=False), default="game.pgn", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_claim_draws_option
def play(spec, color, fen, tc, pgn_out, seed, claim_draws):
    """Play against an engine in the terminal (SAN or UCI moves; undo, hint, resign, draw, help).

    \b
    chessmesa play --engine mcts:sims=800 --color black
    chessmesa play --engine mcts --tc 300+3 --fen "6k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1"
    """
    import chess

    from chessmesa.cli.support import load_position
    from chessmesa.play.game import TimeControl
    from chessmesa.play.terminal import play_in_terminal

    board = load_position(fen).to_board()
    try:
        time_control = TimeControl.parse(tc)
    except ValueError as error:
        raise BadInput(f"--tc: {error}") from None
    player = make_cli_player(spec, seed)
    play_in_terminal(player, chess.WHITE if color == "white" else chess.BLACK, sys.stdin, console, pgn_out,
                     tc=time_control, board=board, claim_draws=claim_draws)
