"""What the timeline looks like on real traces: pixels and label geometry, not widget state.

Each test opens a real trace in the main window at a real window size and checks
what was drawn against the model (the trace's CPU samples, a goroutine's
lifetime) or against geometry (tick labels that overlap). Expected positions come
from the model's arrays mapped through the plot's own transform, never from
numbers we copied from a screenshot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtGui import QColor, QImage

from goroscope.ui.main_window import MainWindow
from goroscope.ui.theme import StateFamily

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
LOAD_TIMEOUT_MS = 60_000


@pytest.fixture
def open_window(qtbot, tmp_path):
    """``open_window(path, size)``: the main window at ``size`` with ``path`` loaded and drawn."""
    wins = []

    def make(path: Path, size=(1440, 900)) -> MainWindow:
        settings = QSettings(str(tmp_path / f"s{len(wins)}.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings)
        qtbot.addWidget(win)
        win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(path)
        win.view.flush_staged()
        qtbot.wait(20)  # layout after the last swap
        wins.append(win)
        return win

    yield make
    for win in wins:
        if win.session is not None:
            win.session.cancel()
            win.session.wait(30)


def _grab(widget) -> QImage:
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _to_px(plot, t_ns: float, y: float) -> tuple[float, float]:
    """Widget pixel of view point (t_ns, y) in ``plot`` (a PlotWidget: its viewport is the widget)."""
    vb = plot.getPlotItem().getViewBox()
    p = plot.viewportTransform().map(vb.mapViewToScene(QPointF(t_ns, y)))  # float, not rounded
    return p.x(), p.y()


# -- (a) the pinned CPU-samples row ---------------------------------------------------------------


def test_pinned_cpu_samples_are_drawn_in_the_legends_colour(qtbot, open_window):
    """Every pixel column holding a CPU sample (the model's sample times) is drawn in the
    legend's "CPU sample" colour, and the row has no third colour (it was grey: 1 ns spans
    merged into runs of a tiny covered fraction)."""
    win = open_window(TRACES / "go1.27" / "cpusamples.trace")
    view = win.view
    pal = view.palette_
    want = pal.color(StateFamily.CPU_SAMPLE)
    swatch = view.timeline.legend.swatches[StateFamily.CPU_SAMPLE]
    assert not swatch.isHidden()
    assert want.name() in swatch.styleSheet()
    # contrast with the background: readable
    assert abs(want.lightness() - pal.background.lightness()) > 150

    pinned = view.data.pinned
    row = pinned.cpu_row
    assert row >= 0
    assert "CPU samples" in pinned.labels[row]
    samples = np.sort(view.data.timeline.cpu_samples.time_ns)
    assert len(pinned.ticks(row)) == len(samples)
    img = _grab(view.pinned_plot)
    _, ymid = _to_px(view.pinned_plot, 0, row + 0.5)
    y = int(ymid)
    (t0, t1) = view.timeline.view_range()
    inside = samples[(samples >= t0) & (samples < t1)]
    x_lo, _ = _to_px(view.pinned_plot, t0, 0)
    x_hi, _ = _to_px(view.pinned_plot, t1, 0)
    cols = {int(np.floor(_to_px(view.pinned_plot, float(t), 0)[0])) for t in inside}
    cols = {x for x in cols if x_lo + 1 < x < x_hi - 1}  # the axis lines at the edges
    assert len(cols) > 100
    for x in cols:
        assert QColor(img.pixel(x, y)).rgb() == want.rgb(), x
    # the whole row band: only the background and the sample colour
    seen = {QColor(img.pixel(x, y)).rgb() for x in range(int(x_lo) + 1, int(x_hi) - 1)}
    assert seen <= {want.rgb(), pal.background.rgb()}, [QColor(c).name() for c in seen]


# -- (b) a goroutine's lifetime: nothing where it does not exist -----------------------------------


@pytest.fixture(scope="module")
def flight_timeline():
    from goroscope.jobs import ImmediateExecutor, TraceSession

    s = TraceSession(str(TRACES / "go1.27" / "flightrecorder.trace"), ImmediateExecutor())
    s.start()
    assert s.wait(120)
    assert s.timeline.complete
    return s.timeline


def _panel_showing(qtbot, timeline, g: int):
    """A 1440-px TimelinePanel over ``timeline`` with goroutine ``g``'s row on screen, whole
    trace in view; returns (panel, row)."""
    from goroscope.ui.panels.timeline import TimelinePanel
    from goroscope.ui.panels.trace_source import TraceTimelineSource
    from goroscope.ui.selection import GoroutineRef, SelectionModel, SpanRef

    tp = TimelinePanel(TraceTimelineSource(timeline), SelectionModel())
    qtbot.addWidget(tp)
    tp.resize(1440, 760)
    tp.show()
    qtbot.waitExposed(tp)
    tp.selection.reveal(GoroutineRef(g))
    tp.selection.clear()  # a selected goroutine's row is marked with a band
    tp.fit_all()
    qtbot.wait(20)
    row = tp.source.row_of(SpanRef.goroutine(g, 0))
    assert row is not None
    assert row in tp.visible_rows()
    return tp, row


def _row_pixels(tp, row: int, y_frac: float = 0.5) -> tuple[QImage, int]:
    img = _grab(tp.plot)
    _, y = _to_px(tp.plot, 0, row + y_frac)
    return img, int(y)


def test_nothing_is_drawn_where_a_goroutine_does_not_exist(qtbot, flight_timeline):
    """A goroutine created in the snapshot (first_from NotExist) that exits in it: its row is
    background before its creation and after its exit (it had a pale "not yet created" line
    and a grey "exited" line across the whole width), and its exit is a tick in the
    legend's "exit" colour."""
    from goroscope.model.events import GoState

    tl = flight_timeline
    gs = tl.goroutines
    dur = tl.covered_ns
    first = np.asarray(gs.first_ns)
    ok = np.flatnonzero(
        (gs.first_from == GoState.NotExist)
        & (gs.end_ns > 0)
        & (first > dur * 0.3)
        & (gs.end_ns < dur * 0.7)
    )
    assert len(ok)
    g = int(ok[0])
    tp, row = _panel_showing(qtbot, tl, g)
    pal = tp.palette_
    img, y = _row_pixels(tp, row)
    x_born = _to_px(tp.plot, float(first[g]), 0)[0]
    x_exit = _to_px(tp.plot, float(gs.end_ns[g]), 0)[0]
    x_lo = _to_px(tp.plot, 0.0, 0)[0]
    x_hi = _to_px(tp.plot, float(tp.source.duration_ns()), 0)[0]
    bg = pal.background.rgb()
    before = {QColor(img.pixel(x, y)).rgb() for x in range(int(x_lo) + 2, int(x_born) - 2)}
    after = {QColor(img.pixel(x, y)).rgb() for x in range(int(x_exit) + 4, int(x_hi) - 2)}
    assert before == {bg}, [QColor(c).name() for c in before]
    assert after == {bg}, [QColor(c).name() for c in after]
    # zoomed in on the exit (its last span a tenth of the view): the exit tick, then nothing
    r = tl.goroutine_row(g)
    last = int(r.end_ns[-2] - r.start_ns[-2])
    tp.view_box.setXRange(int(gs.end_ns[g]) - 5 * last, int(gs.end_ns[g]) + 5 * last, padding=0)
    qtbot.wait(20)
    img, y = _row_pixels(tp, row)
    x_exit = _to_px(tp.plot, float(gs.end_ns[g]), 0)[0]
    x_hi = _to_px(tp.plot, float(gs.end_ns[g]) + 5 * last, 0)[0]
    tick = {QColor(img.pixel(x, y)).rgb() for x in range(int(x_exit) - 1, int(x_exit) + 3)}
    assert pal.color(StateFamily.EXITED).rgb() in tick
    after = {QColor(img.pixel(x, y)).rgb() for x in range(int(x_exit) + 4, int(x_hi) - 2)}
    assert after == {bg}, [QColor(c).name() for c in after]
    legend = tp.legend
    assert legend.names[StateFamily.EXITED].text() == "exit"
    assert StateFamily.CREATED not in legend.shown_families()  # nothing is drawn in it


