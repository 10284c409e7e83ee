"""Regressions for crashes of the GUI test suite (segfaults, not failures).

A full ``tests/ui`` run segfaulted while garbage-collecting on the GUI thread inside
``QApplication.setPalette`` (test_theme_follows_a_system_switch_live): the ThemeWatcher's
event filter re-themed the whole view while Qt was still sending ApplicationPaletteChange
to a copy of the list of every widget. The re-theme now runs in its own event-loop turn.
"""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication, QWidget

from goroscope.ui import theme

pytestmark = pytest.mark.gui


@pytest.fixture
def app_theme():
    app = QApplication.instance()
    saved, style = app.palette(), app.style().name()
    yield app
    app.setStyle(style)
    app.setPalette(saved)


def test_theme_change_is_not_handled_inside_the_palette_broadcast(qtbot, monkeypatch, app_theme):
    w = QWidget()
    qtbot.addWidget(w)
    watcher = theme.ThemeWatcher(w, watch=w)
    seen: list[bool] = []
    watcher.changed.connect(seen.append)
    want = not watcher.dark
    monkeypatch.setenv(theme.THEME_ENV, "dark" if want else "light")
    with qtbot.waitSignal(watcher.changed, timeout=2000):
        app_theme.setPalette(theme.qt_palette(want))
        assert seen == []  # Qt's broadcast to every widget has returned; nothing ran in it
    assert seen == [want]


def test_a_pending_theme_change_dies_with_its_watcher(qtbot, monkeypatch, app_theme):
    w = QWidget()
    watcher = theme.ThemeWatcher(w, watch=w)
    seen: list[bool] = []
    watcher.changed.connect(seen.append)
    want = not watcher.dark
    monkeypatch.setenv(theme.THEME_ENV, "dark" if want else "light")
    app_theme.setPalette(theme.qt_palette(want))  # the check is pending now
    shiboken6.delete(w)  # the window goes (and its watcher) before the next turn
    qtbot.wait(50)
    assert seen == []
    # a live watcher still sees the switch
    w2 = QWidget()
    qtbot.addWidget(w2)
    watcher2 = theme.ThemeWatcher(w2, watch=w2)
    monkeypatch.setenv(theme.THEME_ENV, "light" if want else "dark")
    with qtbot.waitSignal(watcher2.changed, timeout=2000) as got:
        app_theme.setPalette(theme.qt_palette(not want))
    assert got.args == [not want]


def test_a_bridge_deleted_while_its_job_runs(qtbot, caplog):
    """A window closed with a job in flight: the worker's outcome must not touch the
    deleted bridge (it emitted on it: a use-after-free when the GUI thread deleted it
    meanwhile — the big trace's GUI benchmark segfaulted in libshiboken6)."""
    import logging
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from PySide6.QtCore import QObject

    from goroscope.ui.bridge import JobBridge

    ex = ThreadPoolExecutor(1)
    try:
        owner = QObject()
        bridge = JobBridge(ex, owner)
        got: list = []
        bridge.finished.connect(lambda rid, r: got.append(r))
        bridge.progress.connect(lambda *a: got.append(a))
        gate = threading.Event()

        def job(*, progress):
            gate.wait(10)
            progress.stage("work", 1.0)
            return 1

        with caplog.at_level(logging.ERROR, logger="concurrent.futures"):
            bridge.submit("k", job, progress=JobBridge.PROGRESS)
            shiboken6.delete(owner)  # the window goes, the job still runs
            gate.set()
        ex.shutdown(wait=True)
        qtbot.wait(50)
        assert got == []
        assert not [r for r in caplog.records if r.name == "concurrent.futures"]
        # a live bridge still gets its outcome
        ex2 = ThreadPoolExecutor(1)
        live = JobBridge(ex2)
        with qtbot.waitSignal(live.finished, timeout=5000) as res:
            live.submit("k", lambda: 7)
        assert res.args[1] == 7
        ex2.shutdown(wait=True)
    finally:
        ex.shutdown(wait=False)


