"""SpanTrackItem without a mouse: hit testing, frame plans, the LOD rect bound."""

from __future__ import annotations

import numpy as np
import pytest

from goroscope.lod.viewport import Viewport
from goroscope.ui.items.span_track import SpanTrackItem
from goroscope.ui.theme import Palette

pytestmark = pytest.mark.gui

S = np.array([0, 10, 10, 30, 100], np.int64)
E = np.array([10, 10, 30, 31, 200], np.int64)
ST = np.array([0, 1, 2, 3, 0], np.uint8)


def _item(n_rows=2, spans=None):
    spans = spans or (lambda row: (S, E, ST))
    return SpanTrackItem(n_rows, spans, Palette().default_table(), 200)


def test_hit_test_exact_and_tolerance(qapp):
    item = _item()
    assert item.hit_test(5, 0) == 0
    assert item.hit_test(10, 0) == 2  # the zero-length span at 10 is hidden by its neighbour
    assert item.hit_test(29.9, 1) == 2
    assert item.hit_test(50, 0) == -1  # gap
    assert item.hit_test(33, 0, tolerance_ns=3) == 3
    assert item.hit_test(97, 0, tolerance_ns=5) == 4
    assert item.hit_test(500, 0) == -1
    assert item.hit_test(5, 7) == -1  # no such row


def test_plan_merges_and_windows(qapp):
    item = _item()
    # 200 ns over 20 px: 10 ns/px, resolution 8, min 32 ns → 0..31 merge into one run
    plan = item.plan(Viewport(0, 200, 20), 0, 2)
    assert plan.row.tolist() == [0, 0, 1, 1]
    assert plan.count.tolist() == [4, 1, 4, 1]
    assert plan.state.tolist()[0] == 2  # 20 ns of state 2 beats 10 ns of state 0
    # zoomed in on 0..40 ns over 400 px: nothing merges, and only visible spans come back
    plan = item.plan(Viewport(0, 40, 400), 0, 1)
    assert plan.count.tolist() == [1, 1, 1, 1]
    assert plan.first.tolist() == [0, 1, 2, 3]


def test_sparse_merged_runs_carry_their_coverage(qapp):
    # 1 ns stop-the-world pauses every 10 ns: merged at overview, 10 % covered, not solid
    s = np.arange(0, 1000, 10, dtype=np.int64)
    item = _item(1, lambda row: (s, s + 1, np.zeros(len(s), np.uint8)))
    plan = item.plan(Viewport(0, 1000, 10), 0, 1)
    assert (plan.count > 1).all()
    assert ((plan.cover > 0.05) & (plan.cover < 0.2)).all()
    # contiguous spans stay fully covered
    plan = _item().plan(Viewport(0, 200, 20), 0, 1)
    assert plan.cover[plan.count > 1].min() == pytest.approx(1.0)


def test_plan_reuses_cached_runs_while_panning(qapp):
    calls = []

    def spans(row):
        calls.append(row)
        return S, E, ST

    item = _item(1, spans)
    item.plan(Viewport(0, 100, 100), 0, 1)
    item.plan(Viewport(20, 120, 100), 0, 1)
    assert calls == [0]  # spans fetched once, runs served from the buffered bounds


def _dense_rows(n_spans, seed):
    rng = np.random.default_rng(seed)
    widths = rng.lognormal(np.log(2_000), 1.5, n_spans).astype(np.int64) + 1
    ends = np.cumsum(widths)
    starts = np.concatenate([[0], ends[:-1]])
    states = rng.integers(0, 12, n_spans).astype(np.uint8)
    return starts, ends, states


def test_rect_bound_200_rows_of_50k_spans(qapp):
    """All 200 rows visible, 1600 px wide: rects ≤ rows × (width/2 + 2) at every zoom."""
    base = [_dense_rows(50_000, seed) for seed in range(4)]
    duration = int(max(b[1][-1] for b in base))
    item = SpanTrackItem(200, lambda r: base[r % 4], Palette().default_table(), duration)
    width_px = 1600
    for frac in (1.0, 0.1, 0.01, 0.001, 0.00001):
        t0 = duration * 0.3
        vp = Viewport(t0, t0 + duration * frac, width_px)
        plan = item.plan(vp, 0, 200)
        assert len(plan) <= 200 * (width_px / 2 + 2)
        per_row = np.bincount(plan.row, minlength=200)
        assert per_row.max() <= width_px / 2 + 2
        assert len(plan) > 0


