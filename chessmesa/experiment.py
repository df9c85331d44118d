"""The grandmaster experiment end to end: what ``chessmesa demo`` runs.

1. **data**: self-play positions from an opening book, labelled by one anytime search at every
   budget from 1 to 1024 simulations; a tenth of the games held out, and their positions labelled
   again by an independent reference search (4096 simulations, its own seed and root noise);
2. **students**: networks distilled from the labels of several teacher budgets (and model sizes),
   on the best move (``target``), and one on the visit shares for comparison;
3. **agreement**: each student (no search) against the reference on the held-out games, with
   game-level intervals, and the search-equivalent budget: the MCTS budget that agrees as well with
   the same reference (with its interval), on all positions and on the undecided ones;
4. **puzzles**: first-move and line accuracy on a rating-stratified set of Lichess puzzles;
5. **tournament**: students, MCTS at several budgets, ``random`` and (where it is installed)
   Stockfish limited to ``stockfish_elos`` in a round robin, Bradley-Terry ratings with 95%
   intervals relative to ``mcts-1``, to ``random`` and on Stockfish's Elo scale;
6. **duels**: each student against the anchor ``mcts-1`` alone, ``duel_games`` games (a network
   and a one-simulation search both move in about a millisecond, so a match of hundreds of games
   is cheap), Elo with a pentanomial interval: the comparison the tournament's few games a pair
   leave wide;
7. **clock**: strength against time per move (:mod:`chessmesa.analysis.clock`): every student
   alone at its own speed, ``mcts`` at each of ``clock_limits`` ms a move, and Stockfish;
8. **look-ahead**: activation patching and square-wise probes in every student
   (:mod:`chessmesa.analysis.lookahead`), on ``lookahead_puzzles`` puzzles of the shipped set;
9. **report**: ``summary.json`` (a ``students`` list with each student's teacher budget, model,
   training compute, agreement, Elo and break-even time), ``headline.png`` and ``report.html``,
   which opens with the answer.

A run is a TOML file of :class:`DemoConfig`'s fields (``chessmesa demo --config FILE``); the
shipped sizes are ``chessmesa/configs/{smoke,quick,full}.toml`` (:data:`MODES`).

Every stage writes its results into the output folder and is skipped when they are there already,
so a stopped demo resumes where it stopped. Same seed, same results (up to the parallel schedule of
tournament games).
"""

from __future__ import annotations

import json
import platform
import time
import tomllib
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from chessmesa.datasets.pipeline import default_workers
from chessmesa.play.game import DEFAULT_MAX_MOVES
from chessmesa.stages import ProgressFactory, generate_stage, guard_run_folder, silent_progress, train_stage

