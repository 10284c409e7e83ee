"""Tasks & regions panel against the oracle (tracecount -summary) and Go's summarizer.

* task types, their counts and completion = the oracle's ``task_types`` /
  ``tasks_complete`` (Go's summary also counts the background task 0 when logs or
  regions sit outside any task: that one row the panel does not list);
* each type's latency histogram = ``task_stats`` of the port of Go's summarizer
  (go tool trace's log buckets), and a click on a bucket lists exactly its tasks;
* region types and counts = the oracle's ``regions`` (less Go's fake "" regions of
  goroutines created inside a region); the running time inside
  them = the oracle's ``region_exec_ns``;
* the tree holds every task once under its parent; selection round trips.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt
from tests.analysis.conftest import analysis_of
from tests.ui.panel_fixtures import EXPECTED, TRACES, make_panel

from goroscope.analysis import task_stats
from goroscope.ui.panels.tasks_panel import TasksPanel
from goroscope.ui.selection import GoroutineRef, TaskRef, TimeRange

pytestmark = pytest.mark.gui

TRACES_WITH_TASKS = ["go1.27/annotations.trace", "go1.22/annotations.trace", "go1.25/service.trace"]


def _oracle(trace: str) -> dict:
    ver, name = trace.split("/")
    return json.loads((EXPECTED / f"{ver}-{name.removesuffix('.trace')}.summary.json").read_text())


def _ready(qtbot, panel, n: int = 1) -> None:
    qtbot.waitUntil(lambda: panel.ready_count >= n and not panel.busy, timeout=60_000)


@pytest.mark.parametrize("trace", TRACES_WITH_TASKS)
def test_types_histograms_and_regions_equal_the_oracle(qtbot, trace):
    path = TRACES / trace
    panel, _ = make_panel(qtbot, TasksPanel, path)
    _ready(qtbot, panel)
    want = _oracle(trace)
    a = analysis_of(path)
    d = panel.data
    ty = d.types
    ours = dict(zip(ty.names, ty.count.tolist(), strict=True))
    if 0 in a.tasks:  # the background task: in Go's summary, not a task of the trace
        ours[""] = ours.get("", 0) + 1
    assert ours == want["task_types"]
    assert int(ty.complete.sum()) == want["tasks_complete"]
    stats = task_stats(a)
    for j, name in enumerate(ty.names):
        assert ty.hist[j] == stats[name]["histogram"], name
        assert int(ty.complete[j]) == stats[name]["complete"]
    rt = d.region_types
    # Go's summary gives a goroutine created inside a region a fake region named "" (the
    # creator's task; summary.go "fake region description"): not a user region
    regions = {k: v for k, v in want.get("regions", {}).items() if k != ""}
    assert dict(zip(rt.names, rt.count.tolist(), strict=True)) == regions
    # the running time inside each region type = Go's region exec time
    for j, name in enumerate(rt.names):
        panel.select_region_type(j)
        _ready(qtbot, panel)
        parts, used, total = panel.breakdown
        assert used == total == int(rt.count[j])
        assert parts.get("running", 0) == want["region_exec_ns"][name], name
        m = panel.breakdown_model
        assert {m.data(m.index(i, 0)) for i in range(m.rowCount())} == set(parts)


def test_bucket_click_lists_exactly_its_tasks(qtbot):
    path = TRACES / "go1.27/annotations.trace"
    panel, ctx = make_panel(qtbot, TasksPanel, path)
    _ready(qtbot, panel)
    d = panel.data
    j = d.types.names.index("заказ/order")
    panel.select_type(j)
    assert panel.type_row == j
    stats = task_stats(analysis_of(path))["заказ/order"]
    log_div = math.log(math.pow(10, 1 / 5))
    for bucket in stats["histogram"]:
        want = {
            i["id"]
            for i in stats["instances"]
            if i["duration_ns"] is not None
            and (int(math.log(i["duration_ns"]) / log_div) if i["duration_ns"] > 0 else 0) == bucket
        }
        qtbot.mouseClick(
            panel.hist.viewport(), Qt.MouseButton.LeftButton, pos=panel.hist_pos_of(bucket)
        )
        assert panel.bucket == bucket
        m = panel.inst_model
        rows = [m.data(m.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(m.rowCount())]
        assert {int(panel.timeline.tasks.task_id[r]) for r in rows} == want
    # an instance's links: the task and its goroutine
    m = panel.inst_model
    task_row = m.data(m.index(0, 0), Qt.ItemDataRole.UserRole)
    rect = panel.inst_view.visualRect(m.index(0, 0))
    with qtbot.waitSignal(ctx.selection.revealed, timeout=5000):
        qtbot.mouseClick(panel.inst_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert ctx.selection.current == TaskRef(task_row)
    g = m.data(m.index(0, 3), Qt.ItemDataRole.UserRole)
    rect = panel.inst_view.visualRect(m.index(0, 3))
    qtbot.mouseClick(panel.inst_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert ctx.selection.current == GoroutineRef(g)


def _walk(model, parent=QModelIndex()):  # noqa: B008
    for r in range(model.rowCount(parent)):
        idx = model.index(r, 0, parent)
        yield idx
        yield from _walk(model, idx)


def test_tree_and_selection_round_trip(qtbot, qtmodeltester):
    panel, ctx = make_panel(qtbot, TasksPanel, TRACES / "go1.27/annotations.trace")
    _ready(qtbot, panel)
    tl, m = panel.timeline, panel.tree_model
    seen = []
    for idx in _walk(m):
        r = m.task_row(idx)
        seen.append(r)
        parent = m.parent(idx)
        want_parent = np.flatnonzero(tl.tasks.task_id == tl.tasks.parent_id[r])
        if parent.isValid():
            assert tl.tasks.task_id[m.task_row(parent)] == tl.tasks.parent_id[r]
        else:
            assert len(want_parent) == 0  # a root: no parent task in the trace
        assert m.index_of(r) == idx
    assert sorted(seen) == list(range(len(tl.tasks)))
    # grandchildren exist (the tree spans more than one level)
    assert any(m.parent(m.parent(i)).isValid() for i in _walk(m))
    qtmodeltester.check(m)
    for model in (panel.types_model, panel.rtypes_model, panel.inst_model, panel.rinst_model):
        qtmodeltester.check(model)

    # panel → selection: the current task becomes TaskRef
    deep = next(i for i in _walk(m) if m.parent(m.parent(i)).isValid())
    r = m.task_row(deep)
    for a in m.ancestors(r):
        panel.tree.expand(m.index_of(a))
    with qtbot.waitSignal(ctx.selection.changed, timeout=5000):
        panel.tree.setCurrentIndex(deep)
    assert ctx.selection.current == TaskRef(r)
    # double click reveals it
    panel.tree.scrollTo(deep)
    rect = panel.tree.visualRect(deep)
    with qtbot.waitSignal(ctx.selection.revealed, timeout=5000) as sig:
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [TaskRef(r)]
    # the goroutine cell is a link
    gidx = m.index(deep.row(), 3, m.parent(deep))
    panel.tree.scrollTo(gidx)
    rect = panel.tree.visualRect(gidx)
    assert rect.isValid()
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert ctx.selection.current == GoroutineRef(int(tl.tasks.begin_g[r]))

    # selection → panel: a TaskRef from elsewhere selects (and unfolds) its row
    other = next(i for i in reversed(list(_walk(m))) if m.parent(i).isValid())
    ro = m.task_row(other)
    panel.tree.collapseAll()
    ctx.selection.set(TaskRef(ro))
    assert panel.selected_task() == ro
    assert panel.tree.isExpanded(m.parent(other))
    ctx.selection.set(TimeRange(0, 10))  # not a task: the tree keeps its row
    assert panel.selected_task() == ro


def test_region_instance_links(qtbot):
    panel, ctx = make_panel(qtbot, TasksPanel, TRACES / "go1.27/annotations.trace")
    _ready(qtbot, panel)
    panel.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.rinst_view.isVisible() and panel.rinst_view.width() > 100)
    qtbot.wait(20)  # one layout pass of the newly shown tab
    m = panel.rinst_model
    assert m.rowCount() > 0
    d, tl = panel.data, panel.timeline
    src = m.source_row(0)
    s, dur = m.column(1).values[src], m.column(2).values[src]
    for col, want in (
        ("Goroutine", GoroutineRef(int(m.column(0).values[src]))),
        ("Start", TimeRange(int(s), int(s + dur))),
    ):
        idx = m.index(0, m.column_index(col))
        panel.rinst_view.scrollTo(idx)
        rect = panel.rinst_view.visualRect(idx)
        assert rect.isValid()
        with qtbot.waitSignal(ctx.selection.revealed, timeout=5000):
            qtbot.mouseClick(
                panel.rinst_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
            )
        assert ctx.selection.current == want
    # the listed regions are exactly those of the chosen type, longest first
    k = panel.region_type_row
    assert m.rowCount() == int(np.sum(d.region_type_row == k)) == int(d.region_types.count[k])
    durs = [m.data(m.index(i, 2), Qt.ItemDataRole.UserRole) for i in range(m.rowCount())]
    assert durs == sorted(durs, reverse=True)
    assert len(tl.regions) >= m.rowCount()


def test_tree_fetches_the_top_level_in_pieces(qtbot, qtmodeltester, monkeypatch):
    """A trace with many root tasks exposes FETCH_ROWS roots at a time (a reset lays out
    only those); fetchMore and index_of bring in the rest; every task is still reached."""
    from goroscope.ui.models import task_tree_model

    monkeypatch.setattr(task_tree_model, "FETCH_ROWS", 2)
    panel, _ctx = make_panel(qtbot, TasksPanel, TRACES / "go1.27/annotations.trace")
    _ready(qtbot, panel)
    d = panel.data
    m = task_tree_model.TaskTreeModel()  # no view: nothing fetches behind our back
    m.set_data(panel.timeline, d)
    n_roots = len(d.children(-1))
    assert n_roots > 2
    assert m.rowCount() == 2
    assert m.canFetchMore(QModelIndex())
    last_root = int(d.children(-1)[-1])
    idx = m.index_of(last_root)  # fetches up to the row it needs
    assert idx.isValid()
    assert m.rowCount() == n_roots
    assert m.task_row(m.index(n_roots - 1, 0)) == last_root
    assert not m.canFetchMore(QModelIndex())
    assert sorted(m.task_row(i) for i in _walk(m)) == list(range(len(d.parent_row)))
    m.set_data(panel.timeline, d)  # a reset starts over with the first piece
    assert m.rowCount() == 2
    while m.canFetchMore(QModelIndex()):
        m.fetchMore(QModelIndex())
    assert m.rowCount() == n_roots
    m.set_data(panel.timeline, d)
    qtmodeltester.check(m)  # (fetches as it checks)
    # the panel's view fetched what it shows; following a task selection still works
    assert panel.tree_model.rowCount() >= 2


def test_a_selected_task_shows_its_types_histogram_and_bucket(qtbot):
    """Seen on screenshots: with a task selected the histogram showed the most common
    type (another one); now the task's type and the bucket holding its duration are
    shown, and that bucket's list holds the task."""
    path = TRACES / "go1.27/annotations.trace"
    panel, ctx = make_panel(qtbot, TasksPanel, path)
    _ready(qtbot, panel)
    tl, d = panel.timeline, panel.data
    busiest = int(np.argmax(d.types.count))
    # a complete task of another type than the one shown first
    r = next(i for i in range(len(tl.tasks)) if d.type_row[i] != busiest and d.duration_ns[i] >= 0)
    assert panel.type_row == busiest
    ctx.selection.set(TaskRef(r))
    assert panel.type_row == int(d.type_row[r])
    name = d.types.names[panel.type_row]
    assert name == tl.strings[int(tl.tasks.type[r])]
    assert name in panel.hist_label.text()
    # the bucket: Go's histogram bucket of the duration (log base 10^(1/5))
    dur = int(tl.tasks.end_ns[r] - tl.tasks.start_ns[r])
    assert dur == int(d.duration_ns[r])
    want = int(math.floor(math.log(dur) / math.log(10 ** (1 / 5))))
    assert panel.bucket == want
    assert r in set(panel.inst_model.column(0).values.tolist())  # the bucket's list


