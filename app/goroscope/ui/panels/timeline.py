"""TimelinePanel: rows of state spans on one shared time axis, with navigation (GUI thread only).

Rows come from a :class:`TimelineSource` (any object with the methods below —
the demo source, and later the wiring over ``goroscope.model.spans``). One
:class:`~goroscope.ui.items.span_track.SpanTrackItem` draws all rows; the view
shows ``ROW_PX``-high rows, the vertical scroll bar (or Shift+wheel) moves
through them, and the y axis labels the visible rows only.

Navigation (also listed by ``?``):

==================  =====================================================
wheel               zoom at the cursor
drag                pan
W / S               zoom in / out (at the cursor when it is over the plot)
A / D               pan left / right by a fifth of the view
Ctrl+drag           zoom to the dragged range
Shift+drag          select a time range and the rows dragged over (time per state below)
click               select the span under the cursor (SelectionModel)
click a header      expand / collapse its group (goroutines, threads)
Esc                 cancel a running sort / layout, else clear the selection
F                   fit the selection
Home                fit the whole trace
O / Shift+O         put the axis origin at the cursor (else at the selection's start) /
                    reset it; tooltips and the status line then give times from it
Ctrl+Z / Ctrl+Y     undo / redo the view
Shift+wheel         scroll rows
?                   this list
==================  =====================================================

The panel writes only to the :class:`~goroscope.ui.selection.SelectionModel` and
follows it (highlight, range band); it calls no other panel.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QScrollBar,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from goroscope.jobs import JobCancelled
from goroscope.lod.viewport import Viewport
from goroscope.ui.bridge import JobBridge
from goroscope.ui.items.aggregate_rows import AggregateRowsItem
from goroscope.ui.items.span_track import PreparedRows, SpanTrackItem
from goroscope.ui.items.state_strip import StateStripItem
from goroscope.ui.items.state_time import state_time_job
from goroscope.ui.items.tick_rows import TickRowsItem
from goroscope.ui.items.time_axis import TimeAxisItem, format_duration
from goroscope.ui.selection import (
    GoroutineRef,
    Selection,
    SelectionModel,
    SpanRef,
    TaskRef,
    TimeRange,
)
from goroscope.ui.theme import FAMILY_NAMES, LegendWidget, Palette, StateFamily, never_raises

#: Width of the row-name axis (px).
ROW_AXIS_PX = 250
#: Height of one row in device pixels.
ROW_PX = 18
#: Pan step of A/D (fraction of the visible width) and zoom factor of W/S.
PAN_FRACTION = 0.2
ZOOM_FACTOR = 0.7
#: Smallest visible range (ns).
MIN_RANGE_NS = 100
#: The view must rest this long before collapsed strips get finer bins (a job).
REFINE_SETTLE_MS = 250
#: A revealed span narrower than this (device px) is zoomed to.
REVEAL_MIN_PX = 2.0
#: A pause in continuous navigation (wheel, drag) after which the view is recorded for undo.
HISTORY_SETTLE_MS = 400

SHORTCUTS: list[tuple[str, str]] = [
    ("wheel", "zoom at the cursor"),
    ("drag", "pan"),
    ("W / S", "zoom in / out"),
    ("A / D", "pan left / right"),
    ("Ctrl+drag", "zoom to the dragged range"),
    ("Shift+drag", "select a time range and rows (time per state below)"),
    ("click", "select the span under the cursor"),
    ("click a ▸ / ▾ header", "expand / collapse its group"),
    ("Esc", "cancel a running sort / layout, else clear the selection"),
    ("F", "fit the selection"),
    ("Home", "fit the whole trace"),
    ("O / Shift+O", "time origin at the cursor (or the selection's start) / reset"),
    ("Ctrl+Z / Ctrl+Y", "undo / redo the view"),
    ("Shift+wheel", "scroll rows"),
    ("?", "show this list"),
]


def _no_si_prefix(plot: pg.PlotWidget) -> None:
    """Turn off every axis's auto SI prefix (GUI thread).

    Our axes have no unit labels, so the prefix is never shown; but pyqtgraph
    re-lays out each axis label on every range change for it (~1 ms per axis,
    ~0.1 s of GUI-thread time per trace load, measured with cProfile).
    """
    pi = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        pi.getAxis(name).enableAutoSIPrefix(False)


#: Up to this many regions the task → goroutines index is built on the GUI thread.
TASK_INDEX_SYNC = 50_000


def task_region_index(task_id: NDArray, g_idx: NDArray) -> tuple[NDArray, NDArray]:
    """Regions with a goroutine sorted by task id: ``(task ids ascending, goroutine of
    each)``, so a task's goroutines are one ``searchsorted`` window (pure: run in a job —
    a mask over 2.1 M regions per task selection cost 11–27 ms of GUI thread)."""
    ok = g_idx >= 0
    tids = np.asarray(task_id)[ok]
    order = np.argsort(tids, kind="stable")
    return tids[order], np.asarray(g_idx)[ok][order]


def _eager_matrix(vb: pg.ViewBox) -> None:
    """Apply a view box's new range to its items at once, not in the next paint (GUI thread).

    pyqtgraph defers the view transform to ``prepareForPaint``, i.e. into the paint
    itself; changing every item's transform there marks them dirty again, so each
    range change (a pan step, a snapshot widening the view) painted every plot
    **twice** (measured: a pan repainted the 4 plots twice, 20–26 ms of GUI time;
    once with this, 9–10 ms).
    """
    vb.sigRangeChanged.connect(vb.updateMatrix)


@dataclass(frozen=True, slots=True)
class ViewHint:
    """The timeline's view as a job sees it (see :meth:`TimelinePanel.view_hint`).

    t0_ns, t1_ns : visible time; width_px : the plot's width; follow_all : the
    view shows the whole trace (a newer snapshot widens it to its duration);
    row_lo, row_hi : visible rows ``[row_lo, row_hi)``.
    """

    t0_ns: float
    t1_ns: float
    width_px: float
    follow_all: bool
    row_lo: int
    row_hi: int

    def viewport_for(self, duration_ns: int) -> Viewport | None:
        """The viewport the view will show once a snapshot of ``duration_ns`` is swapped in."""
        t0, t1 = (0.0, float(duration_ns)) if self.follow_all else (self.t0_ns, self.t1_ns)
        if t1 > duration_ns:  # show_range clamps to the trace
            w = min(t1 - t0, float(duration_ns))
            t0, t1 = max(0.0, duration_ns - w), float(duration_ns)
        if not t1 > t0:
            return None
        return Viewport(t0, t1, self.width_px)


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One timeline row: its label and which resource its spans belong to."""

    label: str
    kind: str = "goroutine"
    resource_idx: int = -1


class TimelineSource(Protocol):
    """What the timeline reads. ``spans(row)`` may be computed lazily; it is called for visible rows."""

    def duration_ns(self) -> int: ...

    def rows(self) -> Sequence[RowSpec]: ...

    def spans(
        self, row: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.integer]]: ...

    def state_families(self) -> Sequence[StateFamily]:
        """Colour family per state code."""
        ...

    def span_label(self, row: int, span_idx: int) -> str | Sequence[str]:
        """Label of a wide span, or candidates longest first."""
        ...


class ViewHistory:
    """Undo/redo stack of view ranges ``(t0, t1, top_row)``."""

    def __init__(self, limit: int = 200) -> None:
        self._items: list[tuple[float, float, float]] = []
        self._idx = -1
        self._limit = limit

    def record(self, state: tuple[float, float, float]) -> None:
        if self._idx >= 0 and _same_view(self._items[self._idx], state):
            return
        del self._items[self._idx + 1 :]
        self._items.append(state)
        if len(self._items) > self._limit:
            del self._items[0]
        self._idx = len(self._items) - 1

    def undo(self) -> tuple[float, float, float] | None:
        if self._idx <= 0:
            return None
        self._idx -= 1
        return self._items[self._idx]

    def redo(self) -> tuple[float, float, float] | None:
        if self._idx >= len(self._items) - 1:
            return None
        self._idx += 1
        return self._items[self._idx]


def _same_view(a, b) -> bool:
    span = max(abs(a[1] - a[0]), 1.0)
    return abs(a[0] - b[0]) < span * 1e-6 and abs(a[1] - b[1]) < span * 1e-6 and a[2] == b[2]


