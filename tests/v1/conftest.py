"""Fixtures of the old-format (Go 1.11–1.21) tests: traces with the Go oracle's JSON.

Cases: every committed ``testdata/traces/go1.21/*.trace`` and the GOROOT's
``src/internal/trace/internal/tracev1/testdata/*_good`` (expected JSON written by
``testdata/gen/make_testdata.sh`` with tracecount, never by us).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import find_goroot

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
GOROOT = find_goroot()
V1_GOROOT_DIR = None if GOROOT is None else GOROOT / "src/internal/trace/internal/tracev1/testdata"
VARIANTS = Path(__file__).parent / "data" / "go_variants.json"


def v1_cases() -> list[tuple[str, Path]]:
    """``(oracle name, trace)``: expected JSON is ``testdata/expected/<name>.{counts,summary}.json``."""
    out = [(f"go1.21-{p.stem}", p) for p in sorted((TESTDATA / "traces/go1.21").glob("*.trace"))]
    if V1_GOROOT_DIR is not None:
        out += [(f"goroot-tracev1-{p.name}", p) for p in sorted(V1_GOROOT_DIR.glob("*_good"))]
    return out


def expected(name: str, kind: str) -> dict:
    return json.loads((TESTDATA / "expected" / f"{name}.{kind}.json").read_text())


def go_variants() -> dict[str, list[dict]]:
    """Every distinct time-dependent summary Go gave per trace over repeated runs."""
    return json.loads(VARIANTS.read_text())["variants"]