DATA = Path(__file__).resolve().parents[1] / "data"
OPENINGS = DATA / "openings" / "noob_2moves.epd"
PUZZLES = DATA / "puzzles" / "lichess_puzzles.csv"
LOOKAHEAD_PUZZLES = DATA / "puzzles" / "lookahead.csv"
RANDOM = "random"

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
    reference: int = 4096
    target: str = "best"
    comparison_target: str = "visits"  # one student of the top teacher on this target, to compare
    holdout: float = 0.1
    stockfish_elos: tuple[int, ...] = ()  # external anchors (UCI_Elo levels), where Stockfish is installed
    duel_games: int = 0  # games of each student against the anchor alone (0: no duels)
    clock_limits: tuple[float, ...] = ()  # ms per move at which the students meet mcts (analyze clock)
    clock_games: int = 0  # games of each pairing of the clock stage (0: no clock stage)
    lookahead_puzzles: int = 0  # puzzles of the look-ahead set patched in every student (0: no look-ahead stage)
    lookahead_probe_puzzles: int = 5000  # puzzles of the look-ahead set (a sample) and of the Lichess file (its first) the probes use
    lookahead_snapshots: int = 0  # points of the traced student's training the look-ahead stage follows (0: none)
    seed: int = 0

    @property
    def top_budget(self) -> int:
        return self.budgets[-1]

    @classmethod
    def from_toml(cls, path: str | Path) -> DemoConfig:
        """A run written as TOML, one key per field (lists for the tuples); fields left out take
        their defaults. ValueError with one line naming an unknown key, a missing one or a bad
        value."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"cannot read demo config {str(path)!r}: {error}") from None
        return cls.from_dict(data, where=str(path))

    @classmethod
    def from_dict(cls, data: dict, where: str = "demo config") -> DemoConfig:
        """The config of ``data`` (as :meth:`from_toml` reads it), checked field by field."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)} in {where}; known: {', '.join(known)}")
        missing = sorted(name for name, f in known.items() if f.default is MISSING and name not in data)
        if missing:
            raise ValueError(f"{where} lacks {', '.join(missing)}")
        values = {}
        for name, value in data.items():
            is_list, accepted = _FIELD_TYPES[name]
            items = value if is_list and isinstance(value, list) else [value]
            if (is_list != isinstance(value, list)
                    or not all(isinstance(item, accepted) and not isinstance(item, bool) for item in items)):
                expected = ("a list of " if is_list else "") + " or ".join(t.__name__ for t in accepted)
                raise ValueError(f"bad value {value!r} for {name} in {where}: expected {expected}")
            values[name] = tuple(value) if is_list else value
        config = cls(**values)
        config.check(where)
        return config

    def check(self, where: str = "demo config") -> None:
        """Sizes a run can take; ValueError naming the first one it cannot."""
        problems = [f"{name} must be positive" for name in ("positions", "steps", "puzzles", "games_per_pair", "reference")
                    if getattr(self, name) < 1]
        problems += [f"{name} must be positive" for name in ("budgets", "teacher_budgets", "tournament_budgets")
                     if min(getattr(self, name)) < 1]
        problems += [f"teacher budget {b} is not among the budgets" for b in self.teacher_budgets if b not in self.budgets]
        problems += [f"unknown model {m!r}" for m in self.models if m not in MODEL_NAMES]
        if not 0 < self.holdout < 1:
            problems.append(f"holdout {self.holdout} must lie in (0, 1)")
        if not (self.lookahead_puzzles == 0 or self.lookahead_puzzles >= 8):
            problems.append(f"lookahead_puzzles {self.lookahead_puzzles} must be 0 (no look-ahead stage) or 8 or more")
        if self.lookahead_puzzles and self.lookahead_probe_puzzles < 8:
            problems.append(f"lookahead_probe_puzzles {self.lookahead_probe_puzzles} must be 8 or more")
        if not 0 <= self.lookahead_snapshots <= self.steps:
            problems.append(f"lookahead_snapshots {self.lookahead_snapshots} must lie between 0 and steps")
        if self.clock_games % 2 or self.duel_games % 2:
            problems.append("clock_games and duel_games must be even (both colours of every opening)")
        if problems:
            raise ValueError(f"{where}: {problems[0]}")



#: What each field takes in a TOML run: ``(is a list, accepted types of the value or its items)``.
_NUMBER = (int, float)
_FIELD_TYPES = {"positions": (False, (int,)), "budgets": (True, (int,)), "teacher_budgets": (True, (int,)),
                "models": (True, (str,)), "steps": (False, (int,)), "puzzles": (False, (int,)),
                "tournament_budgets": (True, (int,)), "games_per_pair": (False, (int,)), "reference": (False, (int,)),
                "target": (False, (str,)), "comparison_target": (False, (str,)), "holdout": (False, _NUMBER),
                "stockfish_elos": (True, (int,)), "duel_games": (False, (int,)), "clock_limits": (True, _NUMBER),
                "clock_games": (False, (int,)), "lookahead_puzzles": (False, (int,)),
                "lookahead_probe_puzzles": (False, (int,)), "lookahead_snapshots": (False, (int,)),
                "seed": (False, (int,))}
