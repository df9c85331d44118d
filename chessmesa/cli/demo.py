"""``chessmesa demo``: the whole grandmaster experiment in miniature."""

from __future__ import annotations

from dataclasses import replace

import click
from rich.console import Console

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, print_json, progress_bar


def summary_table(summary: dict):
    """The students and the searcher's ladder as one rich table (:func:`chessmesa.analysis.answer.summary_rows`)."""
    from rich.table import Table

    from chessmesa.analysis.answer import summary_rows

    title, headers, rows = summary_rows(summary)
    table = Table(title=title)
    for column in headers:
        table.add_column(column, justify="left" if column == "player" else "right")
    for row in rows:
        table.add_row(*row)
    return table


@main.command()
@click.option("--out", default="demo-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the run; an interrupted demo resumes from it.")
@click.option("--quick", is_flag=True, help="About 10 minutes on 2 cores.")
@click.option("--smoke", is_flag=True, help="The smallest form (a minute or two; CI runs it).")
@click.option("--full", is_flag=True, help="Under an hour on 2 cores (the default).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="A run written as TOML: every field of the demo (copy chessmesa/configs/quick.toml and edit it).")
@click.option("--seed", type=int, help="Overrides the run's seed (the shipped runs: 0).")
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of the table.")
def demo(out, quick, smoke, full, config_file, seed, workers, as_json):
    """The grandmaster experiment in miniature: self-play labels at budgets 1..1024 and an
    independent reference search on the held-out games, students distilled at several teacher
    budgets, agreement with game-level intervals, search-equivalent budgets, puzzles, a
    tournament, duels, strength against time per move (the students against mcts at several
    limits), and report.html + summary.json in --out.

    \b
    chessmesa demo --quick          # about 10 minutes on 2 cores
    chessmesa demo                  # the full run, under an hour on 2 cores
    chessmesa demo --config my-run.toml --out my-run
    """
    from chessmesa.experiment import DemoConfig, Experiment, mode_config

    chosen = [f"--{name}" for name, given in (("quick", quick), ("smoke", smoke), ("full", full)) if given]
    chosen += ["--config"] if config_file else []
    if len(chosen) > 1:
        raise BadInput(f"{chosen[0]} and {chosen[1]} together: choose one run")
    try:
        config = DemoConfig.from_toml(config_file) if config_file else mode_config(chosen[0][2:] if chosen else "full")
    except ValueError as error:
        raise BadInput(str(error)) from None
    if seed is not None:
        config = replace(config, seed=seed)
    stages = Console(stderr=True)  # stage headings go with the progress bars, so --json stays clean
    experiment = Experiment(config, out, workers=workers,
                            progress=lambda description, total: progress_bar(description, total),
                            log=lambda text: stages.print(text, style="bold"))
    try:
        experiment.check_config()
    except ValueError as error:  # --out holds another demo
        raise BadInput(str(error)) from None
    summary = experiment.run()
    if as_json:
        print_json(summary)
        return
    console.print(summary_table(summary))
    if summary.get("clock"):
        from chessmesa.analysis.clock import break_even_sentence

        for verdict in summary["clock"]["break_even"]:
            console.print(f"clock: {break_even_sentence(verdict)}", markup=False)
    console.print(f"report: {experiment.out / 'report.html'}   summary: {experiment.out / 'summary.json'}   "
                  f"figure: {experiment.out / 'headline.png'}   ({summary['seconds'] / 60:.1f} min)")
