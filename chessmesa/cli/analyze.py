"""``chessmesa analyze ...`` and ``chessmesa report``: how closely the students approach the searcher.

Every analysis prints a table (or JSON with ``--json``), can save its JSON (``--json-out``) and its
plot (``--plot``); ``chessmesa report DIR`` gathers the saved JSON results into HTML and Markdown.
"""

from __future__ import annotations

from pathlib import Path

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, print_json, progress_bar, renamed_option
from chessmesa.play.game import DEFAULT_MAX_MOVES

#: Openings for the analysis tournaments: deterministic engines from one start position would
#: replay the same game pair over and over.
SHIPPED_DATA = Path(__file__).resolve().parents[2] / "data"
SHIPPED_OPENINGS = SHIPPED_DATA / "openings" / "noob_2moves.epd"
SHIPPED_PUZZLES = SHIPPED_DATA / "puzzles" / "lichess_puzzles.csv"
SHIPPED_LOOKAHEAD = SHIPPED_DATA / "puzzles" / "lookahead.csv"  # built by `analyze lookahead-puzzles`


def _int_list(text: str, option: str) -> tuple[int, ...]:
    """``"1,4,16"`` as positive integers; BadInput naming the option otherwise."""
    try:
        values = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise BadInput(f"bad {option} {text!r}: expected positive integers separated by commas")
    return values


def _labels(data: str, budgets: tuple[int, ...] | None, limit: int | None, seed: int, split: str,
            students: list[str]):
    from chessmesa.analysis.label_reader import load_labels

    try:
        return load_labels(data, list(budgets) if budgets else None, limit, seed, split, students)
    except (ValueError, OSError) as error:
        raise BadInput(str(error)) from None


_split_option = click.option(
    "--split", type=click.Choice(["validation", "train", "all"]),
    help="Positions to score: the held-out games (the dataset's split, narrowed to the games a "
         "trained student never saw), the training games, or all. Default: validation for a "
         "trained student or a dataset with a --reference, else all (an untrained player saw no game).")


def _check_spec(spec: str) -> None:
    """A spec that does not parse, or names a checkpoint that is not there, fails here, before
    any work."""
    from chessmesa.play.specs import parse_spec

    try:
        checkpoint = parse_spec(spec).options.get("ckpt")
    except ValueError as error:
        raise BadInput(str(error)) from None
    if checkpoint is not None and not Path(checkpoint).exists():
        raise BadInput(f"{spec}: no such checkpoint {checkpoint!r}")


def _check_tc(tc: str) -> None:
    """A time control that does not parse fails here, before any game."""
    from chessmesa.play.game import TimeControl

    try:
        TimeControl.parse(tc)
    except ValueError as error:
        raise BadInput(f"--tc: {error}") from None


def _openings(openings: str | None) -> str | None:
    if openings is not None and not Path(openings).is_file():
        raise BadInput(f"no such openings file {openings!r}")
    return openings or (str(SHIPPED_OPENINGS) if SHIPPED_OPENINGS.is_file() else None)


def _emit(result: dict, config: dict, as_json: bool, json_out: str | None, plot: str | None) -> None:
    """Record ``config`` in ``result``, save the JSON and the plot, print the JSON or the tables."""
    from chessmesa.analysis.plots import save_plot
    from chessmesa.analysis.report import summarise
    from chessmesa.analysis.results import json_ready, write_result

    result = json_ready({**result, "config": config})  # NaN -> null everywhere, not just in files
    if json_out:
        write_result(json_out, result)
    if plot:
        save_plot(result, plot)
    if as_json:
        print_json(result)
        return
    from rich.table import Table

    section = summarise(result)
    for table in section.tables:
        shown = Table(title=table.caption or section.title)
        for header in table.headers:
            shown.add_column(header, justify="right")
        for row in table.rows:
            shown.add_row(*row)
        console.print(shown)


_output_options = [
    click.option("--seed", type=int, default=0, show_default=True),
    click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    renamed_option("--json-out", old="--out", type=click.Path(dir_okay=False), metavar="FILE",
                   help="Write the JSON result to FILE."),
    click.option("--plot", type=click.Path(dir_okay=False), help="Save the plot here (.png, .svg, .pdf)."),
]


