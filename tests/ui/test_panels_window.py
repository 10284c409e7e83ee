"""The linked panels inside the real main window: a failed open, and the layout of the
~360 px dock column at 1440×900 and 1280×800 (what a Go engineer sees first)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from goroscope.ui.main_window import MainWindow
from goroscope.ui.selection import GoroutineRef, SpanRef

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
SERVICE = TRACES / "go1.27" / "service.trace"
LOAD_TIMEOUT_MS = 60_000


def _window(qtbot, tmp_path, size) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    return win


def _close(win) -> None:
    if win.error_box is not None:
        win.error_box.close()
    if win.session is not None:
        win.session.cancel()
        win.session.wait(30)


def _texts(widget) -> list[str]:
    return [lab.text() for lab in widget.findChildren(QLabel) if lab.text()]


def _not_a_trace(tmp_path) -> Path:
    bad = tmp_path / "notatrace.trace"
    bad.write_bytes(b"this is not a Go execution trace\n" * 64)
    return bad


@pytest.mark.parametrize("first", [None, SERVICE], ids=["fresh", "after-a-trace"])
def test_failed_open_leaves_no_panel_loading(qtbot, tmp_path, first):
    """Regression (session 3 note): the stacks panel kept "Loading…" after a failed open,
    and so did every other panel; the tasks panel also kept the previous trace's
    histogram title."""
    win = _window(qtbot, tmp_path, (1440, 900))
    try:
        if first is not None:
            with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
                win.open_path(first)
        with qtbot.waitSignal(win.load_failed, timeout=LOAD_TIMEOUT_MS):
            win.open_path(_not_a_trace(tmp_path))
        qtbot.wait(10)
        assert win.last_error[0] == "Not a Go execution trace"
        for name, dock in win.docks.items():
            texts = _texts(dock.widget())
            assert not any("Loading" in t for t in texts), (name, texts)
            assert any("No trace: Not a Go execution trace." in t for t in texts), (name, texts)
        stacks = win.docks["stacks"].widget()
        assert stacks.header.text() == "No trace: Not a Go execution trace."
        assert stacks.model.rowCount() == 0
        tasks = win.docks["tasks"].widget()
        assert "http.request" not in tasks.hist_label.text()
        assert tasks.tree_model.rowCount() == 0
        # and a good trace after the failure fills the panels again
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(SERVICE)
        win.docks["stacks"].raise_()
        win.selection.set(GoroutineRef(1))
        qtbot.waitUntil(lambda: stacks.model.rowCount() > 0, timeout=10_000)
        assert "No trace" not in stacks.header.text()
    finally:
        _close(win)


def _visible_columns(view) -> list[str]:
    """Titles of the columns wholly inside the table's viewport."""
    hh = view.horizontalHeader()
    w = view.viewport().width()
    m = view.model()
    out = []
    for c in range(m.columnCount()):
        x = hh.sectionViewportPosition(c)
        if x >= 0 and x + hh.sectionSize(c) <= w + 1:
            out.append(m.headerData(c, Qt.Orientation.Horizontal))
    return out


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)], ids=["1440x900", "1280x800"])
def test_goroutines_panel_is_usable_in_the_dock_column(qtbot, tmp_path, size):
    """The goroutines panel's two tables were side by side in the ~360 px column, each
    ~170 px: one column of each in view. Now the groups sit above the goroutines, both
    wide enough to show the start function and the total time, each tall enough for
    rows; floated wide, they go side by side again."""
    win = _window(qtbot, tmp_path, size)
    try:
        dock = win.docks["goroutines"]
        dock.raise_()
        panel = dock.widget()
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(SERVICE)
        qtbot.waitUntil(lambda: panel.analysis is not None, timeout=30_000)
        qtbot.wait(10)
        assert panel.width() < 500  # the dock column
        split = panel.splitter
        assert split.orientation() == Qt.Orientation.Vertical
        gv, tv = panel.group_view, panel.goroutine_view
        for v in (gv, tv):
            assert v.width() >= panel.width() - 20  # each table spans the column
            assert v.viewport().height() >= 8 * v.verticalHeader().defaultSectionSize()
        assert tv.height() > gv.height()  # goroutines get the bigger share
        assert {"Start function", "Count", "Total"} <= set(_visible_columns(gv))
        hh = tv.horizontalHeader()
        widths = [hh.sectionSize(c) for c in range(4)]
        assert {"Goroutine", "Start function", "Total"} <= set(_visible_columns(tv)), (
            widths,
            tv.viewport().width(),
        )
        # default sorting: longest total first in both tables, "All goroutines" on top
        gm, tm = panel.group_model, panel.goroutine_model
        assert gm.data(gm.index(0, 0)) == "All goroutines"
        tot = tm.column_index("Total")
        col = tm.column(tot).values[tm.rows]
        assert (np.diff(col) <= 0).all()
        # the status line is whole, not clipped by the toolbar
        assert panel.status.text().endswith("goroutines")
        # floated and wide: side by side
        dock.setFloating(True)
        dock.resize(1200, 500)
        qtbot.waitUntil(lambda: split.orientation() == Qt.Orientation.Horizontal, timeout=5000)
        assert gv.height() == pytest.approx(tv.height(), abs=2)
    finally:
        _close(win)


