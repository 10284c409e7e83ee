"""Logs panel: search by text and category finds exactly the matching logs; links; selection.

The independent side reads Go's ``Log`` events with ``read_trace`` and filters them
with plain Python (``str.lower`` and ``in``); the panel's rows are compared as
multisets of (time, goroutine ID, task ID, category, message).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.panel_fixtures import EXPECTED, TRACES, make_panel

from goroscope.model import EventKind, read_trace
from goroscope.ui.panels.logs_panel import LogsPanel
from goroscope.ui.selection import GoroutineRef, SpanRef, TaskRef

pytestmark = pytest.mark.gui


def _go_logs(path):
    ev = read_trace(path.read_bytes()).events
    out = []
    for i in np.flatnonzero(ev.kind == EventKind.Log).tolist():
        out.append(
            (
                int(ev.time_ns[i]),
                int(ev.goroutine[i]),
                int(ev.task_id[i]),
                ev.strings[int(ev.name[i])],
                ev.strings[int(ev.message[i])],
            )
        )
    return out


def _panel_logs(panel) -> Counter:
    tl = panel.timeline
    lg = tl.logs
    out = Counter()
    for r in panel.shown_rows().tolist():
        g = int(lg.g_idx[r])
        out[
            (
                int(lg.time_ns[r]) + tl.origin_ns,
                int(tl.goroutines.goid[g]) if g >= 0 else -1,
                int(lg.task_id[r]),
                tl.strings[int(lg.category[r])],
                tl.strings[int(lg.message[r])],
            )
        ] += 1
    return out


def _filtered(qtbot, panel, text, category=None) -> Counter:
    n = panel.filters_done
    panel.set_filter(text, category)
    qtbot.waitUntil(lambda: panel.filters_done > n, timeout=10_000)
    return _panel_logs(panel)


@pytest.fixture(params=["go1.27/service.trace", "go1.22/annotations.trace"])
def logs(qtbot, request):
    path = TRACES / request.param
    panel, ctx = make_panel(qtbot, LogsPanel, path)
    qtbot.waitUntil(lambda: panel.filters_done >= 1, timeout=60_000)
    return panel, ctx, _go_logs(path), request.param


def test_search_finds_exactly_the_matching_logs(qtbot, logs):
    panel, _, go, _name = logs
    assert _panel_logs(panel) == Counter(go)
    cats = sorted({c for *_, c, _m in go})
    queries = ["", "id=1", "ORDER", "Part 2", "КЛЮЧ", "валид", "GET /work?k=1", "zzz-none", " "]
    for text in queries:
        t = text.lower()
        want = Counter(x for x in go if t in x[4].lower() or t in x[3].lower())
        assert _filtered(qtbot, panel, text) == want, text
    for cat in cats:
        for text in ("", "1"):
            # a text matches the message or the category
            want = Counter(
                x for x in go if x[3] == cat and (text in x[4].lower() or text in x[3].lower())
            )
            assert _filtered(qtbot, panel, text, cat) == want, (cat, text)
    # the category chooser lists every category with its count
    labels = [panel.category.itemText(i) for i in range(panel.category.count())]
    assert labels[0] == f"All ({len(go):,})"
    counts = Counter(x[3] for x in go)
    assert sorted(labels[1:]) == sorted(f"{c or '(none)'} ({n:,})" for c, n in counts.items())


def test_log_count_equals_the_oracle(logs):
    import json

    panel, _, go, name = logs
    ver, base = name.split("/")
    want = json.loads((EXPECTED / f"{ver}-{base.removesuffix('.trace')}.summary.json").read_text())
    assert len(panel.timeline.logs) == len(go) == want["task_logs"]


def test_links_and_following_the_selection(qtbot, qtmodeltester, logs):
    panel, ctx, go, _ = logs
    m = panel.model
    qtmodeltester.check(m)
    tl = panel.timeline
    # a log with a goroutine and a task
    row = next(
        r
        for r in range(m.rowCount())
        if tl.logs.g_idx[panel.shown_rows()[r]] >= 0
        and panel.index.task_row[panel.shown_rows()[r]] >= 0
    )
    lr = int(panel.shown_rows()[row])
    g, t_ns = int(tl.logs.g_idx[lr]), int(tl.logs.time_ns[lr])
    task = int(panel.index.task_row[lr])
    assert tl.tasks.task_id[task] == tl.logs.task_id[lr]
    for col in ("Time", "Goroutine", "Task"):
        idx = m.index(row, m.column_index(col))
        panel.view.scrollTo(idx)
        rect = panel.view.visualRect(idx)
        with qtbot.waitSignal(ctx.selection.revealed, timeout=5000):
            qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        sel = ctx.selection.current
        if col == "Time":
            assert isinstance(sel, SpanRef)
            assert (sel.resource_kind, sel.resource_idx) == ("goroutine", g)
            sr = tl.goroutine_row(g)
            assert sr.start_ns[sel.span_idx] <= t_ns < sr.end_ns[sel.span_idx]
        elif col == "Goroutine":
            assert sel == GoroutineRef(g)
        else:
            assert sel == TaskRef(task)
    # "only the selected task / goroutine"
    n = panel.filters_done
    panel.only_box.setChecked(True)  # the selection is TaskRef(task) now
    qtbot.waitUntil(lambda: panel.filters_done > n, timeout=5000)
    tid = int(tl.tasks.task_id[task])
    assert _panel_logs(panel) == Counter(x for x in go if x[2] == tid)
    n = panel.filters_done
    ctx.selection.set(GoroutineRef(g))
    qtbot.waitUntil(lambda: panel.filters_done > n, timeout=5000)
    goid = int(tl.goroutines.goid[g])
    assert _panel_logs(panel) == Counter(x for x in go if x[1] == goid)
    # sorting by message is alphabetical
    panel.only_box.setChecked(False)
    qtbot.waitUntil(lambda: panel.filters_done > n + 1, timeout=5000)
    panel.sort_by("Message")
    qtbot.waitUntil(lambda: not m.sorting, timeout=5000)
    shown = [m.data(m.index(r, m.column_index("Message"))) for r in range(m.rowCount())]
    assert shown == sorted(shown)
    qtmodeltester.check(m)
