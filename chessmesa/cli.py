"""The ``chessmesa`` command line: parse, call the library, print.

Exit codes: 0 success, 1 the work ran but failed (a perft mismatch, a failed validation), 2 bad
input, with a one-line error naming the bad value.
"""

from __future__ import annotations

import sys

import click

from chessmesa.cli_support import BadInput, console, load_position, print_json, progress_bar


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chessmesa")
def main() -> None:
    """chessmesa: the time-limited grandmaster in code.

    A numba MCTS engine labels positions; networks distilled from it play without search; the
    analysis measures how close the fast heuristic comes to the searcher.
    """


@main.command()
@click.argument("fen", nargs=-1)
@click.option("--depth", type=click.IntRange(0, 20), help="Depth of a single perft run.")
@click.option("--divide", is_flag=True, help="Also count the nodes below each root move.")
@click.option("--epd", "epd_file", type=click.Path(dir_okay=False),
              help="Verify every 'Dn count' of a perft suite (FEN; D1 n; D2 n; ...).")
@click.option("--max-depth", type=click.IntRange(1, 20), help="With --epd: skip deeper counts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def perft(fen, depth, divide, epd_file, max_depth, as_json):
    """Count leaf nodes of the legal move tree: FEN (or 'startpos') to --depth N, or a whole
    --epd suite (exit 1 on any mismatch).

    \b
    chessmesa perft startpos --depth 5
    chessmesa perft "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1" --depth 4 --divide
    chessmesa perft --epd data/perft/perft_suite.epd --max-depth 4
    """
    from chessmesa.core.perft_suite import SuiteError, read_perft_suite, run_perft, verify_perft_suite

    if epd_file:
        if fen or depth is not None:
            raise BadInput("give either --epd FILE or a FEN with --depth, not both")
        try:
            entries = read_perft_suite(epd_file)
            with progress_bar("perft suite", len(entries), enabled=not as_json) as advance:
                report = verify_perft_suite(entries, max_depth, lambda nodes: advance())
        except SuiteError as error:
            raise BadInput(str(error)) from None
        if as_json:
            print_json(report)
        else:
            for miss in report["mismatches"]:
                console.print(
                    f"[red]MISMATCH[/] {miss['fen']} depth {miss['depth']}: expected "
                    f"{miss['expected']}, got {miss['nodes']}"
                )
            console.print(
                f"{report['checks'] - len(report['mismatches'])}/{report['checks']} counts match "
                f"over {report['positions']} positions; {report['nodes']:,} nodes in "
                f"{report['seconds']:.2f} s ({report['nps'] / 1e6:.1f} M nodes/s)"
            )
        sys.exit(1 if report["mismatches"] else 0)
    if depth is None:
        raise BadInput("missing --depth N (or --epd FILE)")
    position = load_position(" ".join(fen) or "startpos")
    report = run_perft(position, depth, divide)
    if as_json:
        print_json(report)
        return
    for move, nodes in report.get("divide", {}).items():
        console.print(f"{move}: {nodes}")
    console.print(
        f"Nodes: {report['nodes']:,}  time {report['seconds']:.3f} s  "
        f"{report['nps'] / 1e6:.1f} M nodes/s"
    )


if __name__ == "__main__":
    main()


def _player(spec: str, seed: int | None = None):
    """A player from an engine spec; a bad spec becomes ``BadInput`` naming it."""
    from chessmesa.play.players import make_player

    try:
        return make_player(spec, seed=seed)
    except ValueError as error:
        raise BadInput(str(error)) from None


@main.command()
@click.argument("fen", nargs=-1)
@click.option("--sims", type=click.IntRange(1), help="Simulations (nodes) to search.")
@click.option("--movetime", type=click.IntRange(1), help="Milliseconds to search.")
@click.option("--engine", "spec", default="mcts", show_default=True, help="Engine spec.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--top", type=click.IntRange(1), default=10, show_default=True,
              help="Root moves shown in the table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(fen, sims, movetime, spec, seed, top, as_json):
    """Search a position (FEN or 'startpos') and show the root statistics.

    \b
    chessmesa search startpos --sims 10000
    chessmesa search "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1" --movetime 200 --json
    chessmesa search startpos --sims 400 --engine mcts:gumbel=true,cpuct=3
    """
    from chessmesa.play.players import Limit

    position = load_position(" ".join(fen) or "startpos")
    player = _player(spec, seed)
    limit = Limit(nodes=sims, movetime_ms=movetime)
    searcher = getattr(player, "searcher", None)
    if searcher is None:  # engines without root statistics: only their move
        choice = player.choose(position.to_board(), limit)
        report = {"fen": position.fen(), "engine": player.name, "best_move": choice.move.uci(),
                  "sims": choice.nodes, "seconds": choice.seconds, "score_cp": choice.score_cp,
                  "pv": [m.uci() for m in choice.pv]}
        player.close()
        print_json(report) if as_json else console.print(f"bestmove {report['best_move']}")
        return
    from chessmesa.play.searchers import search_limits

    sims, movetime_ms = search_limits(player.options, limit, position.to_board().turn)
    result = searcher.search(position, sims=sims, movetime_ms=movetime_ms, reuse=False)
    report = {"fen": position.fen(), "engine": player.name, **result.to_dict()}
    if as_json:
        print_json(report)
        return
    from chessmesa.cli_support import search_table

    console.print(search_table(result, top))
    nps = result.sims / result.seconds if result.seconds else 0
    console.print(f"bestmove [bold]{result.best_move}[/]  value {result.root_value:+.3f} "
                  f"({result.score_cp:+d} cp)  pv {' '.join(result.pv[:12])}")
    console.print(f"{result.sims:,} simulations, {result.nodes:,} nodes in {result.seconds:.3f} s "
                  f"({nps:,.0f} sims/s); stop: {result.stop_reason}"
                  + (f"; proven {result.proven}" if result.proven else ""))


@main.command()
@click.option("--epd", "epd_file", required=True, type=click.Path(dir_okay=False),
              help="EPD suite with bm/am operations.")
@click.option("--engine", "spec", required=True, help="Engine spec, e.g. mcts:sims=1000.")
@click.option("--sims", type=click.IntRange(1), help="Simulations per position (else the spec's).")
@click.option("--movetime", type=click.IntRange(1), help="Milliseconds per position.")
@click.option("--limit", "max_positions", type=click.IntRange(1), help="Only the first N positions.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def solve(epd_file, spec, sims, movetime, max_positions, seed, as_json):
    """Run an EPD test suite (bm/am) and count the positions solved.

    \b
    chessmesa solve --epd data/tactics/wac.epd --engine mcts:sims=1000
    """
    from chessmesa.analysis.epd_suite import SuiteError, read_epd_suite, solve_suite
    from chessmesa.play.players import Limit

    try:
        positions = read_epd_suite(epd_file)[:max_positions]
    except SuiteError as error:
        raise BadInput(str(error)) from None
    player = _player(spec, seed)
    with progress_bar(f"solving {epd_file}", len(positions), enabled=not as_json) as advance:
        report = solve_suite(player, positions, Limit(nodes=sims, movetime_ms=movetime),
                             lambda record: advance())
    player.close()
    report.update({"engine": player.name, "epd": str(epd_file)})
    if as_json:
        print_json(report)
        return
    for record in report["results"]:
        if not record["solved"]:
            wanted = "bm " + " ".join(record["bm"]) if record["bm"] else "am " + " ".join(record["am"])
            console.print(f"[red]missed[/] {record['id']}: played {record['move']}, {wanted}")
    console.print(f"solved {report['solved']}/{report['total']} ({report['share']:.1%}) "
                  f"in {report['seconds']:.1f} s with {player.name}")


def _adjudication(max_moves, resign_cp, draw_cp):
    from chessmesa.play.match import Adjudication

    return Adjudication(max_moves=max_moves, resign_cp=resign_cp, draw_cp=draw_cp)


def _games_progress(total: int, enabled: bool):
    """A progress bar advanced by the match runner's per-game callback."""
    return progress_bar("games", total, enabled=enabled)


_match_options = [
    click.option("--tc", default="spec", show_default=True,
                 help="Time control: MOVES/SECONDS+INC (40/60+0.6), SECONDS+INC (10+0.1), "
                      "movetime=MS, nodes=N, or spec (each engine's own budget, e.g. mcts:sims=400)."),
    click.option("--openings", type=click.Path(dir_okay=False),
                 help="EPD/FEN or PGN openings, each played twice with colours swapped."),
    click.option("--concurrency", type=click.IntRange(1), default=1, show_default=True,
                 help="Games played in parallel (worker processes)."),
    click.option("--max-moves", type=click.IntRange(1), default=200, show_default=True,
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


def _parse_sprt(text: str | None):
    """``elo0=0,elo1=10,alpha=0.05,beta=0.05`` (commas or spaces) as an SprtConfig."""
    if text is None:
        return None
    from chessmesa.analysis.ratings import SprtConfig

    try:
        fields = dict(part.split("=", 1) for part in text.replace(",", " ").split())
        return SprtConfig(**{k: (v if k == "model" else float(v)) for k, v in fields.items()})
    except (ValueError, TypeError) as error:
        raise BadInput(f"bad --sprt {text!r}: {error}") from None


@main.command()
@click.argument("spec_a")
@click.argument("spec_b")
@click.option("--games", type=click.IntRange(1), required=True, help="Games to play (pairs of two).")
@click.option("--sprt", help="Stop early by a pentanomial SPRT: 'elo0=0 elo1=10 alpha=0.05 beta=0.05'.")
@match_options
def match(spec_a, spec_b, games, sprt, tc, openings, concurrency, max_moves, resign_cp, draw_cp,
          pgn_out, seed, as_json):
    """Play SPEC_A against SPEC_B and report W/D/L, pentanomial pairs, Elo with a 95% interval.

    \b
    chessmesa match mcts:sims=400 random --games 20 --concurrency 2
    chessmesa match mcts:sims=800 sf1 --games 100 --openings data/openings/noob_2moves.epd --sprt "elo0=0 elo1=50"
    """
    from chessmesa.analysis.ratings import sprt as run_sprt
    from chessmesa.analysis.tournament import match_stats
    from chessmesa.play.match import run_match

    sprt_config = _parse_sprt(sprt)
    _player(spec_a).close(), _player(spec_b).close()  # bad specs fail here, before any game

    def decided(result) -> bool:
        if sprt_config is None or not sum(result.pentanomial()):
            return False
        return run_sprt(result.pentanomial(), sprt_config).decision is not None

    try:
        with _games_progress(games, not as_json) as advance:
            result = run_match(spec_a, spec_b, games, openings=openings, tc=tc,
                               concurrency=concurrency,
                               adjudication=_adjudication(max_moves, resign_cp, draw_cp),
                               seed=seed, pgn_out=pgn_out, progress=lambda game, _: advance(),
                               should_stop=decided)
    except ValueError as error:
        raise BadInput(str(error)) from None
    stats = match_stats(result, sprt_config).to_dict()
    stats.update({"engine_a": result.name_a, "engine_b": result.name_b, "tc": tc,
                  "games": len(result.games)})
    if as_json:
        print_json(stats)
        return
    from chessmesa.cli_support import match_summary

    console.print(match_summary(stats))


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--games-per-pair", type=click.IntRange(1), required=True)
@click.option("--gauntlet", is_flag=True, help="The first engine plays each of the others only.")
@click.option("--anchor", help="Player whose rating is fixed (default: the first).")
@click.option("--anchor-elo", type=float, default=0.0, show_default=True)
@match_options
def tournament(specs, games_per_pair, gauntlet, anchor, anchor_elo, tc, openings, concurrency,
               max_moves, resign_cp, draw_cp, pgn_out, seed, as_json):
    """Round robin (or gauntlet) with Bradley-Terry ratings and bootstrap 95% intervals.

    \b
    chessmesa tournament random greedy mcts:sims=100 mcts:sims=400 --games-per-pair 10 --concurrency 2
    """
    from chessmesa.analysis.tournament import tournament_ratings
    from chessmesa.play.match import run_gauntlet, run_round_robin

    if len(specs) < 2:
        raise BadInput("a tournament needs at least two engines")
    for spec in specs:
        _player(spec).close()
    runner = run_gauntlet if gauntlet else run_round_robin
    pairings = len(specs) - 1 if gauntlet else len(specs) * (len(specs) - 1) // 2
    try:
        with _games_progress(pairings * games_per_pair, not as_json) as advance:
            result = runner(list(specs), games_per_pair, openings=openings, tc=tc,
                            concurrency=concurrency,
                            adjudication=_adjudication(max_moves, resign_cp, draw_cp), seed=seed,
                            pgn_out=pgn_out, progress=lambda game, _: advance())
        rows = tournament_ratings(result, anchor=anchor, anchor_rating=anchor_elo, seed=seed)
    except ValueError as error:
        raise BadInput(str(error)) from None
    report = {"players": [row.to_dict() for row in rows], "anchor": anchor or result.names[0],
              "anchor_elo": anchor_elo, "tc": tc, "games_per_pair": games_per_pair,
              "table": [{"a": a, "b": b, "wdl": list(wdl)} for (a, b), wdl in result.table().items()]}
    if as_json:
        print_json(report)
        return
    from chessmesa.cli_support import ratings_table

    console.print(ratings_table(rows, report["anchor"], anchor_elo))


@main.command()
@click.option("--engine", "spec", default="mcts", show_default=True, help="Engine spec.")
def uci(spec):
    """Speak UCI on stdin/stdout (for any chess GUI, or python-chess's SimpleEngine)."""
    from chessmesa.play.uci_server import serve

    player = _player(spec)
    serve(lambda: player, sys.stdin, sys.stdout, sys.stderr)


@main.command()
@click.option("--engine", "spec", default="mcts:sims=800", show_default=True, help="Engine spec.")
@click.option("--color", type=click.Choice(["white", "black"]), default="white", show_default=True)
@click.option("--pgn-out", type=click.Path(dir_okay=False), default="game.pgn", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def play(spec, color, pgn_out, seed):
    """Play against an engine in the terminal (SAN or UCI moves; undo, hint, resign, draw, help)."""
    import chess

    from chessmesa.play.terminal import play_game

    player = _player(spec, seed)
    play_game(player, chess.WHITE if color == "white" else chess.BLACK, sys.stdin, console, pgn_out)
