"""``chessmesa demo``: the whole grandmaster experiment in miniature."""

from __future__ import annotations

from dataclasses import replace

import click
from rich.console import Console

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, format_interval, format_value, print_json, progress_bar


def _elo(rating: dict) -> str:
    """``+18 [-55, +81]`` from ``{"elo", "ci"}``."""
    ci = rating.get("ci") or [None, None]
    low, high = (format_value(bound, "{:+.0f}") for bound in ci)
    return f"{format_value(rating.get('elo'), '{:+.0f}')} [{low}, {high}]"


def _duel(duel: dict | None) -> str:
    """``31-140-29, +3 [-20, +26]`` from a duel's record, ``-`` without one."""
    if not duel:
        return "-"
    return f"{duel['wins']}-{duel['draws']}-{duel['losses']}, " + _elo({"elo": duel["elo"], "ci": duel["elo_ci"]})


def _budget(found: dict) -> str:
    if found["budget"] is None:
        return f"{found['out_of_range']} the curve"
    low, high = found["budget_ci"] or [None, None]
    return (f"{found['budget']:.1f} [{format_value(low, '{:.1f}') if low is not None else 'below'}, "
            f"{format_value(high, '{:.1f}') if high is not None else 'above'}]")


def summary_table(summary: dict):
    """The students and the searcher's ladder as one rich table."""
    from rich.table import Table

    reference = summary["reference"]
    external = [scale for scale in summary.get("scales", []) if scale["anchor"].startswith("sf-")]
    table = Table(title=f"students without search vs the {reference['kind']} {reference['budget']}-simulation "
                        f"reference ({summary['split']['games']} held-out games; 95% game-level intervals)")
    for column in ("player", "teacher", "target", "top-1 (ties count)", "top-1 strict", "Q-regret",
                   "search-equivalent sims", "undecided: equivalent sims", "puzzles", "vs random",
                   f"Elo ({summary['anchor']['name']} = 0)", f"duel vs {summary['anchor']['name']}",
                   *(f"Elo ({scale['anchor']} = {scale['anchor_elo']:g})" for scale in external)):
        table.add_column(column, justify="left" if column == "player" else "right")

    def on_external_scales(player: dict) -> list[str]:
        return [_elo(player.get("elo_scales", {}).get(scale["anchor"], {})) for scale in external]

    for s in summary["students"]:
        agreement = s["agreement"]["all"]
        table.add_row(s["name"], str(s["teacher_budget"]), s["target"],
                      format_interval(agreement["top1_tied"], agreement["top1_tied_ci"], "{:.1%}"),
                      format_interval(agreement["top1_strict"], agreement["top1_strict_ci"], "{:.1%}"),
                      format_value(agreement["q_regret"], "{:.3f}"), _budget(s["search_equivalent"]["all"]),
                      _budget(s["search_equivalent"]["undecided"]),
                      format_value(s["puzzle_first_move_accuracy"], "{:.1%}"), format_value(s["against_random"].get("score"), "{:.0%}"),
                      _elo({"elo": s["elo"], "ci": s["elo_ci"]}), _duel(s.get("duel")),
                      *on_external_scales(s))
    for rung in summary["ladder"]:
        table.add_row(f"mcts-{rung['sims']}", "-", "-", format_interval(rung["agreement"], rung["agreement_ci"], "{:.1%}"),
                      "-", "-", f"{rung['sims']}", "-", format_value(rung["puzzle_first_move_accuracy"], "{:.1%}"), "-",
                      _elo({"elo": rung["elo"], "ci": rung["elo_ci"]}), "-",
                      *on_external_scales(rung))
    for anchor in summary.get("stockfish", []):
        own = anchor["elo_scales"].get(summary["anchor"]["name"], {})
        table.add_row(anchor["name"], "-", "-", "-", "-", "-", "-", "-", "-", "-", _elo(own), "-",
                      *on_external_scales(anchor))
    return table


@main.command()
@click.option("--out", default="demo-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the run; an interrupted demo resumes from it.")
@click.option("--quick", is_flag=True, help="About 10 minutes on 2 cores.")
@click.option("--smoke", is_flag=True, help="The smallest form (a minute or two; CI runs it).")
@click.option("--full", is_flag=True, help="Under an hour on 2 cores (the default).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of the table.")
def demo(out, quick, smoke, full, seed, workers, as_json):
    """The grandmaster experiment in miniature: self-play labels at budgets 1..1024 and an
    independent reference search on the held-out games, students distilled at several teacher
    budgets, agreement with game-level intervals, search-equivalent budgets, puzzles, a
    tournament, duels, strength against time per move (the students against mcts at several
    limits), and report.html + summary.json in --out.

    \b
    chessmesa demo --quick          # about 10 minutes on 2 cores
    chessmesa demo                  # the full run, under an hour on 2 cores
    """
    from chessmesa.experiment import MODES, Experiment

    modes = [name for name, given in (("quick", quick), ("smoke", smoke), ("full", full)) if given]
    if len(modes) > 1:
        raise BadInput(f"--{modes[0]} and --{modes[1]} together: choose one size")
    config = replace(MODES[modes[0] if modes else "full"], seed=seed)
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
            console.print(f"clock: {break_even_sentence(verdict)}")
    console.print(f"report: {experiment.out / 'report.html'}   summary: {experiment.out / 'summary.json'}   "
                  f"figure: {experiment.out / 'headline.png'}   ({summary['seconds'] / 60:.1f} min)")
