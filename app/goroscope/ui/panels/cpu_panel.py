"""CPU panel: a flame graph of the trace's CPU samples, per scope (GUI thread).

The trace's ``StackSample`` events (``pprof.StartCPUProfile`` while tracing) per
call path: a flame graph, a top table and, for the selected frame, function or
stack, the samples behind it (time and goroutine, both links). The top table is
**by function** by default, as ``go tool pprof -top``: flat (samples whose leaf is
the function), cum (samples whose stack contains it), both with their share,
sorted by flat (:mod:`goroscope.ui.models.function_table`); **by stack** lists the
call paths as the Blocking panel does. By stack alone was of little use on a real
CPU profile: every recursion depth or sort partition is its own stack (1,318 stacks
for 2,773 samples in ``testdata/traces/go1.27/cpusamples.trace``, the biggest 2.5 %).

The scopes and the work split are the Blocking panel's
(:class:`~goroscope.ui.panels.blocking_panel.ProfilePanelBase`): the samples come
from the same shared profile pass; a time range keeps the samples inside it, a
group or task the samples of its goroutines (inside the task's regions).
Export writes a ``samples/count`` pprof profile. The trace does not record the
sampling period, so values are sample counts, not CPU time.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSizePolicy

from goroscope.ui.items.time_axis import format_duration
from goroscope.ui.models.function_table import elide_type_args, function_table
from goroscope.ui.models.profile_data import profile_flame
from goroscope.ui.models.table import Column
from goroscope.ui.panels.blocking_panel import (
    ProfilePanelBase,
    format_time,
    set_sort_indicator,
)
from goroscope.ui.panels.panel_support import fit_columns

__all__ = ["CpuPanel", "cpu_view_job"]

BY_FUNCTION = "by function"
BY_STACK = "by stack"


def cpu_view_job(tl, data, kind, scope):
    """``(view, flame, labels, (functions, node_function))`` (job thread):
    :func:`~goroscope.ui.models.profile_data.profile_flame` plus the per-function
    table and, per flame node, its function name as the table spells it."""
    view, flame, labels = profile_flame(tl, data, kind, scope)
    frames = [data.frames[h] for h in view.handles.tolist()]
    funcs = function_table(frames, view.counts)
    node_func = np.empty(len(flame.name), dtype=object)
    node_func[:] = [elide_type_args(n) for n in flame.name]
    return view, flame, labels, (funcs, node_func)


class CpuPanel(ProfilePanelBase):
    """CPU samples per call path (see the module doc)."""

    KINDS = ("cpu",)
    TITLE = "CPU"
    EMPTY = (
        "No CPU samples in this scope (the trace has samples only when a CPU profile "
        "ran while tracing: pprof.StartCPUProfile)."
    )
    BEHIND_SORT = 0
    BEHIND_WHAT = "samples"
    LONGEST = "earliest"
    VIEW_JOB = staticmethod(cpu_view_job)
    #: a trace without any sample (most traces): said once, whatever the scope
    NO_SAMPLES = (
        "This trace has no CPU samples: the runtime records them only while a CPU "
        "profile runs during tracing (pprof.StartCPUProfile, or go test -cpuprofile "
        "with -trace)."
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.functions = None  # FunctionTable of the view
        self._node_func = None
        self.mode_box = QComboBox()
        self.mode_box.addItems([BY_FUNCTION, BY_STACK])
        self.mode_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.mode_box.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.mode_box.setToolTip(
            "Top table by function (flat / cum, as go tool pprof -top) or by call path"
        )
        self.mode_box.currentTextChanged.connect(self._on_mode)
        self.bar.insertWidget(0, self.mode_box)

    @property
    def mode(self) -> str:
        return self.mode_box.currentText()

    def set_mode(self, mode: str) -> None:
        self.mode_box.setCurrentText(mode)

    def start(self) -> None:
        """As the Blocking panel's, but a trace without CPU samples needs no pass."""
        session = getattr(self.window_, "session", None)
        loaded = session is not None and session.details is not None
        if loaded and len(session.timeline.cpu_samples) == 0:
            if self._timeline is not session.timeline:
                self._timeline = session.timeline
                self.views_shown += 1
            self._set_status(self.NO_SAMPLES)
            return
        super().start()

    def _on_path_opened(self, path: str) -> None:
        self.functions = self._node_func = None
        super()._on_path_opened(path)

    def _on_view_ready(self, result) -> None:
        view, flame, labels, (self.functions, self._node_func) = result
        super()._on_view_ready((view, flame, labels))

    def _show_view(self) -> None:
        super()._show_view()
        if self.mode == BY_FUNCTION:
            self._show_functions()

    def _on_mode(self, _mode: str) -> None:
        if self.view is not None and self.functions is not None:
            self._show_view()

    def _show_functions(self) -> None:
        ft = self.functions
        pct = 100.0 / max(ft.total, 1)
        names = ft.names
        rows = np.arange(len(ft), dtype=np.int64)
        desc = Qt.SortOrder.DescendingOrder
        self.top_model.set_columns(
            [
                Column("Flat", ft.flat, lambda v: f"{int(v):,}  {int(v) * pct:.1f}%",
                       header_tip="samples with the function at the leaf, and their share "
                       "(pprof flat, flat%)"),
                Column("Cum", ft.cum, lambda v: f"{int(v):,}  {int(v) * pct:.1f}%",
                       header_tip="samples with the function anywhere in the stack, and "
                       "their share (pprof cum, cum%)"),
                Column("Function", rows, fmt=names.__getitem__, tooltip=names.__getitem__,
                       align_right=False, key=names),
            ],
            sort=(0, desc),
        )  # fmt: skip
        set_sort_indicator(self.top_view, 0, desc)
        fit_columns(self.top_view, self.top_model, max_px=320)

    def _on_top_clicked(self, index) -> None:
        if self.mode != BY_FUNCTION or self.functions is None:
            super()._on_top_clicked(index)
            return
        i = self.top_model.source_row(index.row())
        name = str(self.functions.names[i])
        fd = self.flame_data
        if fd is not None and self._node_func is not None:
            nodes = np.flatnonzero(self._node_func == name)
            if len(nodes):  # the biggest frame of the function
                node = int(nodes[np.argmax(fd.value[nodes])])
                self.flame.item.set_selected(node)
                self.flame.zoom_to(node)
        self._list_behind(self.functions.records(i), name)

    def _value_text(self, v) -> str:
        return f"{int(v):,} samples"

    def _value_columns(self, view):
        pct = 100.0 / max(int(view.counts.sum()), 1)
        return [
            Column("Samples", view.counts, lambda v: f"{int(v):,}  {int(v) * pct:.1f}%",
                   header_tip="samples with this call path, and their share"),
        ]  # fmt: skip

    def _behind_columns(self, iv):
        return [
            Column("Time", iv.start_ns, format_time, link=True),
            Column("Goroutine", iv.g_idx, self._g_label, align_right=False, link=True),
        ]

    def behind_ref(self, row: int, column: str):
        if column == "Start":  # a double click: the span at the sample's time
            column = "Time"
        return super().behind_ref(row, column)

    def _summary_text(self, view) -> str:
        n = int(view.counts.sum())
        span = ""
        if view.n:
            span = f" over {format_duration(float(view.t_max - view.t_min))}"
        return f"{n:,} CPU samples, {len(view.keys):,} stacks{span}"