class _TimelineViewBox(pg.ViewBox):
    """ViewBox with the timeline's mouse gestures (click, Ctrl/Shift+drag, Shift+wheel)."""

    def __init__(self, panel: TimelinePanel) -> None:
        super().__init__(enableMenu=False)
        self._panel = panel
        self._band: pg.LinearRegionItem | None = None

    # pyqtgraph overrides (camelCase)
    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            pt = self.mapSceneToView(ev.scenePos())
            self._panel._on_view_clicked(pt.x(), pt.y())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        mods = ev.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or not (ctrl or shift):
            super().mouseDragEvent(ev, axis)
            if ev.isFinish():
                self._panel._record_view()
            return
        ev.accept()
        a = self.mapSceneToView(ev.buttonDownScenePos()).x()
        b = self.mapSceneToView(ev.scenePos()).x()
        lo, hi = min(a, b), max(a, b)
        if self._band is None:
            brush = QColor(90, 140, 230, 50) if shift else QColor(230, 200, 60, 70)
            self._band = pg.LinearRegionItem((lo, hi), movable=False, brush=brush)
            self._band.setZValue(50)
            self.addItem(self._band, ignoreBounds=True)
        self._band.setRegion((lo, hi))
        if ev.isFinish():
            self.removeItem(self._band)
            self._band = None
            if hi > lo:
                if ctrl:
                    self._panel.show_range(lo, hi)
                else:
                    ya = self.mapSceneToView(ev.buttonDownScenePos()).y()
                    yb = self.mapSceneToView(ev.scenePos()).y()
                    self._panel.select_range(lo, hi, min(ya, yb), max(ya, yb))

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
            self._panel.scroll_rows(-3 if delta > 0 else 3)
            return
        super().wheelEvent(ev, axis)
        self._panel._schedule_record()


class _RowAxis(pg.AxisItem):
    """Left axis naming the visible rows.

    Draws the labels itself: pyqtgraph's tick-text layout drops some labels of
    densely packed ticks (a float-rounded containment test), which left every
    ninth row unnamed.
    """

    def __init__(self, panel: TimelinePanel) -> None:
        super().__init__("left")
        self._panel = panel
        self.setWidth(ROW_AXIS_PX)
        self._elided_key: tuple | None = None
        self._elided: dict[str, str] = {}

    # pyqtgraph override (camelCase)
    def paint(self, p: QPainter, *args) -> None:
        view = self.linkedView()
        if view is None:
            return
        r = self.boundingRect()
        p.setPen(self._panel.palette_.foreground)
        p.setFont(self.font() if hasattr(self, "font") else QFont())
        fm = QFontMetrics(p.font())
        _, (y0, y1) = view.viewRange()
        width = int(r.width()) - 8
        # rows map linearly to the axis' y: two points give the map
        ya = self.mapFromScene(view.mapViewToScene(QPointF(0, 0))).y()
        yb = self.mapFromScene(view.mapViewToScene(QPointF(0, 1))).y()
        step = yb - ya
        flags = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        key = (p.font().key(), width)
        if self._elided_key != key or len(self._elided) > 4096:
            self._elided_key, self._elided = key, {}
        elided = self._elided  # label → its elided text at this width and font
        for row in range(max(0, int(y0)), min(self._panel.row_count(), int(math.ceil(y1)))):
            top = ya + row * step
            label = self._panel.row_label(row)
            text = elided.get(label)
            if text is None:
                text = elided[label] = fm.elidedText(label, Qt.TextElideMode.ElideMiddle, width)
            p.drawText(QRectF(r.left(), min(top, top + step), width, abs(step)), flags, text)