def test_cgo_goroutine_between_callbacks_is_not_drawn(qtbot):
    """go1.27 cgo.trace: goroutines of C threads calling into Go stop existing between
    callbacks (the model's NotExist spans inside the row); those stretches are background,
    not the wide black "exited" bars they were."""
    from goroscope.jobs import ImmediateExecutor, TraceSession
    from goroscope.model.timeline import KIND_EXITED

    s = TraceSession(str(TRACES / "go1.27" / "cgo.trace"), ImmediateExecutor())
    s.start()
    assert s.wait(120)
    tl = s.timeline
    npx = tl.covered_ns / 1100  # ~ns per px of the 1440-px panel (1190 px of plot)
    found = None
    for g in range(tl.n_goroutines):
        r = tl.goroutine_row(g)
        k = np.flatnonzero(
            (r.kind[:-1] == KIND_EXITED) & (r.end_ns[:-1] - r.start_ns[:-1] > 40 * npx)
        )
        if len(k):
            found = (g, int(k[0]), r)
            break
    assert found is not None
    g, k, r = found
    tp, row = _panel_showing(qtbot, tl, g)
    img, y = _row_pixels(tp, row)
    xa = _to_px(tp.plot, float(r.start_ns[k]), 0)[0]
    xb = _to_px(tp.plot, float(r.end_ns[k]), 0)[0]
    gap = {QColor(img.pixel(x, y)).rgb() for x in range(int(xa) + 4, int(xb) - 2)}
    assert gap == {tp.palette_.background.rgb()}, [QColor(c).name() for c in gap]


