"""Panels benchmark: the GUI thread while the dock panels work on a big trace.

Not a unit test (run by hand or ``make bench``). Opens the trace in the real
``MainWindow`` (``QT_QPA_PLATFORM=offscreen``), waits for the load and the
goroutine statistics, then drives the panels one action at a time and measures,
per action, with a 5 ms ``QTimer`` on the GUI thread:

* the worst gap between ticks (wall: what the user feels, incl. waiting for a
  CPU and for the GIL) and the worst GUI-thread CPU time (``time.thread_time``)
  inside one gap — our own work on the GUI thread, target ~10 ms;
* a sampling profiler (a thread reading ``sys._current_frames()`` every 2 ms)
  names what the GUI thread ran in every gap with more than 10 ms of its CPU
  (the innermost goroscope frame, and the slot it was called from).

Actions: show the Blocking panel (profile pass + first view), switch to sched,
follow a time range, a task and a goroutine group, click the flame graph's
biggest root frame (the intervals behind it), select a span of the goroutine
with the most spans (events table and stacks panel follow), show the CPU panel; on a
trace with CPU samples (testdata ``cpusamples``), the CPU panel's scopes (time range,
goroutine group, whole trace) and the samples behind its biggest root frame.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_panels.py TRACE [--json]

Figures depend on the machine's load (2 shared cores): say so when quoting them.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

TICK_MS = 5
SLOW_CPU_MS = 10.0


class Sampler:
    """Samples the GUI thread's Python stack every ``period`` s (a daemon thread)."""

    def __init__(self, thread_id: int, period: float = 0.002) -> None:
        self.tid = thread_id
        self.period = period
        self.times: list[float] = []  # ascending
        self.stacks: list[tuple[str, ...]] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._t.start()

    def stop(self) -> None:
        self._stop.set()
        self._t.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            f = sys._current_frames().get(self.tid)
            names = []
            while f is not None and len(names) < 12:
                co = f.f_code
                if not co.co_filename.endswith(("threading.py", "bench_panels.py")):
                    names.append(f"{Path(co.co_filename).stem}:{co.co_name}:{f.f_lineno}")
                f = f.f_back
            t = time.perf_counter()
            self.stacks.append(tuple(names))
            self.times.append(t)  # (after the stack: a reader never sees a missing one)
            time.sleep(self.period)

    def between(self, t0: float, t1: float) -> Counter:
        """What ran in [t0, t1]: per sample the innermost frames (binary search: O(k))."""
        a = bisect.bisect_left(self.times, t0)
        b = bisect.bisect_right(self.times, t1)
        return Counter(" ← ".join(n[:3]) for n in self.stacks[a:b] if n)


class Meter:
    """5 ms ticks on the GUI thread: gaps (wall) and GUI-thread CPU per gap."""

    def __init__(self, sampler: Sampler) -> None:
        from PySide6.QtCore import QTimer

        self.sampler = sampler
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.reset()

    def reset(self) -> None:
        self.last = (time.perf_counter(), time.thread_time())
        self.gaps: list[float] = []
        self.cpu: list[float] = []
        self.slow: Counter = Counter()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gap, used = (now - self.last[0]) * 1e3, (cpu - self.last[1]) * 1e3
        self.gaps.append(gap)
        self.cpu.append(used)
        if used > SLOW_CPU_MS:
            self.slow.update(self.sampler.between(self.last[0], now))
        self.last = (now, cpu)

    def summary(self) -> dict:
        import numpy as np

        g = np.array(self.gaps or [0.0])
        c = np.array(self.cpu or [0.0])
        return {
            "ticks": len(self.gaps),
            "worst_gap_ms": round(float(g.max()), 1),
            "p99_gap_ms": round(float(np.percentile(g, 99)), 1),
            "worst_cpu_ms": round(float(c.max()), 1),
            "p99_cpu_ms": round(float(np.percentile(c, 99)), 1),
            "slow_gaps": int((c > SLOW_CPU_MS).sum()),
            "slow_where": self.slow.most_common(6),
            "load": round(os.getloadavg()[0], 1),
        }


def _hwm_gb() -> float:
    with open("/proc/self/status") as f:
        d = dict(line.split(":", 1) for line in f)
    return int(d["VmHWM"].split()[0]) / 1e6


