"""The wired explorer: opening (argument, drop, errors, damage), progressive loading, the timeline on real traces."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QMimeData,
    QObject,
    QPointF,
    QSettings,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtTest import QTest

from goroscope.ui.main import demo_trace_path
from goroscope.ui.main_window import MainWindow
from goroscope.ui.panels.trace_source import R_GOROUTINE, R_GROUP
from goroscope.ui.selection import SpanRef, TimeRange

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
SERVICE = TRACES / "go1.22" / "service.trace"
LOAD_TIMEOUT_MS = 60_000


def _open(qtbot, win, path) -> None:
    with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
        win.open_path(path)
    qtbot.wait(1)  # one event-loop turn: layout after the last set_source


def test_open_by_argument_shows_timeline(qtbot, window):
    _open(qtbot, window, SERVICE)
    assert window.view is not None
    src = window.view.data.source
    tl = src.timeline
    assert tl.complete
    assert window.view.timeline.row_count() == src.row_count() > len(tl.proc_ids)
    assert src.stats is not None  # the aggregate/blocked job ran
    assert "goroutines" in window.statusBar().currentMessage()
    assert not window.progress.isVisible()
    assert window.recent_files()[0] == str(SERVICE.resolve())


def test_drop_opens_trace(qtbot, window):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(SERVICE))])
    ev = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with (
        qtbot.waitSignal(window.path_opened, timeout=1000) as opened,
        qtbot.waitSignal(window.loaded, timeout=LOAD_TIMEOUT_MS),
    ):
        window.dropEvent(ev)
    assert opened.args == [str(SERVICE)]
    assert "service.trace" in window.windowTitle()
    assert window.view is not None


def test_progress_then_ready(qtbot, window):
    seen: list[tuple[str, float, bool]] = []
    window.progress.valueChanged.connect(
        lambda v: seen.append((window.stage_label.text(), v, window.progress.isVisible()))
    )
    _open(qtbot, window, TRACES / "go1.27" / "gc.trace")
    assert seen, "no progress reported"
    assert all(visible for _, _, visible in seen)
    values = [v for _, v, _ in seen]
    assert values == sorted(values)  # monotonic
    assert any("timeline" in s for s, _, _ in seen)
    assert not window.progress.isVisible()
    assert not window.cancel_button.isVisible()
    assert window.snapshots_shown >= 1
    assert window.first_view_s is not None


def test_damaged_trace_shows_banner(qtbot, window, tmp_path):
    data = SERVICE.read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _open(qtbot, window, cut)
    assert window.view.banner.isVisible()
    text = window.view.banner.text()
    assert "Damaged trace" in text
    assert "byte" in text
    assert "%" in text
    assert window.last_error is None


@pytest.mark.parametrize(
    ("content", "title"),
    [
        (b"this is not a go execution trace at all\n" * 4, "Not a Go execution trace"),
        (b"go 1.10 trace\x00\x00\x00\x01\x02\x03", "Unsupported trace version"),  # pre-1.11
    ],
)
def test_not_a_trace_shows_dialog(qtbot, window, tmp_path, content, title):
    f = tmp_path / "bad.trace"
    f.write_bytes(content)
    with qtbot.waitSignal(window.load_failed, timeout=LOAD_TIMEOUT_MS):
        window.open_path(f)
    assert window.last_error is not None
    assert window.last_error[0] == title
    box = window.error_box
    assert box is not None
    assert box.isVisible()
    assert not box.isModal()
    assert "Traceback" not in box.text()
    box.close()


def test_missing_file_shows_message_not_traceback(window, tmp_path):
    window.open_path(tmp_path / "nope.trace")
    assert window.last_error[0] == "Cannot open file"
    window.error_box.close()


def test_demo_trace_is_bundled():
    assert demo_trace_path().is_file()
    assert demo_trace_path().read_bytes()[:5] == b"go 1."


@pytest.fixture
def loaded(qtbot, window):
    _open(qtbot, window, SERVICE)
    return window


def test_keys_change_view_range(qtbot, loaded):
    tp = loaded.view.timeline
    dur = tp.source.duration_ns()
    x0, x1 = tp.view_range()
    assert x0 <= 1
    assert x1 >= dur * 0.999
    QTest.keyClick(tp.plot, Qt.Key.Key_W)
    a0, a1 = tp.view_range()
    assert math.isclose(a1 - a0, (x1 - x0) * 0.7, rel_tol=1e-3)
    QTest.keyClick(tp.plot, Qt.Key.Key_D)
    b0, b1 = tp.view_range()
    assert math.isclose(b0 - a0, (a1 - a0) * 0.2, rel_tol=1e-3)
    QTest.keyClick(tp.plot, Qt.Key.Key_S)
    assert tp.view_range()[1] - tp.view_range()[0] > b1 - b0
    QTest.keyClick(tp.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.allclose(tp.view_range(), (b0, b1))
    QTest.keyClick(tp.plot, Qt.Key.Key_Home)
    assert np.allclose(tp.view_range(), (0, dur), atol=1)


def _first_goroutine_row(src, min_spans=5) -> int:
    for row in np.flatnonzero(src.row_kind == R_GOROUTINE).tolist():
        if len(src.spans(row)[0]) >= min_spans:
            return row
    raise AssertionError("no goroutine row with spans")


def test_click_on_known_span_selects_it(qtbot, loaded):
    tp = loaded.view.timeline
    src = tp.source
    row = _first_goroutine_row(src)
    g = int(src.row_res[row])
    model_row = src.timeline.goroutine_row(g)  # the span, straight from the model
    i = int(np.argmax(model_row.end_ns - model_row.start_ns))
    a, b = int(model_row.start_ns[i]), int(model_row.end_ns[i])
    tp.show_range(a - (b - a) // 4, b + (b - a) // 4)
    tp.scroll_to_row(row)
    qtbot.wait(1)
    pos = tp.viewport_pos_for(row, (a + b) / 2)
    with qtbot.waitSignal(tp.selection.changed, timeout=1000):
        qtbot.mouseClick(tp.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert tp.selection.current == SpanRef.goroutine(g, i)
    assert "duration" in tp.status.text()
    text = tp.hover_text(row, (a + b) / 2)
    assert f"G{int(src.timeline.goroutines.goid[g])}" in text
    assert "start" in text


def test_click_on_group_header_expands_it(qtbot, loaded):
    tp = loaded.view.timeline
    src = tp.source
    headers = np.flatnonzero(src.row_kind == R_GROUP)
    k = next(int(r) for r in headers if not src.group_expanded(int(src.row_res[r])))
    n = tp.row_count()
    tp.scroll_to_row(k)
    qtbot.wait(1)
    assert src.aggregate(k) is not None  # collapsed: an aggregate strip
    qtbot.mouseClick(
        tp.plot.viewport(), Qt.MouseButton.LeftButton, pos=tp.viewport_pos_for(k, 1000)
    )
    grp = int(src.row_res[k])
    assert src.group_expanded(grp)
    assert tp.row_count() >= n + len(src.group_members[grp])


def test_sort_by_blocked_time(qtbot, loaded):
    loaded.set_sort("blocked")
    src = loaded.view.timeline.source
    rows = np.flatnonzero(src.row_kind == R_GOROUTINE)
    grp = src.group_of_g[src.row_res[rows]]
    first = grp == grp[0]
    blocked = src.stats.blocked_ns[src.row_res[rows][first]]
    assert (np.diff(blocked) <= 0).all()


def test_lod_rect_bound_on_real_trace(qtbot, loaded):
    tp = loaded.view.timeline
    src = tp.source
    src.set_group_expanded(0, True)  # the biggest group: thousands of rows
    tp.set_source(src)
    tp.fit_all()
    tp.plot.viewport().repaint()
    vis = tp.visible_row_count()
    width = tp.view_box.width()
    n = tp.track.drawn_rect_count()
    assert 0 < n <= math.ceil(vis + 1) * (width / 2 + 2)


def _stall_trace() -> Path:
    big = Path(os.environ.get("GOROSCOPE_CACHE", Path.home() / ".cache" / "goroscope"))
    cand = big / "big" / "big-12mb.trace"
    return cand if cand.is_file() else TRACES / "go1.27" / "gc.trace"


@pytest.mark.slow
def test_gui_thread_never_stalls_while_loading(qtbot, window):
    """A 5 ms QTimer on the GUI thread keeps ticking while a big-ish trace loads.

    Two figures per gap between ticks: wall time (what the user feels; includes
    waiting for a CPU and for the GIL while job threads run Python/numpy) and the
    GUI thread's own CPU time (``time.thread_time``: our work on the GUI thread).
    The machine is shared (2 cores, other sessions), so the wall bound is on p99.
    """
    path = _stall_trace()
    clock = QElapsedTimer()
    gaps: list[int] = []
    cpu_ms: list[float] = []
    last = [0, time.thread_time()]

    def tick() -> None:
        now, cpu = clock.elapsed(), time.thread_time()
        gaps.append(now - last[0])
        cpu_ms.append((cpu - last[1]) * 1e3)
        last[0], last[1] = now, cpu

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_path(path)
    timer.stop()
    elapsed = time.perf_counter() - t0
    gaps, cpu_ms = gaps[1:], cpu_ms[1:]
    p99 = float(np.percentile(gaps, 99))
    sys.stderr.write(
        f"\n{path.name}: loaded in {elapsed:.1f}s, {window.snapshots_shown} snapshots shown; "
        f"GUI tick gaps max {max(gaps)} ms, p99 {p99:.0f} ms; GUI-thread CPU per gap "
        f"max {max(cpu_ms):.0f} ms, p99 {np.percentile(cpu_ms, 99):.1f} ms\n"
    )
    # wall p99 measured 32–61 ms (load 10–15 on the 2 shared cores: mostly waiting for
    # a CPU, not our work — that is the CPU bound below); was bounded at 60 and failed
    # once at 61 under load 15
    assert p99 <= 100, gaps
    # NOTE: rows are built and merged in the job (build_view_data with the view hint),
    # a swap paints one plot per event-loop turn (TraceView "Staged repaint"), a range
    # change paints each plot once, and the view is laid out before the first snapshot:
    # worst GUI-thread CPU per gap measured 8–11 ms in 13 of 14 runs and 20 ms once
    # (2026-11-27, shared 2-core machine at load 5–13; it was 22–29 ms, before that
    # 38–61). What is left per turn is the timeline's own paint (5–7 ms quiet, ~10 ms
    # under load). Bound: the worst measured + 25 % — this is CPU time, not wall, but
    # a loaded machine still inflates it (caches, shared cores: ×1.5 between load 5
    # and 12 here), and CI runs the suite beside other jobs.
    assert max(cpu_ms) <= 25, cpu_ms


def test_screenshot_mode_writes_png(tmp_path):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "goroscope", "--screenshot", str(out), str(SERVICE)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    img = QImage(str(out))
    assert img.width() >= 1280
    assert img.height() >= 800


def test_cpu_samples_tick_goroutine_rows(qtbot, window):
    _open(qtbot, window, TRACES / "go1.24" / "cpuprofile.trace")
    src = window.view.timeline.source
    cs = src.timeline.cpu_samples
    g = int(np.bincount(cs.g_idx[cs.g_idx >= 0]).argmax())  # the most sampled goroutine
    row = src.row_of(SpanRef.goroutine(g, 0))
    assert row is not None
    ticks = src.ticks(row)
    assert ticks is not None
    assert len(ticks) == int((cs.g_idx == g).sum())
    assert "CPU samples" in " ".join(window.view.data.pinned.labels)


@pytest.mark.parametrize("name", ["cpusamples", "service"])
def test_legend_lists_cpu_sample_only_when_the_trace_has_samples(qtbot, window, name):
    """The oracle's count of StackSample events decides (go1.25: cpusamples has them,
    service has none)."""
    import json

    from goroscope.ui.theme import LEGEND_FAMILIES, StateFamily

    expected = TRACES.parent / "expected" / f"go1.25-{name}.counts.json"
    samples = json.loads(expected.read_text())["by_kind"].get("StackSample", 0)
    _open(qtbot, window, TRACES / "go1.25" / f"{name}.trace")
    legend = window.view.timeline.legend
    shown = legend.shown_families()
    assert (StateFamily.CPU_SAMPLE in shown) is (samples > 0)
    assert legend.names[StateFamily.CPU_SAMPLE].isVisible() is (samples > 0)
    others = [f for f in LEGEND_FAMILIES if f is not StateFamily.CPU_SAMPLE]
    assert [f for f in shown if f is not StateFamily.CPU_SAMPLE] == others


def test_shift_drag_range_reports_time_per_state(qtbot, loaded):
    tp = loaded.view.timeline
    dur = tp.source.duration_ns()
    tp.selection.set(TimeRange(dur // 4, dur // 2))
    qtbot.waitUntil(lambda: not tp.range_stats_pending(), timeout=5000)  # summed in a job
    assert tp.status.text().startswith("range")
    assert "running" in tp.status.text() or "blocked" in tp.status.text()


def test_hover_on_collapsed_group_reports_counts(qtbot, loaded):
    tp = loaded.view.timeline
    src = tp.source
    k = next(int(r) for r in np.flatnonzero(src.row_kind == R_GROUP) if src.aggregate(int(r)))
    text = tp.hover_text(k, src.duration_ns() / 2)
    assert "mean goroutines" in text
    assert "running" in text


def test_nested_regions_get_their_own_row(qtbot, window):
    from goroscope.ui.panels.trace_source import R_REGIONS, R_REGIONS_NESTED

    _open(qtbot, window, TRACES / "go1.22" / "annotations.trace")
    src = window.view.data.source
    reg = src.timeline.regions
    if not (reg.depth == 1).any():
        pytest.skip("no nested regions in this trace")
    for k in range(len(src.group_members)):  # expand every group
        src.set_group_expanded(k, True)
    src.relayout()
    nested = np.flatnonzero(src.row_kind == R_REGIONS_NESTED)
    assert len(nested) > 0
    row = int(nested[0])
    g = int(src.row_res[row])
    assert int(src.row_kind[row - 1]) == R_REGIONS  # beneath the outermost row
    assert int(src.row_kind[row - 2]) == R_GOROUTINE
    assert int(src.row_res[row - 2]) == g
    s, e, _ = src.spans(row)
    n1 = int(((reg.g_idx == g) & (reg.depth == 1)).sum())
    assert len(s) == n1
    assert (e[:-1] <= s[1:]).all()
    assert "nested" in src.row_label(row)


def test_opening_another_trace_closes_the_previous_file(qtbot, window):
    """The previous session's file is unmapped once its jobs stopped, and its details
    are gone (a panel job asking for them gets None, not a closed file)."""
    _open(qtbot, window, SERVICE)
    first = window.session
    assert first.details is not None
    tf = first.index.tracefile
    _open(qtbot, window, TRACES / "go1.27" / "gc.trace")
    assert window.session is not first
    assert first.details is None
    qtbot.waitUntil(lambda: tf.closed, timeout=LOAD_TIMEOUT_MS)
    assert not window.session.index.tracefile.closed
    window.close()
    tf2 = window.session.index.tracefile
    qtbot.waitUntil(lambda: tf2.closed, timeout=LOAD_TIMEOUT_MS)


class _PaintLog(QObject):
    """Records (plot name, ms since start) for every paint of the given plots' viewports."""

    def __init__(self, plots: dict) -> None:
        super().__init__()
        self.clock = QElapsedTimer()
        self.clock.start()
        self.log: list[tuple[str, int]] = []
        self._names = {}
        for name, w in plots.items():
            self._names[w.viewport()] = name
            w.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and obj in self._names:
            self.log.append((self._names[obj], self.clock.elapsed()))
        return False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, _ in self.log:
            out[name] = out.get(name, 0) + 1
        return out


