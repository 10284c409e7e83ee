"""Python's GC around a load: the objects a load leaves are frozen at its end, and the
next load makes them collectable again (a frozen cycle is never collected).

The window's full collection after a load walked everything the load left alive
(22 ms of GUI-thread CPU after the 450 MB traces, ``bench_gui --stall``) and found
almost no garbage; now they join the permanent generation at once. The danger of a
freeze is a leak: the session is a reference cycle (its callbacks close over it), so
once another trace is opened, the previous session must still be collected.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from goroscope.ui import main_window as mw
from goroscope.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"
LOAD_TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
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


def _load(qtbot, win, path: Path) -> None:
    """Open ``path`` and wait until the whole load and its GC hand-over are over."""
    with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
        win.open_path(path)
    qtbot.waitUntil(
        lambda: not mw.full_gc_deferred() and not win._gc_timer.isActive(),
        timeout=LOAD_TIMEOUT_MS,
    )


def test_a_loads_objects_are_frozen_and_the_next_load_collects_the_previous_trace(qtbot, window):
    starts: list[int] = []  # generation of each collection from here on
    cb = lambda phase, info: starts.append(info["generation"]) if phase == "start" else None  # noqa: E731
    gc.callbacks.append(cb)
    try:
        _load(qtbot, window, TRACES / "go1.22" / "service.trace")
        first = weakref.ref(window.session)
        assert mw._LOAD_FROZEN  # the load's objects went to the permanent generation
        assert not mw._UNFROZEN
        frozen = gc.get_freeze_count()
        # the session is alive and frozen: a full collection no longer walks the load
        n_walked = len(gc.get_objects())
        assert n_walked < frozen
        # another trace: the first one's session is unreachable once replaced, and is
        # collected after the second load (not kept frozen forever)
        _load(qtbot, window, TRACES / "go1.27" / "annotations.trace")
        assert window.session is not first()
        assert first() is None
        assert 2 in starts  # (that took the one full collection after the second load)
        assert mw._LOAD_FROZEN
        assert not mw._UNFROZEN
    finally:
        gc.callbacks.remove(cb)
