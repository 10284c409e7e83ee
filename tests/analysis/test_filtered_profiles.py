"""Filtered blocking profiles equal ``go tool trace``'s web handlers, record by record.

Go's oracle: ``go tool trace -http=127.0.0.1:0 TRACE`` (the toolchain of the trace's
own version) serves the filtered profiles as pprof protobuf with ``raw=1``:
``/io|/block|/syscall|/sched?name=G`` (``pprofByGoroutine``: goroutines of one start
function) and ``/regionio|/regionblock|/regionsyscall|/regionsched?type=R[&latmin=D]``
(``pprofByRegion``: outermost regions of one type). We decode them with our protobuf
reader and compare per stack (PCs and functions) the count and the total delay.

Plus: the numpy overlap (``_fast.FastProfileCollector.filtered_records``) equals its
per-interval Python twin (``_profiles_reference``) under random interval sets.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.parse
import urllib.request

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.analysis.conftest import TESTDATA, analysis_of, go_binary

from goroscope.analysis import profiles as P
from goroscope.analysis._fast import overlap_sums
from goroscope.analysis.profiles import BLOCKING_KINDS
from goroscope.analysis.summary import region_interval
from goroscope.export.pprof import read_profile

#: (trace, Go toolchain whose cmd/trace serves it)
CASES = [
    ("go1.22/annotations.trace", "1.22.10"),
    ("go1.25/service.trace", "1.25.5"),
    ("go1.26/annotations.trace", "1.26.6"),
    ("go1.27/service.trace", "1.27.3"),
]
#: our kind → cmd/trace's endpoint stem
ENDPOINT = {"net": "io", "sync": "block", "syscall": "syscall", "sched": "sched"}


class GoTraceServer:
    """A ``go tool trace`` web server on a free local port (started by this test)."""

    def __init__(self, go, path) -> None:
        self.proc = subprocess.Popen(
            [str(go), "tool", "trace", "-http=127.0.0.1:0", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, BROWSER="true", GOTOOLCHAIN="local", GOPROXY="off"),
        )
        self.base = None
        seen = []
        for line in self.proc.stderr:
            seen.append(line)
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.base = m.group(1).rstrip("/")
                break
        if self.base is None:
            self.close()
            raise RuntimeError("go tool trace did not start: " + "".join(seen))

    def profile(self, endpoint: str, **params) -> dict | None:
        """The decoded profile, or None when Go's handler fails (HTTP 500)."""
        q = urllib.parse.urlencode({**params, "raw": "1"})
        try:
            with urllib.request.urlopen(f"{self.base}/{endpoint}?{q}", timeout=60) as r:
                return read_profile(r.read())
        except urllib.error.HTTPError as e:
            if e.code == 500:
                return None
            raise

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _by_stack(samples) -> dict:
    out: dict = {}
    for frames, count, delay in samples:
        c = out.setdefault(tuple((pc, fn) for pc, fn, _f, _l in frames), [0, 0])
        c[0] += count
        c[1] += delay
    return out


def _ours(records) -> dict:
    return _by_stack((r.frames, r.count, r.time_ns) for r in records)


def _theirs(prof) -> dict:
    return _by_stack((f, v[0], v[1]) for f, v in prof["samples"])