def _plots(view) -> dict:
    return {
        "timeline": view.timeline.plot,
        "pinned": view.pinned_plot,
        "heap": view.heap_plot,
        "count": view.count_plot,
    }


def test_pan_paints_each_plot_once(qtbot, loaded):
    """Regression: pyqtgraph applied a new range in the paint itself, which dirtied every
    item again — each pan step painted all four plots twice."""
    tp = loaded.view.timeline
    tp.zoom(0.3)
    qtbot.wait(50)
    paints = _PaintLog(_plots(loaded.view))
    tp.pan(0.1)
    qtbot.wait(100)
    assert paints.counts() == {"timeline": 1, "pinned": 1, "heap": 1, "count": 1}


def test_snapshot_swap_paints_one_plot_per_turn(qtbot, loaded):
    """A snapshot swap paints the timeline, then each pinned plot, in separate event-loop
    turns STAGE_STEP_MS apart (the ~10 ms GUI budget), and nothing before its turn."""
    from PySide6.QtCore import QCoreApplication

    from goroscope.ui.panels.trace_view import STAGE_STEP_MS

    view = loaded.view
    paints = _PaintLog(_plots(view))
    view.show_data(view.data)
    QCoreApplication.sendPostedEvents()  # the swap's own queued work and repaint requests
    assert paints.log == []  # every plot held
    assert view.staged_pending()
    with qtbot.waitSignal(view.staged_done, timeout=2000):
        pass
    qtbot.wait(20)
    names = [n for n, _ in paints.log]
    assert names == ["timeline", "pinned", "heap", "count"]
    times = [t for _, t in paints.log]
    # QTimer is coarse (±5 %): consecutive steps are at least most of a step apart
    assert all(b - a >= STAGE_STEP_MS * 0.7 for a, b in zip(times, times[1:], strict=False))