def _tournament_options(games_per_pair: int) -> list:
    return [
        click.option("--games-per-pair", type=click.IntRange(0), default=games_per_pair,
                     show_default=True, help="Games per pairing."),
        click.option("--tc", default="spec", show_default=True, help="Time control (as for match)."),
        click.option("--openings", type=click.Path(dir_okay=False),
                     help="Openings file (default: the shipped noob_2moves.epd)."),
        renamed_option("--workers", old="--concurrency", type=click.IntRange(1), default=1, show_default=True,
                       help="Games played in parallel (worker processes)."),
        click.option("--max-moves", type=click.IntRange(1), default=DEFAULT_MAX_MOVES, show_default=True,
                     help="Adjudicate a draw after this many moves."),
    ]


def _with(options):
    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


@main.group()
def analyze() -> None:
    """How closely the fast students approximate the searcher."""


@analyze.command()
@renamed_option("--engine", "spec", old="--student", required=True,
                help="Engine spec, e.g. policy:ckpt=runs/a or mcts:sims=64.")
@click.option("--data", required=True, help="Dataset folder (chessmesa generate).")
@click.option("--budgets", help="Only these label budgets (default: all of the dataset's).")
@click.option("--limit", type=click.IntRange(1), help="A seeded sample of N positions.")
@_split_option
@_with(_output_options)
def agreement(spec, data, budgets, limit, split, seed, as_json, json_out, plot):
    """Agreement of a student with the dataset's independent reference search (by stratum, with
    game-level intervals) and with the searcher's labels at every budget.

    \b
    chessmesa analyze agreement --engine policy:ckpt=runs/small --data data/labels --plot agreement.png
    chessmesa analyze agreement --engine mcts:sims=64 --data data/labels --json
    """
    from chessmesa.analysis.agreement import run_agreement

    _check_spec(spec)
    labels = _labels(data, budgets and _int_list(budgets, "--budgets"), limit, seed, split, [spec])
    with progress_bar("positions", len(labels.positions), enabled=not as_json) as advance:
        result = run_agreement(spec, labels, seed, advance)
    _emit(result, {"student": spec, "data": data, "budgets": labels.budgets, "limit": limit,
                   "split": labels.split["split"], "seed": seed, "dataset_config": labels.manifest.get("config")},
          as_json, json_out, plot)


@analyze.command()
@renamed_option("--engine", "spec", old="--student", required=True, help="Engine spec of the student.")
@click.option("--data", required=True, help="Dataset folder: the searcher's curve and top-budget labels.")
@click.option("--metric", type=click.Choice(["top1_tied", "top1_strict", "top3", "q_regret"]),
              default="top1_tied", show_default=True, help="The agreement measure (against the reference).")
@click.option("--stratum", type=click.Choice(["all", "undecided", "decided"]), default="all",
              show_default=True, help="Positions by the reference's |root value| (decided: > 0.9).")
@click.option("--limit", type=click.IntRange(1), help="A seeded sample of N positions.")
@_split_option
@click.option("--elo", is_flag=True, help="Also the Elo-equivalent budget, from a tournament.")
@renamed_option("--ladder-sims", old="--elo-budgets", default="1,4,16,64,256,1024,4096", show_default=True,
                help="Simulations per move of each mcts player of the Elo ladder.")
@click.option("--gauntlet", is_flag=True, help="The student plays each MCTS only (no round robin).")
@_with(_tournament_options(4))
@_with(_output_options)
def equivalence(spec, data, metric, stratum, limit, split, elo, ladder_sims, gauntlet, games_per_pair, tc, openings,
                workers, max_moves, seed, as_json, json_out, plot):
    """The MCTS budget a student is worth: by agreement and (--elo) by playing strength.

    \b
    chessmesa analyze equivalence --engine policy:ckpt=runs/small --data data/labels
    chessmesa analyze equivalence --engine policy:ckpt=runs/small --data data/labels --elo --games-per-pair 4
    """
    from chessmesa.analysis.equivalence import elo_equivalence, pairings, search_equivalence

    _check_spec(spec)
    ladder = _int_list(ladder_sims, "--ladder-sims")
    openings = _openings(openings) if elo else openings
    if elo and games_per_pair < 1:
        raise BadInput("--games-per-pair must be at least 1 with --elo")
    if elo and len(set(ladder)) < 2:
        raise BadInput(f"--ladder-sims {ladder_sims}: the Elo ladder needs two players at least")
    labels = _labels(data, None, limit, seed, split, [spec])
    if elo:
        _check_tc(tc)
    with progress_bar("positions", len(labels.positions), enabled=not as_json) as advance:
        search = search_equivalence(spec, labels, metric, seed, advance, stratum)
    elo_result = None
    if elo:
        total = pairings(len(set(ladder)) + 1, gauntlet) * games_per_pair
        with progress_bar("games", total, enabled=not as_json) as advance:
            elo_result = elo_equivalence(spec, ladder, games_per_pair, gauntlet, tc, openings,
                                         workers, max_moves, seed, advance)
    result = {"analysis": "equivalence", "student": search["student"], "search": search, "elo": elo_result}
    _emit(result, {"student": spec, "data": data, "metric": metric, "stratum": stratum, "limit": limit,
                   "split": labels.split["split"], "seed": seed,
                   "dataset_config": labels.manifest.get("config"), "elo": elo,
                   "elo_budgets": list(ladder), "games_per_pair": games_per_pair, "gauntlet": gauntlet,
                   "tc": tc, "openings": openings, "max_moves": max_moves},
          as_json, json_out, plot)