def test_tree_is_filled_after_the_data_relay_not_inside_it(qtbot):
    """bench_gui --stall after big.trace: the data's relay (tables' fit, histogram,
    6.8 ms) and the tree's layout (7.7 ms; scheduled by the model's reset) ran back to
    back, 16.2 ms. Now the relay fills the tables and a zero timer fills the tree after
    it; the tree shows the same tasks (every task once, under its parent task)."""
    panel, _ctx = make_panel(qtbot, TasksPanel, TRACES / "go1.27/annotations.trace")
    _ready(qtbot, panel)
    d, tl, m = panel.data, panel.timeline, panel.tree_model
    calls = []
    in_relay = []
    show_data, set_data = panel._show_data, m.set_data

    def relay(data):
        in_relay.append(True)
        try:
            show_data(data)
        finally:
            in_relay.pop()
        calls.append("relay")

    def fill(*a):
        calls.append("tree inside the relay" if in_relay else "tree")
        set_data(*a)

    m.clear()
    m.set_data = fill
    n = panel.ready_count
    relay(d)
    assert calls == ["relay"]  # the relay did not fill the tree
    assert m.rowCount() == 0
    assert panel.busy  # the tree's fill is pending
    _ready(qtbot, panel, n + 1)
    assert calls == ["relay", "tree"]
    # the same tree: every task once, its parent the task with its parent ID
    seen = {}
    for idx in _walk(m):
        p = m.parent(idx)
        seen[m.task_row(idx)] = m.task_row(p) if p.isValid() else -1
    assert sorted(seen) == list(range(len(tl.tasks)))
    for r, p in seen.items():
        want = np.flatnonzero(tl.tasks.task_id == tl.tasks.parent_id[r])
        assert p == (int(want[0]) if len(want) else -1)
    assert panel.tree.columnWidth(0) == 140  # the fill's widths