def test_progress_updates_do_not_repaint_plots(qtbot, loaded):
    """Progress bar and stage label updates repaint the status bar only."""
    loaded._set_loading(True, "timeline", 0.1)
    qtbot.wait(50)
    paints = _PaintLog(_plots(loaded.view))
    for k in range(2, 10):
        loaded._set_loading(True, "timeline", k / 10)
        qtbot.wait(5)
    qtbot.wait(50)
    assert loaded.progress.value() == 90
    assert paints.log == []
    loaded._set_loading(False)


def _expand_biggest(tp):
    src = tp.source
    src.set_group_expanded(0, True)  # thousands of rows
    tp.set_source(src)
    return src


def test_sort_of_a_big_layout_runs_in_a_job(qtbot, loaded, monkeypatch):
    """Sorting with a huge group expanded (2 M goroutines: argsorts and the layout) is a
    job: the GUI thread keeps the old order until the sorted layout arrives."""
    from goroscope.ui.panels import trace_source

    monkeypatch.setattr(trace_source, "ASYNC_LAYOUT_ROWS", 10)
    tp = loaded.view.timeline
    src = _expand_biggest(tp)
    before = src.row_res.copy()
    with qtbot.waitSignal(tp.layout_ended, timeout=LOAD_TIMEOUT_MS) as blocker:
        loaded.set_sort("start")
        assert tp.layout_pending()
        assert src.sort_key == "id"  # not sorted on the GUI thread
        np.testing.assert_array_equal(src.row_res, before)
        assert "sorting goroutines by start time" in tp.status.text()
    assert blocker.args == [True]
    assert src.sort_key == "start"
    assert loaded.sort_actions["start"].isChecked()
    rows = np.flatnonzero(src.row_kind == R_GOROUTINE)
    g = src.row_res[rows]
    members = g[src.group_of_g[g] == 0]
    assert sorted(members.tolist()) == sorted(src.group_members[0].tolist())
    assert (np.diff(src.timeline.goroutines.first_ns[members]) >= 0).all()


