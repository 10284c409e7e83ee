"""CPU panel: a flame graph of the trace's CPU samples, per scope (GUI thread).

The trace's ``StackSample`` events (``pprof.StartCPUProfile`` while tracing) per
call path: a flame graph, a top table by stack (samples, share) and, for the
selected frame or stack, the samples behind it (time and goroutine, both links).
The scopes and the work split are the Blocking panel's
(:class:`~goroscope.ui.panels.blocking_panel.ProfilePanelBase`): the samples come
from the same shared profile pass; a time range keeps the samples inside it, a
group or task the samples of its goroutines (inside the task's regions).
Export writes a ``samples/count`` pprof profile. The trace does not record the
sampling period, so values are sample counts, not CPU time.
"""

from __future__ import annotations

from goroscope.ui.items.time_axis import format_duration
from goroscope.ui.models.table import Column
from goroscope.ui.panels.blocking_panel import ProfilePanelBase, format_time

__all__ = ["CpuPanel"]


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

    def start(self) -> None:
        """As the Blocking panel's, but a trace without CPU samples needs no pass."""
        session = getattr(self.window_, "session", None)
        loaded = session is not None and session.details is not None
        if loaded and len(session.timeline.cpu_samples) == 0:
            if self._timeline is not session.timeline:
                self._timeline = session.timeline
                self.views_shown += 1
            self._set_status(self.EMPTY)
            return
        super().start()

    def _value_text(self, v) -> str:
        return f"{int(v):,} samples"

    def _value_columns(self, view):
        total = max(int(view.counts.sum()), 1)
        return [
            Column("Samples", view.counts, lambda v: f"{int(v):,}"),
            Column("%", view.counts * (100.0 / total), lambda v: f"{float(v):.1f}"),
        ]

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