@analyze.command()
@click.option("--engine", "spec", required=True, help="Engine spec.")
@click.option("--puzzles", "puzzle_file", required=True, type=click.Path(dir_okay=False),
              help="Lichess puzzles CSV (FEN,Moves,Rating).")
@click.option("--limit", type=click.IntRange(1), help="A seeded, rating-stratified subset of N puzzles.")
@_with(_output_options)
def puzzles(spec, puzzle_file, limit, seed, as_json, json_out, plot):
    """First-move and full-line puzzle accuracy by 200-point rating band.

    \b
    chessmesa analyze puzzles --engine mcts:sims=800 --puzzles data/puzzles/lichess_puzzles.csv --limit 200
    """
    from chessmesa.analysis.puzzles import PuzzleError, read_puzzles, score_puzzles, stratified_subset
    from chessmesa.cli.support import make_cli_player

    try:
        pool = read_puzzles(puzzle_file)
    except PuzzleError as error:
        raise BadInput(str(error)) from None
    chosen = stratified_subset(pool, limit, seed) if limit else pool
    player = make_cli_player(spec, seed)
    try:
        with progress_bar("puzzles", len(chosen), enabled=not as_json) as advance:
            report = score_puzzles(player, chosen, seed=seed, on_result=lambda result: advance())
    finally:
        player.close()
    result = {"analysis": "puzzles", "engine": player.name, **report}
    _emit(result, {"engine": spec, "puzzles": puzzle_file, "limit": limit, "seed": seed},
          as_json, json_out, plot)


@analyze.command()
@click.argument("sweep_dir")
@click.option("--test-sims", default="1,8,32", show_default=True,
              help="Simulations per move the students also play with (1: the policy alone).")
@click.option("--ratings", type=click.Path(dir_okay=False),
              help="Elo from a saved 'chessmesa tournament --json' instead of playing.")
@_with(_tournament_options(2))
@_with(_output_options)
def frontier(sweep_dir, test_sims, ratings, games_per_pair, tc, openings, workers, max_moves,
             seed, as_json, json_out, plot):
    """Agreement with the common reference and Elo against compute (training and label search),
    the compute-efficient frontier, and the train/test compute exchange rate.

    Elo comes from a round robin of every run at every --test-sims (--games-per-pair; 0 skips
    it), or from --ratings: a 'chessmesa tournament --json' whose players are named as here (the
    run's folder, '+SIMS' with search, e.g. name=b64-tiny-s800+8).

    \b
    chessmesa analyze frontier runs/sweep --games-per-pair 2 --plot frontier.png
    """
    from chessmesa.analysis.equivalence import pairings
    from chessmesa.analysis.frontier import frontier as build_frontier, play_students, read_sweep, score_runs

    sims = _int_list(test_sims, "--test-sims")
    try:
        runs = read_sweep(sweep_dir)
    except ValueError as error:
        raise BadInput(str(error)) from None
    elo = _saved_ratings(ratings) if ratings else {}
    if games_per_pair and not ratings:
        _check_tc(tc)
        openings = _openings(openings)
    with progress_bar("agreement", None, enabled=not as_json) as advance:
        runs = score_runs(runs, seed, advance)
    if games_per_pair and not ratings:
        with progress_bar("games", pairings(len(runs) * len(sims), False) * games_per_pair,
                          enabled=not as_json) as advance:
            elo = play_students(runs, sims, games_per_pair, tc, openings, concurrency,
                                max_moves, seed, advance)
    result = {"analysis": "frontier", "sweep": sweep_dir, **build_frontier(runs, elo, sims)}
    _emit(result, {"sweep": sweep_dir, "test_sims": list(sims), "ratings": ratings,
                   "games_per_pair": games_per_pair, "tc": tc, "openings": openings, "seed": seed},
          as_json, json_out, plot)


