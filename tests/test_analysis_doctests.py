"""The examples in the analysis modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["agreement", "equivalence", "frontier", "labels", "plots", "probes", "puzzles", "report",
           "results", "students"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"chessmesa.analysis.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
