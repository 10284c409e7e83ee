"""GUI benchmark: cold start, open → first timeline drawn, repaint at five zoom levels.

Not a unit test (``make bench`` runs it after ``run_bench.py``). Every
measurement runs in a fresh subprocess (``QT_QPA_PLATFORM=offscreen``):

* ``cold start`` — ``python -c`` start → the main window shown and painted
  (imports, QApplication, MainWindow), JIT cache warm (one untimed run first);
  target ≤ 1.5 s;
* ``open → first timeline drawn`` — ``MainWindow.open_path(TRACE)`` → the first
  paint of the timeline's viewport once a snapshot is in; target ≤ 1.5 s;
* ``stall`` (``--stall``) — the GUI thread while the trace loads: a 5 ms
  ``QTimer`` ticks on it, and per gap between ticks we take the GUI thread's CPU
  time (``time.thread_time``; the stall test in ``tests/ui`` does the same on a
  12 MB trace). Every event the GUI thread handles is timed too (a
  ``QApplication.notify`` override): a gap above ``STALL_SLOT_MS`` is reported
  with the events that filled it (event type → receiver) and, from a sampling
  thread reading the GUI thread's Python stack every ms, the frames it was in.
  NOTE: Qt's event loop runs timers only when no queued event is waiting, so one
  gap can hold several back-to-back events: the longest single event is reported
  as well (what an input event could have waited for);
* ``repaint`` — after the complete load (and the goroutine-stats job), the
  timeline at five zoom levels (the whole trace, then 1/10, 1/100, 1/1000,
  1/10000 of it, centred), with the biggest goroutine group expanded so goroutine
  rows fill the view: per level the *first* paint, the time until the frame is
  complete (heavy merges and finer strip bins run as jobs; waited for) and the
  median of 5 steady repaints; target median ≤ 16 ms.

Figures depend on the machine's load (the dev box has 2 cores shared by several
sessions): label them as measured under shared load.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gui.py [--trace FILE] [--json]

Without ``--trace``: ``$GOROSCOPE_CACHE/big/big.trace`` if present, else the
largest committed trace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))
TARGET_REPAINT_MS = 16.0
TARGET_OPEN_S = 1.5
TARGET_COLD_S = 1.5
#: A gap between 5 ms ticks with more GUI-thread CPU than this is named in the report.
STALL_SLOT_MS = 10.0
#: Innermost Python frames shown per sampled stack (``BENCH_STACK_DEPTH``).
STACK_DEPTH = int(os.environ.get("BENCH_STACK_DEPTH", "5"))


def default_trace() -> Path:
    big = CACHE / "big" / "big.trace"
    if big.is_file():
        return big
    return max((ROOT / "testdata" / "traces").glob("*/*.trace"), key=lambda p: p.stat().st_size)


def _env() -> dict:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen")


_COLD = r"""
import sys, time
t_start = float(sys.argv[1])
from PySide6.QtWidgets import QApplication
from goroscope.ui.main_window import MainWindow
app = QApplication([])
win = MainWindow()
win.resize(1440, 900)
win.show()
app.processEvents()
win.repaint()
print(time.time() - t_start)
"""


def cold_start(repeat: int) -> list[float]:
    out = []
    for i in range(repeat + 1):
        t0 = time.time()
        p = subprocess.run(
            [sys.executable, "-c", _COLD, repr(t0)],
            capture_output=True,
            text=True,
            env=_env(),
            check=True,
        )
        if i:  # the first run warms the OS page cache and the JIT cache
            out.append(float(p.stdout.strip().splitlines()[-1]))
    return out


def child(path: str) -> dict:
    """In the child: open, time the first drawn view, wait for the load, time repaints."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from goroscope.ui.main_window import MainWindow

    app = QApplication([])
    win = MainWindow()
    win.resize(1440, 900)
    win.show()
    app.processEvents()
    res: dict = {"trace": path, "size_mb": Path(path).stat().st_size / 1e6}
    first: dict = {}

    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        """The first paint of the timeline's viewport after the open (the swap and the
        paint are separate event-loop turns: TraceView "Staged repaint")."""

        def eventFilter(self, obj, ev) -> bool:  # noqa: N802 - Qt override
            if ev.type() == QEvent.Type.Paint and "s" not in first and win.snapshots_shown:
                first["s"] = time.perf_counter() - t0
            return False

    painted = FirstPaint()
    win.view.timeline.plot.viewport().installEventFilter(painted)
    loop = QEventLoop()
    win.loaded.connect(loop.quit)
    win.load_failed.connect(loop.quit)
    QTimer.singleShot(3_600_000, loop.quit)
    t0 = time.perf_counter()
    win.open_path(Path(path))
    loop.exec()
    res["open_to_first_drawn_s"] = first.get("s")
    res["open_to_loaded_s"] = time.perf_counter() - t0
    tp = win.view.timeline
    src = tp.source
    res["goroutines"] = src.timeline.n_goroutines
    res["spans"] = src.timeline.n_spans
    dur = src.duration_ns()
    vp = tp.plot.viewport()

    def settled() -> bool:
        # also the dock panels' analyses (started at `loaded`, minutes on the big trace):
        # they hold the GIL, and a wall-clock repaint measured beside them measured them
        return (
            not tp.track.merge_pending()
            and tp._refine_request is None
            and not tp._refine_timer.isActive()
            and win.panel_bridge.pending() == 0
        )

    def levels_now() -> list[dict]:
        out = []
        for k in range(5):
            width = dur / (10**k)
            mid = dur / 2
            t = time.perf_counter()
            tp.show_range(mid - width / 2, mid + width / 2)
            app.processEvents()
            vp.repaint()
            first_paint_ms = (time.perf_counter() - t) * 1e3
            # "first frame": until the jobs this zoom started (merges of heavy rows, finer
            # strip bins) are in and drawn — the GUI thread stays free meanwhile
            while not settled():
                app.processEvents()
                time.sleep(0.002)
            vp.repaint()
            first_ms = (time.perf_counter() - t) * 1e3
            steady = []
            for _ in range(5):
                t = time.perf_counter()
                vp.repaint()
                steady.append((time.perf_counter() - t) * 1e3)
            out.append(
                {
                    "view_ns": width,
                    "first_paint_ms": first_paint_ms,
                    "first_ms": first_ms,
                    "median_ms": statistics.median(steady),
                    "rects": tp.track.drawn_rect_count(),
                    "strips": tp.aggregates.drawn_rows,
                }
            )
        return out

    # scene 1: the default layout (procs, collapsed groups' strips, long-lived goroutines)
    tp.scroll_to_row(0)
    app.processEvents()
    scenes = {"default layout": levels_now()}
    # scene 2: the biggest group expanded, scrolled to goroutines alive at the centre
    # of the zoomed-in windows. NOTE: "the middle row of the group" drew 0 rects at
    # deep zooms: those short-lived goroutines were not alive in a window of 1/10000
    # of the trace around its middle — the bench measured empty rows, not the LOD.
    src.set_group_expanded(0, True)
    tp.set_source(src)
    gs = src.timeline.goroutines
    members = src.group_members[0]
    # NOTE: not `first` — the FirstPaint filter above reads that name (it raised on every
    # paint of scene 2 once an array shadowed the dict)
    born, end = gs.first_ns[members], gs.end_ns[members]
    mid = dur / 2
    alive = np.flatnonzero((born <= mid) & ((end < 0) | (end >= mid)))
    pick = members[alive[len(alive) // 2]] if len(alive) else members[len(members) // 2]
    row = src.row_of(type("Ref", (), {"resource_kind": "goroutine", "resource_idx": int(pick)}))
    tp.scroll_to_row(int(row), center=True)
    res["expanded_alive_at_mid"] = int(len(alive))
    app.processEvents()
    res["rows"] = tp.row_count()
    scenes["biggest group expanded"] = levels_now()
    res["repaint"] = scenes
    res["repaint_median_ms"] = float(
        np.median([lv["median_ms"] for lv in scenes["default layout"]])
    )
    return res


def _frame_names(frame, limit: int = 40) -> tuple[str, ...]:
    out = []
    while frame is not None and len(out) < limit:
        c = frame.f_code
        out.append(f"{Path(c.co_filename).name}:{c.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return tuple(out)


def child_stall(path: str, linger_s: float = 0.0, actions: tuple[str, ...] = ()) -> dict:
    """In the child: the GUI thread's CPU per 5 ms tick gap while ``path`` loads, slow gaps
    named; then the GUI-thread cost of each of ``actions`` once loaded (``sort``: View →
    Sort by start time with the biggest group expanded; ``select-busiest``: select, then
    reveal, the middle span of the goroutine with the most spans)."""
    import collections
    import threading

    import numpy as np
    import shiboken6
    from PySide6.QtCore import QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class TimedApp(QApplication):
        """Times every top-level event on the GUI thread (type, receiver, CPU ms)."""

        def __init__(self, argv) -> None:
            super().__init__(argv)
            self.depth = 0
            self.events: list[tuple[float, float, str]] = []  # (start s, cpu ms, what)
            self.stale = 0  # receivers PySide handed over with a wrong (stale) wrapper
            self.n_top = 0  # top-level events since the last tick, and their CPU (ms)
            self.cpu_top = 0.0

        def notify(self, obj, ev):  # Qt override
            self.depth += 1
            c0, t0 = time.thread_time(), time.perf_counter()
            try:
                if not isinstance(obj, QObject):
                    # PySide handed the receiver of a DeferredDelete over as a *QEvent*
                    # (a stale wrapper at a reused address): passed back as it is, the
                    # call failed and PySide formatted the argument error — its signature
                    # module re-stat()s every imported module once the load imported
                    # more, 10–26 ms, which the report named as stalls of ours
                    # (the stale wrapper dropped from PySide's address map first: else
                    # wrapInstance may hand the same QEvent wrapper back)
                    self.stale += 1
                    addr = shiboken6.getCppPointer(obj)[0]
                    shiboken6.invalidate(obj)
                    obj = shiboken6.wrapInstance(addr, QObject)
                return super().notify(obj, ev)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    cpu = (time.thread_time() - c0) * 1e3
                    self.n_top += 1
                    self.cpu_top += cpu
                    if cpu > 0.02:
                        # NOTE: nothing may raise here — an exception out of notify makes
                        # PySide format an error (its signature module loads lazily: 25 ms
                        # once, which the report then named as a stall of ours)
                        try:
                            kind = ev.type().name
                        except (ValueError, TypeError, AttributeError):  # a custom event type
                            kind = f"event {int(ev.type().value)}"
                        who, where = f"({type(obj).__name__}, deleted)", ""
                        if kind != "DeferredDelete":  # (a deleted object: PySide raises)
                            try:
                                par = obj.parent()
                                who = obj.objectName() or type(obj).__name__
                                where = f" in {type(par).__name__}" if par is not None else ""
                            except (RuntimeError, TypeError, AttributeError):
                                who = "?"
                        self.events.append((t0, cpu, f"{kind} -> {who}{where}"))

    from goroscope.ui import main_window as mw
    from goroscope.ui.main_window import MainWindow

    # the one full collection the load held off (41b84d9: run by the window's
    # _gc_timer once the whole load, statistics job included, is over): timed on its
    # own — NOTE: patched before MainWindow() connects it
    after_gc: list[tuple[float, float, float]] = []  # (start s, CPU ms, wall ms)
    real_collect = mw._collect_after_load

    def timed_collect() -> None:
        c0, t0_ = time.thread_time(), time.perf_counter()
        real_collect()
        after_gc.append((t0_, (time.thread_time() - c0) * 1e3, (time.perf_counter() - t0_) * 1e3))

    mw._collect_after_load = timed_collect
    froze: list[tuple[float, float, bool]] = []  # _freeze_load: (start s, CPU ms, frozen)
    real_freeze = getattr(mw, "_freeze_load", None)  # (a freeze at the load's end: not now)

    def timed_freeze() -> bool:
        c0, t0_ = time.thread_time(), time.perf_counter()
        done = real_freeze()
        froze.append((t0_, (time.thread_time() - c0) * 1e3, done))
        return done

    if real_freeze is not None:
        mw._freeze_load = timed_freeze
    app = TimedApp([])
    # NOTE: the notify override itself sometimes makes PySide format an argument error
    # (seen once per run, 16–29 ms: its signature module loads lazily, stat()ing every
    # module path); load that module here, before the clock starts
    with contextlib.suppress(TypeError):
        QTimer().setInterval("x")
    win = MainWindow()
    win.resize(1440, 900)
    win.show()
    app.processEvents()
    gui = threading.get_ident()
    samples: list[tuple[float, tuple[str, ...]]] = []
    stop = threading.Event()

    def sampler() -> None:
        frames = sys._current_frames
        while not stop.is_set():
            f = frames().get(gui)
            samples.append((time.perf_counter(), _frame_names(f)))
            time.sleep(0.001)

    gaps: list[tuple[float, float, float]] = []
    in_events: list[tuple[int, float]] = []  # per gap: top-level events, their CPU (ms)
    last = [0.0, 0.0]
    # Python's cyclic GC runs on whichever thread allocates past the threshold: record
    # the collections that ran on the GUI thread (start, generation, ms)
    import gc

    gc_runs: list[tuple[float, int, float]] = []
    gc_start: list[float] = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if threading.get_ident() != gui:
            return
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            t = gc_start[0]
            gc_runs.append((t, int(info["generation"]), (time.perf_counter() - t) * 1e3))

    gc.callbacks.append(on_gc)

    def tick() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append((last[0], now, (cpu - last[1]) * 1e3))
        in_events.append((app.n_top, app.cpu_top))
        app.n_top, app.cpu_top = 0, 0.0
        last[0], last[1] = now, cpu

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    win.loaded.connect(loop.quit)
    win.load_failed.connect(loop.quit)
    QTimer.singleShot(3_600_000, loop.quit)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    last[0], last[1] = t0, time.thread_time()
    timer.start()
    win.open_path(Path(path))
    loop.exec()
    loaded_s = time.perf_counter() - t0
    end = time.perf_counter() + linger_s
    while time.perf_counter() < end:  # the dock panels fill in after `loaded`
        app.processEvents()
        time.sleep(0.001)
    # then until the held-off full collection ran (the statistics job can outlive
    # `loaded`), and 0.5 s more: its gap is part of the load's
    end = time.perf_counter() + 600.0
    while (mw.full_gc_deferred() or win._gc_timer.isActive()) and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    settled_s = time.perf_counter() - t0
    timer.stop()
    n_frozen = gc.get_freeze_count()
    load_events = list(app.events)
    after = {name: _measure_action(app, win, name, samples) for name in actions}
    stop.set()
    th.join()
    cpu = np.array([g[2] for g in gaps[1:]])
    wall = np.array([(g[1] - g[0]) * 1e3 for g in gaps[1:]])
    ev_cpu = [e[1] for e in load_events]
    slow = []
    # NOTE: a tick's own event is counted in the gap after it (tick() runs inside it)
    ev_of_gap = {id(g): e for g, e in zip(gaps, in_events, strict=True)}
    for gap in sorted(gaps[1:], key=lambda g: -g[2]):
        a, b, c = gap
        if c <= STALL_SLOT_MS or len(slow) >= 12:
            break
        n_ev, cpu_ev = ev_of_gap.get(id(gap), (0, 0.0))
        by_what: dict[str, list[float]] = {}
        for e in load_events:
            if a <= e[0] <= b:
                by_what.setdefault(e[2], []).append(e[1])
        evs = sorted(
            ((round(sum(v), 1), f"{w} ×{len(v)}" if len(v) > 1 else w) for w, v in by_what.items()),
            reverse=True,
        )[:6]
        stacks = collections.Counter()
        for ts, st in samples:
            if a <= ts <= b and st:
                inner = [x for x in st if not x.startswith("bench_gui.py")][:STACK_DEPTH]
                if inner:
                    stacks[" < ".join(inner)] += 1
        gcs = [(gen, round(ms, 1)) for ts, gen, ms in gc_runs if a <= ts <= b]
        slow.append(
            {
                "n_events": n_ev,
                "cpu_in_events_ms": cpu_ev,
                "gc": gcs,
                "at_s": a - t0,
                "cpu_ms": c,
                "wall_ms": (b - a) * 1e3,
                "events": evs,
                "stacks": stacks.most_common(4),
            }
        )
    return {
        "trace": path,
        "loaded_s": loaded_s,
        "ticks": len(cpu),
        "snapshots": win.snapshots_shown,
        "cpu_max_ms": float(cpu.max()),
        "cpu_p999_ms": float(np.percentile(cpu, 99.9)),
        "cpu_p99_ms": float(np.percentile(cpu, 99)),
        "wall_max_ms": float(wall.max()),
        "wall_p99_ms": float(np.percentile(wall, 99)),
        "event_max_ms": max(ev_cpu, default=0.0),
        "gc_gui": {
            "runs": len(gc_runs),
            "gen2": sum(1 for r in gc_runs if r[1] == 2),
            "max_ms": max((r[2] for r in gc_runs), default=0.0),
            "total_ms": sum(r[2] for r in gc_runs),
        },
        "after_load_gc": [{"at_s": a - t0, "cpu_ms": c, "wall_ms": w} for a, c, w in after_gc],
        "stale_receivers": app.stale,
        "after_load_freeze": [
            {"at_s": a - t0, "cpu_ms": c, "frozen": f, "frozen_objects": n_frozen}
            for a, c, f in froze
        ],
        "settled_s": settled_s,
        "load_avg": (load0, os.getloadavg()[0]),
        "slow": slow,
        "actions": after,
    }


def _measure_action(app, win, name: str, samples: list, timeout_s: float = 300.0) -> dict:
    """GUI-thread CPU of one user action on the loaded window: the call itself and every
    event until its jobs are in (longest event, with the Python frames sampled in it)."""
    import collections

    import numpy as np

    from goroscope.ui.panels.trace_source import R_GROUP
    from goroscope.ui.selection import SpanRef

    tp = win.view.timeline
    src = tp.source

    def idle() -> bool:
        return (
            not tp.layout_pending()
            and not tp.track._row_requests
            and win.panel_bridge.pending() == 0
            and not win.view.staged_pending()
        )

    def run_until(cond) -> None:
        end = time.perf_counter() + timeout_s
        while not cond() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    if name == "sort":  # set-up: the biggest group expanded (its own layout job)
        header = int(np.flatnonzero((src.row_kind == R_GROUP) & (src.row_res == 0))[0])
        if not src.group_expanded(0):
            tp.run_layout_job(src.toggle_job(header), "expanding")
            run_until(idle)
        calls = [("set_sort(start)", lambda: win.set_sort("start"))]
    elif name == "select-busiest":  # the goroutine with the most spans (set-up, not timed)
        tl = src.timeline
        counts = np.zeros(tl.n_goroutines, np.int64)
        for seg in tl.segments:
            counts[seg.g_idx] += np.diff(seg.g_off)
        g = int(np.argmax(counts))
        n = int(counts[g])
        goid = int(tl.goroutines.goid[g])
        ref = SpanRef.goroutine(g, n // 2)
        calls = [
            (f"select span {n // 2} of G{goid} ({n:,} spans)", lambda: win.selection.set(ref)),
            ("reveal it", lambda: win.selection.reveal(ref)),
        ]
    else:
        raise ValueError(name)
    out = []
    for what, fn in calls:
        run_until(idle)
        app.events.clear()
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        call_ms = (time.thread_time() - c0) * 1e3
        t1 = time.perf_counter()
        run_until(idle)
        done_s = time.perf_counter() - t0
        evs = sorted(app.events, key=lambda e: -e[1])
        worst = evs[0] if evs else (t1, 0.0, "-")

        def frames_in(lo: float, hi: float) -> list:
            got = collections.Counter()
            for ts, st in samples:
                if lo <= ts <= hi and st:
                    inner = [x for x in st if not x.startswith("bench_gui.py")][:STACK_DEPTH]
                    if inner:
                        got[" < ".join(inner)] += 1
            return got.most_common(4)

        out.append(
            {
                "what": what,
                "call_ms": call_ms,
                "worst_event": (round(worst[1], 1), worst[2]),
                "events_ms": sum(e[1] for e in app.events),
                "done_s": done_s,
                # what the call ran; what the longest event ran (its wall can be longer
                # than its CPU: a window of 3× its CPU)
                "stacks": frames_in(t0, t1),
                "worst_stacks": frames_in(worst[0], worst[0] + worst[1] / 1e3 * 3),
            }
        )
    return {"steps": out}


def _print_stall(res: dict) -> None:
    w = sys.stdout.write
    w(
        f"GUI thread while {Path(res['trace']).name} loads ({res['loaded_s']:.1f} s, "
        f"{res['snapshots']} snapshots, {res['ticks']:,} ticks of 5 ms; load average "
        f"{res['load_avg'][0]:.1f} → {res['load_avg'][1]:.1f}; shared machine)\n"
        f"  GUI-thread CPU per tick gap: max {res['cpu_max_ms']:.1f} ms, "
        f"p99.9 {res['cpu_p999_ms']:.1f} ms, p99 {res['cpu_p99_ms']:.1f} ms "
        f"[target ~{STALL_SLOT_MS:.0f} ms]; longest single event {res['event_max_ms']:.1f} ms\n"
        f"  wall per gap: max {res['wall_max_ms']:.0f} ms, p99 {res['wall_p99_ms']:.0f} ms\n"
    )
    if res.get("stale_receivers"):
        w(f"  (receivers re-wrapped as QObject: {res['stale_receivers']})\n")
    g = res.get("gc_gui")
    if g:
        w(
            f"  Python GC on the GUI thread: {g['runs']} collections ({g['gen2']} full), "
            f"longest {g['max_ms']:.1f} ms, {g['total_ms']:.0f} ms in all\n"
        )
    for a in res.get("after_load_freeze", []):
        w(
            f"  the load's objects frozen at {a['at_s']:.1f} s: {a['cpu_ms']:.1f} ms CPU on the "
            f"GUI thread ({a['frozen_objects']:,} objects in the permanent generation)"
            f"{'' if a['frozen'] else ' — not: a collection first'}\n"
        )
    for a in res.get("after_load_gc", []):
        w(
            f"  the full collection held off during the load: at {a['at_s']:.1f} s "
            f"(load over at {res['settled_s']:.1f} s), {a['cpu_ms']:.1f} ms CPU, "
            f"{a['wall_ms']:.1f} ms wall on the GUI thread\n"
        )
    for name, got in res.get("actions", {}).items():
        for st in got["steps"]:
            w(
                f"  {name}: {st['what']}: the call {st['call_ms']:.1f} ms, longest event "
                f"{st['worst_event'][0]} ms ({st['worst_event'][1]}), all events "
                f"{st['events_ms']:.0f} ms, done after {st['done_s']:.1f} s\n"
            )
            for stk, n in st["stacks"]:
                w(f"      call: [{n} samples] {stk}\n")
            for stk, n in st.get("worst_stacks", []):
                w(f"      longest event: [{n} samples] {stk}\n")
    for g in res["slow"]:
        gcs = "".join(f", GC gen{gen} {ms} ms" for gen, ms in g.get("gc", []))
        w(
            f"  gap at {g['at_s']:.2f} s: {g['cpu_ms']:.1f} ms CPU ({g['wall_ms']:.0f} ms wall)"
            f"{gcs}; {g.get('n_events', 0)} events, {g.get('cpu_in_events_ms', 0):.1f} ms in them\n"
        )
        for cpu, what in g["events"]:
            w(f"      {cpu:6.1f} ms  {what}\n")
        for st, n in g["stacks"]:
            w(f"      [{n} samples] {st}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_gui.py")
    ap.add_argument("--trace", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--stall", action="store_true", help="only the GUI-thread stall measurement while loading"
    )
    ap.add_argument("--linger", type=float, default=0.0, help="--stall: seconds after `loaded`")
    ap.add_argument(
        "--after",
        default="",
        help="--stall: then time these actions, comma-separated (sort, select-busiest)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-stall", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        sys.stdout.write(json.dumps(child(args.child)) + "\n")
        return 0
    if args.child_stall:
        acts = tuple(a for a in args.after.split(",") if a)
        sys.stdout.write(json.dumps(child_stall(args.child_stall, args.linger, acts)) + "\n")
        return 0
    trace = args.trace or default_trace()
    if args.stall:
        p = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child-stall",
                str(trace),
                "--linger",
                str(args.linger),
                "--after",
                args.after,
            ],
            capture_output=True,
            text=True,
            env=_env(),
            check=True,
        )
        res = json.loads(p.stdout.strip().splitlines()[-1])
        if args.json:
            sys.stdout.write(json.dumps(res) + "\n")
        else:
            _print_stall(res)
        return 0
    cold = cold_start(args.repeat)
    p = subprocess.run(
        [sys.executable, __file__, "--child", str(trace)],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["cold_start_s"] = cold
    if args.json:
        sys.stdout.write(json.dumps(res) + "\n")
        return 0
    w = sys.stdout.write
    w(f"GUI benchmark on {trace.name} ({res['size_mb']:.0f} MB, {res['goroutines']:,} goroutines, ")
    w(f"{res['spans']:,} spans) — measured under shared load (2 cores, other sessions)\n")
    c = statistics.median(cold)
    w(
        f"  cold start to window (JIT cache warm): median {c:.2f} s {cold} [target ≤ {TARGET_COLD_S} s]\n"
    )
    f = res["open_to_first_drawn_s"]
    w(f"  open → first timeline drawn: {f:.2f} s [target ≤ {TARGET_OPEN_S} s]; ")
    w(f"complete model + stats: {res['open_to_loaded_s']:.1f} s\n")
    for scene, levels in res["repaint"].items():
        w(f"  repaint, {scene} ({res['rows']:,} rows when expanded):\n")
        for lv in levels:
            w(
                f"    view {lv['view_ns'] / 1e6:12.3f} ms: first paint {lv['first_paint_ms']:6.1f} ms, "
                f"complete frame (jobs in) {lv['first_ms']:7.1f} ms, "
                f"steady median {lv['median_ms']:5.1f} ms, {lv['rects']:5d} rects, "
                f"{lv['strips']} strips\n"
            )
    w(
        f"  median over levels (default layout): {res['repaint_median_ms']:.1f} ms [target ≤ {TARGET_REPAINT_MS} ms]\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
