"""TraceView: the explorer's central widget for one opened trace (GUI thread only).

Layout, top to bottom:

* a **banner** (hidden unless the trace is damaged: what was read, what was lost),
* pinned tracks above the rows, x-linked to the timeline: **GC / STW** (GC mark
  phases, stop-the-world pauses, CPU samples when the trace has them), **heap**
  (in use and goal; y labels in MiB/GiB) and **goroutines** (how many are running, runnable,
  waiting, in syscall, from the model's binned counters),
* the :class:`~goroscope.ui.panels.timeline.TimelinePanel` over a
  :class:`~goroscope.ui.panels.trace_source.TraceTimelineSource` (procs, threads,
  goroutine groups), with its legend and status line.

:func:`build_view_data` is the job-side half (pure numpy, any thread): given a
Timeline snapshot it makes the source, prefetches proc/thread rows (their first
build walks every segment: too slow for the GUI thread on big traces) and the
pinned tracks' arrays, so :meth:`TraceView.show_data` only swaps objects.

**Staged repaint** (the ~10 ms GUI budget, STYLE §4.4). Each plot is its own
``QGraphicsView``: a snapshot swap that moved the shared x range (the view follows
the whole trace while it loads) used to repaint all four plots back to back — one
queued event each, which Qt's event loop runs before any timer gets its turn:
22–29 ms of GUI time in a row on the 12 MB trace. :meth:`TraceView.show_data` now
swaps the data with every plot's updates off (``setUpdatesEnabled(False)``: linked
ranges still follow, nothing is painted); then the timeline paints, and each pinned
plot gets its new data and paints, each in its own event-loop turn ``STAGE_STEP_MS``
apart (:meth:`TraceView.flush_staged` does the rest at once). For those few ms a
plot shows its previous frame. :meth:`TraceView.hold` turns updates off the same
way before the view is first shown (the switch lays out every plot: one turn; the
paints follow in their own).

**Retired snapshots.** The previous :class:`ViewData` (its source, Timeline and
prepared rows) is handed to :func:`goroscope.jobs.reaper.retire` after a swap
instead of being dropped: freeing it here cost 43–65 ms of GUI-thread CPU per swap
late in the 450 MB trace's load (0.4–1.8 GB of touched pages unmapped while
holding the GIL; see the reaper's docstring). The reaper releases the pages of
the arrays only it still references with ``madvise`` (GIL released), then frees
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from goroscope.jobs.reaper import retire
from goroscope.model.events import GoState
from goroscope.model.timeline import Timeline
from goroscope.ui.bridge import JobBridge
from goroscope.ui.items.counter_curve import CounterCurve, counter_ticks, si_label, step_points
from goroscope.ui.items.span_track import PreparedRows, SpanTrackItem, prepare_rows
from goroscope.ui.items.tick_rows import TickRowsItem
from goroscope.ui.panels.timeline import TimelinePanel, ViewHint
from goroscope.ui.panels.trace_source import TraceTimelineSource
from goroscope.ui.selection import SelectionModel
from goroscope.ui.theme import Palette, StateFamily

F = StateFamily
#: Snapshots with fewer spans get their proc/thread rows rebuilt every time.
PREFETCH_SPANS = 4_000_000
#: Merge threshold of the pinned rows (px): thin GC/STW pauses stay visible.
PINNED_MIN_PX = 1.0
#: A staged snapshot swap repaints one pinned plot per event-loop turn, this far apart (ms).
#: Longer than a typical 5 ms timer so the loop goes idle in between (a 0 ms timer is a
#: queued call: Qt would run the steps back to back).
STAGE_STEP_MS = 8
#: The counter plots' y range is the data's maximum × this: the band above is the legend's.
HEADROOM = 1.8


@dataclass(frozen=True, slots=True)
class PinnedRows:
    """Span rows of the pinned GC/STW track: labels and (start, end, family) per row."""

    labels: tuple[str, ...]
    spans: tuple[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint8]], ...]
    names: tuple[NDArray[np.int32], ...]  # string code per span (range names), -1 none
    #: CPU-sample times (ns, ascending) drawn as ticks on row ``cpu_row`` (-1: no such row)
    cpu_ticks: NDArray[np.int64] | None = None
    cpu_row: int = -1

    def ticks(self, row: int) -> NDArray[np.int64] | None:
        """The CPU-sample ticks of ``row`` (:class:`TickRowsItem`'s ``ticks_of``)."""
        return self.cpu_ticks if row == self.cpu_row else None


@dataclass(frozen=True, slots=True)
class ViewData:
    """Everything the view shows for one snapshot (built off the GUI thread)."""

    timeline: Timeline
    source: TraceTimelineSource
    pinned: PinnedRows
    heap: dict[str, tuple[NDArray, NDArray]]
    counts: dict[str, tuple[NDArray, NDArray]]
    #: rows of the timeline and of the pinned track built and merged for the view the
    #: job expected (None: nothing prepared), and the counters resampled for it
    rows: PreparedRows | None = None
    pinned_rows: PreparedRows | None = None
    curves: dict[str, tuple] | None = None
    #: sizes for the status bar: goroutines, procs, threads, spans (n_spans walks every
    #: segment: counted here, not on the GUI thread)
    sizes: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: the largest value of each counter plot's series (its y range)
    tops: dict[str, float] | None = None


def _ranges_row(tl: Timeline, prefix: str, fam: StateFamily):
    r = tl.ranges_named(prefix)
    s = np.where(r.start_ns < 0, 0, r.start_ns)
    o = np.argsort(s, kind="stable")
    s, e, name = s[o].astype(np.int64), r.end_ns[o].astype(np.int64), r.name[o]
    # An open range (end -1) lasts until the trace end — or, NOTE: until the next range of
    # the same kind begins (the model reports some GCs as still open at a generation
    # boundary although later ones begin and end: go1.27/gc.trace at 167 ms).
    nxt = np.append(s[1:], tl.covered_ns)
    e = np.where(e < 0, nxt, e)
    if len(s) > 1:  # overlapping ranges (per-proc scopes) merge into one row
        e = np.maximum.accumulate(e)
        keep = np.ones(len(s), bool)
        keep[1:] = s[1:] >= e[:-1]
        starts = s[keep]
        ends = np.maximum.reduceat(e, np.flatnonzero(keep))
        name = name[keep]
        s, e = starts, ends
    return (s, np.maximum(e, s), np.full(len(s), int(fam), np.uint8)), name


def _pinned_rows(tl: Timeline) -> PinnedRows:
    labels, spans, names = [], [], []
    for label, prefix, fam in (
        ("GC", "GC concurrent mark phase", F.GC),
        ("STW", "stop-the-world", F.STW),
        ("GC assist", "GC mark assist", F.GC_ASSIST),
    ):
        row, name = _ranges_row(tl, prefix, fam)
        if len(row[0]) == 0 and label != "GC":
            continue  # no empty rows; "GC" stays so "no GC in this trace" is visible
        if len(row[0]) == 0:
            label = "GC (none)"
        labels.append(label)
        spans.append(row)
        names.append(name)
    cs = tl.cpu_samples
    ticks, cpu_row = None, -1
    if len(cs):
        # point events: drawn as ticks in the legend's "CPU sample" colour (the same
        # TickRowsItem as the goroutine rows' samples), not as 1 ns spans — merged at
        # overview those became faint grey runs of a tiny covered fraction
        ticks = np.sort(cs.time_ns).astype(np.int64)
        cpu_row = len(labels)
        labels.append(f"CPU samples ({len(ticks):,})")
        z = np.zeros(0, np.int64)
        spans.append((z, z, np.zeros(0, np.uint8)))
        names.append(np.zeros(0, np.int32))
    return PinnedRows(tuple(labels), tuple(spans), tuple(names), ticks, cpu_row)


def _step_xy(time_ns: NDArray, value: NDArray, end_ns: int, scale: float = 1.0):
    """(time_ns (n,) int64, value (n,) float64 × scale): one counter series."""
    return np.asarray(time_ns, np.int64), np.asarray(value, np.float64) * scale


class _EmptySource:
    """The timeline before a trace is loaded (no rows)."""

    def duration_ns(self) -> int:
        return 1_000_000

    def rows(self):
        return []

    def spans(self, row: int):
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0, np.uint8)

    def state_families(self):
        return list(StateFamily)

    def span_label(self, row: int, span_idx: int):
        return ()


