"""Logs panel: the trace's user logs (``trace.Log``/``Logf``), searchable by category and text (GUI thread).

One row per log: time, goroutine, task, category, message. The time, the goroutine
and the task are links (``selection.reveal``: the goroutine's span at that time, the
goroutine, the task). A category chooser (with counts) and a search box filter the
rows; "Only the selected task / goroutine" keeps the logs of the task or goroutine
selected elsewhere (``TaskRef``, ``GoroutineRef``, a goroutine ``SpanRef``).

The table is an :class:`~goroscope.ui.models.table.NumpyTableModel` over the
Timeline's log columns (formatting per visible cell); the search index
(:func:`~goroscope.ui.models.log_data.log_index_job`) is built in a job at load and
every filter runs as a job too (:func:`~goroscope.ui.models.log_data.filter_logs`,
vectorised over distinct strings), the newest request winning.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from goroscope.ui.models.log_data import ALL, filter_logs, log_index_job
from goroscope.ui.models.table import Column, NumpyTableModel
from goroscope.ui.panels.blocking_panel import format_time, make_table_view
from goroscope.ui.panels.panel_support import (
    LinkReveal,
    PanelJobs,
    failed_text,
    fit_columns,
    goroutine_label,
    loaded_timeline,
    on_load_failed,
    task_label,
)
from goroscope.ui.selection import GoroutineRef, SpanRef, TaskRef, TimeRange

__all__ = ["LogsPanel"]


class LogsPanel(QWidget):
    """User logs with search (see the module doc)."""

    def __init__(self, ctx) -> None:
        super().__init__()
        self.window_ = ctx.window
        self.selection = ctx.selection
        self.bridge = ctx.bridge
        self.timeline = None
        self.index = None  # LogIndex
        self.rows = np.zeros(0, np.int64)  # the shown log rows (ascending)
        self.jobs = PanelJobs(self.bridge, self)
        self.jobs.failed.connect(self._on_job_failed)
        self._reveal = LinkReveal(self.selection)
        self.filters_done = 0
        self._only = (None, None)  # (goroutine, task row) of the selection, when following

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search message or category…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._refilter)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(self._refilter)
        self.only_box = QCheckBox("Only the selection")
        self.only_box.setToolTip("Only the logs of the selected task or goroutine")
        self.count_label = QLabel("Open a trace.")
        self.only_box.toggled.connect(self._on_only_toggled)
        # two rows: the search gets the width of the ~360 px dock column
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.category)
        bar2 = QHBoxLayout()
        bar2.addWidget(self.only_box)
        bar2.addStretch(1)
        bar2.addWidget(self.count_label)
        self.category.setToolTip("Category")
        self.category.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model = NumpyTableModel(self.bridge, self)
        self.view = make_table_view(self.model)
        self.view.clicked.connect(self._on_clicked)
        self.view.doubleClicked.connect(self._on_double_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addLayout(bar2)
        lay.addWidget(self.view, 1)

        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)
        ctx.selection.changed.connect(self._on_selection_changed)

    # -- public API ------------------------------------------------------------------------
    def set_filter(self, text: str = "", category: str | None = ALL) -> None:
        """Set the search text and the category (``ALL`` = any)."""
        self.category.blockSignals(True)
        i = 0 if category is ALL else self.category.findData(category)
        self.category.setCurrentIndex(max(i, 0))
        self.category.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(text)
        self.search.blockSignals(False)
        self._refilter()

    def shown_rows(self) -> np.ndarray:
        """Log rows (of ``Timeline.logs``) in view order."""
        return self.rows[self.model.rows] if len(self.rows) else self.rows

    def link_ref(self, row: int, column: str):
        """The selection value of a link cell (view row, column title)."""
        r = int(self.rows[self.model.source_row(row)])
        tl = self.timeline
        g = int(tl.logs.g_idx[r])
        if column == "Goroutine":
            return GoroutineRef(g) if g >= 0 else None
        if column == "Task":
            t = int(self.index.task_row[r])
            return TaskRef(t) if t >= 0 else None
        t_ns = int(tl.logs.time_ns[r])
        if g < 0:
            return TimeRange(t_ns, t_ns)
        sr = tl.goroutine_row(g)
        i = int(np.searchsorted(sr.start_ns, t_ns, side="right")) - 1
        return SpanRef.goroutine(g, max(i, 0))

    # -- lifecycle -------------------------------------------------------------------------
    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        self.timeline = self.index = None
        self.jobs.forget()
        self.rows = np.zeros(0, np.int64)
        self.model.clear()
        self.category.blockSignals(True)
        self.category.clear()
        self.category.blockSignals(False)
        self.count_label.setText("Loading…")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self.count_label.setText(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        self.timeline = loaded_timeline(self.window_)
        if self.timeline is None:
            return
        self.count_label.setText("Indexing logs…")
        self.jobs.submit("log-index", log_index_job, self.timeline, done=self._set_index)

    @Slot(str, object)
    def _on_job_failed(self, _name: str, exc) -> None:
        self.count_label.setText(f"Logs failed: {exc}")

    def _set_index(self, idx) -> None:
        self.index = idx
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(f"All ({len(idx):,})", None)
        for name, n in sorted(zip(idx.categories, idx.cat_count.tolist(), strict=True)):
            self.category.addItem(f"{name or '(none)'} ({n:,})", name)
        self.category.blockSignals(False)
        self._refilter()

    # -- filtering -------------------------------------------------------------------------
    def _refilter(self, *_args) -> None:
        if self.index is None:
            return
        g, t = self._only if self.only_box.isChecked() else (None, None)
        self.jobs.submit(
            "log-filter",
            filter_logs,
            self.index,
            self.search.text(),
            self.category.currentData(),
            g_idx=self.timeline.logs.g_idx,
            goroutine=g,
            task_row=t,
            done=self._show_rows,
        )

    def _show_rows(self, rows: np.ndarray) -> None:
        tl = self.timeline
        lg, idx = tl.logs, self.index
        self.rows = rows
        cats = idx.categories
        msgs = idx.messages
        self.model.set_columns(
            [
                # what was logged first (the goroutine and task, links, after it: in the
                # ~360 px dock column the message was out of view)
                Column("Time", lg.time_ns[rows], format_time, link=True),
                Column("Category", idx.cat_pos[rows], lambda c: cats[int(c)], align_right=False),
                Column(
                    "Message",
                    idx.msg_pos[rows],
                    lambda m: msgs[int(m)],
                    align_right=False,
                    tooltip=lambda m: msgs[int(m)],
                ),  # fmt: skip
                Column("Goroutine", lg.g_idx[rows], self._g_label, align_right=False, link=True),
                Column("Task", idx.task_row[rows], self._task_label, align_right=False, link=True),
            ]
        )
        if self.filters_done == 0:
            fit_columns(self.view, self.model, max_px=180)
        self.filters_done += 1
        self.count_label.setText(f"{len(rows):,} of {len(idx):,} logs")

    def _g_label(self, g) -> str:
        return goroutine_label(self.timeline, g)

    def _task_label(self, t) -> str:
        return task_label(self.timeline, t)

    # -- links and the selection -----------------------------------------------------------
    def _on_clicked(self, index) -> None:
        col = self.model.column(index.column())
        if col.link:
            self._reveal(self.link_ref(index.row(), col.title))

    def _on_double_clicked(self, index) -> None:
        self._reveal(self.link_ref(index.row(), "Time"))

    def _on_only_toggled(self, _on: bool) -> None:
        self._follow(self.selection.current)
        self._refilter()

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        if self._reveal.active:
            return
        before = self._only
        self._follow(new)
        if self.only_box.isChecked() and self._only != before:
            self._refilter()

    def _follow(self, sel) -> None:
        if isinstance(sel, TaskRef):
            self._only = (None, sel.task_idx)
        elif isinstance(sel, GoroutineRef):
            self._only = (sel.goroutine_idx, None)
        elif isinstance(sel, SpanRef) and sel.resource_kind == "goroutine":
            self._only = (sel.resource_idx, None)

    def sort_by(self, column: str, descending: bool = False) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.view.sortByColumn(self.model.column_index(column), order)
