"""The explorer opens an old-format (Go 1.21) trace like a v2 one (issue 7).

Through ``MainWindow.open_path``: the session indexes the file (one generation), reads
it through the v1 converter on a job thread and shows the timeline. Expected values
come from the Go oracle's JSON (testdata/expected), and the same scenario's Go 1.22
trace gives the reference of what the window shows for a v2 trace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goroscope.ui.panels.goroutines_panel import GoroutinesPanel

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
V1_SERVICE = ROOT / "testdata/traces/go1.21/service.trace"
LOAD_TIMEOUT_MS = 60_000


def _open(qtbot, win, path) -> None:
    with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
        win.open_path(path)
    qtbot.wait(1)


def test_open_go121_trace_shows_timeline(qtbot, window, tmp_path):
    want = json.loads((ROOT / "testdata/expected/go1.21-service.summary.json").read_text())
    _open(qtbot, window, V1_SERVICE)
    assert window.last_error is None
    assert window.view is not None
    tl = window.view.data.source.timeline
    assert tl.complete
    assert tl.n_goroutines == want["goroutines"]
    assert tl.n_spans > 0
    # rows for procs and goroutine groups, as for a v2 trace
    assert window.view.timeline.row_count() > len(tl.proc_ids) > 0
    assert f"{want['goroutines']:,} goroutines" in window.statusBar().currentMessage()
    assert not window.view.banner.isVisible()  # not damaged
    # the goroutine statistics job runs on the old trace's timeline like on a v2 one
    panel = window.findChild(GoroutinesPanel)
    assert panel is not None
    qtbot.waitUntil(lambda: panel.analysis is not None, timeout=LOAD_TIMEOUT_MS)
    assert len(panel.analysis.stats) == want["goroutines"]
    shot = tmp_path / "v1.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_go121_trace_go_rejects_shows_error(qtbot, window):
    """cgo-cthreads.trace: Go's parser rejects it (golang/go#29707); a dialog, no crash."""
    path = ROOT / "testdata/traces/go1.21/cgo-cthreads.trace"
    with qtbot.waitSignal(window.load_failed, timeout=LOAD_TIMEOUT_MS):
        window.open_path(path)
    assert window.last_error is not None
    assert "no consistent ordering of events possible" in window.last_error[1]
