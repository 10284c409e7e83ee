"""Snapshot swaps: the row items announce a geometry change only when their rect
changes — while clicks and paints still find the items where the rows are."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.test_timeline import TinySource

from goroscope.jobs import ImmediateExecutor, TraceSession, reaper
from goroscope.ui.panels.timeline import RowSpec, TimelinePanel
from goroscope.ui.panels.trace_view import TraceView, build_view_data, empty_view_data
from goroscope.ui.selection import SelectionModel, SpanRef

pytestmark = pytest.mark.gui


class Grown(TinySource):
    """TinySource as a later snapshot: ``n`` rows (the first three as before), longer."""

    def __init__(self, n: int = 3, duration: int = 1_000_000):
        super().__init__()
        self.n, self.d = n, duration
        last = (
            np.array([1_000_000], np.int64),
            np.array([duration], np.int64),
            np.array([0], np.uint8),
        )
        self._spans = self._spans + [last] * (n - 3)

    def duration_ns(self):
        return self.d

    def rows(self):
        return [RowSpec(f"G{i + 1}", "goroutine", 10 + i) for i in range(self.n)]


@pytest.fixture
def panel(qtbot):
    p = TimelinePanel(Grown(), SelectionModel())
    qtbot.addWidget(p)
    p.resize(1000, 500)
    p.show()
    qtbot.waitExposed(p)
    return p


def _count_geometry_changes(monkeypatch, items):
    calls = {id(i): 0 for i in items}
    for it in items:
        real = it.prepareGeometryChange

        def counted(it=it, real=real):
            calls[id(it)] += 1
            real()

        monkeypatch.setattr(it, "prepareGeometryChange", counted)
    return calls


def test_swap_changes_geometry_only_when_the_rect_changes(qtbot, panel, monkeypatch):
    items = (panel.track, panel.aggregates, panel.ticks)
    calls = _count_geometry_changes(monkeypatch, items)
    panel.set_source(Grown())  # same rows, same duration: a new snapshot of the same size
    assert all(v == 0 for v in calls.values())
    panel.set_source(Grown(n=5, duration=2_000_000))  # more rows, longer
    assert all(v == 1 for v in calls.values())
    for it in items:
        r = it.boundingRect()
        assert (r.width(), r.height()) == (2_000_000, 5)


def test_after_a_grown_swap_a_click_selects_a_span_in_the_new_part(qtbot, panel):
    panel.set_source(Grown(n=5, duration=2_000_000))
    panel.show_range(0, 2_000_000)
    qtbot.wait(50)
    # row 4 (new) has one span 1.0–2.0 ms; click it at 1.5 ms
    pos = panel.viewport_pos_for(4, 1_500_000)
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    cur = panel.selection.current
    assert isinstance(cur, SpanRef)
    assert panel.row_of(cur) == 4
    assert cur.span_idx == 0
    # and the scene still finds the track under that point
    scene_pt = panel.plot.mapToScene(pos)
    assert panel.track in panel.plot.scene().items(scene_pt)


# --- retired snapshots (issue 6: the 450 MB trace's swaps freed 0.4–1.8 GB on the GUI thread)

SERVICE = Path(__file__).resolve().parents[2] / "testdata" / "traces" / "go1.22" / "service.trace"


@pytest.fixture(scope="module")
def two_snapshots():
    """Two progressive snapshots of service.trace (a partial one and the complete one)."""
    got = []
    s = TraceSession(str(SERVICE), ImmediateExecutor(), on_timeline=got.append)
    s.start()
    s.wait(120)
    assert s.timeline is not None
    assert s.timeline.complete
    partial = next(tl for tl in got if not tl.complete)
    return partial, s.timeline


def test_swapped_out_snapshot_is_freed_on_the_reaper_thread(qtbot, two_snapshots, monkeypatch):
    rp = reaper.default_reaper()
    assert reaper.flush(30)
    monkeypatch.setattr(rp, "min_bytes", 4096)  # the test trace's arrays are small
    partial, complete = two_snapshots
    view = TraceView(empty_view_data(), SelectionModel())
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    view.show_data(build_view_data(partial), staged=False)
    qtbot.wait(50)  # laid out
    view.timeline.plot.viewport().repaint()  # the track caches the old rows' arrays too
    old = view.data.source
    assert view.timeline.track._spans_cache  # something of the old source is drawn
    gui = threading.get_ident()
    freed_on: list[int] = []
    # arrays only the old source owns (a newer source builds its own)
    refs = [
        weakref.ref(a, lambda _r: freed_on.append(threading.get_ident()))
        for a in (old.group_of_g, old._region_depth, old._g_row)
    ]
    cached = [sp[1] for sp in view.timeline.track._spans_cache.values() if sp[1].base is None]
    refs += [weakref.ref(a, lambda _r: freed_on.append(threading.get_ident())) for a in cached]
    del old, cached
    released = rp.stats.released_buffers
    view.show_data(build_view_data(complete, view.data.source), staged=False)
    view.timeline.plot.viewport().repaint()
    assert reaper.flush(30)
    assert all(r() is None for r in refs)  # the old snapshot is gone ...
    assert len(freed_on) == len(refs)
    assert gui not in freed_on  # ... and none of it was freed on the GUI thread
    assert set(freed_on) == {rp.thread.ident}
    assert rp.stats.released_buffers > released  # pages given back before the free
    # the new snapshot still draws (nothing it uses was released)
    assert view.timeline.track.drawn_rect_count() > 0


def test_pinned_labels_have_a_shorter_candidate_for_narrow_ranges(qtbot):
    """GC, STW and GC assist ranges: a narrow range shows a short name, not "GC mar…"
    (seen on the big-12mb screenshot)."""
    trace = SERVICE.parents[1] / "go1.24" / "cpuprofile.trace"
    s = TraceSession(str(trace), ImmediateExecutor())
    s.start()
    s.wait(120)
    view = TraceView(build_view_data(s.timeline), SelectionModel())
    qtbot.addWidget(view)
    pinned = view.data.pinned
    assert "GC assist" in pinned.labels
    for row, label in enumerate(pinned.labels):
        codes = np.flatnonzero(pinned.names[row] >= 0)
        if label.startswith("CPU samples") or not len(codes):
            continue
        full, short = view._pinned_label(row, int(codes[0]))
        assert full == s.timeline.strings[int(pinned.names[row][codes[0]])]
        assert len(short) < len(full)  # every pinned kind has a shorter name
