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
        if not FULL and trace.stat().st_size > SUMMARY_MAX_BYTES:  # v1 traces too (issue 7)
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


def test_cli_summary_json_is_byte_identical(capsys, testdata_dir):
    """`goroscope summary --json` prints what tracecount printed for every committed v2
    trace, byte for byte (Go's float and string encoding, key order), given the same paths."""
    cases = [exp for _name, trace, exp in summary_cases() if not is_v1(trace)]
    want = "".join(exp.read_text() for exp in cases)
    paths = [json.loads(exp.read_text())["file"] for exp in cases]
    import os

    cwd = os.getcwd()
    os.chdir(testdata_dir.parent)
    try:
        assert cli.main(["summary", "--json", *paths]) == 0
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


def test_cli_module_imports_neither_qt_nor_numba():
    import subprocess
    import sys

    code = (
        "import sys, goroscope.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'numba', 'goroscope.analysis')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_task_and_region_tables_agree_with_summary(testdata_dir):
    from goroscope.analysis import region_stats, task_stats

    a = analysis_of(testdata_dir / "traces/go1.27/annotations.trace")
    s = summary_of(a)
    tasks = task_stats(a)
    assert {k: v["count"] for k, v in tasks.items()} == s["task_types"]
    assert sum(v["complete"] for v in tasks.values()) == s["tasks_complete"]
    assert sum(len(i["logs"]) for v in tasks.values() for i in v["instances"]) == s["task_logs"]
    assert sum(sum(v["histogram"].values()) for v in tasks.values()) == s["tasks_complete"]
    regions = region_stats(a)
    assert {k: v["count"] for k, v in regions.items()} == s["regions"]
    assert {k: v["exec_ns"] for k, v in regions.items()} == s["region_exec_ns"]


def test_group_distributions_bound_the_totals(testdata_dir):
    from goroscope.analysis import group_distributions

    a = analysis_of(testdata_dir / "traces/go1.27/service.trace")
    d = group_distributions(a)
    s = summary_of(a)
    assert sum(c["Total time"]["count"] for c in d.values()) == s["goroutines"]
    assert sum(c["Execution time"]["total"] for c in d.values()) == s["totals_ns"]["Execution time"]
    for cats in d.values():
        for q in cats.values():
            assert q["min"] <= q["median"] <= q["p90"] <= q["p99"] <= q["max"]


def test_mmu_worst_windows(testdata_dir):
    from goroscope.analysis import mmu

    a = analysis_of(testdata_dir / "traces/go1.27/service.trace")
    r = mmu(a, [1_000_000, 100_000_000], worst=4)
    for w, d in r.items():
        worst = d["worst"]
        assert worst[0][1] == pytest.approx(d["mmu"])
        assert [u for _, u in worst] == sorted(u for _, u in worst)
        starts = sorted(t for t, _ in worst)
        assert all(b - a >= w for a, b in zip(starts, starts[1:], strict=False))
