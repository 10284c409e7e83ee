"""Stacks panel: follows the selection; its stacks are exactly what Go prints for the event.

The oracle is ``go tool trace -d=parsed`` (Go's own reader and cmd/trace): for a
selected goroutine span, the section "Began" must be the ``Stack=`` (and, when it
differs, the ``TransitionStack=``) Go prints for the transition at the span's start,
"Ended" the next transition's, "Created by" / "Start function" the goroutine's
``NotExist->Runnable`` event's stacks.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication
from tests.ui.panels_support import (
    TRACES,
    close_window,
    frames_of,
    go_transitions,
    open_window,
)

from goroscope.model.events import GoState
from goroscope.ui.models.stack_model import is_runtime_frame, state_run
from goroscope.ui.selection import GoroutineRef, SpanRef, TimeRange

pytestmark = pytest.mark.gui

TRACE = TRACES / "go1.27" / "annotations.trace"


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, TRACE)
    yield win
    close_window(win)


def _panel(win):
    return win.docks["stacks"].widget()


def _show(qtbot, win, value):
    p = _panel(win)
    win.selection.set(value)
    qtbot.waitUntil(lambda: p._request < 0 and p._shown == value, timeout=30_000)
    return p


def _go_index(tl):
    by = {}
    for t in go_transitions(TRACE):
        by[(t.goid, t.time - tl.origin_ns)] = t
    return by


def test_span_stacks_equal_go_tool_trace(qtbot, window, qtmodeltester):
    tl = window.session.timeline
    go = _go_index(tl)
    goid = tl.goroutines.goid
    checked = blocked = 0
    for g in range(0, tl.n_goroutines, 7):
        row = tl.goroutine_row(g)
        waits = np.flatnonzero(row.state == int(GoState.Waiting))
        for i in waits[:2].tolist():
            p = _show(qtbot, window, SpanRef.goroutine(g, i))
            first, end = state_run(row, i)
            want = go[(int(goid[g]), int(row.start_ns[first]))]
            began = [s for s in p.model.sections if s.kind == "start"]
            assert began[0].title.startswith("Began: GoBlock")
            assert frames_of(began[0].frames) == want.stack
            if want.tstack and want.tstack != want.stack:
                assert frames_of(began[1].frames) == want.tstack
            ended = [s for s in p.model.sections if s.kind == "end"]
            if end < len(row):
                want_end = go[(int(goid[g]), int(row.start_ns[end]))]
                assert want_end.frm == "Waiting"
                if want_end.stack:
                    assert frames_of(ended[0].frames) == want_end.stack
                    assert want_end.ctx_g == (
                        int(goid[ended[0].by_g]) if ended[0].by_g >= 0 else -1
                    )
            blocked += bool(want.stack)
            checked += 1
    assert checked >= 20
    assert blocked >= 20
    qtmodeltester.check(_panel(window).model)


def test_goroutine_shows_creation_and_start_function(qtbot, window):
    tl = window.session.timeline
    go = [t for t in go_transitions(TRACE) if t.frm == "NotExist"]
    goid_to_g = {int(v): k for k, v in enumerate(tl.goroutines.goid.tolist())}
    for t in go[:: max(1, len(go) // 15)]:
        g = goid_to_g[t.goid]
        p = _show(qtbot, window, GoroutineRef(g))
        created = [s for s in p.model.sections if s.kind == "created"][0]
        start = [s for s in p.model.sections if s.kind == "start_function"][0]
        assert frames_of(created.frames) == t.stack
        assert frames_of(start.frames) == t.tstack
        assert created.by_g >= 0
        assert int(tl.goroutines.goid[created.by_g]) == t.ctx_g


def test_runtime_frames_fold_and_copy_as_text(qtbot, window):
    tl = window.session.timeline
    # a goroutine created from inside the runtime, called from user code (Go's stack)
    mixed = [
        t for t in go_transitions(TRACE)
        if t.frm == "NotExist" and any(is_runtime_frame(f[0]) for f in t.stack)
        and not all(is_runtime_frame(f[0]) for f in t.stack)
    ]  # fmt: skip
    assert mixed, "no mixed runtime/user stack in the trace"
    t = mixed[0]
    g = int(np.flatnonzero(tl.goroutines.goid == t.goid)[0])
    p = _show(qtbot, window, GoroutineRef(g))
    frames = p.model.sections[0].frames
    assert frames_of(frames) == t.stack
    model = p.model
    folds = model.fold_indexes()
    assert folds
    for idx in folds:
        n = model.rowCount(idx)
        kids = [model.index(r, 0, idx).data() for r in range(n)]
        assert kids
        assert all(is_runtime_frame(k) for k in kids)
        assert not p.view.isExpanded(idx)
    p.show_runtime.setChecked(True)
    assert all(p.view.isExpanded(idx) for idx in model.fold_indexes())
    p.copy_to_clipboard()
    text = QGuiApplication.clipboard().text()
    for _pc, func, file, line in frames:  # every frame, folded or not
        assert f"{func}\n\t{file}:{line}\n" in text
    assert text.startswith(f"G{t.goid}")


def test_follows_selection_and_links_reveal(qtbot, window):
    p = _panel(window)
    tl = window.session.timeline
    g = int(np.argmax([len(tl.goroutine_row(k)) for k in range(min(50, tl.n_goroutines))]))
    _show(qtbot, window, SpanRef.goroutine(g, 1))
    with qtbot.waitSignal(window.selection.revealed, timeout=1000) as sig:
        p._on_link(f"g:{g}")
    assert sig.args == [GoroutineRef(g)]
    window.selection.set(TimeRange(0, 10))  # not a span: what is shown stays
    assert p.model.sections
    window.selection.set(None)
    assert not p.model.sections


def test_proc_span_shows_the_running_goroutines_stacks(qtbot, window):
    """A span of a proc row: the stacks of the goroutine span running there then."""
    from goroscope.ui.models.stack_model import resolve_span_stacks

    tl = window.session.timeline
    tp = window.view.timeline
    ref0 = SpanRef.proc(0, 0)
    row = tp.row_of(ref0)
    start, end, _st = tp.track.spans(row)
    i = int(np.argmax(end - start))  # the longest run on P0
    p = _panel(window)
    window.selection.set(SpanRef.proc(0, i))
    qtbot.waitUntil(lambda: p._request < 0 and p._shown == SpanRef.proc(0, i), timeout=30_000)
    iv = tl.proc_spans(0, int(start[i]), int(start[i]) + 1)
    g = int(iv.g_idx[np.flatnonzero(iv.start_ns == start[i])[0]])
    grow = tl.goroutine_row(g)
    k = int(np.searchsorted(grow.start_ns, start[i], side="right")) - 1
    assert grow.start_ns[k] <= start[i] < grow.end_ns[k]
    assert grow.state[k] == int(GoState.Running)
    want = resolve_span_stacks(window.session.details, tl, g, k)
    assert [(s.title, s.frames) for s in p.model.sections] == [(s.title, s.frames) for s in want]
    assert f"G{int(tl.goroutines.goid[g])}" in p.header.text()


def test_the_span_header_comes_from_the_job(qtbot, window, monkeypatch):
    """Selecting a goroutine span never builds the goroutine's row on the GUI thread (a
    goroutine of the big trace has 4.3 M spans): the stacks panel calls
    ``Timeline.goroutine_row`` only from its job, and the header still names the span."""
    import sys
    import threading

    tl = window.session.timeline
    cls = type(tl)
    original = cls.goroutine_row
    gui = threading.get_ident()
    calls = []

    def spy(self, g_idx):
        caller = sys._getframe(1).f_code.co_filename
        if caller.endswith("stacks_panel.py"):
            calls.append(threading.get_ident())
        return original(self, g_idx)

    monkeypatch.setattr(cls, "goroutine_row", spy)
    g = int(np.argmax([len(original(tl, i)) for i in range(min(tl.n_goroutines, 50))]))
    n = len(original(tl, g))
    p = _show(qtbot, window, SpanRef.goroutine(g, n // 2))
    assert calls  # the job looked at the row…
    assert gui not in calls  # …and only the job
    row = original(tl, g)
    assert f"span {n // 2 + 1} of {n}" in p.header.text()
    assert tl.kind_name(int(row.kind[n // 2])) in p.header.text()
