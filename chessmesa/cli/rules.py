"""``chessmesa perft``: the rules kernel from the command line."""

from __future__ import annotations

import sys

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, load_position, print_json, progress_bar


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

