"""AggregateRowsItem: stacked state strips on the visible header rows of collapsed groups (GUI thread only).

A collapsed goroutine group (thousands of goroutines of one start function)
shows one row: per pixel column how many of the group are running, runnable,
blocked or in a syscall, stacked bottom-up in the state colours. The data are
fixed bins over the whole trace computed once by a job
(:func:`goroscope.ui.panels.trace_source.goroutine_stats`); when the view is
zoomed in so far that a bin is wider than 2 px, ``refine(x0, x1, width_px)``
asks for finer bins of the visible range (a job; the strip stays blurry until
they arrive), so painting is a
slice of the bins in view → :func:`goroscope.lod.raster.stacked_strip` → one
``drawImage`` per visible header row; no span is touched while painting. Rows
outside the view cost nothing (virtualised like the span rows).

Columns are scaled to the group's size (the height reads "fraction of the
group"); a thin outline marks the full height.

A repaint of the same view (a hover, a selection, another item's update) draws
each row's image of the last paint again: kept per row with what it was made of
(the bins' memory, the slice, the scale, the height, the colours).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from goroscope.lod.raster import stacked_strip

#: aggregate_of(row) -> (t0_ns, bin_ns, times (bins, states), families) or None
AggregateFn = Callable[[int], tuple | None]


class AggregateRowsItem(pg.GraphicsObject):
    """Draws ``aggregate_of(row)`` strips for the visible rows that have one."""

    def __init__(
        self,
        n_rows: int,
        aggregate_of: AggregateFn,
        color_of: Callable[[int], QColor],
        duration_ns: int,
        *,
        row_height: float = 0.8,
        scale_of: Callable[[int], float] | None = None,
        refine: Callable[[float, float, float], None] | None = None,
    ) -> None:
        super().__init__()
        self._refine = refine  # refine(x0, x1, width_px): bins too coarse for this view
        self._n_rows = int(n_rows)
        self._aggregate_of = aggregate_of
        self._color_of = color_of
        self._duration_ns = int(duration_ns)
        self._row_height = row_height
        self._scale_of = scale_of
        self.drawn_rows = 0
        self._luts: dict[tuple[int, ...], np.ndarray] = {}
        self._images: dict[int, tuple] = {}  # row → (what it was made of, pixels, QImage)
        self.images_made = 0  # strips rasterised so far (tests)
        self.setZValue(5)

    def set_rows(
        self, n_rows: int, aggregate_of: AggregateFn, duration_ns: int, scale_of=None
    ) -> None:
        if (int(n_rows), int(duration_ns)) != (self._n_rows, self._duration_ns):
            self.prepareGeometryChange()  # only a changed rect (the scene's bookkeeping)
        self._n_rows = int(n_rows)
        self._aggregate_of = aggregate_of
        self._duration_ns = int(duration_ns)
        self._scale_of = scale_of
        self._images = {}
        self.update()

    def set_color_of(self, color_of: Callable[[int], QColor]) -> None:
        """New colours per family (a theme switch)."""
        self._color_of = color_of
        self._luts.clear()
        self._images = {}
        self.update()

    def _lut(self, families: Sequence[int]) -> np.ndarray:
        key = tuple(int(f) for f in families)
        got = self._luts.get(key)
        if got is None:  # QColor per family per paint cost ~1 ms a frame: cached
            cols = [self._color_of(f).rgba() for f in key] + [0x00000000]
            got = self._luts[key] = np.array(cols, np.uint32)
        return got

    # pyqtgraph overrides (camelCase)
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0.0, 0.0, float(max(self._duration_ns, 1)), float(max(self._n_rows, 1)))

    def paint(self, p: QPainter, *args) -> None:
        vb = self.getViewBox()
        self.drawn_rows = 0
        if vb is None or self._n_rows == 0:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        if not x1 > x0:
            return
        pad = (1 - self._row_height) / 2
        coarse = False
        images, self._images = self._images, {}
        for row in range(max(0, int(math.floor(y0))), min(self._n_rows, int(math.ceil(y1)))):
            agg = self._aggregate_of(row)
            if agg is None:
                continue
            t0, bin_ns, times, families = agg
            coarse = coarse or bin_ns * abs(sx) > 2.0  # a bin wider than 2 px
            n_bins = times.shape[0]
            b0 = max(0, int((x0 - t0) // bin_ns))
            b1 = min(n_bins, int(math.ceil((x1 - t0) / bin_ns)) + 1)
            if b1 <= b0:
                continue
            sl = times[b0:b1]
            width_px = abs((x1 - x0) * sx)
            f = int((b1 - b0) // max(width_px, 1.0))
            if f >= 2:  # several bins per pixel: average them first (the image was
                # rasterised at one column per bin and scaled down: ~2 ms a row)
                n = (b1 - b0) // f * f
                sl = sl[:n].reshape(-1, f, sl.shape[1]).mean(axis=1)
                b1 = b0 + n
            scale = self._scale_of(row) * bin_ns if self._scale_of else 0.0
            if scale <= 0:  # no fixed scale: the tallest column in view fills the row
                scale = float(sl.sum(axis=1).max())
            if scale <= 0:
                continue
            ya, yb = (row + pad) * sy + dy, (row + 1 - pad) * sy + dy
            h = max(1, int(round(abs(yb - ya))))
            lut = self._lut(families)
            # the bins by their memory (a source may hand a new view of the same array each
            # call): the entry holds the old view, so that memory is not reused meanwhile
            made = (times.ctypes.data, times.shape, times.strides)
            made += (t0, bin_ns, b0, b1, f, scale, h, id(lut))
            got = images.get(row)
            if got is not None and got[1] == made:
                _, _, pixels, img = got
            else:
                pixels = stacked_strip(np.rint(sl).astype(np.int64), scale, h, lut)
                img = QImage(
                    pixels.data,
                    pixels.shape[1],
                    h,
                    pixels.shape[1] * 4,
                    QImage.Format.Format_ARGB32,
                )
                self.images_made += 1
            self._images[row] = (times, made, pixels, img)  # pixels: the image's memory
            xa = (t0 + b0 * bin_ns) * sx + dx
            xb = (t0 + b1 * bin_ns) * sx + dx
            p.save()
            p.resetTransform()
            target = QRectF(min(xa, xb), min(ya, yb), abs(xb - xa), h)
            p.drawImage(target, img)
            p.restore()
            self.drawn_rows += 1
        if coarse and self._refine is not None:
            self._refine(x0, x1, abs((x1 - x0) * sx))
