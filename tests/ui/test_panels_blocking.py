"""Blocking panel: Go's own profiles, scopes against an independent tracker, links, pprof export.

* Whole trace: every stack of the top table (count, total delay) and the flame
  graph's totals equal ``go tool trace -pprof=KIND`` run with the toolchain of the
  trace's Go version (the rules changed in 1.26; see goroscope.analysis.profiles).
* Scopes: a time range and a goroutine group equal a plain-Python tracker written
  here from Go's event stream (``read_trace``) and Go's goroutine summary
  (StartTime/EndTime clipping), not from the panel's code.
* Selection round trips: TimeRange / GoroutineRef / SpanRef / TaskRef select the
  scope; the links of the intervals list reveal GoroutineRef and SpanRef values
  and do not move the panel's own scope.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.analysis.conftest import analysis_of, go_binary
from tests.ui.panel_fixtures import TRACES, make_panel

from goroscope.export.pprof import read_profile
from goroscope.model import EventKind, ResourceKind, read_trace
from goroscope.model.events import GoState
from goroscope.ui.panels.blocking_panel import BlockingPanel
from goroscope.ui.selection import GoroutineRef, SpanRef, TaskRef, TimeRange

pytestmark = pytest.mark.gui

CASES = [
    ("go1.27/service.trace", "1.27.3"),
    ("go1.25/service.trace", "1.25.5"),
    ("go1.22/service.trace", "1.22.10"),
]


def _pcs(frames) -> tuple:
    pcs = [f[0] for f in frames[:128]]
    while pcs and pcs[-1] == 0:
        pcs.pop()
    return tuple(pcs)


def _wait_view(qtbot, panel, n: int = 1) -> None:
    qtbot.waitUntil(lambda: panel.views_shown >= n and not panel.busy, timeout=60_000)


def _panel_by_stack(panel) -> dict:
    v, d = panel.view, panel.data
    out: dict = {}
    for h, c, t in zip(v.handles.tolist(), v.counts.tolist(), v.totals_ns.tolist(), strict=True):
        k = _pcs(d.frames[h])
        o = out.setdefault(k, [0, 0])
        o[0] += c
        o[1] += t
    return out


@pytest.fixture
def service(qtbot):
    panel, ctx = make_panel(qtbot, BlockingPanel, TRACES / "go1.27/service.trace")
    _wait_view(qtbot, panel)
    return panel, ctx


@pytest.mark.parametrize(("trace", "version"), CASES, ids=[c[0] for c in CASES])
def test_whole_trace_equals_go_tool_trace(qtbot, trace, version):
    go = go_binary(version)
    if go is None:
        pytest.skip(f"go{version} not installed")
    path = TRACES / trace
    panel, _ = make_panel(qtbot, BlockingPanel, path)
    _wait_view(qtbot, panel)
    for i, kind in enumerate(("net", "sync", "syscall", "sched")):
        panel.set_kind(kind)
        if i:
            _wait_view(qtbot, panel, i + 1)
        proc = subprocess.run(
            [str(go), "tool", "trace", f"-pprof={kind}", str(path)],
            capture_output=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        want: dict = {}
        for frames, vals in read_profile(proc.stdout)["samples"]:
            o = want.setdefault(_pcs(frames), [0, 0])
            o[0] += vals[0]
            o[1] += vals[1]
        assert _panel_by_stack(panel) == want, kind
        total = sum(v[1] for v in want.values())
        fd = panel.flame_data
        assert fd.total == total
        if want:
            # the top table's first row is Go's biggest stack
            top = max(want.values(), key=lambda v: v[1])
            m = panel.top_model
            total_col = m.column_index("Total delay")
            assert m.data(m.index(0, total_col), Qt.ItemDataRole.UserRole) == top[1]
            # flame: the root's children are Go's stacks grouped by their root function
            by_root: dict = {}
            for frames, vals in read_profile(proc.stdout)["samples"]:
                name = frames[-1][1] if frames else None
                by_root[name] = by_root.get(name, 0) + vals[1]
            kids = {fd.name[n]: int(fd.value[n]) for n in np.flatnonzero(fd.parent == 0)}
            assert kids == {k: v for k, v in by_root.items() if k is not None and v > 0}


def _tracker_intervals(path, kind: str = "sync"):
    """Go's blocking-interval tracker (cmd/trace pprof.go, Go 1.26+ rules) in plain Python:
    [(goid, start, end, pcs)] clipped to Go's goroutine StartTime/EndTime, absolute ns."""
    ev = read_trace(path.read_bytes()).events
    sel = np.flatnonzero(
        (ev.kind == EventKind.StateTransition) & (ev.resource_kind == ResourceKind.Goroutine)
    )
    tracking: dict = {}
    out = []
    for i in sel.tolist():
        goid, to = int(ev.resource_id[i]), int(ev.state_to[i])
        reason = ev.strings[int(ev.reason[i])]
        t = int(ev.time_ns[i])
        start = tracking.get(goid)
        if start is None:
            if to == GoState.Waiting and (
                "chan" in reason or "sync" in reason or "select" in reason
            ):
                gi, sid = int(ev.gen_idx[i]), int(ev.stack_id[i])
                frames = ev.generations[gi].frames(sid) if sid else []
                tracking[goid] = (t, _pcs(frames))
            continue
        if to == GoState.Waiting:
            continue
        del tracking[goid]
        out.append((goid, start[0], t, start[1]))
    a = analysis_of(path)
    clipped = []
    for goid, s, e, k in out:
        g = a.goroutines.get(goid)
        if g is None:
            continue
        lo, hi = g.start_ns, g.end_ns if g.end_ns != 0 else a.last_ns
        if hi < s or e < lo:
            continue
        s, e = max(s, lo), min(e, hi)
        if e > s:
            clipped.append((goid, s, e, k))
    return clipped, a


