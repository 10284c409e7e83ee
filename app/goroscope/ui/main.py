"""GUI entry: create the QApplication, the main window, and run (GUI thread only).

``run_gui(path, screenshot=OUT)`` is the ``goroscope [--screenshot OUT] [TRACE]``
command. Screenshot mode shows the real window offscreen-capable, waits until
it has been laid out and painted, saves a PNG of at least 1280×800 and exits 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from goroscope.ui.main_window import MainWindow

#: Smallest screenshot size promised by ``--screenshot``.
SCREENSHOT_SIZE = (1280, 800)


def demo_trace_path() -> Path:
    """The small bundled demo trace opened when no file is given."""
    return Path(__file__).resolve().parent.parent / "resources" / "demo.trace"


def run_gui(trace: str | None, *, screenshot: str | None = None) -> int:
    """Open the explorer on ``trace`` (or the demo trace) and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Goroscope")
    app.setOrganizationName("Goroscope")
    path = Path(trace) if trace else demo_trace_path()
    win = MainWindow()
    win.resize(*SCREENSHOT_SIZE)
    win.show()
    win.open_path(path)
    if screenshot:

        def grab() -> None:
            win.grab().save(screenshot, "PNG")
            app.quit()

        QTimer.singleShot(200, grab)
    return app.exec()
