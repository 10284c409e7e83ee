"""The main window: opening traces, background loading with progress, the explorer view (GUI thread only).

Opening
-------
File → Open, File → Open Recent (QSettings ``recent``, newest first, 10), drag
and drop of a file, ``goroscope TRACE`` (:func:`goroscope.ui.main.run_gui`), the
bundled demo trace when none is given. Problems never show a traceback:

* not a Go trace / unsupported version / unreadable file → :meth:`MainWindow.report_error`
  (a *non-modal* message box — tests and the screenshot mode never block on it —
  and :attr:`MainWindow.last_error`);
* a damaged trace opens what is complete and shows a yellow banner above the
  timeline saying where the damage is and how much of the file was not read.

Loading
-------
A :class:`~goroscope.jobs.TraceSession` runs the jobs (index → timeline →
analyses) on a :class:`~goroscope.jobs.ThreadExecutor`. Its callbacks run on job
threads; :class:`_SessionSignals` re-emits them as queued signals on the GUI
thread (STYLE §4.4). Each Timeline snapshot is turned into view data *on the job
thread* (:func:`~goroscope.ui.panels.trace_view.build_view_data`, throttled to
one every ``SNAPSHOT_MIN_S``), so the GUI thread only swaps objects: the
timeline appears with the first generations and fills in. The status bar shows
the stage name, a percent progress bar and a Cancel button. When the model is
complete, per-goroutine blocked time and the collapsed groups' aggregate strips
are computed as one more job through the :class:`~goroscope.ui.bridge.JobBridge`.

The GUI thread's ~10 ms budget while loading (STYLE §4.4): the view is built and
laid out with the window (under the placeholder); a snapshot is swapped in one
event-loop turn and painted plot by plot in the next ones (``TraceView``, "Staged
repaint"); ``loaded`` comes once those paints ran; Python's automatic *full* GC is
held off while a load runs (:func:`_defer_full_gc`) and the objects of the imports
are frozen once (:func:`_freeze_startup_objects`). ``tests/bench/bench_gui.py
--stall`` measures it.

Signals: ``path_opened(str)`` when a load starts, ``loaded()`` when the view
shows the complete model (and its stats), ``load_failed(str)``.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedLayout,
    QStackedWidget,
)

from goroscope.jobs import JobCancelled, Stage, ThreadExecutor, TraceSession
from goroscope.ui.bridge import JobBridge
from goroscope.ui.panels.docks import PanelContext, install_panels
from goroscope.ui.panels.timeline import SHORTCUTS
from goroscope.ui.panels.trace_source import SORT_KEYS, goroutine_stats
from goroscope.ui.panels.trace_view import (
    STAGE_STEP_MS,
    TraceView,
    ViewData,
    build_view_data,
    empty_view_data,
)
from goroscope.ui.selection import SelectionModel
from goroscope.ui.theme import Palette, ThemeWatcher, apply_system_theme

#: At most one progressive snapshot is turned into view data per this many seconds.
SNAPSHOT_MIN_S = 1.0
MAX_RECENT = 10
#: the View → Sort menu's words per sort key (status line while a sort job runs)
SORT_NAMES = {"id": "ID", "start": "start time", "blocked": "total blocked time"}


_WARMED: list[bool] = []
#: set by :func:`_warm_job` once its first kernel is loaded (numba's target context
#: built: ~50 k objects, ~0.2 s; the remaining kernels add ~1 k more)
_NUMBA_READY = threading.Event()


def _warm_job() -> None:
    """Load the drawing and span-decoding kernels' JIT caches on a job thread (~60 ms the
    GUI would otherwise pay).

    Runs the real merge path (same argument types as a paint) on tiny rows. Sets
    :data:`_NUMBA_READY` after the first kernel (or if it fails).
    """
    try:
        _warm_kernels()
    finally:
        _NUMBA_READY.set()


def _warm_kernels() -> None:
    import numpy as np

    from goroscope.lod.raster import stacked_strip
    from goroscope.lod.viewport import Viewport
    from goroscope.model.timeline import warm_up_kernels
    from goroscope.ui.items.span_track import MIN_SPAN_PX, _merge_rows

    for ro_s, ro_e in ((0, 0), (0, 1), (1, 0), (1, 1)):  # read-only arrays: other signatures
        s = np.array([0, 10, 20], np.int64)
        e = np.array([10, 20, 30], np.int64)
        s.flags.writeable, e.flags.writeable = not ro_s, not ro_e
        for px in (MIN_SPAN_PX, 1.0):
            vp = Viewport(0.0, 30.0, 100.0)
            b = vp.buffered()
            min_ns = vp.merge_min_ns(px, b.resolution_ns)
            for dt in (np.uint8, np.int64):
                _merge_rows([(s, e, np.array([0, 1, 0], dt))], b, min_ns, 19)
                _NUMBA_READY.set()  # the first kernel loaded: numba's registries exist
    stacked_strip(np.ones((4, 2), np.int64), 2.0, 4, np.zeros(3, np.uint32))
    warm_up_kernels()  # span-start decode: every row, strip and statistics pass


def _freeze_startup_objects(warm: bool = False) -> None:
    """Move every object alive now into the GC's permanent generation, once per process.

    Python's full collection walks every tracked object on whatever thread allocates
    past the threshold — the GUI thread included: 190 ms once while the 450 MB trace
    loaded (a 12 MB one: ~170 k objects, 165–200 ms per full collection under load 10,
    two thirds of them modules, functions and classes from the imports). Those live as
    long as the process; frozen, a full collection skips them (200 → 0.002 ms for the
    startup set). With ``warm`` (the kernels' warm-up job was submitted when the window
    began to be built) it first waits, at most :data:`WARM_WAIT_S`, until that job
    loaded its first kernel, so that numba's target context — type, registry and
    dispatcher objects, ~50 k, 70 % of what a 12 MB trace's load leaves — is frozen
    too: built after the freeze, it was walked by the full collection after every load
    (most of its 18–31 ms after big-12mb, 22–26 ms after big.trace). The window comes
    ~0.25 s later (cold start); the load, which needed that context too, does not wait. NOTE: never undone and never repeated — a frozen cycle is never
    collected, and an opened trace's session is one (its callbacks close over it); a
    freeze later, undone at the next load, let the GC collect closed windows' PySide
    wrappers in the middle of ``app.setStyle`` (segfault, e48d4ec).
    """
    if _FROZEN:
        return
    _FROZEN.append(True)
    if warm:  # (a cold JIT cache compiles for seconds: then the context stays unfrozen)
        _NUMBA_READY.wait(WARM_WAIT_S)
    gc.collect()
    gc.freeze()


_FROZEN: list[bool] = []
#: the startup freeze waits at most this long for numba's context (s; ~0.2 s with a warm
#: JIT cache)
WARM_WAIT_S = 1.0
#: gc thresholds outside a load (restored when it ends)
_GC_THRESHOLDS: list[tuple[int, ...]] = []
#: while a trace loads, a full collection waits for this many younger ones (≈ never)
LOADING_GC_THRESHOLD2 = 1_000_000


def _defer_full_gc(on: bool) -> bool:
    """While a trace loads, no automatic full collection (GUI thread); True when this
    call switched the deferral.

    The loading model keeps adding long-lived objects, and each time they grew by a
    quarter Python ran a full collection on whichever thread allocated next — the GUI
    thread's 5 ms timer among them: 81, 377 and 505 ms while the 450 MB trace loaded
    (bench_gui --stall, load 10–15). Young generations are still collected; the
    thresholds come back when the whole load ends — the session's analyses *and* the
    goroutine statistics job (MainWindow._end_load_gc: they used to come back at
    ANALYSES_READY, and a 24.5 ms full GC ran on the GUI thread 137 s into big.trace's
    172 s load, while the statistics job still ran) — or fails, is cancelled, or its
    window closes.
    """
    if on:
        _IDLE_GC_PENDING.clear()  # a load (again): the deferral is its own now
    if on and not _GC_THRESHOLDS:
        _GC_THRESHOLDS.append(gc.get_threshold())
        t0, t1, _ = _GC_THRESHOLDS[0]
        gc.set_threshold(t0, t1, LOADING_GC_THRESHOLD2)
        return True
    if not on and _GC_THRESHOLDS:
        gc.set_threshold(*_GC_THRESHOLDS.pop())
        return True
    return False


def full_gc_deferred() -> bool:
    """Whether automatic full collections are held off now (a load runs)."""
    return bool(_GC_THRESHOLDS)


#: the one full collection after a load waits this long for an idle moment (ms)
GC_AFTER_LOAD_MS = 1000


#: a load ended and its deferral waits for :func:`_collect_after_load` (the thresholds
#: stay deferred until then)
_IDLE_GC_PENDING: list[bool] = []


def _collect_after_load() -> None:
    """The full collection the load held off, at once, while nothing else runs (GUI
    thread; skipped when another load started meanwhile), then the thresholds back.

    NOTE: the thresholds come back only here, right before the collection: back when
    the load ended, gen 2's count (one per young collection during the whole load) was
    past its threshold at once, so the next young collection started an automatic full
    one before this timer — 22.0 ms inside the paint at ``loaded`` after big.trace."""
    if _IDLE_GC_PENDING:
        _IDLE_GC_PENDING.clear()
        _defer_full_gc(False)
        gc.collect()


def warm_kernels(executor) -> cf.Future | None:
    """Submit :func:`_warm_job` once per process (its future; None when done before)."""
    if _WARMED:
        return None
    _WARMED.append(True)
    return executor.submit(_warm_job)


def status_text(name: str, data: ViewData, session: TraceSession | None) -> str:
    """The status bar's line for a shown snapshot: goroutines, procs, threads, spans.

    Procs are the trace's real Ps: an old-format (Go <= 1.21) trace's events without a P
    carry the tracev1 parser's fake Ps (``FAKE_P`` = 1000000 + Timer/Netpoll/Syscall/GC,
    ``internal/trace/internal/tracev1``), which are neither procs for ``go tool trace``
    nor rows here (HACKING § Explorer: which rows the timeline shows); tracecount counts
    them. Threads are the model's, which are Go's (tracecount's) on every testdata trace,
    also those that only start or stop Ps and draw no row. A v2 trace's procs are
    tracecount's.
    """
    from goroscope.format.v1.spec import FAKE_P

    tl = data.timeline
    n_g, n_p, n_m, n_spans = data.sizes
    idx = session.index if session is not None else None
    if idx is not None and int(idx.index.version) < 22:
        n_p = sum(1 for p in tl.proc_ids.tolist() if p < FAKE_P)  # a handful of IDs
    return f"{name}: {n_g:,} goroutines, {n_p} procs, {n_m} threads, {n_spans:,} spans" + (
        "" if tl.complete else " (loading…)"
    )


class _SessionSignals(QObject):
    """TraceSession callbacks (job threads) → queued signals (GUI thread). Never deleted
    (see ``_SESSION_SIGNALS``)."""

    view_ready = Signal(object, object)  # (session, ViewData)
    progressed = Signal(object, str, float)  # (session, stage, overall)
    stage_reached = Signal(object, int)
    failed = Signal(object, object)


#: every window's _SessionSignals, kept for the process's life (job threads may emit late)
_SESSION_SIGNALS: list[_SessionSignals] = []


#: the dialog's title for a trace with a valid header that Go's reader rejects
DAMAGED_TITLE = "Damaged or unreadable trace"


def _header_version(path: Path):
    """The format :class:`~goroscope.format.version.Version` named by ``path``'s header,
    or None (unreadable, not a trace header, an unknown version). Reads 18 bytes."""
    from goroscope.format.errors import TraceFormatError
    from goroscope.format.version import HEADER_SIZE, parse_header

    try:
        with open(path, "rb") as f:
            head = f.read(HEADER_SIZE + 2)
        return parse_header(head)[0]
    except (OSError, TraceFormatError):
        return None


def describe_error(exc: BaseException, path: Path) -> tuple[str, str]:
    """(title, text) for a failed open, in a Go engineer's words."""
    from goroscope.format.errors import TraceFormatError, UnsupportedVersionError

    header = bytes(getattr(exc, "header", b"") or b"")
    if isinstance(exc, UnsupportedVersionError) and header.startswith(b"go 1."):
        return (
            "Unsupported trace version",
            f"{path.name} is a Go execution trace in a format Goroscope cannot read:\n{exc}\n\n"
            "Goroscope reads traces written by Go 1.11 and later (runtime/trace, "
            "go test -trace, net/http/pprof/trace, the flight recorder).",
        )
    if isinstance(exc, TraceFormatError):
        version = _header_version(path)
        if version is not None:  # a real trace Go's reader rejects: say so, not "not a trace"
            if version.is_v1:
                why = (
                    "Go's own tools read a trace in the old format (Go 1.11–1.21) as a "
                    "whole and reject it at its first error; Goroscope does the same, so "
                    "no part of it can be shown."
                )
            else:
                why = (
                    "The damage comes before the first complete generation: there is "
                    "nothing complete to show."
                )
            return (
                DAMAGED_TITLE,
                f"{path.name} is a Go execution trace (header “go 1.{int(version)} trace”) "
                f"but it cannot be read:\n{exc}\n\n{why}",
            )
        return (
            "Not a Go execution trace",
            f"{path.name} does not look like a Go execution trace:\n{exc}\n\n"
            "Expected a file written by runtime/trace (it starts with “go 1.xx trace”).",
        )
    if isinstance(exc, OSError):
        return ("Cannot open file", f"Cannot open {path}:\n{exc.strerror or exc}")
    return ("Cannot open trace", f"Opening {path.name} failed:\n{type(exc).__name__}: {exc}")


def damage_banner(
    read_error: BaseException,
    size: int,
    covered_ns: int,
    index=None,
    generations_shown: int | None = None,
) -> str:
    """Banner text for a damaged trace: where, what, how much was not shown.

    With ``index`` (the session's :class:`~goroscope.format.TraceIndex`) the loss is the
    model's :class:`~goroscope.model.trace.Lost` — from the first byte of the first
    generation not returned completely: Go 1.26+ drops a generation it cannot read
    *whole* (HACKING § Damaged traces), so a trace cut 7 kB into its second generation
    lost 27 % of the file although only 2 % came after the error's offset (what this
    said before). ``generations_shown`` (generations with events in the model) tells a
    generation dropped whole from one Go returned the first events of.
    """
    from goroscope.ui.items.time_axis import format_duration

    off = getattr(read_error, "offset", None)
    gen = getattr(read_error, "generation", None)
    msg = getattr(read_error, "message", str(read_error))
    start, got = off, None
    if index is not None and off is not None:
        from goroscope.model.trace import lost_from_index

        try:
            got = lost_from_index(index, size, read_error)
        except (AttributeError, TypeError, ValueError, IndexError):
            got = None  # not a TraceFormatError: say what the error says
        if got is not None:
            start = got.start
    lost = ""
    if start is not None and size:
        n = max(size - start, 0)
        what = "everything from there on"
        if got is not None and got.generation is not None and start < off:
            partial = generations_shown is not None and generations_shown > got.generations_kept
            what = (
                f"most of generation {got.generation} (only its first events are shown)"
                if partial
                else f"generation {got.generation} (dropped whole)"
            ) + " and everything after it"
        lost = (
            f" Lost: {what}, {n:,} bytes from byte {start:,} "
            f"(about {100 * n / size:.0f}% of the file)."
        )
    where = f"byte {off:,}" if off is not None else "an unknown offset"
    gen_s = f", generation {gen}" if gen is not None else ""
    return (
        f"⚠ Damaged trace: {msg} (at {where}{gen_s}). Showing the complete part, "
        f"the first {format_duration(covered_ns)}.{lost}"
    )


class MainWindow(QMainWindow):
    """Goroscope's top-level window."""

    path_opened = Signal(str)
    loaded = Signal()
    load_failed = Signal(str)
    view_shown = Signal()

    def __init__(self, *, executor=None, settings: QSettings | None = None) -> None:
        super().__init__()
        # Job threads run numpy/Python between nogil kernels; a shorter GIL switch
        # interval (default 5 ms) lets the GUI thread in sooner (≤ ~10 ms stalls).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.setWindowTitle("Goroscope")
        self.setAcceptDrops(True)
        self.path: Path | None = None
        self.selection = SelectionModel()
        self.session: TraceSession | None = None
        self.view: TraceView | None = None
        self.last_error: tuple[str, str] | None = None
        self.error_box: QMessageBox | None = None
        self.snapshots_shown = 0
        self.load_started_s = 0.0
        self.first_view_s: float | None = None
        self._executor = executor or ThreadExecutor(max_workers=2)
        warm = warm_kernels(self._executor) is not None  # runs while the window is built
        self._bridge = JobBridge(self._executor, self)
        self._bridge.finished.connect(self._on_job_finished)
        self._bridge.failed.connect(self._on_job_failed)
        self._stats_request = -1
        self._settings = settings or QSettings()
        # Not the window's child: job threads emit on it, and a window closed (deleted) with
        # a load in flight made that a use-after-free. It lives as long as the process (one
        # small object per window); its connections go with the window.
        self._signals = _SessionSignals()
        _SESSION_SIGNALS.append(self._signals)
        self._signals.view_ready.connect(self._on_view_ready)
        self._signals.progressed.connect(self._on_progress)
        self._signals.failed.connect(self._on_failed)
        self._signals.stage_reached.connect(self._on_stage)
        self._last_build = 0.0
        self._final_pending = False
        self._loaded_deferred = False

        self._placeholder = QLabel(
            "Drop a Go execution trace here, or use File → Open.\n\n"
            "(runtime/trace, go test -trace=trace.out, /debug/pprof/trace, the flight recorder)"
        )
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setAutoFillBackground(True)  # it covers the (empty) view
        self._stack = QStackedWidget()
        # Both pages are shown and laid out; the placeholder lies on top until a trace
        # shows. The view is built, laid out and painted with the window, not when the
        # first snapshot arrives: creating the plots costs ~100 ms of GUI time and laying
        # them out ~6 ms, which would stall a loading window (the ~10 ms budget).
        self._stack.layout().setStackingMode(QStackedLayout.StackingMode.StackAll)
        self.view = TraceView(empty_view_data(), self.selection, bridge=self._bridge)
        self._stack.addWidget(self.view)
        self._stack.addWidget(self._placeholder)
        self._stack.setCurrentWidget(self._placeholder)
        self.setCentralWidget(self._stack)
        self.view.staged_done.connect(self._on_staged_done)
        self.view.timeline.layout_ended.connect(self._sync_sort_actions)
        self._first_data: ViewData | None = (
            None  # the first snapshot, shown a turn after the switch
        )
        self._first_timer = QTimer(self)
        self._first_timer.setSingleShot(True)
        self._first_timer.setInterval(STAGE_STEP_MS)
        self._first_timer.timeout.connect(self._show_first)
        self._gc_timer = QTimer(self)  # the full collection held off during a load
        self._gc_timer.setSingleShot(True)
        self._gc_timer.setInterval(GC_AFTER_LOAD_MS)
        self._gc_timer.timeout.connect(_collect_after_load)
        self._has_trace = False

        self._build_menus()
        self.view.timeline.set_extra_shortcuts(self.menu_shortcuts())
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%p%")
        self.stage_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_load)
        sb = self.statusBar()
        sb.addPermanentWidget(self.stage_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        self._set_loading(False)
        sb.showMessage("Ready")
        # Linked panels (issue #9): docks around the timeline, each with its own bridge.
        self.panel_bridge = JobBridge(self._executor, self)
        self.docks = install_panels(self, PanelContext(self, self.selection, self.panel_bridge))
        # dark/light follows the system live (QStyleHints.colorSchemeChanged)
        self.theme_watcher = ThemeWatcher(self, watch=self)
        self.theme_watcher.changed.connect(self._on_theme_changed)
        _freeze_startup_objects(warm)

    @Slot(bool)
    def _on_theme_changed(self, dark: bool) -> None:
        """The system switched dark/light: Qt palette and our plots' colours follow."""
        apply_system_theme()
        if self.view is not None and self.view.palette_.dark != dark:
            self.view.set_palette(Palette(dark=dark))

    # -- menus ---------------------------------------------------------------------
    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        act_open = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open)
        act_open.triggered.connect(self._on_open_triggered)
        menu.addAction(act_open)
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        act_demo = QAction("Open &Demo Trace", self)
        act_demo.triggered.connect(self._open_demo)
        menu.addAction(act_demo)
        menu.addSeparator()
        act_quit = QAction("&Quit", self)
        # the platform's Quit keys; some platforms (offscreen, Windows) define none
        act_quit.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        )
        act_quit.triggered.connect(self.close)
        menu.addAction(act_quit)

        view = self.menuBar().addMenu("&View")
        sort = view.addMenu("&Sort goroutines by")
        group = QActionGroup(self)
        self.sort_actions: dict[str, QAction] = {}
        for key, text in zip(
            SORT_KEYS, ("Goroutine &ID", "&Start time", "Total &blocked time"), strict=True
        ):
            a = QAction(text, self, checkable=True)
            a.setChecked(key == "id")
            a.triggered.connect(lambda _=False, k=key: self.set_sort(k))
            group.addAction(a)
            sort.addAction(a)
            self.sort_actions[key] = a
        act_fit = QAction("&Fit whole trace", self)
        act_fit.triggered.connect(lambda: self.view and self.view.timeline.fit_all())
        view.addAction(act_fit)
        helpm = self.menuBar().addMenu("&Help")
        act_keys = QAction("&Keyboard shortcuts", self)
        # F1 from anywhere in the window (the timeline's ? needs the timeline focused)
        act_keys.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.HelpContents) or [QKeySequence("F1")]
        )
        act_keys.triggered.connect(self._show_shortcuts)
        helpm.addAction(act_keys)

    def menu_shortcuts(self) -> list[tuple[str, str]]:
        """``(keys, action)`` of every menu action with a shortcut (``?`` lists them)."""
        out: list[tuple[str, str]] = []

        def walk(menu) -> None:
            for a in menu.actions():
                if a.menu() is not None:
                    walk(a.menu())
                elif a.shortcuts():
                    fmt = QKeySequence.SequenceFormat.NativeText
                    keys = " / ".join(k.toString(fmt) for k in a.shortcuts())
                    what = a.text().replace("&", "").rstrip("…").lower()
                    out.append((keys, f"{menu.title().replace('&', '')} → {what}"))

        for top in self.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu())
        return out

    def _show_shortcuts(self) -> None:
        if self.view is not None:
            self.view.timeline.show_shortcuts()
        else:
            items = [*SHORTCUTS, *self.menu_shortcuts()]
            self.statusBar().showMessage("  ".join(f"{k}: {a}" for k, a in items), 10_000)

    def recent_files(self) -> list[str]:
        got = self._settings.value("recent", [])
        if isinstance(got, str):
            got = [got]
        return [str(x) for x in (got or [])]

    def _remember(self, path: Path) -> None:
        p = str(path.resolve())
        items = [x for x in self.recent_files() if x != p]
        self._settings.setValue("recent", [p, *items][:MAX_RECENT])

    def _forget(self, path: Path) -> None:
        p = str(path.resolve())
        items = self.recent_files()
        if p in items:
            self._settings.setValue("recent", [x for x in items if x != p])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.recent_files():
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda _=False, q=p: self.open_path(Path(q)))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _open_demo(self) -> None:
        from goroscope.ui.main import demo_trace_path

        self.open_path(demo_trace_path())

    # -- opening -------------------------------------------------------------------
    def open_path(self, path: Path) -> None:
        """Start loading ``path`` (GUI thread). The view appears with the first snapshot."""
        path = Path(path)
        self.cancel_load()
        self.path = path
        self.setWindowTitle(f"{path.name} — Goroscope")
        if not path.is_file():
            self._forget(path)  # a recent file moved or deleted leaves the menu
            self.report_error("Cannot open file", f"{path} does not exist or is not a file.")
            return
        self.snapshots_shown = 0
        self._has_trace = False
        self._first_timer.stop()
        self._first_data = None
        self.view.show_banner("")
        self.first_view_s = None
        warm_kernels(self._executor)
        self.load_started_s = time.perf_counter()
        self._last_build = 0.0
        self._final_pending = True
        self._loaded_deferred = False
        sig = self._signals
        holder: dict = {}

        def on_timeline(tl) -> None:  # job thread
            now = time.perf_counter()
            if holder.get("final") or tl.complete:
                return  # the complete model is shown from on_stage(STACKS_READY)
            if now - self._last_build < SNAPSHOT_MIN_S and self.snapshots_shown:
                return
            self._last_build = now
            data = build_view_data(tl, holder.get("src"), hint=self._view_hint())
            holder["src"] = data.source
            sig.view_ready.emit(session, data)

        def on_stage(stage) -> None:  # job thread
            if stage == Stage.STACKS_READY:  # the model is complete: final view data
                holder["final"] = True
                data = build_view_data(session.timeline, holder.get("src"), hint=self._view_hint())
                holder["src"] = data.source
                sig.view_ready.emit(session, data)
            sig.stage_reached.emit(session, int(stage))

        session = TraceSession(
            str(path),
            self._executor,
            on_stage=on_stage,
            on_timeline=on_timeline,
            on_progress=lambda u: sig.progressed.emit(session, u.stage, u.overall),
            on_error=lambda e: sig.failed.emit(session, e),
        )
        if self.session is not None:
            self.session.close()  # unmap the previous trace once its jobs have stopped
        self.session = session
        self._set_loading(True, "index", 0.0)
        self.statusBar().showMessage(f"Opening {path}…")
        self._remember(path)
        self.path_opened.emit(str(path))
        session.start()

    def _view_hint(self):
        """The timeline's view for a job preparing a snapshot (any thread: an attribute read)."""
        view = self.view
        return None if view is None else view.timeline.view_hint()

    def cancel_load(self) -> None:
        """Stop the current load (what is shown stays)."""
        if self.session is not None and not self.session.done:
            self.session.cancel()
        self._set_loading(False)
        self._end_load_gc()

    def set_sort(self, key: str) -> None:
        """Sort goroutines within their groups (``id``, ``start``, ``blocked``)."""
        self.sort_actions[key].setChecked(True)
        if self.view is None:
            return
        tp = self.view.timeline
        src = self.view.data.source
        job = src.sort_job(key) if hasattr(src, "sort_job") else None
        if job is not None and tp.run_layout_job(job, f"sorting goroutines by {SORT_NAMES[key]}"):
            pass  # a big layout (a group of millions expanded): sorted in a job
        else:
            src.set_sort(key)
            tp.set_source(src)
        if key == "blocked" and src.stats is None:
            self.statusBar().showMessage("Blocked times are computed once the trace is loaded…")

    @Slot(bool)
    def _sync_sort_actions(self, _installed: bool = True) -> None:
        """Check the menu's sort of the shown layout (a cancelled sort job keeps the old)."""
        key = getattr(self.view.data.source, "sort_key", None) if self.view else None
        if key in self.sort_actions:
            self.sort_actions[key].setChecked(True)

    def report_error(self, title: str, text: str) -> None:
        """Tell the user (non-modal box, never a traceback); also kept in ``last_error``."""
        self.last_error = (title, text)
        self._set_loading(False)
        self._end_load_gc()
        self.statusBar().showMessage(title)
        if not self._has_trace:
            self._placeholder.setText(f"{title}\n\n{text}")
            self._placeholder.show()
            self._stack.setCurrentWidget(self._placeholder)  # raised over the view
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setModal(False)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.error_box = box
        self.load_failed.emit(f"{title}: {text}")

    # -- session signals (GUI thread) ------------------------------------------------
    def _set_loading(self, on: bool, stage: str = "", overall: float = 0.0) -> None:
        """Show or hide the progress widgets; a load's start also defers full GCs
        (hiding them does not: see _end_load_gc)."""
        if on:
            _defer_full_gc(True)
        self.progress.setVisible(on)
        self.cancel_button.setVisible(on)
        self.stage_label.setVisible(on)
        if on:
            self.stage_label.setText(f"{stage}…")
            self.progress.setValue(int(round(overall * 100)))

    @Slot(object, str, float)
    def _on_progress(self, session, stage: str, overall: float) -> None:
        # (not after a cancel: a progress report queued before it must not defer GCs again)
        if session is self.session and not session.done and not session.cancel_token.is_set:
            self._set_loading(True, stage, overall)

    @Slot(object, object)
    def _on_view_ready(self, session, data: ViewData) -> None:
        if session is not self.session:
            return
        if not self._has_trace:
            self._has_trace = True
            # The view lies under the placeholder, laid out; the data follows in the next
            # turn and the paints in their own (TraceView "Staged repaint": ~10 ms budget).
            self.view.hold()
            self._placeholder.hide()
            self._stack.setCurrentWidget(self.view)
            self.view.timeline.setFocus()
            self._first_data = data
            self._first_timer.start()
        elif self._first_data is not None:
            self._first_data = data  # still waiting for its turn: show the newer one
        elif self.view.data.source is not data.source:
            # keep the user's sort / expansion: the job built data.source from the previous one
            self.view.show_data(data)
        self.snapshots_shown += 1
        if self.first_view_s is None:
            self.first_view_s = time.perf_counter() - self.load_started_s
        self.statusBar().showMessage(status_text(self.path.name, data, session))

    @Slot()
    def _show_first(self) -> None:
        data, self._first_data = self._first_data, None
        if data is None or self.view is None:
            return
        self.view.show_data(data)
        self.view_shown.emit()

    @Slot(object, int)
    def _on_stage(self, session, stage: int) -> None:
        if session is not self.session:
            return
        if self._first_data is not None:  # the stats below read the shown source
            self._first_timer.stop()
            self._show_first()
        if stage == Stage.STACKS_READY and self.view is not None:
            src = self.view.data.source
            if session.read_error is not None and len(src.timeline.gen_first_ns) == 0:
                # damaged before anything was complete: an empty timeline under a banner
                # (its axis at "-80 ns") said less than the dialog a failed open gets
                self._final_pending = False  # no "loaded": it failed
                self._has_trace = False
                self.view.show_banner("")
                self.report_error(*describe_error(session.read_error, self.path or Path("?")))
                return
            if session.read_error is not None and self.session.index is not None:
                idx = self.session.index
                self.view.show_banner(
                    damage_banner(
                        session.read_error,
                        idx.size,
                        src.duration_ns(),
                        idx.index,
                        len(src.timeline.gen_first_ns),
                    )
                )
            else:
                self.view.show_banner("")
            self._stats_request = self._bridge.submit(
                ("stats",), goroutine_stats, src.timeline, src.group_of_g, len(src.group_names)
            )
        if stage == Stage.ANALYSES_READY:
            self._set_loading(False)
            if self._stats_request < 0:
                self._emit_loaded()

    @Slot(int, object)
    def _on_job_finished(self, request_id: int, result) -> None:
        if request_id != self._stats_request or self.view is None:
            return
        self._stats_request = -1
        src = self.view.data.source
        src.set_stats(result)
        self.view.show_source(src)  # painted a turn later: the ~10 ms budget
        if self.session is not None and self.session.stage >= Stage.ANALYSES_READY:
            self._set_loading(False)
        self._emit_loaded()

    @Slot(int, object)
    def _on_job_failed(self, request_id: int, exc) -> None:
        if request_id == self._stats_request:
            self._stats_request = -1
            self.statusBar().showMessage(f"Goroutine statistics failed: {exc}")
            self._emit_loaded()

    def _emit_loaded(self) -> None:
        if self._final_pending and self.view is not None:
            if self.view.staged_pending():  # "loaded" means drawn: after the staged plots
                self._loaded_deferred = True  # _on_staged_done comes back here
                return
            self._final_pending = False
            self.loaded.emit()
        session = self.session
        if (
            not self._final_pending
            and self._stats_request < 0
            and session is not None
            and session.stage >= Stage.ANALYSES_READY
        ):  # every part of the load is over: analyses, statistics, staged paints
            self._end_load_gc()

    def _end_load_gc(self, *, collect: bool = True) -> None:
        """The load is over (done, failed, cancelled): automatic full GCs again, after
        one collection at an idle moment (``collect``: the thresholds come back with it,
        see :func:`_collect_after_load`)."""
        if not full_gc_deferred():
            return
        if collect:
            _IDLE_GC_PENDING[:] = [True]
            self._gc_timer.start()
        else:
            _IDLE_GC_PENDING.clear()
            _defer_full_gc(False)

    @Slot()
    def _on_staged_done(self) -> None:
        if self._loaded_deferred:
            self._loaded_deferred = False
            self._emit_loaded()

    @Slot(object, object)
    def _on_failed(self, session, exc) -> None:
        if session is not self.session:
            return
        if isinstance(exc, JobCancelled):
            self._set_loading(False)
            self._end_load_gc()
            self.statusBar().showMessage("Loading cancelled")
            return
        title, text = describe_error(exc, self.path or Path("?"))
        self.report_error(title, text)

    def _on_open_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open Go trace", "", "Go traces (*.trace *.out trace.out);;All files (*)"
        )
        if name:
            self.open_path(Path(name))

    # Qt overrides keep camelCase.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.session is not None:
            self.session.close()  # cancels what runs; the file is closed once it stopped
        self._end_load_gc(collect=False)
        super().closeEvent(event)
