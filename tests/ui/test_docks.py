"""Docking: every panel docked, View → Panels toggles, layout saved on close and restored,
the timeline keeps most of a 1280×800 window; themes follow the system."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDockWidget
from tests.ui.panels_support import TRACES, close_window, open_window

from goroscope.ui import theme
from goroscope.ui.main_window import MainWindow
from goroscope.ui.panels.docks import LAYOUT_KEY, PANELS

pytestmark = pytest.mark.gui


def _window(qtbot, settings):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


def _panels_menu(win):
    for act in win.menuBar().actions():
        if act.menu() is not None and act.text().replace("&", "") == "View":
            for sub in act.menu().actions():
                if sub.menu() is not None and sub.menu().objectName() == "menu_panels":
                    return sub.menu()
    return None


def test_every_panel_docked_with_a_menu_toggle(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = _window(qtbot, settings)
    assert set(win.docks) >= {"stacks", "goroutine_events", "goroutines"}
    menu = _panels_menu(win)
    assert menu is not None
    toggles = {a.text(): a for a in menu.actions() if a.isCheckable()}
    for name, dock in win.docks.items():
        assert dock.objectName() == f"dock_{name}"
        act = toggles[dock.windowTitle()]
        assert act.isChecked()
        act.trigger()
        assert not dock.isVisible()
        assert not act.isChecked()
        act.trigger()
        assert act.isChecked()
    titles = {t for _n, t, *_ in PANELS}
    assert set(toggles) <= titles
    # right-hand docks share one tabbed column, bottom docks one tabbed row
    right = [
        d
        for d in win.docks.values()
        if win.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
    ]
    assert len(right) >= 2
    assert win.tabifiedDockWidgets(right[0])


def test_layout_saved_on_close_and_restored(qtbot, tmp_path):
    path = str(tmp_path / "s.ini")
    win = _window(qtbot, QSettings(path, QSettings.Format.IniFormat))
    win.docks["stacks"].hide()
    win.docks["goroutines"].setFloating(True)
    win.removeDockWidget(win.docks["goroutine_events"])
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, win.docks["goroutine_events"])
    win.docks["goroutine_events"].show()
    win.close()
    settings = QSettings(path, QSettings.Format.IniFormat)
    assert settings.value(LAYOUT_KEY)
    win2 = _window(qtbot, settings)
    d = win2.docks
    assert not d["stacks"].isVisible()
    assert d["goroutines"].isFloating()
    assert win2.dockWidgetArea(d["goroutine_events"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    # View → Panels → Reset layout brings the defaults back
    reset = [a for a in _panels_menu(win2).actions() if a.objectName() == "action_reset_layout"][0]
    reset.trigger()
    assert d["stacks"].isVisibleTo(win2) or win2.tabifiedDockWidgets(d["stacks"])
    assert not d["goroutines"].isFloating()
    assert win2.dockWidgetArea(d["goroutine_events"]) == Qt.DockWidgetArea.RightDockWidgetArea
    win2.close()


def test_timeline_keeps_the_window_at_1280x800(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, TRACES / "go1.27" / "service.trace")
    try:
        gp = win.docks["goroutines"].widget()
        qtbot.waitUntil(lambda: gp.analysis is not None, timeout=60_000)
        qtbot.wait(50)
        assert win.width() == 1280
        assert win.height() == 800
        # the docks leave the timeline (the central view) most of the window
        view = win.centralWidget()
        assert view.width() >= 0.7 * 1280
        assert view.height() >= 0.6 * 800
        assert win.view.timeline.plot.height() >= 200  # rows stay readable below the summary
        for dock in win.docks.values():
            assert isinstance(dock, QDockWidget)
            assert not dock.isFloating()
    finally:
        close_window(win)


def test_theme_follows_the_system(qtbot, monkeypatch):
    app = QApplication.instance()
    saved = app.palette()
    style = app.style().name()
    try:
        monkeypatch.delenv(theme.THEME_ENV, raising=False)
        if app.styleHints().colorScheme() == Qt.ColorScheme.Unknown:
            app.setPalette(theme.qt_palette(True))
            assert theme.system_is_dark()
            assert theme.Palette().dark
            app.setPalette(theme.qt_palette(False))
            assert not theme.system_is_dark()
            assert not theme.Palette().dark
        monkeypatch.setenv(theme.THEME_ENV, "dark")
        assert theme.Palette().dark
        assert theme.apply_system_theme(app) is True
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 128
        watcher = theme.ThemeWatcher()
        monkeypatch.setenv(theme.THEME_ENV, "light")
        with qtbot.waitSignal(watcher.changed, timeout=1000) as got:
            theme.apply_system_theme(app)
        assert got.args == [False]
        assert app.palette().color(QPalette.ColorRole.Window).lightness() >= 128
    finally:
        app.setStyle(style)
        app.setPalette(saved)
