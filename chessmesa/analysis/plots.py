"""Plots of analysis results, drawn from their JSON dicts (so a report can redraw them later).

Figures are built with matplotlib's object API (``Figure``, rendered by Agg), never ``pyplot``:
no global state, no display needed.

>>> import io
>>> result = {"analysis": "agreement", "student": "s", "budgets": {"16": {"top1_tied": 0.5, "n": 4}}}
>>> figure = plot_result(result)
>>> png_bytes(figure)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from chessmesa.analysis.results import analysis_kind

DPI = 110


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def _errorbar(axes, x, values, intervals, label, **style) -> None:
    """Points joined by a line, with interval bars where an interval is known."""
    y = np.array([_number(v) for v in values])
    low = np.array([_number(ci[0]) if ci else np.nan for ci in intervals])
    high = np.array([_number(ci[1]) if ci else np.nan for ci in intervals])
    errors = np.nan_to_num(np.vstack([y - low, high - y]), nan=0.0, posinf=0.0, neginf=0.0).clip(min=0)
    axes.errorbar(x, y, yerr=errors, marker="o", capsize=3, label=label, **style)


def _budget_axis(axes) -> None:
    """A log2 axis of search budgets, labelled with plain numbers (64, not 2^6)."""
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.set_xlabel("search budget (simulations)")


def _series(rows: list[dict], key: str) -> tuple[list, list]:
    return [row.get(key) for row in rows], [row.get(f"{key}_ci") for row in rows]


def agreement_figure(result: dict) -> Figure:
    """Agreement (tie-aware and strict top-1, top-3) and KL/cross-entropy with the searcher's
    labels at each budget (log axis)."""
    budgets = sorted(result["budgets"], key=int)
    rows = [result["budgets"][b] for b in budgets]
    x = [int(b) for b in budgets]
    figure = Figure(figsize=(10, 4), dpi=DPI)
    left, right = figure.subplots(1, 2)
    for key, label in (("top1_tied", "top-1 (ties count)"), ("top1_strict", "top-1 strict"), ("top3", "top-3")):
        _errorbar(left, x, *_series(rows, key), label)
    left.set(ylabel="agreement", ylim=(0, 1.02), title=f"{result.get('student', '')} vs the searcher")
    for key, label in (("kl_bits", "KL(searcher || student)"), ("xent_bits", "cross-entropy")):
        _errorbar(right, x, *_series(rows, key), label)
    right.set(ylabel="bits")
    for axes in (left, right):
        _budget_axis(axes)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    return figure


def puzzles_figure(result: dict) -> Figure:
    """First-move and line accuracy by rating band."""
    bands = sorted(result["bands"], key=int)
    rows = [result["bands"][b] for b in bands]
    x = [int(b) + 100 for b in bands]
    figure = Figure(figsize=(7, 4), dpi=DPI)
    axes = figure.subplots()
    _errorbar(axes, x, [r["first_move_accuracy"] for r in rows], [r.get("first_move_ci") for r in rows],
              "first move")
    _errorbar(axes, x, [r["line_accuracy"] for r in rows], [r.get("line_ci") for r in rows], "full line")
    axes.set(xlabel="puzzle rating (200-point bands)", ylabel="accuracy", ylim=(0, 1.02),
             title=f"puzzles: {result.get('engine', '')}")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure


def _equivalence_panel(axes, section: dict, ylabel: str, student_key: str) -> None:
    curve = section["curve"]
    budgets = sorted(curve, key=int)
    intervals = section.get("curve_ci") or {}
    _errorbar(axes, [int(b) for b in budgets], [curve[b] for b in budgets],
              [intervals.get(b) for b in budgets], "MCTS")
    student = _number(section.get(student_key))
    axes.axhline(student, color="C1", linestyle="--", label="student")
    interval = section.get(f"{student_key}_ci")
    if interval and None not in interval:
        axes.axhspan(interval[0], interval[1], color="C1", alpha=0.15)
    self_curve = section.get("self_agreement_curve")
    if self_curve:
        axes.plot([int(b) for b in budgets], [_number(self_curve.get(b)) for b in budgets], "x:",
                  color="0.6", label="self-agreement (not independent)")
    if section.get("budget") is not None:
        axes.axvline(section["budget"], color="C2", linestyle=":",
                     label=f"equivalent budget {section['budget']:.0f}")
    _budget_axis(axes)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend()


def equivalence_figure(result: dict) -> Figure:
    """The searcher's curve, the student's level and the equivalent budget (agreement; Elo)."""
    panels = [("search", f"{result['search']['metric']} vs the reference", "student_agreement")]
    if result.get("elo"):
        panels.append(("elo", "Elo (smallest budget = 0)", "student_elo"))
    figure = Figure(figsize=(5 * len(panels), 4), dpi=DPI)
    for axes, (key, ylabel, student_key) in zip(np.atleast_1d(figure.subplots(1, len(panels))), panels):
        _equivalence_panel(axes, result[key], ylabel, student_key)
    figure.suptitle(f"search-equivalent budget of {result.get('student', '')}")
    figure.tight_layout()
    return figure


def frontier_figure(result: dict) -> Figure:
    """Agreement and Elo against training FLOPs per teacher budget (and model size); test-time
    against training compute with the fitted iso-Elo lines."""
    runs = result["runs"]
    groups = sorted({(run["teacher_budget"], run.get("model") or "") for run in runs})
    has_elo = any(point.get("elo") is not None for point in result.get("points", []))
    figure = Figure(figsize=(15 if has_elo else 5, 4), dpi=DPI)
    panels = np.atleast_1d(figure.subplots(1, 3 if has_elo else 1))
    for teacher, model in groups:
        mine = sorted((r for r in runs if (r["teacher_budget"], r.get("model") or "") == (teacher, model)),
                      key=lambda r: r["train_flops"])
        label = f"teacher {teacher}" + (f", {model}" if model else "")
        flops = [r["train_flops"] for r in mine]
        compute = [_number(r.get("total_seconds")) for r in mine]
        panels[0].plot(compute, [_number(r.get("agreement")) for r in mine], "o-", label=label)
        if has_elo:
            panels[1].plot(flops, [_number(r.get("elo")) for r in mine], "o-", label=label)
    panels[0].set(xscale="log", xlabel="core-seconds (label search + training)",
                  ylabel="top-1 vs the reference")
    if has_elo:
        panels[1].set(xscale="log", xlabel="training FLOPs", ylabel="Elo (no search)")
        _exchange_panel(panels[2], result)
    for axes in panels:
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _exchange_panel(axes, result: dict) -> None:
    points = [p for p in result["points"] if p.get("elo") is not None]
    train = np.log10([p["train_flops"] for p in points])
    test = np.log10([p["test_flops"] for p in points])
    elo = np.array([p["elo"] for p in points])
    scatter = axes.scatter(train, test, c=elo, cmap="viridis")
    axes.figure.colorbar(scatter, ax=axes, label="Elo")
    fit = result.get("fit")
    if fit:
        line = np.linspace(train.min(), train.max(), 2)
        for level in np.quantile(elo, [0.25, 0.5, 0.75]):
            axes.plot(line, fit["intercept"] + fit["train_slope"] * line + fit["elo_slope"] * level,
                      "--", label=f"iso-Elo {level:.0f}")
    axes.set(xlabel="log10 training FLOPs", ylabel="log10 test-time FLOPs per move",
             title="train-time vs test-time compute")


def probes_figure(result: dict) -> Figure:
    """Probe scores per layer for each target: trained network (solid) vs random init (dashed)."""
    targets = list(result["targets"])
    columns = min(4, len(targets))
    rows_count = -(-len(targets) // columns)
    figure = Figure(figsize=(4 * columns, 3.2 * rows_count), dpi=DPI)
    grid = np.atleast_1d(figure.subplots(rows_count, columns, squeeze=False)).ravel()
    for axes, target in zip(grid, targets):
        info = result["targets"][target]
        for index, student in enumerate(result["students"]):
            layers = list(student["trained"])
            x = np.arange(len(layers))
            axes.plot(x, [_number(student["trained"][layer].get(target)) for layer in layers], "o-",
                      color=f"C{index}", label=student["name"])
            axes.plot(x, [_number(student["control"][layer].get(target)) for layer in layers], "x--",
                      color=f"C{index}", alpha=0.6, label="random init")
            axes.set_xticks(x, layers, rotation=45, ha="right", fontsize="small")
        if info.get("baseline") is not None:
            axes.axhline(info["baseline"], color="grey", linestyle=":", label="no features")
        axes.set(title=target, ylabel=info["metric"])
        axes.grid(alpha=0.3)
    for axes in grid[len(targets):]:
        axes.set_visible(False)
    grid[0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure


def lookahead_figure(result: dict) -> Figure:
    """A look-ahead result's figure: over training (:func:`lookahead_training_figure`) when it
    holds snapshots of one run, else per layer (:func:`lookahead_layers_figure`)."""
    steps = [student.get("step") for student in result["students"]]
    if len(steps) > 1 and None not in steps:
        return lookahead_training_figure(result)
    return lookahead_layers_figure(result)


def _interval_bars(entries: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Means and ``errorbar`` spreads of ``{"mean", "ci"}`` entries (None as NaN, no bar)."""
    means = np.array([_number(entry["mean"]) for entry in entries])
    spread = np.array([[m - _number(e["ci"][0]), _number(e["ci"][1]) - m] for m, e in zip(means, entries)]).T
    return means, np.nan_to_num(spread.reshape(2, len(entries))).clip(min=0)


