"""A time axis in readable units with a movable origin (GUI thread only).

Values on the x axis are ns since trace start (float64). Labels are shown
relative to :attr:`TimeAxisItem.origin_ns` (gotraceui's movable origin: put it
on an event and read "+3.2 ms" straight off the axis). The unit is the largest
of s / ms / µs / ns that the visible magnitudes reach, and the number of
decimals is the fewest that tell neighbouring ticks apart, so labels stay short
at every zoom ("1.2341 s", "+250 µs", "-40 ns"). pyqtgraph's SI prefixing is off:
we do the units ourselves.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Signal

_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def format_duration(ns: float, *, signed: bool = False) -> str:
    """A duration in the largest unit it reaches, 3 significant decimals at most."""
    a = abs(ns)
    for scale, unit in _UNITS:
        if a >= scale or scale == 1.0:
            v = ns / scale
            text = f"{v:.3f}".rstrip("0").rstrip(".") if scale > 1 else f"{v:.0f}"
            if signed and ns > 0:
                text = "+" + text
            return f"{text} {unit}"
    raise AssertionError  # pragma: no cover


def tick_labels(values: list[float], spacing: float, origin_ns: float = 0.0) -> list[str]:
    """Labels for ticks at ``values`` (ns) ``spacing`` ns apart, relative to ``origin_ns``."""
    rel = [v - origin_ns for v in values]
    mag = max((abs(r) for r in rel), default=0.0)
    mag = max(mag, spacing)
    scale, unit = next(((s, u) for s, u in _UNITS if mag >= s), (1.0, "ns"))
    step = spacing / scale
    decimals = 0 if step >= 1 else min(9, max(0, math.ceil(-math.log10(step) - 1e-9)))
    signed = origin_ns != 0
    out = []
    for r in rel:
        v = r / scale
        if abs(v) < 0.5 * 10**-decimals:
            v = 0.0
        text = f"{v:.{decimals}f}"
        if signed and v > 0:
            text = "+" + text
        out.append(f"{text} {unit}")
    return out


class TimeAxisItem(pg.AxisItem):
    """An ``AxisItem`` for ns values with unit-aware labels and a movable origin."""

    origin_changed = Signal(float)

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self._origin_ns = 0.0

    @property
    def origin_ns(self) -> float:
        return self._origin_ns

    def set_origin(self, origin_ns: float) -> None:
        """Show labels relative to ``origin_ns`` (0 = trace start)."""
        origin_ns = float(origin_ns)
        if origin_ns == self._origin_ns:
            return
        self._origin_ns = origin_ns
        self.picture = None  # pyqtgraph's cached drawing of the axis
        self.update()
        self.origin_changed.emit(origin_ns)

    # pyqtgraph override (camelCase).
    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return tick_labels(list(values), spacing * scale, self._origin_ns)