def empty_view_data() -> ViewData:
    """What the view shows before the first snapshot (built once, with the window)."""
    return ViewData(None, _EmptySource(), PinnedRows((), (), ()), {}, {})  # type: ignore[arg-type]


def build_view_data(
    timeline: Timeline,
    previous: TraceTimelineSource | None = None,
    *,
    prefetch: bool = True,
    hint: ViewHint | None = None,
) -> ViewData:
    """Job: the source, prefetched proc/thread rows and pinned-track arrays (pure; any thread).

    With a ``hint`` (:meth:`TimelinePanel.view_hint` read when the job started) the
    rows that will be visible after the swap are built and merged here, the pinned
    rows merged and the counters resampled so
    :meth:`TraceView.show_data` costs the GUI thread only the swap and one paint
    that draws (measured: the swap of the 450 MB trace's snapshots went from
    0.4–3.9 s of GUI-thread CPU to a few ms).
    """
    tl = timeline
    src = TraceTimelineSource(tl, previous)
    # Proc/thread rows walk every segment: for the first and the complete snapshot, and for
    # small ones; in between the previous rows carry over (valid for their covered time).
    if prefetch and (previous is None or tl.complete or tl.n_spans < PREFETCH_SPANS):
        src.prefetch_occupancy(threads=tl.n_spans < PREFETCH_SPANS)
    end = tl.covered_ns
    heap = {}
    mib = 1.0 / (1 << 20)
    for key, name in (("heap_in_use", "heap in use"), ("heap_goal", "heap goal")):
        s = tl.metrics.get(key)
        if s is not None and len(s):
            heap[name] = _step_xy(s.time_ns, s.value, end, mib)
    counts = {}
    sb = tl.state_bins
    for st, name in (
        (GoState.Running, "goroutines running"),
        (GoState.Runnable, "runnable"),
        (GoState.Waiting, "waiting"),
        (GoState.Syscall, "syscall"),
    ):
        if len(sb.time_ns):
            s = sb.series(st)
            counts[name] = _step_xy(s.time_ns, s.value, end)
    pinned = _pinned_rows(tl)
    rows = pinned_rows = curves = None
    if hint is not None:
        vp = hint.viewport_for(src.duration_ns())
        n_states = len(StateFamily)
        visible = range(max(0, hint.row_lo), min(src.row_count(), hint.row_hi + 1))
        rows = prepare_rows(visible, src.spans, src.row_key, vp, n_states=n_states)
        pinned_rows = prepare_rows(
            range(len(pinned.labels)),
            pinned.spans.__getitem__,
            _identity,
            vp,
            min_px=PINNED_MIN_PX,
            n_states=n_states,
        )
        if vp is not None:
            # the counter plots' view boxes are as wide as the timeline's (same axis
            # width and margins), so the resampling matches CounterCurve.refresh's
            w = int(max(vp.width_px, 100))
            t1 = min(vp.t1_ns, max(float(end), vp.t0_ns + 1))
            curves = {
                name: (vp.t0_ns, vp.t1_ns, w, *step_points(*xy, vp.t0_ns, t1, w))
                for name, xy in (heap | counts).items()
            }
    sizes = (tl.n_goroutines, len(tl.proc_ids), len(tl.thread_ids), tl.n_spans)
    tops = {name: float(np.max(xy[1])) for name, xy in (heap | counts).items() if len(xy[1])}
    return ViewData(tl, src, pinned, heap, counts, rows, pinned_rows, curves, sizes, tops)