def test_escape_cancels_a_sort_job(qtbot, loaded, monkeypatch):
    from goroscope.ui.panels import trace_source

    monkeypatch.setattr(trace_source, "ASYNC_LAYOUT_ROWS", 10)
    tp = loaded.view.timeline
    src = _expand_biggest(tp)
    before = src.row_res.copy()
    loaded.set_sort("start")
    assert tp.layout_pending()
    with qtbot.waitSignal(tp.layout_ended, timeout=1000) as blocker:
        QTest.keyClick(tp.plot, Qt.Key.Key_Escape)
    assert blocker.args == [False]
    qtbot.wait(300)  # the job's result, if it finished meanwhile, is dropped
    assert not tp.layout_pending()
    assert src.sort_key == "id"
    np.testing.assert_array_equal(src.row_res, before)
    assert loaded.sort_actions["id"].isChecked()
    assert "cancelled" in tp.status.text()


def test_default_layout_gives_the_timeline_most_of_the_height(qtbot, tmp_path):
    """1440×900, no saved layout: the panels share one tabbed column, the timeline the
    window's height (a bottom row of docks left its rows ~330 px)."""
    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    try:
        _open(qtbot, win, SERVICE)
        areas = {win.dockWidgetArea(d) for d in win.docks.values()}
        assert areas == {Qt.DockWidgetArea.RightDockWidgetArea}
        first = next(iter(win.docks.values()))
        assert len(win.tabifiedDockWidgets(first)) == len(win.docks) - 1
        usable = win.height() - win.menuBar().height() - win.statusBar().height()
        assert win.centralWidget().height() >= 0.95 * usable
        assert win.centralWidget().width() >= 0.7 * win.width()
        assert win.view.timeline.plot.height() >= 500
    finally:
        win.session.cancel()
        win.session.wait(30)


