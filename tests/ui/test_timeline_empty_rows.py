"""The timeline's proc and thread rows: none that can show nothing (issue 6).

Go 1.21 traces read through Go's tracev1 converter carry its fake Ps (``FakeP =
1000000 + iota``: timer, netpoll and syscall wakeups, GC) as contexts of events, so the
model lists them as procs; nothing runs on them and they have no ProcState transitions.
v2 traces have a sysmon-like thread that only retakes Ps and wakes goroutines: its row
has no interval either. The expected rows come from the model's own whole-row queries
(``Timeline.proc_row`` / ``proc_states`` / ``thread_row``, which walk every span) and
from tracecount's JSON, never from numbers we wrote down.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.ui.panel_fixtures import EXPECTED, TRACES, loaded_session

from goroscope.jobs import ImmediateExecutor, TraceSession
from goroscope.ui.panels.trace_source import (
    R_PROC,
    R_THREAD,
    R_THREADS,
    TraceTimelineSource,
)
from goroscope.ui.panels.trace_view import build_view_data

pytestmark = pytest.mark.gui

#: Go's tracev1 parser: ``FakeP = 1000000 + iota`` (TimerP, NetpollP, SyscallP, GCP follow)
FAKE_P = 1_000_000
# cgo-cthreads.trace: Go's reader rejects it (no timeline to show)
V1 = sorted(p for p in (TRACES / "go1.21").glob("*.trace") if p.stem != "cgo-cthreads")
V2 = sorted(p for d in sorted(TRACES.glob("go1.2[2-9]")) for p in d.glob("*.trace"))
LOAD_TIMEOUT_MS = 60_000


def _ids(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def _oracle(path: Path) -> dict:
    return json.loads((EXPECTED / f"{path.parent.name}-{path.stem}.counts.json").read_text())


def _want_procs(tl) -> list[int]:
    """p_idx in proc-ID order of every proc with an interval or a ProcState transition."""
    order = np.argsort(tl.proc_ids, kind="stable").tolist()
    return [p for p in order if len(tl.proc_row(p)) > 0 or len(tl.proc_states(p).time_ns) > 0]


def _want_threads(tl) -> list[int]:
    """m_idx in thread-ID order of every thread with an interval (running or syscall)."""
    order = np.argsort(tl.thread_ids, kind="stable").tolist()
    return [m for m in order if len(tl.thread_row(m)) > 0]


def _rows(src: TraceTimelineSource, kind: int) -> list[int]:
    return src.row_res[src.row_kind == kind].tolist()


@pytest.mark.parametrize("path", V1, ids=_ids)
def test_v1_fake_procs_hidden_every_busy_proc_kept(path):
    tl = loaded_session(path).timeline
    src = TraceTimelineSource(tl)
    want = _want_procs(tl)
    assert _rows(src, R_PROC) == want
    shown_ids = [int(tl.proc_ids[p]) for p in want]
    assert shown_ids
    assert max(shown_ids) < FAKE_P  # no fake P among the rows
    # every proc with a running goroutine is a row, and a row draws intervals
    for p in want:
        assert len(tl.proc_row(p)) > 0
    if path.stem == "service":  # the model does list fake Ps: the filter is exercised
        assert any(int(i) >= FAKE_P for i in tl.proc_ids)
        assert len(want) < len(tl.proc_ids)


@pytest.mark.parametrize("path", V1 + V2, ids=_ids)
def test_thread_rows_are_the_threads_that_draw(path):
    tl = loaded_session(path).timeline
    src = TraceTimelineSource(tl)
    src.threads_expanded = True
    src.relayout()
    want = _want_threads(tl)
    assert _rows(src, R_THREAD) == want
    header = int(np.flatnonzero(src.row_kind == R_THREADS)[0])
    label = src.row_label(header)
    # the header counts the trace's threads (the status bar's number), and the shown ones
    n_m = len(tl.thread_ids)
    assert label.endswith(f"({n_m})" if len(want) == n_m else f"({len(want)} of {n_m})")
    assert build_view_data(tl).sizes[2] == n_m


@pytest.mark.parametrize("path", V2, ids=_ids)
def test_v2_every_proc_go_saw_is_a_row(path):
    """A v2 trace names every P in GOMAXPROCS at each generation: all stay (as in
    ``go tool trace``), and their number is tracecount's, as the status bar's is."""
    tl = loaded_session(path).timeline
    src = TraceTimelineSource(tl)
    procs = _rows(src, R_PROC)
    assert procs == _want_procs(tl)
    oracle = _oracle(path)
    assert len(procs) == oracle["procs"] == build_view_data(tl).sizes[1]


def _snapshots(path: Path) -> list:
    got: list = []
    s = TraceSession(str(path), ImmediateExecutor(), on_timeline=got.append)
    s.start()
    assert s.wait(120)
    assert s.error is None
    if not got or got[-1] is not s.timeline:
        got.append(s.timeline)
    return got


@pytest.mark.parametrize(
    "path", [TRACES / "go1.21/service.trace", TRACES / "go1.22/service.trace"], ids=_ids
)
def test_presence_carried_across_snapshots_equals_a_fresh_one(path):
    """A newer snapshot reads only the segments after the previous one's."""
    prev = None
    snaps = _snapshots(path)
    for tl in snaps:
        src = TraceTimelineSource(tl, prev)
        fresh = TraceTimelineSource(tl)
        np.testing.assert_array_equal(src.proc_shown, fresh.proc_shown)
        np.testing.assert_array_equal(src.thread_shown, fresh.thread_shown)
        assert _rows(src, R_PROC) == _want_procs(tl)
        prev = src
    assert prev is not None
    assert prev.timeline.complete