def _by_stack(rows) -> dict:
    out: dict = {}
    for _g, s, e, k in rows:
        o = out.setdefault(k, [0, 0])
        o[0] += 1
        o[1] += e - s
    return out


def test_time_range_and_group_scopes_equal_independent_tracker(qtbot, service):
    panel, ctx = service
    panel.set_kind("sync")
    _wait_view(qtbot, panel, 2)
    tl = panel._timeline
    rows, a = _tracker_intervals(TRACES / "go1.27/service.trace")
    assert _panel_by_stack(panel) == _by_stack(rows)  # whole trace, once more

    # a time range in the middle of the trace
    t0, t1 = tl.covered_ns // 3, tl.covered_ns // 2
    ctx.selection.set(TimeRange(t0, t1))
    _wait_view(qtbot, panel, 3)
    assert panel.scope.kind == "time"
    o = tl.origin_ns
    want = []
    for g, s, e, k in rows:
        s, e = max(s, t0 + o), min(e, t1 + o)
        if e > s:
            want.append((g, s, e, k))
    assert _panel_by_stack(panel) == _by_stack(want)
    assert want  # the range really holds blocking

    # the group of the goroutine that blocked longest, by Go's summary name
    goid = max(rows, key=lambda r: r[2] - r[1])[0]
    g_idx = int(np.flatnonzero(tl.goroutines.goid == goid)[0])
    ctx.selection.set(GoroutineRef(g_idx))
    _wait_view(qtbot, panel, 4)
    name = a.goroutines[goid].name
    assert panel.scope.kind == "group"
    assert panel.scope.name == name
    members = {gid for gid, g in a.goroutines.items() if g.name == name}
    assert _panel_by_stack(panel) == _by_stack([r for r in rows if r[0] in members])


