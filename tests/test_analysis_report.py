"""Plots and the report: every analysis result draws, and ``chessmesa report`` writes one
self-contained HTML page and a Markdown summary."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from chessmesa.analysis.agreement import summarise as summarise_agreement
from chessmesa.analysis.plots import FIGURES, png_bytes, plot_result, save_plot
from chessmesa.analysis.report import write_report
from chessmesa.analysis.results import json_ready, load_results, write_result
from chessmesa.cli import main


def _agreement_result() -> dict:
    rows = [{"top1_tied": float(i % 2), "top1_strict": 0.0, "q_regret": 0.1, "top3": 1.0, "kl_bits": 0.5,
             "xent_bits": 1.5, "confidence": 0.6, "student_entropy_bits": 1.0, "reference_entropy_bits": 1.0,
             "kendall_tau": 0.3, "value_error": 0.01} for i in range(10)]
    values = np.linspace(-1, 1, 10)
    summary = summarise_agreement(rows, values, values * 0.5, np.arange(10) // 2)
    return {"analysis": "agreement", "student": "policy:ckpt=x",
            "reference": {"kind": "independent", "budget": 4096}, "split": {"split": "validation", "games": 5},
            "strata": {"all": summary, "decided": None, "undecided": summary},
            "budgets": {"16": summary, "64": summary}, "config": {"seed": 0}}


RESULTS = {
    "agreement": _agreement_result(),
    "puzzles": {"analysis": "puzzles", "engine": "mcts", "n": 3, "first_move_accuracy": 2 / 3,
                "first_move_ci": [0.0, 1.0], "line_accuracy": 1 / 3, "line_ci": [0.0, 1.0],
                "bands": {"1000": {"range": [1000, 1199], "n": 2, "first_move_accuracy": 1.0,
                                   "line_accuracy": 0.5},
                          "1400": {"range": [1400, 1599], "n": 1, "first_move_accuracy": 0.0,
                                   "line_accuracy": 0.0}}},
    "equivalence": {"analysis": "equivalence", "student": "policy:ckpt=x",
                    "search": {"metric": "top1", "top_budget": 256, "student_agreement": 0.5,
                               "curve": {"16": 0.3, "64": 0.6, "256": 1.0}, "budget": 40.3,
                               "out_of_range": None},
                    "elo": {"curve": {"1": 0.0, "16": 150.0, "256": 400.0}, "student_elo": 90.0,
                            "budget": 8.0, "out_of_range": None, "games": 24}},
    "frontier": {"analysis": "frontier",
                 "runs": [{"name": f"r{i}", "teacher_budget": 16 * (1 + i % 2), "model": "tiny",
                           "train_flops": 10.0 ** (12 + i), "agreement": 0.2 + 0.05 * i, "elo": 10.0 * i}
                          for i in range(4)],
                 "points": [{"train_flops": 10.0 ** (12 + i), "test_flops": 10.0 ** (6 + i % 3),
                             "elo": 10.0 * i} for i in range(6)],
                 "fit": {"intercept": 9.0, "train_slope": -0.5, "elo_slope": 0.01, "r_squared": 0.9}},
    "probes": {"analysis": "probes",
               "targets": {"in_check": {"kind": "classification", "metric": "accuracy", "budget": None,
                                        "baseline": 0.9},
                           "material": {"kind": "regression", "metric": "r2", "budget": None,
                                        "baseline": 0.0}},
               "students": [{"name": "runs/a", "teacher_budget": 64,
                             "trained": {"stem": {"in_check": 0.95, "material": 0.8},
                                         "block1": {"in_check": 0.97, "material": 0.9}},
                             "control": {"stem": {"in_check": 0.9, "material": 0.3},
                                         "block1": {"in_check": 0.9, "material": None}}}]},
    "tournament": {"players": [{"name": "mcts:sims=64", "rating": 120.0, "ci": [50.0, 190.0],
                                "games": 8, "score": 0.7},
                               {"name": "random", "rating": 0.0, "ci": [0.0, 0.0], "games": 8,
                                "score": 0.3}],
                   "anchor": "random", "anchor_elo": 0.0},
}


@pytest.mark.parametrize("kind", sorted(RESULTS))
def test_every_result_plots_to_a_nonempty_png(kind, tmp_path):
    assert kind in FIGURES
    data = png_bytes(plot_result(RESULTS[kind]))
    assert data.startswith(b"\x89PNG") and len(data) > 5_000
    save_plot(RESULTS[kind], tmp_path / f"{kind}.svg")
    assert (tmp_path / f"{kind}.svg").stat().st_size > 1_000


def test_json_results_are_strict_and_found_again(tmp_path):
    write_result(tmp_path / "a.json", RESULTS["agreement"])
    text = (tmp_path / "a.json").read_text()
    assert "NaN" not in text and json.loads(text)["budgets"]["16"]["n"] == 10
    (tmp_path / "other.json").write_text('{"unrelated": 1}')
    (tmp_path / "broken.json").write_text("{")
    assert [path.name for path, _ in load_results(tmp_path)] == ["a.json"]
    assert json_ready({"x": np.array([np.nan, 1.0])}) == {"x": [None, 1.0]}


def test_report_is_self_contained_html_and_markdown(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    for kind, result in RESULTS.items():
        write_result(results / f"{kind}.json", result)
    written = write_report(results, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == len(RESULTS)
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert "src='http" not in page and "<link" not in page  # nothing fetched from elsewhere
    markdown = (tmp_path / "out" / "report.md").read_text()
    for title in ("Agreement", "Puzzles", "Equivalence", "Compute frontier", "Linear probes", "Tournament"):
        assert f"## {title}" in markdown and title in page
    assert "| 16 | 10 / 5 |" in markdown and "| undecided | 10 / 5 |" in markdown  # the agreement tables
    assert len(written["sections"]) == len(RESULTS)
    assert all((tmp_path / "out" / f"report-{i}.png").stat().st_size > 0 for i in range(1, 7))


def test_cli_report_and_its_bad_input(tmp_path):
    write_result(tmp_path / "puzzles.json", RESULTS["puzzles"])
    runner = CliRunner()
    ok = runner.invoke(main, ["report", str(tmp_path), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["sections"] == ["Puzzles: mcts"]
    assert (tmp_path / "report.html").stat().st_size > 5_000
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        result = runner.invoke(main, ["report", str(folder)])
        assert result.exit_code == 2 and str(folder.name) in result.output


def test_every_agreement_figure_in_the_report_carries_a_game_level_interval():
    from chessmesa.analysis.report import summarise

    section = summarise(RESULTS["agreement"])
    for table in section.tables:
        for row in table.rows:
            figures = row[2:-1]  # after the stratum and the counts; ECE has none
            assert figures and all("[" in cell for cell in figures if cell != "-"), row


def test_the_report_opens_with_the_answer_then_overviews_then_each_player(tmp_path):
    from pathlib import Path

    from chessmesa.analysis.answer import answer_sentences, lead_section

    summary = json.loads((Path(__file__).resolve().parents[1] / "docs" / "results" / "summary.json").read_text())
    sentences = answer_sentences(summary)
    best = max(summary["students"], key=lambda s: s["agreement"]["all"]["top1_tied"])
    assert best["name"] in sentences[0] and f"{best['agreement']['all']['top1_tied']:.1%}" in sentences[0]
    strongest = max(summary["students"], key=lambda s: s["elo"])
    assert strongest["name"] in sentences[1]
    for name, result in (("puzzles-mcts.json", RESULTS["puzzles"]), ("agreement-x.json", RESULTS["agreement"]),
                         ("tournament.json", RESULTS["tournament"])):
        write_result(tmp_path / name, result)
    report = write_report(tmp_path, title="t", lead=lead_section(summary, None))
    assert report["sections"][0] == "The answer" and report["sections"][1] == "Tournament"
    titles = report["sections"]
    assert titles.index("Agreement: policy:ckpt=x") < titles.index("Puzzles: mcts")  # a student before a searcher
    page = (tmp_path / "report.html").read_text()
    assert page.index(sentences[0][:40]) < page.index("Tournament")