def test_prefetch_builds_only_shown_rows():
    tl = loaded_session(TRACES / "go1.21/service.trace").timeline
    src = TraceTimelineSource(tl)
    src.prefetch_occupancy(threads=True)
    procs = sorted(r for k, r in src._occ_rows if k == "p")
    assert procs == sorted(np.flatnonzero(src.proc_shown).tolist())
    assert len(procs) < len(tl.proc_ids)


# -- in the window ------------------------------------------------------------------


def _open(qtbot, win, path) -> None:
    with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
        win.open_path(path)
    qtbot.wait(1)


@pytest.mark.parametrize("name", ["go1.21/service", "go1.25/service"])
def test_window_rows_have_something_to_draw(qtbot, window, tmp_path, name):
    path = TRACES / f"{name}.trace"
    _open(qtbot, window, path)
    timeline = window.view.timeline
    src = window.view.data.source
    tl = src.timeline
    # expand the Threads group as a click on its header does
    header = int(np.flatnonzero(src.row_kind == R_THREADS)[0])
    assert src.toggle(header)
    timeline.set_source(src)
    labels = [timeline.row_label(r).strip() for r in range(timeline.row_count())]
    procs = [lab for lab in labels if re.fullmatch(r"P\d+", lab)]
    assert procs == [f"P{int(tl.proc_ids[p])}" for p in _want_procs(tl)]
    threads = [lab for lab in labels if re.fullmatch(r"M\d+", lab)]
    assert threads == [f"M{int(tl.thread_ids[m])}" for m in _want_threads(tl)]
    # every proc and thread row on the first screen has spans
    for row in timeline.visible_rows():
        if int(src.row_kind[row]) in (R_PROC, R_THREAD):
            assert len(src.spans(row)[0]) > 0, labels[row]
    # the status bar counts the trace's real Ps (the proc rows: no fake P has one) and its
    # threads (tracecount's; tests/ui/test_status_counts.py), the header says both
    msg = window.statusBar().currentMessage()
    n_p = int(re.search(r"(\d+) procs", msg).group(1))
    n_m = int(re.search(r"(\d+) threads", msg).group(1))
    assert (n_p, n_m) == (len(procs), len(tl.thread_ids)) == (len(procs), _oracle(path)["threads"])
    assert re.search(rf"Threads \((\d+ of )?{n_m}\)$", labels[header])
    shot = tmp_path / "rows.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000