#: The model sizes a run may name (:data:`chessmesa.nn.models.MODEL_SIZES`, without importing torch).
MODEL_NAMES = ("tiny", "tiny-global", "small", "medium", "transformer")

#: The shipped runs: ``smoke`` (CI's guard that the first command a newcomer runs still works: a
#: minute or two), ``quick`` (under 10 minutes on 2 cores) and ``full`` (under an hour).
CONFIGS = Path(__file__).resolve().parent / "configs"
MODES = ("smoke", "quick", "full")


def mode_config(mode: str) -> DemoConfig:
    """The shipped run ``mode`` (one of :data:`MODES`).

    >>> mode_config("quick").positions
    50000
    """
    return DemoConfig.from_toml(CONFIGS / f"{mode}.toml")


def student_name(teacher_budget: int, model: str, target: str | None = None) -> str:
    """``tiny-b64``; a student on another target than the demo's carries it: ``tiny-b1024-visits``."""
    return f"{model}-b{teacher_budget}" + (f"-{target.replace(':', '')}" if target else "")


def mcts_spec(budget: int) -> str:
    """The searcher at ``budget`` simulations, named as the tournament names it: ``mcts-64``."""
    return f"mcts:sims={budget},name=mcts-{budget}"


class Experiment:
    """One demo run in the folder ``out``; ``run()`` does every stage not done yet."""

    def __init__(self, config: DemoConfig, out: str | Path, workers: int | None = None,
                 progress: ProgressFactory | None = None, log: Callable[[str], None] = print):
        self.config = config
        self.out = Path(out)
        self.workers = workers
        self.progress = progress or silent_progress
        self.log = log
        self.results = self.out / "results"

    # paths
    @property
    def data_dir(self) -> Path:
        return self.out / "data"

    def run_dir(self, teacher_budget: int, model: str, target: str | None = None) -> Path:
        return self.out / "students" / student_name(teacher_budget, model, target)

    def student_spec(self, teacher_budget: int, model: str, target: str | None = None) -> str:
        name = student_name(teacher_budget, model, target)
        return f"policy:ckpt={self.run_dir(teacher_budget, model, target)},name={name}"

    @property
    def anchor(self) -> str:
        """The player rated 0: the searcher at the smallest budget. Every player beats ``random``
        in every game, so with it as anchor every interval would be open above."""
        return f"mcts-{self.config.tournament_budgets[0]}"

    @property
    def anchor_spec(self) -> str:
        return mcts_spec(self.config.tournament_budgets[0])

    @property
    def students(self) -> list[tuple[int, str, str | None]]:
        """``(teacher budget, model, target)``: target None is the demo's own ``target``."""
        main = [(b, m, None) for m in self.config.models for b in self.config.teacher_budgets]
        return main + [(self.config.teacher_budgets[-1], self.config.models[0], self.config.comparison_target)]

    @property
    def traced(self) -> tuple[int, str, str | None]:
        """The student whose training the look-ahead stage follows (at ``lookahead_snapshots``
        evenly spaced steps): the top teacher budget's, of the last (largest) model."""
        return self.config.teacher_budgets[-1], self.config.models[-1], None

    def _snapshot_every(self, student: tuple[int, str, str | None]) -> int:
        """How often ``student``'s training keeps its model (0: never)."""
        if not (self.config.lookahead_puzzles and self.config.lookahead_snapshots) or student != self.traced:
            return 0
        return max(self.config.steps // self.config.lookahead_snapshots, 1)

    # the stages
    def run(self) -> dict:
        self.check_config()
        start = time.perf_counter()
        for stage in (self.generate, self.train, self.agreement, self.puzzles, self.tournament, self.duels,
                      self.clock, self.lookahead):
            stage()
        summary = self.summarise(time.perf_counter() - start)
        self.report()
        return summary

    def check_config(self) -> None:
        """A folder holds one demo: resuming with other sizes would mix two experiments."""
        self.results.mkdir(parents=True, exist_ok=True)
        guard_run_folder(self.out / "demo-config.json", asdict(self.config), "a demo")

    def generate(self) -> None:
        from chessmesa.datasets import GenerateConfig, SourceSpec

        config = GenerateConfig(positions=self.config.positions, budgets=self.config.budgets,
                                sources=(SourceSpec.parse(f"selfplay:{OPENINGS}"),),
                                seed=self.config.seed, holdout=self.config.holdout,
                                reference=self.config.reference)
        self.log(f"[1/9] data: {config.positions} self-play positions labelled at budgets "
                 f"{', '.join(map(str, config.budgets))}; {config.holdout:.0%} of the games held out "
                 f"and labelled by a {config.reference}-simulation reference search")
        generate_stage(config, self.data_dir, self.progress, "positions", self.workers)

    def train(self) -> None:
        from chessmesa.nn.train import TrainConfig

        self.log(f"[2/9] students: {', '.join(student_name(*s) for s in self.students)}, "
                 f"{self.config.steps} steps each, on the {self.config.target} target unless named")
        jobs = [(TrainConfig(data=str(self.data_dir), teacher_budget=teacher_budget, model=model,
                             steps=self.config.steps, target=target or self.config.target,
                             seed=self.config.seed, eval_every=max(self.config.steps // 4, 1),
                             snapshot_every=self._snapshot_every((teacher_budget, model, target))),
                 self.run_dir(teacher_budget, model, target))
                for teacher_budget, model, target in self.students]
        train_stage(jobs, self.workers or default_workers(), self.progress, "training students, one process per core")

    def _held_out_labels(self):
        """The labels of the held-out games: no student trained on them, and the reference
        search labelled them."""
        from chessmesa.analysis.label_reader import load_labels

        return load_labels(self.data_dir, students=[self.student_spec(*s) for s in self.students])

    def agreement(self) -> None:
        from chessmesa.analysis.agreement import run_agreement
        from chessmesa.analysis.equivalence import search_equivalence
        from chessmesa.analysis.results import write_result
        from chessmesa.analysis.students import student_answers

        labels = None
        self.log("[3/9] agreement with the reference on held-out games, search-equivalent budgets")
        for student in self.students:
            name = student_name(*student)
            agreement_path = self.results / f"agreement-{name}.json"
            equivalence_path = self.results / f"equivalence-{name}.json"
            if agreement_path.exists() and equivalence_path.exists():
                continue
            labels = labels or self._held_out_labels()
            spec = self.student_spec(*student)
            with self.progress(f"agreement {name}", len(labels.positions)) as advance:
                _, outputs = student_answers(spec, labels, self.config.seed, advance)
            agreement = run_agreement(spec, labels, self.config.seed, outputs=outputs)
            agreement["student"] = name
            by_stratum = {stratum: search_equivalence(name, labels, seed=self.config.seed, stratum=stratum,
                                                      outputs=outputs) for stratum in ("all", "undecided")}
            write_result(agreement_path, agreement)
            write_result(equivalence_path, {"analysis": "equivalence", "student": name,
                                            "search": by_stratum["all"], "undecided": by_stratum["undecided"],
                                            "elo": None})

    def puzzles(self) -> None:
        from chessmesa.analysis.puzzles import read_puzzles, score_puzzles, stratified_subset
        from chessmesa.analysis.results import write_result
        from chessmesa.play.players import make_player

        self.log(f"[4/9] puzzles: {self.config.puzzles} Lichess puzzles, stratified by rating")
        subset = None
        players = [(student_name(*s), self.student_spec(*s)) for s in self.students]
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
        from chessmesa.analysis.tournament import rating_scales
        from chessmesa.play.match import Adjudication, run_round_robin

        path = self.results / "tournament.json"
        if path.exists():
            return
        stockfish = self._stockfish_anchors()
        specs = [RANDOM] + [self.student_spec(*s) for s in self.students] + [
            mcts_spec(b) for b in self.config.tournament_budgets] + stockfish
        pairs = len(specs) * (len(specs) - 1) // 2
        games = pairs * self.config.games_per_pair
        self.log(f"[5/9] tournament: {len(specs)} players, {games} games")
        with self.progress("games", games) as advance:
            result = run_round_robin(specs, self.config.games_per_pair, openings=str(OPENINGS),
                                     tc="spec", concurrency=self.workers or default_workers(),
                                     adjudication=Adjudication(max_moves=DEFAULT_MAX_MOVES), seed=self.config.seed,
                                     pgn_out=str(self.out / "tournament.pgn"),
                                     progress=lambda game, _: advance())
        anchors = [(self.anchor, 0.0), (RANDOM, 0.0)]
        if stockfish:
            lowest = min(self.config.stockfish_elos)
            anchors.append((f"sf-{lowest}", float(lowest)))
        scales = rating_scales(result, anchors, seed=self.config.seed)
        write_result(path, {"analysis": "tournament", "anchor": self.anchor, "anchor_elo": 0.0,
                            "games_per_pair": self.config.games_per_pair,
                            "players": scales[0]["players"], "scales": scales,
                            "table": [{"a": a, "b": b, "wdl": list(wdl)}
                                      for (a, b), wdl in result.table().items()]})

    def duels(self) -> None:
        from chessmesa.analysis.results import write_result
        from chessmesa.analysis.tournament import match_figures, match_stats
        from chessmesa.play.match import Adjudication, run_match

        path = self.results / "duels.json"
        games = self.config.duel_games
        if path.exists() or not games:
            return
        self.log(f"[6/9] duels: each student against {self.anchor}, {games} games")
        duels = []
        for student in self.students:
            name = student_name(*student)
            with self.progress(f"{name} vs {self.anchor}", games) as advance:
                result = run_match(self.student_spec(*student), self.anchor_spec, games, openings=str(OPENINGS),
                                   tc="spec", concurrency=self.workers or default_workers(),
                                   adjudication=Adjudication(max_moves=DEFAULT_MAX_MOVES), seed=self.config.seed,
                                   progress=lambda game, _: advance())
            duels.append({"student": name, **match_figures(match_stats(result).to_dict())})
        write_result(path, {"analysis": "duels", "opponent": self.anchor, "games": games, "duels": duels})

    def clock(self) -> None:
        """Strength against time per move (:mod:`chessmesa.analysis.clock`): every student alone at
        its own speed, ``mcts`` at each of the clock limits, and Stockfish (its weakest level of
        the tournament) at the limits of a millisecond and more, where installed."""
        from chessmesa.analysis.clock import clock_config, run_clock
        from chessmesa.analysis.results import write_result

        path = self.results / "clock.json"
        if path.exists() or not self.config.clock_games:
            return
        players = ["mcts"] + [self.student_spec(*s) for s in self.students]
        if self._stockfish_anchors():  # the level without its movetime: the clock sets one
            level = min(self.config.stockfish_elos)
            players.append(f"stockfish:elo={level},name=sf-{level}")
        config = clock_config(players, list(self.config.clock_limits), self.config.clock_games, str(OPENINGS),
                              self.config.seed, DEFAULT_MAX_MOVES)
        self.log(f"[7/9] clock: students against mcts at {', '.join(f'{x:g}' for x in self.config.clock_limits)} "
                 f"ms a move, {self.config.clock_games} games a pairing")
        summary = run_clock(config, self.out / "clock", self.workers or default_workers(), self.progress)
        write_result(path, summary)

    def lookahead(self) -> None:
        """Look-ahead inside every student (:mod:`chessmesa.analysis.lookahead`): activation
        patching on a seeded sample of the shipped look-ahead puzzles, square-wise probes on the
        whole set and the Lichess puzzles' three-move lines; each student's entry carries its
        search-equivalent budget, so that the effect can be read against strength
        (``lookahead.json``). The same for the traced student's snapshots, where its training kept
        them (``lookahead-training.json``: the what-when-where figure)."""
        from chessmesa.analysis.lookahead import probe_fits, run_lookahead
        from chessmesa.analysis.lookahead_puzzles import read_lookahead_set, sample_puzzles
        from chessmesa.analysis.puzzles import read_puzzles
        from chessmesa.analysis.results import write_result
        from chessmesa.nn import load_network
        from chessmesa.nn.train import SNAPSHOTS

        family, training = self.results / "lookahead.json", self.results / "lookahead-training.json"
        snapshots = sorted((self.run_dir(*self.traced) / SNAPSHOTS).glob("*.safetensors"))
        if not self.config.lookahead_puzzles or (family.exists() and (training.exists() or len(snapshots) < 2)):
            return
        shipped = read_lookahead_set(LOOKAHEAD_PUZZLES)
        puzzles = sample_puzzles(shipped, self.config.lookahead_puzzles, self.config.seed)
        probe_set = sample_puzzles(shipped, self.config.lookahead_probe_puzzles, self.config.seed)
        extra = read_puzzles(PUZZLES)[:self.config.lookahead_probe_puzzles]
        traced = f", and of {student_name(*self.traced)} at {len(snapshots)} points of its training" if snapshots else ""
        self.log(f"[8/9] look-ahead: patching {len(puzzles)} puzzles and probing every layer of each student{traced}")

        def analyse(students: list[tuple[str, Path]], description: str) -> dict:
            total = sum(len(puzzles) + probe_fits(len(load_network(run).model.square_layers())) for _, run in students)
            with self.progress(description, total) as advance:
                return run_lookahead(students, puzzles, probe_set, extra, self.config.seed, progress=advance)

        if not family.exists():
            result = analyse([(student_name(*s), self.run_dir(*s)) for s in self.students], "look-ahead")
            for student in result["students"]:
                student["search_equivalent"] = _equivalent(self._read(f"equivalence-{student['name']}.json")["search"])
            write_result(family, result)
        if len(snapshots) >= 2 and not training.exists():
            write_result(training, analyse([(path.stem, path) for path in snapshots], "look-ahead over training"))

    def _stockfish_anchors(self) -> list[str]:
        """The Stockfish players of the tournament: one per level, where Stockfish is installed."""
        from chessmesa.analysis.tournament import stockfish_anchor
        from chessmesa.play.external import find_stockfish
        from chessmesa.play.specs import SpecError

        if not self.config.stockfish_elos:
            return []
        try:
            find_stockfish()
        except SpecError as error:
            self.log(f"no external Elo anchors: {error}")
            return []
        return [stockfish_anchor(level) for level in self.config.stockfish_elos]

    def summarise(self, seconds: float) -> dict:
        from chessmesa.analysis.lookahead import lookahead_verdict

        tournament = self._read("tournament.json")
        duels = {duel["student"]: duel for duel in self._read_optional("duels.json").get("duels", [])}
        clock = self._read_optional("clock.json")
        break_even = {verdict["player"]: verdict for verdict in clock.get("break_even", [])}
        lookahead = {entry["name"]: lookahead_verdict(entry)
                     for entry in self._read_optional("lookahead.json").get("students", [])}
        ratings = {row["name"]: row for row in tournament["players"]}
        students = []
        for teacher_budget, model, target in self.students:
            name = student_name(teacher_budget, model, target)
            metrics = json.loads((self.run_dir(teacher_budget, model, target) / "metrics.json").read_text())
            agreement = self._read(f"agreement-{name}.json")
            equivalence = self._read(f"equivalence-{name}.json")
            puzzles = self._read(f"puzzles-{name}.json")
            students.append({
                "name": name, "teacher_budget": teacher_budget, "model": model,
                "target": target or self.config.target, "parameters": metrics.get("parameters"),
                "train_flops": metrics.get("train_flops"), "train_samples": metrics.get("samples"),
                "train_positions": metrics.get("train_positions"), "train_seconds": metrics.get("seconds"),
                "label_simulations": metrics.get("train_positions", 0) * teacher_budget,
                "agreement": {stratum: _headline(summary) for stratum, summary in agreement["strata"].items()},
                "search_equivalent": {stratum: _equivalent(equivalence[key]) for stratum, key in
                                      (("all", "search"), ("undecided", "undecided"))},
                "puzzle_first_move_accuracy": puzzles.get("first_move_accuracy"),
                "elo": ratings.get(name, {}).get("rating"), "elo_ci": ratings.get(name, {}).get("ci"),
                "elo_scales": _on_scales(tournament, name),
                "against_random": _against(tournament["table"], name, RANDOM),
                "duel": duels.get(name),
                "clock": break_even.get(name),
                "lookahead": lookahead.get(name),
            })
        first = self._read(f"equivalence-{student_name(*self.students[0])}.json")
        searcher = [{"sims": b, "elo": ratings.get(f"mcts-{b}", {}).get("rating"),
                     "elo_ci": ratings.get(f"mcts-{b}", {}).get("ci"),
                     "elo_scales": _on_scales(tournament, f"mcts-{b}"),
                     "agreement": first["search"]["curve"].get(str(b)),
                     "agreement_ci": first["search"]["curve_ci"].get(str(b)),
                     "puzzle_first_move_accuracy": self._read(f"puzzles-mcts-{b}.json").get(
                         "first_move_accuracy")}
                    for b in self.config.tournament_budgets]
        summary = {
            "config": asdict(self.config), "students": students,
            "reference": first["search"]["reference"], "split": first["search"]["split"],
            "searcher": {stratum: {"agreement": first[key]["curve"], "agreement_ci": first[key]["curve_ci"],
                                   "self_agreement": first[key]["self_agreement_curve"]}
                         for stratum, key in (("all", "search"), ("undecided", "undecided"))},
            "ladder": searcher,
            "anchor": {"name": self.anchor, "elo": 0.0},
            "scales": [{"anchor": scale["anchor"], "anchor_elo": scale["anchor_elo"]}
                       for scale in tournament.get("scales", [])],
            "stockfish": [{"name": f"sf-{level}", "uci_elo": level, "elo_scales": _on_scales(tournament, f"sf-{level}")}
                          for level in self.config.stockfish_elos if f"sf-{level}" in ratings],
            "clock": _clock_summary(clock) if clock else None,
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cores": default_workers(), "python": platform.python_version()},
            "seconds": seconds,
        }
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        plot_headline(summary, self.out / "headline.png")
        return summary

    def report(self) -> None:
        """``report.html`` and ``report.md``: the answer first (sentences, headline figure, the
        summary table), then every result, overviews before each player's own."""
        from chessmesa.analysis.answer import lead_section
        from chessmesa.analysis.report import write_report

        self.log("[9/9] report")
        summary = json.loads((self.out / "summary.json").read_text())
        lead = lead_section(summary, (self.out / "headline.png").read_bytes())
        write_report(self.results, self.out, title="chessmesa: the time-limited grandmaster", lead=lead)

    def _read(self, name: str) -> dict:
        return json.loads((self.results / name).read_text())

    def _read_optional(self, name: str) -> dict:
        """A result that a configuration may not make (``{}`` when absent)."""
        path = self.results / name
        return json.loads(path.read_text()) if path.exists() else {}


def _clock_summary(clock: dict) -> dict:
    """What the summary keeps of the clock stage: each entrant's Elo and time per move, and the
    break-even verdicts (in full in ``results/clock.json``)."""
    entrants = [{"name": row["name"], "family": row["family"], "limit_ms": row["limit_ms"], "elo": row["elo"],
                 "elo_ci": row["elo_ci"], "move_p50_ms": row["move_time"]["p50_ms"],
                 "move_p99_ms": row["move_time"]["p99_ms"], "over_limit_share": row["move_time"]["over_limit_share"]}
                for row in clock["entrants"]]
    return {"anchor": clock["anchor"], "limits_ms": clock["config"]["limits_ms"],
            "games_per_pair": clock["config"]["games_per_pair"], "entrants": entrants,
            "break_even": clock["break_even"]}


def _on_scales(tournament: dict, name: str) -> dict:
    """``name``'s rating and interval on each of the tournament's scales, by anchor:
    ``{"random": {"elo", "ci"}, "sf-1350": {...}, ...}``."""
    found = {}
    for scale in tournament.get("scales", []):
        for row in scale["players"]:
            if row["name"] == name:
                found[scale["anchor"]] = {"elo": row["rating"], "ci": row["ci"]}
    return found


def _against(table: list[dict], name: str, opponent: str) -> dict:
    """``name``'s wins, draws and losses against ``opponent`` in a tournament's table."""
    for row in table:
        if {row["a"], row["b"]} == {name, opponent}:
            wins, draws, losses = row["wdl"] if row["a"] == name else row["wdl"][::-1]
            return {"wins": wins, "draws": draws, "losses": losses,
                    "score": (wins + draws / 2) / max(wins + draws + losses, 1)}
    return {}


def _headline(summary: dict | None) -> dict | None:
    """The figures of an agreement summary that the demo's table shows."""
    if summary is None:
        return None
    return {key: summary.get(key) for key in (
        "n", "games", "top1_tied", "top1_tied_ci", "top1_strict", "top1_strict_ci", "top3", "q_regret",
        "q_regret_ci", "kl_bits", "kl_teacher_bits", "value_mse")}


def _equivalent(search: dict) -> dict:
    """The search-equivalent budget of an equivalence result, and how the student compares with
    the 1-simulation searcher (paired)."""
    lowest = min(search["student_minus_searcher"], key=int)
    return {"budget": search["budget"], "out_of_range": search["out_of_range"],
            "budget_ci": search["budget_ci"], "student_agreement": search["student_agreement"],
            "student_agreement_ci": search["student_agreement_ci"],
            f"minus_mcts_{lowest}": search["student_minus_searcher"][lowest]}


def plot_headline(summary: dict, path: Path) -> None:
    """Agreement with the independent reference against search budget: the searcher's curve with
    game-level intervals, and each student (no search) as its level and interval, at its
    search-equivalent budget where it lies on the curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    figure, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    markers = "sD^v<>p"
    for axis, stratum in zip(axes, ("all", "undecided")):
        searcher = summary["searcher"][stratum]
        budgets = sorted(int(b) for b in searcher["agreement"])
        values = np.array([searcher["agreement"][str(b)] for b in budgets])
        intervals = np.array([searcher["agreement_ci"][str(b)] or [np.nan, np.nan] for b in budgets], dtype=float)
        axis.errorbar(budgets, values, yerr=np.abs(intervals.T - values), fmt="o-", color="0.3", capsize=3,
                      label="MCTS at budget b")
        for i, student in enumerate(summary["students"]):
            found = student["search_equivalent"][stratum]
            level = found["student_agreement"]
            interval = found["student_agreement_ci"] or [level, level]
            color = f"C{i}"
            axis.axhspan(interval[0], interval[1], color=color, alpha=0.12)
            axis.axhline(level, linestyle=":", linewidth=1.0, color=color)
            if found["budget"] is not None:
                axis.plot([found["budget"]], [level], markers[i % len(markers)], color=color, markersize=8)
            axis.plot([], [], markers[i % len(markers)] + ":", color=color, label=f"{student['name']} (no search)")
        axis.set_xscale("log", base=2)
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_xlabel("search budget (simulations)")
        axis.set_title(f"{stratum} held-out positions")
        axis.grid(alpha=0.3)
    reference = summary["reference"]
    axes[0].set_ylabel(f"top-1 (ties count) vs the {reference['kind']} {reference['budget']}-sim reference")
    axes[0].legend(fontsize=7, loc="lower right")
    figure.suptitle(f"A network without search, placed on the searcher's budget axis "
                    f"({summary['split']['games']} held-out games; bands: 95% game-level intervals)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
