"""CounterCurve: a step-function counter (heap, goroutines per state) drawn per pixel (GUI thread only).

A counter of the big trace has ~400k samples; pyqtgraph's own downsampling
does not apply to ``stepMode`` curves and drawing them took ~175 ms a frame.
This item keeps the full series and, on every x-range change, hands the
``PlotDataItem`` only what the view can show: the samples in view when there
are fewer than ``2 × width_px`` (drawn as exact steps), else per-pixel
min/max pairs (a vertical line per pixel column spans the range the counter
took there). Cost: ``searchsorted`` + one ``reduceat`` over the samples in
view, a few ms for the whole big trace.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray


def step_points(
    time_ns: NDArray[np.int64], value: NDArray, t0: float, t1: float, width_px: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x, y to draw ``value[i]`` from ``time_ns[i]`` until ``time_ns[i+1]`` inside ``[t0, t1]``.

    time_ns : (n,) ascending; value : (n,). Returns at most ~``4 × width_px`` points.
    """
    n = len(time_ns)
    if n == 0 or t1 <= t0:
        return np.zeros(0), np.zeros(0)
    lo = max(0, int(np.searchsorted(time_ns, t0, "right")) - 1)
    hi = min(n, int(np.searchsorted(time_ns, t1, "right")) + 1)
    t = np.asarray(time_ns[lo:hi], np.float64)
    v = np.asarray(value[lo:hi], np.float64)
    width_px = max(int(width_px), 1)
    if len(t) <= 2 * width_px:
        x = np.repeat(t, 2)[1:]
        x = np.append(x, max(t1, t[-1]))
        y = np.repeat(v, 2)
        return x, y
    # per-pixel min/max (the first sample of a column also covers the column's start)
    px = ((t - t0) * (width_px / (t1 - t0))).astype(np.int64).clip(0, width_px - 1)
    starts = np.flatnonzero(np.r_[True, px[1:] != px[:-1]])
    vmin = np.minimum.reduceat(v, starts)
    vmax = np.maximum.reduceat(v, starts)
    xc = t0 + (px[starts] + 0.5) * ((t1 - t0) / width_px)
    x = np.repeat(xc, 2)
    y = np.empty(2 * len(starts))
    y[0::2], y[1::2] = vmin, vmax
    if t[-1] < t1:  # the last value holds until the view's end
        x = np.append(x, t1)
        y = np.append(y, v[-1])
    return x, y


class CounterCurve(pg.PlotDataItem):
    """A counter series re-sampled to the view on each x-range change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._time = np.zeros(0, np.int64)
        self._value = np.zeros(0)
        self._end_ns = 0
        self._key: tuple | None = None  # (t0, t1, width_px) of the points shown

    def set_series(
        self, time_ns: NDArray[np.int64], value: NDArray, end_ns: int, *, refresh: bool = True
    ) -> None:
        self._time = np.asarray(time_ns, np.int64)
        self._value = np.asarray(value)
        self._end_ns = int(end_ns)
        self._key = None
        if refresh:
            self.refresh()

    def preset(self, t0: float, t1: float, width_px: int, x: NDArray, y: NDArray) -> None:
        """Show points resampled elsewhere (a job) for the view ``[t0, t1]`` at ``width_px``.

        A later :meth:`refresh` of that very view keeps them (no resampling on the GUI thread).
        """
        self.setData(x, y)
        self._key = (float(t0), float(t1), int(width_px))

    def refresh(self, t0: float | None = None, t1: float | None = None) -> None:
        """Resample for the view ``[t0, t1]`` (default: this item's view box range).

        Pass the timeline's range when reacting to its change: a linked view box
        may not have followed yet.
        """
        vb = self.getViewBox()
        w = int(max(vb.width(), 100)) if vb is not None else 1000
        if t0 is None or t1 is None:
            if vb is None:
                t0, t1 = 0.0, float(max(self._end_ns, 1))
            else:
                (t0, t1), _ = vb.viewRange()
        key = (float(t0), float(t1), w)
        if key == self._key:
            return
        self._key = key
        # a counter holds its last value until the end of the trace, not of its samples
        x, y = step_points(self._time, self._value, t0, min(t1, max(self._end_ns, t0 + 1)), w)
        self.setData(x, y)

    def value_range(self) -> tuple[float, float]:
        if len(self._value) == 0:
            return 0.0, 1.0
        return float(np.min(self._value)), float(np.max(self._value))


#: Mantissas of "nice" tick steps.
_NICE = (1.0, 2.0, 5.0)
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def si_label(value: float, unit: str = "") -> str:
    """A short tick label: ``950``, ``1.5k``, ``2M`` (``unit`` ``"MiB"``: ``20 MiB``, ``1.5 GiB``)."""
    if unit == "MiB":
        for scale, name in ((1 << 20, "TiB"), (1 << 10, "GiB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {name}"
        return f"{value:.3g} MiB"
    for scale, prefix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}"
    return f"{value:.3g}"


def counter_ticks(
    top: float, y_max: float, height_px: float, label_px: float, *, max_ticks: int = 3
) -> list[float]:
    """Y ticks of a counter plot showing ``0..y_max`` in ``height_px`` whose data reach ``top``.

    Ticks are multiples of a nice step (1, 2, 5 × 10^k) at or below ``top`` (the band
    above it is the legend's), at least ``1.5 × label_px`` apart so labels never touch,
    and only where a label ``label_px`` high, centred on its tick, stays inside the plot
    (it would run into the plot above or below otherwise: "300" into the heap plot's
    labels). At most ``max_ticks``; none if not even one fits.
    """
    if not (top > 0 and y_max > 0 and height_px > 0):
        return []
    ppu = height_px / y_max  # px per unit
    half = label_px / 2 + 1
    lo, hi = half / ppu, y_max - half / ppu  # tick range whose labels stay inside
    hi = min(hi, top)
    if hi < lo:
        return []
    min_step = 1.5 * label_px / ppu
    k = math.floor(math.log10(max(min_step, 1e-12)))
    for _ in range(40):
        for m in _NICE:
            step = m * 10.0**k
            if step < min_step:
                continue
            first = math.ceil(lo / step) * step
            ticks = []
            v = first
            while v <= hi * (1 + 1e-12):
                ticks.append(v)
                v += step
            if not ticks:  # steps only grow from here: one tick alone, no spacing to keep
                return _one_tick(lo, hi)
            if len(ticks) <= max_ticks:
                return [float(t) for t in ticks]
        k += 1
    return []


def _one_tick(lo: float, hi: float) -> list[float]:
    """The largest nice number (1, 2, 5 × 10^k, or a multiple of its decade) in ``[lo, hi]``."""
    if hi <= 0:
        return []
    k = math.floor(math.log10(hi))
    for _ in range(40):
        step = 10.0**k
        v = math.floor(hi / step) * step
        if v >= lo:
            return [float(v)]
        k -= 1
        if step < lo:
            break
    return []