def test_task_scope_clips_to_the_tasks_regions(qtbot):
    path = TRACES / "go1.27/annotations.trace"
    panel, ctx = make_panel(qtbot, BlockingPanel, path)
    _wait_view(qtbot, panel)
    panel.set_kind("sched")
    _wait_view(qtbot, panel, 2)
    tl = panel._timeline
    whole = panel.view.total_ns
    # the task whose regions hold the most time
    r = tl.regions
    dur = np.where((r.end_ns >= 0) & (r.start_ns >= 0), r.end_ns - r.start_ns, 0)
    tid = r.task_id[int(np.argmax(dur))]
    task_idx = int(np.flatnonzero(tl.tasks.task_id == tid)[0])
    ctx.selection.set(TaskRef(task_idx))
    _wait_view(qtbot, panel, 3)
    assert panel.scope.kind == "task"
    view = panel.view
    iv = _scoped(panel)
    assert view.n == len(iv) > 0
    assert view.total_ns == int((iv.end_ns - iv.start_ns).sum())
    assert panel.view.total_ns <= whole
    m = r.task_id == tid
    for g, s, e in zip(iv.g_idx.tolist(), iv.start_ns.tolist(), iv.end_ns.tolist(), strict=True):
        inside = m & (r.g_idx == g) & (r.start_ns <= s) & ((r.end_ns < 0) | (r.end_ns >= e))
        assert inside.any(), (g, s, e)