def _layer_position(layer: str) -> int:
    """Where a layer sits on a depth axis shared by towers of different depths: the stem first,
    block k at k, the heads last (so that every student's policy head lines up).

    >>> [_layer_position(name) for name in ("stem", "block3", "policy_head")]
    [0, 3, 1000]
    """
    if layer.startswith("block") and layer[5:].isdigit():
        return int(layer[5:])
    return 0 if layer in ("stem", "embed") else 1000


def lookahead_layers_figure(result: dict) -> Figure:
    """Top row: per patched square, the drop in the solution's log-odds minus that at the other
    squares as near the twin's change, per layer, with intervals (95% for all layers at once).
    Middle row: per probe target, the square-wise probe's accuracy per layer, trained (solid) and
    random-init (dashed), the input planes (dash-dot) and no features (dotted). One colour per
    student; layers of towers of different depths line up by name (:func:`_layer_position`).
    Bottom row, where the students carry their search-equivalent budgets: the 3rd move's patching
    effect (at its strongest layer) and the 3rd-move probe's best accuracy against that budget:
    does look-ahead grow with strength?"""
    from chessmesa.analysis.lookahead import LABELS, TARGET_NAMES, lookahead_verdict
    from chessmesa.analysis.patching import PATCHED_SQUARES

    students = result["students"]
    family = [s for s in students if (s.get("search_equivalent") or {}).get("budget") is not None]
    layers_seen = sorted({layer for s in students for layer in s["patching"]["layers"]}, key=_layer_position)
    position = {layer: index for index, layer in enumerate(layers_seen)}
    columns = max(len(PATCHED_SQUARES), len(TARGET_NAMES))
    rows = 3 if family else 2
    figure = Figure(figsize=(3.8 * columns, 3.4 * rows), dpi=DPI)
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, student in enumerate(students):
        colour = f"C{index}"
        layers = list(student["patching"]["layers"])
        x = np.array([position[layer] for layer in layers]) + 0.06 * (index - len(students) / 2)
        for axes, square in zip(grid[0], PATCHED_SQUARES):
            means, spread = _interval_bars([student["patching"]["layers"][layer][square]["difference"]
                                            for layer in layers])
            axes.errorbar(x, means, yerr=spread, fmt="o-", capsize=2, color=colour, label=student["name"])
            axes.set(title=f"patch the {LABELS[square]}", ylabel="log-odds drop, minus as-near squares")
        probes = student["probes"]
        x = np.array([position[layer] for layer in probes["trained"]])
        for axes, target in zip(grid[1], TARGET_NAMES):
            axes.plot(x, [_number(probes["trained"][layer][target]) for layer in probes["trained"]], "o-",
                      color=colour, label=student["name"])
            axes.plot(x, [_number(probes["random"][layer][target]) for layer in probes["random"]], "x--",
                      color=colour, alpha=0.5)
            axes.axhline(_number(probes["planes"][target]), color=colour, linestyle="-.", alpha=0.5)
            axes.axhline(_number(probes["prior"][target]), color="grey", linestyle=":")
            axes.set(title=f"probe: {LABELS[target]}", ylabel="held-out top-1", ylim=(0, 1))
    for axes in grid[:2].ravel():
        axes.set_xticks(np.arange(len(layers_seen)), layers_seen, rotation=45, ha="right", fontsize="small")
    for axes in grid[0]:
        axes.axhline(0, color="grey", linewidth=0.8)
    grid[0, 0].legend(fontsize="x-small")
    grid[1, 0].legend(handles=[Line2D([], [], color="0.3", marker="o", label="trained"),
                               Line2D([], [], color="0.3", marker="x", linestyle="--", label="random init"),
                               Line2D([], [], color="0.3", linestyle="-.", label="input planes"),
                               Line2D([], [], color="grey", linestyle=":", label="no features")],
                      fontsize="x-small", loc="lower left")
    if family:
        budgets = [s["search_equivalent"]["budget"] for s in family]
        verdicts = [lookahead_verdict(s) for s in family]
        effect, probe = grid[2, 0], grid[2, 1]
        means, spread = _interval_bars([{"mean": v["difference"], "ci": v["ci"] or [None, None]} for v in verdicts])
        effect.errorbar(budgets, means, yerr=spread, fmt="o", capsize=3)
        effect.axhline(0, color="grey", linewidth=0.8)
        for name, budget, mean in zip([s["name"] for s in family], budgets, means):
            effect.annotate(name, (budget, mean), fontsize=6, textcoords="offset points", xytext=(3, 3))
        effect.set(ylabel="log-odds drop, minus as-near squares",
                   title=f"3rd-move patching ({len(family)} of {len(students)} on the scale)")
        probe.plot(budgets, [_number(v["probe"]["trained"]) for v in verdicts], "o", label="trained (best layer)")
        probe.plot(budgets, [_number(v["probe"]["random"]) for v in verdicts], "x", label="random init (best layer)")
        probe.plot(budgets, [_number(v["probe"]["planes"]) for v in verdicts], "+", label="input planes")
        probe.set(ylabel="held-out top-1", title="3rd-move probe")
        probe.legend(fontsize="x-small")
        for axes in (effect, probe):
            axes.set_xscale("log")
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            axes.xaxis.set_minor_formatter(NullFormatter())
            axes.set_xlabel("search-equivalent budget (sims)")
        for axes in grid[2, 2:]:
            axes.set_visible(False)
    for axes in grid.ravel():
        axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def lookahead_training_figure(result: dict) -> Figure:
    """What-when-where (McGrath et al. 2022): for each patched square and each probe target, a
    layer x training-step map of the patching difference (log-odds, minus the squares as near the
    twin's change) and
    of the probe's held-out accuracy, over one run's snapshots."""
    from chessmesa.analysis.lookahead import LABELS, TARGET_NAMES
    from chessmesa.analysis.patching import PATCHED_SQUARES

    students = sorted(result["students"], key=lambda student: student["step"])
    steps = [student["step"] for student in students]
    layers = list(students[0]["patching"]["layers"])
    columns = max(len(PATCHED_SQUARES), len(TARGET_NAMES))
    figure = Figure(figsize=(3.6 * columns, 6.8), dpi=DPI)
    grid = figure.subplots(2, columns, squeeze=False)
    panels = [(axes, f"patch the {LABELS[square]}", "RdBu_r",
               [[_number(s["patching"]["layers"][layer][square]["difference"]["mean"]) for s in students]
                for layer in layers]) for axes, square in zip(grid[0], PATCHED_SQUARES)]
    panels += [(axes, f"probe: {LABELS[target]}", "viridis",
                [[_number(s["probes"]["trained"][layer][target]) for s in students] for layer in layers])
               for axes, target in zip(grid[1], TARGET_NAMES)]
    for axes, title, colours, values in panels:
        values = np.array(values, dtype=float)
        if colours == "RdBu_r":  # differences: centred on 0
            bound = max(np.nanmax(np.abs(values)), 1e-6)
            image = axes.imshow(values, cmap=colours, vmin=-bound, vmax=bound, aspect="auto", origin="lower")
        else:
            image = axes.imshow(values, cmap=colours, vmin=0, vmax=1, aspect="auto", origin="lower")
        figure.colorbar(image, ax=axes, fraction=0.046)
        axes.set_xticks(np.arange(len(steps)), [str(step) for step in steps], rotation=45, fontsize="small")
        axes.set_yticks(np.arange(len(layers)), layers, fontsize="small")
        axes.set(title=title, xlabel="training step")
    run = Path(students[0].get("checkpoint", "")).parent.parent  # RUN/snapshots/step-N.safetensors
    figure.suptitle(f"look-ahead over training: {run} (means over the puzzles; intervals in the tables)",
                    fontsize="small")
    figure.tight_layout()
    return figure