def test_background_merge_through_the_bridge(qtbot):
    """Over budget, a view change merges in a job; the item shows old runs, then the new ones."""
    from concurrent.futures import ThreadPoolExecutor

    from goroscope.ui.bridge import JobBridge

    base = [_dense_rows(20_000, seed) for seed in range(3)]
    duration = int(max(b[1][-1] for b in base))
    colors = Palette().default_table()
    sync = SpanTrackItem(6, lambda r: base[r % 3], colors, duration)
    item = SpanTrackItem(6, lambda r: base[r % 3], colors, duration)
    with ThreadPoolExecutor(2) as pool:
        bridge = JobBridge(pool)
        item.set_background(bridge, budget_spans=10_000)
        vp = Viewport(0, duration, 1200)
        assert len(item.plan(vp, 0, 6)) == 0  # nothing merged yet: the job runs
        assert item.merge_pending()
        with qtbot.waitSignal(bridge.finished, timeout=10_000):
            pass
        assert not item.merge_pending()
        got, want = item.plan(vp, 0, 6), sync.plan(vp, 0, 6)
        np.testing.assert_array_equal(got.start_ns, want.start_ns)
        np.testing.assert_array_equal(got.state, want.state)
        # zooming in: the old (coarser) runs are drawn while the next job runs
        vp2 = Viewport(duration * 0.4, duration * 0.45, 1200)
        stale = item.plan(vp2, 0, 6)
        assert len(stale) > 0
        assert item.background_merges == 2
        with qtbot.waitSignal(bridge.finished, timeout=10_000):
            pass
        np.testing.assert_array_equal(item.plan(vp2, 0, 6).end_ns, sync.plan(vp2, 0, 6).end_ns)
        # a small change under budget merges synchronously
        item.set_background(bridge, budget_spans=10**9)
        vp3 = Viewport(duration * 0.9, duration * 0.95, 1200)
        assert len(item.plan(vp3, 0, 6)) > 0


def _drawn(qtbot, item, x_range, n_rows=1, size=(400, 60)):
    """Paint ``item`` in a plot of ``size`` showing ``x_range``; (image, plot)."""
    import pyqtgraph as pg

    w = pg.PlotWidget(background=Palette(dark=False).background)
    qtbot.addWidget(w)
    w.resize(*size)
    pi = w.getPlotItem()
    pi.hideAxis("left")
    pi.hideAxis("bottom")
    pi.layout.setContentsMargins(0, 0, 0, 0)
    vb = pi.getViewBox()
    vb.invertY(True)
    vb.addItem(item)
    vb.setXRange(*x_range, padding=0)
    vb.setYRange(0, n_rows, padding=0)
    w.show()
    qtbot.waitExposed(w)
    return w.grab().toImage(), w


def _px(w, t, y):
    from PySide6.QtCore import QPointF

    vb = w.getPlotItem().getViewBox()
    p = w.viewportTransform().map(vb.mapViewToScene(QPointF(t, y)))
    return int(p.x()), int(p.y())


def test_absent_spans_draw_an_exit_tick_and_nothing_else(qtbot):
    """A NotExist (EXITED) span inside a row — a cgo goroutine between callbacks — is a
    thin tick at its start, background over its extent, no label."""
    from goroscope.ui.items.span_track import ABSENT_STATE, EXIT_TICK_PX

    pal = Palette(dark=False)
    s = np.array([0, 400, 600], np.int64)
    e = np.array([400, 600, 1000], np.int64)
    st = np.array([0, ABSENT_STATE, 0], np.uint8)
    item = SpanTrackItem(1, lambda r: (s, e, st), pal.default_table(), 1000)
    img, w = _drawn(qtbot, item, (0, 1000))
    _, y = _px(w, 0, 0.5)
    ink = pal.color(ABSENT_STATE).rgb()
    xa, xb = _px(w, 400, 0)[0], _px(w, 600, 0)[0]
    row = [img.pixel(x, y) for x in range(img.width())]
    assert ink in row[xa - 1 : xa + 2]
    assert sum(c == ink for c in row) <= EXIT_TICK_PX + 1
    assert set(row[xa + 3 : xb - 1]) == {pal.background.rgb()}
    assert row[xb + 3] == pal.color(0).rgb()


