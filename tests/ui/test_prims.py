"""RectArray: PrimitiveArray and the [QRectF] fallback fill and draw the same rects."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

from goroscope.ui.items.prims import RectArray

pytestmark = pytest.mark.gui


def _render(arr: RectArray) -> QImage:
    img = QImage(64, 32, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.white)
    p = QPainter(img)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#3f9a4a"))
    arr.draw(p)
    p.end()
    return img


def test_pyqtgraph_primitive_array_is_used():
    """Pinned pyqtgraph still has the internal PrimitiveArray (else we'd be on the slow path)."""
    assert RectArray().uses_primitive_array


@pytest.mark.parametrize("fast", [True, False])
def test_fill_and_draw(qapp, fast):
    arr = RectArray(use_primitive_array=fast)
    x = np.array([1.0, 10.0, 30.0])
    arr.set(x, np.array([2.0, 2.0, 20.0]), np.array([4.0, 8.0, 20.0]), 6.0)
    assert len(arr) == 3
    np.testing.assert_array_equal(arr.to_numpy()[:, 0], x)
    img = _render(arr)
    assert img.pixelColor(2, 3) == QColor("#3f9a4a")
    assert img.pixelColor(6, 3) == QColor(Qt.GlobalColor.white)
    assert img.pixelColor(35, 25) == QColor("#3f9a4a")


def test_paths_agree_and_resize(qapp):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 60, 200), rng.uniform(0, 30, 200)
    w = rng.uniform(0, 5, 200)
    fast, slow = RectArray(True), RectArray(False)
    for arr in (fast, slow):
        arr.set(x, y, w, 2.0)
    assert _render(fast) == _render(slow)
    fast.set(x[:5], y[:5], w[:5], 1.0)  # shrink in place
    assert len(fast) == 5
    assert fast.to_numpy().shape == (5, 4)
    fast.set(np.array([]), np.array([]), np.array([]), 1.0)
    _render(fast)  # empty draws nothing
