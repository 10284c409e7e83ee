"""The main window: menus, drag-and-drop of trace files, the central view (GUI thread only).

For now the central view shows what was opened; the timeline and panels are
built by the desktop-explorer issue on top of this window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow


class MainWindow(QMainWindow):
    """Goroscope's top-level window."""

    path_opened = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Goroscope")
        self.setAcceptDrops(True)
        self.path: Path | None = None
        self._label = QLabel("Drop a Go execution trace here, or use File → Open.")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self._label)
        menu = self.menuBar().addMenu("&File")
        act_open = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open)
        act_open.triggered.connect(self._on_open_triggered)
        menu.addAction(act_open)
        act_quit = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        act_quit.triggered.connect(self.close)
        menu.addAction(act_quit)
        self.statusBar().showMessage("Ready")

    def open_path(self, path: Path) -> None:
        """Show ``path`` as the open trace (GUI thread)."""
        self.path = path
        self.setWindowTitle(f"{path.name} — Goroscope")
        try:
            size = path.stat().st_size
        except OSError as exc:
            self._label.setText(f"Cannot open {path}:\n{exc.strerror}")
            self.statusBar().showMessage("Open failed")
            return
        self._label.setText(f"{path.name}\n{size:,} bytes")
        self.statusBar().showMessage(str(path))
        self.path_opened.emit(str(path))

    def _on_open_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open Go trace", "", "Go traces (*.trace *.out trace.out);;All files (*)"
        )
        if name:
            self.open_path(Path(name))

    # Qt overrides keep camelCase.
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()
