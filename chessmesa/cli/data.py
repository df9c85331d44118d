"""``chessmesa generate`` and ``chessmesa dataset info|validate``: search-labelled datasets."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import click
from click.core import ParameterSource

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, print_json, progress_bar

# engine spec keys that other options own
_OWNED_KEYS = {"sims": "--budgets", "movetime": "--budgets", "seed": "--seed",
               "dirichlet_epsilon": "--label-noise / --play-noise"}
# command-line options that are GenerateConfig fields (the rest only decide how fast rows come)
_CONFIG_OPTIONS = ("positions", "budgets", "sources", "seed", "engine", "skip_plies", "sample_rate",
                   "max_plies", "temperature", "temperature_plies", "play_sims", "play_noise",
                   "label_noise", "shard_size", "bad_lines", "holdout", "reference")


@main.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Dataset folder (new or empty).")
@click.option("--positions", type=click.IntRange(1), help="Distinct positions to label.")
@click.option("--budgets", default="16,64,256", show_default=True,
              help="Search budgets (simulations) of the labels, from one anytime search.")
@click.option("--source", "sources", multiple=True, metavar="SRC",
              help="selfplay[:BOOK], random[:BOOK], epd:FILE, fen:FILE or pgn:FILE; repeat to mix "
                   "(tasks take turns). Default: selfplay.")
@click.option("--engine", default="mcts", show_default=True,
              help="Label search parameters as an mcts spec, e.g. mcts:cpuct=3. With gumbel=true each "
                   "budget gets a search of its own and the improved policy is stored too. A netmcts "
                   "spec (netmcts:ckpt=RUN,batch=16) labels with a student's priors and values.")
@click.option("--workers", type=click.IntRange(1),
              help="Worker processes or Ray actors [default: all cores].")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--ray-address", help="Ray cluster to join (default: start a local Ray).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue the dataset in --out (same config).")
@click.option("--skip-plies", type=click.IntRange(0), default=0, show_default=True,
              help="Plies not sampled at the start of each game.")
@click.option("--sample-rate", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Chance that each game position (or file line) is kept.")
@click.option("--max-plies", type=click.IntRange(1), default=300, show_default=True,
              help="Length limit of self-play and random games.")
@click.option("--temperature", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Self-play: moves drawn from visits^(1/T) ...")
@click.option("--temperature-plies", type=click.IntRange(0), default=30, show_default=True,
              help="... for this many plies, then the best move.")
@click.option("--play-sims", type=click.IntRange(1),
              help="Simulations of the self-play move search [default: the label search at the "
                   "largest budget].")
@click.option("--play-noise", is_flag=True, help="Dirichlet root noise on the self-play move search.")
@click.option("--label-noise", is_flag=True, help="Dirichlet root noise on the label search too.")
@click.option("--shard-size", type=click.IntRange(1), default=1000, show_default=True,
              help="Positions per shard, at least (a shard holds whole tasks).")
@click.option("--bad-lines", type=click.Choice(["skip", "error"]), default="skip", show_default=True,
              help="Bad lines (or games) of source files: skip and count them as the workers meet "
                   "them, or check every one before any search and stop at the first.")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True,
              help="Share of the games held out (the split column): training never sees them.")
@click.option("--reference", type=click.IntRange(1), metavar="SIMS",
              help="Also label every held-out position with an independent reference search of "
                   "SIMS simulations (its own seed and root noise), which the analyses score "
                   "every player against.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def generate(out, workers, backend, ray_address, resume, as_json, **options):
    """Label positions with the searcher at several budgets into a dataset folder.

    \b
    chessmesa generate --out data/sp --positions 10000 --budgets 16,64,256
    chessmesa generate --out data/sp --source selfplay:data/openings/noob_2moves.epd --positions 1000
    chessmesa generate --out data/pgn --source pgn:games.pgn --skip-plies 10 --sample-rate 0.2 \\
        --positions 5000
    chessmesa generate --out data/sp --resume            # after a kill or Ctrl-C
    chessmesa generate --out data/big --positions 1000000 --backend ray --ray-address auto
    """
    from chessmesa.datasets import DatasetError, generate as generate_dataset

    if ray_address and backend != "ray":
        raise BadInput(f"--ray-address {ray_address} needs --backend ray")
    try:
        config = _config(out, resume, options)
    except DatasetError as error:
        raise BadInput(str(error)) from None
    with ExitStack() as stack:
        # the bar appears with the first progress, after the sources and --out were checked
        start, state = time.perf_counter(), {"advance": None, "first": 0, "last": 0}

        def on_progress(positions: int, total: int) -> None:
            if state["advance"] is None:
                state["advance"] = stack.enter_context(progress_bar(f"labelling {out}", total))
                state["first"] = state["last"] = positions  # a resumed run starts with some
                state["advance"](positions)
            rate = (positions - state["first"]) / max(time.perf_counter() - start, 1e-9)
            state["advance"](positions - state["last"], f"{rate:,.1f} pos/s")
            state["last"] = positions

        try:
            report = generate_dataset(config, out, workers=workers, backend=backend,
                                      ray_address=ray_address, resume=resume,
                                      progress=None if as_json else on_progress)
        except DatasetError as error:
            raise BadInput(str(error)) from None
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
        if config.reference is None:
            console.print(f"note: no --reference, so the analyses score every player against the "
                          f"top budget's labels ({max(config.budgets)} simulations), the searcher's "
                          f"own: add --reference SIMS for an independent search of the held-out games")
    if report.interrupted:
        sys.exit(130)


def _config(out: Path, resume: bool, options: dict):
    """The config of the run: from the options, or on ``--resume`` from the dataset's manifest
    with the options given on the command line on top (the library refuses any difference)."""
    from chessmesa.datasets import GenerateConfig, SourceSpec, parse_budgets, read_manifest
    from chessmesa.datasets.holdout import asked_config
    from chessmesa.datasets.manifest import MANIFEST

    context = click.get_current_context()
    given = {name for name in _CONFIG_OPTIONS
             if context.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)}
    fields = {name: value for name, value in options.items() if name in _CONFIG_OPTIONS}
    fields.update(budgets=parse_budgets(fields["budgets"]), **_label_search(fields.pop("engine")),
                  sources=tuple(SourceSpec.parse(s) for s in fields["sources"] or ["selfplay"]))
    if "engine" in given:
        given.update(("search", "network", "network_batch", "network_static_value"))
    if resume and (out / MANIFEST).is_file():
        saved = GenerateConfig.from_dict(asked_config(read_manifest(out)))
        return replace(saved, **{name: value for name, value in fields.items() if name in given})
    if fields["positions"] is None:
        raise BadInput("missing --positions N (only --resume of an existing dataset can leave it out)")
    return GenerateConfig(**fields)


def _label_search(engine: str) -> dict:
    """The label search's GenerateConfig fields from an ``mcts`` or ``netmcts`` engine spec: its
    parameters, and for ``netmcts`` the network and its leaf batch."""
    from chessmesa.play.networks import DEFAULT_BATCH
    from chessmesa.play.specs import SpecError, parse_spec
    from chessmesa.search.options import params_from_options

    try:
        spec = parse_spec(engine)
    except SpecError as error:
        raise BadInput(f"--engine: {error}") from None
    if spec.kind not in ("mcts", "netmcts"):
        raise BadInput(f"--engine {engine!r}: labels come from the mcts or netmcts searcher, not {spec.kind!r}")
    options = dict(spec.options)
    owned = sorted(set(options) & set(_OWNED_KEYS))
    if owned:
        raise BadInput(f"--engine {engine!r}: set {owned[0]} with {_OWNED_KEYS[owned[0]]}, not in the spec")
    network = {}
    if spec.kind == "netmcts":  # on the CPU, one process per core: a device or threads do not apply
        given = sorted(key for key in ("device", "threads") if key in options and options[key] not in ("cpu", 1))
        if given:
            raise BadInput(f"--engine {engine!r}: labelling runs the network in the CPU workers, one thread each; "
                           f"{', '.join(given)} cannot be set here")
        if "ckpt" not in options:
            raise BadInput(f"--engine {engine!r}: netmcts needs ckpt=RUN_OR_FILE")
        network = {"network": options["ckpt"], "network_batch": options.get("batch", DEFAULT_BATCH),
                   "network_static_value": options.get("static_value", 0.0)}
    try:
        return {"search": params_from_options(options), **network}
    except ValueError as error:  # a parameter out of its range
        raise BadInput(f"--engine {engine!r}: {error}") from None


def _print_report(report) -> None:
    for line in report.bad_lines:
        console.print(f"[yellow]skipped[/] {line}")
    if report.skipped:
        console.print("not labelled: " + ", ".join(
            f"{count:,} {reason}" for reason, count in sorted(report.skipped.items())))
    if report.exhausted:
        console.print(f"[yellow]the sources ran out[/]: {report.positions:,} of "
                      f"{report.requested:,} positions")
    if report.interrupted:
        console.print(f"[yellow]stopped[/]: {report.positions:,} of {report.requested:,} positions saved; "
                      f"continue with: chessmesa generate --out {report.out} --resume")
    elif report.added == 0 and report.complete:
        console.print(f"{report.out} is already complete ({report.positions:,} positions)")
        return
    console.print(f"{report.added:,} positions labelled in {report.seconds:.1f} s "
                  f"({report.positions_per_second:,.1f} positions/s, {report.workers} {report.backend} "
                  f"workers, {report.outside_search_share:.1%} of worker time outside search); "
                  f"{report.out} holds {report.positions:,} positions, {report.rows:,} rows")
    if report.held_out:
        _print_held_out(report.held_out)


#: Fewer held-out games than this and ``generate`` warns: game-level intervals get wide.
FEW_HELD_OUT_GAMES = 10


def _print_held_out(held: dict) -> None:
    """How many games and positions the dataset holds out, and a warning when they are few."""
    raised = (f", the smallest game by hash value (--holdout {held['asked']:g} drew none)"
              if held["fraction"] != held["asked"] else "")
    console.print(f"held out: {held['games']:,} of {held['total_games']:,} games, "
                  f"{held['positions']:,} positions{raised}")
    if held["games"] < FEW_HELD_OUT_GAMES:
        console.print(f"[yellow]warning[/]: only {held['games']} held-out game(s): the analyses of "
                      f"students score on them, with wide intervals; label more positions or raise "
                      f"--holdout")


@main.group()
def dataset():
    """Inspect and check datasets made by 'chessmesa generate'."""


@dataset.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(directory, as_json):
    """Counts per budget and source, size, completeness and config of a dataset."""
    from chessmesa.datasets import DatasetError, dataset_info

    try:
        summary = dataset_info(directory)
    except DatasetError as error:
        raise BadInput(str(error)) from None
    if as_json:
        print_json(summary)
        return
    state = "complete" if summary["complete"] else "incomplete (continue with --resume)"
    if summary["exhausted"]:
        state = "complete (the sources ran out)"
    console.print(f"[bold]{summary['path']}[/]: {state}")
    console.print(f"positions  {summary['positions']:,} of {summary['requested']:,}, "
                  f"{summary['rows']:,} rows in {summary['shards']} shards, {_size(summary['bytes'])}")
    reference = str(summary["config"].get("reference"))
    console.print("budgets    " + ", ".join(f"{b}{' (reference)' if b == reference else ''}: {n:,} rows"
                                        for b, n in summary["per_budget"].items()))
    console.print("sources    " + ", ".join(
        f"{source}: {count:,} positions" for source, count in summary["per_source"].items()))
    if summary["skipped"]:
        console.print("skipped    " + ", ".join(f"{r}: {n:,}" for r, n in summary["skipped"].items()))
    config = summary["config"]
    console.print(f"seed       {summary['seed']}   search {'gumbel' if summary['gumbel'] else 'puct'} "
                  f"(cpuct {config['search']['cpuct']}), {summary['search_seconds']:,.1f} s searched")
    console.print("sampling   " + ", ".join(f"{key}={config[key]}" for key in (
        "skip_plies", "sample_rate", "max_plies", "temperature", "temperature_plies", "play_sims",
        "play_noise", "label_noise")))
    reference = config.get("reference")
    held = summary["held_out"]
    console.print(f"split      {config['holdout']:.0%} of the games held out"
                  + (f" ({held['games']:,} of {held['total_games']:,} games, {held['positions']:,} "
                     f"positions)" if held else "")
                  + "; reference search: "
                  + (f"{reference} simulations on the held-out positions" if reference else "none"))
    console.print(f"made by    chessmesa {summary['chessmesa_version']} "
                  f"(schema {summary['schema_version']}), "
                  f"created {summary['created']}, {len(summary['runs'])} run(s)")


@dataset.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--recheck", type=click.IntRange(0), default=0, show_default=True,
              help="Also search N positions again: their labels must come out identical.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def validate(directory, recheck, as_json):
    """Check every shard and row of a dataset; exit 1 listing the problems found.

    \b
    chessmesa dataset validate data/sp --recheck 20
    """
    from chessmesa.datasets import DatasetError, validate_dataset

    try:
        problems = validate_dataset(directory, recheck=recheck)
    except DatasetError as error:
        raise BadInput(str(error)) from None
    if as_json:
        print_json({"path": str(directory), "valid": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            console.print(f"[red]problem[/] {problem}")
        console.print(f"{len(problems)} problems in {directory}")
    else:
        console.print(f"{directory}: valid")
    sys.exit(1 if problems else 0)


@dataset.command()
@click.argument("directory", type=click.Path(path_type=Path))
def upgrade(directory):
    """Rewrite a dataset of schema version 1 as version 2, in place: a split column by game and
    a manifest that Parquet readers skip. Labels are kept; no reference search is added."""
    from chessmesa.datasets import DatasetError
    from chessmesa.datasets.upgrade import upgrade_dataset

    try:
        manifest = upgrade_dataset(directory)
    except DatasetError as error:
        raise BadInput(str(error)) from None
    console.print(f"{directory}: schema version {manifest['schema_version']}, "
                  f"{manifest['counts']['positions']:,} positions")


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