def _saved_ratings(path: str) -> dict[str, float]:
    """``{name: rating}`` from a ``chessmesa tournament --json`` output."""
    import json

    try:
        players = json.loads(Path(path).read_text(encoding="utf-8"))["players"]
        return {p["name"]: float(p["rating"]) for p in players if p.get("rating") is not None}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput(f"cannot read ratings from {path!r}: {error}") from None


@analyze.command()
@renamed_option("--run", "checkpoints", old="--student", required=True, multiple=True,
                help="Run folder or checkpoint of a student (repeat for several).")
@click.option("--data", required=True, help="Dataset folder: the positions to probe.")
@click.option("--limit", type=click.IntRange(8), default=1000, show_default=True,
              help="A seeded sample of N positions.")
@_split_option
@_with(_output_options)
def probes(checkpoints, data, limit, split, seed, as_json, json_out, plot):
    """Linear probes of each layer for concepts, with a random-init control (look-ahead: analyze lookahead).

    \b
    chessmesa analyze probes --run runs/small --data data/labels --plot probes.png
    """
    from chessmesa.analysis.probes import run_probes

    for checkpoint in checkpoints:
        if not Path(checkpoint).exists():
            raise BadInput(f"no such checkpoint {checkpoint!r}")
    labels = _labels(data, None, limit, seed, split, [f"policy:ckpt={c}" for c in checkpoints])
    if labels.split["games"] < 2:
        raise BadInput(f"probes need positions from two games at least; the {labels.split['split']} "
                       f"split of {data} holds {labels.split['games']}")
    with progress_bar("probes", None, enabled=not as_json) as advance:
        result = run_probes(checkpoints, labels, seed, advance)
    result["split"] = labels.split
    _emit(result, {"students": list(checkpoints), "data": data, "limit": limit, "split": labels.split["split"], "seed": seed,
                   "dataset_config": labels.manifest.get("config")},
          as_json, json_out, plot)


