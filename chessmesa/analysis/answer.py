"""The demo's answer, from its ``summary.json``: the summary table (the console's and the
report's), and the sentences the report opens with.

>>> format_interval(0.296, [0.283, 0.309], "{:.1%}")
'29.6% [28.3%, 30.9%]'
"""

from __future__ import annotations


def format_value(value, pattern: str) -> str:
    """``pattern.format(value)``, or ``-`` for a missing value.

    A value that rounds to zero reads as zero, never as ``-0``.

    >>> format_value(0.25, "{:.1%}"), format_value(None, "{:.1%}"), format_value(-0.001, "{:+.0f}")
    ('25.0%', '-', '+0')
    """
    if value is None:
        return "-"
    text, zero = pattern.format(value), pattern.format(0.0)
    return zero if text.replace("-", "+") == zero or text.replace("-", "") == zero else text


def format_interval(value, interval, pattern: str) -> str:
    """A value and its interval, ``29.6% [28.3%, 30.9%]``; the interval left out where it is
    missing or open.

    >>> format_interval(26.2, [10.1, 40.4], "{:+.0f}")
    '+26 [+10, +40]'
    """
    text = format_value(value, pattern)
    if interval and None not in interval:
        text += f" [{pattern.format(interval[0])}, {pattern.format(interval[1])}]"
    return text


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


def summary_rows(summary: dict) -> tuple[str, list[str], list[list[str]]]:
    """``(title, headers, rows)`` of the students and the searcher's ladder: every student's
    agreement, search-equivalent budget, puzzles and Elo, then the searcher at each budget and
    Stockfish, on the anchor's scale and each Stockfish scale."""
    reference = summary["reference"]
    external = [scale for scale in summary.get("scales", []) if scale["anchor"].startswith("sf-")]
    title = (f"students without search vs the {reference['kind']} {reference['budget']}-simulation "
             f"reference ({summary['split']['games']} held-out games; 95% game-level intervals)")
    headers = ["player", "teacher", "target", "top-1 (ties count)", "top-1 strict", "Q-regret",
               "search-equivalent sims", "undecided: equivalent sims", "puzzles", "vs random",
               f"Elo ({summary['anchor']['name']} = 0)", f"duel vs {summary['anchor']['name']}",
               *(f"Elo ({scale['anchor']} = {scale['anchor_elo']:g})" for scale in external)]
    rows = []

    def on_external_scales(player: dict) -> list[str]:
        return [_elo(player.get("elo_scales", {}).get(scale["anchor"], {})) for scale in external]

    for s in summary["students"]:
        agreement = s["agreement"]["all"]
        rows.append([s["name"], str(s["teacher_budget"]), s["target"],
                     format_interval(agreement["top1_tied"], agreement["top1_tied_ci"], "{:.1%}"),
                     format_interval(agreement["top1_strict"], agreement["top1_strict_ci"], "{:.1%}"),
                     format_value(agreement["q_regret"], "{:.3f}"), _budget(s["search_equivalent"]["all"]),
                     _budget(s["search_equivalent"]["undecided"]),
                     format_value(s["puzzle_first_move_accuracy"], "{:.1%}"), format_value(s["against_random"].get("score"), "{:.0%}"),
                     _elo({"elo": s["elo"], "ci": s["elo_ci"]}), _duel(s.get("duel")),
                     *on_external_scales(s)])
    for rung in summary["ladder"]:
        rows.append([f"mcts-{rung['sims']}", "-", "-", format_interval(rung["agreement"], rung["agreement_ci"], "{:.1%}"),
                     "-", "-", f"{rung['sims']}", "-", format_value(rung["puzzle_first_move_accuracy"], "{:.1%}"), "-",
                     _elo({"elo": rung["elo"], "ci": rung["elo_ci"]}), "-",
                     *on_external_scales(rung)])
    for anchor in summary.get("stockfish", []):
        own = anchor["elo_scales"].get(summary["anchor"]["name"], {})
        rows.append([anchor["name"], "-", "-", "-", "-", "-", "-", "-", "-", "-", _elo(own), "-",
                     *on_external_scales(anchor)])
    return title, headers, rows




def answer_sentences(summary: dict) -> list[str]:
    """Two to five sentences from the numbers: the best student by agreement and what it is
    worth, the strongest student in play, the searcher it does not reach, the clock's verdict on
    it and the look-ahead found in the best student, where the demo ran those stages."""
    from chessmesa.analysis.clock import break_even_sentence
    from chessmesa.analysis.lookahead import lookahead_sentence

    students, anchor = summary["students"], summary["anchor"]["name"]
    best = max(students, key=lambda s: s["agreement"]["all"]["top1_tied"] or 0.0)
    agreement, worth = best["agreement"]["all"], best["search_equivalent"]["all"]
    equivalent = (f"as often as the searcher does at {_budget(worth)} simulations" if worth["budget"] is not None
                  else f"{worth['out_of_range']} the searcher's curve of 1 simulation and more")
    sentences = [f"The best student by agreement, {best['name']} (no search, {best['parameters']:,} parameters, "
                 f"taught by {best['teacher_budget']}-simulation searches), agrees with the independent reference "
                 f"on {format_interval(agreement['top1_tied'], agreement['top1_tied_ci'], '{:.1%}')} of the "
                 f"held-out positions: {equivalent}."]
    rated = [s for s in students if s["elo"] is not None]
    if rated:
        strongest = max(rated, key=lambda s: s["elo"])
        duel = f"; its duel against {anchor}: {_duel(strongest['duel'])}" if strongest.get("duel") else ""
        sentences.append(f"The strongest in play, {strongest['name']}, is rated "
                         f"{_elo({'elo': strongest['elo'], 'ci': strongest['elo_ci']})} ({anchor} = 0){duel}.")
        # a rung whose rating lies above the student's whole interval, not one it merely trails by noise
        ceiling = (strongest["elo_ci"] or [None, strongest["elo"]])[1]
        ceiling = strongest["elo"] if ceiling is None else ceiling
        stronger = [rung for rung in summary["ladder"] if rung["elo"] is not None and rung["elo"] > ceiling]
        if stronger:
            sims = stronger[0]["sims"]
            sentences.append(f"Where it falls short: the searcher at {sims} simulation{'s' * (sims != 1)} is rated "
                             f"{_elo({'elo': stronger[0]['elo'], 'ci': stronger[0]['elo_ci']})}, above every student.")
        verdict = (summary.get("clock") or {}).get("break_even")
        verdict = next((v for v in verdict or [] if v["player"] == strongest["name"]), None)
        if verdict:
            sentences.append(f"At equal time per move: {break_even_sentence(verdict)}.")
    if best.get("lookahead"):
        sentences.append(lookahead_sentence(best["name"], best["lookahead"]))
    return sentences


def lead_section(summary: dict, headline_png: bytes | None):
    """The report's first section: the answer in sentences, the headline figure and the summary
    table (:class:`chessmesa.analysis.report.Section`)."""
    from chessmesa.analysis.report import Section, Table

    title, headers, rows = summary_rows(summary)
    return Section("The answer", source="summary.json", text=" ".join(answer_sentences(summary)),
                   tables=[Table(headers, rows, title)], png=headline_png)