def test_statistics_swap_paints_in_the_next_turn(qtbot, loaded):
    """The goroutine-statistics result relays out the timeline now and paints it a turn
    later (swap ~3 ms, paint ~7 ms: together past the ~10 ms budget)."""
    from PySide6.QtCore import QCoreApplication

    view = loaded.view
    paints = _PaintLog(_plots(view))
    view.show_source(view.data.source)
    QCoreApplication.sendPostedEvents()
    assert paints.log == []
    with qtbot.waitSignal(view.staged_done, timeout=2000):
        pass
    qtbot.wait(20)
    assert paints.counts() == {"timeline": 1}


def _unready_goroutine_row(tp, monkeypatch, min_spans=5) -> int:
    """A goroutine row below the view whose spans are not built yet, with every goroutine
    row made 'slow to build' (as a long-lived goroutine of the 450 MB trace is)."""
    from goroscope.ui.panels import trace_source

    monkeypatch.setattr(trace_source, "READY_SEGMENTS", -1)
    src = tp.source
    vis = tp.visible_rows()
    for row in np.flatnonzero(src.row_kind == R_GOROUTINE).tolist():
        if row < vis.stop + 5 or tp.track.spans_ready(row):
            continue
        g = int(src.row_res[row])
        if len(src.timeline.goroutine_row(g).start_ns) >= min_spans:
            return row
    raise AssertionError("no suitable goroutine row")


