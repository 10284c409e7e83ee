"""TickRowsItem: CPU-sample ticks on the visible goroutine rows (GUI thread only).

``ticks_of(row)`` gives a row's sample times (ns, ascending) or None. Each
paint takes, for the visible rows only, the samples in view
(``searchsorted``), folds them to distinct pixel columns (the times ascend, so
their pixel columns do too: dropping repeats of the previous column is
``np.unique`` without its sort) and draws one 1-px tick per column in the lower
quarter of the row — at most ``width_px`` rects per row whatever the zoom. Ticks
mark *where the profiler caught the goroutine on a CPU* (Go's CPUSample events).

The folded columns are kept for the next paint: a paint with the same device
transform and, per visible row, the same tick memory (address and length — the
source hands out a fresh slice per call) and in-view slice reuses them (a repaint
for another item — a hover, a selection, a strip that came in — costs a
``searchsorted`` per visible row, not the fold).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from goroscope.ui.items.prims import RectArray

TicksFn = Callable[[int], NDArray[np.int64] | None]


class TickRowsItem(pg.GraphicsObject):
    """Ticks per row (see module doc)."""

    def __init__(
        self,
        n_rows: int,
        ticks_of: TicksFn,
        duration_ns: int,
        color: QColor,
        *,
        band: tuple[float, float] = (0.65, 0.3),
    ) -> None:
        """``band``: where in its row a tick is drawn, (top, height) as fractions of the row
        (goroutine rows: the lower part, under the state bar's labels)."""
        super().__init__()
        self._band = band
        self._n_rows = int(n_rows)
        self._ticks_of = ticks_of
        self._duration_ns = int(duration_ns)
        self._color = QColor(color)
        self._rects = RectArray()
        self.drawn_ticks = 0
        #: the last paint's key and its tick columns (see the module doc)
        self._cache_key: tuple | None = None
        self._cache: tuple[np.ndarray, np.ndarray] | None = None
        self.folds = 0  # paints that folded the ticks anew (tests)
        self.paints = 0
        #: the last paint's tick columns, x and y (device px), and its transform
        #: (sx, dx, sy, dy: view → device) (tests)
        self.drawn_xy: tuple[np.ndarray, np.ndarray] | None = None
        self.drawn_transform = (1.0, 0.0, 1.0, 0.0)
        self.setZValue(8)

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.update()

    def set_rows(self, n_rows: int, ticks_of: TicksFn, duration_ns: int) -> None:
        if (int(n_rows), int(duration_ns)) != (self._n_rows, self._duration_ns):
            self.prepareGeometryChange()  # only a changed rect (the scene's bookkeeping)
        self._n_rows, self._ticks_of, self._duration_ns = int(n_rows), ticks_of, int(duration_ns)
        self._cache_key = self._cache = None
        self.update()

    # pyqtgraph overrides (camelCase)
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0.0, 0.0, float(max(self._duration_ns, 1)), float(max(self._n_rows, 1)))

    def paint(self, p: QPainter, *args) -> None:
        self.drawn_ticks = 0
        self.drawn_xy = None
        self.paints += 1
        vb = self.getViewBox()
        if vb is None or self._ticks_of is None:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        parts = []  # (row, ticks, lo, hi) of the visible rows with ticks in view
        for row in range(max(0, int(math.floor(y0))), min(self._n_rows, int(math.ceil(y1)))):
            t = self._ticks_of(row)
            if t is None or len(t) == 0:
                continue
            lo, hi = np.searchsorted(t, [x0, x1])
            if hi > lo:
                addr = t.__array_interface__["data"][0]
                parts.append((row, addr, len(t), int(lo), int(hi), t))
        if not parts:
            return
        # NOTE: the key keeps the tick arrays (the last item) alive, so their addresses
        # cannot be handed to other data while it is compared against
        key = (sx, dx, sy, dy, self._band, parts)
        if self._cache is not None and _same(self._cache_key, key):
            x, y = self._cache
        else:
            xs, ys = [], []
            for row, _addr, _n, lo, hi, t in parts:
                px = np.floor(t[lo:hi] * sx + dx)
                if sx < 0:  # (an x-inverted view: the columns descend)
                    px = px[::-1]
                if len(px) > 1:
                    px = px[np.r_[True, px[1:] != px[:-1]]]
                xs.append(px)
                ys.append(np.full(len(px), (row + self._band[0]) * sy + dy))
            x = np.concatenate(xs)
            y = np.concatenate(ys)
            self._cache_key, self._cache = key, (x, y)
            self.folds += 1
        h = max(2.0, abs(sy) * self._band[1])
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        self._rects.set(x, y, np.full(len(x), 1.0), h)
        self._rects.draw(p)
        p.restore()
        self.drawn_ticks = len(x)
        self.drawn_xy = (x, y)
        self.drawn_transform = (sx, dx, sy, dy)


def _same(a: tuple, b: tuple) -> bool:
    """Two paint keys (see ``TickRowsItem.paint``) are equal: transform, band and per
    row (row, tick address and length, in-view slice)."""
    if a[:5] != b[:5] or len(a[5]) != len(b[5]):
        return False
    return all(ra[:5] == rb[:5] for ra, rb in zip(a[5], b[5], strict=True))
