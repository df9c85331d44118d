"""``validate_dataset``: every check a dataset must pass, with python-chess as the referee.

Files: the manifest reads; each listed shard exists, has the checksum recorded when it was
written (a truncated or edited shard fails here), reads, has the schema's column types and the
recorded row count; no uncommitted shard lies beside them; the dataset is complete.

Rows: position ids run 0..N-1 with one row per budget each (and one at the reference budget on
held-out positions, when there is a reference); each ``split`` is the one its game's key gives
(:mod:`chessmesa.datasets.split`); every FEN is valid, not game over,
and hashes to its ``zobrist``; ``moves`` are exactly the legal moves (python-chess) with the right
codes; the list columns have one entry per move; visits sum to ``sims``, which is the budget
unless the solver proved the root first; Q, priors and values are in range; ``best_move`` is the
most visited move (the solver's exceptions: a proven win, or a most-visited move proven lost);
the PV is legal and starts with the best move; no two positions share a Zobrist hash; the counts
match the manifest. ``recheck=K`` also searches K positions again and demands identical labels.
"""

from __future__ import annotations

from pathlib import Path

import chess
import chess.polyglot
import numpy as np
import pyarrow.parquet as pq

from chessmesa.core import move_from_chess, move_to_uci
from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.manifest import read_manifest
from chessmesa.datasets.schema import dataset_schema
from chessmesa.datasets.shards import SHARD_GLOB, TEMPORARY_GLOB, file_sha256
from chessmesa.datasets.split import TRAIN, VALIDATION, held_out

#: Validation stops listing problems after this many.
MAX_PROBLEMS = 1000
_TOLERANCE = 1e-3  # probabilities are float32 sums
_STOP_REASONS = ("budget", "proven", "tree_full")