def test_selecting_a_span_of_an_unbuilt_row_builds_it_in_a_job(qtbot, loaded, monkeypatch):
    """Selecting a span of a goroutine whose row is slow to build (G1 of the 450 MB trace:
    2 M spans) builds the row in a job, then highlights the span."""
    tp = loaded.view.timeline
    row = _unready_goroutine_row(tp, monkeypatch)
    src = tp.source
    g = int(src.row_res[row])
    model_row = src.timeline.goroutine_row(g)
    i = len(model_row.start_ns) // 2
    with qtbot.waitSignal(tp.track.row_built, timeout=LOAD_TIMEOUT_MS):
        tp.selection.set(SpanRef.goroutine(g, i))
        assert not tp.track.spans_ready(row)  # not built on the GUI thread
        assert "loading its spans" in tp.status.text()
        assert tp.track._highlight is None
    assert tp.track._highlight == (row, i)
    assert "duration" in tp.status.text()
    s, e, _ = tp.track.spans(row)
    np.testing.assert_array_equal(s, model_row.start_ns)  # the model's spans, unmerged


def test_revealing_a_span_of_an_unbuilt_row_zooms_once_built(qtbot, loaded, monkeypatch):
    tp = loaded.view.timeline
    row = _unready_goroutine_row(tp, monkeypatch)
    src = tp.source
    g = int(src.row_res[row])
    model_row = src.timeline.goroutine_row(g)
    i = int(np.argmin(model_row.end_ns - model_row.start_ns))  # narrow: zoomed to
    a, b = int(model_row.start_ns[i]), int(model_row.end_ns[i])
    before = tp.view_range()
    with qtbot.waitSignal(tp.track.row_built, timeout=LOAD_TIMEOUT_MS):
        tp.selection.reveal(SpanRef.goroutine(g, i))
        assert row in tp.visible_rows()  # scrolled at once
        assert tp.view_range() == before  # zoom waits for the spans
    x0, x1 = tp.view_range()
    assert x0 <= a
    assert b <= x1
    assert x1 - x0 < before[1] - before[0]


