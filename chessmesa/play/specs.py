"""Engine specs: the one string that names a player everywhere.

A spec is ``KIND[:key=value,...]`` (``stockfish:skill=3,nodes=2000``), the name of a file
``engines/NAME.toml`` holding the same fields (``sf1``), or a path to such a file. Each kind
registers the keys it accepts and their types, so a spec is checked and typed before any engine
starts::

    >>> spec = parse_spec("random:seed=7")
    >>> spec.kind, spec.options, spec.name
    ('random', {'seed': 7}, 'random:seed=7')

An engine file holds ``kind`` and the kind's keys at the top level (and optionally ``name``);
a table ``[option]`` is the pass-through of raw UCI options for the kinds that accept it::

    kind = "stockfish"
    skill = 1
    nodes = 2000

Kinds live where their players do, and every one registers the same way: the modules in
:data:`KIND_PROVIDERS` (``random`` in :mod:`chessmesa.play.players`, ``stockfish`` and ``uci`` in
:mod:`chessmesa.play.external`, ``mcts`` and ``greedy`` in :mod:`chessmesa.play.searchers`,
``policy`` and ``netmcts`` in :mod:`chessmesa.play.networks`) call :func:`register_kind` when first
needed.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from chessmesa.play.base import LIMIT_BOUNDS, Limit, Player

#: The modules where the engine kinds live, each calling :func:`register_kind` at import; one is
#: imported on the first lookup of a kind not registered yet, in this order, until the kind is
#: found (so parsing ``random`` or ``stockfish`` never loads numba, nor any spec torch). A
#: provider that does not exist (yet) is skipped.
KIND_PROVIDERS: tuple[str, ...] = (
    "chessmesa.play.players", "chessmesa.play.external", "chessmesa.play.searchers",
    "chessmesa.play.networks",
)

#: Keys every spec may carry whatever its kind: the display name of the player.
COMMON_KEYS: dict[str, type] = {"name": str}

#: A key declared with this type accepts any literal, typed by its look (int, float, bool, str):
#: used for pass-through keys such as ``option.*`` whose type only the engine knows.
ANY = object

#: Where bare engine names are looked up, in order: the working directory, then the repository.
ENGINE_DIRS: tuple[Path, ...] = (Path("engines"), Path(__file__).resolve().parents[2] / "engines")

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class SpecError(ValueError):
    """An engine spec that cannot be used; the message is one line naming the bad value."""


@dataclass(frozen=True)
class EngineSpec:
    """A parsed, typed engine spec.

    ``options`` holds the kind's keys with Python values; ``name`` is how the player appears in
    PGN headers, tables and UCI ``id name``: the spec string itself, the engine file's stem, or an
    explicit ``name=`` key.

    >>> str(EngineSpec("stockfish", {"skill": 3, "nodes": 2000}, "sf3"))
    'stockfish:nodes=2000,skill=3'
    """

    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def __str__(self) -> str:
        """The canonical spec string (sorted keys); parsing it gives the same kind and options."""
        if not self.options:
            return self.kind
        items = ",".join(f"{key}={_format_value(value)}" for key, value in sorted(self.options.items()))
        return f"{self.kind}:{items}"


@dataclass(frozen=True)
class KindInfo:
    """A registered kind: how to build its player and which keys (with types) it accepts."""

    kind: str
    factory: Callable[[EngineSpec, int | None], Player]
    keys: dict[str, type]
    help: str

    def key_type(self, key: str) -> type | None:
        """The declared type of ``key``, honouring prefix patterns such as ``option.*``."""
        if key in self.keys:
            return self.keys[key]
        for pattern, value_type in self.keys.items():
            if pattern.endswith(".*") and key.startswith(pattern[:-1]) and len(key) > len(pattern) - 1:
                return value_type
        return None


_KINDS: dict[str, KindInfo] = {}


def register_kind(
    kind: str,
    factory: Callable[[EngineSpec, int | None], Player],
    keys: dict[str, type],
    help: str,
) -> None:
    """Make ``kind`` usable in specs.

    ``factory(spec, seed)`` builds the player; it may raise :class:`SpecError` when the spec is
    well formed but unusable (a missing binary, a missing checkpoint). ``keys`` maps each accepted
    key to ``int``, ``float``, ``bool``, ``str`` or :data:`ANY`; a key ending in ``.*`` accepts
    every key with that prefix. ``help`` is one line shown when listing kinds.

    >>> from chessmesa.play.players import RandomPlayer
    >>> register_kind("uniform", lambda spec, seed: RandomPlayer(spec.name, seed),
    ...               {"seed": int}, "uniformly random legal move")
    >>> parse_spec("uniform:seed=3").options
    {'seed': 3}
    """
    _KINDS[kind] = KindInfo(kind, factory, dict(keys), help)


def registered_kinds() -> dict[str, KindInfo]:
    """Every kind, with the providers' kinds loaded: ``{kind: KindInfo}`` sorted by kind."""
    _load_providers()
    return dict(sorted(_KINDS.items()))


