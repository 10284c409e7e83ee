"""Blocking panel: net / sync / syscall / sched profiles as a flame graph and a top table (GUI thread).

What it shows (issue #9, part 2):

* a **flame graph** (icicle, :class:`~goroscope.ui.items.flame_graph.FlameGraphView`)
  of the chosen profile — the blocking delay per call path, root frame on top;
  a click on a frame zooms to it and lists what is behind it;
* a **top table** by stack (leaf function, total delay, count, share), sortable;
* the **intervals behind** the selected frame or stack: goroutine, start, delay —
  the goroutine and the time are links (``selection.reveal`` of a ``GoroutineRef`` /
  the goroutine's ``SpanRef`` at that time);
* **pprof…** exports the shown profile for ``go tool pprof``.

Scope: the whole trace, or — with "Follow" (the selection) — the selected time range
(``TimeRange``), the start-function group of the selected goroutine or span
(``GoroutineRef`` / goroutine ``SpanRef``), or the selected task (``TaskRef``, a
region ``SpanRef`` of a task). Links this panel follows itself do not change the
scope.

Work: the profile pass (one more read of the trace, shared with the CPU panel
through :class:`~goroscope.ui.models.profile_hub.ProfilePass`) starts when the
panel is first shown on a loaded trace; each (kind, scope) view is aggregated
and laid out in a job (:func:`~goroscope.ui.models.profile_data.profile_flame`).
The GUI thread only swaps models.

:class:`ProfilePanelBase` is shared with :class:`goroscope.ui.panels.cpu_panel.CpuPanel`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from goroscope.analysis.profiles import BLOCKING_KINDS
from goroscope.ui.bridge import JobBridge
from goroscope.ui.items.flame_graph import FlameGraphView
from goroscope.ui.items.time_axis import format_duration
from goroscope.ui.models.profile_data import (
    Scope,
    behind,
    profile_flame,
    records,
    scope_view,
)
from goroscope.ui.models.profile_hub import ProfilePass
from goroscope.ui.models.table import Column, NumpyTableModel
from goroscope.ui.panels.panel_support import (
    AdaptiveSplitter,
    LinkReveal,
    PanelJobs,
    failed_text,
    fit_columns,
    goroutine_label,
    on_load_failed,
)
from goroscope.ui.selection import GoroutineRef, SpanRef, TaskRef, TimeRange

__all__ = ["BlockingPanel", "ProfilePanelBase", "format_time", "make_table_view", "set_widths"]


#: flame graph, top table and the list behind a frame side by side from this width (px)
WIDE_PX = 900


def format_time(ns) -> str:
    """A time since the trace start, in ms with µs precision."""
    return f"{int(ns) / 1e6:,.3f} ms"


def set_widths(view: QTableView, model, widths: dict[str, int], default: int = 95) -> None:
    """Column widths by title (never ``resizeColumnToContents``: it formats up to 1,000
    rows per column on the GUI thread)."""
    for c in range(model.columnCount()):
        view.setColumnWidth(c, widths.get(model.headerData(c, Qt.Orientation.Horizontal), default))


def set_sort_indicator(view: QTableView, column: int, order: Qt.SortOrder) -> None:
    """Show the sort indicator without asking the model to sort again."""
    header = view.horizontalHeader()
    header.blockSignals(True)
    header.setSortIndicator(column, order)
    header.blockSignals(False)
    header.viewport().update()


def make_table_view(model, *, stretch_last: bool = True) -> QTableView:
    """A read-only, sortable, row-selecting table view for big numpy-backed models (fixed
    row height: the vertical header never measures rows)."""
    v = QTableView()
    v.setModel(model)
    v.setSortingEnabled(True)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.verticalHeader().setVisible(False)
    v.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    v.verticalHeader().setDefaultSectionSize(20)
    v.horizontalHeader().setStretchLastSection(stretch_last)
    v.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    v.setWordWrap(False)
    return v


class ProfilePanelBase(QWidget):
    """A profile (flame graph + top table + intervals behind a frame) per kind and scope."""

    KINDS: tuple[str, ...] = BLOCKING_KINDS
    TITLE = "Blocking"
    EMPTY = "No blocking of this kind in this scope."
    #: column of the intervals list sorted descending by default; what its rows are
    BEHIND_SORT = 2
    BEHIND_WHAT = "intervals"
    LONGEST = "longest"
    #: the job making a (kind, scope) view: ``fn(tl, data, kind, scope)``
    VIEW_JOB = staticmethod(profile_flame)

    def __init__(self, ctx) -> None:
        super().__init__()
        self.window_ = ctx.window
        self.selection = ctx.selection
        self.bridge: JobBridge = ctx.bridge
        self.scope = Scope()
        self.kind = self.KINDS[0]
        self.follow = True
        self.data = None  # ProfileData
        self.view = None  # ProfileView shown
        self.flame_data = None
        self._labels = None  # (leaf, called from) per record of the view
        self.behind = None  # profile_data.Behind listed
        self._pass: ProfilePass | None = None
        self._timeline = None
        self.jobs = PanelJobs(self.bridge, self)
        self.jobs.failed.connect(self._on_job_failed)
        self._behind_what = ""
        self._reveal = LinkReveal(self.selection)
        self.views_shown = 0

        # toolbar
        self.kind_box = QComboBox()
        for k in self.KINDS:  # the kind is the item's data; its text may carry a total
            self.kind_box.addItem(k, k)
        self.kind_box.setVisible(len(self.KINDS) > 1)
        self.kind_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind_box.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.kind_box.currentIndexChanged.connect(self._on_kind_index)
        self.scope_label = QLabel("Scope: whole trace")
        self.follow_box = QCheckBox("Follow")
        self.follow_box.setToolTip(
            "Follow the selection: the scope is the selected time range, the goroutine "
            "group of the selected goroutine or span, or the selected task"
        )
        self.follow_box.setChecked(True)
        self.follow_box.toggled.connect(self._on_follow_toggled)
        # tool buttons: compact, so the kind chooser keeps its width in the ~360 px column
        self.whole_button = QToolButton()
        self.whole_button.setText("Whole trace")
        self.whole_button.setToolTip("Scope: the whole trace")
        self.whole_button.clicked.connect(lambda: self.set_scope(Scope()))
        self.export_button = QToolButton()
        self.export_button.setText("pprof…")
        self.export_button.setToolTip("Export the shown profile as pprof (.pb.gz)")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.status = QLabel()
        # controls on one row; scope and status below, wrapped (the dock column is ~360 px)
        bar = QHBoxLayout()
        self.bar = bar  # subclasses add their controls
        for w in (self.kind_box, self.follow_box, self.whole_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        for label in (self.scope_label, self.status):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        # flame graph
        self.flame = FlameGraphView(value_label=self._value_text)
        self.flame.node_clicked.connect(self._on_node_clicked)
        self.flame_scroll = QScrollArea()
        self.flame_scroll.setWidgetResizable(True)
        self.flame_scroll.setWidget(self.flame)
        self.flame_scroll.setAlignment(Qt.AlignmentFlag.AlignTop)

        # top table and the intervals behind a frame
        self.top_model = NumpyTableModel(None, self)
        self.top_view = make_table_view(self.top_model)
        self.top_view.clicked.connect(self._on_top_clicked)
        self.behind_label = QLabel("Click a frame or a stack to list what is behind it.")
        self.behind_model = NumpyTableModel(self.bridge, self)
        self.behind_view = make_table_view(self.behind_model)
        self.behind_view.clicked.connect(self._on_behind_clicked)
        self.behind_view.doubleClicked.connect(self._on_behind_double_clicked)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.behind_label)
        lay.addWidget(self.behind_view)
        self.behind_label.setWordWrap(True)
        self.behind_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # side by side when wide (floated, or a bottom dock ~240 px high); stacked in the
        # ~360 px dock column
        split = AdaptiveSplitter(
            [self.flame_scroll, self.top_view, box],
            [4, 4, 3],
            vertical_stretch=[4, 3, 3],
            wide_px=WIDE_PX,
        )
        self.splitter = split
        root = QVBoxLayout(self)
        root.setContentsMargins(4, 4, 4, 4)
        root.addLayout(bar)
        root.addWidget(self.scope_label)
        root.addWidget(self.status)
        root.addWidget(split, 1)

        ctx.window.path_opened.connect(self._on_path_opened)
        ctx.window.loaded.connect(self._on_loaded)
        on_load_failed(ctx.window, self._on_load_failed)
        ctx.selection.changed.connect(self._on_selection_changed)
        self._set_status("Open a trace.")
        self.export_button.setEnabled(False)

    # -- public API (GUI thread) -----------------------------------------------------------
    def set_kind(self, kind: str) -> None:
        if kind not in self.KINDS or kind == self.kind and self.view is not None:
            return
        self.kind = kind
        i = self.kind_box.findData(kind)
        if i != self.kind_box.currentIndex():
            self.kind_box.setCurrentIndex(i)
        self._refresh()

    @Slot(int)
    def _on_kind_index(self, i: int) -> None:
        kind = self.kind_box.itemData(i)
        if kind is not None:
            self.set_kind(kind)

    def set_scope(self, scope: Scope) -> None:
        self.scope = scope
        self.scope_label.setText(f"Scope: {scope.describe()}")
        self._refresh()

    def start(self) -> None:
        """Start (or join) the profile pass of the loaded trace."""
        session = getattr(self.window_, "session", None)
        if session is None or session.details is None:
            return
        if self._pass is None:
            self._timeline = session.timeline
            p = ProfilePass.for_session(session, self.bridge)
            self._pass = p
            p.ready.connect(self._on_pass_ready)
            p.failed.connect(self._on_pass_failed)
            p.progressed.connect(self._on_pass_progress)
            if p.result is not None:
                self._on_pass_ready(p.result)
                return
        if not self._pass.started:
            self._pass.start()
            self._set_status("Reading the trace for profiles…")

    def export_pprof(self, path: str) -> int:
        """Write the shown profile as gzipped pprof; returns the number of records."""
        from goroscope.export.pprof import write_records

        if self.view is None or self.data is None:
            raise RuntimeError("no profile to export")
        recs = records(self.data, self.view)
        write_records(path, recs, "cpu" if self.kind == "cpu" else self.kind)
        return len(recs)

    def select_frame(self, node: int) -> None:
        """Select (and zoom to) a flame-graph node; lists what is behind it."""
        self.flame.select(node)

    # -- value formatting --------------------------------------------------------------------
    def _value_text(self, v) -> str:
        return format_duration(float(v))

    def _value_columns(self, view):
        pct = 100.0 / max(view.total_ns, 1)
        return [
            Column("Total delay", view.totals_ns,
                   lambda v: f"{format_duration(float(v))}  {int(v) * pct:.1f}%",
                   header_tip="delay summed over the stack's intervals, and its share"),
            Column("Count", view.counts, lambda v: f"{int(v):,}"),
        ]  # fmt: skip

    def _behind_columns(self, iv):
        return [
            Column("Goroutine", iv.g_idx, self._g_label, align_right=False, link=True),
            Column("Start", iv.start_ns, format_time, link=True),
            Column("Delay", iv.end_ns - iv.start_ns, lambda v: format_duration(float(v))),
        ]

    # -- internals ---------------------------------------------------------------------------
    def _set_status(self, text: str) -> None:
        self.status.setText(text)

    def _g_label(self, g) -> str:
        return goroutine_label(self._timeline, g)

    def showEvent(self, ev) -> None:  # noqa: N802
        super().showEvent(ev)
        self.start()

    @Slot(str)
    def _on_path_opened(self, _path: str) -> None:
        if self._pass is not None:
            self._pass.ready.disconnect(self._on_pass_ready)
            self._pass.failed.disconnect(self._on_pass_failed)
            self._pass.progressed.disconnect(self._on_pass_progress)
            self._pass.cancel()
        self._pass = None
        self._timeline = None
        self.data = self.view = self.flame_data = self._labels = None
        self.jobs.forget()
        self.scope = Scope()
        self.scope_label.setText("Scope: whole trace")
        self.flame.set_data(None)
        self.top_model.clear()
        self.behind_model.clear()
        self.export_button.setEnabled(False)
        self._set_status("Loading…")

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._on_path_opened("")
        self._set_status(failed_text(message))

    @Slot()
    def _on_loaded(self) -> None:
        if self.isVisible():
            self.start()
        else:
            self._set_status("Computed when shown.")

    @Slot(object)
    def _on_pass_ready(self, data) -> None:
        self.data = data
        self._refresh()

    @Slot(object)
    def _on_pass_failed(self, exc) -> None:
        self._set_status(f"Profiles failed: {exc}")

    @Slot(float)
    def _on_pass_progress(self, fraction: float) -> None:
        self._set_status(f"Reading the trace for profiles… {fraction:.0%}")

    def _refresh(self) -> None:
        if self.data is None or self._timeline is None:
            return
        self._set_status("Computing…")
        self.jobs.submit(
            "profile-view",
            self.VIEW_JOB,
            self._timeline,
            self.data,
            self.kind,
            self.scope,
            done=self._on_view_ready,
        )

    def _on_view_ready(self, result) -> None:
        self.view, self.flame_data, self._labels = result
        self._show_view()

    @property
    def busy(self) -> bool:
        """A view, a list or a sort is being computed."""
        return self.jobs.running() or self.behind_model.sorting

    @Slot(str, object)
    def _on_job_failed(self, _name: str, exc) -> None:
        self._set_status(f"Failed: {exc}")

    def _show_view(self) -> None:
        view, data = self.view, self.data
        self.flame.set_data(self.flame_data)
        leaf, where = self._labels  # per record, from the job (1 M stacks on hostile traces)

        def stack_tip(i: int) -> str:
            fr = data.frames[int(view.handles[i])]
            return "\n".join(f"{fn}  {file}:{line}" for _pc, fn, file, line in fr) or "(no stack)"

        rec = np.arange(len(view.handles))  # values: the record; shown and sorted by name
        desc = Qt.SortOrder.DescendingOrder
        # values first, as pprof's top (the names elide; the values stay in view in the
        # ~360 px dock column); the leaf alone repeats (every net stack ends in
        # internal/poll), "Called from" tells the stacks apart
        values = self._value_columns(view)
        self.top_model.set_columns(
            [
                *values,
                Column(
                    "Function (leaf)",
                    rec,
                    fmt=leaf.__getitem__,
                    tooltip=stack_tip,
                    align_right=False,
                    key=leaf,
                ),  # fmt: skip
                Column(
                    "Called from",
                    rec,
                    fmt=where.__getitem__,
                    tooltip=stack_tip,
                    align_right=False,
                    key=where,
                ),  # fmt: skip
            ],
            sort=(0, desc),
        )
        set_sort_indicator(self.top_view, 0, desc)
        fit_columns(self.top_view, self.top_model, max_px=200)
        self.behind_model.clear()
        self.behind = None
        self.jobs.forget_one("profile-behind")
        self.behind_label.setText("Click a frame or a stack to list what is behind it.")
        n = view.n
        self.export_button.setEnabled(True)
        self.views_shown += 1
        if n == 0:
            self._set_status(self.EMPTY)
        else:
            self._set_status(self._summary_text(view))

    def _summary_text(self, view) -> str:
        return (
            f"{self.kind}: {view.n:,} intervals, {len(view.keys):,} stacks, "
            f"{format_duration(float(view.total_ns))} in total"
        )

    def _list_behind(self, rec_idx: np.ndarray, what: str) -> None:
        """List the intervals of records ``rec_idx`` (indices into the view's records): the
        selection runs in a job (tens of millions of intervals on big traces)."""
        self.behind_label.setText(f"Collecting what is behind {what}…")
        self._behind_what = what
        self.jobs.submit(
            "profile-behind",
            behind,
            self._timeline,
            self.data,
            self.view,
            rec_idx,
            cancel=JobBridge.CANCEL,
            done=self._show_behind,
        )

    def _show_behind(self, result) -> None:
        what = self._behind_what
        self.behind = result
        total, listed = result.total, len(result.iv)
        desc = Qt.SortOrder.DescendingOrder
        self.behind_model.set_columns(
            self._behind_columns(result.iv), sort=(self.BEHIND_SORT, desc)
        )
        set_sort_indicator(self.behind_view, self.BEHIND_SORT, desc)
        shown = "" if total == listed else f" (the {listed:,} {self.LONGEST} listed)"
        self.behind_label.setText(f"{total:,} {self.BEHIND_WHAT} behind {what}{shown}")
        set_widths(self.behind_view, self.behind_model, {"Goroutine": 190}, 85)

    @Slot(int)
    def _on_node_clicked(self, node: int) -> None:
        fd = self.flame_data
        if fd is None or self.view is None or not 0 <= node < len(fd):
            return
        self._list_behind(fd.stacks_under(node), fd.name[node])

    def _on_top_clicked(self, index) -> None:
        i = self.top_model.source_row(index.row())
        fd = self.flame_data
        if fd is not None and fd.stack_nodes[i] >= 0:
            self.flame.item.set_selected(int(fd.stack_nodes[i]))
            self.flame.zoom_to(int(fd.stack_nodes[i]))
        self._list_behind(np.array([i]), "this stack")

    def behind_ref(self, row: int, column: str):
        """The selection value a link in the intervals list stands for (view row)."""
        r = self.behind_model.source_row(row)
        iv = self.behind.iv
        g = int(iv.g_idx[r])
        if g < 0:
            return None
        if column == "Goroutine":
            return GoroutineRef(g)
        return self._span_ref_at(g, int(iv.start_ns[r]))

    def _span_ref_at(self, g: int, t_ns: int) -> SpanRef:
        row = self._timeline.goroutine_row(g)
        i = int(np.searchsorted(row.start_ns, t_ns, side="right")) - 1
        return SpanRef.goroutine(g, max(i, 0))

    def _on_behind_clicked(self, index) -> None:
        col = self.behind_model.column(index.column())
        if col.link:
            self._reveal(self.behind_ref(index.row(), col.title))

    def _on_behind_double_clicked(self, index) -> None:
        self._reveal(self.behind_ref(index.row(), "Start"))

    def _on_follow_toggled(self, on: bool) -> None:
        self.follow = on
        if on:
            self._follow(self.selection.current)

    @Slot(object, object)
    def _on_selection_changed(self, _old, new) -> None:
        if self.follow and not self._reveal.active:
            self._follow(new)

    def scope_for(self, sel) -> Scope | None:
        """The scope a selection value stands for (None: keep the current one)."""
        tl = self._timeline
        if tl is None:
            return None
        if isinstance(sel, TimeRange):
            return Scope("time", sel.t0_ns, sel.t1_ns)
        if isinstance(sel, TaskRef):
            return self._task_scope(sel.task_idx)
        g = -1
        if isinstance(sel, GoroutineRef):
            g = sel.goroutine_idx
        elif isinstance(sel, SpanRef) and sel.resource_kind == "goroutine":
            g = sel.resource_idx
        elif isinstance(sel, SpanRef) and sel.resource_kind == "region":
            g = sel.resource_idx
            task = self._task_of_region(g, sel.span_idx)
            if task >= 0:
                return self._task_scope(task)
        if 0 <= g < tl.n_goroutines:
            code = int(tl.goroutines.start_func[g])
            return Scope("group", name=tl.strings[code] if code >= 0 else "", func_code=code)
        return None

    def _task_scope(self, task_idx: int) -> Scope | None:
        tl = self._timeline
        if not 0 <= task_idx < len(tl.tasks):
            return None
        t = tl.tasks
        typ = int(t.type[task_idx])
        label = f"{int(t.task_id[task_idx])} {tl.strings[typ] if typ >= 0 else ''}".rstrip()
        return Scope("task", name=label, task_idx=task_idx)

    def _task_of_region(self, g: int, span_idx: int) -> int:
        """The task row of the timeline's region span ``span_idx`` of goroutine ``g`` (-1)."""
        tl = self._timeline
        reg = tl.regions_of(g)
        m = reg.depth == 0
        s = np.where(reg.start_ns[m] < 0, 0, reg.start_ns[m])
        o = np.argsort(s, kind="stable")
        if not 0 <= span_idx < len(o):
            return -1
        tid = reg.task_id[m][o][span_idx]
        rows = np.flatnonzero(tl.tasks.task_id == tid)
        return int(rows[0]) if len(rows) and int(tid) != 0 else -1

    def _follow(self, sel) -> None:
        scope = self.scope_for(sel)
        if scope is not None and scope != self.scope:
            self.set_scope(scope)

    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export pprof", f"{self.kind}.pb.gz", "pprof (*.pb.gz);;All files (*)"
        )
        if path:
            n = self.export_pprof(path)
            self._set_status(f"Wrote {n:,} stacks to {path}")