# -- (c) y tick labels of the stacked plots -------------------------------------------------------


def _label_rects(plot) -> list[tuple[str, float, float, float, float]]:
    """The left axis's tick labels as drawn: (text, x0, y0, x1, y1) in global pixels, each as
    tall as the font's full height (pyqtgraph's own rects are 0.8 of it)."""
    from PySide6.QtGui import QFontMetricsF, QPainter

    ax = plot.getPlotItem().getAxis("left")
    font = ax.style.get("tickFont") or ax.font()
    img = QImage(10, 10, QImage.Format.Format_RGB32)
    p = QPainter(img)
    p.setFont(font)
    specs = ax.generateDrawSpecs(p)
    p.end()
    full = QFontMetricsF(font).height()
    out = []
    for rect, _flags, text in specs[2] if specs else []:
        r = ax.mapRectToScene(rect)
        tl = plot.mapToGlobal(plot.mapFromScene(r.topLeft()))
        cy = tl.y() + r.height() / 2
        out.append((text, tl.x(), cy - full / 2, tl.x() + r.width(), cy + full / 2))
    return out


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)])
@pytest.mark.parametrize("trace", ["go1.27/cpusamples", "go1.27/service", "go1.21/service"])
def test_counter_plot_tick_labels_do_not_overlap(qtbot, open_window, trace, size):
    """The heap and goroutine-count plots' y labels: none overlaps another (within a plot
    or across the stacked plots), each lies inside its own plot, in SI units; and each plot
    has at least one (cpusamples.trace crowded "15 10 5"; the count plot's "300" ran into
    the heap plot's labels)."""
    win = open_window(TRACES / f"{trace}.trace", size)
    view = win.view
    rects = []
    for plot in (view.pinned_plot, view.heap_plot, view.count_plot):
        got = _label_rects(plot)
        top = plot.mapToGlobal(plot.rect().topLeft()).y()
        bottom = plot.mapToGlobal(plot.rect().bottomLeft()).y()
        for text, _x0, y0, _x1, y1 in got:
            assert top - 1 <= y0, (text, y0, top)
            assert y1 <= bottom + 2, (text, y1, bottom)
        rects += got
        if plot is not view.pinned_plot:
            assert got, "no y label"
    heap = [t for t, *_ in _label_rects(view.heap_plot)]
    assert all(t.endswith(("MiB", "GiB")) for t in heap), heap
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
            assert not overlap, (a, b)


