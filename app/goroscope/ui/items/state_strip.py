"""StateStripItem: the aggregate row of a collapsed group (GUI thread only).

A group of thousands of goroutines (one start function) starts collapsed and
shows one row: for every pixel column, how many of the group are running,
runnable, blocked, … stacked bottom-up in the state colours (the issue's
"aggregate row"; Perfetto's summary tracks, gotraceui's goroutine-count plot).

``lod.raster.StateTimeAccumulator`` sums, over the group's rows, the time in
each state per bin of ``resolution_ns`` (≤ 1 px, so the strip is never coarser
than the screen) for the buffered bounds (3× the view; reused while panning); divided by the bin width that is the mean number of
goroutines in each state. Columns are scaled to the tallest visible column
(the tooltip gives absolute numbers). The strip is built as a LUT-coloured
``QImage`` with numpy (STYLE §4.5.5: 640×1600 px in ~7 ms) and drawn with one
``drawImage`` in device coordinates. Cost is O(spans of the group in the
buffered bounds) per zoom step (≈10 ms for 2.4M spans here), so with a
JobBridge (:meth:`StateStripItem.set_background`) it runs as a job. OPT: for
huge groups precompute per-resolution sums at load (a mipmap).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF, Slot
from PySide6.QtGui import QColor, QImage, QPainter

from goroscope.lod.raster import StateTimeAccumulator, stacked_strip
from goroscope.lod.viewport import BufferedBounds, Viewport
from goroscope.ui.bridge import JobBridge

SpanArrays = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.integer]]


def _sum_group(spans: list[SpanArrays], b: BufferedBounds, n_states: int) -> NDArray[np.int64]:
    """Job: per-bin state times of a group for bounds ``b`` (pure; any thread)."""
    n_bins = (b.t1_ns - b.t0_ns) // b.resolution_ns
    acc = StateTimeAccumulator(b.t0_ns, b.resolution_ns, n_bins, n_states)
    for s, e, st in spans:
        acc.add(s, e, st)
    return acc.result()


class StateStripItem(pg.GraphicsObject):
    """One aggregate row at ``y ∈ [row, row + 1)`` summarising the spans of many rows.

    Parameters
    ----------
    group_spans : callable
        ``group_spans() -> sequence of (start_ns, end_ns, state)``, one per member row.
    colors : sequence of QColor
        Colour per state code.
    duration_ns : int
        Extent of the x axis.
    row : int
        Row index (y) of the strip.
    """

    def __init__(
        self,
        group_spans: Callable[[], Sequence[SpanArrays]],
        colors: Sequence[QColor],
        duration_ns: int,
        row: int = 0,
        *,
        row_height: float = 0.8,
    ) -> None:
        super().__init__()
        self._group_spans = group_spans
        self._duration_ns = int(duration_ns)
        self._row = int(row)
        self._row_height = row_height
        self._lut = np.array([QColor(c).rgba() for c in colors] + [0], dtype=np.uint32)
        self._last: tuple[int, int, NDArray[np.int64]] | None = None  # (t0, bin, times)
        self._cache: tuple[BufferedBounds, NDArray[np.int64]] | None = None
        self._bridge: JobBridge | None = None
        self._pending: tuple[int, BufferedBounds] | None = None
        self.background_sums = 0

    def set_colors(self, colors: Sequence[QColor]) -> None:
        """Colour per state code (a theme switch)."""
        self._lut = np.array([QColor(c).rgba() for c in colors] + [0], dtype=np.uint32)
        self.update()

    def set_background(self, bridge: JobBridge | None) -> None:
        """Compute the sums in jobs through ``bridge`` (the old strip stays up meanwhile)."""
        if self._bridge is not None:
            self._bridge.finished.disconnect(self._on_sums_finished)
        self._bridge, self._pending = bridge, None
        if bridge is not None:
            bridge.finished.connect(self._on_sums_finished)

    def sums_pending(self) -> bool:
        return self._pending is not None

    @Slot(int, object)
    def _on_sums_finished(self, request_id: int, result: object) -> None:
        if self._pending is None or request_id != self._pending[0]:
            return
        self._cache = (self._pending[1], result)
        self._pending = None
        self.update()

    def invalidate(self) -> None:
        """Forget the cached sums (the group's spans changed)."""
        self._cache = None
        self.update()

    def times(self, vp: Viewport) -> tuple[int, int, NDArray[np.int64]]:
        """``(t0_ns, bin_ns, times)`` covering ``vp`` in bins of its resolution.

        Sums are computed for the buffered bounds (3× the view, quantised) and
        reused while panning inside them at the same resolution. With a bridge
        (:meth:`set_background`) new sums come from a job; until it lands the
        previous sums are used (or nothing, the first time).
        """
        if self._cache is None or not self._cache[0].serves(vp, slack=0.0):
            b = vp.buffered()
            n_states = len(self._lut) - 1
            if self._bridge is None:
                self._cache = (b, _sum_group(list(self._group_spans()), b, n_states))
            elif self._pending is None or not self._pending[1].serves(vp, slack=0.0):
                rid = self._bridge.submit(
                    ("state-strip", id(self)), _sum_group, list(self._group_spans()), b, n_states
                )
                self._pending = (rid, b)
                self.background_sums += 1
        if self._cache is None:
            self._last = None
            return 0, 1, np.zeros((0, len(self._lut) - 1), np.int64)
        b, all_times = self._cache
        bin_ns = b.resolution_ns
        j0 = max(0, int(math.floor((vp.t0_ns - b.t0_ns) / bin_ns)))
        j1 = min(len(all_times), int(math.ceil((vp.t1_ns - b.t0_ns) / bin_ns)) + 1)
        t0 = b.t0_ns + j0 * bin_ns
        self._last = (t0, bin_ns, all_times[j0:j1])
        return self._last

    def mean_counts_at(self, t_ns: float) -> NDArray[np.float64] | None:
        """Mean number of member rows in each state in the bin at ``t_ns`` (last frame)."""
        if self._last is None:
            return None
        t0, bin_ns, times = self._last
        j = int((t_ns - t0) // bin_ns)
        if not 0 <= j < len(times):
            return None
        return times[j] / bin_ns

    # pyqtgraph / Qt overrides (camelCase)
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0.0, float(self._row), float(max(self._duration_ns, 1)), 1.0)

    def paint(self, p: QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        (x0, x1), _ = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        width_px = abs((x1 - x0) * sx)
        if not (x1 > x0 and width_px >= 1):
            return
        t0, bin_ns, times = self.times(Viewport(x0, x1, width_px))
        pad = (1 - self._row_height) / 2
        ya, yb = (self._row + pad) * sy + dy, (self._row + 1 - pad) * sy + dy
        h = max(1, int(round(abs(yb - ya))))
        peak = float((times.sum(axis=1)).max()) if len(times) else 0.0
        if peak <= 0:
            return
        pixels = stacked_strip(times, peak, h, self._lut)
        img = QImage(
            pixels.data, pixels.shape[1], h, pixels.shape[1] * 4, QImage.Format.Format_ARGB32
        )
        xa, xb = t0 * sx + dx, (t0 + len(times) * bin_ns) * sx + dx
        p.save()
        p.resetTransform()
        p.drawImage(QRectF(min(xa, xb), min(ya, yb), abs(xb - xa), h), img)
        p.restore()
