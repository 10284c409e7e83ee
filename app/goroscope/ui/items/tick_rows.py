"""TickRowsItem: CPU-sample ticks on the visible goroutine rows (GUI thread only).

``ticks_of(row)`` gives a row's sample times (ns, ascending) or None. Each
paint takes, for the visible rows only, the samples in view
(``searchsorted``), folds them to distinct pixel columns (``np.unique``) and
draws one 1-px tick per column in the lower quarter of the row — at most
``width_px`` rects per row whatever the zoom. Ticks mark *where the profiler
caught the goroutine on a CPU* (Go's CPUSample events).
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
        self.setZValue(8)

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.update()

    def set_rows(self, n_rows: int, ticks_of: TicksFn, duration_ns: int) -> None:
        if (int(n_rows), int(duration_ns)) != (self._n_rows, self._duration_ns):
            self.prepareGeometryChange()  # only a changed rect (the scene's bookkeeping)
        self._n_rows, self._ticks_of, self._duration_ns = int(n_rows), ticks_of, int(duration_ns)
        self.update()

    # pyqtgraph overrides (camelCase)
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0.0, 0.0, float(max(self._duration_ns, 1)), float(max(self._n_rows, 1)))

    def paint(self, p: QPainter, *args) -> None:
        self.drawn_ticks = 0
        vb = self.getViewBox()
        if vb is None or self._ticks_of is None:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        xs, ys = [], []
        for row in range(max(0, int(math.floor(y0))), min(self._n_rows, int(math.ceil(y1)))):
            t = self._ticks_of(row)
            if t is None or len(t) == 0:
                continue
            lo, hi = np.searchsorted(t, [x0, x1])
            if hi <= lo:
                continue
            px = np.unique(np.floor(t[lo:hi] * sx + dx))
            xs.append(px)
            ys.append(np.full(len(px), (row + self._band[0]) * sy + dy))
        if not xs:
            return
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        h = max(2.0, abs(sy) * self._band[1])
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        self._rects.set(x, y, np.full(len(x), 1.0), h)
        self._rects.draw(p)
        p.restore()
        self.drawn_ticks = len(x)
