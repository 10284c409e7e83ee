"""Goroutines panel: start-function groups → goroutines, time per category (GUI thread).

What ``go tool trace``'s goroutine pages show, as two linked tables: the
**groups** (one row per start function, plus "All goroutines") with, per time
category, the statistic picked in the combo box (total, min, median, p90, p99,
max over the group's goroutines); and the **goroutines** of the selected group
with every category (Total first, as Go's breakdown table) and their creation /
end time. A filter box narrows both (start-function substring, case-insensitive;
a number or ``G123`` also matches that goroutine ID).

Layout: in the ~360 px dock column the groups sit above the goroutines (an
:class:`~goroscope.ui.panels.panel_support.AdaptiveSplitter`, side by side once the
panel is ``WIDE_PX`` wide: floated or docked at the bottom); columns are sized to
their header and widest value, the start function capped (``FUNC_PX``) so the
numbers stay in view; the status line has its own row.

Data: :func:`goroscope.ui.models.goroutine_stats.goroutine_analysis` over the
complete Timeline, run as a job through ``ctx.bridge`` when the window says
``loaded`` (progress in the panel's status line). The numbers equal Go's
summarizer (tests against the Go oracle). Both tables are
:class:`~goroscope.ui.models.table.NumpyTableModel`: argsort + ``layoutChanged``
(a job above 100 k rows), filters as numpy masks, so 2 M goroutines stay fluid.

Links: clicking a goroutine selects it (:class:`GoroutineRef`), double-click
reveals it in the timeline (``selection.reveal``); a goroutine selected elsewhere
(``GoroutineRef`` or one of its spans) is selected here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from goroscope.ui.models.goroutine_stats import DIST_STATS, GoroutineAnalysis, goroutine_analysis
from goroscope.ui.models.table import Column, NumpyTableModel, format_ns, format_time_ns
from goroscope.ui.panels.panel_support import (
    AdaptiveSplitter,
    failed_text,
    fit_columns,
    on_load_failed,
    scroll_to_current_when_shown,
)
from goroscope.ui.selection import GoroutineRef, SpanRef

if TYPE_CHECKING:
    from goroscope.ui.panels.docks import PanelContext

#: the two tables side by side from this panel width (px); stacked below it
WIDE_PX = 900
#: widest start-function column (px) side by side / stacked in the dock column: long
#: names elide (middle), Goroutine / Start function / Total stay in view in ~300 px
FUNC_PX = 220
FUNC_NARROW_PX = 140
#: statistics offered for the group table (index into DIST_STATS)
_STATS = ("total", "min", "median", "p90", "p99", "max")
_SHORT = {
    "Execution time": "Execution",
    "Sched wait time": "Sched wait",
    "Syscall execution time": "Syscall",
    "Block time (syscall)": "Block: syscall",
    "Unknown time": "Unknown",
    "Total time": "Total",
}


def short_category(cat: str) -> str:
    """Column title of a category (``Block time (chan receive)`` → ``Block: chan receive``)."""
    if cat in _SHORT:
        return _SHORT[cat]
    m = re.fullmatch(r"Block time \((.*)\)", cat)
    if m:
        return f"Block: {m.group(1) or '(no reason)'}"
    return cat


def _short_time(v) -> str:
    v = int(v)
    return "—" if v < 0 else f"{v / 1e6:,.3f} ms"


def make_table(parent: QWidget | None = None) -> QTableView:
    """A QTableView for big numpy models: fixed row height, no per-row header work."""
    view = QTableView(parent)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(view.fontMetrics().height() + 6)
    hh = view.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    hh.setDefaultSectionSize(92)
    hh.setHighlightSections(False)
    return view


class GoroutinesPanel(QWidget):
    """The goroutine analysis (GUI thread only). Constructed as ``GoroutinesPanel(ctx)``."""

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.analysis: GoroutineAnalysis | None = None
        self._request = -1
        self._goids = np.zeros(0, np.int64)
        self._group_sel = -1  # group index shown on the right (-1: all)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: start function, or goroutine ID")
        self.filter_edit.setClearButtonEnabled(True)
        self.stat_combo = QComboBox()
        self.stat_combo.addItems([f"group {s}" for s in _STATS])
        self.stat_combo.setToolTip("Statistic over each group's goroutines shown per category")
        self.status = QLabel("No trace loaded.")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.stat_combo)
        self.status.setWordWrap(True)

        self.group_model = NumpyTableModel(ctx.bridge, self)
        self.goroutine_model = NumpyTableModel(ctx.bridge, self)
        self.group_view = make_table()
        self.group_view.setModel(self.group_model)
        self.goroutine_view = make_table()
        self.goroutine_view.setModel(self.goroutine_model)
        self.goroutine_view.setToolTip("Double-click: show the goroutine in the timeline")
        for v in (self.group_view, self.goroutine_view):
            v.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.splitter = AdaptiveSplitter(
            [self.group_view, self.goroutine_view], [2, 3], wide_px=WIDE_PX
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.splitter, 1)
        self.splitter.reoriented.connect(self._fit_columns)

        self._fit_timer = QTimer(self)  # fits the tables' columns after a fill
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_columns)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.stat_combo.currentIndexChanged.connect(self._fill_groups)
        self.group_view.selectionModel().currentRowChanged.connect(self._on_group_row)
        self.goroutine_view.selectionModel().currentRowChanged.connect(self._on_goroutine_row)
        self.goroutine_view.doubleClicked.connect(self._on_double_click)
        self.goroutine_view.clicked.connect(self._on_click)
        self.goroutine_model.sorting_changed.connect(self._on_sorting)
        self.goroutine_model.modelReset.connect(self._on_rows_reset)

        ctx.bridge.finished.connect(self._on_finished)
        ctx.bridge.failed.connect(self._on_failed)
        ctx.bridge.progress.connect(self._on_progress)
        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)
        ctx.selection.changed.connect(self._on_selection_changed)

    @Slot(bool)
    def on_dock_visible(self, visible: bool) -> None:
        """Its dock tab was raised (``docks.install_panels``): the selected row in view."""
        if visible:
            scroll_to_current_when_shown(self.goroutine_view)

    # -- loading ---------------------------------------------------------------------
    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        self.ctx.bridge.cancel(("goroutines", id(self)))
        self._request = -1
        self.analysis = None
        self.group_model.set_columns([])
        self.goroutine_model.set_columns([])
        self.status.setText("Loading…")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self.status.setText(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        session = getattr(self.ctx.window, "session", None)
        tl = getattr(session, "timeline", None)
        if tl is None:
            return
        self.status.setText("Computing goroutine statistics…")
        self._goids = tl.goroutines.goid
        self._request = self.ctx.bridge.submit(
            ("goroutines", id(self)),
            goroutine_analysis,
            tl,
            cancel=self.ctx.bridge.CANCEL,
            progress=self.ctx.bridge.PROGRESS,
        )

    @Slot(int, str, float)
    def _on_progress(self, request_id: int, _stage: str, fraction: float) -> None:
        if request_id == self._request:
            self.status.setText(f"Computing goroutine statistics… {fraction:.0%}")

    @Slot(int, object)
    def _on_failed(self, request_id: int, exc) -> None:
        if request_id == self._request:
            self._request = -1
            self.status.setText(f"Goroutine statistics failed: {exc}")

    @Slot(int, object)
    def _on_finished(self, request_id: int, result) -> None:
        if request_id != self._request:
            return
        self._request = -1
        self.show_analysis(result)

    def show_analysis(self, a: GoroutineAnalysis) -> None:
        """Fill both tables from ``a`` (GUI thread; O(columns), no per-row work)."""
        self.analysis = a
        st = a.stats
        goids = self._goids if len(self._goids) == len(st) else np.arange(len(st))
        names = st.group_names
        cols = [
            Column(
                "Goroutine",
                goids,
                lambda v: f"G{v}",
                link=True,
                header_tip="Go's goroutine ID; click: show it in the timeline",
            ),  # fmt: skip
            Column(
                "Start function",
                st.group,
                lambda v: names[v] or "(unknown)",
                tooltip=lambda v: names[v] or "(unknown)",
                align_right=False,
            ),
        ]
        order = self._category_order(st.categories)
        for c in order:
            cat = st.categories[c]
            cols.append(Column(short_category(cat), st.cols[c], format_ns, header_tip=cat))
        cols += [
            Column(
                "Created",
                st.creation_ns,
                _short_time,
                tooltip=format_time_ns,
                header_tip="since the trace start",
            ),
            Column(
                "Ended",
                st.end_ns,
                _short_time,
                tooltip=format_time_ns,
                header_tip="exit (— : still alive at the end)",
            ),  # fmt: skip
        ]
        self._group_sel = -1
        self.goroutine_model.set_columns(cols, a.summary_rows)
        if self.goroutine_model.sort_column() < 0:  # Total (first category), longest first
            self.goroutine_view.horizontalHeader().setSortIndicator(
                self.goroutine_model.column_index("Total"), Qt.SortOrder.DescendingOrder
            )
        # sized in a later event-loop turn, not on top of the fill: ~2–6 ms for 20 columns
        # of 2.16 M rows (fit_columns samples), ~20 ms the first time in a process (Qt
        # enums). NOTE: a zero timer, not singleShot(0) — that is a posted call, run in the
        # same batch as the fill's and the views' own posted events and layout (one 25 ms
        # run without a timer or input in between after big.trace's load, bench_gui
        # --stall); a timer runs in the timer pass, after them
        self._fit_timer.start()
        self._fill_groups()
        self.status.setText(f"{a.n_summary:,} goroutines in {len(names):,} groups")
        self._apply_filter()

    def _func_px(self) -> int:
        return FUNC_PX if self.splitter.is_wide else FUNC_NARROW_PX

    @Slot()
    def _fit_columns(self, *_args) -> None:
        for view, model in (
            (self.goroutine_view, self.goroutine_model),
            (self.group_view, self.group_model),
        ):
            if model.columnCount():
                fit_columns(view, model, max_px=self._func_px())

    @staticmethod
    def _category_order(cats: tuple[str, ...]) -> list[int]:
        """Total first, then the fixed categories, block reasons, Unknown."""
        idx = {c: i for i, c in enumerate(cats)}
        first = [idx["Total time"]]
        rest = [i for i, c in enumerate(cats) if c not in ("Total time", "Unknown time")]
        return first + rest + [idx["Unknown time"]]

    @Slot()
    def _fill_groups(self) -> None:
        a = self.analysis
        if a is None:
            return
        st = a.stats
        k = DIST_STATS.index(_STATS[self.stat_combo.currentIndex()])
        names = ("All goroutines", *[n or "(unknown)" for n in st.group_names])
        dist = np.concatenate([a.overall[None], a.groups])  # row 0: all
        count = dist[:, 0, 0].astype(np.int64)
        cols = [
            Column("Start function", np.arange(len(names)), lambda v: names[v],
                   tooltip=lambda v: names[v], align_right=False),
            Column("Count", count, header_tip="goroutines in the group"),
        ]  # fmt: skip
        for c in self._category_order(st.categories):
            vals = dist[:, c, k].astype(np.int64)
            cols.append(
                Column(short_category(st.categories[c]), vals, format_ns,
                       header_tip=f"{st.categories[c]}: {_STATS[self.stat_combo.currentIndex()]}"
                       " over the group's goroutines")
            )  # fmt: skip
        keep = self._group_sel
        visible = np.flatnonzero(count > 0)
        visible = np.r_[0, visible[visible > 0]]
        self.group_model.set_columns(cols, visible)
        if self.group_model.sort_column() < 0:
            self.group_view.horizontalHeader().setSortIndicator(2, Qt.SortOrder.DescendingOrder)
        fit_columns(self.group_view, self.group_model, max_px=self._func_px())
        self._select_group_row(keep + 1)

    def _select_group_row(self, source_row: int) -> None:
        v = self.group_model.view_row(source_row)
        sm = self.group_view.selectionModel()
        if v < 0:
            return
        idx = self.group_model.index(v, 0)
        sm.blockSignals(True)
        sm.setCurrentIndex(
            idx,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        sm.blockSignals(False)

    # -- filtering -------------------------------------------------------------------
    def goroutine_mask(self) -> np.ndarray | None:
        """(n,) bool — goroutines shown on the right: in Go's summary, of the selected
        group, matching the filter text (vectorised over names and IDs)."""
        a = self.analysis
        if a is None:
            return None
        st = a.stats
        mask = st.in_summary.copy()
        if self._group_sel >= 0:
            mask &= st.group == self._group_sel
        text = self.filter_edit.text().strip()
        if text:
            gm = self.group_match(text)
            hit = gm[st.group]
            m = re.fullmatch(r"[gG]?(\d+)", text)
            if m and len(self._goids) == len(st):
                hit |= self._goids == int(m.group(1))
            mask &= hit
        return mask

    def group_match(self, text: str) -> np.ndarray:
        """(groups,) bool — start functions containing ``text`` (case-insensitive)."""
        t = text.lower()
        names = self.analysis.stats.group_names if self.analysis else ()
        return np.array([t in (n or "(unknown)").lower() for n in names], bool)

    @Slot()
    def _apply_filter(self) -> None:
        a = self.analysis
        if a is None:
            return
        text = self.filter_edit.text().strip()
        rows = np.r_[0, np.flatnonzero(a.groups[:, 0, 0] > 0) + 1]
        if text:
            gm = self.group_match(text)
            m = re.fullmatch(r"[gG]?(\d+)", text)
            if m and len(self._goids) == len(a.stats):
                hit = np.flatnonzero(self._goids == int(m.group(1)))
                gm[a.stats.group[hit]] = True
            rows = np.r_[0, np.flatnonzero(gm & (a.groups[:, 0, 0] > 0)) + 1]
        self.group_model.set_rows(rows)
        self._select_group_row(self._group_sel + 1)
        self.goroutine_model.filter(self.goroutine_mask())
        self._on_sorting(self.goroutine_model.sorting)

    @Slot(object, object)
    def _on_group_row(self, current, _previous) -> None:
        if not current.isValid():
            return
        self._group_sel = self.group_model.source_row(current.row()) - 1
        self.goroutine_model.filter(self.goroutine_mask())
        self._on_sorting(self.goroutine_model.sorting)

    @Slot(bool)
    def _on_sorting(self, busy: bool) -> None:
        if self.analysis is None:
            return
        if busy:
            self.status.setText("Sorting / filtering…")
        else:
            self.status.setText(
                f"{self.goroutine_model.rowCount():,} of {self.analysis.n_summary:,} goroutines"
            )

    # -- selection -------------------------------------------------------------------
    def selected_goroutine(self) -> int:
        """g_idx of the current row on the right (-1: none)."""
        idx = self.goroutine_view.currentIndex()
        return self.goroutine_model.source_row(idx.row()) if idx.isValid() else -1

    @Slot(object, object)
    def _on_goroutine_row(self, current, _previous) -> None:
        if not current.isValid():
            return
        g = self.goroutine_model.source_row(current.row())
        if g >= 0:
            self.ctx.selection.set(GoroutineRef(g))

    @Slot(object)
    def _on_click(self, index) -> None:
        if self.goroutine_model.is_link(index.column()):
            self._on_double_click(index)

    @Slot(object)
    def _on_double_click(self, index) -> None:
        g = self.goroutine_model.source_row(index.row())
        if g >= 0:
            self.ctx.selection.reveal(GoroutineRef(g))

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        self._follow_selection(new)

    @Slot()
    def _on_rows_reset(self) -> None:
        # new rows (filter, group): re-select the selected goroutine if it is shown, but
        # never undo the group the user just picked
        self._follow_selection(self.ctx.selection.current, switch_group=False)

    def _follow_selection(self, value=None, *, switch_group: bool = True) -> None:
        if value is None:
            value = self.ctx.selection.current
        if isinstance(value, GoroutineRef):
            g = value.goroutine_idx
        elif isinstance(value, SpanRef) and value.resource_kind == "goroutine":
            g = value.resource_idx
        else:
            return
        if self.analysis is None or not 0 <= g < len(self.analysis.stats):
            return
        v = self.goroutine_model.view_row(g)
        if v < 0 and self._group_sel >= 0 and switch_group:  # in another group: show all
            self._group_sel = -1
            self._select_group_row(0)
            self.goroutine_model.filter(self.goroutine_mask())
            v = self.goroutine_model.view_row(g)
        if v < 0 or self.selected_goroutine() == g:
            return
        idx = self.goroutine_model.index(v, 0)
        sm = self.goroutine_view.selectionModel()
        sm.blockSignals(True)
        sm.setCurrentIndex(
            idx,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        sm.blockSignals(False)
        self.goroutine_view.viewport().update()
        self.goroutine_view.scrollTo(idx)
