"""Python's GC and numba: the kernels' warm-up runs while the first window is built, and
the startup freeze waits for numba's target context, so that its ~50 k objects are not
walked by the full collection after every load (``bench_gui --stall``: that collection
took 18–31 ms of GUI-thread CPU after big-12mb.trace, 4–5 ms with them frozen).

The freeze is never undone (an unfreeze let the GC collect closed windows' PySide
wrappers in the middle of ``app.setStyle``: e48d4ec), so a load's objects must never be
in it: the session is a reference cycle and must still be collected once replaced.
Both run in a fresh interpreter — the freeze happens once per process, and pytest's
process froze long ago.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

TRACES = Path(__file__).resolve().parents[2] / "testdata" / "traces"

_CHILD = r"""
import gc, sys, time, weakref
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from numba.core import types
from goroscope.ui import main_window as mw

app = QApplication([])
settings = QSettings(sys.argv[3], QSettings.Format.IniFormat)
win = mw.MainWindow(settings=settings)
win.show()
app.processEvents()


def unfrozen(kind) -> int:
    # gc.get_objects() lists the tracked objects outside the permanent generation
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


print("functions_unfrozen_after_start", unfrozen(types.Function))


def load(path):
    loop = QEventLoop()
    win.loaded.connect(loop.quit)
    win.load_failed.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    win.open_path(Path(path))
    loop.exec()
    end = time.monotonic() + 60
    while (mw.full_gc_deferred() or win._gc_timer.isActive()) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


load(sys.argv[1])
first = weakref.ref(win.session)
print("session_unfrozen", any(o is win.session for o in gc.get_objects()))
print("functions_unfrozen_after_load", unfrozen(types.Function))
load(sys.argv[2])
gc.collect()
print("first_session_collected", first() is None)
"""


def test_numbas_context_is_frozen_and_a_sessions_objects_are_not(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(TRACES / "go1.22" / "service.trace"),
            str(TRACES / "go1.27" / "annotations.trace"),
            str(tmp_path / "settings.ini"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    out = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
    # numba's typing registries (one Function type per overloaded callable: ~1,400,
    # installed when the first kernel loads) are in the permanent generation — before,
    # the warm-up ran at the first load and 1,363 of them were left for every full GC
    assert int(out["functions_unfrozen_after_start"]) == 0
    assert int(out["functions_unfrozen_after_load"]) < 50
    # the load's session stays collectable: not frozen, and gone once replaced
    assert out["session_unfrozen"] == "True"
    assert out["first_session_collected"] == "True"
