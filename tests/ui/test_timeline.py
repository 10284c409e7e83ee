"""TimelinePanel: keys move the view as specified, clicks select spans, undo/redo, LOD bound."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from goroscope.ui.panels.demo import DemoSource
from goroscope.ui.panels.timeline import PAN_FRACTION, ZOOM_FACTOR, RowSpec, TimelinePanel
from goroscope.ui.selection import SelectionModel, SpanRef, TimeRange
from goroscope.ui.theme import StateFamily

pytestmark = pytest.mark.gui

F = StateFamily


class TinySource:
    """Three goroutine rows with known spans over 1 ms."""

    def __init__(self):
        self._spans = [
            (
                np.array([0, 100_000, 400_000], np.int64),
                np.array([100_000, 400_000, 1_000_000], np.int64),
                np.array([F.RUNNING, F.BLOCKED_CHAN_RECV, F.RUNNABLE], np.uint8),
            ),
            (
                np.array([200_000, 600_000], np.int64),
                np.array([600_000, 900_000], np.int64),
                np.array([F.SYSCALL, F.RUNNING], np.uint8),
            ),
            (np.array([], np.int64), np.array([], np.int64), np.array([], np.uint8)),
        ]

    def duration_ns(self):
        return 1_000_000

    def rows(self):
        return [RowSpec(f"G{i + 1}", "goroutine", 10 + i) for i in range(3)]

    def spans(self, row):
        return self._spans[row]

    def state_families(self):
        return list(StateFamily)

    def span_label(self, row, span_idx):
        return "x"


def _panel(qtbot, source):
    panel = TimelinePanel(source, SelectionModel())
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def tiny(qtbot):
    return _panel(qtbot, TinySource())


def _approx(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


def test_keys_change_the_view_range(qtbot, tiny):
    tiny.show_range(200_000, 600_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_D)
    x0, x1 = tiny.view_range()
    assert _approx(x0, 200_000 + PAN_FRACTION * 400_000)
    assert _approx(x1 - x0, 400_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_A)
    assert _approx(tiny.view_range()[0], 200_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_W)  # zoom in about the centre (no cursor)
    x0, x1 = tiny.view_range()
    assert _approx(x1 - x0, 400_000 * ZOOM_FACTOR)
    assert _approx((x0 + x1) / 2, 400_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_S)
    x0, x1 = tiny.view_range()
    assert _approx(x1 - x0, 400_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Home)
    assert tiny.view_range() == pytest.approx((0, 1_000_000))


def test_pan_stops_at_the_trace_edges(qtbot, tiny):
    tiny.show_range(0, 500_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_A)
    assert tiny.view_range()[0] == pytest.approx(0)


def test_undo_redo_of_the_view(qtbot, tiny):
    tiny.show_range(100_000, 300_000)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_D)
    after_pan = tiny.view_range()
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tiny.view_range() == pytest.approx((100_000, 300_000))
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tiny.view_range() == pytest.approx((0, 1_000_000))
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert tiny.view_range() == pytest.approx(after_pan)
    # a new navigation after undo drops the redo branch
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Home)
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert tiny.view_range() == pytest.approx((0, 1_000_000))


def test_click_on_a_known_span_selects_it(qtbot, tiny):
    """Clicking G1's chan-recv span (100–400 µs) publishes SpanRef(goroutine 10, span 1)."""
    tiny.show_range(0, 1_000_000)
    pos = tiny.viewport_pos_for(row=0, t_ns=250_000)
    want = SpanRef.goroutine(10, 1)
    with qtbot.waitSignal(
        tiny.selection.changed, timeout=2000, check_params_cb=lambda old, new: new == want
    ):
        qtbot.mouseClick(tiny.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert "chan recv" in tiny.status.text()
    # a click on the empty row clears it
    with qtbot.waitSignal(tiny.selection.changed, timeout=2000):
        qtbot.mouseClick(
            tiny.plot.viewport(),
            Qt.MouseButton.LeftButton,
            pos=tiny.viewport_pos_for(row=2, t_ns=500_000),
        )
    assert tiny.selection.current is None


def test_fit_selection_and_escape(qtbot, tiny):
    tiny.selection.set(SpanRef.goroutine(11, 0))  # G2's syscall 200–600 µs
    qtbot.keyClick(tiny.plot, Qt.Key.Key_F)
    x0, x1 = tiny.view_range()
    assert x0 < 200_000 < 600_000 < x1
    assert x1 - x0 < 600_000
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Escape)
    assert tiny.selection.current is None


