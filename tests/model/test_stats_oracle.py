"""``goroscope.stats`` equals Go's ``tracecount -json -v`` on every committed trace (v1 too).

The expected JSON (``testdata/expected/*.counts.json``) is written by the Go
oracle (see ``testdata/README.md``), never by us. Every semantic key must be
equal; only run-dependent keys (timing, memory, the path as typed) are ignored.
``stats`` runs the fast reader, so every committed trace runs by default;
``engine="reference"`` (the pure-Python twin) runs on the small ones, and on all
of them with ``GOROSCOPE_FULL=1``.
"""

from __future__ import annotations

import pytest
from tests.model.conftest import FULL, ORACLE_MAX_BYTES, load_json, oracle_cases

from goroscope.model.stats import TIMING_KEYS, stats

IGNORED = TIMING_KEYS | {"file"}


def _params(engine: str):
    out = []
    for name, trace, exp in oracle_cases():
        marks = []
        if engine == "reference" and not FULL and trace.stat().st_size > ORACLE_MAX_BYTES:
            marks.append(pytest.mark.skip(reason="large trace: GOROSCOPE_FULL=1 runs it"))
        out.append(pytest.param(trace, exp, engine, id=f"{engine}-{name}", marks=marks))
    return out


@pytest.mark.parametrize(("trace", "expected", "engine"), _params("fast") + _params("reference"))
def test_stats_equals_oracle(trace, expected, engine):
    want = load_json(expected)
    got = stats(trace, engine=engine)  # old-format traces too (issue 7: model._v1convert)
    if "version" not in want:
        got.pop("version", None)  # tracecount prints it only in -raw mode
    assert {k: v for k, v in got.items() if k not in IGNORED} == {
        k: v for k, v in want.items() if k not in IGNORED
    }


def _is_v1(trace) -> bool:
    with open(trace, "rb") as f:
        head = f.read(16)
    return head[:8] in (b"go 1.11 ", b"go 1.19 ", b"go 1.21 ")


def test_some_oracle_case_exists():
    """Guard against a silently empty parametrization once testdata is committed."""
    if not oracle_cases():
        pytest.skip("no testdata/expected/*.counts.json yet")
    assert any(not _is_v1(t) for _, t, _ in oracle_cases())
