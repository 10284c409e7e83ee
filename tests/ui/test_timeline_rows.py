"""Timeline rows off the GUI thread: incremental goroutine rows, rows built in jobs,
layouts computed in jobs, prepared snapshots, region rows at every depth.

Expected values come from the model's own queries (``Timeline.goroutine_row``, the
regions table), never from numbers we wrote down.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from goroscope.jobs import ImmediateExecutor, ThreadExecutor, TraceSession
from goroscope.ui.bridge import JobBridge
from goroscope.ui.panels import trace_source
from goroscope.ui.panels.timeline import TimelinePanel, ViewHint
from goroscope.ui.panels.trace_source import (
    R_GOROUTINE,
    R_GROUP,
    R_REGIONS,
    TraceTimelineSource,
)
from goroscope.ui.panels.trace_view import build_view_data
from goroscope.ui.selection import SelectionModel

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
SERVICE = TRACES / "go1.22" / "service.trace"


@pytest.fixture(scope="module")
def snapshots():
    """Every progressive snapshot of service.trace, the complete one last."""
    got = []
    s = TraceSession(str(SERVICE), ImmediateExecutor(), on_timeline=got.append)
    s.start()
    s.wait(120)
    assert s.timeline is not None
    assert s.timeline.complete
    if got[-1] is not s.timeline:
        got.append(s.timeline)
    assert len(got) >= 3
    return got


def _expand_all(src: TraceTimelineSource) -> None:
    for k in range(len(src.group_members)):
        src._expanded[src.group_names[k]] = True
    src.relayout()


def test_goroutine_rows_extended_across_snapshots_equal_the_model(snapshots):
    prev = None
    checked = 0
    for tl in snapshots:
        src = TraceTimelineSource(tl, prev)
        _expand_all(src)
        rows = np.flatnonzero(src.row_kind == R_GOROUTINE)
        for row in rows[:: max(1, len(rows) // 300)].tolist():
            g = int(src.row_res[row])
            carried = g in src._g_rows
            built = src.adopt(row, src.build_row(row))
            want = tl.goroutine_row(g)
            np.testing.assert_array_equal(built[0], want.start_ns)
            np.testing.assert_array_equal(built[1], want.end_ns)
            np.testing.assert_array_equal(built[3], want.kind)
            checked += carried
        prev = src
    assert checked > 100  # most rows were extended from the previous snapshot's


def test_region_rows_at_every_depth(snapshots):
    tl = snapshots[-1]
    reg = tl.regions
    assert int(reg.depth.max()) >= 2  # service.trace nests regions two levels deep
    src = TraceTimelineSource(tl)
    _expand_all(src)
    for g in np.unique(reg.g_idx[reg.depth >= 2]).tolist()[:20]:
        row = int(src._g_row[g])
        deepest = int(reg.depth[reg.g_idx == g].max())
        for d in range(deepest + 1):
            r = row + 1 + d
            assert int(src.row_kind[r]) == R_REGIONS + d
            assert int(src.row_res[r]) == g
            s, e, _ = src.spans(r)
            assert len(s) == int(((reg.g_idx == g) & (reg.depth == d)).sum())
            assert (e[:-1] <= s[1:]).all()
        assert int(src.row_kind[row + deepest + 2]) != R_REGIONS + deepest + 1


def test_layout_computed_in_a_job_equals_the_synchronous_one(snapshots, monkeypatch):
    monkeypatch.setattr(trace_source, "ASYNC_LAYOUT_ROWS", 2)
    tl = snapshots[-1]
    a, b = TraceTimelineSource(tl), TraceTimelineSource(tl)
    header = next(
        int(r)
        for r in np.flatnonzero(a.row_kind == R_GROUP)
        if not a.group_expanded(int(a.row_res[r]))
    )
    job = a.toggle_job(header)
    assert job is not None
    assert b.toggle(header)
    a.apply_layout(job())
    np.testing.assert_array_equal(a.row_kind, b.row_kind)
    np.testing.assert_array_equal(a.row_res, b.row_res)
    np.testing.assert_array_equal(a._g_row, b._g_row)
    assert a._small_index == b._small_index


def test_prepared_snapshot_is_drawn_without_merging_on_the_gui_thread(qtbot, snapshots):
    tl = snapshots[-1]
    tp = TimelinePanel(TraceTimelineSource(tl), SelectionModel())
    qtbot.addWidget(tp)
    tp.resize(1000, 600)
    tp.show()
    qtbot.waitExposed(tp)
    qtbot.wait(1)  # laid out: the hint has the plot's real size
    hint = tp.view_hint()
    assert hint.follow_all
    data = build_view_data(tl, tp.source, hint=hint)
    tp.set_source(data.source, prepared=data.rows)
    prepared = dict(data.rows.runs)
    tp.plot.viewport().repaint()
    assert tp.track.drawn_rect_count() > 0
    for row in tp.visible_rows():
        key = data.source.row_key(row)
        if key in prepared:  # the very objects the job made: no merge in the paint
            assert tp.track._cache[key] is prepared[key]


def test_slow_rows_are_built_in_a_job_not_in_paint(qtbot, snapshots, monkeypatch):
    monkeypatch.setattr(trace_source, "READY_SEGMENTS", -1)  # every goroutine row is "slow"
    tl = snapshots[-1]
    executor = ThreadExecutor(max_workers=1)
    bridge = JobBridge(executor)
    src = TraceTimelineSource(tl)
    _expand_all(src)
    built_on: set[int] = set()  # threads that built goroutine rows
    real = src.build_row

    def build_row(row):
        if int(src.row_kind[row]) == R_GOROUTINE:
            built_on.add(threading.get_ident())
        return real(row)

    monkeypatch.setattr(src, "build_row", build_row)
    tp = TimelinePanel(src, SelectionModel(), bridge=bridge, summary=False)
    qtbot.addWidget(tp)
    tp.resize(1000, 600)
    tp.show()
    qtbot.waitExposed(tp)
    qtbot.wait(1)
    first = int(np.flatnonzero(src.row_kind == R_GOROUTINE)[0])
    tp.scroll_to_row(first)
    tp.plot.viewport().repaint()
    assert tp.track.background_merges > 0
    qtbot.waitUntil(lambda: not tp.track.merge_pending(), timeout=20_000)
    tp.plot.viewport().repaint()
    assert tp.track.drawn_rect_count() > 0
    assert built_on
    assert threading.get_ident() not in built_on
    assert tp.track.spans_ready(first)
    executor.shutdown()


def test_view_hint_predicts_the_view_after_a_swap(qtbot, snapshots):
    tl0, tl1 = snapshots[0], snapshots[-1]
    tp = TimelinePanel(TraceTimelineSource(tl0), SelectionModel())
    qtbot.addWidget(tp)
    tp.resize(900, 500)
    tp.show()
    qtbot.waitExposed(tp)
    qtbot.wait(1)
    for follow in (True, False):
        if not follow:
            d = tp.source.duration_ns()
            tp.show_range(d * 0.2, d * 0.4)
        hint = tp.view_hint()
        assert isinstance(hint, ViewHint)
        assert hint.follow_all == follow
        vp = hint.viewport_for(TraceTimelineSource(tl1).duration_ns())
        tp.set_source(TraceTimelineSource(tl1, tp.source))
        assert (vp.t0_ns, vp.t1_ns) == pytest.approx(tp.view_range(), abs=2)


def test_windowed_aggregate_equals_the_same_bins_of_the_whole_trace(snapshots):
    tl = snapshots[-1]
    src = TraceTimelineSource(tl)
    n_groups = len(src.group_names)
    dur = int(tl.covered_ns)
    bin_ns = max(1, dur // 5000)
    whole = trace_source.goroutine_stats(
        tl, src.group_of_g, n_groups, n_bins=-(-dur // bin_ns), bin_ns=bin_ns
    )
    k0, m = 1700, 900  # bins [k0, k0 + m): a window in the middle of the trace
    # segments wholly before the window take the fast path (last kinds only)
    assert any(seg.end_ns < k0 * bin_ns for seg in tl.segments)
    part = trace_source.goroutine_stats(
        tl, src.group_of_g, n_groups, n_bins=m, t0_ns=k0 * bin_ns, bin_ns=bin_ns
    )
    assert part.agg_t0_ns == k0 * bin_ns
    np.testing.assert_allclose(part.agg_times, whole.agg_times[:, k0 : k0 + m], atol=1e-6)
    assert whole.agg_times[:, k0 : k0 + m].sum() > 0


def test_zoomed_in_strips_get_finer_bins_from_a_job(qtbot, snapshots):
    tl = snapshots[-1]
    src = TraceTimelineSource(tl)
    src.set_stats(trace_source.goroutine_stats(tl, src.group_of_g, len(src.group_names)))
    executor = ThreadExecutor(max_workers=1)
    bridge = JobBridge(executor)
    tp = TimelinePanel(src, SelectionModel(), bridge=bridge, summary=False)
    qtbot.addWidget(tp)
    tp.resize(1000, 600)
    tp.show()
    qtbot.waitExposed(tp)
    qtbot.wait(1)
    header = next(int(r) for r in np.flatnonzero(src.row_kind == R_GROUP) if src.aggregate(int(r)))
    coarse_bin = src.aggregate(header)[1]
    d = src.duration_ns()
    tp.show_range(d / 2, d / 2 + coarse_bin * 20)  # a bin is ~50 px wide here
    tp.scroll_to_row(header)
    tp.plot.viewport().repaint()
    x0, x1 = tp.view_range()
    qtbot.waitUntil(lambda: src.aggregate(header, x0, x1)[1] < coarse_bin, timeout=20_000)
    fine_bin = src.aggregate(header, x0, x1)[1]
    assert fine_bin <= tp.ns_per_px()  # at most a pixel per bin
    qtbot.waitUntil(lambda: tp._refine_request is None, timeout=5_000)  # nothing left pending
    executor.shutdown()


def test_threads_toggle_of_a_big_layout_is_laid_out_in_a_job(snapshots, monkeypatch):
    from goroscope.ui.panels.trace_source import R_THREADS

    tl = snapshots[-1]
    a, b = TraceTimelineSource(tl), TraceTimelineSource(tl)
    header = int(np.flatnonzero(a.row_kind == R_THREADS)[0])
    assert a.toggle_job(header) is None  # a small layout: toggled at once
    monkeypatch.setattr(trace_source, "ASYNC_LAYOUT_ROWS", 2)
    job = a.toggle_job(header)
    assert job is not None
    assert b.toggle(header)
    a.apply_layout(job())
    assert a.threads_expanded
    np.testing.assert_array_equal(a.row_kind, b.row_kind)
    np.testing.assert_array_equal(a.row_res, b.row_res)