class TimelinePanel(QWidget):
    """The timeline: rows of spans, a time axis, navigation, hover and selection.

    Parameters
    ----------
    source : TimelineSource
        Rows and spans.
    selection : SelectionModel
        Shared selection (written on click / Shift+drag, followed on change).
    palette : Palette, optional
        Colours (light theme by default).
    bridge : JobBridge, optional
        When given, merges touching more than ``BACKGROUND_BUDGET_SPANS`` spans
        run as jobs (``SpanTrackItem.set_background``).
    """

    view_changed = Signal(float, float)
    rows_changed = Signal()
    #: a layout job (:meth:`run_layout_job`) ended: True when its layout was installed
    layout_ended = Signal(bool)

    def __init__(
        self,
        source: TimelineSource,
        selection: SelectionModel,
        palette: Palette | None = None,
        parent: QWidget | None = None,
        *,
        bridge: JobBridge | None = None,
        summary: bool = True,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.selection = selection
        self.palette_ = palette or Palette()
        self._rows: Sequence = source.rows()  # may be lazy (virtual rows)
        self._duration = max(int(source.duration_ns()), MIN_RANGE_NS)  # an empty trace: 0–100 ns
        self._history = ViewHistory()
        self._restoring = False
        self._top = 0.0
        self._hover_t: float | None = None
        self._hint = ViewHint(0.0, float(self._duration), 1000.0, True, 0, 40)

        pg.setConfigOptions(antialias=False)
        self.time_axis = TimeAxisItem("top")
        self.row_axis = _RowAxis(self)
        self.view_box = _TimelineViewBox(self)
        self.plot = pg.PlotWidget(
            viewBox=self.view_box,
            axisItems={"top": self.time_axis, "left": self.row_axis},
            background=self.palette_.background,
        )
        _no_si_prefix(self.plot)
        pi = self.plot.getPlotItem()
        pi.hideAxis("bottom")
        pi.showAxis("top")
        pi.hideButtons()
        pi.setMenuEnabled(False)
        pi.layout.setContentsMargins(0, 0, 4, 0)
        for ax in (self.time_axis, self.row_axis):
            ax.setTextPen(self.palette_.foreground)
            ax.setPen(self.palette_.grid)
        self.view_box.invertY(True)
        self.view_box.setMouseEnabled(x=True, y=False)
        self.view_box.setLimits(xMin=0, xMax=self._duration, minXRange=MIN_RANGE_NS)
        self.view_box.setDefaultPadding(0.0)
        _eager_matrix(self.view_box)

        self.track = SpanTrackItem(
            len(self._rows),
            source.spans,
            self.palette_.table(source.state_families()),
            self._duration,
            label_of=source.span_label,
            highlight_color=self.palette_.selection,
            lifetime_of=getattr(source, "has_lifetime", None),
            key_of=getattr(source, "row_key", None),
            builder=source if hasattr(source, "spans_ready") else None,
        )
        self.view_box.addItem(self.track)
        self.aggregates = AggregateRowsItem(
            len(self._rows),
            self._aggregate_of,
            self.palette_.color,
            self._duration,
            scale_of=self._aggregate_scale,
            refine=self._refine_aggregates,
        )
        self.view_box.addItem(self.aggregates)
        self.ticks = TickRowsItem(
            len(self._rows),
            getattr(source, "ticks", None),
            self._duration,
            self.palette_.color(StateFamily.CPU_SAMPLE),
        )
        self.view_box.addItem(self.ticks)
        self._origin_line = pg.InfiniteLine(
            pos=0,
            angle=90,
            movable=False,
            pen=pg.mkPen((220, 60, 60), width=1, style=Qt.PenStyle.DashLine),
        )
        self._origin_line.setVisible(False)
        self.view_box.addItem(self._origin_line, ignoreBounds=True)
        self._range_band = pg.LinearRegionItem(
            (0, 1), movable=False, brush=self.palette_.range_fill
        )
        self._range_band.setZValue(40)
        self._range_band.setVisible(False)
        self.view_box.addItem(self._range_band, ignoreBounds=True)
        # the rows a Shift+drag selected, outlined inside the range band
        self.rows_band = QGraphicsRectItem()
        self.rows_band.setZValue(45)
        self.rows_band.setVisible(False)
        self._rows_band_colors()
        self.view_box.addItem(self.rows_band, ignoreBounds=True)

        # Summary strip above the rows: how many rows are in each state over time.
        self.summary = pg.PlotWidget(background=self.palette_.background)
        _no_si_prefix(self.summary)
        spi = self.summary.getPlotItem()
        spi.hideAxis("bottom")
        spi.hideButtons()
        spi.setMenuEnabled(False)
        spi.layout.setContentsMargins(0, 0, 4, 0)
        sleft = spi.getAxis("left")
        sleft.setWidth(ROW_AXIS_PX)
        sleft.setTicks([[(0.5, f"all {len(self._rows)} rows")], []])
        sleft.setTextPen(self.palette_.foreground)
        sleft.setPen(self.palette_.grid)
        sleft.setStyle(tickLength=0)
        self.summary.setFixedHeight(40)
        self.summary.setVisible(summary)
        svb = spi.getViewBox()
        svb.setMouseEnabled(x=False, y=False)
        svb.setYRange(0, 1, padding=0)
        svb.invertY(True)
        if summary:  # hidden, it would still follow every range change
            svb.setXLink(self.view_box)
        _eager_matrix(svb)
        self.summary_strip = StateStripItem(
            lambda: [self.track.spans(r) for r in range(len(self._rows))] if summary else [],
            self.palette_.table(source.state_families()),
            self._duration,
            row_height=1.0,
        )
        svb.addItem(self.summary_strip)
        self._bridge = bridge
        self._layout_request: tuple[int, object, str] | None = None  # (id, source, what)
        self._pending_reveal: tuple[Selection, object] | None = None  # (value, row key)
        self.track.row_built.connect(self._on_row_built)
        self._refine_request: tuple | None = None
        #: (id, TimeRange, rows label, source, collapsed groups' time per state)
        self._range_request: tuple | None = None
        #: the last Shift+drag: (TimeRange, row keys, rows, source, (kind, resource) per
        #: row) — its rows are summed
        self._drag_sel: tuple | None = None
        #: the TimeRange and source whose time per state the status line shows
        self._range_shown: tuple | None = None
        self._task_index: tuple | None = None  # (timeline, task_region_index of it)
        self._task_index_request: tuple | None = None  # (id, timeline)
        self._refine_wanted: tuple | None = None
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_SETTLE_MS)
        self._refine_timer.timeout.connect(self._submit_refine)
        if bridge is not None:
            self.track.set_background(bridge)
            self.summary_strip.set_background(bridge)
            bridge.finished.connect(self._on_layout_finished)
            bridge.failed.connect(self._on_job_failed)
            bridge.dropped.connect(lambda rid: self._on_job_failed(rid, None))
            bridge.progress.connect(self._on_layout_progress)

        self.scrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.scrollbar.valueChanged.connect(self._on_scrollbar_value_changed)
        self.status = QLabel()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # a long line (a range's time per state) is clipped, never widens the panel
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumWidth(1)
        # 6 columns: ~770 px wide. At 7 (~945 px since the "waiting (groups)" entry) the
        # legend's minimum width held the timeline at 949 px in a 1280-px window and
        # squeezed the dock column to 160 px; and never let it widen the window again.
        self.legend = LegendWidget(self.palette_, columns=6)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._legend_for(source)
        self._header_plots: list[pg.PlotWidget] = []
        self._widget_palette()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(0)
        top.addWidget(self.plot, 1)
        top.addWidget(self.scrollbar)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        summary_row = QHBoxLayout()
        summary_row.setContentsMargins(0, 0, self.scrollbar.sizeHint().width(), 0)
        summary_row.addWidget(self.summary)
        self._header_layout = QVBoxLayout()
        self._header_layout.setContentsMargins(0, 0, self.scrollbar.sizeHint().width(), 0)
        self._header_layout.setSpacing(0)
        lay.addLayout(self._header_layout)
        lay.addLayout(summary_row)
        lay.addLayout(top, 1)
        lay.addWidget(self.status)
        lay.addWidget(self.legend)

        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(HISTORY_SETTLE_MS)
        self._settle.timeout.connect(self._record_view)
        self._help: QDialog | None = None
        self._extra_shortcuts: list[tuple[str, str]] = []

        self.view_box.sigXRangeChanged.connect(self._on_x_range_changed)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.selection.changed.connect(self._on_selection_changed)
        self.selection.revealed.connect(self.reveal)
        for w in (self.plot, self.plot.viewport()):
            w.installEventFilter(self)
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFocusProxy(self.plot)

        self.view_box.setXRange(0, self._duration, padding=0)
        self._apply_rows()
        self._history.record(self.view_state())

    # -- data ----------------------------------------------------------------------
    def set_source(
        self,
        source: TimelineSource,
        *,
        keep_view: bool = True,
        prepared: PreparedRows | None = None,
    ) -> None:
        """Replace the rows (a newer snapshot, a regrouping); the view stays unless it showed everything.

        The same ``source`` again means a relayout (expanded, collapsed, sorted):
        spans and runs cached per row key stay. A new source drops them; a
        ``prepared`` seed (:func:`~goroscope.ui.items.span_track.prepare_rows`,
        built in a job for :meth:`view_hint`) lets the next paint only draw.
        """
        x0, x1 = self.view_range()
        was_all = x0 <= 0 and x1 >= self._duration * 0.999
        same = source is self.source
        self.source = source
        self._rows = source.rows()
        self._duration = max(int(source.duration_ns()), MIN_RANGE_NS)  # an empty trace: 0–100 ns
        self.track.set_rows(
            len(self._rows),
            source.spans,
            self._duration,
            key_of=getattr(source, "row_key", None),
            builder=source if hasattr(source, "spans_ready") else None,
            keep=same,
            prepared=prepared,
        )
        self.track._label_of = source.span_label
        self.track._lifetime_of = getattr(source, "has_lifetime", None)
        self.aggregates.set_rows(
            len(self._rows), self._aggregate_of, self._duration, scale_of=self._aggregate_scale
        )
        self.ticks.set_rows(len(self._rows), getattr(source, "ticks", None), self._duration)
        self._legend_for(source)
        self.view_box.setLimits(xMin=0, xMax=self._duration, minXRange=MIN_RANGE_NS)
        if not keep_view or was_all:
            self.view_box.setXRange(0, self._duration, padding=0)
        self._apply_rows()
        self._on_selection_changed(None, self.selection.current)
        self.rows_changed.emit()

    def _legend_for(self, source: TimelineSource) -> None:
        """The legend lists "CPU sample" only when the trace has CPU samples (a source
        without a model: when it draws ticks)."""
        tl = getattr(source, "timeline", None)
        if tl is not None and hasattr(tl, "cpu_samples"):
            has = len(tl.cpu_samples) > 0
        else:
            has = getattr(source, "ticks", None) is not None
        self.legend.set_family_shown(StateFamily.CPU_SAMPLE, has)

    def _widget_palette(self) -> None:
        """The widgets around the plot follow the theme too (dark: our background)."""
        if self.palette_.dark:
            pal = self.palette()
            pal.setColor(QPalette.ColorRole.Window, self.palette_.background)
            pal.setColor(QPalette.ColorRole.WindowText, self.palette_.foreground)
            self.setPalette(pal)
            self.setAutoFillBackground(True)
        else:
            self.setPalette(QPalette())  # the application's again
            self.setAutoFillBackground(False)

    def set_palette(self, palette: Palette) -> None:
        """Re-theme live (the system switched dark/light): plots, axes, span colours, legend."""
        self.palette_ = pal = palette
        for w in (self.plot, self.summary, *self._header_plots):
            w.setBackground(pal.background)
            pi = w.getPlotItem()
            for name in ("left", "top"):
                ax = pi.getAxis(name)
                ax.setTextPen(pal.foreground)
                ax.setPen(pal.grid)
        self.track.set_colors(pal.table(self.source.state_families()))
        self.track._highlight_color = QColor(pal.selection)
        self.summary_strip.set_colors(pal.table(self.source.state_families()))
        self.aggregates.set_color_of(pal.color)
        self.ticks.set_color(pal.color(StateFamily.CPU_SAMPLE))
        self._range_band.setBrush(pg.mkBrush(pal.range_fill))
        self._rows_band_colors()
        self.legend.set_palette(pal)
        self._widget_palette()
        self.row_axis.update()

    def _rows_band_colors(self) -> None:
        pen = QPen(QColor(self.palette_.selection))
        pen.setCosmetic(True)  # 1.5 device px at any zoom
        pen.setWidthF(1.5)
        self.rows_band.setPen(pen)
        fill = QColor(self.palette_.selection)
        fill.setAlpha(18)  # the spans under it keep their colours
        self.rows_band.setBrush(fill)

    def view_hint(self) -> ViewHint:
        """What the view shows now, for jobs preparing the next snapshot (read on any thread).

        The value is rebuilt on the GUI thread whenever the view or the rows move
        (an attribute read is atomic), so a job never touches Qt.
        """
        return self._hint

    def _update_hint(self) -> None:
        x0, x1 = self.view_range()
        _, (y0, y1) = self.view_box.viewRange()
        self._hint = ViewHint(
            x0,
            x1,
            float(max(self.view_box.width(), 1.0)),
            x0 <= 0 and x1 >= self._duration * 0.999,
            max(0, int(math.floor(y0))),
            int(math.ceil(y1)),
        )

    def add_header_plot(self, height_px: int, label: str = "") -> pg.PlotWidget:
        """A plot pinned above the rows, x-linked to the timeline, its left axis as wide as the row names."""
        w = pg.PlotWidget(background=self.palette_.background)
        _no_si_prefix(w)
        pi = w.getPlotItem()
        pi.hideAxis("bottom")
        pi.hideButtons()
        pi.setMenuEnabled(False)
        pi.layout.setContentsMargins(0, 0, 4, 0)
        ax = pi.getAxis("left")
        ax.setWidth(self.row_axis.width())
        # stacked plots: a tick label may not spill into the next plot's (they overlapped)
        ax.setStyle(hideOverlappingLabels=2)
        ax.setTextPen(self.palette_.foreground)
        ax.setPen(self.palette_.grid)
        if label:
            ax.setLabel(label)
        vb = pi.getViewBox()
        vb.setMouseEnabled(x=False, y=False)
        vb.enableAutoRange(x=False)  # x follows the timeline only (data must not move the view)
        vb.setXLink(self.view_box)
        vb.setDefaultPadding(0.0)
        _eager_matrix(vb)
        w.setFixedHeight(height_px)
        self._header_layout.addWidget(w)
        self._header_plots.append(w)
        return w

    def _aggregate_of(self, row: int):
        fn = getattr(self.source, "aggregate", None)
        if fn is None:
            return None
        if hasattr(self.source, "refine_job"):
            x0, x1 = self.view_range()
            return fn(row, x0, x1)
        return fn(row)

    def _refine_aggregates(self, x0: float, x1: float, width_px: float) -> None:
        """The strips' bins are wider than 2 px here: finer bins for this view in a job."""
        job_of = getattr(self.source, "refine_job", None)
        if job_of is None or self._bridge is None or width_px < 1:
            return
        b = Viewport(max(x0, 0.0), x1, width_px).buffered()
        key = (b.t0_ns, b.t1_ns, b.resolution_ns, id(self.source))
        if self._refine_request is not None and self._refine_request[1] == key:
            return  # already computing this one
        # only once the view rests (a scan of the trace up to the view: not per wheel step)
        self._refine_wanted = (b, key)
        self._refine_timer.start()

    def _submit_refine(self) -> None:
        wanted, self._refine_wanted = self._refine_wanted, None
        job_of = getattr(self.source, "refine_job", None)
        if wanted is None or job_of is None or self._bridge is None:
            return
        b, key = wanted
        if key[3] != id(self.source):
            return
        rid = self._bridge.submit(
            ("aggregate-refine", id(self)),
            job_of(b.t0_ns, b.t1_ns, b.resolution_ns),
            cancel=JobBridge.CANCEL,
        )
        self._refine_request = (rid, key, self.source)

    def _on_job_failed(self, request_id: int, _exc) -> None:
        if self._task_index_request is not None and self._task_index_request[0] == request_id:
            self._task_index_request = None
        if self._range_request is not None and self._range_request[0] == request_id:
            self._range_request = None
        if self._refine_request is not None and self._refine_request[0] == request_id:
            self._refine_request = None  # superseded or failed: a later paint asks again
        if self._layout_request is not None and self._layout_request[0] == request_id:
            what = self._layout_request[2]
            self._layout_request = None
            if _exc is not None and not isinstance(_exc, CancelledError | JobCancelled):
                self.status.setText(f"{what} failed: {_exc}")
            self.layout_ended.emit(False)

    def _aggregate_scale(self, row: int) -> float:
        fn = getattr(self.source, "aggregate_scale", None)
        return 0.0 if fn is None else fn(row)

    # -- geometry ------------------------------------------------------------------
    def visible_row_count(self) -> float:
        h = self.view_box.height() if self.view_box.height() > 0 else self.plot.height()
        return max(1.0, h / ROW_PX)

    def _apply_rows(self) -> None:
        n = len(self._rows)
        vis = self.visible_row_count()
        max_top = max(0.0, n - vis)
        self._top = min(max(0.0, self._top), max_top)
        self.view_box.setYRange(self._top, self._top + vis, padding=0)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, int(math.ceil(max_top)))
        self.scrollbar.setPageStep(max(1, int(vis)))
        self.scrollbar.setValue(int(round(self._top)))
        self.scrollbar.blockSignals(False)
        self.row_axis.update()
        self._update_hint()

    def visible_rows(self) -> range:
        """The rows intersecting the view."""
        _, (y0, y1) = self.view_box.viewRange()
        return range(max(0, int(math.floor(y0))), min(len(self._rows), int(math.ceil(y1))))

    def row_count(self) -> int:
        return len(self._rows)

    def row_label(self, row: int) -> str:
        return self._rows[row].label

    def scroll_rows(self, delta: float) -> None:
        """Scroll the rows by ``delta`` (positive = down)."""
        self._top += delta
        self._apply_rows()

    def scroll_to_row(self, row: int, *, center: bool = False) -> None:
        """Make ``row`` visible (scrolling as little as possible, or centring it if it was not)."""
        vis = self.visible_row_count()
        if row < self._top or row + 1 > self._top + vis:
            if center:
                self._top = row - vis / 2 + 0.5
            elif row < self._top:
                self._top = row
            else:
                self._top = row + 1 - vis
        self._apply_rows()

    # -- view range --------------------------------------------------------------------
    def view_range(self) -> tuple[float, float]:
        """Visible time range (ns)."""
        (x0, x1), _ = self.view_box.viewRange()
        return x0, x1

    def view_state(self) -> tuple[float, float, float]:
        x0, x1 = self.view_range()
        return (x0, x1, self._top)

    def show_range(self, t0_ns: float, t1_ns: float, *, record: bool = True) -> None:
        """Show ``[t0_ns, t1_ns]`` (clamped to the trace), recording it for undo."""
        if record:
            self._record_view()
        t0, t1 = float(min(t0_ns, t1_ns)), float(max(t0_ns, t1_ns))
        if t1 - t0 < MIN_RANGE_NS:
            mid = (t0 + t1) / 2
            t0, t1 = mid - MIN_RANGE_NS / 2, mid + MIN_RANGE_NS / 2
        w = min(t1 - t0, float(self._duration))
        t0 = min(max(t0, 0.0), self._duration - w)
        self.view_box.setXRange(t0, t0 + w, padding=0)
        if record:
            self._record_view()

    def fit_all(self) -> None:
        self.show_range(0, self._duration)

    def zoom(self, factor: float, at_ns: float | None = None) -> None:
        """Scale the visible width by ``factor`` keeping ``at_ns`` (default: centre) still."""
        x0, x1 = self.view_range()
        c = (x0 + x1) / 2 if at_ns is None else at_ns
        self.show_range(c - (c - x0) * factor, c + (x1 - c) * factor)

    def pan(self, fraction: float) -> None:
        x0, x1 = self.view_range()
        d = (x1 - x0) * fraction
        self.show_range(x0 + d, x1 + d)

    # -- "go to" links (SelectionModel.reveal) ----------------------------------------
    def reveal(self, value: Selection) -> None:
        """Bring ``value`` into view (a panel's "go to" link); Ctrl+Z returns to the view before.

        * ``GoroutineRef`` — expand its group if collapsed, scroll to its row, fit its
          lifetime unless some of it is already in view;
        * ``SpanRef`` — scroll to the span's row and show the span: zoom to it (with a
          margin) when it is narrower than ``REVEAL_MIN_PX`` or not wholly in view;
        * ``TimeRange`` — show the range;
        * ``TaskRef`` — show the task's time (with a margin) and scroll to the first of
          its goroutines (their rows are marked while the task is selected).
        """
        self._record_view()  # the view to come back to
        if isinstance(value, TimeRange):
            self.show_range(value.t0_ns, value.t1_ns, record=False)
        elif isinstance(value, GoroutineRef):
            row = self._goroutine_row(value.goroutine_idx, expand=True)
            if row is not None and not self._defer_reveal(value, row):
                self.scroll_to_row(row, center=True)
                life = self._row_extent(row)
                x0, x1 = self.view_range()
                if life is not None and not (life[0] < x1 and life[1] > x0):
                    self._show_with_margin(*life)
        elif isinstance(value, SpanRef):
            if value.resource_kind in ("goroutine", "region"):
                self._goroutine_row(value.resource_idx, expand=True)
            row = self.row_of(value)
            if row is not None and not self._defer_reveal(value, row):
                s, e, _ = self.track.spans(row)
                if 0 <= value.span_idx < len(s):
                    self.scroll_to_row(row, center=True)
                    a, b = float(s[value.span_idx]), float(e[value.span_idx])
                    x0, x1 = self.view_range()
                    if (b - a) / self.ns_per_px() < REVEAL_MIN_PX or a < x0 or b > x1:
                        self._show_with_margin(a, b)
        elif isinstance(value, TaskRef):
            got = self._task_extent(value.task_idx)
            if got is not None:
                (a, b), goroutines = got
                self._show_with_margin(a, b)
                rows = [r for g in goroutines if (r := self._goroutine_row(g)) is not None]
                if rows:
                    self.scroll_to_row(min(rows), center=True)
        self._record_view()

    def _show_with_margin(self, a: float, b: float) -> None:
        m = max((b - a) * 0.1, MIN_RANGE_NS)
        self.show_range(a - m, b + m, record=False)

    def _goroutine_row(self, g_idx: int, *, expand: bool = False) -> int | None:
        """Row of goroutine ``g_idx``; with ``expand``, its collapsed group is expanded first."""
        ref = SpanRef.goroutine(int(g_idx), 0)
        row = self.row_of(ref)
        if row is None and expand:
            src = self.source
            group_of = getattr(src, "group_of_g", None)
            if group_of is not None and 0 <= g_idx < len(group_of) and group_of[g_idx] >= 0:
                src.set_group_expanded(int(group_of[g_idx]), True)
                self.set_source(src)
                row = self.row_of(ref)
        return row

    def _row_extent(self, row: int) -> tuple[float, float] | None:
        s, e, _ = self.track.spans(row)
        if len(s) == 0:
            return None
        return float(s[0]), float(max(e[-1], s[0] + 1))

    def _task_extent(self, task_idx: int):
        """((t0, t1), goroutines) of user task row ``task_idx``, or None."""
        tl = getattr(self.source, "timeline", None)
        if tl is None or not 0 <= task_idx < len(tl.tasks):
            return None
        t = tl.tasks
        tid = t.task_id[task_idx]
        a, b = int(t.start_ns[task_idx]), int(t.end_ns[task_idx])
        a = a if a >= 0 else 0
        b = b if b >= 0 else self._duration
        index = self._task_region_index(tl)
        gs: set[int] = set()
        if index is not None:  # else a job builds it; the marks follow when it is in
            tids, g_of = index
            lo, hi = np.searchsorted(tids, tid, "left"), np.searchsorted(tids, tid, "right")
            gs = set(np.unique(g_of[lo:hi]).tolist())
        for g in (int(t.begin_g[task_idx]), int(t.end_g[task_idx])):
            if g >= 0:
                gs.add(g)
        return (float(a), float(max(b, a + 1))), sorted(gs)

    def _task_region_index(self, tl) -> tuple[NDArray, NDArray] | None:
        """:func:`task_region_index` of ``tl``'s regions: built at once for a few regions,
        else in a job (None meanwhile; the task selection is re-applied when it is in)."""
        have = self._task_index
        if have is not None and have[0] is tl:
            return have[1]
        r = tl.regions
        if len(r.task_id) <= TASK_INDEX_SYNC or self._bridge is None:
            built = task_region_index(r.task_id, r.g_idx)
            self._task_index = (tl, built)
            return built
        req = self._task_index_request
        if req is None or req[1] is not tl:
            rid = self._bridge.submit(
                ("timeline-task-index", id(self)), task_region_index, r.task_id, r.g_idx
            )
            self._task_index_request = (rid, tl)
        return None

    def _marked_keys(self, sel: Selection) -> set:
        """Row keys to mark for ``sel``: a task's goroutines (and their region rows), a goroutine."""
        key_of = getattr(self.source, "row_key", None)
        if key_of is None:
            return set()
        goroutines: list[int] = []
        if isinstance(sel, TaskRef):
            got = self._task_extent(sel.task_idx)
            goroutines = got[1] if got is not None else []
        elif isinstance(sel, GoroutineRef):
            goroutines = [sel.goroutine_idx]
        keys = set()
        for g in goroutines:
            row = self.row_of(SpanRef.goroutine(g, 0))
            if row is None:
                continue
            keys.add(key_of(row))
            k = row + 1
            while k < len(self._rows) and self._rows[k].kind == "region":
                keys.add(key_of(k))
                k += 1
        return keys

    def fit_selection(self) -> None:
        """F: fit the selected span (with a margin) or time range."""
        sel = self.selection.current
        rng = None
        if isinstance(sel, TimeRange):
            rng = (sel.t0_ns, sel.t1_ns)
        elif isinstance(sel, SpanRef):
            row = self.row_of(sel)
            if row is not None and self.track.ensure_row(row):  # else: F again once built
                s, e, _ = self.track.spans(row)
                a, b = float(s[sel.span_idx]), float(e[sel.span_idx])
                m = max((b - a) * 0.1, MIN_RANGE_NS)
                rng = (a - m, b + m)
                self.scroll_to_row(row)
        if rng is not None:
            self.show_range(*rng)

    def undo_view(self) -> None:
        self._record_view()
        self._restore(self._history.undo())

    def redo_view(self) -> None:
        self._restore(self._history.redo())

    def _restore(self, state) -> None:
        if state is None:
            return
        self._restoring = True
        try:
            self._top = state[2]
            self._apply_rows()
            self.view_box.setXRange(state[0], state[1], padding=0)
        finally:
            self._restoring = False

    def _record_view(self) -> None:
        self._settle.stop()
        self._history.record(self.view_state())

    def _schedule_record(self) -> None:
        self._settle.start()

    # -- mapping (for tests and tooltips) ---------------------------------------------
    def viewport_pos_for(self, row: int, t_ns: float) -> QPoint:
        """Position in ``plot.viewport()`` coordinates of time ``t_ns`` in the middle of ``row``."""
        scene = self.view_box.mapViewToScene(QPointF(float(t_ns), row + 0.5))
        return self.plot.mapFromScene(scene)

    def ns_per_px(self) -> float:
        x0, x1 = self.view_range()
        return (x1 - x0) / max(self.view_box.width(), 1.0)

    def row_of(self, ref: SpanRef) -> int | None:
        index = getattr(self.source, "row_of", None)
        if index is not None:  # the source's (kind, resource_idx) → row index
            return index(ref)
        for i, r in enumerate(self._rows):  # OPT: index by (kind, resource_idx) when rows are many
            if r.kind == ref.resource_kind and r.resource_idx == ref.resource_idx:
                return i
        return None

    def span_ref(self, row: int, span_idx: int) -> SpanRef:
        r = self._rows[row]
        return SpanRef(r.kind, r.resource_idx, span_idx)

    def hover_text(self, row: int, t_ns: float) -> str:
        """Tooltip for the span (or merged run) of ``row`` at ``t_ns``; '' when none."""
        if not 0 <= row < len(self._rows):
            return ""
        agg = self._aggregate_of(row)
        if agg is not None:  # a collapsed group: how many of it are in each state here
            t0, bin_ns, times, families = agg
            b = int((t_ns - t0) // bin_ns)
            if 0 <= b < len(times):
                mean = times[b] / bin_ns
                parts = ", ".join(
                    f"{m:.1f} {FAMILY_NAMES.get(StateFamily(int(f)), '?').split(': ')[0]}"
                    for m, f in zip(mean.tolist(), families, strict=True)
                )
                return (
                    f"{self._rows[row].label}\nmean goroutines at {format_duration(t_ns)} "
                    f"(±{format_duration(bin_ns / 2)}): {parts}"
                )
            return ""
        tol = 2 * self.ns_per_px()
        if not self.track.spans_ready(row):
            return f"{self._rows[row].label}\n(loading…)"  # built in a job, not on hover
        run = self.track.run_at(t_ns, row, tol)
        start, end, state = self.track.spans(row)
        fams = list(self.source.state_families())
        label = self._rows[row].label
        if run is not None and run[1] > 1:
            first, count, a, b = run
            st = state[first : first + count].astype(np.int64)
            d = (
                np.minimum(end[first : first + count], b)
                - np.maximum(start[first : first + count], a)
            ).clip(0)
            per = np.bincount(st, weights=d, minlength=len(fams))
            total = max(per.sum(), 1)
            top = np.argsort(per)[::-1][:3]
            parts = ", ".join(
                f"{100 * per[k] / total:.0f}% {FAMILY_NAMES.get(_family(fams, k), '?')}"
                for k in top
                if per[k] > 0
            )
            # covered time: the run's spans and its neighbours (a run may be widened into them)
            nb = slice(max(first - 1, 0), min(first + count + 1, len(start)))
            cov_ns = float((np.minimum(end[nb], b) - np.maximum(start[nb], a)).clip(0).sum())
            covered = cov_ns / max(b - a, 1)
            return (
                f"{label}\n{count} spans merged: {parts}\n"
                f"spans cover {100 * covered:.0f}% of it "
                f"({format_duration(cov_ns)} of {format_duration(b - a)})\n"
                f"start {self.time_text(a)}, duration {format_duration(b - a)}"
            )
        i = self.track.hit_test(t_ns, row, tol)
        if i < 0:
            return ""
        describe = getattr(self.source, "describe", None)
        if describe is not None:
            return (
                f"{describe(row, i)}\n"
                f"start {self.time_text(start[i])}, duration {format_duration(end[i] - start[i])}"
            )
        fam = _family(fams, int(state[i]))
        return (
            f"{label}\n{FAMILY_NAMES.get(fam, '?')}\n"
            f"start {self.time_text(start[i])}, duration {format_duration(end[i] - start[i])}"
        )

    def time_per_state(
        self, t0_ns: float, t1_ns: float, rows: Sequence[int] | None = None
    ) -> NDArray[np.int64]:
        """ns per state code inside ``[t0_ns, t1_ns]`` summed over ``rows`` (default: all);
        synchronous — the Shift+drag status line runs the same in a job
        (:meth:`_submit_range_stats`)."""
        n = len(list(self.source.state_families()))
        return state_time_job(self._range_rows(rows), int(t0_ns), int(t1_ns), n)

    def _range_rows(self, rows: Sequence[int] | None) -> list:
        """The ``(start, end, state)`` arrays of ``rows`` whose spans are cheap now."""
        # OPT: a long-lived goroutine's row is built in a job, not here
        return [
            self.track.spans(r)
            for r in (rows if rows is not None else range(len(self._rows)))
            if self.track.spans_ready(r)
        ]

    def _range_status(self, rng: TimeRange, where: str, per) -> str:
        head = f"range {format_duration(rng.duration_ns)}{where} — "
        if per is None:
            return head + "summing time per state…"
        fams = list(self.source.state_families())
        # Not existing is no state: a goroutine's row has no time before its creation and
        # an exit is an instant (a tick), but a goid created again after it exited (a C
        # thread's goroutine on an extra M, cgo traces) has a NotExist span in between.
        # The legend has no "exited" bars, so that gap is not counted as time.
        top = [
            k
            for k in np.argsort(per)[::-1]
            if per[k] > 0 and _family(fams, int(k)) is not StateFamily.EXITED
        ][:6]
        if not top:
            gone = any(
                per[k] > 0 for k in range(len(per)) if _family(fams, k) is StateFamily.EXITED
            )
            return head + (
                "not alive (before its creation or after its exit)" if gone else "no spans"
            )
        return head + ", ".join(
            f"{FAMILY_NAMES.get(_family(fams, k), '?')} {format_duration(per[k])}" for k in top
        )

    def select_range(
        self, t0_ns: float, t1_ns: float, y0: float | None = None, y1: float | None = None
    ) -> None:
        """Shift+drag: select ``[t0_ns, t1_ns]`` and the rows ``y0..y1`` dragged over; the
        status line sums time per state across those rows (a job). Without rows (a
        TimeRange from another panel) it sums the visible rows (all of a small layout)."""
        rng = TimeRange(int(t0_ns), int(t1_ns))
        self._drag_sel = None
        if y0 is not None and y1 is not None and len(self._rows):
            r0 = min(max(int(math.floor(y0)), 0), len(self._rows) - 1)
            r1 = min(max(int(math.floor(y1)), r0), len(self._rows) - 1)
            rows = list(range(r0, r1 + 1))
            keys = tuple(self.track.key_of(r) for r in rows)
            specs = tuple((self._rows[r].kind, self._rows[r].resource_idx) for r in rows)
            self._drag_sel = (rng, keys, rows, self.source, specs)
        if self.selection.current == rng:  # the same time, other rows: no signal
            self._on_selection_changed(rng, rng)
        else:
            self.selection.set(rng)

    def dragged_rows(self, rng: TimeRange) -> list[int] | None:
        """The rows the Shift+drag that selected ``rng`` went over, where they are now
        (after a relayout or a newer snapshot: found by resource through the source's
        index, else among the visible rows); None when ``rng`` came from elsewhere or a
        row is gone."""
        drag = self._drag_sel
        if drag is None or drag[0] != rng:
            return None
        rows, keys, specs = drag[2], drag[1], drag[4]
        if drag[3] is self.source and all(
            r < len(self._rows) and self.track.key_of(r) == k
            for r, k in zip(rows, keys, strict=True)
        ):
            return rows
        visible = None
        found = []
        for key, (kind, res) in zip(keys, specs, strict=True):
            r = self.row_of(SpanRef(kind, res, 0)) if res >= 0 else None
            if r is None or not 0 <= r < len(self._rows) or self.track.key_of(r) != key:
                if visible is None:  # (nested region rows, headers): where in view
                    visible = {self.track.key_of(v): v for v in self.visible_rows()}
                r = visible.get(key)
            if r is None:
                return None
            found.append(r)
        return sorted(found)

    def range_rows(self, rng: TimeRange) -> tuple[list[int] | None, str]:
        """The rows whose time per state the status line sums for ``rng`` and how it
        names them: the rows of the Shift+drag that selected it (:meth:`dragged_rows`),
        else the visible rows of a big layout, else every row (None)."""
        rows = self.dragged_rows(rng)
        if rows is not None:
            n = len(rows)
            return rows, f" across {n} selected row{'s' if n != 1 else ''}"
        if len(self._rows) > 300:  # the visible ones of a big layout (spans built per row)
            rows = list(self.visible_rows())
            return rows, f" across {len(rows)} visible rows"
        return None, ""

    def _submit_range_stats(self, rng: TimeRange) -> None:
        """Time per state of the selected range: summed in a job (cancelled when the
        range changes again), the status line filled in when it arrives."""
        rows, where = self.range_rows(rng)
        drag, shown = self._drag_sel, self._range_shown
        if (
            drag is not None
            and drag[0] == rng
            and drag[3] is self.source
            and rows is not drag[2]
            and shown is not None
            and shown[0] == rng
            and shown[1] is self.source
        ):
            # a relayout (a group expanded, a sort) moved the dragged rows: their sums,
            # already shown, still hold (same model); the marks follow the rows' keys
            return
        arrays = self._range_rows(rows)
        n = len(list(self.source.state_families()))
        groups, n_groups = self._collapsed_group_time(rows, rng, n)
        if n_groups:  # their members have no rows: their strips' bins count for them
            where += f" ({n_groups} collapsed groups by their strips)"
        pending = sum(
            1
            for r in (rows if rows is not None else range(len(self._rows)))
            if not self.track.spans_ready(r)
        )
        if pending:  # long rows built in a job: say so rather than sum less in silence
            where += f" ({pending} rows still loading: not counted)"
        self._range_shown = None
        if self._bridge is None:
            per = state_time_job(arrays, int(rng.t0_ns), int(rng.t1_ns), n) + groups
            self.status.setText(self._range_status(rng, where, per))
            self._range_shown = (rng, self.source)
            return
        rid = self._bridge.submit(
            ("timeline-range", id(self)),
            state_time_job,
            arrays,
            int(rng.t0_ns),
            int(rng.t1_ns),
            n,
            cancel=JobBridge.CANCEL,
        )
        self._range_request = (rid, rng, where, self.source, groups)
        self.status.setText(self._range_status(rng, where, None))

    def _collapsed_group_time(
        self, rows: Sequence[int] | None, rng: TimeRange, n: int
    ) -> tuple[NDArray[np.float64], int]:
        """ns per state code in ``rng`` of the members of the collapsed groups among
        ``rows`` (default: all), from their aggregate strips (time per state per bin,
        summed over the members; a bin partly inside counts in proportion), and how
        many such groups there were. Cheap (a few thousand bins per group): GUI thread."""
        out = np.zeros(n, np.float64)
        fn = getattr(self.source, "aggregate", None)
        if fn is None:
            return out, 0
        windowed = hasattr(self.source, "refine_job")
        count = 0
        for r in rows if rows is not None else range(len(self._rows)):
            agg = fn(r, rng.t0_ns, rng.t1_ns) if windowed else fn(r)
            if agg is None:
                continue
            count += 1
            a0, bin_ns, times, fams = agg
            lo, hi = (rng.t0_ns - a0) / bin_ns, (rng.t1_ns - a0) / bin_ns
            i0, i1 = max(int(math.floor(lo)), 0), min(int(math.ceil(hi)), len(times))
            if i1 <= i0:
                continue
            idx = np.arange(i0, i1)
            inside = np.clip(np.minimum(idx + 1, hi) - np.maximum(idx, lo), 0.0, 1.0)
            sums = (np.asarray(times[i0:i1], np.float64) * inside[:, None]).sum(axis=0)
            for f, v in zip(fams, sums.tolist(), strict=True):
                if 0 <= int(f) < n:
                    out[int(f)] += v
        return out, count

    def _cancel_range_stats(self) -> None:
        if self._range_request is not None and self._bridge is not None:
            self._range_request = None
            self._bridge.cancel(("timeline-range", id(self)))

    def range_stats_pending(self) -> bool:
        """Whether the selected range's time per state is still being summed (a job)."""
        return self._range_request is not None

    # -- event handlers ---------------------------------------------------------------
    def _on_view_clicked(self, t_ns: float, y: float) -> None:
        row = int(math.floor(y))
        toggle_job = getattr(self.source, "toggle_job", None)
        job = toggle_job(row) if toggle_job is not None and 0 <= row < len(self._rows) else None
        if job is not None and self._bridge is not None:  # a big group: lay out in a job
            self.run_layout_job(job, f"laying out {self._rows[row].label.strip()}")
            return
        toggle = getattr(self.source, "toggle", None)
        if toggle is not None and 0 <= row < len(self._rows) and toggle(row):
            self.set_source(self.source)  # a group header: expanded or collapsed
            return
        if not self.track.spans_ready(row):
            return  # its spans are still being built (a job)
        idx = self.track.hit_test(t_ns, row, 2 * self.ns_per_px())
        if idx < 0:
            self.selection.clear()
        else:
            self.selection.set(self.span_ref(row, idx))

    def run_layout_job(self, job, what: str) -> bool:
        """Compute a row layout in a job (``job(cancel=, progress=) -> RowLayout``, e.g.
        the source's ``toggle_job``/``sort_job``) and install it when it arrives; the
        status line shows ``what`` and the progress, Esc cancels. False without a bridge."""
        if self._bridge is None:
            return False
        rid = self._bridge.submit(
            ("timeline-layout", id(self)),
            job,
            cancel=JobBridge.CANCEL,
            progress=JobBridge.PROGRESS,
        )
        self._layout_request = (rid, self.source, what)
        self.status.setText(f"{what}… (Esc cancels)")
        return True

    def layout_pending(self) -> bool:
        """Whether a layout job (a big group toggled, a sort) is still running."""
        return self._layout_request is not None

    def cancel_layout(self) -> bool:
        """Drop the running layout job (the rows stay as they are); True if there was one."""
        req = self._layout_request
        if req is None or self._bridge is None:
            return False
        self._layout_request = None
        self._bridge.cancel(("timeline-layout", id(self)))
        self.status.setText(f"{req[2]}: cancelled")
        self.layout_ended.emit(False)
        return True

    def _on_layout_progress(self, request_id: int, _stage: str, overall: float) -> None:
        req = self._layout_request
        if req is not None and req[0] == request_id:
            self.status.setText(f"{req[2]}… {100 * overall:.0f}% (Esc cancels)")

    def _on_layout_finished(self, request_id: int, result) -> None:
        ti = self._task_index_request
        if ti is not None and ti[0] == request_id:
            self._task_index_request = None
            self._task_index = (ti[1], result)
            cur = self.selection.current
            if isinstance(cur, TaskRef) and getattr(self.source, "timeline", None) is ti[1]:
                self._on_selection_changed(None, cur)  # its marks, now a lookup
            return
        rq = self._range_request
        if rq is not None and rq[0] == request_id:
            self._range_request = None
            if rq[3] is self.source and self.selection.current == rq[1]:
                self.status.setText(self._range_status(rq[1], rq[2], result + rq[4]))
                self._range_shown = (rq[1], rq[3])
            return
        ref = self._refine_request
        if ref is not None and ref[0] == request_id:
            self._refine_request = None
            if ref[2] is self.source:
                self.source.set_refined(result)
                self.aggregates.update()
            return
        req = self._layout_request
        if req is None or req[0] != request_id:
            return
        self._layout_request = None
        if req[1] is self.source:  # not replaced meanwhile (a newer snapshot)
            self.source.apply_layout(result)
            self.set_source(self.source)
            self.status.setText("")
        self.layout_ended.emit(True)

    def _on_x_range_changed(self, _vb, rng) -> None:
        self._update_hint()
        self.view_changed.emit(float(rng[0]), float(rng[1]))

    def _on_scrollbar_value_changed(self, value: int) -> None:
        self._top = float(value)
        self._apply_rows()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            self._hover_t = None
            return
        pt = self.view_box.mapSceneToView(scene_pos)
        self._hover_t = pt.x()
        text = self.hover_text(int(math.floor(pt.y())), pt.x())
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot)
        else:
            QToolTip.hideText()

    def _on_selection_changed(self, _old: Selection, new: Selection) -> None:
        self._cancel_range_stats()
        if not isinstance(new, TimeRange):
            self._range_shown = None
        self._range_band.setVisible(isinstance(new, TimeRange))
        self.rows_band.setVisible(False)
        self.track.set_highlight(None)
        keys = self._marked_keys(new)
        self.track.set_marked(keys)
        if isinstance(new, TaskRef | GoroutineRef) and keys:
            what = "task" if isinstance(new, TaskRef) else "goroutine"
            self.status.setText(f"{what}: {len(keys)} rows marked")
            return
        if isinstance(new, SpanRef):
            row = self.row_of(new)
            if row is not None and not self.track.ensure_row(row):  # built in a job first
                self.status.setText(f"{self._rows[row].label.strip()}: loading its spans…")
                return  # _on_row_built comes back here
            if row is not None and 0 <= new.span_idx < len(self.track.spans(row)[0]):
                self.track.set_highlight(row, new.span_idx)
                s, e, st = self.track.spans(row)
                fam = _family(list(self.source.state_families()), int(st[new.span_idx]))
                describe = getattr(self.source, "describe", None)
                what = (
                    describe(row, new.span_idx).replace("\n", " — ")
                    if describe is not None
                    else f"{self._rows[row].label} — {FAMILY_NAMES.get(fam, '?')}"
                )
                self.status.setText(
                    f"{what}, "
                    f"start {self.time_text(s[new.span_idx])}, "
                    f"duration {format_duration(e[new.span_idx] - s[new.span_idx])}"
                )
                return
        if isinstance(new, TimeRange):
            self._range_band.setRegion((new.t0_ns, new.t1_ns))
            rows = self.dragged_rows(new)
            if rows:
                r0, r1 = min(rows), max(rows) + 1
                self.rows_band.setRect(QRectF(new.t0_ns, r0, new.t1_ns - new.t0_ns, r1 - r0))
                self.rows_band.setVisible(True)
            self._submit_range_stats(new)
            return
        self.status.setText("")

    def _on_row_built(self, key: object) -> None:
        """A row :meth:`SpanTrackItem.ensure_row` sent to a job is in: finish what waited."""
        cur = self.selection.current
        if isinstance(cur, SpanRef):
            row = self.row_of(cur)
            if row is not None and self.track.key_of(row) == key:
                self._on_selection_changed(None, cur)
        pending = self._pending_reveal
        if pending is not None and pending[1] == key:
            self._pending_reveal = None
            self.reveal(pending[0])

    def _defer_reveal(self, value: Selection, row: int) -> bool:
        """If ``row``'s spans are not built yet: scroll to it, build them in a job and
        reveal ``value`` when they are in (True); False when they are ready now."""
        if self.track.ensure_row(row):
            return False
        self.scroll_to_row(row, center=True)
        self._pending_reveal = (value, self.track.key_of(row))
        self.status.setText(f"{self._rows[row].label.strip()}: loading its spans…")
        return True

    def set_extra_shortcuts(self, items: Sequence[tuple[str, str]]) -> None:
        """Keys of the surrounding window (its menu actions) that ``?`` lists too."""
        self._extra_shortcuts = list(items)
        if self._help is not None:  # rebuilt with them when next shown
            self._help.deleteLater()
            self._help = None

    def shortcut_list(self) -> list[tuple[str, str]]:
        """``(keys, action)`` of every shortcut ``?`` lists: the timeline's and the window's."""
        return [*SHORTCUTS, *self._extra_shortcuts]

    def show_shortcuts(self) -> QDialog:
        """``?``: a non-modal list of every shortcut."""
        if self._help is None:
            items = self.shortcut_list()
            dlg = QDialog(self)
            dlg.setWindowTitle("Shortcuts")
            table = QTableWidget(len(items), 2, dlg)
            table.setHorizontalHeaderLabels(["Key", "Action"])
            table.verticalHeader().hide()
            for i, (k, a) in enumerate(items):
                table.setItem(i, 0, QTableWidgetItem(k))
                table.setItem(i, 1, QTableWidgetItem(a))
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setWordWrap(False)
            table.resizeColumnsToContents()
            table.resizeRowsToContents()
            table.horizontalHeader().setStretchLastSection(True)
            lay = QVBoxLayout(dlg)
            lay.addWidget(table)
            # every row and the whole text in view, no scrolling (was cut at 420×520)
            frame = 2 * table.frameWidth()
            w = table.verticalHeader().width() + frame + 4
            w += sum(table.columnWidth(c) for c in range(2))
            h = table.horizontalHeader().height() + frame + 4
            h += sum(table.rowHeight(r) for r in range(len(items)))
            m = lay.contentsMargins()
            dlg.resize(w + m.left() + m.right(), h + m.top() + m.bottom())
            self._help = dlg
        self._help.show()
        self._help.raise_()
        return self._help

    def handle_key(self, event: QKeyEvent) -> bool:
        """Apply a navigation key; True when it was one."""
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if event.text() == "?" or key == Qt.Key.Key_Question:
            self.show_shortcuts()
        elif ctrl and key == Qt.Key.Key_Z:
            self.undo_view()
        elif ctrl and key == Qt.Key.Key_Y:
            self.redo_view()
        elif ctrl:
            return False
        elif key == Qt.Key.Key_W:
            self.zoom(ZOOM_FACTOR, self._cursor_t())
        elif key == Qt.Key.Key_S:
            self.zoom(1 / ZOOM_FACTOR, self._cursor_t())
        elif key == Qt.Key.Key_A:
            self.pan(-PAN_FRACTION)
        elif key == Qt.Key.Key_D:
            self.pan(PAN_FRACTION)
        elif key == Qt.Key.Key_Home:
            self.fit_all()
        elif key == Qt.Key.Key_F:
            self.fit_selection()
        elif key == Qt.Key.Key_Escape:
            if not self.cancel_layout():  # a running sort / layout first
                self.selection.clear()
        elif key == Qt.Key.Key_O:
            if shift:
                self.set_origin(0.0)
            else:
                t = self._cursor_t()
                t = self._selection_start() if t is None else t
                if t is not None:  # nowhere to put it: leave it
                    self.set_origin(t)
        else:
            return False
        return True

    def set_origin(self, t_ns: float | None) -> None:
        """Put the axis origin at ``t_ns`` (None or 0: trace start)."""
        t = float(t_ns or 0.0)
        self.time_axis.set_origin(t)
        self._origin_line.setPos(t)
        self._origin_line.setVisible(t != 0.0)
        cur = self.selection.current
        if isinstance(cur, SpanRef):  # its status line gives times from the origin
            self._on_selection_changed(None, cur)

    def time_text(self, t_ns: float) -> str:
        """A time on the trace as tooltips and the status line give it: from the trace
        start, or — once the origin is moved (O) — from the origin, the absolute after."""
        o = self.time_axis.origin_ns
        if o == 0:
            return format_duration(t_ns)
        return f"{format_duration(t_ns - o, signed=True)} from the origin ({format_duration(t_ns)})"

    def _selection_start(self) -> float | None:
        """Start of the selected time range or span (None: nothing selected, or its row
        is not built yet)."""
        cur = self.selection.current
        if isinstance(cur, TimeRange):
            return float(cur.t0_ns)
        if isinstance(cur, SpanRef):
            row = self.row_of(cur)
            if row is not None and self.track.spans_ready(row):
                s = self.track.spans(row)[0]
                if 0 <= cur.span_idx < len(s):
                    return float(s[cur.span_idx])
        return None

    def _cursor_t(self) -> float | None:
        return self._hover_t

    # Qt overrides (camelCase)
    @never_raises  # a failing key handler is reported, the key left unhandled
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and self.handle_key(event):
            return True
        if event.type() == QEvent.Type.Leave:
            self._hover_t = None
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._apply_rows)  # dropped if the panel dies first

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._apply_rows()


