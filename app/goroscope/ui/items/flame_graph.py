"""FlameGraphItem / FlameGraphView: an icicle flame graph (GUI thread only).

The item draws a ``FlameData`` (flat arrays: ``name``, ``file``, ``parent``, ``depth``,
``x0``, ``width``, ``value``, ``self_value``, ``total``, ``max_depth``; built by
:mod:`goroscope.ui.models.flame_data`, which items do not import — sibling layers):
node ``i`` occupies ``x ∈ [x0, x0 + width)`` (value units) and ``y ∈ [depth,
depth + 1)`` (rows; the root on top, the view's y axis inverted). Each frame:

1. the visible nodes — overlapping the view's x range, at least ``MIN_PX`` wide,
   on visible rows — are picked with numpy (bounded by pixels: a node narrower
   than a pixel is skipped, its parent is drawn);
2. one ``RectArray``/``drawRects`` per colour in *device* coordinates (the painter
   transform reset, STYLE §4.5.6), colours by Go package (``runtime`` greys,
   others a palette hashed from the package path);
3. labels (elided function names) on nodes at least ``LABEL_MIN_PX`` wide and with
   room for a few characters (``LABEL_MIN_CHARS``). Qt's ``elidedText`` lays the text
   out each call (~8 ms a frame for the labels of 13 k CPU samples' stacks), so the
   labels are cached: each name's full width once, and an elided name per (name,
   width rounded down to ``LABEL_BUCKET_PX``) — a repaint, a hover or a pan measures
   nothing again.

Interaction: a left click selects a frame (``node_clicked(node)``) and zooms the x
range to it; a double click or :meth:`FlameGraphView.reset_zoom` shows everything;
hovering shows a tooltip (function, file:line, value, share of the total, self).
Hit testing (:meth:`FlameGraphItem.node_at`) is on the data, independent of zoom.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QStaticText, QTransform
from PySide6.QtWidgets import QGraphicsView, QSizePolicy

from goroscope.ui.items.prims import RectArray

__all__ = ["FlameGraphItem", "FlameGraphView"]

#: rows are this tall (device px)
ROW_PX = 18
#: nodes narrower than this (device px) are not drawn
MIN_PX = 0.5
#: nodes at least this wide get a label
LABEL_MIN_PX = 24.0
#: … and only when this many average characters plus "…" fit (a 1–2 letter stub says
#: nothing and cost as much to elide as a whole label)
LABEL_MIN_CHARS = 3
#: an elided label is cut to its width rounded down to a multiple of this (px): the
#: label cache's key, so neighbouring widths share one ``elidedText``
LABEL_BUCKET_PX = 8
#: the name caches (widths, elided names) are dropped when they hold more entries than
#: this (a few MB of strings at most)
LABEL_CACHE_MAX = 50_000
#: the laid-out labels (``QStaticText``, glyph positions: ~1 KB each) likewise; a frame
#: draws at most 3,000 labels
STATIC_CACHE_MAX = 8_192

_PALETTE = (
    "#e8a15c",
    "#e07b53",
    "#d9b45a",
    "#c98c3f",
    "#e6c47a",
    "#d8745f",
    "#efa86a",
    "#cfa45f",
    "#e39a7b",
    "#d6bb6e",
    "#f0b060",
    "#c9835d",
)
_RUNTIME = "#9aa7b5"
_ROOT = "#b8b8b8"


def package_of(func: str) -> str:
    """Go package path of a function name (``net/http.(*conn).serve`` → ``net/http``)."""
    slash = func.rfind("/")
    dot = func.find(".", slash + 1)
    return func[:dot] if dot > 0 else func


def color_index(names: tuple[str, ...]) -> np.ndarray:
    """Colour slot per node: 0 root, 1 runtime/internal, 2.. a palette hashed by package."""
    out = np.empty(len(names), np.int64)
    for i, n in enumerate(names):
        pkg = package_of(n)
        if i == 0:
            out[i] = 0
        elif pkg in ("runtime", "syscall") or pkg.startswith(("runtime/", "internal/")):
            out[i] = 1
        else:
            out[i] = 2 + zlib.crc32(pkg.encode()) % len(_PALETTE)
    return out


class FlameGraphItem(pg.GraphicsObject):
    """Draws one ``FlameData`` (see the module doc)."""

    node_clicked = Signal(int)
    node_double_clicked = Signal(int)

    def __init__(self, value_label=None) -> None:
        super().__init__()
        self._data: object | None = None
        self._colors = [QColor(_ROOT), QColor(_RUNTIME), *(QColor(c) for c in _PALETTE)]
        self._slot = np.zeros(0, np.int64)
        self._arrays: dict[int, RectArray] = {}
        self._selected = -1
        self._hover = -1
        self._font = QFont()
        self._font.setPixelSize(11)
        self._fm = QFontMetrics(self._font)
        self._min_label_px = (
            self._fm.averageCharWidth() * LABEL_MIN_CHARS + self._fm.horizontalAdvance("…")
        )
        self._text_h = self._fm.height()
        self._full_px: dict[str, int] = {}  # name → its width (px)
        self._elided: dict[tuple[str, int], str] = {}  # (name, width bucket) → label
        self._static: dict[str, QStaticText] = {}  # label → its laid-out glyphs
        #: (node, label) of the last paint, and the paints so far (tests, benches)
        self.drawn_labels: list[tuple[int, str]] = []
        self.paint_count = 0
        self._value_label = value_label or (lambda v: f"{v:,}")
        self.drawn_rect_count = 0
        self.setAcceptHoverEvents(True)

    # -- data ---------------------------------------------------------------------------
    def set_data(self, data: object | None) -> None:
        self.prepareGeometryChange()
        self._data = data
        self._selected = -1
        self._hover = -1
        self._slot = color_index(data.name) if data is not None and len(data) else np.zeros(0)
        if data is not None and len(data):
            # per depth, nodes sorted by x0 (for node_at)
            self._order = np.lexsort((data.x0, data.depth))
            self._depth_bounds = np.searchsorted(
                data.depth[self._order], np.arange(data.max_depth + 2)
            )
        self.update()

    @property
    def data(self) -> object | None:
        return self._data

    def set_selected(self, node: int) -> None:
        self._selected = node
        self.update()

    @property
    def selected(self) -> int:
        return self._selected

    def node_at(self, x: float, y: float) -> int:
        """The node drawn at view position (x value units, y rows), or -1."""
        d = self._data
        if d is None or len(d) == 0 or y < 0:
            return -1
        depth = int(y)
        if depth > d.max_depth:
            return -1
        a, b = int(self._depth_bounds[depth]), int(self._depth_bounds[depth + 1])
        nodes = self._order[a:b]
        i = int(np.searchsorted(d.x0[nodes], x, side="right")) - 1
        if i < 0:
            return -1
        n = int(nodes[i])
        return n if x < d.x0[n] + d.width[n] else -1

    def tooltip(self, node: int) -> str:
        d = self._data
        if d is None or not 0 <= node < len(d):
            return ""
        total = max(d.total, 1)
        v, s = int(d.value[node]), int(d.self_value[node])
        lines = [d.name[node]]
        if d.file[node]:
            lines.append(d.file[node])
        lines.append(f"{self._value_label(v)} ({100.0 * v / total:.1f} % of the total)")
        if s:
            lines.append(f"self {self._value_label(s)}")
        return "\n".join(lines)

    def label(self, name: str, avail: int) -> str:
        """``name`` as drawn in ``avail`` px: whole when it fits, else elided to ``avail``
        rounded down to ``LABEL_BUCKET_PX``; "" when not even a few characters fit
        (cached: see the module doc)."""
        full = self._full_px.get(name)
        if full is None:
            if len(self._full_px) >= LABEL_CACHE_MAX:
                self._full_px.clear()
            full = self._full_px[name] = self._fm.horizontalAdvance(name)
        if full <= avail:
            return name
        bucket = avail - avail % LABEL_BUCKET_PX
        if bucket < self._min_label_px:
            return ""
        key = (name, bucket)
        text = self._elided.get(key)
        if text is None:
            if len(self._elided) >= LABEL_CACHE_MAX:
                self._elided.clear()
            text = self._fm.elidedText(name, Qt.TextElideMode.ElideRight, bucket)
            if text == "…":
                text = ""
            self._elided[key] = text
        return text

    # -- Qt / pyqtgraph overrides -------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        d = self._data
        if d is None or len(d) == 0:
            return QRectF(0, 0, 1, 1)
        return QRectF(0.0, 0.0, float(max(d.total, 1)), float(d.max_depth + 1))

    def paint(self, p: QPainter, *args) -> None:
        d = self._data
        vb = self.getViewBox()
        self.drawn_rect_count = 0
        self.drawn_labels = []
        self.paint_count += 1
        if d is None or len(d) == 0 or vb is None:
            return
        (vx0, vx1), (vy0, vy1) = vb.viewRange()
        tr = p.worldTransform()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        if vx1 <= vx0 or sx == 0:
            return
        w_px = d.width * abs(sx)
        vis = (
            (d.x0 + d.width > vx0)
            & (d.x0 < vx1)
            & (w_px >= MIN_PX)
            & (d.depth + 1 > vy0)
            & (d.depth < vy1)
        )
        idx = np.flatnonzero(vis)
        if len(idx) == 0:
            return
        left, right = sorted((vx0 * sx + dx, vx1 * sx + dx))
        xs = np.clip(d.x0[idx] * sx + dx, left - 2, right + 2)
        xe = np.clip((d.x0[idx] + d.width[idx]) * sx + dx, left - 2, right + 2)
        ya = d.depth[idx] * sy + dy
        yb = (d.depth[idx] + 1) * sy + dy
        top = np.minimum(ya, yb)
        h = float(abs(sy))
        w = np.maximum(xe - xs - 1.0, 1.0)  # a 1 px gap between siblings
        hh = max(h - 1.0, 1.0)
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        slots = self._slot[idx]
        for s in np.unique(slots):
            sel = slots == s
            arr = self._arrays.setdefault(int(s), RectArray())
            arr.set(xs[sel], top[sel], w[sel], hh)
            p.setBrush(self._colors[int(s)])
            arr.draw(p)
        self.drawn_rect_count = len(idx)
        # labels
        if hh >= 9:
            p.setFont(self._font)
            p.setPen(QColor("#1a1a1a"))
            lab = np.flatnonzero(w >= max(LABEL_MIN_PX, self._min_label_px + 6))
            names, drawn, statics = d.name, self.drawn_labels, self._static
            dy_text = (hh - self._text_h) / 2  # vertically centred
            for j in lab[:3000].tolist():
                avail = int(w[j]) - 6
                node = int(idx[j])
                text = self.label(names[node], avail)
                if text:
                    st = statics.get(text)
                    if st is None:
                        if len(statics) >= STATIC_CACHE_MAX:
                            statics.clear()
                        st = statics[text] = QStaticText(text)
                        st.setTextFormat(Qt.TextFormat.PlainText)
                        st.prepare(QTransform(), self._font)
                    p.drawStaticText(QPointF(float(xs[j]) + 3, float(top[j]) + dy_text), st)
                    drawn.append((node, text))
        for node, color, width in ((self._hover, "#202020", 1.0), (self._selected, "#0050c8", 2.0)):
            if 0 <= node < len(d):
                xa = min(max(d.x0[node] * sx + dx, left - 3), right + 3)
                xb = min(max((d.x0[node] + d.width[node]) * sx + dx, left - 3), right + 3)
                ya = d.depth[node] * sy + dy
                pen = QPen(QColor(color))
                pen.setWidthF(width)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(min(xa, xb), min(ya, ya + sy), max(abs(xb - xa) - 1, 1), hh))
        p.restore()

    def hoverEvent(self, ev) -> None:  # noqa: N802
        if ev.isExit():
            node = -1
        else:
            pos = ev.pos()
            node = self.node_at(pos.x(), pos.y())
        if node != self._hover:
            self._hover = node
            self.setToolTip(self.tooltip(node))
            self.update()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.pos()
        node = self.node_at(pos.x(), pos.y())
        if node < 0:
            return
        ev.accept()
        if ev.double():
            self.node_double_clicked.emit(node)
        else:
            self.node_clicked.emit(node)


class FlameGraphView(pg.GraphicsView):
    """A view of one :class:`FlameGraphItem`: rows ``ROW_PX`` tall (the widget's minimum
    height follows the depth; put it in a scroll area), x zooms with the wheel and on
    a click to the clicked frame; a double click on the root or empty space resets.

    Signals: ``node_clicked(int)`` (a frame was clicked: it is selected and zoomed to).
    """

    node_clicked = Signal(int)

    def __init__(self, parent=None, value_label=None) -> None:
        super().__init__(parent)
        self.setBackground(None)
        self.vb = pg.ViewBox(enableMenu=False)
        self.vb.invertY(True)
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.setDefaultPadding(0.0)
        self.setCentralItem(self.vb)
        self.item = FlameGraphItem(value_label)
        self.vb.addItem(self.item)
        self.item.node_clicked.connect(self._on_node_clicked)
        self.item.node_double_clicked.connect(self._on_node_double_clicked)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(ROW_PX * 4)
        self.set_data(None)

    def set_data(self, data: object | None) -> None:
        self.item.set_data(data)
        depth = (data.max_depth + 1) if data is not None and len(data) else 1
        self.setFixedHeight(max(ROW_PX * 4, depth * ROW_PX + 4))
        total = float(max(data.total, 1)) if data is not None and len(data) else 1.0
        self.vb.setLimits(xMin=0.0, xMax=total, minXRange=total * 1e-9 + 1e-12)
        self.vb.setYRange(0, max(depth, 4) * (1.0 if depth >= 4 else 1.0), padding=0)
        self.reset_zoom()

    def reset_zoom(self) -> None:
        d = self.item.data
        total = float(max(d.total, 1)) if d is not None and len(d) else 1.0
        self.vb.setXRange(0.0, total, padding=0)

    def zoom_to(self, node: int) -> None:
        d = self.item.data
        if d is None or not 0 <= node < len(d):
            return
        self.vb.setXRange(float(d.x0[node]), float(d.x0[node] + d.width[node]), padding=0)

    def select(self, node: int, *, zoom: bool = True) -> None:
        """Select (outline) and optionally zoom to ``node``; emits ``node_clicked``."""
        self.item.set_selected(node)
        if zoom:
            if node <= 0:
                self.reset_zoom()
            else:
                self.zoom_to(node)
        self.node_clicked.emit(node)

    def view_pos_of(self, node: int) -> QPointF:
        """Widget position of the middle of ``node`` as drawn now (for tests)."""
        d = self.item.data
        (vx0, vx1), _ = self.vb.viewRange()
        x = float(np.clip(d.x0[node] + d.width[node] / 2, vx0, vx1))
        x = min(max(x, float(d.x0[node])), float(d.x0[node] + d.width[node]))
        scene = self.vb.mapViewToScene(QPointF(x, float(d.depth[node]) + 0.5))
        return self.mapFromScene(scene)

    def _on_node_clicked(self, node: int) -> None:
        self.select(node)

    def _on_node_double_clicked(self, node: int) -> None:
        self.select(0 if node >= 0 else -1)

    def close(self) -> bool:
        # pyqtgraph's GraphicsView.close() calls setViewport(None), which crashes
        # PySide6 6.11 (segfault); a plain widget close is all we need.
        return QGraphicsView.close(self)

    def resizeEvent(self, ev) -> None:  # noqa: N802
        super().resizeEvent(ev)
        if not hasattr(self, "item"):  # GraphicsView.__init__ resizes before we exist
            return
        d = self.item.data
        depth = (d.max_depth + 1) if d is not None and len(d) else 1
        self.vb.setYRange(0, max(depth, (self.height() - 4) / ROW_PX), padding=0)
