"""The errors of the datasets package: each says in one line what was wrong."""

from __future__ import annotations


class DatasetError(ValueError):
    """A dataset that cannot be read, written or resumed as asked (a missing folder, an unknown
    budget, a folder that holds something else)."""


class SourceError(DatasetError):
    """A position source that cannot be used: a missing or unreadable file, a bad line in it
    (with ``--bad-lines error``), a file with no usable position."""
