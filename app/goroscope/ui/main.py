"""GUI entry: create the QApplication, the main window, and run (GUI thread only).

``run_gui(path, screenshot=OUT)`` is the ``goroscope [--screenshot OUT] [TRACE]``
command. Screenshot mode shows the real window (works with
``QT_QPA_PLATFORM=offscreen``), waits for :attr:`MainWindow.loaded` — the
complete model is shown, with its goroutine statistics — or for
:attr:`MainWindow.load_failed`, lets the window lay out and paint, saves a PNG
of at least 1280×800 and exits (0 when the trace loaded, 2 when it failed to
open; the PNG then shows the error). No fixed timers: only a generous
``SCREENSHOT_TIMEOUT_S`` guard against a hung load (exit 3).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from goroscope.ui.main_window import MainWindow

#: Smallest screenshot size promised by ``--screenshot``.
SCREENSHOT_SIZE = (1280, 800)
#: A load that takes longer than this in screenshot mode is reported as hung.
SCREENSHOT_TIMEOUT_S = 900


def demo_trace_path() -> Path:
    """The small bundled demo trace opened when no file is given."""
    return Path(__file__).resolve().parent.parent / "resources" / "demo.trace"


def save_screenshot(win: MainWindow, out: str) -> bool:
    """Lay out, paint and save the whole window as PNG (GUI thread)."""
    app = QApplication.instance()
    app.processEvents()
    if win.view is not None:
        win.view.timeline.plot.viewport().repaint()  # drawn now, not "some time later"
    img = win.grab()
    return img.save(out, "PNG")


def run_gui(trace: str | None, *, screenshot: str | None = None) -> int:
    """Open the explorer on ``trace`` (or the demo trace) and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Goroscope")
    app.setOrganizationName("Goroscope")
    path = Path(trace) if trace else demo_trace_path()
    win = MainWindow()
    win.resize(1440, 900)
    if screenshot:
        win.resize(max(1440, SCREENSHOT_SIZE[0]), max(900, SCREENSHOT_SIZE[1]))
    win.show()
    if not screenshot:
        win.open_path(path)
        return app.exec()

    status = {"code": 3}

    def done(code: int) -> None:
        status["code"] = code
        # one more turn of the event loop so the last set_source is laid out
        QTimer.singleShot(0, lambda: finish())

    def finish() -> None:
        ok = save_screenshot(win, screenshot)
        if not ok:
            status["code"] = 4
        app.exit(status["code"])

    win.loaded.connect(lambda: done(0))
    win.load_failed.connect(lambda _msg: done(2))
    guard = QTimer(win)
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: done(3))
    guard.start(SCREENSHOT_TIMEOUT_S * 1000)
    win.open_path(path)
    code = app.exec()
    return code if code else status["code"]