@pytest.mark.parametrize("top", [0.3, 1, 3, 8, 9.6, 17, 40, 170, 300, 999, 5000, 2.16e6])
@pytest.mark.parametrize("height_px", [40, 66, 120])
def test_counter_ticks_keep_their_labels_apart_and_inside(top, height_px):
    from goroscope.ui.items.counter_curve import counter_ticks, si_label

    label_px = 15.0
    y_max = top * 1.8
    ticks = counter_ticks(top, y_max, height_px, label_px)
    ppu = height_px / y_max
    assert len(ticks) <= 3
    if height_px >= 40:
        assert ticks  # room for at least one label
    for v in ticks:
        assert 0 < v <= top
        assert v * ppu >= label_px / 2  # above the bottom edge
        assert (y_max - v) * ppu >= label_px / 2  # below the top edge
        m = v / 10 ** np.floor(np.log10(v))
        assert min(abs(m - n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) < 1e-9  # round
        assert len(si_label(v)) <= 5
    assert all(
        (b - a) * ppu >= 1.5 * label_px - 1e-9 for a, b in zip(ticks, ticks[1:], strict=False)
    )


def test_state_before_the_first_event_of_an_old_goroutine_is_marked_unknown(qtbot, flight_timeline):
    """flightrecorder.trace: a goroutine alive when the snapshot began (the model's
    first_from GoUndetermined) whose first event comes late: dashes of the legend's "state
    unknown" colour from the start to its first span, nothing else there."""
    from goroscope.model.events import GoState

    tl = flight_timeline
    gs = tl.goroutines
    first = np.asarray(gs.first_ns)
    old = np.flatnonzero((gs.first_from == GoState.Undetermined) & (first > tl.covered_ns * 0.2))
    assert len(old)
    g = int(old[0])
    tp, row = _panel_showing(qtbot, tl, g)
    pal = tp.palette_
    unknown = pal.color(StateFamily.UNKNOWN).rgb()
    img, y = _row_pixels(tp, row)
    x_lo = _to_px(tp.plot, 0.0, 0)[0]
    x_first = _to_px(tp.plot, float(first[g]), 0)[0]
    band = [
        QColor(img.pixel(x, yy)).rgb()
        for x in range(int(x_lo) + 2, int(x_first) - 2)
        for yy in (y - 1, y)
    ]
    assert set(band) == {unknown, pal.background.rgb()}
    assert 0.4 < band.count(unknown) / len(band) < 0.75  # dashed
    assert not tp.legend.swatches[StateFamily.UNKNOWN].isHidden()


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)])
def test_stacked_plots_share_one_time_axis_to_the_pixel(qtbot, open_window, size):
    """The pinned rows, heap and count plots and the timeline put the same time at the same
    screen x (a GC bar sits over the spans it stopped), whole trace and zoomed in."""
    win = open_window(TRACES / "go1.27" / "gc.trace", size)
    view = win.view
    tp = view.timeline
    plots = (view.pinned_plot, view.heap_plot, view.count_plot, tp.plot)
    d = tp.source.duration_ns()
    for x0, x1 in ((0, d), (d * 0.4, d * 0.45)):
        tp.view_box.setXRange(x0, x1, padding=0)
        view.flush_staged()
        qtbot.wait(20)
        for t in (x0 + (x1 - x0) * f for f in (0.0, 0.25, 0.5, 1.0)):
            xs = []
            for plot in plots:
                x, _ = _to_px(plot, t, 0)
                xs.append(plot.mapToGlobal(plot.rect().topLeft()).x() + x)
            assert max(xs) - min(xs) <= 1.0, (t, xs)


def test_group_strips_draw_waiting_in_the_legends_waiting_colour(qtbot, open_window):
    """A collapsed group's strip stacks "waiting for any reason" (the model's GoState
    Waiting, every reason) in the legend's "waiting (groups)" colour — it was the red of
    "blocked: sync", so net/http groups waiting on the network read as mutex contention;
    the goroutine plot's "waiting" curve has the same colour."""
    from goroscope.ui.panels.trace_source import R_GROUP

    win = open_window(TRACES / "go1.27" / "service.trace")
    view = win.view
    tp = view.timeline
    pal = view.palette_
    waiting = pal.color(StateFamily.WAITING).rgb()
    sync = pal.color(StateFamily.BLOCKED_SYNC).rgb()
    swatch = tp.legend.swatches[StateFamily.WAITING]
    assert not swatch.isHidden()
    assert pal.color(StateFamily.WAITING).name() in swatch.styleSheet()
    assert view._curves["waiting"].opts["pen"].color().rgb() == waiting
    src = tp.source
    img = _grab(tp.plot)
    strips = 0
    for r in tp.visible_rows():
        if int(src.row_kind[r]) != R_GROUP or src.aggregate(r) is None:
            continue
        strips += 1
        x_lo = int(_to_px(tp.plot, 0.0, 0)[0]) + 2
        x_hi = int(_to_px(tp.plot, float(src.duration_ns()), 0)[0]) - 2
        ya, yb = (int(_to_px(tp.plot, 0.0, r + f)[1]) for f in (0.15, 0.85))
        px = {img.pixel(x, y) for x in range(x_lo, x_hi, 3) for y in range(ya, yb)}
        assert sync not in px, tp._rows[r].label
        if waiting in px:
            strips += 100
    assert strips > 100  # some strip drew waiting goroutines