def test_lifetime_before_draws_a_dashed_unknown_line(qtbot):
    """A row whose goroutine existed before its first event (``LIFETIME_BEFORE``): dashes
    in the UNKNOWN colour from the trace start to its first span; a row created in the
    trace (1): background there; a first event a few px after the start: no stray dash."""
    from goroscope.ui.items.span_track import LIFETIME_BEFORE, UNKNOWN_STATE

    pal = Palette(dark=False)
    s = np.array([500], np.int64)
    e = np.array([1000], np.int64)
    st = np.array([0], np.uint8)
    item = SpanTrackItem(
        2,
        lambda r: (s, e, st),
        pal.default_table(),
        1000,
        lifetime_of=lambda r: LIFETIME_BEFORE if r == 0 else 1,
    )
    img, w = _drawn(qtbot, item, (0, 1000), n_rows=2, size=(400, 80))
    unknown = pal.color(UNKNOWN_STATE).rgb()
    x_first = _px(w, 500, 0)[0]
    for row, want_dashes in ((0, True), (1, False)):
        _, y = _px(w, 0, row + 0.5)
        band = [img.pixel(x, yy) for x in range(2, x_first - 2) for yy in (y - 1, y)]
        n = sum(c == unknown for c in band)
        if want_dashes:
            # dashed: about 4 of every 7 px inked, not a solid line
            assert 0.4 < n / len(band) < 0.75
            assert set(band) == {unknown, pal.background.rgb()}
        else:
            assert set(band) == {pal.background.rgb()}
    s2 = np.array([10], np.int64)  # 4 px after the start at 400 px for 1000 ns
    item2 = SpanTrackItem(
        1, lambda r: (s2, e, st), pal.default_table(), 1000, lifetime_of=lambda r: LIFETIME_BEFORE
    )
    img, w = _drawn(qtbot, item2, (0, 1000))
    _, y = _px(w, 0, 0.5)
    x_first = _px(w, 10, 0)[0]
    assert unknown not in {img.pixel(x, yy) for x in range(0, x_first) for yy in (y - 1, y)}


def test_labels_are_never_cut_to_nothing_or_to_another_id(qtbot):
    """Wide spans get their whole label; a span too narrow for "G29577" gets none, not
    "G29…" (another goroutine's name) or "G…"; a state is never elided below 3 characters
    ("ru…": running? runnable?)."""
    pal = Palette(dark=False)
    s = np.array([0, 1000], np.int64)
    e = np.array([1000, 2000], np.int64)
    st = np.array([0, 1], np.uint8)
    labels = {
        "id": ("G29577 main.worker", "G29577"),
        "state": ("runnable",),
        "long": ("blocked: sync.Mutex.Lock",),
    }
    for kind, cands in labels.items():
        seen = {}
        for px in (700, 120, 70, 50, 36, 28):  # plot width: each span is half of it
            item = SpanTrackItem(
                1, lambda r: (s, e, st), pal.default_table(), 2000, label_of=lambda r, i, c=cands: c
            )
            _drawn(qtbot, item, (0, 2000), size=(px, 40))
            seen[px] = list(item.drawn_labels)
            for text in item.drawn_labels:
                if kind == "id":
                    assert text in cands, (px, text)  # never "G29…"
                else:
                    assert text in cands or len(text.rstrip("…")) >= 3, (kind, px, text)
        assert seen[700] == [cands[0]] * 2, seen  # room: the whole first candidate
        assert not seen[28], seen  # 14 px per span: nothing legible fits


def test_lifetime_line_is_remembered_per_row_and_follows_new_data(qtbot):
    """The "state unknown" line's end (the first span) is asked once per row key; a repaint
    asks nothing, and new data behind the row (set_rows) move the line to the new first span."""
    from goroscope.ui.items.span_track import LIFETIME_BEFORE, UNKNOWN_STATE

    pal = Palette(dark=False)
    e = np.array([1000], np.int64)
    st = np.array([0], np.uint8)
    asked = []

    def lifetime_of(r):
        asked.append(r)
        return LIFETIME_BEFORE

    item = SpanTrackItem(
        1,
        lambda r: (np.array([500], np.int64), e, st),
        pal.default_table(),
        1000,
        lifetime_of=lifetime_of,
    )
    img, w = _drawn(qtbot, item, (0, 1000), size=(400, 60))
    unknown = pal.color(UNKNOWN_STATE).rgb()
    _, y = _px(w, 0, 0.5)

    def inked_until(img) -> int:
        xs = [
            x
            for x in range(img.width())
            if img.pixel(x, y) == unknown or img.pixel(x, y - 1) == unknown
        ]
        return max(xs, default=-1)

    assert abs(inked_until(img) - _px(w, 500, 0)[0]) <= 7  # dashes up to the first span
    n = len(asked)
    w.grab()
    assert len(asked) == n  # a repaint: remembered
    item.set_rows(1, lambda r: (np.array([250], np.int64), e, st), 1000)  # new data
    img = w.grab().toImage()
    assert len(asked) > n
    assert abs(inked_until(img) - _px(w, 250, 0)[0]) <= 7
