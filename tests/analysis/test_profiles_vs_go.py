"""Blocking profiles equal ``go tool trace -pprof=TYPE`` per stack (count and total delay).

Go's profile is computed at run time with the toolchain of the trace's own Go
version (``go tool trace`` of Go X reads traces up to X's format, and its rules
changed in 1.26: see :mod:`goroscope.analysis.profiles`), decoded with our
protobuf reader and compared record by record, keyed by the (PC, function)
sequence of the stack.
"""

from __future__ import annotations

import subprocess

import pytest
from tests.analysis.conftest import TESTDATA, analysis_of, go_binary

from goroscope.analysis.profiles import BLOCKING_KINDS
from goroscope.export.pprof import read_profile

#: (trace, go toolchain that reads it, rules) — three Go versions, both rule sets
CASES = [
    ("go1.22/service.trace", "1.22.10"),
    ("go1.25/service.trace", "1.25.5"),
    ("go1.26/annotations.trace", "1.26.6"),
    ("go1.27/service.trace", "1.27.3"),
]


def _key(frames) -> tuple:
    return tuple((pc, fn) for pc, fn, _file, _line in frames)


def _by_stack(samples) -> dict:
    out: dict = {}
    for frames, count, delay in samples:
        c = out.setdefault(_key(frames), [0, 0])
        c[0] += count
        c[1] += delay
    return out


@pytest.mark.parametrize(("trace", "version"), CASES, ids=[c[0] for c in CASES])
def test_blocking_profiles_equal_go_tool_trace(trace, version):
    go = go_binary(version)
    if go is None:
        pytest.skip(f"go{version} toolchain not installed")
    path = TESTDATA / "traces" / trace
    minor = int(version.split(".")[1])
    ours = analysis_of(path, minor).profiles
    nonempty = 0
    for kind in BLOCKING_KINDS:
        proc = subprocess.run(
            [str(go), "tool", "trace", f"-pprof={kind}", str(path)], capture_output=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        theirs = read_profile(proc.stdout)
        assert theirs["sample_types"] == [("contentions", "count"), ("delay", "nanoseconds")]
        want = _by_stack((f, v[0], v[1]) for f, v in theirs["samples"])
        got = _by_stack((r.frames, r.count, r.time_ns) for r in ours[kind])
        assert got == want, kind
        nonempty += bool(want)
    assert nonempty >= 3  # the scenarios really exercise the profiles


def test_legacy_rules_differ_where_go_changed():
    """Go <= 1.25 ignored stackless transitions; on a trace with some the profiles differ."""
    path = TESTDATA / "traces/go1.27/service.trace"
    new, old = analysis_of(path, 27).profiles["sched"], analysis_of(path, 25).profiles["sched"]
    assert sum(r.time_ns for r in new) != sum(r.time_ns for r in old)