def run(path: str) -> dict:
    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from goroscope.ui.main_window import MainWindow
    from goroscope.ui.selection import SpanRef, TaskRef, TimeRange

    app = QApplication([])
    win = MainWindow()
    win.resize(1440, 900)
    win.show()
    app.processEvents()
    sampler = Sampler(threading.get_ident())
    sampler.start()
    meter = Meter(sampler)
    out: dict = {"trace": path}

    def wait(cond, timeout_s: float = 3600) -> float:
        t0 = time.perf_counter()
        while not cond():
            if time.perf_counter() - t0 > timeout_s:
                raise TimeoutError
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            time.sleep(0.001)
        return time.perf_counter() - t0

    def act(name: str, fn, cond) -> None:
        meter.reset()
        t0 = time.perf_counter()
        fn()
        wait(cond)
        res = meter.summary()
        res["seconds"] = round(time.perf_counter() - t0, 2)
        out[name] = res
        sys.stderr.write(f"{name}: {json.dumps(res)}\n")

    for name in ("blocking", "cpu"):  # shown (and their pass started) by an action below
        win.docks[name].hide()
    meter.timer.start()
    loop = QEventLoop()
    win.loaded.connect(loop.quit)
    QTimer.singleShot(3_600_000, loop.quit)
    t0 = time.perf_counter()
    win.open_path(Path(path))
    loop.exec()
    out["load_s"] = round(time.perf_counter() - t0, 1)
    bridge = win.panel_bridge
    act("load settled (goroutine statistics)", lambda: None, lambda: bridge.pending() == 0)
    out["rss_before_profiles_gb"] = round(_hwm_gb(), 2)

    blocking = win.docks["blocking"].widget()
    cpu = win.docks["cpu"].widget()
    tl = win.session.timeline

    def idle(panel, n):
        return lambda: panel.views_shown >= n and not panel.busy

    def next_view(panel):
        """Idle once the panel shows one more view than now (call before the action)."""
        return idle(panel, panel.views_shown + 1)

    def show_blocking():
        win.docks["blocking"].show()
        win.docks["blocking"].raise_()

    act("blocking: profile pass + first view", show_blocking, idle(blocking, 1))
    act("blocking: switch to sched", lambda: blocking.set_kind("sched"), next_view(blocking))
    t_a, t_b = tl.covered_ns // 3, tl.covered_ns // 2
    act(
        "blocking: follow a time range",
        lambda: win.selection.set(TimeRange(t_a, t_b)),
        next_view(blocking),
    )
    if len(tl.tasks):
        act("blocking: follow a task", lambda: win.selection.set(TaskRef(0)), next_view(blocking))
    done = next_view(blocking)
    blocking.set_scope(blocking.scope.__class__())
    wait(done)
    fd = blocking.flame_data
    roots = np.flatnonzero(fd.parent == 0)
    if len(roots):
        node = int(roots[np.argmax(fd.value[roots])])
        act(
            "blocking: click the biggest root frame",
            lambda: blocking.select_frame(node),
            lambda: not blocking.busy and blocking.behind is not None,
        )
    # the goroutine with the most spans: select one of its spans
    counts = np.zeros(tl.n_goroutines, np.int64)
    for seg in tl.segments:
        counts[seg.g_idx] += np.diff(seg.g_off)
    g = int(np.argmax(counts))
    out["g_most_spans"] = {"g_idx": g, "spans": int(counts[g])}
    blocking.follow_box.setChecked(False)
    cpu_t0 = [0.0]

    def select_span():
        cpu_t0[0] = time.thread_time()
        win.selection.set(SpanRef.goroutine(g, int(counts[g] // 2)))

    act(
        "select a span of the goroutine with most spans", select_span, lambda: bridge.pending() == 0
    )
    out["select a span of the goroutine with most spans"]["gui_cpu_total_s"] = round(
        time.thread_time() - cpu_t0[0], 3
    )

    def show_cpu():
        win.docks["cpu"].show()
        win.docks["cpu"].raise_()

    act("cpu: first view", show_cpu, lambda: cpu.views_shown >= 1 and not cpu.busy)
    if len(tl.cpu_samples):  # the CPU panel on many samples (testdata cpusamples traces)
        cpu_actions(win, tl, cpu, act, next_view, wait)
    out["peak_rss_gb"] = round(_hwm_gb(), 2)
    meter.timer.stop()
    sampler.stop()
    win.close()
    return out


def cpu_actions(win, tl, cpu, act, next_view, wait) -> None:
    """The CPU panel's scopes and links on a trace with CPU samples: a time range, a
    goroutine group (a span of the goroutine with the most samples), the whole trace,
    the biggest root frame (the samples behind it), sorting those samples by goroutine."""
    import numpy as np
    from PySide6.QtCore import Qt

    from goroscope.ui.selection import GoroutineRef, TimeRange

    t_a, t_b = tl.covered_ns // 4, tl.covered_ns // 2
    act("cpu: follow a time range", lambda: win.selection.set(TimeRange(t_a, t_b)), next_view(cpu))
    g = np.asarray(tl.cpu_samples.g_idx) if hasattr(tl.cpu_samples, "g_idx") else None
    if g is not None and len(g) and (g >= 0).any():
        top = int(np.bincount(g[g >= 0]).argmax())
        act("cpu: follow a goroutine group", lambda: win.selection.set(GoroutineRef(top)),
            next_view(cpu))  # fmt: skip
    act("cpu: whole trace", lambda: cpu.set_scope(cpu.scope.__class__()), next_view(cpu))
    fd = cpu.flame_data
    roots = np.flatnonzero(fd.parent == 0)
    if len(roots):
        node = int(roots[np.argmax(fd.value[roots])])
        act(
            "cpu: click the biggest root frame",
            lambda: cpu.select_frame(node),
            lambda: not cpu.busy and cpu.behind is not None,
        )
        gc = cpu.behind_model.column_index("Goroutine")
        act(
            "cpu: sort the samples behind it by goroutine",
            lambda: cpu.behind_model.sort(gc, Qt.SortOrder.AscendingOrder),
            lambda: not cpu.busy,
        )
    wait(lambda: not cpu.busy)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = run(a.trace)
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
