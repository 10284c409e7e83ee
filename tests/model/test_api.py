"""``goroscope.open(path) -> Trace`` on committed traces of every v2 toolchain.

The oracles are Go's: ``testdata/expected/*.counts.json`` (``tracecount -json -v``:
context goroutines/procs/threads, events, Syncs, span) and ``*.summary.json``
(``tracecount -summary``: Go's ``trace.Summarizer``, whose goroutines are every
goroutine with a state change and whose ``groups`` count them by start function).
One small trace per toolchain keeps this under a few seconds with the reference
reader (``GOROSCOPE_FULL=1``: every committed trace).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.model.conftest import TESTDATA, load_json, sample_traces

import goroscope
from goroscope.model import EventKind, GoState, ResourceKind

SMALL = TESTDATA / "traces" / "go1.27" / "annotations.trace"


def _expected(trace: Path, kind: str) -> dict:
    return load_json(TESTDATA / "expected" / f"{trace.parent.name}-{trace.stem}.{kind}.json")


_OPENED: dict[Path, goroscope.Trace] = {}


def _open(path: Path) -> goroscope.Trace:
    """One Trace per file for the whole module (the reference reader is slow)."""
    if path not in _OPENED:
        _OPENED[path] = goroscope.open(path)
    return _OPENED[path]


@pytest.fixture(scope="module", autouse=True)
def _close_opened():
    yield
    for t in _OPENED.values():
        t.close()
    _OPENED.clear()


@pytest.mark.parametrize("path", sample_traces(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_open_agrees_with_go(path):
    t = _open(path)
    counts, summary = _expected(path, "counts"), _expected(path, "summary")
    assert t.error is None
    assert t.lost is None
    assert t.num_events == counts["events"]
    # Context IDs (what tracecount counts) vs everything that exists (Go's Summarizer).
    assert int(t.goroutines.in_context.sum()) == counts["goroutines"]
    assert int(t.procs.in_context.sum()) == counts["procs"]
    assert len(t.threads) == counts["threads"]
    assert len(t.goroutines) == summary["goroutines"]
    assert Counter(t.goroutines.names()) == summary["groups"]
    # Generations: one Sync each plus the final one; the final Sync belongs to none.
    g = t.generations
    assert len(g) == counts["generations"] - 1
    assert g.complete.all()
    assert int(g.events.sum()) == t.num_events - 1
    assert (g.byte_start[1:] == g.byte_end[:-1]).all()
    assert int(g.byte_end[-1]) == t.size
    assert (g.start_ns <= g.end_ns).all()
    assert (g.end_ns[:-1] < g.start_ns[1:]).all()
    assert t.start_ns == summary["first_ns"]
    assert t.end_ns == summary["last_ns"]
    assert t.version == f"go1.{path.read_bytes()[5:7].decode()}"


def test_goroutine_table_columns():
    t = _open(SMALL)
    g = t.goroutines
    assert (np.diff(g.goid) > 0).all()
    assert (g.first_ns <= g.last_ns).all()
    created = g.created_ns >= 0
    assert created.any()
    assert (~created).any()
    assert (g.created_ns[created] == g.first_ns[created]).all()
    # Every goroutine created in the trace knows its start function from its start stack.
    names = g.names()
    for i in np.flatnonzero(created & (g.start_stack_id != 0))[:50].tolist():
        frames = t.stack(int(g.start_stack_id[i]), int(g.start_gen_idx[i]))
        assert frames
        assert frames[-1].func == names[i]
        assert g.creator[i] == -1 or g.creator[i] in g.goid
    exited = g.ended_ns >= 0
    assert (g.end_state[exited] == GoState.NotExist).all()
    assert (g.end_state[~exited] != GoState.NotExist).all()
    assert g.row(int(g.goid[3])) == 3
    with pytest.raises(KeyError):
        g.row(-5)


def test_procs_and_threads():
    t = _open(SMALL)
    assert (t.procs.transitions > 0).all()
    assert int(t.threads.events.sum()) <= t.num_events
    assert (t.threads.first_ns <= t.threads.last_ns).all()


def test_events_stream_in_chunks_and_helpers():
    t = _open(SMALL)
    s = t.stats()
    kinds = np.zeros(16, np.int64)
    n = 0
    for chunk in t.events(chunk_events=1000):
        assert len(chunk) <= 1000
        kinds += np.bincount(chunk.kind, minlength=16)
        n += len(chunk)
    assert n == t.num_events == s["events"]
    assert {str(EventKind(k)): int(c) for k, c in enumerate(kinds) if c} == s["by_kind"]
    go = t.state_transitions(ResourceKind.Goroutine)
    assert len(go) == sum(v for k, v in s["detail"].items() if k.startswith("Go "))
    assert (go.resource_kind == ResourceKind.Goroutine).all()
    assert len(t.tasks()) == s["by_kind"]["TaskBegin"] + s["by_kind"]["TaskEnd"]
    assert len(t.logs()) == s["by_kind"]["Log"]
    assert len(t.metrics()) == s["by_kind"]["Metric"]
    assert len(t.regions()) == s["by_kind"]["RegionBegin"] + s["by_kind"]["RegionEnd"]
    assert len(t.ranges()) == sum(s["by_kind"].get(k, 0) for k in ("RangeBegin", "RangeEnd"))
    logs = t.logs()
    cats = Counter(logs.strings[c] for c in logs.name.tolist())
    assert {f"Log category={k}": v for k, v in cats.items()} == {
        k: v for k, v in s["detail"].items() if k.startswith("Log ")
    }


def test_events_table_and_stack_resolution():
    t = _open(SMALL)
    table = t.events_table()
    assert len(table) == t.num_events
    assert t.events_table() is table  # cached
    assert len(t.labels()) == int((table.kind == EventKind.Label).sum())  # uses the cache
    rows = np.flatnonzero(table.stack_id != 0)
    assert rows.shape[0]
    for i in rows[:: max(1, rows.shape[0] // 20)].tolist():
        want = table[i].stack
        got = t.stack(int(table.stack_id[i]), int(table.gen_idx[i]))
        assert [tuple(f) for f in got] == want
        assert all(f.func and f.line > 0 for f in got)
    assert t.stack(0, 0) == []
    assert t.string(0, 0) == ""


def test_context_manager_unmaps_the_file(tmp_path):
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc/self/maps")
    path = str(tmp_path / "mapped.trace")
    Path(path).write_bytes((TESTDATA / "traces" / "go1.26" / "flightrecorder.trace").read_bytes())
    with goroscope.open(path) as t:
        assert not t.closed
        assert path in maps.read_text()
    assert t.closed
    assert path not in maps.read_text()
    assert len(t.goroutines) > 0  # summaries outlive the mapping
    with pytest.raises(ValueError, match="closed"):
        next(t.events())


def test_bytes_input_equals_path():
    path = TESTDATA / "traces" / "go1.26" / "flightrecorder.trace"
    a = _open(path)
    with goroscope.open(path.read_bytes()) as b:
        assert b.path is None
        assert b.size == a.size
        assert b.version == a.version
        assert b.num_events == a.num_events
        for name in ("goid", "first_ns", "last_ns", "in_context", "start_func", "end_state"):
            assert np.array_equal(getattr(b.goroutines, name), getattr(a.goroutines, name))
        assert np.array_equal(b.generations.start_ns, a.generations.start_ns)
        s = b.stats()
        assert s["file"] == "<bytes>"
        assert s["events"] == a.num_events


def test_progress_is_monotonic_and_ends_at_one():
    seen: list[float] = []
    with goroscope.open(SMALL, progress=seen.append):
        pass
    assert len(seen) >= 2
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert seen.count(1.0) == 1


def test_old_and_foreign_formats_raise(tmp_path):
    with pytest.raises(goroscope.UnsupportedVersionError):  # Go 1.11+ is read (issue 7)
        goroscope.open(b"go 1.10 trace\x00\x00\x00" + bytes(8))
    with pytest.raises(goroscope.UnsupportedVersionError):
        goroscope.open(b"not a trace at all")
    with pytest.raises(FileNotFoundError):
        goroscope.open(tmp_path / "missing.trace")


def test_open_stays_lazy_on_import():
    code = (
        "import sys, goroscope; goroscope.open, goroscope.Trace; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('numba', 'PySide6', 'pyqtgraph')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_select_where_and_events_progress():
    t = _open(TESTDATA / "traces" / "go1.26" / "flightrecorder.trace")
    seen: list[float] = []
    n = sum(len(c) for c in t.events(chunk_events=2000, progress=seen.append))
    assert n == t.num_events
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    g0 = int(t.goroutines.goid[np.argmax(t.goroutines.transitions)])
    mine = t.select(
        EventKind.StateTransition,
        where=lambda c: (c.resource_kind == ResourceKind.Goroutine) & (c.resource_id == g0),
    )
    assert len(mine) == int(t.goroutines.transitions[t.goroutines.row(g0)])
    assert (np.diff(mine.time_ns) > 0).all()
    assert len(t.select()) == t.num_events
