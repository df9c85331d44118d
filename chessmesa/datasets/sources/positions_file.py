"""Position files (``epd:FILE``, ``fen:FILE``): one position per line, FEN or EPD.

A line whose fifth and sixth fields are numbers is a FEN (anything after them, such as perft
counts, is ignored); any other line is EPD (four fields and operations). Empty lines and lines
starting with ``#`` hold no position. The plan only reads the lines; workers parse them.

>>> import tempfile
>>> with tempfile.NamedTemporaryFile("w", suffix=".epd", delete=False) as f:
...     _ = f.write("# openings\\n8/8/8/8/8/8/1Q6/K6k w - - 0 1\\n")
>>> read_lines(f.name)
[(2, '8/8/8/8/8/8/1Q6/K6k w - - 0 1')]
>>> line_problem("not a fen")
"expected 'w' or 'b' for turn part of fen: 'not a fen'"
"""

from __future__ import annotations

from chessmesa.core import InvalidFenError, Position, fen_from_line
from chessmesa.datasets.config import GenerateConfig, SourceSpec
from chessmesa.datasets.errors import SourceError
from chessmesa.datasets.sources import Candidate, TaskContext, check_up_front, file_digest
from chessmesa.datasets.sources.games import candidate

#: Lines per task: enough to keep the per-task cost small against the searches.
LINES_PER_TASK = 32


def read_lines(path: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of every line that should hold a position."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = [(number, line.strip()) for number, line in enumerate(handle, start=1)]
    except OSError as error:
        raise SourceError(f"cannot read source file {path}: {error.strerror}") from None
    lines = [(number, text) for number, text in lines if text and not text.startswith("#")]
    if not lines:
        raise SourceError(f"no position in {path}")
    return lines


def line_problem(text: str) -> str | None:
    """What is wrong with a line, or None."""
    try:
        fen_from_line(text)
    except (ValueError, InvalidFenError) as error:
        return str(error)
    return None


def read_checked_lines(spec: SourceSpec, config: GenerateConfig) -> list[tuple[int, str]]:
    """The lines of a source file, every one parsed first under ``--bad-lines error``."""
    lines = read_lines(spec.path)
    if config.bad_lines == "error":
        check_up_front(spec.path, lines, lambda item: line_problem(item[1]), lambda item: item[0])
    return lines


def line_position(line: int, text: str, context: TaskContext) -> Position | None:
    """The position of a line, or None (the bad line reported to ``context``)."""
    try:
        return Position(fen_from_line(text))
    except (ValueError, InvalidFenError) as error:
        context.bad_line(line, str(error))
        return None


class PositionsFilePlan:
    """Tasks of ``LINES_PER_TASK`` consecutive lines, in file order."""

    def __init__(self, spec: SourceSpec, config: GenerateConfig, index: int):
        self.spec = spec
        self.lines = read_checked_lines(spec, config)
        self.digest = file_digest(spec.path)
        self.count = -(-len(self.lines) // LINES_PER_TASK)

    def payload(self, number: int) -> list[tuple[int, str]]:
        return self.lines[number * LINES_PER_TASK: (number + 1) * LINES_PER_TASK]

    def input_info(self) -> dict:
        return {"source": str(self.spec), **self.digest, "lines": len(self.lines)}


def candidates(payload: list[tuple[int, str]], number: int, context: TaskContext) -> list[Candidate]:
    """Each line kept at the sample rate; ``game_id`` is its line number."""
    found = []
    for line, text in payload:
        if context.rng.random() >= context.config.sample_rate:
            continue
        position = line_position(line, text, context)
        if position is None:
            continue
        if not position.is_game_over():  # a draw that can be claimed is labelled
            found.append(candidate(position, line))
        else:
            context.skipped["game over"] += 1
    return found
