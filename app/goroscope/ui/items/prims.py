"""``RectArray``: many ``QRectF`` filled from numpy for one ``QPainter.drawRects`` call.

Building a Python list of ``QRectF`` costs ~0.7 µs per rect and the binding
repacks it again; pyqtgraph's ``PrimitiveArray(QRectF, 4)`` instead keeps the
rects in a numpy ``(n, 4)`` float64 buffer that ``drawRects`` reads directly
(10k rects: 0.03 ms to fill, 1.7 ms to draw, STYLE §3.1). ``PrimitiveArray`` is
pyqtgraph-internal ("not part of the public API"), so this wrapper is the only
place that touches it; pyqtgraph is pinned, this module is tested, and if the
import or the layout ever changes we fall back to a ``[QRectF]`` list
(slower, same result). GUI thread only (it holds Qt objects).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

try:  # NOTE: pyqtgraph-internal; pinned to pyqtgraph==0.14.0 in pyproject.toml
    from pyqtgraph.Qt.internals import PrimitiveArray as _PrimitiveArray
except ImportError:  # pragma: no cover - depends on pyqtgraph's internals
    _PrimitiveArray = None


class RectArray:
    """A reusable batch of rectangles (x, y, w, h) for ``drawRects``.

    Parameters
    ----------
    use_primitive_array : bool, optional
        ``False`` forces the ``[QRectF]`` fallback (tests check both paths agree).
    """

    def __init__(self, use_primitive_array: bool = True) -> None:
        self._prim = None
        if use_primitive_array and _PrimitiveArray is not None:
            try:
                self._prim = _PrimitiveArray(QRectF, 4)
            except Exception:  # noqa: BLE001 - any change in the internal API → fallback
                self._prim = None
        self._rects: list[QRectF] = []
        self._n = 0

    @property
    def uses_primitive_array(self) -> bool:
        return self._prim is not None

    def __len__(self) -> int:
        return self._n

    def set(
        self,
        x: NDArray[np.floating],
        y: NDArray[np.floating],
        w: NDArray[np.floating],
        h: NDArray[np.floating] | float,
    ) -> None:
        """Replace the contents with rects ``(x[i], y[i], w[i], h[i])`` (same length; h may be scalar)."""
        n = len(x)
        self._n = n
        if self._prim is not None:
            self._prim.resize(n)
            buf = self._prim.ndarray()
            buf[:, 0] = x
            buf[:, 1] = y
            buf[:, 2] = w
            buf[:, 3] = h
        else:
            hh = np.broadcast_to(np.asarray(h, np.float64), (n,))
            self._rects = [
                QRectF(float(a), float(b), float(c), float(d))
                for a, b, c, d in zip(x, y, w, hh, strict=True)
            ]

    def to_numpy(self) -> NDArray[np.float64]:
        """(n, 4) float64 copy of the rects (for tests and hit bookkeeping)."""
        if self._prim is not None:
            return np.array(self._prim.ndarray(), dtype=np.float64)
        return np.array(
            [[r.x(), r.y(), r.width(), r.height()] for r in self._rects], np.float64
        ).reshape(-1, 4)

    def draw(self, painter: QPainter) -> None:
        """One ``drawRects`` call with the painter's current pen and brush."""
        if self._n == 0:
            return
        if self._prim is not None:
            painter.drawRects(*self._prim.drawargs())
        else:
            painter.drawRects(self._rects)