class BlockingPanel(ProfilePanelBase):
    """net / sync / syscall / sched blocking profiles (see the module doc).

    The kind chooser names each kind's total delay in the current scope (``sync —
    1.23 s``, computed in a job after the view shows), so an empty view of one kind says
    where the blocking is: a goroutine group that only waits on channels showed an empty
    ``net`` profile with no hint that ``sync`` has it."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.kind_totals: dict[str, int] | None = None  # of the scope shown

    def set_scope(self, scope) -> None:
        self._set_kind_totals(None)
        super().set_scope(scope)

    def _on_path_opened(self, path: str) -> None:
        self._set_kind_totals(None)
        super()._on_path_opened(path)

    def _show_view(self) -> None:
        super()._show_view()
        if self.kind_totals is None or self.kind_totals.get("_scope") != self.view.scope:
            self.jobs.submit(
                "kind-totals",
                kind_totals,
                self._timeline,
                self.data,
                self.view.scope,
                self.KINDS,
                cancel=JobBridge.CANCEL,
                done=self._set_kind_totals,
            )
        else:
            self._empty_hint()

    def _set_kind_totals(self, totals) -> None:
        self.kind_totals = totals
        for i in range(self.kind_box.count()):
            k = self.kind_box.itemData(i)
            text = k
            if totals is not None and k in totals:
                t = totals[k]
                text = f"{k} — {format_duration(float(t))}" if t else f"{k} — none"
            self.kind_box.setItemText(i, text)
        if totals is not None:
            self._empty_hint()

    def _empty_hint(self) -> None:
        """An empty view names the kinds that do have blocking in this scope."""
        t = self.kind_totals
        if self.view is None or self.view.n or not t:
            return
        others = [k for k in self.KINDS if t.get(k)]
        if others:
            self._set_status(
                f"No {self.kind} blocking in this scope; "
                + ", ".join(f"{k}: {format_duration(float(t[k]))}" for k in others)
                + " (choose the kind above)."
            )


def kind_totals(tl, data, scope, kinds, cancel=None) -> dict:
    """Total delay per kind in ``scope`` (job thread): ``{kind: ns, "_scope": scope}``;
    the whole trace's from the pass, any other scope one scan per kind."""
    out: dict = {"_scope": scope}
    for k in kinds:
        if cancel is not None:
            cancel.raise_if_set()
        out[k] = scope_view(tl, data, k, scope, cancel).total_ns
    return out
