"""StateStripItem: stacked per-bin state counts of a collapsed group."""

from __future__ import annotations

import numpy as np
import pytest

from goroscope.lod.raster import stacked_strip
from goroscope.lod.viewport import Viewport
from goroscope.ui.items.state_strip import StateStripItem
from goroscope.ui.theme import Palette

pytestmark = pytest.mark.gui


def test_strip_pixels_stack_bottom_up():
    times = np.array([[30, 10, 0], [0, 0, 0], [0, 20, 20]], np.int64)  # 3 bins, 3 states
    lut = np.array([1, 2, 3, 0], np.uint32)  # 0 = background
    px = stacked_strip(times, scale=40, height_px=4, lut=lut)
    assert px[:, 0].tolist() == [2, 1, 1, 1]  # 30/40 of state 0 at the bottom, then state 1
    assert px[:, 1].tolist() == [0, 0, 0, 0]
    assert px[:, 2].tolist() == [3, 3, 2, 2]


def test_item_counts_goroutines_per_state(qapp):
    rows = [
        (np.array([0, 50], np.int64), np.array([50, 100], np.int64), np.array([0, 1], np.uint8)),
        (np.array([0], np.int64), np.array([100], np.int64), np.array([1], np.uint8)),
    ]
    item = StateStripItem(lambda: rows, Palette().default_table(), 100)
    t0, bin_ns, times = item.times(Viewport(0, 100, 100))  # 1 ns per px → 1 ns bins
    assert (t0, bin_ns) == (0, 1)
    counts = item.mean_counts_at(10)
    assert counts[0] == 1
    assert counts[1] == 1
    assert item.mean_counts_at(75)[1] == 2


def test_sums_in_the_background(qtbot):
    from goroscope.jobs import ThreadExecutor
    from goroscope.ui.bridge import JobBridge

    rows = [
        (np.array([0, 50], np.int64), np.array([50, 100], np.int64), np.array([0, 1], np.uint8))
    ] * 3
    item = StateStripItem(lambda: rows, Palette().default_table(), 100)
    bridge = JobBridge(ThreadExecutor())
    item.set_background(bridge)
    vp = Viewport(0, 100, 100)
    assert item.times(vp)[2].shape[0] == 0  # nothing yet: the job runs
    assert item.sums_pending()
    with qtbot.waitSignal(bridge.finished, timeout=5000):
        pass
    assert item.times(vp)[2][10].tolist()[:2] == [3, 0]  # 3 rows running in bin 10