def kind_info(kind: str, where: str = "") -> KindInfo:
    """The registration of ``kind``; :class:`SpecError` listing the valid kinds if unknown.

    ``where`` names the spec or file the kind came from, for the message.
    """
    info = _lookup(kind)
    if info is None:
        context = f" in {where}" if where else ""
        raise SpecError(f"unknown engine kind {kind!r}{context}; valid kinds: {', '.join(registered_kinds())}")
    return info


def parse_spec(text: str | EngineSpec) -> EngineSpec:
    """Parse a spec string, an engine name (``engines/NAME.toml``) or a path to a ``.toml`` file.

    A bare word is an engine file when one exists by that name, else a kind.

    >>> parse_spec("stockfish:skill=3,nodes=2000").options
    {'skill': 3, 'nodes': 2000}
    >>> parse_spec("random:depth=3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chessmesa.play.specs.SpecError: unknown key 'depth' for engine kind 'random' in ...; valid keys: name, seed
    """
    if isinstance(text, EngineSpec):
        return text
    text = text.strip()
    if text.endswith(".toml"):
        return load_engine_file(Path(text))
    kind, _, rest = text.partition(":")
    if not rest:
        engine_file = find_engine_file(kind)
        if engine_file is not None:
            return load_engine_file(engine_file)
        if _lookup(kind) is None:
            raise SpecError(
                f"unknown engine {kind!r}: neither a kind ({', '.join(registered_kinds())}) "
                f"nor an engine file (available: {', '.join(engine_names()) or 'none'})"
            )
    raw: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise SpecError(f"bad item {item!r} in engine spec {text!r}: expected key=value")
        raw[key.strip()] = value.strip()
    return _build(kind, raw, default_name=text, where=f"engine spec {text!r}")


