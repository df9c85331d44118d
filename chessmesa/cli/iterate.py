"""``chessmesa iterate``: expert iteration, each generation's student labelling the next."""

from __future__ import annotations

import click
from rich.console import Console

from chessmesa.cli import main
from chessmesa.analysis.answer import format_interval
from chessmesa.cli.support import BadInput, console, print_json, progress_bar, renamed_option


def generations_table(summary: dict):
    """Each generation's agreement with its teacher and its Elo, alone and with search."""
    from rich.table import Table

    anchors = summary["anchors"]
    table = Table(title=f"expert iteration at {summary['config']['budget']} simulations (95% intervals)")
    for column in ("generation", "labelled by", "top-1 vs teacher", f"Elo alone ({anchors['alone']} = 0)",
                   f"Elo with search ({anchors['with_search']} = 0)", "alone vs previous", "alone vs mcts-1",
                   "search vs static"):
        table.add_column(column, justify="left" if column == "labelled by" else "right")
    for g in summary["generations"]:
        agreement, matches = g["agreement_with_teacher"], g["matches"]
        previous = matches.get("alone")
        table.add_row(str(g["generation"]), g["teacher"],
                      format_interval(agreement["top1_tied"], agreement["top1_tied_ci"], "{:.1%}"),
                      format_interval(g["alone"].get("elo"), g["alone"].get("elo_ci"), "{:+.0f}"),
                      format_interval(g["with_search"].get("elo"), g["with_search"].get("elo_ci"), "{:+.0f}"),
                      format_interval(previous["elo"], previous["elo_ci"], "{:+.0f}") if previous else "-",
                      format_interval(matches["floor"]["elo"], matches["floor"]["elo_ci"], "{:+.0f}"),
                      format_interval(matches["static"]["elo"], matches["static"]["elo_ci"], "{:+.0f}"))
    return table


@main.command()
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder of the run; an interrupted run resumes from it.")
@click.option("--generations", type=click.IntRange(1), required=True, help="Students to train (0 .. G-1).")
@click.option("--positions", type=click.IntRange(1), required=True, help="Self-play positions per generation.")
@renamed_option("--sims", "budget", old="--budget", type=click.IntRange(1), required=True,
                help="Simulations per move of every search: the label search, and the students with "
                     "search in the matches.")
@click.option("--model", default="tiny", show_default=True, help="Student size (see chessmesa train).")
@click.option("--steps", type=click.IntRange(1), help="Training steps per generation.")
@click.option("--epochs", type=click.FloatRange(0, min_open=True),
              help="Passes over each generation's training positions (default 2, unless --steps).")
@click.option("--target", default="visits", show_default=True,
              help="Policy target: visits, best or sharpen:T.")
@click.option("--warm-start/--from-scratch", default=True, show_default=True,
              help="Start each student from its predecessor's weights, or from random ones.")
@click.option("--games", type=click.IntRange(2), default=100, show_default=True, help="Games per match.")
@click.option("--holdout", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.1,
              show_default=True, help="Share of each generation's games held out for the agreement.")
@click.option("--batch", type=click.IntRange(1, 4096), default=16, show_default=True,
              help="Leaves per network call in the students' searches.")
@click.option("--static-value", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of the static evaluator's value in each leaf of the students' searches "
                   "(0: the student's own value, AlphaZero's loop; 1: its priors with the static value).")
@click.option("--init", type=click.Path(), help="A student (run folder or model file) whose search labels "
                                               "generation 0 instead of the static mcts.")
@click.option("--workers", type=click.IntRange(1),
              help="Worker processes or Ray actors [default: all cores, or all the cluster's CPUs].")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the labelling runs (as for generate).")
@click.option("--ray-address", help="Ray cluster to join (default: start a local Ray).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results/iteration.json instead of the table.")
def iterate(out, generations, positions, budget, model, steps, epochs, target, warm_start, games, holdout,
            batch, static_value, init, workers, backend, ray_address, seed, as_json):
    """Expert iteration: generation 0 labelled by mcts with the static evaluator, generation k+1
    by netmcts with generation k's student; each student trained on its generation's labels, then
    measured: agreement with its teacher, and matches alone and with search against its
    predecessor and against the static mcts at the same simulations.

    \b
    chessmesa iterate --out iter --generations 3 --positions 20000 --sims 64 --steps 600
    chessmesa iterate --out iter --generations 3 --positions 20000 --sims 64 --steps 600  # resumes
    """
    from chessmesa.datasets import DatasetError
    from chessmesa.iteration import IterateConfig, Iteration

    if ray_address and backend != "ray":
        raise BadInput(f"--ray-address {ray_address} needs --backend ray")
    try:
        config = IterateConfig(generations=generations, positions=positions, budget=budget, model=model,
                               steps=steps, epochs=epochs, target=target, warm_start=warm_start, games=games,
                               holdout=holdout, batch=batch, static_value=static_value,
                               init=init, seed=seed)
        stages = Console(stderr=True)
        run = Iteration(config, out, workers=workers, backend=backend, ray_address=ray_address,
                        progress=lambda description, total: progress_bar(description, total),
                        log=lambda text: stages.print(text, style="bold", markup=False))
        run.check_config()
    except ValueError as error:  # a bad setting, or --out holds another iteration
        raise BadInput(str(error)) from None
    try:
        summary = run.run()
    except DatasetError as error:  # a generation's data folder that --out holds from other settings
        raise BadInput(str(error)) from None
    if as_json:
        print_json(summary)
        return
    console.print(generations_table(summary))
    console.print(f"report: {run.out / 'report.html'}   figure: {run.out / 'elo-by-generation.png'}")
