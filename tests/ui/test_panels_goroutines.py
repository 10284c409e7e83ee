"""Goroutines panel: groups → goroutines equal Go's summary; sort, filter, selection round-trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.panels_support import ROOT, TRACES, close_window, open_window

from goroscope.ui.panels.goroutines_panel import short_category
from goroscope.ui.selection import GoroutineRef, SpanRef

pytestmark = pytest.mark.gui

NAME = "go1.27/service"
TRACE = TRACES / f"{NAME}.trace"
EXPECTED = json.loads(
    (ROOT / "testdata" / "expected" / f"{NAME.replace('/', '-')}.summary.json").read_text()
)


@pytest.fixture
def panel(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, TRACE)
    p = win.docks["goroutines"].widget()
    qtbot.waitUntil(lambda: p.analysis is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not p.goroutine_model.sorting, timeout=60_000)
    yield p
    close_window(win)


def _column(model, title):
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return titles.index(title)


def _values(model, col):
    return [
        model.data(model.index(r, col), Qt.ItemDataRole.UserRole) for r in range(model.rowCount())
    ]


def test_models_pass_qtmodeltester(panel, qtmodeltester):
    qtmodeltester.check(panel.group_model)
    qtmodeltester.check(panel.goroutine_model)


def test_tables_equal_go_summary(panel):
    gm = panel.group_model
    names = _values(gm, 0)
    rows = {gm.data(gm.index(r, 0)): r for r in range(gm.rowCount())}
    count = _column(gm, "Count")
    # one row per group of Go's summary (plus "All goroutines"), with Go's counts
    assert len(names) == len(EXPECTED["groups"]) + 1
    for name, n in EXPECTED["groups"].items():
        r = rows[name or "(unknown)"]
        assert gm.data(gm.index(r, count), Qt.ItemDataRole.UserRole) == n
    # the "All goroutines" row, statistic "total": Go's totals per category
    assert panel.stat_combo.currentText() == "group total"
    r_all = rows["All goroutines"]
    assert gm.data(gm.index(r_all, count), Qt.ItemDataRole.UserRole) == EXPECTED["goroutines"]
    for cat, ns in EXPECTED["totals_ns"].items():
        c = _column(gm, short_category(cat))
        assert gm.data(gm.index(r_all, c), Qt.ItemDataRole.UserRole) == ns, cat
    # the goroutine table lists Go's goroutines; its columns sum to Go's totals
    tm = panel.goroutine_model
    assert tm.rowCount() == EXPECTED["goroutines"]
    for cat, ns in EXPECTED["totals_ns"].items():
        assert sum(_values(tm, _column(tm, short_category(cat)))) == ns, cat


def test_group_statistic_switch_is_max_over_goroutines(panel):
    st = panel.analysis.stats
    panel.stat_combo.setCurrentText("group max")
    gm = panel.group_model
    c = _column(gm, "Total")
    for r in range(gm.rowCount()):
        k = gm.source_row(r) - 1
        sel = st.in_summary & ((st.group == k) if k >= 0 else True)
        want = int(st.column("Total time")[sel].max())
        assert gm.data(gm.index(r, c), Qt.ItemDataRole.UserRole) == want


def test_sort_filter_and_group_selection(qtbot, panel):
    tm = panel.goroutine_model
    col = _column(tm, "Execution")
    panel.goroutine_view.horizontalHeader().setSortIndicator(col, Qt.SortOrder.AscendingOrder)
    v = _values(tm, col)
    assert v == sorted(v)
    panel.filter_edit.setText("bursts")
    qtbot.waitUntil(lambda: not panel._filter_timer.isActive() and not tm.sorting)
    st = panel.analysis.stats
    groups = {st.group_names[st.group[tm.source_row(r)]] for r in range(tm.rowCount())}
    assert groups
    assert all("bursts" in g for g in groups)
    assert tm.rowCount() == sum(n for g, n in EXPECTED["groups"].items() if "bursts" in g)
    v = _values(tm, col)
    assert v == sorted(v)  # the sort survives the filter
    # picking a group shows only its goroutines
    gm = panel.group_model
    r = next(r for r in range(gm.rowCount()) if gm.source_row(r) > 0)
    panel.group_view.setCurrentIndex(gm.index(r, 0))
    k = gm.source_row(r) - 1
    assert {int(st.group[tm.source_row(i)]) for i in range(tm.rowCount())} == {k}
    panel.filter_edit.setText("G1")  # a goroutine ID
    qtbot.waitUntil(lambda: not panel._filter_timer.isActive() and not tm.sorting)
    goid = panel._goids
    panel.group_view.setCurrentIndex(gm.index(gm.view_row(0), 0))  # all groups
    shown = {int(goid[tm.source_row(i)]) for i in range(tm.rowCount())}
    assert 1 in shown


def test_selection_round_trip(qtbot, panel):
    sel = panel.ctx.selection
    tm = panel.goroutine_model
    panel.goroutine_view.setCurrentIndex(tm.index(5, 0))
    g = tm.source_row(5)
    assert sel.current == GoroutineRef(g)
    # set elsewhere → the panel selects that goroutine's row
    g2 = tm.source_row(40)
    sel.set(SpanRef.goroutine(g2, 0))
    assert panel.selected_goroutine() == g2
    sel.set(GoroutineRef(tm.source_row(3)))
    assert panel.selected_goroutine() == tm.source_row(3)
    with qtbot.waitSignal(sel.revealed, timeout=1000) as got:
        panel.goroutine_view.doubleClicked.emit(tm.index(7, 2))
    assert got.args == [GoroutineRef(tm.source_row(7))]
    # a goroutine of another group than the one picked: the panel shows all groups
    gm = panel.group_model
    st = panel.analysis.stats
    r = next(r for r in range(gm.rowCount()) if gm.source_row(r) > 0)
    panel.group_view.setCurrentIndex(gm.index(r, 0))
    other = int(np.flatnonzero(st.in_summary & (st.group != gm.source_row(r) - 1))[0])
    sel.set(GoroutineRef(other))
    assert panel.selected_goroutine() == other


def test_group_click_keeps_its_filter_while_another_goroutine_is_selected(panel):
    """Regression (big trace): the rows reset of a group click re-followed the selection and
    switched back to all groups."""
    st = panel.analysis.stats
    gm, tm = panel.group_model, panel.goroutine_model
    r = next(r for r in range(gm.rowCount()) if gm.source_row(r) > 0)
    k = gm.source_row(r) - 1
    other = int(np.flatnonzero(st.in_summary & (st.group != k))[0])
    panel.ctx.selection.set(GoroutineRef(other))
    panel.group_view.setCurrentIndex(gm.index(r, 0))
    assert tm.rowCount() == int((st.in_summary & (st.group == k)).sum())
    assert {int(st.group[tm.source_row(i)]) for i in range(tm.rowCount())} == {k}
