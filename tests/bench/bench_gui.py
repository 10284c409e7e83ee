"""GUI benchmark: cold start, open → first timeline drawn, repaint at five zoom levels.

Not a unit test (``make bench`` runs it after ``run_bench.py``). Every
measurement runs in a fresh subprocess (``QT_QPA_PLATFORM=offscreen``):

* ``cold start`` — ``python -c`` start → the main window shown and painted
  (imports, QApplication, MainWindow), JIT cache warm (one untimed run first);
  target ≤ 1.5 s;
* ``open → first timeline drawn`` — ``MainWindow.open_path(TRACE)`` → the first
  snapshot's view shown and its plot painted (``view_shown`` + a synchronous
  repaint); target ≤ 1.5 s;
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

    def on_shown() -> None:
        win.view.timeline.plot.viewport().repaint()
        first["s"] = time.perf_counter() - t0

    win.view_shown.connect(on_shown)
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
    first, end = gs.first_ns[members], gs.end_ns[members]
    mid = dur / 2
    alive = np.flatnonzero((first <= mid) & ((end < 0) | (end >= mid)))
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_gui.py")
    ap.add_argument("--trace", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        sys.stdout.write(json.dumps(child(args.child)) + "\n")
        return 0
    trace = args.trace or default_trace()
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
