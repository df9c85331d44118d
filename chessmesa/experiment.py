"""The grandmaster experiment end to end: what ``chessmesa demo`` runs.

1. **data**: self-play positions from an opening book, labelled by one anytime search at every
   budget from 1 to 1024 simulations;
2. **students**: networks distilled from the labels of several teacher budgets (and model sizes);
3. **agreement**: each student (no search) against the searcher's top-budget labels, on positions
   held out of training, and the search-equivalent budget: the MCTS budget that agrees as well;
4. **puzzles**: first-move and line accuracy on a rating-stratified set of Lichess puzzles;
5. **tournament**: students, MCTS at several budgets and ``random`` (the anchor, rated 0) in a
   round robin, Bradley-Terry ratings with 95% intervals;
6. **report**: ``summary.json`` (a ``students`` list with each student's teacher budget, model,
   training compute, agreement and Elo), ``headline.png`` and ``report.html``.

Every stage writes its results into the output folder and is skipped when they are there already,
so a stopped demo resumes where it stopped. Same seed, same results (up to the parallel schedule of
tournament games).
"""

from __future__ import annotations

import json
import platform
import time
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
OPENINGS = DATA / "openings" / "noob_2moves.epd"
PUZZLES = DATA / "puzzles" / "lichess_puzzles.csv"
RANDOM_ANCHOR = "random"

# progress(description, total) -> a context manager yielding advance(n)
ProgressFactory = Callable[[str, int], AbstractContextManager]


@dataclass(frozen=True)
class DemoConfig:
    """The sizes of one demo run."""

    positions: int
    budgets: tuple[int, ...]
    teacher_budgets: tuple[int, ...]
    models: tuple[str, ...]
    steps: int
    puzzles: int
    tournament_budgets: tuple[int, ...]
    games_per_pair: int
    val_fraction: float = 0.1
    seed: int = 0

    @property
    def top_budget(self) -> int:
        return self.budgets[-1]


POWERS_OF_TWO = tuple(2**k for k in range(11))  # 1 .. 1024

MODES = {
    # CI's guard that the first command a newcomer runs still works: a minute or two
    "smoke": DemoConfig(positions=160, budgets=(1, 4, 16, 64), teacher_budgets=(1, 16, 64),
                        models=("tiny",), steps=40, puzzles=40, tournament_budgets=(1, 16),
                        games_per_pair=2),
    # under 10 minutes on 2 cores
    "quick": DemoConfig(positions=6000, budgets=POWERS_OF_TWO, teacher_budgets=(4, 64, 1024),
                        models=("tiny",), steps=1000, puzzles=300,
                        tournament_budgets=(1, 4, 16, 64, 256), games_per_pair=4),
    # about 40 minutes on 2 cores (measured: README)
    "full": DemoConfig(positions=30000, budgets=POWERS_OF_TWO, teacher_budgets=(4, 64, 1024),
                       models=("tiny", "small"), steps=2000, puzzles=1000,
                       tournament_budgets=(1, 4, 16, 64, 256, 1024), games_per_pair=6),
}


def student_name(teacher_budget: int, model: str) -> str:
    return f"{model}-b{teacher_budget}"


