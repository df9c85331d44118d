"""Expert iteration: each generation's student, searching, labels the data of its successor.

The grandmaster's one-second intuition was shaped by years of their own slower search.
``chessmesa iterate`` runs that loop (AlphaZero's and lc0's) in miniature:

- generation 0's self-play positions are labelled by ``mcts`` with the static evaluator (or, with
  ``init``, by ``netmcts`` with a given student); generation k+1's by ``netmcts`` with generation
  k's student, its priors and values evaluated through the batch bridge, a worker process per core;
- each generation's student trains on its own generation's labels, warm-started from its
  predecessor's weights (``warm_start``) or from scratch;
- each generation is measured: its student's agreement with the teacher that labelled it (on the
  held-out games of its data, with a game-level interval), and matches: the student alone against
  its predecessor alone and against ``mcts:sims=1`` (a fixed opponent of every generation, whose
  games are decisive where two students alone mostly draw), the student with search (``netmcts``
  at the label budget) against its predecessor with search and against the static ``mcts`` at the
  same simulations. At the end the last student alone plays generation 0's student alone directly.

Elo by generation comes from one Bradley-Terry fit per kind of player over all these games: the
students alone relative to generation 0's (the student alone), the students with search relative
to the static searcher at the same simulations.

The folder ``out``::

    iterate-config.json      this IterateConfig; a folder holding another one is refused
    gen-000/data/            the generation's dataset (chessmesa.datasets)
    gen-000/student/         its student's run folder (chessmesa.nn.train)
    gen-000/agreement.json   the student against its teacher's labels on the held-out games
    gen-001/match-*.json     one file per match, written when the match is over
    match-last-vs-first.json
    results/iteration.json   Elo by generation; elo-by-generation.png; report.html

Every step is skipped when its output is there, so a killed run resumes where it stopped, losing at
most the match under way (data generation and training resume within themselves).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from chessmesa.datasets.pipeline import default_workers
from chessmesa.experiment import OPENINGS
from chessmesa.stages import ProgressFactory, generate_stage, guard_run_folder, silent_progress, train_stage
from chessmesa.play.game import DEFAULT_MAX_MOVES

CONFIG_FILE = "iterate-config.json"
#: Default Bradley-Terry bootstrap resamples for the Elo intervals.
RESAMPLES = 200
#: The fixed opponent of every generation's student alone.
FLOOR = "mcts:sims=1,name=mcts-1"
#: The matches of the students alone, and of the students with search (one rating fit each).
ALONE_KINDS = ("alone", "floor", "first")
SEARCH_KINDS = ("search", "static")


@dataclass(frozen=True)
class IterateConfig:
    """The sizes of one expert-iteration run: ``generations`` students, ``positions`` self-play
    positions per generation labelled at ``budget`` simulations, ``games`` per match.

    Give ``steps`` (per generation) or ``epochs`` (passes over a generation's training positions).

    >>> IterateConfig(generations=2, positions=300, budget=16).epochs
    2.0
    >>> IterateConfig(generations=2, positions=0, budget=16)
    Traceback (most recent call last):
    ...
    ValueError: positions must be at least 1, got 0
    """

    generations: int
    positions: int
    budget: int
    model: str = "tiny"
    steps: int | None = None
    epochs: float | None = None
    target: str = "visits"
    warm_start: bool = True
    games: int = 100
    holdout: float = 0.1
    batch: int = 16
    static_value: float = 0.0
    max_moves: int = DEFAULT_MAX_MOVES
    init: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps is None and self.epochs is None:
            object.__setattr__(self, "epochs", 2.0)
        if self.init is not None:  # the config must outlive the cwd
            object.__setattr__(self, "init", str(Path(self.init).expanduser().resolve()))
        for name in ("generations", "positions", "budget", "games", "batch", "max_moves"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        if (self.steps or self.epochs) <= 0:
            raise ValueError(f"steps and epochs must be positive, got {self.steps or self.epochs}")
        if not 0 <= self.static_value <= 1:
            raise ValueError(f"static value share must be in [0, 1], got {self.static_value}")
        if not 0 < self.holdout < 1:
            raise ValueError(f"holdout must be in (0, 1): the agreement needs held-out games, got {self.holdout}")
        from chessmesa.datasets.targets import parse_target
        from chessmesa.nn.checkpoint import resolve_checkpoint
        from chessmesa.nn.models import model_config

        if self.init is not None:
            resolve_checkpoint(self.init)  # ValueError: checkpoint not found

        parse_target(self.target)  # a bad target or model fails here, before any search
        if self.target == "improved":
            raise ValueError("target 'improved' needs Gumbel labels; iterate labels with PUCT: "
                             "use visits, best or sharpen:T")
        model_config(self.model)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Pairing:
    """One match of a generation: ``kind`` names it (``alone``: against the predecessor alone;
    ``floor``: alone against ``mcts:sims=1``; ``search``: with search against the predecessor with
    search; ``static``: with search against the static searcher at the same simulations;
    ``first``: the last student alone against generation 0's)."""

    kind: str
    spec_a: str
    spec_b: str


class Iteration:
    """One expert-iteration run in the folder ``out``; ``run()`` does every step not done yet."""

    def __init__(self, config: IterateConfig, out: str | Path, workers: int | None = None,
                 backend: str = "local", ray_address: str | None = None,
                 progress: ProgressFactory | None = None, log: Callable[[str], None] = print):
        self.config = config
        self.out = Path(out)
        self.workers = workers  # None: all cores, or on Ray all the cluster's CPUs
        self.backend, self.ray_address = backend, ray_address
        self.progress = progress or silent_progress
        self.log = log

    # names and places
    def generation_dir(self, generation: int) -> Path:
        return self.out / f"gen-{generation:03d}"

    def data_dir(self, generation: int) -> Path:
        return self.generation_dir(generation) / "data"

    def student_dir(self, generation: int) -> Path:
        return self.generation_dir(generation) / "student"

    def teacher_network(self, generation: int) -> str | None:
        """The network whose search labels ``generation``: None (static evaluator), ``init`` or
        the previous generation's student."""
        if generation == 0:
            return self.config.init
        return str(self.student_dir(generation - 1))

    def alone(self, generation: int) -> str:
        """Generation ``generation``'s student without search."""
        return f"policy:ckpt={self.student_dir(generation)},name=gen{generation}"

    def searching(self, generation: int) -> str:
        """Its student as ``netmcts`` at the label budget."""
        c = self.config
        blend = f"static_value={c.static_value}," if c.static_value else ""
        return (f"netmcts:ckpt={self.student_dir(generation)},sims={c.budget},batch={c.batch},{blend}"
                f"name=gen{generation}-search")

    @property
    def static(self) -> str:
        """The static searcher at the students' simulations."""
        return f"mcts:sims={self.config.budget},name=mcts-{self.config.budget}"

    def pairings(self, generation: int) -> list[Pairing]:
        found = [Pairing("floor", self.alone(generation), FLOOR),
                 Pairing("static", self.searching(generation), self.static)]
        if generation > 0:
            found = [Pairing("alone", self.alone(generation), self.alone(generation - 1)),
                     Pairing("search", self.searching(generation), self.searching(generation - 1)), *found]
        return found

    def match_path(self, generation: int, pairing: Pairing) -> Path:
        return self.generation_dir(generation) / f"match-{pairing.kind}.json"

    @property
    def last_vs_first(self) -> Pairing | None:
        """The direct match of the last student alone with generation 0's, from three generations
        on (with two, the generation's own ``alone`` match is that match)."""
        last = self.config.generations - 1
        return Pairing("first", self.alone(last), self.alone(0)) if last >= 2 else None

    # the steps
    def run(self) -> dict:
        """Every generation (data, student, agreement, matches), the last-vs-first match, the
        summary (``results/iteration.json``), its plot and the report."""
        self.check_config()
        for generation in range(self.config.generations):
            self.generate(generation)
            self.train(generation)
            self.agreement(generation)
            for pairing in self.pairings(generation):
                self.play(pairing, self.match_path(generation, pairing), seed=self.config.seed + generation)
        if self.last_vs_first is not None:
            self.play(self.last_vs_first, self.out / "match-last-vs-first.json", seed=self.config.seed)
        return self.summarise()

    def check_config(self) -> None:
        """A folder holds one iteration: resuming with other settings would mix two runs."""
        guard_run_folder(self.out / CONFIG_FILE, self.config.to_dict(), "an iteration")

    def generate(self, generation: int) -> None:
        from chessmesa.datasets import GenerateConfig, SourceSpec

        c = self.config
        teacher = self.teacher_network(generation)
        config = GenerateConfig(positions=c.positions, budgets=(c.budget,),
                                sources=(SourceSpec.parse(f"selfplay:{OPENINGS}"),),
                                seed=c.seed + generation, holdout=c.holdout, network=teacher,
                                network_batch=c.batch, network_static_value=c.static_value if teacher else 0.0)
        out = self.data_dir(generation)
        teacher_name = "the static mcts" if teacher is None else f"netmcts with {_short(teacher, self.out)}"
        self.log(f"[gen {generation}] data: {c.positions} self-play positions labelled by {teacher_name} "
                 f"at {c.budget} simulations")
        generate_stage(config, out, self.progress, f"gen {generation} positions", self.workers, self.backend,
                       self.ray_address)

    def train(self, generation: int) -> None:
        from chessmesa.nn.train import TrainConfig, is_finished

        c = self.config
        out = self.student_dir(generation)
        if is_finished(out):
            return
        init = str(self.student_dir(generation - 1)) if c.warm_start and generation > 0 else None
        config = TrainConfig(data=str(self.data_dir(generation)), teacher_budget=c.budget, model=c.model,
                             steps=c.steps, epochs=c.epochs, target=c.target, seed=c.seed + generation,
                             init=init)
        self.log(f"[gen {generation}] student: {c.model} on the {c.target} target"
                 + (f", warm-started from gen {generation - 1}" if init else ""))
        train_stage([(config, out)], 1, self.progress, f"gen {generation} training steps")

    def agreement(self, generation: int) -> None:
        from chessmesa.analysis.agreement import run_agreement
        from chessmesa.analysis.label_reader import load_labels
        from chessmesa.analysis.results import write_result

        path = self.generation_dir(generation) / "agreement.json"
        if path.exists():
            return
        spec = self.alone(generation)
        labels = load_labels(self.data_dir(generation), students=[spec])
        self.log(f"[gen {generation}] agreement with its teacher on {labels.split.get('games')} held-out games")
        with self.progress(f"gen {generation} agreement", len(labels.positions)) as advance:
            result = run_agreement(spec, labels, self.config.seed, progress=advance)
        write_result(path, result)

    def play(self, pairing: Pairing, path: Path, seed: int) -> None:
        from chessmesa.analysis.results import write_result
        from chessmesa.analysis.tournament import match_stats
        from chessmesa.play.match import Adjudication, run_match

        if path.exists():
            return
        c = self.config
        with self.progress(f"{path.parent.name}/{path.stem}", c.games) as advance:
            result = run_match(pairing.spec_a, pairing.spec_b, c.games, openings=str(OPENINGS), tc="spec",
                               concurrency=min(self.workers or default_workers(), c.games),
                               adjudication=Adjudication(max_moves=c.max_moves), seed=seed,
                               progress=lambda game, _: advance())
        stats = match_stats(result).to_dict()
        elo = ", ".join("-" if x is None else f"{x:+.0f}" for x in (stats["elo"], *stats["elo_ci"]))
        self.log(f"{result.name_a} vs {result.name_b}: {stats['wins']}-{stats['draws']}-{stats['losses']} "
                 f"(Elo, low, high: {elo})")
        write_result(path, {"kind": pairing.kind, "spec_a": pairing.spec_a, "spec_b": pairing.spec_b,
                            "stats": stats, "result": result.to_dict()})

    # the summary
    def summarise(self) -> dict:
        """Elo by generation, alone and with search, with everything each generation recorded:
        ``results/iteration.json``, ``elo-by-generation.png`` and ``report.html``."""
        from chessmesa.analysis.plots import save_plot
        from chessmesa.analysis.report import write_report
        from chessmesa.analysis.results import write_result

        matches = {(g, p.kind): _read(self.match_path(g, p))
                   for g in range(self.config.generations) for p in self.pairings(g)}
        last_vs_first = _read(self.out / "match-last-vs-first.json") if self.last_vs_first else None
        alone = _ratings([m for (g, kind), m in matches.items() if kind in ALONE_KINDS]
                         + ([last_vs_first] if last_vs_first else []), anchor="gen0", seed=self.config.seed)
        anchor = f"mcts-{self.config.budget}"
        search = _ratings([m for (g, kind), m in matches.items() if kind in SEARCH_KINDS], anchor=anchor,
                          seed=self.config.seed)
        generations = []
        for g in range(self.config.generations):
            metrics = json.loads((self.student_dir(g) / "metrics.json").read_text())
            agreement = _read(self.generation_dir(g) / "agreement.json")["strata"]["all"]
            teacher = self.teacher_network(g)
            generations.append({
                "generation": g,
                "teacher": "mcts (static evaluator)" if teacher is None else f"netmcts ({_short(teacher, self.out)})",
                "label_simulations": metrics["train_positions"] * self.config.budget,
                "train_positions": metrics["train_positions"], "train_steps": metrics["steps"],
                "train_seconds": metrics["seconds"],
                "agreement_with_teacher": {key: agreement.get(key) for key in (
                    "n", "games", "top1_tied", "top1_tied_ci", "top1_strict", "top1_strict_ci", "kl_bits")},
                "alone": {"name": f"gen{g}", **alone.get(f"gen{g}", {})},
                "with_search": {"name": f"gen{g}-search", **search.get(f"gen{g}-search", {})},
                "matches": {kind: _match_summary(matches[g, kind]) for kind in ("alone", "floor", "search", "static")
                            if (g, kind) in matches},
            })
        summary = {"analysis": "iteration", "config": self.config.to_dict(), "generations": generations,
                   "anchors": {"alone": "gen0", "with_search": anchor},
                   "last_vs_first": _match_summary(last_vs_first) if last_vs_first else None}
        results = self.out / "results"
        results.mkdir(exist_ok=True)
        write_result(results / "iteration.json", summary)
        save_plot(summary, self.out / "elo-by-generation.png")
        write_report(results, self.out, title="chessmesa: expert iteration")
        return summary


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _short(path: str, root: Path) -> str:
    """A checkpoint's path relative to the run folder where it lies inside it."""
    try:
        return str(Path(path).relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _match_summary(match: dict) -> dict:
    from chessmesa.analysis.tournament import match_figures

    return {"a": match["result"]["name_a"], "b": match["result"]["name_b"], **match_figures(match["stats"])}


def _ratings(matches: list[dict], anchor: str, seed: int) -> dict[str, dict]:
    """``{name: {"elo", "elo_ci", "games"}}``: Bradley-Terry over the matches' games, ``anchor`` at 0."""
    from chessmesa.analysis.tournament import tournament_ratings
    from chessmesa.play.match import MatchResult, TournamentResult

    results = [MatchResult.from_dict(match["result"]) for match in matches]
    if not results:
        return {}
    names = list(dict.fromkeys(name for r in results for name in (r.name_a, r.name_b)))
    rows = tournament_ratings(TournamentResult(names, results), anchor=anchor, seed=seed, resamples=RESAMPLES)
    return {row.name: {"elo": row.rating, "elo_ci": [row.low, row.high], "games": row.games} for row in rows}
