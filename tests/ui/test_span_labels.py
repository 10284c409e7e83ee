"""Span labels are cached (text per width, glyphs as QStaticText) and draw the same pixels
as Qt's ``drawText`` computed afresh each paint — on a real trace at five zoom levels,
after a theme switch, and with new data behind the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from goroscope.ui.items.span_track import SpanTrackItem
from goroscope.ui.main_window import MainWindow
from goroscope.ui.theme import Palette

pytestmark = pytest.mark.gui

TRACE = Path(__file__).resolve().parents[2] / "testdata" / "traces" / "go1.27" / "service.trace"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.loaded, timeout=60_000):
        win.open_path(TRACE)
    win.view.flush_staged()
    qtbot.wait(20)
    yield win
    if win.session is not None:
        win.session.cancel()
        win.session.wait(30)


def _frame(tp) -> tuple[QImage, list[str]]:
    vp = tp.plot.viewport()
    vp.repaint()
    img = vp.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return img, list(tp.track.drawn_labels)


def _uncached(tp) -> tuple[QImage, list[str]]:
    """The frame with every label laid out afresh by ``drawText`` (the old path)."""
    track = tp.track
    fonts, options = track._label_fonts, track._options
    track._label_fonts, track._options = {}, {}
    track.static_labels = False
    try:
        return _frame(tp)
    finally:
        track.static_labels = True
        track._label_fonts, track._options = fonts, options


def _same(a: QImage, b: QImage) -> bool:
    return a.size() == b.size() and a == b


def test_cached_labels_draw_what_drawtext_draws(window, qtbot):
    tp = window.view.timeline
    dur = tp.source.duration_ns()
    total = 0
    for k in range(5):
        width = dur / 10**k
        tp.show_range(dur / 2 - width / 2, dur / 2 + width / 2)
        qtbot.waitUntil(lambda: not tp.track.merge_pending(), timeout=10_000)
        img, labels = _frame(tp)
        again, labels_again = _frame(tp)  # a repaint: every label from the caches
        ref, ref_labels = _uncached(tp)
        assert labels == ref_labels == labels_again, k
        assert _same(img, ref), f"level 1/{10**k}: cached labels drew other pixels"
        assert _same(again, ref), k
        total += len(labels)
    assert total > 20  # the trace's rows do get labels at these zooms


def test_labels_follow_a_theme_switch(window, qtbot):
    tp = window.view.timeline
    dur = tp.source.duration_ns()
    tp.show_range(0, dur / 10)
    qtbot.waitUntil(lambda: not tp.track.merge_pending(), timeout=10_000)
    light, labels = _frame(tp)
    assert labels
    tp.set_palette(Palette(dark=True))
    dark, dark_labels = _frame(tp)
    ref, ref_labels = _uncached(tp)
    assert dark_labels == ref_labels == labels
    assert _same(dark, ref)
    assert not _same(dark, light)  # the theme did change the frame


def test_new_data_behind_the_rows_gets_new_labels(qtbot):
    import pyqtgraph as pg

    s = np.array([0, 1000], np.int64)
    e = np.array([1000, 2000], np.int64)
    st = np.array([0, 1], np.uint8)
    names = {"v": "first version"}
    calls = []

    def label_of(row, i):
        calls.append((row, i))
        return (f"{names['v']} {i}",)

    item = SpanTrackItem(
        1, lambda r: (s, e, st), Palette().default_table(), 2000, label_of=label_of
    )
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(800, 60)
    pi = w.getPlotItem()
    pi.hideAxis("left")
    pi.hideAxis("bottom")
    pi.layout.setContentsMargins(0, 0, 0, 0)
    vb = pi.getViewBox()
    vb.invertY(True)
    vb.addItem(item)
    vb.setXRange(0, 2000, padding=0)
    vb.setYRange(0, 1, padding=0)
    w.show()
    qtbot.waitExposed(w)
    w.grab()
    assert item.drawn_labels == ["first version 0", "first version 1"]
    n = len(calls)
    w.grab()
    assert len(calls) == n  # a repaint asks label_of nothing: cached per (row key, span)
    vb.setXRange(0, 1000, padding=0)  # zoom: span 0 wider, the same text
    w.grab()
    assert item.drawn_labels == ["first version 0"]
    vb.setXRange(0, 2000, padding=0)
    names["v"] = "second"
    item.set_rows(1, lambda r: (s, e, st), 2000)  # new data behind the row (a snapshot)
    w.grab()
    assert item.drawn_labels == ["second 0", "second 1"]
    vb.setXRange(0, 2000 * 60, padding=0)  # 13 px a span: no room for 3 characters
    w.grab()
    assert item.drawn_labels == []


def test_a_repaint_of_the_same_view_reuses_plan_and_strips(window, qtbot):
    """A repaint with nothing changed (a hover, a selection) reuses the span plan and the
    collapsed groups' strip images — and draws the same pixels as a fresh frame; a zoom,
    new rows, new colours make them anew."""
    tp = window.view.timeline
    track, agg = tp.track, tp.aggregates
    dur = tp.source.duration_ns()
    tp.show_range(dur / 4, dur / 2)
    qtbot.waitUntil(lambda: not track.merge_pending(), timeout=10_000)
    img, _ = _frame(tp)
    plan, made = track.last_plan(), agg.images_made
    assert agg.drawn_rows > 0  # the trace's collapsed groups draw strips here
    again, _ = _frame(tp)
    assert track.last_plan() is plan
    assert agg.images_made == made
    # the fresh frame: no plan, no strip image kept
    track._plan_key, agg._images = None, {}
    fresh, _ = _frame(tp)
    assert track.last_plan() is not plan
    assert agg.images_made == made + agg.drawn_rows
    assert _same(again, img)
    assert _same(fresh, img)
    # a zoom: a new plan and new strips
    plan, made = track.last_plan(), agg.images_made
    tp.show_range(dur / 4, dur / 3)
    qtbot.waitUntil(lambda: not track.merge_pending(), timeout=10_000)
    _frame(tp)
    assert track.last_plan() is not plan
    assert agg.images_made > made
    # new colours (a theme switch): strips anew, spans' plan anew
    plan, made = track.last_plan(), agg.images_made
    tp.set_palette(Palette(dark=True))
    dark, _ = _frame(tp)
    assert track.last_plan() is not plan
    assert agg.images_made > made


def test_plan_follows_new_rows_behind_the_same_view(qtbot):
    import pyqtgraph as pg

    s = np.array([0, 1000], np.int64)
    e = np.array([1000, 2000], np.int64)
    item = SpanTrackItem(
        1, lambda r: (s, e, np.array([0, 1], np.uint8)), Palette().default_table(), 2000
    )
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(400, 60)
    vb = w.getPlotItem().getViewBox()
    vb.addItem(item)
    vb.setXRange(0, 2000, padding=0)
    vb.setYRange(0, 1, padding=0)
    w.show()
    qtbot.waitExposed(w)
    w.grab()
    first = item.last_plan()
    assert first.state.tolist() == [0, 1]
    w.grab()
    assert item.last_plan() is first  # same view, same data
    item.set_rows(1, lambda r: (s, e, np.array([2, 3], np.uint8)), 2000)  # new data, same view
    w.grab()
    assert item.last_plan().state.tolist() == [2, 3]
    item.set_rows(1, lambda r: (s, e, np.array([2, 3], np.uint8)), 2000, keep=True)  # relayout
    w.grab()
    assert item.last_plan().state.tolist() == [2, 3]


def test_labels_on_a_hidpi_device_are_drawtexts(window, qtbot):
    """At a device pixel ratio of 2 Qt puts drawText's baseline on a device pixel; the
    static text's place is computed in logical pixels, so such devices keep drawText:
    the same pixels as the uncached path there too."""
    from PySide6.QtGui import QPainter

    tp = window.view.timeline
    dur = tp.source.duration_ns()
    tp.show_range(0, dur / 10)
    qtbot.waitUntil(lambda: not tp.track.merge_pending(), timeout=10_000)
    vp = tp.plot.viewport()

    def render() -> tuple[QImage, list[str]]:
        img = QImage(vp.width() * 2, vp.height() * 2, QImage.Format.Format_RGB32)
        img.setDevicePixelRatio(2.0)
        img.fill(0)
        p = QPainter(img)
        tp.plot.render(p)
        p.end()
        return img, list(tp.track.drawn_labels)

    img, labels = render()
    assert labels
    track = tp.track
    fonts, options = track._label_fonts, track._options
    track._label_fonts, track._options, track.static_labels = {}, {}, False
    try:
        ref, ref_labels = render()
    finally:
        track._label_fonts, track._options, track.static_labels = fonts, options, True
    assert labels == ref_labels
    assert img == ref
