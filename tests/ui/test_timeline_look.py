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
