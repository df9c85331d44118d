"""One report from the analysis results of a folder: a self-contained HTML page and a Markdown summary.

Each JSON result found under the folder (:func:`~chessmesa.analysis.results.load_results`)
becomes a section: its headline figures as tables, and its plot, embedded in the HTML as a base64
PNG and written beside the Markdown as a PNG file.

>>> section = summarise({"analysis": "puzzles", "engine": "mcts", "n": 2, "first_move_accuracy": 0.5,
...                      "line_accuracy": 0.5, "bands": {}})
>>> section.title, section.tables[0].rows[0]
('Puzzles: mcts', ['2', '50.0%', '50.0%'])
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from chessmesa.analysis.plots import plot_result, png_bytes
from chessmesa.analysis.results import analysis_kind, load_results


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    title: str
    source: str = ""
    tables: list[Table] = field(default_factory=list)
    png: bytes | None = None
    text: str = ""  # a paragraph before the tables


def _percent(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _fixed(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _interval(value, interval, format_value=_percent) -> str:
    text = format_value(value)
    if interval and None not in interval:
        text += f" [{format_value(interval[0])}, {format_value(interval[1])}]"
    return text


def _agreement_row(first: str, s: dict) -> list[str]:
    calibration = s.get("calibration") or {}
    return [first, f"{s['n']} / {s.get('games', '-')}", _interval(s.get("top1_tied"), s.get("top1_tied_ci")),
            _interval(s.get("top1_strict"), s.get("top1_strict_ci")), _interval(s.get("top3"), s.get("top3_ci")),
            _interval(s.get("q_regret"), s.get("q_regret_ci"), _fixed), _interval(s.get("kl_bits"), s.get("kl_bits_ci"), _fixed),
            _interval(s.get("kl_teacher_bits"), s.get("kl_teacher_bits_ci"), _fixed),
            _interval(s.get("value_mse"), s.get("value_mse_ci"), _fixed), _fixed(calibration.get("ece"))]


_AGREEMENT_HEADERS = ["positions / games", "top-1 tied [95% CI]", "top-1 strict [95% CI]", "top-3 [95% CI]",
                      "Q-regret [95% CI]", "KL bits [95% CI]", "KL bits vs own teacher [95% CI]",
                      "value MSE [95% CI]", "ECE"]


def _agreement(result: dict) -> Section:
    reference = result.get("reference") or {}
    split = result.get("split") or {}
    strata = Table(["stratum"] + _AGREEMENT_HEADERS,
                   [_agreement_row(name, s) for name, s in (result.get("strata") or {}).items() if s],
                   f"against the {reference.get('kind', '')} reference ({reference.get('budget')} simulations), "
                   f"{split.get('split', '')} split: {split.get('games', '-')} games; intervals resample games")
    budgets = Table(["label budget"] + _AGREEMENT_HEADERS,
                    [_agreement_row(b, result["budgets"][b]) for b in sorted(result["budgets"], key=int)],
                    "against the searcher's labels at each budget")
    return Section(f"Agreement: {result.get('student', '')}", tables=[strata, budgets])


def _puzzles(result: dict) -> Section:
    overall = Table(["puzzles", "first move", "full line"],
                    [[str(result["n"]), _interval(result["first_move_accuracy"], result.get("first_move_ci")),
                      _interval(result["line_accuracy"], result.get("line_ci"))]])
    bands = Table(["rating", "n", "first move", "full line"],
                  [[f"{low}-{int(low) + 199}", str(b["n"]), _percent(b["first_move_accuracy"]),
                    _percent(b["line_accuracy"])]
                   for low, b in sorted(result["bands"].items(), key=lambda item: int(item[0]))],
                  "by rating band")
    return Section(f"Puzzles: {result.get('engine', '')}",
                   tables=[overall, bands] if bands.rows else [overall])


def _equivalent(section: dict) -> str:
    if section.get("budget") is not None:
        text = f"{section['budget']:.1f}"
    else:
        text = f"out of range ({section.get('out_of_range')})"
    interval = section.get("budget_ci")
    if interval:
        text += f" [{_fixed(interval[0], 1) if interval[0] is not None else 'below'}, " \
                f"{_fixed(interval[1], 1) if interval[1] is not None else 'above'}]"
    return text


def _equivalence(result: dict) -> Section:
    search = result["search"]
    reference = search.get("reference") or {}
    rows = [["search-equivalent budget", _equivalent(search),
             f"student {search['metric']} {_interval(search['student_agreement'], search.get('student_agreement_ci'))} "
             f"vs the {reference.get('kind', '')} reference at {reference.get('budget')} sims, "
             f"{search.get('stratum', 'all')} positions, {search.get('games', '-')} games"]]
    if result.get("elo"):
        elo = result["elo"]
        rows.append(["Elo-equivalent budget", _equivalent(elo),
                     f"student Elo {_fixed(elo['student_elo'], 0)} ({elo['games']} games)"])
    tables = [Table(["measure", "MCTS budget [95% CI]", "basis"], rows)]
    differences = search.get("student_minus_searcher") or {}
    if differences:
        tables.append(Table(["budget", "searcher", "student minus searcher [95% CI]"],
                            [[b, _fixed(search["curve"][b]), _interval(d["difference"], d["ci"], _fixed)]
                             for b, d in sorted(differences.items(), key=lambda item: int(item[0]))],
                            "paired over the same positions; intervals resample games"))
    return Section(f"Equivalence: {result.get('student', '')}", tables=tables)


def _frontier(result: dict) -> Section:
    runs = Table(["run", "teacher budget", "train FLOPs", "label sims", "core-seconds", "top-1 vs reference",
                  "top-1 vs own teacher", "Elo"],
                 [[run["name"], str(run["teacher_budget"]), f"{run['train_flops']:.3g}",
                   _fixed(run.get("label_simulations"), 0), _fixed(run.get("total_seconds"), 0),
                   _percent(run.get("agreement")), _percent(run.get("teacher_agreement")),
                   _fixed(run.get("elo"), 0)] for run in result["runs"]],
                 "core-seconds: label search and training together")
    tables = [runs]
    front = result.get("agreement_frontier") or {}
    if front.get("fit"):
        tables.append(Table(["compute-efficient runs", "agreement per decade of compute"],
                            [[", ".join(front["runs"]), _percent(front["fit"]["per_decade"])]]))
    fit = result.get("fit")
    if fit:
        tables.append(Table(["intercept", "train slope", "Elo slope", "R^2"],
                            [[_fixed(fit["intercept"]), _fixed(fit["train_slope"]),
                              _fixed(fit["elo_slope"], 5), _fixed(fit["r_squared"])]],
                            "log10 test = intercept + train slope * log10 train + Elo slope * Elo"))
    return Section("Compute frontier", tables=tables)


def _probes(result: dict) -> Section:
    tables = []
    for student in result["students"]:
        layers = list(student["trained"])
        rows = [[target, info["metric"], _fixed(info.get("baseline"))]
                + [f"{_fixed(student['trained'][layer].get(target), 2)}/"
                   f"{_fixed(student['control'][layer].get(target), 2)}" for layer in layers]
                for target, info in result["targets"].items()]
        tables.append(Table(["target", "metric", "no features"] + layers, rows,
                            f"{student['name']} (teacher budget {student.get('teacher_budget')}): "
                            "trained/random-init network"))
    return Section("Linear probes", tables=tables)


def _lookahead(result: dict) -> Section:
    """Per student: the patching differences per layer and square, then the probes with controls."""
    from chessmesa.analysis.lookahead import LABELS, TARGET_NAMES
    from chessmesa.analysis.patching import PATCHED_SQUARES

    def effect(entry: dict) -> str:
        return _interval(entry["mean"], entry["ci"], lambda v: _fixed(v, 2))

    tables = []
    for student in result["students"]:
        patching = student["patching"]
        layers = patching["layers"]
        tables.append(Table(
            ["layer", *(f"{LABELS[square]} minus squares as near the change" for square in PATCHED_SQUARES),
             "all other squares"],
            [[layer, *(effect(layers[layer][square]["difference"]) for square in PATCHED_SQUARES),
              effect(layers[layer]["others"])] for layer in layers],
            f"{student['name']}: drop in the solution's log-odds when one square is patched from the twin, "
            f"on the {patching['noticed']} of {patching['puzzles']} puzzles whose twin drops it by "
            f">= {patching['min_total_drop']:g}; intervals over puzzles, the differences' at 95% for all "
            "layers at once"))
        probes = student["probes"]
        tables.append(Table(
            ["target", "no features", "input planes", *(f"{layer} trained/random" for layer in probes["trained"])],
            [[LABELS[target], _percent(probes["prior"][target]), _percent(probes["planes"][target]),
              *(f"{_percent(probes['trained'][layer][target])}/{_percent(probes['random'][layer][target])}"
                for layer in probes["trained"])] for target in TARGET_NAMES],
            f"{student['name']}: square-wise probe top-1 accuracy on {result['probe_split']['test']} held-out puzzles"))
    return Section("Look-ahead: patching and square-wise probes", tables=tables)


def _tournament(result: dict) -> Section:
    """One rating column per scale (the anchor's, random's, Stockfish's), in the order of the first."""
    scales = result.get("scales") or [{"anchor": result.get("anchor"), "anchor_elo": result.get("anchor_elo", 0),
                                       "players": result["players"]}]
    by_scale = [{p["name"]: p for p in scale["players"]} for scale in scales]
    rows = [[p["name"], *(_interval(found[p["name"]]["rating"], found[p["name"]].get("ci"), lambda v: _fixed(v, 0))
                          for found in by_scale), str(p["games"]), _percent(p["score"])]
            for p in scales[0]["players"]]
    headers = ["engine", *(f"Elo ({s['anchor']} = {s['anchor_elo']:g}), 95% CI" for s in scales), "games", "score"]
    return Section("Tournament", tables=[Table(headers, rows)])


def _duels(result: dict) -> Section:
    rows = [[d["student"], f"{d['wins']}-{d['draws']}-{d['losses']}", _percent(d["score"]), _elo(d)]
            for d in result["duels"]]
    return Section(f"Duels: each student against {result['opponent']}, {result['games']} games",
                   tables=[Table(["student", "W-D-L", "score", "Elo, 95% CI (pentanomial)"], rows)])


def _clock(result: dict) -> Section:
    """The entrants by limit with their measured time per move, then one line per break-even."""
    from chessmesa.analysis.clock import break_even_sentence

    def moved(times: dict) -> str:
        if times["p50_ms"] is None:
            return "-"
        return f"{times['p50_ms']:.3g} / {times['p99_ms']:.3g} ms"

    rows = [[row["name"], "own time" if row["limit_ms"] is None else f"{row['limit_ms']:g} ms",
             _interval(row["elo"], row["elo_ci"], lambda value: _fixed(value, 0)), "-".join(map(str, row["wdl"])),
             moved(row["move_time"]), "-" if row["move_time"]["over_limit_share"] is None
             else _percent(row["move_time"]["over_limit_share"])]
            for row in sorted(result["entrants"], key=lambda row: -(row["elo"] or 0))]
    headers = ["player", "time per move", f"Elo ({result['anchor']} = 0), 95% CI", "W-D-L",
               "measured p50 / p99", "moves over the limit"]
    notes = " ".join(break_even_sentence(verdict) + "." for verdict in result["break_even"])
    return Section("Strength against time per move", tables=[Table(headers, rows, notes)])


def _elo(rating: dict) -> str:
    return _interval(rating.get("elo"), rating.get("elo_ci"), lambda value: _fixed(value, 0))


def _iteration(result: dict) -> Section:
    anchors = result.get("anchors", {})
    rows = [[str(g["generation"]), g["teacher"], str(g["train_positions"]),
             _interval(g["agreement_with_teacher"].get("top1_tied"), g["agreement_with_teacher"].get("top1_tied_ci")),
             _elo(g["alone"]), _elo(g["with_search"]),
             _elo(g["matches"].get("alone", {})), _elo(g["matches"].get("floor", {})), _elo(g["matches"]["static"])]
            for g in result["generations"]]
    tables = [Table(["generation", "labelled by", "training positions", "top-1 vs teacher",
                     f"Elo alone ({anchors.get('alone')} = 0)", f"Elo with search ({anchors.get('with_search')} = 0)",
                     "alone vs previous", "alone vs mcts-1", "with search vs static mcts"], rows,
                    "Bradley-Terry over all the run's games, and each generation's direct matches (pentanomial); 95% intervals")]
    last = result.get("last_vs_first")
    if last:
        tables.append(Table(["match", "W-D-L", "Elo"], [[f"{last['a']} vs {last['b']}",
                                                          f"{last['wins']}-{last['draws']}-{last['losses']}",
                                                          _elo(last)]]))
    return Section("Expert iteration: Elo by generation", tables=tables)


SUMMARIES = {"agreement": _agreement, "puzzles": _puzzles, "equivalence": _equivalence,
             "frontier": _frontier, "probes": _probes, "lookahead": _lookahead, "tournament": _tournament,
             "iteration": _iteration, "duels": _duels, "clock": _clock}


def summarise(result: dict) -> Section:
    """The section of one analysis result (without its plot)."""
    return SUMMARIES[analysis_kind(result)](result)


def _markdown_table(table: Table) -> str:
    lines = [f"*{table.caption}*", ""] if table.caption else []
    lines += ["| " + " | ".join(table.headers) + " |", "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    return "\n".join(lines)


def _html_table(table: Table) -> str:
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in table.rows)
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}caption{font-style:italic;text-align:left}img{max-width:100%}
.source{color:#777;font-size:.9em}.answer{font-size:1.1em;line-height:1.5}"""


def _html_image(section: Section) -> str:
    return (f"<img alt='{html.escape(section.title)}' "
            f"src='data:image/png;base64,{base64.b64encode(section.png).decode()}'>")


def render_html(sections: list[Section], title: str) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts.append(f"<p class='source'>from {html.escape(section.source)}</p>")
        if section.text:
            parts.append(f"<p class='answer'>{html.escape(section.text)}</p>")
        if section.png and section is sections[0] and section.tables:  # the answer: its figure first
            parts.append(_html_image(section))
            parts.extend(_html_table(table) for table in section.tables)
            continue
        parts.extend(_html_table(table) for table in section.tables)
        if section.png:
            parts.append(_html_image(section))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(sections: list[Section], title: str, image_names: list[str]) -> str:
    parts = [f"# {title}"]
    for section, image in zip(sections, image_names):
        parts.append(f"## {section.title}\n\nfrom `{section.source}`")
        if section.text:
            parts.append(section.text)
        parts.extend(_markdown_table(table) for table in section.tables)
        parts.append(f"![{section.title}]({image})")
    return "\n\n".join(parts) + "\n"


#: Results about every player come first; then each player's own, grouped by player.
_OVERVIEWS = ("tournament", "duels", "clock", "frontier", "iteration")
_PER_PLAYER = ("agreement", "equivalence", "puzzles", "probes")


def _reading_order(item: tuple[Path, dict]) -> tuple:
    """Overviews first, then one player's results after another (agreement, equivalence,
    puzzles, probes), the students before the searchers they are measured against."""
    _, result = item
    kind = analysis_kind(result)
    if kind in _OVERVIEWS:
        return (0, _OVERVIEWS.index(kind), "")
    player = str(result.get("student") or result.get("engine") or result.get("player") or "")
    return (1, player.startswith("mcts"), player, _PER_PLAYER.index(kind) if kind in _PER_PLAYER else len(_PER_PLAYER))


def write_report(folder: str | Path, out_dir: str | Path | None = None,
                 title: str = "chessmesa analysis report", lead: Section | None = None) -> dict:
    """Write ``report.html``, ``report.md`` and the plots (``report-N.png``) from ``folder``'s
    results, in reading order (:func:`_reading_order`), after ``lead`` where given (the answer a
    run found, :func:`chessmesa.analysis.answer.lead_section`).

    Returns ``{"html", "markdown", "sections": [...]}``; ValueError when the folder holds no result.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"no such folder {str(folder)!r}")
    out_dir = Path(out_dir) if out_dir is not None else folder
    results = sorted(((path, result) for path, result in load_results(folder)
                      if analysis_kind(result) in SUMMARIES), key=_reading_order)
    if not results:
        raise ValueError(f"no analysis results (JSON) found under {str(folder)!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    sections, images = [], []
    if lead is not None:
        sections.append(lead)
        images.append("report-0.png")
        if lead.png:
            (out_dir / "report-0.png").write_bytes(lead.png)
    for number, (path, result) in enumerate(results, 1):
        section = summarise(result)
        section.source = str(path.relative_to(folder))
        section.png = png_bytes(plot_result(result))
        image = f"report-{number}.png"
        (out_dir / image).write_bytes(section.png)
        sections.append(section)
        images.append(image)
    html_path, markdown_path = out_dir / "report.html", out_dir / "report.md"
    html_path.write_text(render_html(sections, title), encoding="utf-8")
    markdown_path.write_text(render_markdown(sections, title, images), encoding="utf-8")
    return {"html": str(html_path), "markdown": str(markdown_path),
            "sections": [section.title for section in sections]}