@pytest.mark.parametrize(("trace", "version"), CASES, ids=[c[0] for c in CASES])
def test_filtered_profiles_equal_go_tool_trace_handlers(trace, version):
    go = go_binary(version)
    if go is None:
        pytest.skip(f"go{version} toolchain not installed")
    path = TESTDATA / "traces" / trace
    minor = int(version.split(".")[1])
    a = analysis_of(path, minor)
    groups = sorted({g.name for g in a.goroutines.values()})
    region_types = sorted({r.name for g in a.goroutines.values() for r in g.regions})
    srv = GoTraceServer(go, path)
    compared = nonempty = 0
    try:
        for kind in BLOCKING_KINDS:
            ep = ENDPOINT[kind]
            for name in groups:
                theirs = srv.profile(ep, name=name)
                if theirs is None and minor <= 25:
                    # Go <= 1.25's Summarizer named a goroutine first seen in a later
                    # generation differently (internal/trace/summary.go: GoUndetermined
                    # and GoNotExist shared a case); we follow 1.26+, like tracecount
                    continue
                if theirs is None:  # Go: "failed to find matching goroutines"
                    with pytest.raises(ValueError, match="matching goroutines"):
                        P.goroutine_intervals(a, name)
                    continue
                ours = P.filtered_blocking_profile(a, kind, P.goroutine_intervals(a, name))
                assert _ours(ours) == _theirs(theirs), (kind, name)
                compared += 1
                nonempty += bool(ours)
            for rtype in region_types:
                ours = P.filtered_blocking_profile(a, kind, P.region_intervals(a, rtype))
                assert _ours(ours) == _theirs(srv.profile("region" + ep, type=rtype)), (
                    kind,
                    rtype,
                )
                compared += 1
                nonempty += bool(ours)
                # a latency bound: Go parses it with time.ParseDuration
                durs = sorted(
                    e - s
                    for g in a.goroutines.values()
                    for r in g.regions
                    if r.name == rtype
                    for s, e in [region_interval(a, r)]
                )
                mid = durs[len(durs) // 2]
                ours = P.filtered_blocking_profile(
                    a, kind, P.region_intervals(a, rtype, latmin_ns=mid)
                )
                theirs = srv.profile("region" + ep, type=rtype, latmin=f"{mid}ns")
                assert _ours(ours) == _theirs(theirs), (kind, rtype, "latmin")
                ours = P.filtered_blocking_profile(
                    a, kind, P.region_intervals(a, rtype, latmax_ns=mid)
                )
                theirs = srv.profile("region" + ep, type=rtype, latmax=f"{mid}ns")
                assert _ours(ours) == _theirs(theirs), (kind, rtype, "latmax")
                compared += 2
    finally:
        srv.close()
    assert compared >= 8  # the handlers really were exercised
    assert nonempty >= 2


def test_unfiltered_group_profile_is_the_whole_profile():
    """``name=""`` (every goroutine, its lifetime) is what ``-pprof`` prints."""
    a = analysis_of(TESTDATA / "traces/go1.27/service.trace", 27)
    for kind in BLOCKING_KINDS:
        got = P.filtered_blocking_profile(a, kind, P.goroutine_intervals(a, ""))
        assert _ours(got) == _ours(a.profiles[kind])


def test_time_range_profile_adds_up():
    """Cutting the trace into two time ranges splits every delay between them."""
    a = analysis_of(TESTDATA / "traces/go1.27/service.trace", 27)
    mid = (a.first_ns + a.last_ns) // 2
    for kind in BLOCKING_KINDS:
        whole = P.filtered_blocking_profile(a, kind, P.goroutine_intervals(a))
        left = P.filtered_blocking_profile(a, kind, P.time_intervals(a, a.first_ns, mid))
        right = P.filtered_blocking_profile(a, kind, P.time_intervals(a, mid, a.last_ns))
        assert sum(r.time_ns for r in left) + sum(r.time_ns for r in right) == sum(
            r.time_ns for r in whole
        )


def test_filter_needs_the_profile_collected():
    a = analysis_of(TESTDATA / "traces/go1.27/service.trace", 27)
    a2 = type(a)()
    with pytest.raises(ValueError, match="profiles="):
        P.filtered_blocking_profile(a2, "sync", None)


def _reference_overlap(goid, a, b, intervals):
    out = []
    for g, x, y in zip(goid.tolist(), a.tolist(), b.tolist(), strict=True):
        o = 0
        for s, e in intervals.get(g, ()):
            if e < x or y < s:
                continue
            d = min(e, y) - max(s, x)
            o += d if d > 0 else 0
        out.append(o)
    return np.array(out, np.int64)


_iv = st.tuples(st.integers(0, 100), st.integers(0, 40)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 100), st.integers(0, 30)), max_size=40
    ),
    intervals=st.dictionaries(st.integers(0, 5), st.lists(_iv, max_size=5), max_size=5),
    block=st.integers(1, 8),
)
def test_overlap_sums_equal_go_loop(samples, intervals, block):
    goid = np.array([s[0] for s in samples], np.int64)
    a = np.array([s[1] for s in samples], np.int64)
    b = a + np.array([s[2] for s in samples], np.int64)
    got = overlap_sums(goid, a, b, intervals, block=block)
    assert got.tolist() == _reference_overlap(goid, a, b, intervals).tolist()


@pytest.mark.parametrize("trace", ["go1.26/annotations.trace", "go1.22/service.trace"])
def test_fast_filtered_records_equal_reference_twin(trace):
    from goroscope.analysis.summary import analyze

    path = TESTDATA / "traces" / trace
    fast = analyze(path, profiles=BLOCKING_KINDS)
    ref = analyze(path, profiles=BLOCKING_KINDS, reference=True)
    for kind in BLOCKING_KINDS:
        for iv in (
            None,
            P.goroutine_intervals(fast),
            P.region_intervals(fast),
            P.time_intervals(fast, fast.first_ns, (fast.first_ns + fast.last_ns) // 2),
        ):
            got = fast.collector.filtered_records(kind, iv)
            want = ref.collector.filtered_records(kind, iv)
            assert [(r.frames, r.count, r.time_ns) for r in got] == [
                (r.frames, r.count, r.time_ns) for r in want
            ], kind
