"""The per-frame view value object and its power-of-two resolution (any thread; pure).

A :class:`Viewport` is what one frame of a timeline shows: the visible time range
``[t0_ns, t1_ns)`` (ns since trace start) drawn over ``width_px`` device pixels.
Everything the level-of-detail step needs is derived from it:

* ``ns_per_px`` — worked out from the range and the pixel width, never from
  pyqtgraph's ``pixelWidth()`` (stale inside ``viewRangeChanged``, STYLE §3.3).
* ``resolution_ns`` — ``2**floor(log2(ns_per_px))`` (Perfetto's
  ``calculateResolution``), clamped to ≥ 1 ns. Zooming inside one octave keeps it,
  so caches keyed by it stay valid.
* :meth:`Viewport.merge_min_ns` — the merge threshold of ``lod.merge_spans``:
  ``min_px`` pixels measured at *twice* the resolution, i.e. between ``min_px``
  and ``2 * min_px`` device pixels. Same octave → same threshold → the same runs.
* :meth:`Viewport.buffered` — Perfetto's ``BufferedBounds``: three times the
  visible width (one width of slack each side), quantised outwards to the
  resolution. A cache computed for those bounds stays valid while panning inside
  them; :meth:`BufferedBounds.serves` says whether it can serve a new viewport,
  with hysteresis on the resolution (pyqtgraph's ``autoDownsample`` idea) so a
  zoom oscillating around an octave boundary does not recompute every frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Relative slack before a cached resolution is abandoned (10 %).
RESOLUTION_SLACK = 0.1


def resolution_for(ns_per_px: float) -> int:
    """``2**floor(log2(ns_per_px))`` as an int ≥ 1 (exact for powers of two)."""
    if not ns_per_px > 0 or not math.isfinite(ns_per_px):
        raise ValueError(f"ns_per_px must be finite and > 0, got {ns_per_px!r}")
    mant, exp = math.frexp(ns_per_px)  # ns_per_px = mant * 2**exp, 0.5 <= mant < 1
    return 1 << (exp - 1) if exp >= 1 else 1


@dataclass(frozen=True, slots=True)
class BufferedBounds:
    """A time range a cache was computed for, and the resolution it used.

    ``t0_ns``/``t1_ns`` are multiples of ``resolution_ns``.
    """

    t0_ns: int
    t1_ns: int
    resolution_ns: int

    def contains(self, t0_ns: float, t1_ns: float) -> bool:
        """Whether ``[t0_ns, t1_ns]`` lies inside the bounds."""
        return self.t0_ns <= t0_ns and t1_ns <= self.t1_ns

    def serves(self, vp: Viewport, slack: float = RESOLUTION_SLACK) -> bool:
        """Whether a cache for these bounds can draw ``vp`` unchanged.

        True when ``vp`` lies inside the bounds and its ns/px is within the
        cached octave ``[r, 2r)`` widened by ``slack`` on both sides.
        """
        r = self.resolution_ns
        lo = r * (1.0 - slack) if r > 1 else 0.0
        return self.contains(vp.t0_ns, vp.t1_ns) and lo <= vp.ns_per_px < 2 * r * (1.0 + slack)


@dataclass(frozen=True, slots=True)
class Viewport:
    """One frame's visible range.

    Parameters
    ----------
    t0_ns, t1_ns : float
        Visible time range, ns since trace start, ``t0_ns < t1_ns``.
    width_px : float
        Device pixels the range is drawn over, > 0.
    """

    t0_ns: float
    t1_ns: float
    width_px: float

    def __post_init__(self) -> None:
        if not (self.t1_ns > self.t0_ns):
            raise ValueError(f"empty viewport [{self.t0_ns}, {self.t1_ns})")
        if not (self.width_px > 0):
            raise ValueError(f"width_px must be > 0, got {self.width_px}")

    @property
    def ns_per_px(self) -> float:
        """Nanoseconds per device pixel."""
        return (self.t1_ns - self.t0_ns) / self.width_px

    @property
    def resolution_ns(self) -> int:
        """``2**floor(log2(ns_per_px))``, at least 1."""
        return resolution_for(self.ns_per_px)

    def merge_min_ns(self, min_px: float = 2.0, resolution_ns: int | None = None) -> int:
        """The ``min_ns`` for ``lod.merge_spans``: ``min_px`` pixels at twice the resolution.

        That is ``min_px``..``2*min_px`` device pixels (more when zoomed in below
        1 ns/px, where the resolution is clamped to 1 ns). 0 disables merging.
        """
        r = self.resolution_ns if resolution_ns is None else resolution_ns
        if self.ns_per_px < 0.5:
            return 0  # every ns spans ≥ 2 px: nothing is sub-pixel
        return int(math.ceil(min_px * 2 * r))

    def buffered(self, factor: int = 3, resolution_ns: int | None = None) -> BufferedBounds:
        """``factor`` × the visible width, centred, quantised outwards to the resolution."""
        r = self.resolution_ns if resolution_ns is None else resolution_ns
        w = self.t1_ns - self.t0_ns
        pad = w * (factor - 1) / 2
        t0 = math.floor((self.t0_ns - pad) / r) * r
        t1 = math.ceil((self.t1_ns + pad) / r) * r
        return BufferedBounds(int(t0), int(t1), r)

    def x_px(self, t_ns: float) -> float:
        """Device x (relative to the left edge) of time ``t_ns``."""
        return (t_ns - self.t0_ns) / self.ns_per_px

    def t_ns(self, x_px: float) -> float:
        """Time at device x ``x_px``."""
        return self.t0_ns + x_px * self.ns_per_px
