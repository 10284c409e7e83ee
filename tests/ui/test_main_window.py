"""The bare main window: opens a file by path and by a simulated drop; screenshot mode."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from goroscope.ui.main import demo_trace_path
from goroscope.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_drop_opens_file(qtbot, window, tmp_path):
    f = tmp_path / "dropped.trace"
    f.write_bytes(b"go 1.26 trace\x00\x00\x00")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f))])
    ev = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.path_opened, timeout=1000) as blocker:
        window.dropEvent(ev)
    assert blocker.args == [str(f)]
    assert "dropped.trace" in window.windowTitle()


def test_missing_file_shows_message_not_traceback(window, tmp_path):
    window.open_path(tmp_path / "nope.trace")
    assert "Cannot open" in window.centralWidget().text()


def test_demo_trace_is_bundled():
    assert demo_trace_path().is_file()
    assert demo_trace_path().read_bytes()[:5] == b"go 1."


def test_screenshot_mode_writes_png(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "goroscope", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    img = QImage(str(out))
    assert img.width() >= 1280
    assert img.height() >= 800
