"""Fixtures shared by the window tests of ``tests/ui``."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from goroscope.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    """A shown 1280×800 MainWindow with its own settings file; its load is cancelled
    and waited for at teardown (a file may define its own ``window`` instead)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.session is not None:
        win.session.cancel()
        win.session.wait(30)
