"""What a dataset is generated from: one frozen dataclass, recorded whole in the manifest.

Everything that shapes the rows lives in :class:`GenerateConfig`, and nothing else does: the
number of workers, the backend and the Ray address only change how fast the same rows appear.

>>> config = GenerateConfig(positions=100, budgets=parse_budgets("16,64,256"))
>>> config.budgets, config.sources
((16, 64, 256), (SourceSpec(kind='selfplay', path=None),))
>>> GenerateConfig.from_dict(config.to_dict()) == config
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from chessmesa.datasets.errors import DatasetError, SourceError
from chessmesa.datasets.split import DEFAULT_HOLDOUT
from chessmesa.search.params import SearchParams

#: Source kinds: games played by the searcher, random games, position files, recorded games.
SOURCE_KINDS = ("selfplay", "random", "epd", "fen", "pgn")
#: Kinds whose file is required (for ``selfplay`` and ``random`` a file is an optional opening book).
FILE_KINDS = ("epd", "fen", "pgn")
BAD_LINE_POLICIES = ("skip", "error")
#: Dirichlet root noise weight of ``--play-noise``, ``--label-noise`` and the reference search
#: (AlphaZero's value).
NOISE_EPSILON = 0.25
#: Offset of the reference search's seed from the dataset's: its root noise is its own.
REFERENCE_SEED_OFFSET = 0x5EED_0F_4EF


@dataclass(frozen=True)
class SourceSpec:
    """One position source: ``KIND`` or ``KIND:PATH``.

    ``epd:FILE`` / ``fen:FILE``: the positions of a file, one FEN or EPD per line.
    ``pgn:FILE``: positions sampled from the games of a PGN file.
    ``selfplay[:BOOK]``: games of the searcher from the start position or from the positions of
    an opening book (an EPD/FEN file). ``random[:BOOK]``: games of uniformly random moves.

    >>> SourceSpec.parse("selfplay")
    SourceSpec(kind='selfplay', path=None)
    >>> SourceSpec.parse("pgn")
    Traceback (most recent call last):
    ...
    chessmesa.datasets.errors.SourceError: source 'pgn' needs a file: pgn:FILE
    """

    kind: str
    path: str | None = None

    @classmethod
    def parse(cls, text: str) -> SourceSpec:
        """Parse ``KIND[:PATH]``; the path is made absolute (the manifest must outlive the cwd)."""
        kind, _, path = text.strip().partition(":")
        if kind not in SOURCE_KINDS:
            raise SourceError(f"unknown source {text!r}: expected one of {', '.join(SOURCE_KINDS)}"
                              f" (KIND or KIND:FILE)")
        if kind in FILE_KINDS and not path:
            raise SourceError(f"source {text!r} needs a file: {kind}:FILE")
        return cls(kind, str(Path(path).expanduser().resolve()) if path else None)

    @property
    def label(self) -> str:
        """The ``source`` column's value: the kind, with the file's name when there is one."""
        return f"{self.kind}:{Path(self.path).name}" if self.path else self.kind

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}" if self.path else self.kind


def parse_budgets(text: str) -> tuple[int, ...]:
    """Budgets from ``"16,64,256"``: positive integers, each once, returned in increasing order.

    >>> parse_budgets("256, 16,64")
    (16, 64, 256)
    >>> parse_budgets("16,x")
    Traceback (most recent call last):
    ...
    chessmesa.datasets.errors.DatasetError: budgets must be positive integers: 'x' in '16,x'
    """
    budgets = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or int(item) <= 0:
            raise DatasetError(f"budgets must be positive integers: {item!r} in {text!r}")
        if int(item) in budgets:
            raise DatasetError(f"budget {int(item)} given twice in {text!r}")
        budgets.append(int(item))
    return tuple(sorted(budgets))


@dataclass(frozen=True)
class GenerateConfig:
    """Everything that decides a dataset's rows; same config, same rows.

    Sampling applies to each game (``selfplay``, ``random``, ``pgn``): the first ``skip_plies``
    plies are skipped, then each position is kept with probability ``sample_rate``. Position
    files are sampled at ``sample_rate`` line by line. Self-play samples each move from
    ``visits ** (1 / temperature)`` for its first ``temperature_plies`` plies, then plays the best
    move; its moves come from the label search at the largest budget unless ``play_sims`` or
    ``play_noise`` asks for a separate search.

    ``holdout`` is the share of games held out (:mod:`chessmesa.datasets.split`; the ``split``
    column). ``reference``, when set, is the budget of an independent reference search run on
    every held-out position: its own seed and Dirichlet root noise, so that it shares no
    simulation with the label search (whose budget-``b`` labels are the first ``b`` simulations
    of one search). Its rows have ``budget == reference``, which is never a label budget.

    ``network``, when set, is a trained student (a run folder or a ``.safetensors`` file) whose
    priors and values replace the static evaluator in every search, ``network_batch`` leaves per
    forward pass: what ``netmcts:ckpt=...`` plays, and what ``chessmesa iterate`` labels with;
    ``network_static_value`` of each leaf's value is the static evaluator's instead
    (``netmcts:static_value=...``).
    """

    positions: int
    budgets: tuple[int, ...] = (16, 64, 256)
    sources: tuple[SourceSpec, ...] = (SourceSpec("selfplay"),)
    seed: int = 0
    search: SearchParams = field(default_factory=SearchParams)  # its seed is always ``seed``
    label_noise: bool = False
    play_noise: bool = False
    play_sims: int | None = None
    temperature: float = 1.0
    temperature_plies: int = 30
    skip_plies: int = 0
    sample_rate: float = 1.0
    max_plies: int = 300
    shard_size: int = 1000
    bad_lines: str = "skip"
    holdout: float = DEFAULT_HOLDOUT
    reference: int | None = None
    network: str | None = None
    network_batch: int = 16
    network_static_value: float = 0.0

    def __post_init__(self) -> None:
        # lists and source strings are accepted for convenience; the stored form is canonical
        object.__setattr__(self, "budgets", tuple(self.budgets))
        object.__setattr__(self, "sources", tuple(
            SourceSpec.parse(s) if isinstance(s, str) else s for s in self.sources))
        object.__setattr__(self, "search", replace(self.search, seed=self.seed))
        if self.network is not None:  # the manifest must outlive the cwd
            object.__setattr__(self, "network", str(Path(self.network).expanduser().resolve()))
        problems = [
            (self.positions < 1, f"positions must be at least 1, got {self.positions}"),
            (not self.budgets or self.budgets[0] < 1 or list(self.budgets) != sorted(set(self.budgets)),
             f"budgets must be distinct positive integers in increasing order, got {self.budgets}"),
            (not self.sources, "at least one source is needed"),
            (self.play_sims is not None and self.play_sims < 1,
             f"play_sims must be at least 1, got {self.play_sims}"),
            (self.temperature < 0, f"temperature must be >= 0, got {self.temperature}"),
            (min(self.temperature_plies, self.skip_plies) < 0, "plies must be >= 0"),
            (not 0 < self.sample_rate <= 1, f"sample rate must be in (0, 1], got {self.sample_rate}"),
            (self.max_plies < 1, f"max plies must be at least 1, got {self.max_plies}"),
            (self.shard_size < 1, f"shard size must be at least 1, got {self.shard_size}"),
            (not 0 <= self.holdout < 1, f"holdout must be in [0, 1), got {self.holdout}"),
            (self.reference is not None and self.reference < 1,
             f"reference budget must be at least 1, got {self.reference}"),
            (self.reference in self.budgets,
             f"reference budget {self.reference} is also a label budget: choose another"),
            (self.reference is not None and self.holdout == 0,
             "a reference search needs held-out games: holdout must be above 0"),
            (self.network_batch < 1, f"network batch must be at least 1, got {self.network_batch}"),
            (not 0 <= self.network_static_value <= 1,
             f"network static value share must be in [0, 1], got {self.network_static_value}"),
            (self.bad_lines not in BAD_LINE_POLICIES,
             f"bad_lines must be one of {', '.join(BAD_LINE_POLICIES)}, got {self.bad_lines!r}"),
        ]
        for failed, message in problems:
            if failed:
                raise DatasetError(message)

    # the searches
    def label_params(self) -> SearchParams:
        """The label search: the configured parameters, the dataset seed, noise only if asked."""
        return replace(self.search, dirichlet_epsilon=NOISE_EPSILON if self.label_noise else 0.0)

    def play_params(self, seed: int) -> SearchParams:
        """The search that picks self-play moves when it is not the label search."""
        return replace(self.search, seed=seed,
                       dirichlet_epsilon=NOISE_EPSILON if self.play_noise else 0.0)

    def reference_params(self) -> SearchParams:
        """The reference search: the label search's parameters with a seed and root noise of its own."""
        return replace(self.search, seed=self.seed + REFERENCE_SEED_OFFSET,
                       dirichlet_epsilon=NOISE_EPSILON)

    def row_budgets(self, held_out: bool) -> tuple[int, ...]:
        """The ``budget`` of each row of a position: the label budgets, then the reference on
        held-out positions.

        >>> GenerateConfig(positions=1, budgets=(4, 8), reference=64).row_budgets(True)
        (4, 8, 64)
        """
        return self.budgets + ((self.reference,) if held_out and self.reference else ())

    @property
    def separate_play_search(self) -> bool:
        """Self-play needs its own search when its budget or its noise differs from the labels'."""
        return self.play_sims is not None or self.play_noise != self.label_noise

    # the manifest
    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(budgets=list(self.budgets), sources=[str(s) for s in self.sources],
                    search=asdict(self.search))
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GenerateConfig:
        data = dict(data)
        data.update(budgets=tuple(data["budgets"]),
                    sources=tuple(SourceSpec.parse(s) for s in data["sources"]),
                    search=SearchParams(**data["search"]))
        return cls(**data)

    def differences(self, other: GenerateConfig, ignore: tuple[str, ...] = ()) -> list[str]:
        """``name: ours vs theirs`` for each setting that differs (for a refused ``--resume``).

        >>> GenerateConfig(positions=5).differences(GenerateConfig(positions=5, seed=1))
        ['seed: 0 vs 1']
        """
        ours, theirs = _flat(self.to_dict()), _flat(other.to_dict())
        ignore = (*ignore, "search.seed")  # follows ``seed``
        return [f"{name}: {ours[name]} vs {theirs[name]}" for name in ours
                if name not in ignore and ours[name] != theirs[name]]


def _flat(settings: dict) -> dict:
    """Nested settings as ``search.cpuct``."""
    flat = {}
    for name, value in settings.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{key}": inner for key, inner in value.items()})
        else:
            flat[name] = value
    return flat
