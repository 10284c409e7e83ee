"""TickRowsItem: CPU-sample ticks folded to pixel columns, and the fold kept between paints.

The ticks are a real trace's CPU samples (``go1.27/cpusamples.trace``, thousands of
them), one row per sampled goroutine; the drawn columns are checked against
``np.unique`` of each visible row's samples in view, through the transform the
paint had.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from tests.ui.panel_fixtures import TRACES, loaded_session

from goroscope.ui.items.tick_rows import TickRowsItem

pytestmark = pytest.mark.gui


def _rows():
    """All sample times grouped by goroutine (each ascending), per row its slice, the end."""
    tl = loaded_session(TRACES / "go1.27" / "cpusamples.trace").timeline
    cs = tl.cpu_samples
    g = cs.g_idx.astype(np.int64)
    t = cs.time_ns.astype(np.int64)  # (ns since the trace start)
    keep = g >= 0
    o = np.lexsort((t[keep], g[keep]))
    g, t = g[keep][o], t[keep][o]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    return t, list(zip(starts.tolist(), ends.tolist(), strict=True)), int(t.max()) + 1


def _expected(item, rows_of, t) -> set:
    """{(x px, row)} the item should have drawn: every visible row's samples in view,
    through the last paint's transform, one per pixel column."""
    sx, dx, _sy, _dy = item.drawn_transform
    (x0, x1), (y0, y1) = item.getViewBox().viewRange()
    out = set()
    for row in range(max(0, int(np.floor(y0))), min(len(rows_of), int(np.ceil(y1)))):
        a, b = rows_of[row]
        s = t[a:b]
        s = s[(s >= x0) & (s <= x1)]
        px = np.unique(np.floor(s * sx + dx))
        out |= {(float(x), row) for x in px.tolist()}
    return out


def _drawn(item) -> set:
    x, y = item.drawn_xy
    _sx, _dx, sy, dy = item.drawn_transform
    rows = np.rint((y - dy) / sy - item._band[0]).astype(np.int64)
    return set(zip(x.tolist(), rows.tolist(), strict=True))


def test_ticks_fold_to_pixel_columns_and_repaints_reuse_the_fold(qtbot):
    t, rows_of, dur = _rows()
    assert len(t) > 1000

    def ticks_of(row):  # a fresh slice per call, as TraceSource.ticks hands out
        a, b = rows_of[row]
        return t[a:b]

    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(900, 400)
    w.show()
    qtbot.waitExposed(w)
    item = TickRowsItem(len(rows_of), ticks_of, dur, QColor("red"))
    w.addItem(item)
    w.getViewBox().invertY(True)
    w.setYRange(0, len(rows_of), padding=0)

    def paint():
        n = item.paints
        item.update()
        qtbot.waitUntil(lambda: item.paints > n, timeout=5000)

    def settle():  # until the plot's layout (the axes' widths) stops moving the view
        paint()
        for _ in range(20):
            before = item.drawn_transform
            qtbot.wait(20)
            paint()
            if item.drawn_transform == before:
                return
        raise AssertionError("the view kept moving")

    w.setXRange(0, dur, padding=0)
    settle()
    want = _expected(item, rows_of, t)
    assert want
    assert _drawn(item) == want
    assert item.drawn_ticks == len(want)  # one tick per pixel column and row
    assert item.drawn_ticks < len(t)  # (the fold merged samples)
    folds = item.folds
    paint()  # nothing changed: the columns are reused
    assert item.folds == folds
    assert _drawn(item) == want
    # zoomed into the middle tenth: folded anew, and still exact
    w.setXRange(dur * 0.45, dur * 0.55, padding=0)
    settle()
    assert item.folds > folds
    folds = item.folds
    want = _expected(item, rows_of, t)
    assert want
    assert _drawn(item) == want
    # new rows (another trace's, a sort): the old fold is not reused
    rows_rev = rows_of[::-1]
    item.set_rows(len(rows_rev), lambda r: t[rows_rev[r][0] : rows_rev[r][1]], dur)
    paint()
    assert item.folds == folds + 1
    assert _drawn(item) == _expected(item, rows_rev, t)