def _ratings_figure(names: list[str], ratings: list, intervals: list, xlabel: str) -> Figure:
    """One row per player: its Elo and 95% interval."""
    figure = Figure(figsize=(7, 0.4 * len(names) + 1.5), dpi=DPI)
    axes = figure.subplots()
    y = np.arange(len(names))[::-1]
    ratings = np.array([_number(r) for r in ratings])
    intervals = [ci or [None, None] for ci in intervals]
    low = ratings - np.array([_number(ci[0]) for ci in intervals])
    high = np.array([_number(ci[1]) for ci in intervals]) - ratings
    axes.errorbar(ratings, y, xerr=np.nan_to_num(np.vstack([low, high])).clip(min=0), fmt="o", capsize=3)
    axes.set_yticks(y, names)
    axes.set(xlabel=xlabel)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def tournament_figure(result: dict) -> Figure:
    """Bradley-Terry ratings with their intervals."""
    players = result["players"]
    return _ratings_figure([p["name"] for p in players], [p["rating"] for p in players],
                           [p.get("ci") for p in players],
                           f"Elo ({result.get('anchor', '')} = {result.get('anchor_elo', 0):g})")


def duels_figure(result: dict) -> Figure:
    """Each student's Elo against the duels' opponent, with its pentanomial interval."""
    duels = result["duels"]
    figure = _ratings_figure([d["student"] for d in duels], [d["elo"] for d in duels],
                             [d["elo_ci"] for d in duels],
                             f"Elo against {result['opponent']} ({result['games']} games each)")
    figure.axes[0].axvline(0, color="0.5", linewidth=0.8)
    return figure


