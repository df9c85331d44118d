"""The searcher's labels of a dataset, grouped by position, as the analyses consume them.

A dataset (``chessmesa generate``) has one row per (position, budget); the analyses want one
:class:`LabelledPosition` per position holding a :class:`Label` per budget and, on held-out
positions of a dataset generated with ``--reference``, the independent reference search's label.
Every array is in the engine's legal-move order (``Position.legal_moves()``), the order the students
answer in. The rows are read through the teacher contract (:mod:`chessmesa.datasets.targets`).

Which positions are read is a split (:mod:`chessmesa.datasets.split`): ``validation`` (the default)
is the games the dataset holds out and, for a student that records the games it held out in
training, only those of them it never saw; ``train`` the games the student (or the dataset)
trained on; ``all`` every position.

>>> label = Label(64, np.array([0.75, 0.25]), 0, "e2e4", 0.1, ["e2e4", "e7e5"], np.array([0.2, 0.0]), np.array([True, True]))
>>> float(label.policy[label.best_index]), label.pv[1]
(0.75, 'e7e5')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chessmesa.core import Position, move_to_uci
from chessmesa.datasets.split import RULE, SPLITS, VALIDATION, game_keys, key_fraction
from chessmesa.datasets.targets import row_targets
from chessmesa.search.shares import root_policy

#: The dataset columns the labels are built from (and ``improved_policy`` under Gumbel).
LABEL_COLUMNS = ("position_id", "fen", "budget", "moves", "visits", "q", "root_value", "best_move", "pv",
                 "source", "game_id", "split")
#: |root value| above which the reference's position counts as decided (won or lost already).
DECIDED_VALUE = 0.9


@dataclass(frozen=True)
class Label:
    """The searcher's root statistics for one position at one budget: ``policy`` as the teacher
    contract reads it, ``best_index`` the index of ``best_move`` (the move it plays), ``q`` the
    mean value of each move and ``visited`` which moves the search tried."""

    budget: int
    policy: np.ndarray
    best_index: int
    best_move: str
    root_value: float
    pv: list[str]
    q: np.ndarray
    visited: np.ndarray

    @property
    def decided(self) -> bool:
        """Whether the position is already won or lost in this search's view."""
        return abs(self.root_value) > DECIDED_VALUE


@dataclass(frozen=True)
class LabelledPosition:
    position_id: int
    fen: str
    moves: list[str]  # UCI, engine order
    labels: dict[int, Label]
    game: int = 0  # the game's key (chessmesa.datasets.split)
    reference: Label | None = None

    def position(self) -> Position:
        return Position(self.fen)


@dataclass(frozen=True)
class LabelSet:
    """The labelled positions of a dataset, its label budgets (ascending), its manifest, the
    reference budget (None without an independent reference) and the split that was read."""

    data_dir: str
    budgets: list[int]
    positions: list[LabelledPosition]
    manifest: dict
    reference_budget: int | None = None
    split: dict = field(default_factory=dict)

    @property
    def top_budget(self) -> int:
        return self.budgets[-1]

    @property
    def games(self) -> np.ndarray:
        return np.array([p.game for p in self.positions], dtype=np.uint64)

    def references(self) -> list[Label]:
        """Each position's reference: the independent search where the dataset has one, else the
        top-budget label (then every comparison with the searcher is self-agreement, and the
        results say so through :meth:`reference_info`)."""
        if self.reference_budget is not None:
            return [p.reference for p in self.positions]
        return [p.labels[self.top_budget] for p in self.positions]

    def reference_info(self) -> dict:
        """What the reference is, for every result that scores against it."""
        if self.reference_budget is not None:
            return {"kind": "independent", "budget": self.reference_budget,
                    "search": "mcts with its own seed and Dirichlet root noise, run on the held-out "
                              "positions only (generate --reference)"}
        return {"kind": "self", "budget": self.top_budget,
                "search": "the top-budget labels: the searcher's lower budgets are snapshots of the "
                          "same search, so their agreement with it is self-agreement"}


def student_run_config(spec: str | None) -> dict | None:
    """The ``config.json`` of a trained student's run (the ``policy`` and ``netmcts`` kinds name
    it with ``ckpt``: the run folder, or a model file inside it); None for any other student."""
    if spec is None:
        return None
    from chessmesa.play.specs import parse_spec

    checkpoint = parse_spec(spec).options.get("ckpt")
    if checkpoint is None:
        return None
    run = Path(checkpoint)
    try:
        return json.loads(((run if run.is_dir() else run.parent) / "config.json").read_text())
    except (OSError, ValueError):
        return None


def default_split(generation: dict, students: Sequence[str]) -> str:
    """The split to score ``students`` on when none is asked for: the held-out games for a
    trained student (a spec naming a ``ckpt``), or where the dataset's config ``generation`` has
    an independent reference (it searched the held-out games only); every position otherwise,
    since a player never trained (a searcher, random, Stockfish) saw none of them.

    >>> default_split({"reference": None}, ["mcts:sims=64"]), default_split({"reference": 512}, ["random"])
    ('all', 'validation')
    >>> default_split({"reference": None}, ["policy:ckpt=runs/a"])
    'validation'
    """
    from chessmesa.play.specs import parse_spec

    trained = any("ckpt" in parse_spec(spec).options for spec in students)
    return VALIDATION if trained or generation.get("reference") else "all"