def test_links_reveal_goroutines_and_spans_without_moving_the_scope(qtbot, service):
    panel, ctx = service
    panel.set_kind("sync")
    _wait_view(qtbot, panel, 2)
    fd = panel.flame_data
    node = int(np.flatnonzero(fd.parent == 0)[0])  # the biggest root function
    pos = panel.flame.view_pos_of(node)
    with qtbot.waitSignal(panel.flame.node_clicked, timeout=5000):
        qtbot.mouseClick(panel.flame.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert panel.flame.item.selected == node
    _wait_view(qtbot, panel)
    bm = panel.behind_model
    assert bm.rowCount() > 0
    # what is behind: exactly the intervals of the stacks through the frame
    iv = panel.behind.iv
    assert panel.behind.total == len(iv)  # below the listing limit: all of them
    assert int((iv.end_ns - iv.start_ns).sum()) == int(fd.value[node])
    scope = panel.scope
    revealed = []
    ctx.selection.revealed.connect(revealed.append)
    gcol = bm.column_index("Goroutine")
    idx = bm.index(0, gcol)
    panel.behind_view.scrollTo(idx)
    rect = panel.behind_view.visualRect(idx)
    qtbot.mouseClick(panel.behind_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    g = int(iv.g_idx[bm.source_row(0)])
    assert ctx.selection.current == GoroutineRef(g)
    assert revealed[-1] == GoroutineRef(g)
    start = int(iv.start_ns[bm.source_row(0)])
    idx = bm.index(0, bm.column_index("Start"))
    rect = panel.behind_view.visualRect(idx)
    qtbot.mouseClick(panel.behind_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    sel = ctx.selection.current
    assert isinstance(sel, SpanRef)
    assert (sel.resource_kind, sel.resource_idx) == ("goroutine", g)
    row = panel._timeline.goroutine_row(g)
    assert row.start_ns[sel.span_idx] <= start < row.end_ns[sel.span_idx]
    assert panel.scope == scope  # our own links do not re-scope the panel
    # another panel's selection of a goroutine span does
    ctx.selection.set(SpanRef.goroutine(g, 0))
    _wait_view(qtbot, panel, 3)
    assert panel.scope.kind == "group"
    panel.whole_button.click()
    _wait_view(qtbot, panel, 4)
    assert panel.scope.kind == "whole"


def test_export_pprof_round_trips(qtbot, service, tmp_path):
    panel, _ = service
    panel.set_kind("sched")
    _wait_view(qtbot, panel, 2)
    out = tmp_path / "sched.pb.gz"
    n = panel.export_pprof(str(out))
    prof = read_profile(out.read_bytes())
    assert prof["sample_types"] == [("contentions", "count"), ("delay", "nanoseconds")]
    assert len(prof["samples"]) == n == len(panel.view.keys)
    got: dict = {}
    for frames, vals in prof["samples"]:
        o = got.setdefault(_pcs(frames), [0, 0])
        o[0] += vals[0]
        o[1] += vals[1]
    assert got == _panel_by_stack(panel)


def test_models_pass_qtmodeltester(qtbot, qtmodeltester, service):
    panel, _ = service
    panel.select_frame(0)
    _wait_view(qtbot, panel)
    assert panel.behind_model.rowCount() == panel.view.n
    qtmodeltester.check(panel.top_model)
    qtmodeltester.check(panel.behind_model)
    count_col = panel.top_model.column_index("Count")
    panel.top_model.sort(count_col, Qt.SortOrder.DescendingOrder)
    counts = [
        panel.top_model.data(panel.top_model.index(i, count_col), Qt.ItemDataRole.UserRole)
        for i in range(panel.top_model.rowCount())
    ]
    assert counts == sorted(counts, reverse=True)
    qtmodeltester.check(panel.top_model)


def test_new_trace_clears_and_follows(qtbot, service):
    panel, ctx = service
    ctx.window.path_opened.emit("x")
    assert panel.view is None
    assert panel.top_model.rowCount() == 0
    ctx.window.open(TRACES / "go1.26/annotations.trace")
    _wait_view(qtbot, panel, 2)
    assert panel._timeline is ctx.window.session.timeline


def test_big_tables_sort_in_a_job(qtbot, qtmodeltester):
    """Past SYNC_SORT_ROWS the table model sorts through the bridge, not on the GUI thread."""
    from goroscope.jobs import ImmediateExecutor
    from goroscope.ui.bridge import JobBridge
    from goroscope.ui.models.table import SYNC_SORT_ROWS, Column, NumpyTableModel

    bridge = JobBridge(ImmediateExecutor())
    m = NumpyTableModel(bridge)
    rng = np.random.default_rng(1)
    vals = rng.integers(0, 1000, SYNC_SORT_ROWS + 5)
    m.set_columns([Column("v", vals, str), Column("i", np.arange(len(vals)), str)])
    done = []
    bridge.finished.connect(lambda rid, _r: done.append(rid))
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert m.sorting  # not applied synchronously
    assert m.data(m.index(0, 1), Qt.ItemDataRole.UserRole) == 0
    with qtbot.waitSignal(m.sort_applied, timeout=5000):
        pass
    assert done
    got = [m.data(m.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(0, m.rowCount(), 997)]
    assert got == sorted(got, reverse=True)
    # descending keeps ties in source order (a stable sort either way)
    order = m.rows
    assert np.all(np.diff(vals[order]) <= 0)
    same = vals[order][:-1] == vals[order][1:]
    assert np.all(order[1:][same] > order[:-1][same])
    small = NumpyTableModel(bridge)
    small.set_columns([Column("v", vals[:50], str)])
    small.sort(0)
    assert not small.sorting
    qtmodeltester.check(small)


def test_behind_lists_at_most_the_longest_intervals(qtbot, service):
    """Past the limit the list holds the longest intervals (and says how many there are),
    from a store scanned in chunks and spilled to a file like a big trace's."""
    from goroscope.ui.models import profile_data as pd

    panel, _ = service
    view, data, tl = panel.view, panel.data, panel._timeline
    rec = np.arange(len(view.keys))
    every = data.intervals(view.kind)  # whole scope: every interval, in Go's order
    b = pd.behind(tl, data, view, rec, limit=100)
    assert b.total == view.n == len(every) > 100
    assert len(b.rows) == len(b.iv) == 100
    assert np.all(np.diff(b.rows) > 0)  # original (Go's) order kept
    dur_all = np.sort(every.end_ns - every.start_ns)[::-1]
    dur = np.sort(b.iv.end_ns - b.iv.start_ns)[::-1]
    assert np.array_equal(dur, dur_all[:100])  # exactly the 100 longest durations
    assert np.array_equal(b.iv.start_ns, every.start_ns[b.rows])
    b = pd.behind(tl, data, view, rec)
    assert len(b.rows) == b.total == view.n
    # the same through a spilled store read in small chunks
    spilled = pd.IntervalStore(spill_rows=7)
    for i in range(0, len(every), 13):
        spilled.append(every.take(np.arange(i, min(i + 13, len(every)))))
    spilled.finish()
    assert spilled.spilled
    assert spilled.nbytes == 0
    small = list(spilled.chunks(rows=29))
    got = pd.Intervals.concat(small)
    for f in ("g_idx", "start_ns", "end_ns", "key"):
        assert np.array_equal(getattr(got, f), getattr(every, f)), f
    store = dict(data.store, **{view.kind: spilled})
    data2 = pd.ProfileData(store, data.whole, data.frames, data.rep, data.last_ns, data.tool_minor)
    b2 = pd.behind(tl, data2, view, rec, limit=100)
    assert np.array_equal(b2.rows, pd.behind(tl, data, view, rec, limit=100).rows)
    t0, t1 = tl.covered_ns // 4, tl.covered_ns // 2
    scope = pd.Scope("time", t0, t1)
    v1 = pd.scope_view(tl, data, view.kind, scope)
    v2 = pd.scope_view(tl, data2, view.kind, scope)
    assert np.array_equal(v1.totals_ns, v2.totals_ns)
    assert np.array_equal(v1.keys, v2.keys)
    spilled.close()


def _scoped(panel):
    """Every interval of the panel's kind inside its scope (one select over the store)."""
    from goroscope.ui.models import profile_data as pd

    every = panel.data.intervals(panel.kind)
    return pd.select(panel._timeline, panel.data, every, panel.scope)


def test_kind_chooser_names_each_kinds_total_in_the_scope(qtbot, service):
    """A group that blocks only on channels showed an empty ``net`` view with no hint that
    ``sync`` holds its blocking: the chooser now names each kind's total in the scope and
    an empty view names the kinds that have some."""
    panel, ctx = service
    assert panel.kind == "net"
    tl = panel._timeline
    sf = tl.goroutines.start_func
    g = next(
        i
        for i in range(tl.n_goroutines)
        if sf[i] >= 0 and tl.strings[sf[i]] == "main.pipeline.func1"
    )
    ctx.selection.set(GoroutineRef(g))
    _wait_view(qtbot, panel, 2)
    assert panel.scope.kind == "group"
    assert panel.view.n == 0
    qtbot.waitUntil(lambda: panel.kind_totals is not None, timeout=30_000)
    # sync: Go's blocking tracker over the group's goroutines
    rows, a = _tracker_intervals(TRACES / "go1.27/service.trace")
    members = {gid for gid, gg in a.goroutines.items() if gg.name == "main.pipeline.func1"}
    want_sync = sum(e - s for gid, s, e, _k in rows if gid in members)
    assert want_sync > 0
    assert panel.kind_totals["sync"] == want_sync
    assert panel.kind_totals["net"] == 0
    assert "sync:" in panel.status.text()
    assert panel.kind_box.itemText(panel.kind_box.findData("net")) == "net — none"
    assert panel.kind_box.itemText(panel.kind_box.findData("sync")).startswith("sync — ")
    # every kind's total is that kind's view in the same scope
    totals = dict(panel.kind_totals)
    for n, kind in enumerate(("sync", "syscall", "sched"), start=3):
        panel.set_kind(kind)
        _wait_view(qtbot, panel, n)
        assert panel.view.total_ns == totals[kind], kind
        assert panel.kind == kind