def iteration_figure(result: dict) -> Figure:
    """Expert iteration: Elo by generation of the students alone (generation 0's = 0) and with
    search (the static searcher at the same simulations = 0), and each student's agreement with
    the teacher that labelled it; 95% intervals."""
    generations = result["generations"]
    x = [g["generation"] for g in generations]
    figure = Figure(figsize=(11, 4), dpi=DPI)
    left, right = figure.subplots(1, 2)
    anchors = result.get("anchors", {})
    for key, label in (("alone", f"student alone ({anchors.get('alone', 'gen0')} = 0)"),
                       ("with_search", f"student with search ({anchors.get('with_search', 'mcts')} = 0)")):
        _errorbar(left, x, [g[key].get("elo") for g in generations],
                  [g[key].get("elo_ci") for g in generations], label)
    left.axhline(0, color="0.5", linewidth=0.8)
    left.set(xlabel="generation", ylabel="Elo", title="strength by generation")
    left.legend(fontsize=8)
    _errorbar(right, x, [g["agreement_with_teacher"].get("top1_tied") for g in generations],
              [g["agreement_with_teacher"].get("top1_tied_ci") for g in generations], "top-1 (ties count)")
    right.set(xlabel="generation", ylabel="agreement", title="student alone vs the teacher that labelled it")
    for axes in (left, right):
        axes.set_xticks(x)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def clock_figure(result: dict) -> Figure:
    """Elo against the measured median time per move (log axis), where a player's moves are
    placed whatever its limit asked (Stockfish, say, cannot move in 1 ms): one line per
    searching player, a point per limit; a player that does not search is a point, dotted on to
    its 99th percentile; each break-even limit a dotted line. 95% intervals."""
    figure = Figure(figsize=(8, 4.8), dpi=DPI)
    axes = figure.subplots()
    rows = result["entrants"]
    families = list(dict.fromkeys(row["family"] for row in rows if row["limit_ms"] is not None))
    for family in families:
        members = [row for row in rows if row["family"] == family]
        _errorbar(axes, [row["move_time"]["p50_ms"] or row["limit_ms"] for row in members],
                  [row["elo"] for row in members], [row["elo_ci"] for row in members], f"{family} (at each limit)")
    for row in rows:
        if row["limit_ms"] is None and row["move_time"]["p50_ms"] is not None:
            times = row["move_time"]
            elo = _number(row["elo"])
            low, high = (_number(x) for x in row["elo_ci"])
            spread = np.array([[elo - low], [high - elo]])
            drawn = axes.errorbar([times["p50_ms"]], [elo], fmt="s", capsize=3,
                                  label=f"{row['name']} (median move time; dotted to p99)",
                                  yerr=np.where(np.isfinite(spread), spread, 0).clip(min=0))
            axes.hlines(elo, times["p50_ms"], times["p99_ms"], colors=drawn[0].get_color(), linestyles=":",
                        linewidth=1)
    for verdict in result.get("break_even", []):
        if verdict["status"] == "found":
            axes.axvline(verdict["limit_ms"], linestyle=":", color="0.4", linewidth=1)
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(FixedLocator([0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set(xlabel="measured median time per move (ms)", ylabel=f"Elo ({result['anchor']} = 0)",
             title="strength against time per move")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


FIGURES: dict[str, Callable[[dict], Figure]] = {
    "agreement": agreement_figure, "puzzles": puzzles_figure, "equivalence": equivalence_figure,
    "frontier": frontier_figure, "probes": probes_figure, "lookahead": lookahead_figure,
    "tournament": tournament_figure,
    "iteration": iteration_figure, "duels": duels_figure, "clock": clock_figure,
}


def plot_result(result: dict) -> Figure:
    """The figure of any analysis result; ValueError for a document that is not one."""
    kind = analysis_kind(result)
    if kind not in FIGURES:
        raise ValueError(f"no plot for analysis {kind!r}")
    return FIGURES[kind](result)


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def save_plot(result: dict, path: str | Path) -> None:
    """Draw ``result`` and save it (the format follows the file's extension: png, svg, pdf)."""
    plot_result(result).savefig(path)