def test_session_signals_outlive_their_window(qtbot, tmp_path):
    """A load's job threads keep reporting after its window is gone (deleted, no close):
    they emit on an object that outlives the window, never on a dead one."""
    import threading

    from PySide6.QtCore import QSettings

    from goroscope.ui.main_window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    sig = win._signals
    assert sig.parent() is None
    shiboken6.delete(win)
    assert shiboken6.isValid(sig)
    errors: list[BaseException] = []

    def job_thread() -> None:
        try:
            sig.progressed.emit(None, "index", 0.5)
            sig.failed.emit(None, ValueError("late"))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    t = threading.Thread(target=job_thread)
    t.start()
    t.join()
    qtbot.wait(20)  # the queued reports arrive and find no window
    assert errors == []


def test_a_window_deleted_while_its_trace_loads(qtbot, tmp_path):
    """A window deleted (no close) while its trace loads: the timeline's re-layout queued
    by a resize must not run on the dead panel (it did: 'Internal C++ object
    (_TimelineViewBox) already deleted' from the event loop), and the load's late reports
    find no window."""
    import time
    from pathlib import Path

    from PySide6.QtCore import QSettings

    from goroscope.ui.main_window import MainWindow

    trace = Path(__file__).resolve().parents[2] / "testdata/traces/go1.27/service.trace"
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    win.show()
    win.open_path(trace)
    session = win.session
    shiboken6.delete(win)  # no closeEvent: the load goes on
    t0 = time.monotonic()
    while not session.done and time.monotonic() - t0 < 60:
        qtbot.wait(20)
    session.cancel()
    session.wait(30)
    qtbot.wait(50)  # pytest-qt fails the test on an exception raised in the event loop


def test_a_failing_key_handler_does_not_leave_the_event_filter(qtbot, monkeypatch):
    """An exception out of an event filter segfaults PySide 6.11.3 in the next repaint
    (the full bench_gui child on big.trace crashed so); the timeline reports it instead."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from tests.ui.test_timeline import TinySource

    from goroscope.ui.panels.timeline import TimelinePanel
    from goroscope.ui.selection import SelectionModel

    panel = TimelinePanel(TinySource(), SelectionModel())
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(50)  # laid out
    reported: list[type] = []
    monkeypatch.setattr("sys.excepthook", lambda t, v, tb: reported.append(t))

    def broken(_event):
        raise ValueError("a key handler bug")

    monkeypatch.setattr(panel, "handle_key", broken)
    before = panel.view_range()
    for _ in range(3):
        ev = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_W, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(panel.plot.viewport(), ev)
        panel.plot.viewport().repaint()  # crashed here when the exception left the filter
    # each key: the viewport's filter, then the plot's (the key went unhandled to its parent)
    assert reported == [ValueError] * 6
    assert panel.view_range() == before  # the key was left unhandled
    assert panel.track.drawn_rect_count() > 0  # and the panel still paints


def _survives_a_repaint(qtbot) -> None:
    """The next paint after an exception out of a filter is where PySide 6.11.3 crashed."""
    probe = QWidget()
    qtbot.addWidget(probe)
    probe.resize(50, 50)
    probe.show()
    qtbot.waitExposed(probe)
    probe.repaint()
    qtbot.wait(20)
    assert not probe.grab().isNull()


def test_a_failing_theme_filter_does_not_leave_the_event_filter(qtbot, monkeypatch):
    from PySide6.QtCore import QEvent

    w = QWidget()
    qtbot.addWidget(w)
    watcher = theme.ThemeWatcher(w, watch=w)
    reported: list[type] = []
    monkeypatch.setattr("sys.excepthook", lambda t, v, tb: reported.append(t))

    def broken(*_args):
        raise RuntimeError("a re-theme scheduling bug")

    monkeypatch.setattr(watcher, "_schedule", broken)
    for _ in range(3):
        QApplication.sendEvent(w, QEvent(QEvent.Type.ApplicationPaletteChange))
        _survives_a_repaint(qtbot)
    assert reported == [RuntimeError] * 3


def test_a_failing_layout_save_does_not_leave_the_event_filter(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMainWindow

    from goroscope.ui.panels.docks import LayoutKeeper

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    keeper = LayoutKeeper(window, {}, {})
    window.installEventFilter(keeper)
    reported: list[type] = []
    monkeypatch.setattr("sys.excepthook", lambda t, v, tb: reported.append(t))

    def broken():
        raise OSError("settings not writable")

    monkeypatch.setattr(keeper, "save", broken)
    assert window.close()  # the close went through: the filter let the event on
    assert not window.isVisible()
    _survives_a_repaint(qtbot)
    assert reported == [OSError]
