"""Goroutine events panel: the transitions and unblockers equal Go's (``go tool trace -d=parsed``);
go to unblocker and back; selection round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.panels_support import TRACES, close_window, go_transitions, open_window

from goroscope.ui.models.event_table import STATE_NAMES
from goroscope.ui.panels.events_panel import COL_FROM, COL_REASON, COL_TIME, COL_TO
from goroscope.ui.selection import GoroutineRef, SpanRef

pytestmark = pytest.mark.gui

TRACE = TRACES / "go1.27" / "service.trace"


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, TRACE)
    yield win
    close_window(win)


def _panel(win):
    return win.docks["goroutine_events"].widget()


def _show(qtbot, win, value):
    p = _panel(win)
    win.selection.set(value)
    g = value.goroutine_idx if isinstance(value, GoroutineRef) else value.resource_idx
    qtbot.waitUntil(
        lambda: p.events is not None and p.events.g_idx == g and p._rows_request < 0,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: p._detail_request < 0, timeout=30_000)
    return p


def _by_goid():
    out = {}
    for t in go_transitions(TRACE):
        out.setdefault(t.goid, []).append(t)
    return out


def test_transitions_equal_go(qtbot, window, qtmodeltester):
    tl = window.session.timeline
    go = _by_goid()
    goid = tl.goroutines.goid
    for g in list(range(0, tl.n_goroutines, max(1, tl.n_goroutines // 12)))[:12]:
        p = _show(qtbot, window, GoroutineRef(g))
        m = p.model
        want = go[int(goid[g])]
        assert m.rowCount() == len(want)
        for r, t in enumerate(want):
            assert m.data(m.index(r, COL_TIME), Qt.ItemDataRole.UserRole) + tl.origin_ns == t.time
            assert m.data(m.index(r, COL_FROM)) == t.frm
            to = m.data(m.index(r, COL_TO))
            assert to.split(" ")[0] == t.to
            assert ("(status)" in to) == (t.frm == t.to)
            assert m.data(m.index(r, COL_REASON)) == t.reason
    qtmodeltester.check(_panel(window).model)
    assert STATE_NAMES


def test_unblockers_equal_go_and_go_to_unblocker_and_back(qtbot, window):
    tl = window.session.timeline
    goid = tl.goroutines.goid
    g_of = {int(v): k for k, v in enumerate(goid.tolist())}
    unblocks = [t for t in go_transitions(TRACE) if t.frm == "Waiting" and t.to == "Runnable"]
    by_other = [t for t in unblocks if t.ctx_g >= 0][::25][:8]
    by_runtime = [t for t in unblocks if t.ctx_g < 0][:3]
    assert by_other
    assert by_runtime
    for t in by_other + by_runtime:
        g = g_of[t.goid]
        row = tl.goroutine_row(g)
        i = int(np.searchsorted(row.start_ns, t.time - tl.origin_ns))
        assert row.start_ns[i] + tl.origin_ns == t.time
        p = _show(qtbot, window, SpanRef.goroutine(g, i - 1))  # the wait it ends
        d = p.detail
        assert d.unblock_span == i
        got = int(goid[d.unblocker_g]) if d.unblocker_g >= 0 else -1
        assert got == t.ctx_g
        assert p.unblocker_button.isEnabled() == (t.ctx_g >= 0)
    # go to the unblocker of the last one by another goroutine, then back
    t = by_other[-1]
    g = g_of[t.goid]
    row = tl.goroutine_row(g)
    i = int(np.searchsorted(row.start_ns, t.time - tl.origin_ns))
    p = _show(qtbot, window, SpanRef.goroutine(g, i))
    u = g_of[t.ctx_g]
    urow = tl.goroutine_row(u)
    j = int(np.searchsorted(urow.start_ns, t.time - tl.origin_ns, side="right")) - 1
    assert urow.start_ns[j] <= t.time - tl.origin_ns < urow.end_ns[j]
    with qtbot.waitSignal(window.selection.revealed, timeout=1000) as got:
        p.unblocker_button.click()
    assert got.args == [SpanRef.goroutine(u, j)]
    qtbot.waitUntil(lambda: p.events.g_idx == u and p._rows_request < 0, timeout=30_000)
    assert p.current_span() == j
    assert p.back_button.isEnabled()
    with qtbot.waitSignal(window.selection.revealed, timeout=1000) as got:
        p.back_button.click()
    assert got.args == [SpanRef.goroutine(g, i)]
    qtbot.waitUntil(lambda: p.events.g_idx == g and p._rows_request < 0, timeout=30_000)
    assert p.current_span() == i
    assert not p.back_button.isEnabled()


def test_selection_round_trip_and_time_links(qtbot, window):
    tl = window.session.timeline
    g = int(np.argmax([len(tl.goroutine_row(k)) for k in range(min(80, tl.n_goroutines))]))
    p = _show(qtbot, window, SpanRef.goroutine(g, 2))
    assert p.current_span() == 2
    p.view.setCurrentIndex(p.model.index(4, 1))
    assert window.selection.current == SpanRef.goroutine(g, 4)
    with qtbot.waitSignal(window.selection.revealed, timeout=1000) as got:
        p.view.clicked.emit(p.model.index(6, COL_TIME))  # a time: a link
    assert got.args == [SpanRef.goroutine(g, 6)]
    with qtbot.waitSignal(window.selection.revealed, timeout=1000) as got:
        p._on_link(f"g:{g}")
    assert got.args == [GoroutineRef(g)]