@pytest.mark.parametrize("name", ["blocking", "cpu", "tasks"])
def test_profile_and_task_panels_stack_their_panes_in_the_dock_column(qtbot, tmp_path, name):
    """The blocking / CPU panels put flame graph, top table and list side by side (~110 px
    each in the column), the tasks panel four panes: stacked there now."""
    win = _window(qtbot, tmp_path, (1280, 800))
    try:
        dock = win.docks[name]
        dock.raise_()
        panel = dock.widget()
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(SERVICE)
        qtbot.wait(10)
        split = panel.splitter if name != "tasks" else panel.task_splitter
        assert split.orientation() == Qt.Orientation.Vertical
        for i in range(split.count()):
            w = split.widget(i)
            assert w.width() >= panel.width() - 20, (i, w.width(), panel.width())
            assert w.height() >= 120, (i, w.height())
    finally:
        _close(win)


def test_a_row_selected_behind_a_tab_is_in_view_when_the_tab_is_shown(qtbot, tmp_path):
    """Seen on screenshots: a span selected while the Goroutine events / Goroutines docks
    were hidden tabs left the selected row below the visible rows when the tab was
    raised (scrollTo ran in a view without its real size)."""
    win = _window(qtbot, tmp_path, (1440, 900))
    try:
        win.docks["stacks"].raise_()
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(TRACES / "go1.21" / "service.trace")  # the screenshot's trace
        tl = win.session.timeline
        lens = [len(tl.goroutine_row(g)) for g in range(min(tl.n_goroutines, 2000))]
        g = int(np.argmax(lens))
        assert lens[g] > 1000
        span = lens[g] // 2
        events = win.docks["goroutine_events"].widget()
        gor = win.docks["goroutines"].widget()
        qtbot.waitUntil(lambda: gor.analysis is not None, timeout=30_000)
        # the goroutine shown in both tabs, then a span of it selected while they are
        # behind another tab (the order of the screenshot that showed it)
        win.selection.set(GoroutineRef(g))
        for name in ("stacks", "goroutine_events", "goroutines"):
            win.docks[name].raise_()
            qtbot.waitUntil(lambda: win.panel_bridge.pending() == 0, timeout=30_000)
            qtbot.wait(200)
        assert events.model.rowCount() == lens[g]
        win.selection.set(SpanRef.goroutine(g, span))
        win.docks["stacks"].raise_()
        qtbot.waitUntil(lambda: events.current_span() == span, timeout=30_000)
        qtbot.waitUntil(lambda: win.panel_bridge.pending() == 0, timeout=30_000)
        for name, view in (("goroutine_events", events.view), ("goroutines", gor.goroutine_view)):
            win.docks[name].raise_()
            qtbot.wait(30)
            idx = view.currentIndex()
            assert idx.isValid(), name
            assert view.viewport().rect().contains(view.visualRect(idx)), name
        # the new state and its reason are in view (From pushed the reason out)
        assert {"Time", "To", "Reason"} <= set(_visible_columns(events.view))
        # the stacks panel shows file:line whole (it was elided at a fixed function width)
        stacks = win.docks["stacks"].widget()
        win.docks["stacks"].raise_()
        qtbot.waitUntil(lambda: stacks.model.rowCount() > 0, timeout=30_000)
        qtbot.wait(30)
        m, v = stacks.model, stacks.view
        fm = v.fontMetrics()
        texts = []
        for i in range(m.rowCount()):
            sec = m.index(i, 0)
            for j in range(m.rowCount(sec)):
                texts.append(m.data(m.index(j, 1, sec)) or "")
        assert any(":" in t for t in texts)
        assert max(fm.horizontalAdvance(t) for t in texts) <= v.header().sectionSize(1)
    finally:
        _close(win)


def test_logs_show_the_message_in_the_dock_column(qtbot, tmp_path):
    """Seen on screenshots: Time, Goroutine, Task came first and the message was out of
    view in the ~360 px column (and the toolbar clipped the count)."""
    win = _window(qtbot, tmp_path, (1280, 800))
    try:
        dock = win.docks["logs"]
        dock.raise_()
        panel = dock.widget()
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(TRACES / "go1.22" / "annotations.trace")
        qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=30_000)
        qtbot.wait(10)
        v, m = panel.view, panel.model
        assert {"Time", "Category"} <= set(_visible_columns(v))
        hh = v.horizontalHeader()
        x = hh.sectionViewportPosition(m.column_index("Message"))
        assert 0 <= x <= v.viewport().width() - 100  # at least 100 px of the message
        assert panel.count_label.width() >= panel.count_label.sizeHint().width()
        assert panel.search.width() >= 150
    finally:
        _close(win)