def recorded_holdout(spec: str | None) -> dict | None:
    """The held-out split a trained student's run records, or None."""
    return (student_run_config(spec) or {}).get("split")


def _selected(table: pa.Table, split: str, student_splits: list[dict]) -> np.ndarray:
    """Which rows of ``table`` the ``split`` keeps, for students whose runs held out
    ``student_splits`` (none: the dataset's split alone decides)."""
    if split == "all":
        return np.ones(table.num_rows, dtype=bool)
    dataset_held_out = np.asarray(table.column("split").to_pylist()) == VALIDATION
    if not student_splits:
        return dataset_held_out if split == VALIDATION else ~dataset_held_out
    fractions = key_fraction(game_keys(table.column("source").to_pylist(), table.column("game_id").to_pylist()))
    held_by_each = [fractions < recorded["fraction"] for recorded in student_splits]
    if split == VALIDATION:  # games no student saw
        return np.logical_and.reduce([dataset_held_out, *held_by_each])
    return np.logical_and.reduce([~held for held in held_by_each])  # games every student trained on


def load_labels(data_dir: str | Path, budgets: list[int] | None = None, limit: int | None = None,
                seed: int = 0, split: str | None = VALIDATION, students: Sequence[str] = ()) -> LabelSet:
    """The labels of ``data_dir`` at ``budgets`` (default all), for the positions of ``split``
    (``validation``, ``train``, ``all``, or None: :func:`default_split` of the ``students``),
    ``limit`` of them (default all).

    ``students`` are the specs of the students to be scored: a trained one's recorded held-out
    games narrow the ``validation`` split to games it never saw. The ``limit`` positions are a seeded
    random sample (in position-id order), since a dataset's first rows come from the first few
    games. Raises ValueError (a ``DatasetError`` from the reader) for a missing or unreadable
    dataset, a budget it does not hold, or a split with no position.
    """
    from chessmesa.datasets import load_dataset, read_manifest

    if split not in (*SPLITS, None):
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    manifest = read_manifest(data_dir)
    generation = manifest["config"]
    split = split or default_split(generation, students)
    reference = generation.get("reference")
    present = list(generation["budgets"])
    missing = sorted(set(budgets or []) - set(present))
    if missing:
        raise ValueError(f"budget {missing[0]} not in dataset {str(data_dir)!r}; its budgets: "
                         f"{', '.join(map(str, present))}")
    wanted = sorted(set(budgets)) if budgets else present
    gumbel = bool(generation["search"].get("gumbel"))
    table = load_dataset(data_dir, columns=list(LABEL_COLUMNS) + (["improved_policy"] if gumbel else []))
    student_splits = [recorded for recorded in map(recorded_holdout, students) if recorded]
    table = table.filter(pa.array(_selected(table, split, student_splits)))
    ids = sorted(set(table.column("position_id").to_pylist()))
    if not ids:
        raise ValueError(f"dataset {str(data_dir)!r} holds no position in the {split} split")
    if limit is not None and limit < len(ids):
        ids = sorted(np.random.default_rng(seed).choice(ids, size=limit, replace=False).tolist())
    read_budgets = pa.array(wanted + ([reference] if reference else []), pa.int32())
    table = table.filter(pc.and_(pc.is_in(table["position_id"], value_set=pa.array(ids, pa.int64())),
                                 pc.is_in(table["budget"], value_set=read_budgets)))
    positions = _grouped(table, reference)
    if reference is not None and any(p.reference is None for p in positions):
        reference = None  # some positions (training games) have none: score against the top budget
    games = len({p.game for p in positions})
    split_info = {"split": split, "by": "game", "rule": RULE, "dataset_holdout": generation.get("holdout"),
                  "student_holdout": min((r["fraction"] for r in student_splits), default=None),
                  "positions": len(positions), "games": games}
    return LabelSet(str(data_dir), wanted, positions, manifest, reference, split_info)


def _grouped(table: pa.Table, reference: int | None) -> list[LabelledPosition]:
    """One :class:`LabelledPosition` per position id of ``table`` (its rows in id order)."""
    targets = row_targets(table)
    columns = table.select(["position_id", "fen", "budget", "best_move", "pv", "source", "game_id"]).to_pydict()
    keys = game_keys(columns["source"], columns["game_id"])
    improved = table.column("improved_policy").to_pylist() if "improved_policy" in table.column_names else None
    grouped: dict[int, dict] = {}
    for row in range(table.num_rows):
        count = int(targets.counts[row])
        entry = grouped.setdefault(columns["position_id"][row], {
            "fen": columns["fen"][row], "game": int(keys[row]), "labels": {}, "reference": None,
            "moves": [move_to_uci(int(c)) for c in targets.moves[row, :count]]})
        visits = targets.visits[row, :count]
        best = int(targets.best[row])
        label = Label(int(columns["budget"][row]),
                      root_policy(visits, None if improved is None else improved[row], best),
                      best, columns["best_move"][row], float(targets.root_value[row]),
                      list(columns["pv"][row] or []), targets.q[row, :count].astype(float), visits > 0)
        if label.budget == reference:
            entry["reference"] = label
        else:
            entry["labels"][label.budget] = label
    return [LabelledPosition(pid, e["fen"], e["moves"], e["labels"], e["game"], e["reference"])
            for pid, e in sorted(grouped.items())]