@main.command()
@click.argument("folder")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Where report.html, report.md and the plots go (default: FOLDER).")
@click.option("--title", default="chessmesa analysis report", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def report(folder, out_dir, title, as_json):
    """One self-contained HTML report and a Markdown summary of the JSON results in FOLDER.

    \b
    chessmesa analyze agreement --engine ... --data ... --json-out results/agreement.json
    chessmesa report results
    """
    from chessmesa.analysis.report import write_report

    try:
        written = write_report(folder, out_dir, title)
    except ValueError as error:
        raise BadInput(str(error)) from None
    if as_json:
        print_json(written)
    else:
        console.print(f"wrote {written['html']} and {written['markdown']} "
                      f"({len(written['sections'])} sections)")


def _students(paths: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, checkpoint)`` of each path: a student's run folder or model file, or a folder of
    run folders (a demo's ``students/``, a sweep) or of model files (a run's ``snapshots/``)
    standing for every student in it."""
    from chessmesa.nn.checkpoint import MODEL_FILE

    students = []
    for path in map(Path, paths):
        if not path.exists():
            raise BadInput(f"no such student {str(path)!r}")
        if path.is_dir() and not (path / MODEL_FILE).exists():
            inside = sorted(child for child in path.iterdir() if (child / MODEL_FILE).exists())
            inside = inside or sorted(path.glob("*.safetensors"))
            if not inside:
                raise BadInput(f"{path} holds no student (no {MODEL_FILE}, no run folders, no model files)")
            students += [(child.stem if child.is_file() else child.name, str(child)) for child in inside]
        else:
            students.append((path.stem if path.is_file() else path.name, str(path)))
    return students


@analyze.command()
@click.option("--run", "runs", required=True, multiple=True,
              help="A student's run folder or model file, or a folder of run folders (every student "
                   "in it); repeat for several.")
@click.option("--puzzles", "puzzle_file", type=click.Path(dir_okay=False), default=str(SHIPPED_LOOKAHEAD),
              show_default="the shipped data/puzzles/lookahead.csv",
              help="A look-ahead puzzle set (from `chessmesa analyze lookahead-puzzles`).")
@click.option("--probe-puzzles", type=click.Path(dir_okay=False), default=str(SHIPPED_PUZZLES),
              show_default="the shipped Lichess puzzles",
              help="Lichess puzzles whose three-move lines add to the probes' training positions.")
@click.option("--probe-limit", type=click.IntRange(0), default=None,
              help="Read only the first N puzzles of --probe-puzzles (default: all; 0: none).")
@click.option("--limit", type=click.IntRange(8), default=None,
              help="Patch a seeded sample of N puzzles of the set (default: all; the probes use all).")
@click.option("--min-drop", type=float, default=1.0, show_default=True,
              help="Patching counts the puzzles whose whole twin lowers the student's log-odds of the "
                   "solution by at least this much.")
@_with(_output_options)
def lookahead(runs, puzzle_file, probe_puzzles, probe_limit, limit, min_drop, seed, as_json, json_out, plot):
    """Look-ahead inside students: activation patching and square-wise probes per layer.

    For each layer: the drop in the solution's log-odds when the target square of the line's 1st,
    2nd or 3rd move is patched from the puzzle's corrupted twin, against the other squares; and
    probes for those squares (and the student's own move) beside three controls.

    \b
    chessmesa analyze lookahead --run engines/students/small-b1024 --plot lookahead.png
    """
    from chessmesa.analysis.lookahead import probe_fits, run_lookahead
    from chessmesa.analysis.lookahead_puzzles import read_lookahead_set, sample_puzzles
    from chessmesa.analysis.puzzles import PuzzleError, read_puzzles
    from chessmesa.nn import load_network

    students = _students(runs)
    try:
        probe_set = read_lookahead_set(puzzle_file)
        extra = read_puzzles(probe_puzzles)[:probe_limit] if probe_limit != 0 else []
        layers = [len(load_network(checkpoint).model.square_layers()) for _, checkpoint in students]
    except (PuzzleError, ValueError) as error:
        raise BadInput(str(error)) from None
    puzzles = sample_puzzles(probe_set, limit, seed)
    if len(puzzles) < 8:
        raise BadInput(f"{puzzle_file} holds {len(puzzles)} puzzles; look-ahead needs 8 at least")
    total = sum(len(puzzles) + probe_fits(count) for count in layers)
    with progress_bar("look-ahead", total, enabled=not as_json) as advance:
        result = run_lookahead(students, puzzles, probe_set, extra, seed, min_drop, advance)
    _emit(result, {"students": [checkpoint for _, checkpoint in students], "puzzles": puzzle_file,
                   "probe_puzzles": probe_puzzles, "probe_limit": probe_limit, "limit": limit, "min_drop": min_drop, "seed": seed}, as_json, json_out, plot)


@analyze.command("lookahead-puzzles")
@click.option("--puzzles", "puzzle_file", type=click.Path(dir_okay=False),
              default=str(SHIPPED_PUZZLES),
              show_default="the shipped Lichess puzzles", help="Lichess puzzles (CSV: FEN,Moves,Rating).")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), help="The set's CSV file.")
@click.option("--checker", default="stockfish:nodes=20000", show_default=True,
              help="The engine that must agree with each line and tell the twin's best move.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the file's first N puzzles.")
@click.option("--seed", type=int, default=0, show_default=True, help="Orders each puzzle's corruptions.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def lookahead_puzzles(puzzle_file, out_file, checker, limit, seed, as_json):
    """Build a look-ahead puzzle set: forced three-move lines, each with a corrupted twin.

    \b
    chessmesa analyze lookahead-puzzles --out lookahead.csv --limit 500
    """
    from chessmesa.analysis.lookahead_puzzles import build_lookahead_set, write_lookahead_set
    from chessmesa.analysis.puzzles import PuzzleError, read_puzzles
    from chessmesa.play.players import make_player

    _check_spec(checker)
    try:
        puzzles = read_puzzles(puzzle_file)[:limit]
    except PuzzleError as error:
        raise BadInput(str(error)) from None
    player = make_player(checker, seed)
    try:
        with progress_bar("look-ahead puzzles", len(puzzles), enabled=not as_json) as advance:
            chosen, counts = build_lookahead_set(puzzles, player, seed=seed, progress=advance)
    finally:
        player.close()
    write_lookahead_set(out_file, chosen)
    counts = {**counts, "out": out_file, "checker": checker, "source": puzzle_file, "seed": seed}
    if as_json:
        print_json(counts)
    else:
        console.print(f"{counts['with_twin']} look-ahead puzzles of {counts['puzzles']} written to {out_file} "
                      f"({counts['three_move_lines']} with a three-move line, {counts['checker_agrees']} "
                      f"that {checker} agrees with)", markup=False)
