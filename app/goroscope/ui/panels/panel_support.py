"""What the linked dock panels share: named background jobs, links, labels (GUI thread).

:class:`PanelJobs` — a panel's jobs by name over its :class:`~goroscope.ui.bridge.JobBridge`:
one request per name in flight (a newer one supersedes it, as the bridge's key does),
each result handed to the callback given with it, a failure reported once through
``failed`` with every other request of the panel dropped (as the panels did by hand).

:class:`LinkReveal` — ``selection.reveal`` of a link's value while a flag tells the
panel's own ``_on_selection_changed`` that the change came from itself (a panel's
links do not move its own scope or filter).

:func:`goroutine_label` / :func:`task_label` — ``G12 main.worker`` / ``7 order``
("—" for -1) from a Timeline, for table columns; :func:`loaded_timeline` — the
window's loaded Timeline (panels start their jobs from it at ``loaded``).

:func:`on_load_failed` — connect a panel to the window's ``load_failed``: a trace
that did not open must not leave the panel saying "Loading…" (:func:`failed_text`
is what it says instead).

Layout in the dock column (every dock is tabbed in one ~360 px right-hand column,
``docks.RIGHT_WIDTH_PX``, and can be floated or moved to the bottom):
:class:`AdaptiveSplitter` puts its panes side by side when it is wide enough and
stacks them when it is narrow; :func:`fit_columns` sizes a numpy table's columns to
their header and widest value (a handful of formatted samples, never
``resizeColumnToContents``, which formats up to 1,000 rows per column).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QSplitter, QTableView, QWidget

from goroscope.ui.bridge import JobBridge

__all__ = [
    "AdaptiveSplitter",
    "LinkReveal",
    "PanelJobs",
    "failed_text",
    "fit_columns",
    "goroutine_label",
    "loaded_timeline",
    "on_load_failed",
    "scroll_to_current_when_shown",
    "task_label",
]


class PanelJobs(QObject):
    """Named jobs of one panel (see the module doc). ``failed(name, exc)``."""

    failed = Signal(str, object)

    def __init__(self, bridge: JobBridge, panel: QObject) -> None:
        super().__init__(panel)
        self._bridge = bridge
        self._owner = id(panel)
        self._current: dict[str, int] = {}
        self._done: dict[int, tuple[str, Callable[[Any], None]]] = {}
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)

    def submit(self, name: str, fn, *args, done: Callable[[Any], None], **kwargs) -> int:
        """Run ``fn(*args, **kwargs)`` as the newest ``name`` job; ``done(result)`` on the
        GUI thread when it is still the newest."""
        old = self._current.pop(name, None)
        if old is not None:
            self._done.pop(old, None)
        rid = self._bridge.submit((name, self._owner), fn, *args, **kwargs)
        self._current[name] = rid
        self._done[rid] = (name, done)
        return rid

    def running(self, *names: str) -> bool:
        """A job (of one of ``names``; of any name without) is in flight."""
        return any(n in self._current for n in names) if names else bool(self._current)

    def forget_one(self, name: str) -> None:
        """Drop the ``name`` request in flight (its result is ignored)."""
        rid = self._current.pop(name, None)
        if rid is not None:
            self._done.pop(rid, None)

    def forget(self) -> None:
        """Drop every request in flight (a new trace): their results are ignored."""
        self._current.clear()
        self._done.clear()

    @Slot(int, object)
    def _on_finished(self, rid: int, result) -> None:
        hit = self._done.pop(rid, None)
        if hit is None:
            return
        name, done = hit
        del self._current[name]
        done(result)

    @Slot(int, object)
    def _on_failed(self, rid: int, exc) -> None:
        hit = self._done.get(rid)
        if hit is None:
            return
        self.forget()
        self.failed.emit(hit[0], exc)


class LinkReveal:
    """``reveal(value)``: ``selection.reveal(value)`` (None: nothing) with ``active`` True
    meanwhile, so the panel ignores the selection change its own link made."""

    def __init__(self, selection) -> None:
        self._selection = selection
        self.active = False

    def __call__(self, value) -> None:
        if value is None:
            return
        self.active = True
        try:
            self._selection.reveal(value)
        finally:
            self.active = False


def loaded_timeline(window):
    """The Timeline of the window's loaded session (None: no session or not loaded)."""
    session = getattr(window, "session", None)
    return None if session is None else session.timeline


def goroutine_label(tl, g) -> str:
    """``G<goid> <start function>`` of goroutine row ``g`` ("—" for -1 or no timeline)."""
    g = int(g)
    if tl is None or g < 0:
        return "—"
    f = int(tl.goroutines.start_func[g])
    return f"G{int(tl.goroutines.goid[g])} {tl.strings[f] if f >= 0 else ''}".rstrip()


