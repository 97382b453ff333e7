"""A test set named the way `mhsafe report --ecological TESTSET LOG` takes it: a file or
``datasets`` folder, or a suite name.

A path that exists is a file, whatever it is called; anything else must be a suite, so a
mistyped path is reported as an unknown suite with the closest name, not silently read as
an empty set.
"""

from __future__ import annotations

from pathlib import Path

from mhsafe.schema import Case
from mhsafe.suites._catalog import load_suite
from mhsafe.suites._loaders import load_dataset_file


def load_testset(spec: str) -> list[Case]:
    """The cases of ``spec``: a test-set file or folder when the path exists (loaded as
    ``load_dataset_file`` loads it), else the suite of that name (``-``/``_`` alike).

    Raises ``DatasetError`` for a file that cannot be read, ``UnknownSuiteError`` for a name
    that is neither."""
    if Path(spec).exists():
        return load_dataset_file(spec).cases
    return load_suite(spec)