def test_shift_drag_selects_a_time_range(qtbot, tiny):
    vp = tiny.plot.viewport()
    a, b = tiny.viewport_pos_for(1, 300_000), tiny.viewport_pos_for(1, 700_000)
    with qtbot.waitSignal(tiny.selection.changed, timeout=2000):
        _drag(qtbot, vp, a, b, Qt.KeyboardModifier.ShiftModifier)
    sel = tiny.selection.current
    assert isinstance(sel, TimeRange)
    assert sel.t0_ns == pytest.approx(300_000, rel=0.01)
    assert sel.t1_ns == pytest.approx(700_000, rel=0.01)
    per = tiny.time_per_state(300_000, 700_000)
    assert per[F.SYSCALL] == 300_000
    assert per[F.RUNNING] == 100_000
    assert "range" in tiny.status.text()


def test_ctrl_drag_zooms_to_the_range(qtbot, tiny):
    vp = tiny.plot.viewport()
    a, b = tiny.viewport_pos_for(0, 250_000), tiny.viewport_pos_for(0, 500_000)
    _drag(qtbot, vp, a, b, Qt.KeyboardModifier.ControlModifier)
    x0, x1 = tiny.view_range()
    assert x0 == pytest.approx(250_000, rel=0.01)
    assert x1 == pytest.approx(500_000, rel=0.01)


def _drag(qtbot, widget, a: QPoint, b: QPoint, mods) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, mods, a)
    for k in range(1, 6):
        p = a + (b - a) * (k / 5)
        qtbot.mouseMove(widget, p)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, mods, b)


def test_hover_text_names_state_start_duration_row(qtbot, tiny):
    text = tiny.hover_text(0, 250_000)
    assert "G1" in text
    assert "chan recv" in text
    assert "100 µs" in text
    assert "300 µs" in text
    assert tiny.hover_text(2, 250_000) == ""


def test_question_mark_lists_shortcuts(qtbot, tiny):
    qtbot.keyClick(tiny.plot, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    dlg = tiny._help
    assert dlg is not None
    assert dlg.isVisible()


def test_origin_key_moves_axis_origin(qtbot, tiny):
    tiny.set_origin(250_000)
    assert tiny.time_axis.origin_ns == 250_000
    qtbot.keyClick(tiny.plot, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert tiny.time_axis.origin_ns == 0


def test_rect_bound_with_a_frame_of_dense_rows(qtbot):
    """200 goroutine rows, 3 of them with ~100k spans: ≤ 10k rects per frame at every zoom."""
    panel = _panel(qtbot, DemoSource(200, seed=3))
    width = panel.view_box.width()
    rows_visible = int(panel.visible_row_count()) + 1
    for t0, t1 in [(0, 2e9), (4e8, 6e8), (5e8, 5.1e8), (5e8, 5.002e8), (5e8, 5.00002e8)]:
        panel.show_range(t0, t1)
        panel.plot.grab()  # paint a frame
        n = panel.track.drawn_rect_count()
        assert 0 < n <= 10_000
        assert n <= rows_visible * (width / 2 + 2)


def _wheel(widget, pos: QPoint, dy: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    ev = QWheelEvent(
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, dy),
        Qt.MouseButton.NoButton,
        mods,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, ev)


def test_wheel_zooms_at_the_cursor(qtbot, tiny):
    tiny.show_range(0, 1_000_000)
    pos = tiny.viewport_pos_for(row=1, t_ns=250_000)
    _wheel(tiny.plot.viewport(), pos, 120)
    x0, x1 = tiny.view_range()
    assert x1 - x0 < 1_000_000 * 0.99  # zoomed in
    # the time under the cursor stayed under the cursor (within a pixel)
    assert abs(tiny.viewport_pos_for(row=1, t_ns=250_000).x() - pos.x()) <= 1


def test_plain_drag_pans(qtbot, tiny):
    tiny.show_range(200_000, 600_000)
    vp = tiny.plot.viewport()
    a = tiny.viewport_pos_for(1, 400_000)
    b = tiny.viewport_pos_for(1, 300_000)
    _drag(qtbot, vp, a, b, Qt.KeyboardModifier.NoModifier)
    x0, x1 = tiny.view_range()
    assert x1 - x0 == pytest.approx(400_000, rel=1e-6)
    assert x0 == pytest.approx(300_000, rel=0.02)  # content moved left by 100 µs


def test_shift_wheel_scrolls_rows(qtbot):
    panel = _panel(qtbot, DemoSource(120, seed=2, hot_rows=0))
    panel.plot.grab()
    (_, _), (y0, _) = panel.view_box.viewRange()
    _wheel(panel.plot.viewport(), QPoint(400, 100), -120, Qt.KeyboardModifier.ShiftModifier)
    (_, _), (y1, _) = panel.view_box.viewRange()
    assert y1 == pytest.approx(y0 + 3)
    assert panel.scrollbar.value() == 3


def test_hover_over_merged_run_says_how_many(qtbot):
    """At the overview, a dense row is merged: the tooltip counts spans and names the mix."""
    panel = _panel(qtbot, DemoSource(20, seed=4, hot_rows=1, hot_spans=20_000))
    panel.fit_all()
    panel.plot.grab()
    text = panel.hover_text(0, 1_000_000_000)
    assert "spans merged" in text
    assert "% running" in text