def task_label(tl, t) -> str:
    """``<task id> <type>`` of task row ``t`` ("—" for -1 or no timeline)."""
    t = int(t)
    if tl is None or t < 0:
        return "—"
    c = int(tl.tasks.type[t])
    return f"{int(tl.tasks.task_id[t])} {tl.strings[c] if c >= 0 else ''}".rstrip()


def scroll_to_current_when_shown(view) -> None:
    """Bring ``view``'s current row into view (centred) one event-loop turn after its dock
    tab is raised: a row selected while the tab was behind another was scrolled to with
    the view's geometry of then, and lay below the visible rows once raised."""
    from PySide6.QtWidgets import QAbstractItemView

    def later() -> None:
        idx = view.currentIndex()
        if idx.isValid():
            view.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, view, later)


def on_load_failed(window, slot: Callable[[str], None]) -> None:
    """Connect ``slot(message)`` to ``window.load_failed`` (a window without it: nothing)."""
    sig = getattr(window, "load_failed", None)
    if sig is not None:
        sig.connect(slot)


def failed_text(message: str) -> str:
    """What a panel says after a failed open (``message`` is the window's ``title: text``)."""
    title = message.split(":", 1)[0].strip() or "The trace could not be opened"
    return f"No trace: {title}."


class AdaptiveSplitter(QSplitter):
    """Panes side by side when the splitter is at least ``wide_px`` wide, else stacked
    top to bottom (GUI thread).

    ``stretch`` gives each pane's share in both orientations (``vertical_stretch``
    overrides it when stacked). Orientation changes only when the width crosses
    ``wide_px``; a user's splitter drags are kept until then. ``reoriented(wide)``
    after a change (a panel may re-fit its columns).
    """

    reoriented = Signal(bool)

    def __init__(
        self,
        widgets: list[QWidget],
        stretch: list[int],
        *,
        wide_px: int,
        vertical_stretch: list[int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.wide_px = wide_px
        self._stretch = {
            Qt.Orientation.Horizontal: list(stretch),
            Qt.Orientation.Vertical: list(vertical_stretch or stretch),
        }
        for w in widgets:
            self.addWidget(w)
            self.setCollapsible(self.count() - 1, False)
        self._apply(Qt.Orientation.Vertical)

    def _apply(self, orientation: Qt.Orientation) -> None:
        self.setOrientation(orientation)
        st = self._stretch[orientation]
        for i, f in enumerate(st):
            self.setStretchFactor(i, f)
        total = self.width() if orientation == Qt.Orientation.Horizontal else self.height()
        if total > 0:
            self.setSizes([max(1, total * f // sum(st)) for f in st])

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt override
        want = (
            Qt.Orientation.Horizontal
            if ev.size().width() >= self.wide_px
            else Qt.Orientation.Vertical
        )
        super().resizeEvent(ev)
        if want != self.orientation():
            self._apply(want)
            self.reoriented.emit(self.is_wide)

    @property
    def is_wide(self) -> bool:
        """Panes side by side (else stacked)."""
        return self.orientation() == Qt.Orientation.Horizontal


#: leading rows whose min and max :func:`fit_columns` formats per column
FIT_SAMPLE_ROWS = 4_096


def fit_columns(
    view: QTableView,
    model,
    *,
    max_px: int = 320,
    widths: dict[str, int] | None = None,
    samples: int = 12,
) -> None:
    """Size each column of ``model`` (a NumpyTableModel) to its header and its widest
    formatted value, at most ``max_px`` (``widths``: fixed widths by title).

    The widest value is looked for among ``samples`` evenly spaced rows and the min and
    max of the first ``FIT_SAMPLE_ROWS`` rows and of 256 evenly strided ones, so the cost
    does not grow with the number of rows (GUI thread, ~µs per formatted cell); a rare
    wider value elsewhere is elided."""
    fm = view.fontMetrics()
    hfm = view.horizontalHeader().fontMetrics()
    widths = widths or {}
    pad = 2 * view.style().pixelMetric(view.style().PixelMetric.PM_FocusFrameHMargin) + 12
    for c in range(model.columnCount()):
        col = model.column(c)
        if col.title in widths:
            view.setColumnWidth(c, widths[col.title])
            continue
        w = hfm.horizontalAdvance(col.title) + 16
        vals = col.values
        n = len(vals)
        if n:
            idx = np.unique(np.linspace(0, n - 1, min(n, samples)).astype(np.int64))
            cand = [vals[i] for i in idx]
            if vals.dtype.kind in "iuf":
                # min / max of the first FIT_SAMPLE_ROWS rows and of 256 strided ones: of a
                # whole 2 M-row column (the goroutine table of big.trace) ~2 ms per column,
                # of 4 k rows strided over it ~0.35 ms (a page per value)
                for sub in (vals[:FIT_SAMPLE_ROWS], vals[:: max(1, n // 256)]):
                    cand += [sub.min(), sub.max()]
            fmt = col.fmt or str
            w = max(w, max(fm.horizontalAdvance(fmt(v)) for v in cand) + pad)
        view.setColumnWidth(c, min(w, max_px))
