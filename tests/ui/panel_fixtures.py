"""Helpers for the linked-panel tests (tasks, logs, blocking, CPU): a panel on a real trace.

``PanelHost`` stands in for the main window a panel gets through its
``PanelContext``: the ``path_opened`` / ``loaded`` signals and ``session`` (a
:class:`~goroscope.jobs.TraceSession` loaded synchronously with the
``ImmediateExecutor``). Jobs go through a real :class:`JobBridge` over the same
immediate executor, so results still arrive queued, as in the app.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from goroscope.jobs import ImmediateExecutor, TraceSession
from goroscope.ui.bridge import JobBridge
from goroscope.ui.selection import SelectionModel

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
EXPECTED = Path(__file__).resolve().parents[2] / "testdata" / "expected"


@functools.cache
def loaded_session(path: Path) -> TraceSession:
    """A complete session of ``path`` (cached per test run: the model is immutable)."""
    s = TraceSession(str(path), ImmediateExecutor())
    s.start()
    assert s.wait(120)
    assert s.error is None, s.error
    return s


class PanelHost(QObject):
    """The part of ``MainWindow`` panels use."""

    path_opened = Signal(str)
    loaded = Signal()
    load_failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.session = None

    def open(self, path: Path) -> None:
        self.path_opened.emit(str(path))
        self.session = loaded_session(path)
        self.loaded.emit()

    def fail(self, path: Path, message: str = "Not a Go execution trace: bad header") -> None:
        """A new trace starts loading and fails to open (as ``MainWindow.report_error``)."""
        self.path_opened.emit(str(path))
        self.session = None
        self.load_failed.emit(message)


@dataclass(frozen=True)
class Ctx:
    window: PanelHost
    selection: SelectionModel
    bridge: JobBridge


def make_panel(qtbot, cls, path: Path | None = None, size=(1200, 600)):
    """``(panel, ctx)``: ``cls(ctx)`` shown, with ``path`` opened when given."""
    host = PanelHost()
    ctx = Ctx(host, SelectionModel(), JobBridge(ImmediateExecutor()))
    panel = cls(ctx)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    if path is not None:
        host.open(path)
    return panel, ctx
