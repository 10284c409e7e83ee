"""Standalone level of detail for drawing millions of spans (numpy/numba only).

``viewport`` (the per-frame value object, power-of-two resolution, buffered
bounds), ``merge`` (sub-pixel runs, the design essay), ``raster`` (colour of a
merged run by content). Imports nothing else from goroscope (import-linter).
"""

from goroscope.lod.merge import merge_spans, window
from goroscope.lod.raster import (
    StateTimeAccumulator,
    dominant_state,
    run_state_durations,
    state_time_per_bin,
)
from goroscope.lod.viewport import BufferedBounds, Viewport, resolution_for

__all__ = [
    "BufferedBounds",
    "StateTimeAccumulator",
    "Viewport",
    "dominant_state",
    "merge_spans",
    "resolution_for",
    "run_state_durations",
    "state_time_per_bin",
    "window",
]