def validate_dataset(directory: str | Path, recheck: int = 0) -> list[str]:
    """The problems of a dataset, one line each; an empty list when it is sound.

    Raises :class:`DatasetError` only when there is no dataset folder at all; a damaged manifest
    is a problem like any other.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"no dataset at {directory}: the folder does not exist")
    try:
        manifest = read_manifest(directory)
    except DatasetError as error:
        return [str(error)]
    checker = _Checker(directory, manifest)
    checker.check()
    if recheck and not checker.problems:
        checker.recheck(recheck)
    return checker.problems


class _Checker:
    def __init__(self, directory: Path, manifest: dict):
        self.directory, self.manifest = directory, manifest
        from chessmesa.datasets.config import GenerateConfig

        self.config = GenerateConfig.from_dict(manifest["config"])
        self.schema = dataset_schema(self.config.search.gumbel)
        self.problems: list[str] = []
        self.next_id = 0
        self.first_seen: dict[int, int] = {}  # zobrist -> position id
        self.rows = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(f"... stopped after {MAX_PROBLEMS} problems")

    # files
    def check(self) -> None:
        manifest, counts = self.manifest, self.manifest["counts"]
        listed = {shard["file"] for shard in manifest["shards"]}
        for path in sorted([*self.directory.glob(SHARD_GLOB), *self.directory.glob(TEMPORARY_GLOB)]):
            if path.name not in listed:
                self.problem(f"{path.name} is not listed in the manifest (left by a killed run? "
                             f"--resume removes it)")
        for shard in manifest["shards"]:
            self.check_shard(shard)
        if not manifest["complete"]:
            self.problem(f"incomplete: {counts['positions']} of {manifest['config']['positions']} "
                         f"positions (continue with chessmesa generate --out {self.directory} --resume)")
        if self.next_id != counts["positions"] or self.rows != counts["rows"]:
            self.problem(f"the shards hold {self.next_id} positions in {self.rows} rows, the manifest "
                         f"counts {counts['positions']} in {counts['rows']}")

    def check_shard(self, shard: dict) -> None:
        name, path = shard["file"], self.directory / shard["file"]
        if not path.is_file():
            self.problem(f"{name}: missing")
            return
        if file_sha256(path) != shard["sha256"]:
            self.problem(f"{name}: checksum differs from the manifest's (truncated or edited "
                         f"since it was written)")
        try:
            table = pq.read_table(path)
        except Exception as error:  # a damaged file fails in many ways inside Arrow
            self.problem(f"{name}: unreadable Parquet ({str(error).splitlines()[0]})")
            return
        for field in self.schema:
            if field.name not in table.schema.names:
                self.problem(f"{name}: column {field.name} is missing")
            elif table.schema.field(field.name).type != field.type:
                self.problem(f"{name}: column {field.name} has type {table.schema.field(field.name).type}, "
                             f"expected {field.type}")
        if any(p.startswith(f"{name}: column") for p in self.problems):
            return
        if table.num_rows != shard["rows"]:
            self.problem(f"{name}: {table.num_rows} rows, the manifest says {shard['rows']}")
        self.check_rows(name, table.to_pydict())

    # rows
    def check_rows(self, name: str, columns: dict) -> None:
        count = len(columns["position_id"])
        self.rows += count
        start = 0
        while start < count:
            position_id = columns["position_id"][start]
            end = start
            while end < count and columns["position_id"][end] == position_id:
                end += 1
            rows = [{key: values[i] for key, values in columns.items()} for i in range(start, end)]
            self.check_position(f"{name} row {start}", rows)
            start = end

    def check_position(self, where: str, rows: list[dict]) -> None:
        first = rows[0]
        position_id = first["position_id"]
        where = f"{where} (position {position_id})"
        if position_id != self.next_id:
            self.problem(f"{where}: position id {position_id}, expected {self.next_id}")
        self.next_id = position_id + 1
        is_held_out = bool(held_out([first["source"]], [first["game_id"]], self.config.holdout)[0])
        if first["split"] != (VALIDATION if is_held_out else TRAIN):
            self.problem(f"{where}: split {first['split']!r}, but its game is "
                         f"{'held out' if is_held_out else 'a training game'}")
        budgets, expected = [row["budget"] for row in rows], list(self.config.row_budgets(is_held_out))
        if budgets != expected:
            self.problem(f"{where}: budgets {budgets}, expected {expected}")
        for key in ("fen", "zobrist", "game_id", "ply", "source", "result", "moves", "split"):
            if any(row[key] != first[key] for row in rows):
                self.problem(f"{where}: {key} differs between the budgets of one position")
        board = self.check_board(where, first)
        if board is None:
            return
        for row in rows:
            self.check_labels(f"{where}, budget {row['budget']}", board, row)

    def check_board(self, where: str, row: dict) -> chess.Board | None:
        try:
            board = chess.Board(row["fen"])
        except ValueError as error:
            self.problem(f"{where}: invalid FEN {row['fen']!r} ({error})")
            return None
        if not board.is_valid():
            self.problem(f"{where}: invalid position {row['fen']!r} ({board.status()!r})")
        if board.is_game_over():
            self.problem(f"{where}: game over in {row['fen']!r}, which is never labelled")
        key = chess.polyglot.zobrist_hash(board)
        if key != row["zobrist"]:
            self.problem(f"{where}: zobrist {row['zobrist']} is not the hash of its FEN ({key})")
        if key in self.first_seen:
            self.problem(f"{where}: duplicate of position {self.first_seen[key]} (same Zobrist hash)")
        self.first_seen.setdefault(key, row["position_id"])
        if row["result"] not in (None, -1, 0, 1) or row["ply"] < 0 or not row["source"]:
            self.problem(f"{where}: bad origin (result {row['result']}, ply {row['ply']}, "
                         f"source {row['source']!r})")
        legal = {move_from_chess(board, move): move.uci() for move in board.legal_moves}
        moves = row["moves"]
        if len(set(moves)) != len(moves) or set(moves) != set(legal):
            wrong = [str(code) for code in moves if code not in legal]
            missing = [uci for code, uci in legal.items() if code not in moves]
            self.problem(f"{where}: moves are not the legal moves (not legal: codes "
                         f"{', '.join(wrong) or 'none'}; missing: {', '.join(missing) or 'none'}"
                         f"{'; repeated moves' if len(set(moves)) != len(moves) else ''})")
            return None
        return board

    def check_labels(self, where: str, board: chess.Board, row: dict) -> None:
        moves = [move_to_uci(code) for code in row["moves"]]
        n = len(moves)
        lists = ["visits", "q", "prior"] + (["improved_policy"] if "improved_policy" in row else [])
        bad_lengths = [key for key in lists if row[key] is None or len(row[key]) != n]
        if bad_lengths:
            self.problem(f"{where}: {', '.join(bad_lengths)} must have one entry per move ({n})")
            return
        visits, q, prior = (np.array(row[key], dtype=np.float64) for key in ("visits", "q", "prior"))
        budget, sims = row["budget"], row["sims"]
        if row["stop_reason"] not in _STOP_REASONS:
            self.problem(f"{where}: stop reason {row['stop_reason']!r}")
        if (visits < 0).any() or visits.sum() != sims:
            self.problem(f"{where}: visits sum to {int(visits.sum())}, sims is {sims}")
        if sims > budget or (sims < budget and row["stop_reason"] == "budget"):
            self.problem(f"{where}: {sims} simulations for budget {budget} (stop: {row['stop_reason']})")
        if row["stop_reason"] == "proven" and row["proven"] is None:
            self.problem(f"{where}: stopped as proven but no proof recorded")
        if not (np.abs(q) <= 1).all() or not -1 <= row["root_value"] <= 1:
            self.problem(f"{where}: Q or root value outside [-1, 1]")
        for key in lists[2:]:
            values = np.array(row[key], dtype=np.float64)
            if (values < 0).any() or (values > 1).any() or abs(values.sum() - 1) > _TOLERANCE:
                self.problem(f"{where}: {key} is not a probability distribution (sum {values.sum():.4f})")
        if row["best_move"] not in moves:
            self.problem(f"{where}: best move {row['best_move']!r} is not a legal move")
            return
        self.check_best_move(where, moves, visits, q, row["best_move"])
        self.check_pv(where, board, row)

    def check_best_move(self, where: str, moves: list[str], visits: np.ndarray, q: np.ndarray,
                        best_move: str) -> None:
        best, top = moves.index(best_move), int(np.argmax(visits))
        solver_choice = q[best] >= 1 - 1e-6 or q[top] <= -1 + 1e-6
        if visits[best] != visits[top] and not solver_choice:
            self.problem(f"{where}: best move {best_move} has {int(visits[best])} visits, "
                         f"{moves[top]} has {int(visits[top])}")

    def check_pv(self, where: str, board: chess.Board, row: dict) -> None:
        pv = row["pv"] or []
        if pv and pv[0] != row["best_move"]:
            self.problem(f"{where}: PV starts with {pv[0]}, not the best move {row['best_move']}")
        walker = board.copy(stack=False)
        for uci in pv:
            try:
                walker.push_uci(uci)
            except ValueError:
                self.problem(f"{where}: PV move {uci} is illegal in {walker.fen()}")
                return

    # labels again
    def recheck(self, count: int) -> None:
        """Search ``count`` positions (drawn with a fixed seed) again; labels must be identical."""
        from chessmesa.core import Position
        from chessmesa.datasets.labelling import Labeller
        from chessmesa.datasets.reader import load_dataset

        labeller = Labeller(self.config)
        table = load_dataset(self.directory)
        first_rows = np.flatnonzero(np.diff(table.column("position_id").to_numpy(), prepend=-1))
        row_counts = np.diff(first_rows, append=table.num_rows)
        positions = self.next_id
        chosen = np.random.default_rng(0).choice(positions, size=min(count, positions), replace=False)
        for position_id in sorted(int(i) for i in chosen):
            rows = table.slice(first_rows[position_id], row_counts[position_id]).to_pylist()
            position = Position(rows[0]["fen"])
            labels = labeller.label(position)
            if rows[0]["split"] == VALIDATION and self.config.reference:
                labels.append(labeller.reference(position))
            for row, result in zip(rows, labels):
                fresh = {"moves": result.move_codes.tolist(), "visits": result.visits.tolist(),
                         "q": result.q.tolist(), "prior": result.prior.tolist(),
                         "best_move": result.best_move, "pv": result.pv, "sims": result.sims}
                differing = [key for key, value in fresh.items() if row[key] != value]
                if differing:
                    self.problem(f"position {position_id}, budget {row['budget']}: a new search "
                                 f"gives different {', '.join(differing)}")

