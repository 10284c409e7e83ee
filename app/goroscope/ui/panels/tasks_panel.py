"""Tasks & regions panel: the task tree, latency histograms per task type, regions per type (GUI thread).

**Tasks** tab:

* the task **tree** (parent → children, across generations; ``TaskTreeModel``):
  id and type, start, duration or why there is none (not ended / began before the
  trace), the goroutine that began it, its regions and logs. Selecting a task sets
  ``TaskRef(task_idx)`` on the shared selection (the timeline highlights it); a
  double click, or a click on its start, reveals it; a click on its goroutine
  reveals that goroutine. A ``TaskRef`` selected elsewhere is selected here.
* the task **types** (count, complete, median / p99 / max duration of the complete
  ones) and, for the chosen type, ``go tool trace``'s latency histogram (log buckets,
  5 per decade); a click on a bucket lists its instances (each a link).

**Regions** tab: per region type count, total / median / p99 / max duration; for
the chosen type the time inside its regions per goroutine state (running, runnable,
waiting per reason, syscall — a sample when there are very many) and its
instances (goroutine, start, duration, task — links).

All numbers come from one job (:func:`~goroscope.ui.models.task_data.task_data_job`,
numpy over the Timeline's task/region tables) started when the trace is loaded;
the per-state breakdown is a second job per region type.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSizePolicy,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from goroscope.ui.items.time_axis import format_duration
from goroscope.ui.models.table import Column, NumpyTableModel
from goroscope.ui.models.task_data import (
    bucket_min_ns,
    duration_bucket,
    region_breakdown,
    region_instances,
    task_data_job,
)
from goroscope.ui.models.task_tree_model import TaskTreeModel, task_label
from goroscope.ui.panels.blocking_panel import format_time, make_table_view, set_widths
from goroscope.ui.panels.panel_support import (
    AdaptiveSplitter,
    PanelJobs,
    failed_text,
    fit_columns,
    goroutine_label,
    loaded_timeline,
    on_load_failed,
)
from goroscope.ui.selection import GoroutineRef, TaskRef, TimeRange

__all__ = ["TasksPanel"]


#: panes side by side from this panel width (px); stacked below it (the dock column)
WIDE_PX = 1000


def _dur(v) -> str:
    v = int(v)
    return format_duration(float(v)) if v >= 0 else "—"


def short_duration(ns: float) -> str:
    """A duration with 3 significant digits ("158 µs", "1.58 ms") for axis ticks."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")):
        if ns >= scale or scale == 1.0:
            return f"{ns / scale:.3g} {unit}"
    raise AssertionError  # pragma: no cover


def _boxed(label: QLabel, widget: QWidget) -> QWidget:
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(label)
    lay.addWidget(widget, 1)
    return w