def _identity(row: int) -> int:
    return row


_CURVE_FAMILIES = {
    "goroutines running": F.RUNNING,
    "runnable": F.RUNNABLE,
    "waiting": F.WAITING,
    "syscall": F.SYSCALL,
    "heap in use": F.SYSCALL,
    "heap goal": F.WAITING_OTHER,
}


class TraceView(QWidget):
    """Banner + pinned tracks + timeline of one trace (GUI thread only).

    ``staged_done`` is emitted when the last staged pinned-plot update of a swap ran.
    """

    staged_done = Signal()

    def __init__(
        self,
        data: ViewData,
        selection: SelectionModel,
        palette: Palette | None = None,
        *,
        bridge: JobBridge | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.palette_ = palette or Palette()
        self.data = data
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff3cd; color: #5c4400; border: 1px solid #e0c060; padding: 6px;"
        )
        self.banner.setVisible(False)
        self.timeline = TimelinePanel(
            data.source, selection, self.palette_, bridge=bridge, summary=False
        )
        tp = self.timeline
        # pinned GC / STW / CPU-sample rows
        self.pinned_plot = tp.add_header_plot(18 * len(data.pinned.labels) + 4)
        pvb = self.pinned_plot.getPlotItem().getViewBox()
        pvb.invertY(True)
        self.pinned_track = SpanTrackItem(
            len(data.pinned.labels),
            self._pinned_spans,
            self.palette_.default_table(),
            data.source.duration_ns(),
            label_of=self._pinned_label,
            min_px=PINNED_MIN_PX,
            lifetime_of=lambda _row: False,
        )
        pvb.addItem(self.pinned_track)
        self.pinned_ticks = TickRowsItem(
            len(data.pinned.labels),
            data.pinned.ticks,
            data.source.duration_ns(),
            self.palette_.color(F.CPU_SAMPLE),
            band=(0.1, 0.8),  # the span rows' bar (row_height 0.8, centred)
        )
        pvb.addItem(self.pinned_ticks)
        pvb.setYRange(0, len(data.pinned.labels), padding=0)
        self._set_pinned_ticks()
        # counters
        self.heap_plot = tp.add_header_plot(68)
        self.count_plot = tp.add_header_plot(68)
        self._curves: dict[str, pg.PlotDataItem] = {}
        for plot, names in (
            (self.heap_plot, ("heap in use", "heap goal")),
            (self.count_plot, ("goroutines running", "runnable", "waiting", "syscall")),
        ):
            pi = plot.getPlotItem()
            legend = pi.addLegend(offset=(4, 1), colCount=len(names), labelTextSize="8pt")
            # no box: the curves keep out of the legend's band (headroom below), and a
            # translucent box over a peak that still reached it paled the data
            legend.setBrush(pg.mkBrush(0, 0, 0, 0))
            for name in names:
                pen = pg.mkPen(self.palette_.color(_CURVE_FAMILIES[name]), width=1)
                if name == "heap goal":
                    pen.setStyle(Qt.PenStyle.DashLine)
                c = CounterCurve(pen=pen, name=name)
                pi.addItem(c)
                self._curves[name] = c
            pi.getViewBox().enableAutoRange(axis="y", enable=False)
        self._plots = {
            "timeline": tp.plot,
            "pinned": self.pinned_plot,
            "heap": self.heap_plot,
            "count": self.count_plot,
        }
        self._curve_plot = {
            n: ("heap" if plot is self.heap_plot else "count")
            for plot, names in (
                (self.heap_plot, ("heap in use", "heap goal")),
                (self.count_plot, ("goroutines running", "runnable", "waiting", "syscall")),
            )
            for n in names
        }
        # staged repaint: the pinned plots still to update after a swap, in this order
        self._staged: list[str] = []
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(STAGE_STEP_MS)
        self._stage_timer.timeout.connect(self._stage_step)
        tp.view_changed.connect(self._on_view_changed)
        self._set_curves(data)
        self._on_view_changed(*tp.view_range())
        self._scale_curves()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.banner)
        lay.addWidget(tp, 1)

    def set_palette(self, palette: Palette) -> None:
        """Re-theme live (the system switched dark/light)."""
        self.palette_ = palette
        self.timeline.set_palette(palette)
        self.pinned_track.set_colors(palette.default_table())
        self.pinned_ticks.set_color(palette.color(F.CPU_SAMPLE))
        for name, c in self._curves.items():
            pen = pg.mkPen(palette.color(_CURVE_FAMILIES[name]), width=1)
            if name == "heap goal":
                pen.setStyle(Qt.PenStyle.DashLine)
            c.setPen(pen)

    # -- pinned rows ------------------------------------------------------------------
    def _pinned_spans(self, row: int):
        return self.data.pinned.spans[row]

    def _pinned_label(self, row: int, span_idx: int):
        code = int(self.data.pinned.names[row][span_idx])
        if code < 0:
            return ()
        text = self.data.timeline.strings[code]
        short = (
            text.replace("stop-the-world ", "STW ")
            .replace("GC concurrent mark phase", "GC")
            .replace("GC mark assist", "assist")
        )
        return (text, short)

    def _set_pinned_ticks(self) -> None:
        ax = self.pinned_plot.getPlotItem().getAxis("left")
        ax.setTicks([[(i + 0.5, s) for i, s in enumerate(self.data.pinned.labels)], []])
        ax.setStyle(tickLength=0)

    def _set_curves(self, data: ViewData, plot: str | None = None) -> None:
        end = data.source.duration_ns()
        for name, c in self._curves.items():
            if plot is not None and self._curve_plot[name] != plot:
                continue
            xy = data.heap.get(name) or data.counts.get(name)
            if xy is None:
                c.set_series(np.zeros(0, np.int64), np.zeros(0), end, refresh=False)
            else:
                c.set_series(xy[0], xy[1], end, refresh=False)
            pts = (data.curves or {}).get(name)
            if pts is not None:  # resampled in the job for the view it expected
                c.preset(*pts)

    def _scale_curves(self, tops: dict[str, float] | None = None, only: str | None = None) -> None:
        for key, plot, names in (
            ("heap", self.heap_plot, ("heap in use", "heap goal")),
            ("count", self.count_plot, ("goroutines running", "runnable", "waiting", "syscall")),
        ):
            if only is not None and key != only:
                continue
            if tops is not None:  # the job's maxima (a scan of every sample)
                top = max((tops.get(n, 0.0) for n in names), default=1.0)
            else:
                top = max((self._curves[n].value_range()[1] for n in names), default=1.0)
            # headroom: the top ~45 % is the legend's band (dense curves made it unreadable;
            # at 1/3 the legend's box still overlapped the curves' peaks and paled them)
            top = max(top, 1.0)
            y_max = top * HEADROOM
            pi = plot.getPlotItem()
            pi.getViewBox().setYRange(0, y_max, padding=0)
            self._set_y_ticks(plot, top, y_max, "MiB" if key == "heap" else "")

    def _set_y_ticks(self, plot: pg.PlotWidget, top: float, y_max: float, unit: str) -> None:
        """Few y ticks, in the data's band only, spaced for their labels, in SI units
        (pyqtgraph's own put "300" of the count plot into the heap plot's labels and
        crowded "15 10 5" into a 68 px plot)."""
        ax = plot.getPlotItem().getAxis("left")
        font = ax.style.get("tickFont") or ax.font()
        label_px = QFontMetricsF(font).height()
        height_px = max(plot.height() - 2, 10)  # the view box fills the plot (no x axis)
        scale = 1024.0 if unit == "MiB" and top >= 1024 else 1.0  # GiB: nice in GiB
        ticks = [v * scale for v in counter_ticks(top / scale, y_max / scale, height_px, label_px)]
        ax.setTicks([[(v, si_label(v, unit)) for v in ticks], []])

    def _on_view_changed(self, t0: float, t1: float) -> None:
        for name, c in self._curves.items():
            if self._curve_plot[name] not in self._staged:  # a staged plot refreshes at its step
                c.refresh(t0, t1)

    # -- updates ----------------------------------------------------------------------
    def show_data(self, data: ViewData, *, staged: bool = True) -> None:
        """A newer snapshot (progressive loading) or a regrouped source.

        The timeline is swapped now; the pinned plots follow one per event-loop turn
        (module docstring, "Staged repaint") unless ``staged`` is False.
        """
        old, self.data = self.data, data
        # the pinned plot's height first: a change relays out the timeline, which is
        # painted now anyway (a later change would repaint it once more)
        self.pinned_plot.setFixedHeight(18 * len(data.pinned.labels) + 4)
        self.hold()
        self.timeline.set_source(data.source, prepared=data.rows)
        if staged:
            self._stage_timer.start()
        else:
            self.flush_staged()
        # the previous snapshot's arrays are freed on the reaper thread, not here (module
        # docstring, "Retired snapshots"); this frame's `old` is its last reference
        retire(old)

    def hold(self, keys: tuple[str, ...] = ("timeline", "pinned", "heap", "count")) -> None:
        """Turn off updates of these plots until their staged steps (or :meth:`flush_staged`)."""
        order = ("timeline", "pinned", "heap", "count")
        self._staged = [k for k in order if k in keys or k in self._staged]
        for k in keys:
            self._plots[k].setUpdatesEnabled(False)
            if k != "timeline":
                # nor do they follow the timeline's x range until their step: a linked
                # range change costs each plot its axes' and curves' updates (24.9 ms
                # for the swap of a 450 MB-trace snapshot under load 10)
                self._plots[k].getPlotItem().getViewBox().blockLink(True)

    def show_source(self, source) -> None:
        """The same trace's source relaid out or with new statistics (strips, sort): swapped
        now, painted in the next event-loop turn (the swap and the paint are ~3 + ~7 ms)."""
        self.hold(("timeline",))
        self.timeline.set_source(source)
        self._stage_timer.start()

    def staged_pending(self) -> bool:
        """Whether some pinned plot still waits for its staged update."""
        return bool(self._staged)

    def flush_staged(self) -> None:
        """Apply every pending staged update now (screenshots, tests)."""
        self._stage_timer.stop()
        while self._staged:
            self._stage_step(chain=False)

    def _stage_step(self, *, chain: bool = True) -> None:
        """Give the next pinned plot its data and let it paint (GUI thread)."""
        if not self._staged:
            return
        key = self._staged.pop(0)
        data = self.data
        if key != "timeline":  # the timeline was swapped in show_data: only its paint waited
            vb = self._plots[key].getPlotItem().getViewBox()
            vb.blockLink(False)
            vb.linkedXChanged()  # catch up with the timeline's x range
        if key == "pinned":
            n = len(data.pinned.labels)
            self.pinned_track.set_rows(
                n, self._pinned_spans, data.source.duration_ns(), prepared=data.pinned_rows
            )
            self.pinned_ticks.set_rows(n, data.pinned.ticks, data.source.duration_ns())
            self._set_pinned_ticks()
            self.pinned_plot.getPlotItem().getViewBox().setYRange(0, n, padding=0)
        else:
            # preset for the view the job expected: the refresh below is then a no-op
            self._set_curves(data, key)
            t0, t1 = self.timeline.view_range()
            for name, c in self._curves.items():
                if self._curve_plot[name] == key:
                    c.refresh(t0, t1)
            self._scale_curves(data.tops, only=key)
        self._plots[key].setUpdatesEnabled(True)
        if not self._staged:
            self.staged_done.emit()
        elif chain:
            self._stage_timer.start()

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