class Experiment:
    """One demo run in the folder ``out``; ``run()`` does every stage not done yet."""

    def __init__(self, config: DemoConfig, out: str | Path, workers: int | None = None,
                 progress: ProgressFactory | None = None, log: Callable[[str], None] = print):
        self.config = config
        self.out = Path(out)
        self.workers = workers
        self.progress = progress or _silent_progress
        self.log = log
        self.results = self.out / "results"

    # paths
    @property
    def data_dir(self) -> Path:
        return self.out / "data"

    def run_dir(self, teacher_budget: int, model: str) -> Path:
        return self.out / "students" / student_name(teacher_budget, model)

    def student_spec(self, teacher_budget: int, model: str) -> str:
        return f"policy:ckpt={self.run_dir(teacher_budget, model)},name={student_name(teacher_budget, model)}"

    @property
    def students(self) -> list[tuple[int, str]]:
        return [(b, m) for m in self.config.models for b in self.config.teacher_budgets]

    # the stages
    def run(self) -> dict:
        self._check_config()
        start = time.perf_counter()
        for stage in (self.generate, self.train, self.agreement, self.puzzles, self.tournament):
            stage()
        summary = self.summarise(time.perf_counter() - start)
        self.report()
        return summary

    def _check_config(self) -> None:
        """A folder holds one demo: resuming with other sizes would mix two experiments."""
        self.results.mkdir(parents=True, exist_ok=True)
        path = self.out / "demo-config.json"
        config = asdict(self.config)
        if path.exists():
            previous = json.loads(path.read_text())
            if previous != json.loads(json.dumps(config)):
                raise ValueError(f"{self.out} holds a demo with another configuration; "
                                 "use another --out or the same mode and seed")
        else:
            path.write_text(json.dumps(config, indent=2))

    def generate(self) -> None:
        from chessmesa.datasets import GenerateConfig, SourceSpec, generate
        from chessmesa.datasets.manifest import MANIFEST

        config = GenerateConfig(positions=self.config.positions, budgets=self.config.budgets,
                                sources=(SourceSpec.parse(f"selfplay:{OPENINGS}"),),
                                seed=self.config.seed)
        self.log(f"[1/6] data: {config.positions} self-play positions labelled at budgets "
                 f"{', '.join(map(str, config.budgets))}")
        with self.progress("positions", config.positions) as advance:
            done = [0]

            def on_progress(positions: int, total: int) -> None:
                advance(positions - done[0])
                done[0] = positions

            generate(config, self.data_dir, workers=self.workers,
                     resume=(self.data_dir / MANIFEST).exists(), progress=on_progress)

    def train(self) -> None:
        from chessmesa.nn.train import TrainConfig, is_finished, train

        self.log(f"[2/6] students: {', '.join(student_name(b, m) for b, m in self.students)}, "
                 f"{self.config.steps} steps each")
        for teacher_budget, model in self.students:
            out = self.run_dir(teacher_budget, model)
            if is_finished(out):
                continue
            config = TrainConfig(data=str(self.data_dir), teacher_budget=teacher_budget, model=model,
                                 steps=self.config.steps, val_fraction=self.config.val_fraction,
                                 seed=self.config.seed, eval_every=max(self.config.steps // 4, 1))
            with self.progress(f"training {student_name(teacher_budget, model)}",
                               self.config.steps) as advance:
                train(config, out, resume=out.exists(), on_progress=lambda step, total, info: advance())

    def _held_out_labels(self):
        """The labels of the positions no student trained on (the validation split)."""
        from chessmesa.analysis.labels import load_labels
        from chessmesa.core import Position
        from chessmesa.nn import validation_mask

        labels = load_labels(self.data_dir)
        hashes = np.array([Position(p.fen).hash for p in labels.positions], dtype=np.uint64)
        keep = validation_mask(hashes, self.config.val_fraction)
        return replace(labels, positions=[p for p, k in zip(labels.positions, keep) if k])

    def agreement(self) -> None:
        from chessmesa.analysis.agreement import run_agreement
        from chessmesa.analysis.equivalence import search_equivalence
        from chessmesa.analysis.results import write_result

        labels = None
        self.log("[3/6] agreement with the searcher on held-out positions, search-equivalent budgets")
        for teacher_budget, model in self.students:
            name = student_name(teacher_budget, model)
            agreement_path = self.results / f"agreement-{name}.json"
            equivalence_path = self.results / f"equivalence-{name}.json"
            if agreement_path.exists() and equivalence_path.exists():
                continue
            labels = labels or self._held_out_labels()
            spec = self.student_spec(teacher_budget, model)
            with self.progress(f"agreement {name}", 2 * len(labels.positions)) as advance:
                agreement = run_agreement(spec, labels, seed=self.config.seed, progress=advance)
                equivalence = search_equivalence(spec, labels, seed=self.config.seed, progress=advance)
            write_result(agreement_path, agreement)
            write_result(equivalence_path, {"analysis": "equivalence", "student": equivalence["student"],
                                            "search": equivalence, "elo": None})

    def puzzles(self) -> None:
        from chessmesa.analysis.puzzles import read_puzzles, score_puzzles, stratified_subset
        from chessmesa.analysis.results import write_result
        from chessmesa.play.players import make_player

        self.log(f"[4/6] puzzles: {self.config.puzzles} Lichess puzzles, stratified by rating")
        subset = None
        players = [(student_name(b, m), self.student_spec(b, m)) for b, m in self.students]
        players += [(f"mcts-{b}", f"mcts:sims={b}") for b in self.config.tournament_budgets]
        for name, spec in players:
            path = self.results / f"puzzles-{name}.json"
            if path.exists():
                continue
            subset = subset or stratified_subset(read_puzzles(PUZZLES), self.config.puzzles,
                                                 seed=self.config.seed)
            player = make_player(spec, seed=self.config.seed)
            with self.progress(f"puzzles {name}", len(subset)) as advance:
                result = score_puzzles(player, subset, seed=self.config.seed,
                                       on_result=lambda r: advance())
            player.close()
            result.pop("results", None)  # per-puzzle records: too large for a summary folder
            write_result(path, {"analysis": "puzzles", "engine": name, **result})

    def tournament(self) -> None:
        from chessmesa.analysis.results import write_result
        from chessmesa.analysis.tournament import tournament_ratings
        from chessmesa.play.match import Adjudication, run_round_robin

        path = self.results / "tournament.json"
        if path.exists():
            return
        specs = [RANDOM_ANCHOR] + [self.student_spec(b, m) for b, m in self.students] + [
            f"mcts:sims={b},name=mcts-{b}" for b in self.config.tournament_budgets]
        pairs = len(specs) * (len(specs) - 1) // 2
        games = pairs * self.config.games_per_pair
        self.log(f"[5/6] tournament: {len(specs)} players, {games} games")
        with self.progress("games", games) as advance:
            result = run_round_robin(specs, self.config.games_per_pair, openings=str(OPENINGS),
                                     tc="spec", concurrency=self.workers or _cores(),
                                     adjudication=Adjudication(max_moves=150), seed=self.config.seed,
                                     pgn_out=str(self.out / "tournament.pgn"),
                                     progress=lambda game, _: advance())
        rows = tournament_ratings(result, anchor=RANDOM_ANCHOR, anchor_rating=0.0, seed=self.config.seed)
        write_result(path, {"analysis": "tournament", "anchor": RANDOM_ANCHOR, "anchor_elo": 0.0,
                            "games_per_pair": self.config.games_per_pair,
                            "players": [row.to_dict() for row in rows],
                            "table": [{"a": a, "b": b, "wdl": list(wdl)}
                                      for (a, b), wdl in result.table().items()]})

    def summarise(self, seconds: float) -> dict:
        ratings = {row["name"]: row for row in self._read("tournament.json")["players"]}
        students = []
        for teacher_budget, model in self.students:
            name = student_name(teacher_budget, model)
            metrics = json.loads((self.run_dir(teacher_budget, model) / "metrics.json").read_text())
            agreement = self._read(f"agreement-{name}.json")["budgets"][str(self.config.top_budget)]
            equivalence = self._read(f"equivalence-{name}.json")["search"]
            puzzles = self._read(f"puzzles-{name}.json")
            students.append({
                "name": name, "teacher_budget": teacher_budget, "model": model,
                "parameters": metrics.get("parameters"),
                "train_flops": metrics.get("train_flops"), "train_samples": metrics.get("samples"),
                "train_seconds": metrics.get("seconds"),
                "agreement": {k: agreement.get(k) for k in (
                    "top1", "top1_ci", "top3", "kl_bits", "xent_bits", "kendall_tau", "value_mse", "n")},
                "search_equivalent_budget": equivalence.get("budget"),
                "search_equivalent_out_of_range": equivalence.get("out_of_range"),
                "puzzle_first_move_accuracy": puzzles.get("first_move_accuracy"),
                "elo": ratings.get(name, {}).get("rating"), "elo_ci": ratings.get(name, {}).get("ci"),
            })
        searcher = [{"sims": b, "elo": ratings.get(f"mcts-{b}", {}).get("rating"),
                     "elo_ci": ratings.get(f"mcts-{b}", {}).get("ci"),
                     "puzzle_first_move_accuracy": self._read(f"puzzles-mcts-{b}.json").get(
                         "first_move_accuracy")}
                    for b in self.config.tournament_budgets]
        curve = self._read(f"equivalence-{student_name(*self.students[0])}.json")["search"]["curve"]
        summary = {
            "config": asdict(self.config), "students": students,
            "searcher": {"agreement_with_top_budget": curve, "ladder": searcher},
            "anchor": {"name": RANDOM_ANCHOR, "elo": 0.0},
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cores": _cores(), "python": platform.python_version()},
            "seconds": seconds,
        }
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        plot_headline(summary, self.out / "headline.png")
        return summary

    def report(self) -> None:
        from chessmesa.analysis.report import write_report

        self.log("[6/6] report")
        write_report(self.results, self.out, title="chessmesa: the time-limited grandmaster")

    def _read(self, name: str) -> dict:
        return json.loads((self.results / name).read_text())


def plot_headline(summary: dict, path: Path) -> None:
    """Agreement with the top-budget searcher against search budget: the searcher's own curve, and
    each student (no search) placed at its search-equivalent budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = {int(b): v for b, v in summary["searcher"]["agreement_with_top_budget"].items()}
    figure, axis = plt.subplots(figsize=(7, 4.5))
    budgets = sorted(curve)
    axis.plot(budgets, [curve[b] for b in budgets], "o-", color="0.3", label="MCTS at budget b")
    markers = "sD^v<>"
    for i, student in enumerate(summary["students"]):
        top1 = student["agreement"]["top1"]
        budget = student["search_equivalent_budget"]
        label = f"{student['model']} student of the {student['teacher_budget']}-sim teacher"
        if budget is None:  # outside the searcher's curve: the level alone, as a line
            axis.axhline(top1, linestyle=":", linewidth=1.2, color=f"C{i}", label=f"{label} (no search)")
        else:
            axis.plot([budget], [top1], markers[i % len(markers)], color=f"C{i}", markersize=9, label=label)
            axis.axhline(top1, linestyle=":", linewidth=0.8, color=f"C{i}")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("search budget (simulations)")
    axis.set_ylabel(f"top-1 agreement with the {budgets[-1]}-sim searcher")
    axis.set_title("A network without search, placed on the searcher's budget axis")
    axis.legend(fontsize=8, loc="upper left")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _silent_progress:
    def __init__(self, description: str, total: int):
        pass

    def __enter__(self):
        return lambda n=1, rate="": None

    def __exit__(self, *exc) -> None:
        return None