def _family(fams: Sequence[StateFamily], code: int) -> StateFamily:
    return fams[code] if 0 <= code < len(fams) else StateFamily.UNKNOWN


def _save(panel: TimelinePanel, path) -> None:
    panel.grab().save(str(path))
    sys.stdout.write(f"{path} rects={panel.track.drawn_rect_count()}\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m goroscope.ui.panels.timeline --demo [--screenshots DIR]``."""
    ap = argparse.ArgumentParser(prog="python -m goroscope.ui.panels.timeline")
    ap.add_argument("--demo", action="store_true", help="show synthetic goroutine rows")
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--dark", action="store_true")
    ap.add_argument(
        "--screenshots", metavar="DIR", help="save PNGs (3 zooms, a selection) and exit"
    )
    args = ap.parse_args(argv)
    from goroscope.ui.panels.demo import DemoSource

    app = QApplication.instance() or QApplication(sys.argv[:1])
    bridge = None
    if not args.screenshots:  # interactive: heavy merges off the GUI thread
        from goroscope.jobs import ThreadExecutor

        bridge = JobBridge(ThreadExecutor())
    panel = TimelinePanel(
        DemoSource(args.rows), SelectionModel(), Palette(dark=args.dark), bridge=bridge
    )
    panel.resize(1400, 860)
    panel.setWindowTitle("Goroscope timeline — synthetic demo")
    panel.show()
    if args.screenshots:
        from pathlib import Path

        out = Path(args.screenshots)
        out.mkdir(parents=True, exist_ok=True)
        app.processEvents()
        views = [
            ("overview", 0, panel.source.duration_ns()),
            ("zoom-10ms", 500_000_000, 510_000_000),
            ("zoom-200us", 500_000_000, 500_200_000),
        ]
        for name, a, b in views:
            panel.show_range(a, b)
            app.processEvents()
            _save(panel, out / f"timeline-{name}.png")
        # a selected span, with the axis origin moved to its start
        row = 14
        s, e, _ = panel.track.spans(row)
        k = int(np.searchsorted(e, 503_000_000))
        panel.selection.set(panel.span_ref(row, k))
        panel.set_origin(float(s[k]))
        panel.show_range(500_000_000, 510_000_000)
        app.processEvents()
        _save(panel, out / "timeline-selected-span.png")
        # a selected time range (time per state in the status line)
        panel.set_origin(0)
        panel.selection.set(TimeRange(800_000_000, 1_100_000_000))
        panel.fit_all()
        app.processEvents()
        _save(panel, out / "timeline-range.png")
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
