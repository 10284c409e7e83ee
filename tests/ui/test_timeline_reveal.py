"""The timeline follows SelectionModel.reveal ("go to" links of the dock panels, issue #9).

Each case reveals a value on a real trace and checks the view against the model's
own tables (goroutine rows, the task table), never against numbers we wrote down.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from goroscope.jobs import ImmediateExecutor, TraceSession
from goroscope.ui.panels.timeline import TimelinePanel
from goroscope.ui.panels.trace_source import COLLAPSE_ABOVE, R_GOROUTINE, TraceTimelineSource
from goroscope.ui.selection import GoroutineRef, SelectionModel, SpanRef, TaskRef, TimeRange

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"


@pytest.fixture(scope="module")
def service_timeline():
    s = TraceSession(str(TRACES / "go1.22" / "service.trace"), ImmediateExecutor())
    s.start()
    s.wait(120)
    assert s.timeline is not None
    assert s.timeline.complete
    return s.timeline


@pytest.fixture
def panel(qtbot, service_timeline):
    tp = TimelinePanel(TraceTimelineSource(service_timeline), SelectionModel())
    qtbot.addWidget(tp)
    tp.resize(1200, 700)
    tp.show()
    qtbot.waitExposed(tp)
    return tp


def _visible(tp: TimelinePanel, row: int) -> bool:
    return row in tp.visible_rows()


def _collapsed_member(tp: TimelinePanel) -> int:
    src = tp.source
    k = next(k for k, m in enumerate(src.group_members) if len(m) > COLLAPSE_ABOVE)
    assert not src.group_expanded(k)
    members = src.group_members[k]
    return int(members[len(members) // 2])


def test_reveal_goroutine_expands_its_group_and_scrolls_to_it(qtbot, panel):
    tl = panel.source.timeline
    g = _collapsed_member(panel)
    assert panel.source.row_of(SpanRef.goroutine(g, 0)) is None  # hidden in its group
    panel.selection.reveal(GoroutineRef(g))
    row = panel.source.row_of(SpanRef.goroutine(g, 0))
    assert row is not None
    assert _visible(panel, row)
    model_row = tl.goroutine_row(g)  # the model's own row: the lifetime to show
    x0, x1 = panel.view_range()
    assert model_row.start_ns[0] < x1
    assert model_row.end_ns[-1] > x0
    assert panel.track.marked_rows(row, row + 1) == [row]  # marked while selected


def test_reveal_narrow_span_zooms_to_it_and_undo_goes_back(qtbot, panel):
    tl = panel.source.timeline
    panel.fit_all()
    before = panel.view_range()
    # a goroutine span narrower than 1 px at the whole-trace view
    npx = panel.ns_per_px()

    def narrow(g: int) -> int:
        sr = tl.goroutine_row(g)
        k = np.flatnonzero(sr.end_ns - sr.start_ns < npx)
        return int(k[0]) if len(k) else -1

    g = next(g for g in range(tl.n_goroutines) if narrow(g) >= 0)
    i = narrow(g)
    a, b = int(tl.goroutine_row(g).start_ns[i]), int(tl.goroutine_row(g).end_ns[i])
    panel.selection.reveal(SpanRef.goroutine(g, i))
    row = panel.source.row_of(SpanRef.goroutine(g, 0))
    assert row is not None
    assert _visible(panel, row)
    x0, x1 = panel.view_range()
    assert x0 <= a
    assert b <= x1
    assert (b - a) / panel.ns_per_px() >= 2 or (x1 - x0) <= 200  # zoomed (down to the 100 ns floor)
    s, e, _ = panel.track.spans(row)  # the timeline's row is the model's row
    assert (int(s[i]), int(e[i])) == (a, b)
    qtbot.keyClick(panel.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.view_range() == pytest.approx(before, rel=1e-6, abs=1)


def test_reveal_time_range_shows_it(qtbot, panel):
    d = panel.source.duration_ns()
    panel.selection.reveal(TimeRange(d // 3, d // 2))
    assert panel.view_range() == pytest.approx((d // 3, d // 2), abs=2)
    assert panel._range_band.isVisible()


def test_reveal_task_shows_its_time_and_marks_its_goroutines(qtbot, panel):
    tl = panel.source.timeline
    t = tl.tasks
    ok = np.flatnonzero((t.start_ns >= 0) & (t.end_ns > t.start_ns) & (t.begin_g >= 0))
    assert len(ok)
    k = int(ok[len(ok) // 2])
    panel.selection.reveal(TaskRef(k))
    x0, x1 = panel.view_range()
    assert x0 <= t.start_ns[k]
    assert t.end_ns[k] <= x1
    # the goroutine that began the task (the model's task table) is marked and on screen
    g = int(t.begin_g[k])
    row = panel.source.row_of(SpanRef.goroutine(g, 0))  # None: in a collapsed group
    if row is not None:
        assert panel.track.marked_rows(row, row + 1) == [row]
    # every goroutine with a region of this task is marked when its row exists
    r = tl.regions
    for rg in np.unique(r.g_idx[(r.task_id == t.task_id[k]) & (r.g_idx >= 0)]):
        rr = panel.source.row_of(SpanRef.goroutine(int(rg), 0))
        if rr is not None:
            assert panel.track.marked_rows(rr, rr + 1) == [rr]
    panel.selection.clear()
    assert panel.track.marked_rows(0, panel.row_count()) == []


def test_click_on_goroutine_span_publishes_spanref(qtbot, panel):
    src = panel.source
    row = int(np.flatnonzero(src.row_kind == R_GOROUTINE)[0])
    s, e, _ = panel.track.spans(row)
    i = int(np.argmax(e - s))
    panel.show_range(s[i], e[i])
    panel.scroll_to_row(row)
    pos = panel.viewport_pos_for(row, (s[i] + e[i]) / 2)
    with qtbot.waitSignal(panel.selection.changed, timeout=1000):
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert panel.selection.current == SpanRef.goroutine(int(src.row_res[row]), i)


def test_task_region_index_equals_a_mask_per_task(service_timeline):
    from goroscope.ui.panels.timeline import task_region_index

    r, t = service_timeline.regions, service_timeline.tasks
    tids, g_of = task_region_index(r.task_id, r.g_idx)
    assert len(t.task_id)
    for tid in t.task_id:
        lo, hi = np.searchsorted(tids, tid, "left"), np.searchsorted(tids, tid, "right")
        want = np.unique(r.g_idx[(r.task_id == tid) & (r.g_idx >= 0)])
        np.testing.assert_array_equal(np.unique(g_of[lo:hi]), want)


def test_task_marks_come_from_an_index_built_in_a_job(qtbot, service_timeline, monkeypatch):
    import threading

    import goroscope.ui.panels.timeline as tlmod
    from goroscope.jobs import ThreadExecutor
    from goroscope.ui.bridge import JobBridge

    monkeypatch.setattr(tlmod, "TASK_INDEX_SYNC", 0)  # every trace counts as big
    built_on: list[int] = []
    real = tlmod.task_region_index

    def spy(*a):
        built_on.append(threading.get_ident())
        return real(*a)

    monkeypatch.setattr(tlmod, "task_region_index", spy)
    executor = ThreadExecutor(max_workers=1)
    try:
        tp = TimelinePanel(
            TraceTimelineSource(service_timeline), SelectionModel(), bridge=JobBridge(executor)
        )
        qtbot.addWidget(tp)
        tp.resize(1200, 700)
        tp.show()
        qtbot.waitExposed(tp)
        t, r = service_timeline.tasks, service_timeline.regions
        # a task whose region goroutines have rows (not inside a collapsed group)
        want: set[int] = set()
        for k in range(len(t.task_id)):
            gs = np.unique(r.g_idx[(r.task_id == t.task_id[k]) & (r.g_idx >= 0)])
            rows = {tp.source.row_of(SpanRef.goroutine(int(g), 0)) for g in gs} - {None}
            if rows:
                want = rows
                break
        assert want
        tp.selection.set(TaskRef(k))
        qtbot.waitUntil(lambda: tp._task_index_request is None, timeout=5000)
        assert built_on
        assert threading.get_ident() not in built_on  # built on a worker, once
        for row in want:
            assert tp.track.marked_rows(row, row + 1) == [row]
        n = len(built_on)
        tp.selection.clear()
        tp.selection.set(TaskRef(k))  # again: a lookup in the index, no new job
        assert len(built_on) == n
        for row in want:
            assert tp.track.marked_rows(row, row + 1) == [row]
    finally:
        executor.shutdown()