def load_engine_file(path: Path) -> EngineSpec:
    """Read an engine TOML file; its name defaults to the file's stem, and a relative ``ckpt``
    is relative to the file's folder (a student shipped beside its engine file).

    >>> load_engine_file(Path("engines/sf1.toml")).kind  # doctest: +SKIP
    'stockfish'
    """
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise SpecError(f"engine file {str(path)!r} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"engine file {str(path)!r} is not valid TOML: {error}") from None
    kind = data.pop("kind", None)
    if not isinstance(kind, str):
        raise SpecError(f"engine file {str(path)!r} has no kind = \"...\" line")
    if isinstance(data.get("ckpt"), str) and not Path(data["ckpt"]).is_absolute():
        data["ckpt"] = str(path.parent / data["ckpt"])  # a checkpoint beside the file goes where it goes
    return _build(kind, _flatten(data), default_name=path.stem, where=f"engine file {str(path)!r}")


def find_engine_file(name: str) -> Path | None:
    """The file ``NAME.toml`` in the first of :data:`ENGINE_DIRS` that holds it, else None."""
    for directory in ENGINE_DIRS:
        candidate = directory / f"{name}.toml"
        if candidate.is_file():
            return candidate
    return None


def engine_names() -> list[str]:
    """Names of the engine files that bare names resolve to, sorted."""
    return sorted({path.stem for directory in ENGINE_DIRS if directory.is_dir() for path in directory.glob("*.toml")})


def spec_limit(spec: EngineSpec, keys: dict[str, str]) -> Limit:
    """The search limits a spec sets; ``keys`` names the spec key of each :class:`Limit` field.

    Raises :class:`SpecError` naming the key when its value is outside :data:`LIMIT_BOUNDS`.

    >>> spec_limit(EngineSpec("stockfish", {"nodes": 0}, "sf"), {"nodes": "nodes"})
    Traceback (most recent call last):
    ...
    chessmesa.play.specs.SpecError: bad value 0 for key 'nodes' in engine spec 'sf': expected 1..2147483647
    """
    for field_name, key in keys.items():
        low, high = LIMIT_BOUNDS[field_name]
        value = spec.options.get(key)
        if value is not None and not low <= value <= high:
            raise SpecError(f"bad value {value} for key {key!r} in engine spec {spec.name!r}: "
                            f"expected {low}..{high}")
    return Limit(**{field_name: spec.options.get(key) for field_name, key in keys.items()})


def _build(kind: str, raw: dict[str, Any], default_name: str, where: str) -> EngineSpec:
    """Check ``raw`` against the kind's keys and type every value; ``where`` names the source in errors."""
    info = kind_info(kind, where)
    options: dict[str, Any] = {}
    name = default_name
    for key, value in raw.items():
        value_type = COMMON_KEYS.get(key) or info.key_type(key)
        if value_type is None:
            valid = ", ".join(sorted({*COMMON_KEYS, *info.keys}))
            raise SpecError(f"unknown key {key!r} for engine kind {kind!r} in {where}; valid keys: {valid}")
        typed = _typed(value, value_type, key, where)
        if key == "name":
            name = typed
        else:
            options[key] = typed
    return EngineSpec(kind, options, name)


def _typed(value: Any, value_type: type, key: str, where: str) -> Any:
    """``value`` (a spec-string literal or a TOML value) as ``value_type``, or SpecError."""
    typed = value
    if isinstance(value, str) and value_type is not str:
        typed = _parse_literal(value) if value_type is ANY else _parse_as(value, value_type)
    if value_type is ANY:
        ok = isinstance(typed, (int, float, bool, str))
    elif value_type is float:
        ok = isinstance(typed, (int, float)) and not isinstance(typed, bool)
    elif value_type is int:
        ok = isinstance(typed, int) and not isinstance(typed, bool)
    else:
        ok = isinstance(typed, value_type)
    if not ok:
        expected = _type_name(value_type)
        raise SpecError(f"bad value {value!r} for key {key!r} in {where}: expected {expected}")
    return float(typed) if value_type is float else typed


def _parse_as(text: str, value_type: type) -> Any:
    """A literal parsed as ``value_type``; None when it does not parse."""
    if value_type is bool:
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    try:
        return value_type(text)
    except ValueError:
        return None


def _parse_literal(text: str) -> int | float | bool | str:
    """A literal typed by its look: ``100`` -> int, ``0.5`` -> float, ``true`` -> bool."""
    for value_type in (int, float):
        try:
            return value_type(text)
        except ValueError:
            pass
    lowered = text.lower()
    return True if lowered == "true" else False if lowered == "false" else text


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """TOML tables as dotted keys: ``{"option": {"Hash": 16}}`` -> ``{"option.Hash": 16}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _format_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _type_name(value_type: type) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    return names.get(value_type, "an integer, number, boolean or string")


def _lookup(kind: str) -> KindInfo | None:
    """The registration of ``kind``, importing providers one by one until it is there."""
    for module in KIND_PROVIDERS:
        if kind in _KINDS:
            break
        _load_provider(module)
    return _KINDS.get(kind)


def _load_providers() -> None:
    for module in KIND_PROVIDERS:
        _load_provider(module)


def _load_provider(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as error:
        # Only a provider that does not exist is skipped; a broken import inside one surfaces.
        if error.name != module:
            raise