def test_theme_follows_a_system_switch_live(qtbot, loaded, monkeypatch):
    """The system switching dark/light (here: the GOROSCOPE_THEME override and the app
    palette change it brings, as a colorSchemeChanged would) re-themes the open view."""
    from PySide6.QtWidgets import QApplication

    from goroscope.ui import theme

    app = QApplication.instance()
    saved_palette, saved_style = app.palette(), app.style().name()
    view = loaded.view
    tp = view.timeline
    fams = tp.source.state_families()
    try:
        for dark in (not view.palette_.dark, view.palette_.dark):
            monkeypatch.setenv(theme.THEME_ENV, "dark" if dark else "light")
            with qtbot.waitSignal(loaded.theme_watcher.changed, timeout=2000):
                theme.apply_system_theme(app)  # what the platform's scheme change does
                loaded.theme_watcher._check()  # colorSchemeChanged: Qt's own signal
            want = theme.Palette(dark=dark)
            assert view.palette_.dark is dark
            assert tp.plot.backgroundBrush().color() == want.background
            assert view.heap_plot.backgroundBrush().color() == want.background
            assert [c.rgb() for c in tp.track._colors] == [c.rgb() for c in want.table(fams)]
            assert view.pinned_track._colors[0].rgb() == want.color(0).rgb()
            sw = tp.legend.swatches[theme.StateFamily.RUNNING].styleSheet()
            assert want.color(theme.StateFamily.RUNNING).name() in sw
            assert (app.palette().color(app.palette().ColorRole.Window).lightness() < 128) is dark
    finally:
        app.setPalette(saved_palette)
        app.setStyle(saved_style)


