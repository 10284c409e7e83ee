"""Goroutines panel: the tables' columns are fitted after a fill, by a zero timer
(not as a posted call in the same batch as the fill, the views' own updates and the
layout: one 25 ms run on the GUI thread after big.trace's load)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from tests.ui.panels_support import TRACES, close_window, open_window

from goroscope.ui.panels import goroutines_panel as gp

pytestmark = pytest.mark.gui


def test_columns_are_fitted_after_the_fill(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, TRACES / "go1.27" / "service.trace")
    try:
        p = win.docks["goroutines"].widget()
        qtbot.waitUntil(lambda: p.analysis is not None, timeout=60_000)
        view, model = p.goroutine_view, p.goroutine_model
        titles = [
            model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())
        ]
        g_col, f_col = titles.index("Goroutine"), titles.index("Start function")
        # the widest goroutine label ("G" + the largest ID), as the view's font draws it
        widest = view.fontMetrics().horizontalAdvance(f"G{int(p._goids.max())}")
        view.setColumnWidth(g_col, 1)  # (clamped to the header's minimum section size)
        narrow = view.columnWidth(g_col)
        assert narrow < widest
        p.show_analysis(p.analysis)  # a second fill
        assert view.columnWidth(g_col) == narrow  # not fitted on top of the fill
        qtbot.waitUntil(lambda: view.columnWidth(g_col) >= widest, timeout=5_000)
        assert view.columnWidth(f_col) <= max(gp.FUNC_PX, gp.FUNC_NARROW_PX)
    finally:
        close_window(win)
