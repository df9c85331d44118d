"""``chessmesa search`` and ``chessmesa solve``: the searcher on one position or a suite."""

from __future__ import annotations

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, load_position, make_cli_player, print_json, progress_bar

INT32_MAX = 2**31 - 1  # chessmesa.play.players.INT32_MAX, without importing play at start-up


@main.command()
@click.argument("fen", nargs=-1)
@click.option("--sims", type=click.IntRange(1, INT32_MAX), help="Simulations (nodes) to search.")
@click.option("--movetime", type=click.IntRange(1, INT32_MAX), help="Milliseconds to search.")
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
    player = make_cli_player(spec, seed)
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
    from chessmesa.cli.support import search_table

    console.print(search_table(result, top))
    nps = result.sims / result.seconds if result.seconds else 0
    console.print(f"bestmove [bold]{result.best_move}[/]  value {result.root_value:+.3f} "
                  f"({result.score_cp:+d} cp)  pv {' '.join(result.pv[:12])}")
    console.print(f"{result.sims:,} simulations, {result.nodes:,} nodes in {result.seconds:.3f} s "
                  f"({nps:,.0f} sims/s); stop: {result.stop_reason}"
                  + (f"; proven {result.proven}" if result.proven else ""))
    if result.status in ("fifty_moves", "threefold_repetition"):
        console.print(f"a draw can be claimed here ({result.status.replace('_', ' ')}); "
                      "the move is the search's all the same")
    elif result.status != "ongoing" and result.best_move is not None:
        console.print(f"the game is over here ({result.status.replace('_', ' ')}); the move is "
                      "for playing on")


@main.command()
@click.option("--epd", "epd_file", required=True, type=click.Path(dir_okay=False),
              help="EPD suite with bm/am operations.")
@click.option("--engine", "spec", required=True, help="Engine spec, e.g. mcts:sims=1000.")
@click.option("--sims", type=click.IntRange(1, INT32_MAX), help="Simulations per position (else the spec's).")
@click.option("--movetime", type=click.IntRange(1, INT32_MAX), help="Milliseconds per position.")
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
    player = make_cli_player(spec, seed)
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