def test_no_full_gc_while_loading(qtbot, window):
    """While a trace loads, Python runs no automatic full collection (one took 505 ms on
    the GUI thread as the 450 MB trace loaded); the thresholds return afterwards."""
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    window.path_opened.connect(lambda _p: seen.append(gc.get_threshold()))
    _open(qtbot, window, SERVICE)
    assert seen
    assert seen[0][:2] == before[:2]
    assert seen[0][2] >= 1_000_000
    # back once the whole load is over: analyses, statistics job, staged paints (the
    # progress bar hides at ANALYSES_READY, maybe before the statistics job returned)
    from goroscope.ui import main_window as mw

    qtbot.waitUntil(lambda: not mw.full_gc_deferred(), timeout=LOAD_TIMEOUT_MS)
    assert not window.progress.isVisible()
    assert gc.get_threshold() == before


def test_full_gc_deferred_until_the_whole_load_ends(qtbot, window, monkeypatch):
    """The deferral holds through the session's analyses *and* the goroutine-statistics
    job that follows them (a 24.5 ms full GC ran on the GUI thread 137 s into big.trace's
    172 s load when it ended at ANALYSES_READY); then one collection, thresholds back."""
    import gc

    from goroscope.jobs.session import Stage
    from goroscope.ui import main_window as mw

    before = gc.get_threshold()
    seen: dict[str, list[bool]] = {"stage": [], "stats": [], "loaded": []}
    real_stats = mw.goroutine_stats

    def slow_stats(*args, **kwargs):  # job thread: outlives ANALYSES_READY
        seen["stats"].append(mw.full_gc_deferred())
        time.sleep(0.5)
        out = real_stats(*args, **kwargs)
        seen["stats"].append(mw.full_gc_deferred())
        return out

    monkeypatch.setattr(mw, "goroutine_stats", slow_stats)
    stages: list[int] = []

    def on_stage(_session, stage: int) -> None:  # after the window's own slot
        stages.append(stage)
        seen["stage"].append(mw.full_gc_deferred())

    window._signals.stage_reached.connect(on_stage)
    window.loaded.connect(lambda: seen["loaded"].append(mw.full_gc_deferred()))
    full: list[bool] = []  # per full collection: was the deferral on?

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(mw.full_gc_deferred())

    gc.callbacks.append(on_gc)
    try:
        _open(qtbot, window, SERVICE)
        qtbot.waitUntil(lambda: not mw.full_gc_deferred(), timeout=LOAD_TIMEOUT_MS)
        assert Stage.ANALYSES_READY in stages
        assert seen["stage"]
        assert all(seen["stage"])  # ANALYSES_READY included
        assert seen["stats"] == [True, True]
        assert seen["loaded"] == [True]  # "loaded" comes first; then the deferral ends
        assert gc.get_threshold() == before
        # the one collection, at an idle moment: the thresholds come back with it (not
        # before: an automatic full GC then ran first, inside a paint)
        assert not window._gc_timer.isActive()
    finally:
        gc.callbacks.remove(on_gc)
    assert full
    assert full[-1] is False  # it ran, after the deferral
    assert True not in full  # no full collection while the trace loaded


def test_full_gc_deferral_ends_when_the_window_closes_mid_load(qtbot, window):
    import gc

    from goroscope.ui import main_window as mw

    before = gc.get_threshold()
    # Not qtbot.waitSignal: `progressed` keeps coming from the job thread after the block,
    # and PySide 6.11.3 then calls the collected blocker's bound method (use after free:
    # "'MultiSignalBlocker' object has no attribute 'check_params_callback'", or a segfault).
    progressed: list[object] = []
    window._signals.progressed.connect(lambda *args: progressed.append(args))
    window.open_path(SERVICE)
    qtbot.waitUntil(lambda: bool(progressed), timeout=LOAD_TIMEOUT_MS)
    assert mw.full_gc_deferred()
    session = window.session
    window.close()
    assert not mw.full_gc_deferred()
    assert session.wait(30)
    qtbot.wait(100)  # progress and stage reports queued before the close are delivered
    assert not mw.full_gc_deferred()
    assert gc.get_threshold() == before
