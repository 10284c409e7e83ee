"""``goroscope.analysis.summary`` equals Go's ``tracecount -summary`` on every committed v2 trace.

The expected JSON (``testdata/expected/*.summary.json``) is written by the Go
oracle (``../shared/tools/tracecount/summary.go``), never by us. Every key must
be equal except ``file`` (the path as typed); ``mmu`` within 1e-6 per window.
"""

from __future__ import annotations

import json

import pytest
from tests.analysis.conftest import (
    FULL,
    SUMMARY_MAX_BYTES,
    analysis_of,
    is_v1,
    load_json,
    summary_cases,
)

from goroscope import cli
from goroscope.analysis.summary import SUMMARY_KEYS, summary_of
from goroscope.model.stats import go_json_text


def _params():
    out = []
    for name, trace, exp in summary_cases():
        marks = []
        if is_v1(trace):
            marks.append(
                pytest.mark.skip(reason="pre-1.22 (v1) trace: the model does not read v1 yet")
            )
        elif not FULL and trace.stat().st_size > SUMMARY_MAX_BYTES:
            marks.append(pytest.mark.skip(reason="large trace: GOROSCOPE_FULL=1 runs it"))
        out.append(pytest.param(trace, exp, id=name, marks=marks))
    return out


def _as_go_json(d: dict) -> dict:
    """Our dict through Go's JSON text rules (invalid bytes → U+FFFD), parsed back."""
    return json.loads(go_json_text(json.dumps(d, ensure_ascii=False)))


@pytest.mark.parametrize(("trace", "expected"), _params())
def test_summary_equals_oracle(trace, expected):
    want = load_json(expected)
    got = _as_go_json(summary_of(analysis_of(trace)))
    assert list(got) == [k for k in SUMMARY_KEYS if k in want]
    for key in want:
        if key in ("file", "mmu"):
            continue
        assert got[key] == want[key], key


@pytest.mark.parametrize(("trace", "expected"), _params())
def test_mmu_within_1e6(trace, expected):
    want = load_json(expected)["mmu"]
    got = summary_of(analysis_of(trace))["mmu"]
    assert set(got) == set(want)
    for window, v in want.items():
        assert abs(got[window] - v) <= 1e-6, window


@pytest.mark.parametrize("name", ["go1.22-annotations", "go1.27-cpuprofile"])
def test_cli_summary_json_is_byte_identical(name, capsys, testdata_dir):
    """`goroscope summary --json` prints what tracecount printed, byte for byte (Go's float
    and string encoding, key order), when given the same path."""
    exp = testdata_dir / "expected" / f"{name}.summary.json"
    want = exp.read_text()
    path = json.loads(want)["file"]
    import os

    cwd = os.getcwd()
    os.chdir(testdata_dir.parent)
    try:
        assert cli.main(["summary", "--json", path]) == 0
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().out == want


def test_every_v2_oracle_case_is_parametrized():
    cases = [c for c in summary_cases() if not is_v1(c[1])]
    assert len(cases) >= 40


def test_damaged_trace_reports_error_and_no_mmu(tmp_path, testdata_dir):
    """Like tracecount: events before the error are summarized; MMU only for clean traces."""
    src = (testdata_dir / "traces/go1.27/annotations.trace").read_bytes()
    bad = tmp_path / "cut.trace"
    bad.write_bytes(src[: len(src) * 2 // 3])
    r = summary_of(analysis_of(bad))
    assert "error" in r
    assert r["mmu"] == {}
    assert r["events"] > 0
    assert r["goroutines"] > 0


def test_unreadable_file(tmp_path):
    from goroscope.analysis.summary import summary

    r = summary(tmp_path / "missing.trace")
    assert r["error"].startswith("open ")
    assert r["events"] == 0
    assert r["g_transitions_sha256"] == ""
