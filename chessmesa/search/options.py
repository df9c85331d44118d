"""The searcher's settings as options, the way lc0's search declares its parameters: the keys an
engine spec may set (search parameters, tree size, leaf batch), the ``SearchParams`` they name,
and the UCI options a GUI sees (``Hash`` for the tree's memory, and each parameter).

Options are a plain ``{key: value}`` dict, so that any front end (engine specs, UCI,
``generate --engine``) can hold them; this module types and checks them.

>>> options = {"cpuct": 3.0, "max_nodes": 100_000}
>>> params_from_options(options).cpuct, tree_nodes(options)
(3.0, 100000)
>>> with_uci_option(options, "Hash", "1")["max_nodes"]
28339
"""

from __future__ import annotations

from chessmesa.search.params import SearchParams
from chessmesa.search.searcher import DEFAULT_MAX_NODES
from chessmesa.search.tree import NODE_BYTES

MB = 2**20
#: Node indices are int32.
MAX_TREE_NODES = 2**31 - 1
MAX_TREE_MB = MAX_TREE_NODES * NODE_BYTES // MB
#: The keys that size a search, with their ranges: the tree's node cap, and the leaves a batched
#: evaluator (a network) gets at a time.
SIZE_BOUNDS = {"max_nodes": (2, MAX_TREE_NODES), "batch": (1, 4096)}
#: Every search parameter's name and type.
PARAM_TYPES = SearchParams.field_types()


def option_types() -> dict[str, type]:
    """The option keys the searcher reads and their types: sizes and search parameters."""
    return {**{key: int for key in SIZE_BOUNDS}, **PARAM_TYPES}


def params_from_options(options: dict) -> SearchParams:
    """The ``SearchParams`` that ``options`` name (keys that are no parameter are ignored);
    ValueError naming a parameter out of its range."""
    return SearchParams(**{key: value for key, value in options.items() if key in PARAM_TYPES})


def tree_nodes(options: dict) -> int:
    """The tree's node cap that ``options`` set."""
    return options.get("max_nodes", DEFAULT_MAX_NODES)


def check_sizes(options: dict) -> None:
    """ValueError naming the first size key of ``options`` outside :data:`SIZE_BOUNDS`.

    >>> check_sizes({"batch": 0})
    Traceback (most recent call last):
    ...
    ValueError: bad value 0 for key 'batch': expected 1..4096
    """
    for key, (low, high) in SIZE_BOUNDS.items():
        if key in options and not low <= options[key] <= high:
            raise ValueError(f"bad value {options[key]} for key {key!r}: expected {low}..{high}")


def uci_options(options: dict) -> list[tuple]:
    """The searcher's UCI options at ``options``' values, as ``(name, type, default, min, max)``
    in UCI's terms: ``Hash``, the tree's memory cap in MB (the node cap times the bytes of a
    node), then each search parameter (floats as strings: UCI spins are integers).

    >>> uci_options({})[:2]
    [('Hash', 'spin', 564, 1, 75775), ('cpuct', 'string', '5.0', None, None)]
    """
    current = params_from_options(options)
    found = [("Hash", "spin", tree_nodes(options) * NODE_BYTES // MB, 1, MAX_TREE_MB)]
    for name, kind in PARAM_TYPES.items():
        value = getattr(current, name)
        if kind is bool:
            found.append((name, "check", value, None, None))
        elif kind is int:
            found.append((name, "spin", value, 0, 2**31 - 1))
        else:
            found.append((name, "string", repr(value), None, None))
    return found


def with_uci_option(options: dict, name: str, value) -> dict:
    """``options`` with the UCI option ``name`` set to ``value`` (as :func:`uci_options` names
    and types it); ValueError naming the value when it cannot be read. Range checks are the
    searcher's, when one is built from the result (:func:`params_from_options`)."""
    if name == "Hash":
        return {**options, "max_nodes": min(max(int(value) * MB // NODE_BYTES, 2), MAX_TREE_NODES)}
    if name not in PARAM_TYPES:
        raise ValueError(f"unknown option {name!r}")
    kind = PARAM_TYPES[name]
    try:
        typed = kind(float(value)) if kind in (int, float) else kind(value)
    except ValueError:
        raise ValueError(f"option {name!r} needs a number, got {value!r}") from None
    return {**options, name: typed}
