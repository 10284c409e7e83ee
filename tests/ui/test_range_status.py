"""Shift+drag's status line does not count a goroutine's non-existence as a state (issue 6).

In a cgo trace the goroutine of a C thread's extra M exits when the C call returns and
the same goid is created again at the next call: its row holds NotExist spans between an
exit and the next creation. The legend has no "exited" bars (an exit is a tick), so the
status line must not list that gap as time "exited". The expectation is a plain overlap
sum over the model's own row (``Timeline.goroutine_row``), state by state, here.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.panel_fixtures import TRACES
from tests.ui.panels_support import drag

from goroscope.model.events import GoState
from goroscope.ui.items.time_axis import format_duration
from goroscope.ui.panels.trace_source import R_GOROUTINE, family_of_kind
from goroscope.ui.selection import TimeRange
from goroscope.ui.theme import FAMILY_NAMES

SHIFT = Qt.KeyboardModifier.ShiftModifier

pytestmark = pytest.mark.gui

CGO = TRACES / "go1.27/cgo.trace"
LOAD_TIMEOUT_MS = 60_000


def _gap(tl) -> tuple[int, int, int]:
    """(goroutine, start, end) of the longest NotExist span between two lives."""
    best = (0, 0, -1)
    for g in range(tl.n_goroutines):
        row = tl.goroutine_row(g)
        d = row.end_ns - row.start_ns
        gaps = np.flatnonzero((row.state == int(GoState.NotExist)) & (d > 0))
        for i in gaps.tolist():
            if int(d[i]) > best[2] - best[1]:
                best = (g, int(row.start_ns[i]), int(row.end_ns[i]))
    return best


def _want(tl, g: int, t0: int, t1: int) -> dict[str, int]:
    """ns per family name of goroutine ``g`` inside [t0, t1], non-existence left out."""
    row = tl.goroutine_row(g)
    out: dict[str, int] = {}
    for a, b, k in zip(row.start_ns.tolist(), row.end_ns.tolist(), row.kind.tolist(), strict=True):
        state, reason = tl.kinds[k]
        d = min(b, t1) - max(a, t0)
        if d > 0 and state != GoState.NotExist:
            name = FAMILY_NAMES[family_of_kind(state, reason)]
            out[name] = out.get(name, 0) + d
    return out


def _printed(text: str) -> set[str]:
    return set(text.split(" — ", 1)[1].split(", "))


def _select(qtbot, tp, row: int, t0: int, t1: int) -> TimeRange:
    pad = (t1 - t0) // 10
    tp.show_range(t0 - pad, t1 + pad)
    tp.scroll_to_row(row)
    qtbot.wait(1)
    assert row in tp.visible_rows()
    vp = tp.plot.viewport()
    with qtbot.waitSignal(tp.selection.changed, timeout=2000):
        drag(qtbot, vp, tp.viewport_pos_for(row, t0), tp.viewport_pos_for(row, t1), SHIFT)
    qtbot.waitUntil(lambda: not tp.range_stats_pending(), timeout=10_000)
    sel = tp.selection.current
    assert isinstance(sel, TimeRange)
    return sel


def test_range_over_a_reused_goid_does_not_count_its_gap(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_path(CGO)
    tp = window.view.timeline
    src = tp.source
    tl = src.timeline
    g, gap0, gap1 = _gap(tl)
    assert gap1 > gap0, "go1.27/cgo has reused goids (C threads' goroutines)"
    k = int(src.group_of_g[g])
    if not src.group_expanded(k):
        src.set_group_expanded(k, True)
        tp.set_source(src)
    row = int(np.flatnonzero((src.row_kind == R_GOROUTINE) & (src.row_res == g))[0])

    # across the gap and the lives on both sides of it
    span = gap1 - gap0
    sel = _select(qtbot, tp, row, gap0 - span // 2, gap1 + span // 2)
    text = tp.status.text()
    assert " across 1 selected row — " in text
    assert "exited" not in text
    want = _want(tl, g, sel.t0_ns, sel.t1_ns)
    assert want, "the goroutine lives on a side of the gap"
    top = sorted(want, key=want.get, reverse=True)[:6]
    assert _printed(text) == {f"{n} {format_duration(want[n])}" for n in top}
    # the gap alone: nothing is alive there, and the line says so
    sel = _select(qtbot, tp, row, gap0 + span // 4, gap1 - span // 4)
    assert _want(tl, g, sel.t0_ns, sel.t1_ns) == {}
    assert tp.status.text().endswith(" — not alive (before its creation or after its exit)")
    shot = tmp_path / "range.png"
    assert window.grab().save(str(shot))