class TasksPanel(QWidget):
    """User tasks and regions of the loaded trace (see the module doc)."""

    def __init__(self, ctx) -> None:
        super().__init__()
        self.window_ = ctx.window
        self.selection = ctx.selection
        self.bridge = ctx.bridge
        self.timeline = None
        self.data = None  # TaskData
        self.type_row = -1
        self.bucket = None
        self.region_type_row = -1
        self.breakdown = None
        self.jobs = PanelJobs(self.bridge, self)
        self.jobs.failed.connect(self._on_job_failed)
        self._syncing = False
        self.ready_count = 0
        # fills the task tree a timer turn after the data's relay (see _show_data)
        self._tree_timer = QTimer(self)
        self._tree_timer.setSingleShot(True)
        self._tree_timer.setInterval(0)
        self._tree_timer.timeout.connect(self._fill_tree)

        self.tabs = QTabWidget()
        # -- tasks tab
        self.tree_model = TaskTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAlternatingRowColors(True)
        self.tree.selectionModel().currentRowChanged.connect(self._on_tree_current)
        self.tree.clicked.connect(self._on_tree_clicked)
        self.tree.doubleClicked.connect(self._on_tree_double_clicked)
        self.types_model = NumpyTableModel(None, self)
        self.types_view = make_table_view(self.types_model, stretch_last=False)
        self.types_view.selectionModel().currentRowChanged.connect(self._on_type_current)
        self.hist = pg.PlotWidget()
        self.hist.setBackground(None)
        self.hist.setMenuEnabled(False)
        self.hist.setMouseEnabled(x=False, y=False)
        self.hist.hideButtons()
        self.hist.getAxis("left").setLabel("tasks")
        self.hist.scene().sigMouseClicked.connect(self._on_hist_clicked)
        self.hist_bars: pg.BarGraphItem | None = None
        self.hist_sel: pg.BarGraphItem | None = None
        self.hist_label = QLabel("Latency of complete tasks: choose a type.")
        self.hist_label.setWordWrap(True)
        self.inst_model = NumpyTableModel(self.bridge, self)
        self.inst_view = make_table_view(self.inst_model)
        self.inst_view.clicked.connect(self._on_inst_clicked)
        self.inst_label = QLabel("Click a histogram bucket to list its tasks.")
        # side by side (a bottom dock is wide and short): tree | types | histogram | tasks
        # stacked in the ~360 px dock column (AdaptiveSplitter)
        tsplit = AdaptiveSplitter(
            [
                self.tree,
                self.types_view,
                _boxed(self.hist_label, self.hist),
                _boxed(self.inst_label, self.inst_view),
            ],
            [4, 3, 3, 3],
            vertical_stretch=[4, 3, 4, 3],
            wide_px=WIDE_PX,
        )
        self.task_splitter = tsplit
        self.tabs.addTab(tsplit, "Tasks")
        # -- regions tab
        self.rtypes_model = NumpyTableModel(None, self)
        self.rtypes_view = make_table_view(self.rtypes_model, stretch_last=False)
        self.rtypes_view.selectionModel().currentRowChanged.connect(self._on_rtype_current)
        self.breakdown_model = NumpyTableModel(None, self)
        self.breakdown_view = make_table_view(self.breakdown_model)
        self.breakdown_label = QLabel("Choose a region type.")
        self.rinst_model = NumpyTableModel(self.bridge, self)
        self.rinst_view = make_table_view(self.rinst_model)
        self.rinst_view.clicked.connect(self._on_rinst_clicked)
        self.rinst_label = QLabel("")
        rsplit = AdaptiveSplitter(
            [
                self.rtypes_view,
                _boxed(self.breakdown_label, self.breakdown_view),
                _boxed(self.rinst_label, self.rinst_view),
            ],
            [4, 3, 4],
            wide_px=WIDE_PX,
        )
        self.region_splitter = rsplit
        self.tabs.addTab(rsplit, "Regions")

        self.status = QLabel("Open a trace.")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.status)
        lay.addWidget(self.tabs, 1)

        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)
        ctx.selection.changed.connect(self._on_selection_changed)

    # -- public API ------------------------------------------------------------------------
    def select_type(self, type_row: int) -> None:
        """Show the histogram of task type ``type_row`` (a row of ``data.types``)."""
        idx = self.types_model.index(self._view_row(self.types_model, type_row), 0)
        self.types_view.setCurrentIndex(idx)

    def select_bucket(self, bucket: int) -> None:
        """List the tasks of the current type in histogram bucket ``bucket``."""
        d = self.data
        if d is None or self.type_row < 0:
            return
        self.bucket = bucket
        rows = d.bucket_rows(self.type_row, bucket)
        self._show_instances(rows, bucket)
        self._draw_hist()

    def select_region_type(self, type_row: int) -> None:
        idx = self.rtypes_model.index(self._view_row(self.rtypes_model, type_row), 0)
        self.rtypes_view.setCurrentIndex(idx)

    def hist_pos_of(self, bucket: int):
        """Widget (viewport) position of the middle of ``bucket``'s bar (for tests)."""
        h = self.data.types.hist[self.type_row].get(bucket, 0)
        vb = self.hist.getPlotItem().vb
        scene = vb.mapViewToScene(QPointF(float(bucket), h / 2))
        return self.hist.mapFromScene(scene)

    # -- lifecycle -------------------------------------------------------------------------
    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        self.timeline = self.data = None
        self._tree_timer.stop()
        self.jobs.forget()
        self.type_row = self.region_type_row = -1
        self.tree_model.clear()
        for m in (self.types_model, self.inst_model, self.rtypes_model, self.breakdown_model):
            m.clear()
        self.rinst_model.clear()
        self.hist.clear()
        self.hist_bars = self.hist_sel = None
        self.hist_label.setText("Latency of complete tasks: choose a type.")
        self.inst_label.setText("Click a histogram bucket to list its tasks.")
        self.breakdown_label.setText("Choose a region type.")
        self.rinst_label.setText("")
        self.status.setText("Loading…")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self.status.setText(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        self.timeline = loaded_timeline(self.window_)
        if self.timeline is None:
            return
        self.status.setText("Collecting tasks and regions…")
        self.jobs.submit("tasks", task_data_job, self.timeline, done=self._show_data)

    @Slot(str, object)
    def _on_job_failed(self, _name: str, exc) -> None:
        self.status.setText(f"Tasks failed: {exc}")

    def _show_data(self, d) -> None:
        tl = self.timeline
        self.data = d
        # the tree is filled by a zero timer started at the end of this relay: a model
        # reset schedules the view's layout (a zero timer in QAbstractItemView, ~7.7 ms
        # after big.trace); started here it was due before the 5 ms tick and ran right
        # after this relay (~6.8 ms: the tables' fit, the histogram) — one 16.2 ms run on
        # the GUI thread (bench_gui --stall). Now: this relay, then the timer pass (ticks
        # due, the tree's reset), and the layout in the pass after that
        ty = d.types
        self.types_model.set_columns(
            [
                Column(
                    "Task type",
                    np.array(ty.names, dtype=object),
                    lambda s: s or "(none)",
                    align_right=False,
                ),  # fmt: skip
                Column("Count", ty.count, lambda v: f"{int(v):,}"),
                Column("Complete", ty.complete, lambda v: f"{int(v):,}"),
                Column("Median", ty.median_ns, _dur),
                Column("p99", ty.p99_ns, _dur),
                Column("Max", ty.max_ns, _dur),
            ]
        )
        rt = d.region_types
        self.rtypes_model.set_columns(
            [
                Column(
                    "Region type",
                    np.array(rt.names, dtype=object),
                    lambda s: s or "(none)",
                    align_right=False,
                ),  # fmt: skip
                Column("Count", rt.count, lambda v: f"{int(v):,}"),
                Column("Total", rt.total_ns, _dur),
                Column("Median", rt.median_ns, _dur),
                Column("p99", rt.p99_ns, _dur),
                Column("Max", rt.max_ns, _dur),
            ]
        )
        fit_columns(self.types_view, self.types_model, max_px=150)
        fit_columns(self.rtypes_view, self.rtypes_model, max_px=170)
        n_tasks, n_regions = len(tl.tasks), len(tl.regions)
        self.status.setText(
            f"{n_tasks:,} tasks ({int(ty.complete.sum()):,} complete) of {len(ty.names)} types, "
            f"{n_regions:,} regions of {len(rt.names)} types, {len(tl.logs):,} logs"
        )
        if len(ty.names):
            self.select_type(int(np.argmax(ty.count)))
        if len(rt.names):
            self.select_region_type(int(np.argmax(rt.count)))
        self._tree_timer.start()

    def _fill_tree(self) -> None:
        if self.data is None:
            return
        self.tree_model.set_data(self.timeline, self.data)
        # Task, Start, Duration first in view in the ~360 px dock column
        for c, w in enumerate((140, 82, 78, 150, 55, 45)):
            self.tree.setColumnWidth(c, w)
        self.ready_count += 1
        self._follow(self.selection.current)

    # -- tasks tab -------------------------------------------------------------------------
    @staticmethod
    def _view_row(model: NumpyTableModel, source_row: int) -> int:
        rows = model.rows
        hit = np.flatnonzero(rows == source_row)
        return int(hit[0]) if len(hit) else -1

    def _on_type_current(self, current, _previous) -> None:
        if not current.isValid() or self.data is None:
            return
        self.type_row = self.types_model.source_row(current.row())
        self.bucket = None
        name = self.data.types.names[self.type_row] or "(none)"
        n = int(self.data.types.complete[self.type_row])
        self.hist_label.setText(f"Latency of the {n:,} complete “{name}” tasks (click a bucket)")
        self._draw_hist()
        self.inst_model.clear()
        self.inst_label.setText("Click a histogram bucket to list its tasks.")

    def _draw_hist(self) -> None:
        self.hist.clear()
        self.hist_bars = self.hist_sel = None
        if self.data is None or self.type_row < 0:
            return
        h = self.data.types.hist[self.type_row]
        if not h:
            return
        b = np.array(sorted(h), np.int64)
        c = np.array([h[k] for k in b.tolist()], np.float64)
        self.hist_bars = pg.BarGraphItem(x=b, height=c, width=0.85, brush="#6a9fd8", pen=None)
        self.hist.addItem(self.hist_bars)
        if self.bucket is not None and self.bucket in h:
            self.hist_sel = pg.BarGraphItem(
                x=[self.bucket], height=[h[self.bucket]], width=0.85, brush="#e07b53", pen=None
            )
            self.hist.addItem(self.hist_sel)
        lo, hi = int(b.min()) - 1, int(b.max()) + 1
        # labels at the decades (5 buckets each: 1 µs, 10 µs, …) — a label per bucket
        # overlapped; other buckets get an unlabelled tick
        ks = range(lo, hi + 1)
        major = [k for k in ks if k % 5 == 0]
        if len(major) < 2:  # less than two decades: a few evenly spaced labels
            major = list(ks)[:: max(1, len(ks) // 4)]
        label = [(k, short_duration(float(bucket_min_ns(k)))) for k in major]
        self.hist.getAxis("bottom").setTicks([label, [(k, "") for k in ks if k not in major]])
        self.hist.setXRange(lo - 0.5, hi + 0.5, padding=0)
        self.hist.setYRange(0, float(c.max()) * 1.08, padding=0)

    def _on_hist_clicked(self, ev) -> None:
        if self.data is None or self.type_row < 0:
            return
        vb = self.hist.getPlotItem().vb
        p = vb.mapSceneToView(ev.scenePos())
        b = int(round(p.x()))
        h = self.data.types.hist[self.type_row]
        if b in h and abs(p.x() - b) <= 0.45 and 0 <= p.y() <= h[b] * 1.05 + 0.5:
            self.select_bucket(b)

    def _show_instances(self, rows: np.ndarray, bucket: int) -> None:
        tl, d = self.timeline, self.data
        t = tl.tasks
        g = np.where(t.begin_g[rows] >= 0, t.begin_g[rows], t.end_g[rows])
        self.inst_model.set_columns(
            [
                Column(
                    "Task",
                    rows,
                    lambda r: task_label(self.timeline, int(r)),
                    align_right=False,
                    link=True,
                ),  # fmt: skip
                Column("Start", t.start_ns[rows], format_time, link=True),
                Column("Duration", d.duration_ns[rows], _dur),
                Column("Goroutine", g, self._g_label, align_right=False, link=True),
            ]
        )
        self.inst_view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        set_widths(self.inst_view, self.inst_model, {"Task": 200, "Goroutine": 240})
        lo, hi = bucket_min_ns(bucket), bucket_min_ns(bucket + 1)
        self.inst_label.setText(
            f"{len(rows):,} tasks of {format_duration(float(lo))} – {format_duration(float(hi))}"
        )

    def _g_label(self, g) -> str:
        return goroutine_label(self.timeline, g)

    def inst_ref(self, row: int, column: str):
        """The selection value a link of the bucket's instance list stands for."""
        m = self.inst_model
        task = int(m.column(0).values[m.source_row(row)])
        if column == "Goroutine":
            g = int(m.column(3).values[m.source_row(row)])
            return GoroutineRef(g) if g >= 0 else None
        return TaskRef(task)

    def _on_inst_clicked(self, index) -> None:
        col = self.inst_model.column(index.column())
        if col.link:
            self._reveal(self.inst_ref(index.row(), col.title))

    # -- tree ↔ selection ------------------------------------------------------------------
    def _on_tree_current(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        self._syncing = True
        try:
            self.selection.set(TaskRef(self.tree_model.task_row(current)))
        finally:
            self._syncing = False

    def tree_ref(self, index):
        """The selection value a click on tree cell ``index`` stands for (links only)."""
        r = self.tree_model.task_row(index)
        if index.column() == 3:
            g = self.tree_model.goroutine(r)
            return GoroutineRef(g) if g >= 0 else None
        if index.column() == 1:
            return TaskRef(r)
        return None

    def _on_tree_clicked(self, index) -> None:
        ref = self.tree_ref(index)
        if ref is not None:
            self._reveal(ref)

    def _on_tree_double_clicked(self, index) -> None:
        self._reveal(TaskRef(self.tree_model.task_row(index)))

    def _reveal(self, value) -> None:
        if value is not None:
            self.selection.reveal(value)

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        if not self._syncing:
            self._follow(new)

    def _follow(self, sel) -> None:
        if not isinstance(sel, TaskRef) or self.data is None or self._tree_timer.isActive():
            return  # (a pending tree fill follows the selection when it has run)
        if not 0 <= sel.task_idx < len(self.data.parent_row):
            return
        self._syncing = True
        try:
            for a in self.tree_model.ancestors(sel.task_idx):
                self.tree.expand(self.tree_model.index_of(a))
            idx = self.tree_model.index_of(sel.task_idx)
            self.tree.selectionModel().setCurrentIndex(
                idx,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.tree.scrollTo(idx)
            # its type's histogram, with the bucket it falls in (it showed another type's)
            d = self.data
            t = int(d.type_row[sel.task_idx])
            if t != self.type_row:
                self.select_type(t)
            dur = int(d.duration_ns[sel.task_idx])
            if dur >= 0:
                b = int(duration_bucket(np.array([dur], np.int64))[0])
                if b != self.bucket:
                    self.select_bucket(b)
        finally:
            self._syncing = False

    def selected_task(self) -> int:
        return self.tree_model.task_row(self.tree.currentIndex())

    @property
    def busy(self) -> bool:
        """A job of this panel (data, breakdown, instances, a sort) is running."""
        return (
            self.jobs.running()
            or self._tree_timer.isActive()
            or self.rinst_model.sorting
            or self.inst_model.sorting
        )

    # -- regions tab -----------------------------------------------------------------------
    def _on_rtype_current(self, current, _previous) -> None:
        if not current.isValid() or self.data is None:
            return
        tl, d = self.timeline, self.data
        k = self.rtypes_model.source_row(current.row())
        self.region_type_row = k
        self.breakdown = None
        self.breakdown_model.clear()
        name = d.region_types.names[k] or "(none)"
        self.breakdown_label.setText(f"Time inside “{name}” regions by goroutine state: computing…")
        self.jobs.submit("region-breakdown", region_breakdown, tl, d, k, done=self._show_breakdown)
        self.rinst_label.setText(f"“{name}” regions: collecting…")
        self.jobs.submit(
            "region-instances", region_instances, tl, d, k, done=self._show_region_instances
        )

    def _show_region_instances(self, cols) -> None:
        g, start, dur, tr = cols
        self.rinst_model.set_columns(
            [
                Column("Goroutine", g, self._g_label, align_right=False, link=True),
                Column("Start", start, format_time, link=True),
                Column("Duration", dur, _dur),
                Column(
                    "Task",
                    tr,
                    lambda t: task_label(self.timeline, int(t)) if t >= 0 else "—",
                    align_right=False,
                    link=True,
                ),
            ]
        )
        self.rinst_view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        set_widths(self.rinst_view, self.rinst_model, {"Goroutine": 240, "Task": 200})
        name = self.data.region_types.names[self.region_type_row] or "(none)"
        self.rinst_label.setText(f"{len(g):,} “{name}” regions")

    def _show_breakdown(self, result) -> None:
        self.breakdown = result
        parts, used, total = result
        names = np.array(list(parts), dtype=object)
        ns = np.array(list(parts.values()), np.int64)
        whole = max(int(ns.sum()), 1)
        self.breakdown_model.set_columns(
            [
                Column("Goroutine state", names, str, align_right=False),
                Column("Time", ns, _dur),
                Column("%", ns * (100.0 / whole), lambda v: f"{float(v):.1f}"),
            ]
        )
        self.breakdown_view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        set_widths(self.breakdown_view, self.breakdown_model, {"Goroutine state": 260})
        name = self.data.region_types.names[self.region_type_row] or "(none)"
        sample = "" if used == total else f" (a sample of {used:,} of {total:,})"
        self.breakdown_label.setText(f"Time inside “{name}” regions by goroutine state{sample}")

    def rinst_ref(self, row: int, column: str):
        m = self.rinst_model
        src = m.source_row(row)
        if column == "Goroutine":
            return GoroutineRef(int(m.column(0).values[src]))
        if column == "Task":
            t = int(m.column(3).values[src])
            return TaskRef(t) if t >= 0 else None
        s = int(m.column(1).values[src])
        return TimeRange(s, s + int(m.column(2).values[src]))

    def _on_rinst_clicked(self, index) -> None:
        col = self.rinst_model.column(index.column())
        if col.link:
            self._reveal(self.rinst_ref(index.row(), col.title))
