"""Bulk unblock edges and CPU flame graphs against independent per-event computations.

* :func:`goroscope.analysis.edges.unblock_edges` equals a plain loop over Go's event
  stream (``read_trace``: every goroutine transition to Runnable, its context and
  stack), and agrees with :class:`goroscope.model.spans.DetailResolver`, which
  re-derives the unblocker of one span at a time from a standalone re-read.
* :func:`goroscope.analysis.profiles.cpu_flame_graph` per goroutine and per time
  range counts exactly the ``StackSample`` events of that goroutine / range, with
  ``self`` summing to the samples whose leaf is the node.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from tests.analysis.conftest import TESTDATA

from goroscope.analysis import profiles as P
from goroscope.analysis.edges import unblock_edges
from goroscope.analysis.summary import analyze
from goroscope.model import read_trace
from goroscope.model.events import EventKind, GoState, ResourceKind

TRACES = ["go1.22/annotations", "go1.24/iterpull", "go1.26/cgo", "go1.27/service"]


@functools.cache
def events(name: str):
    res = read_trace((TESTDATA / "traces" / f"{name}.trace").read_bytes())
    return res.events


def _loop_edges(ev, goids=None, t0=None, t1=None) -> list[tuple]:
    out = []
    for i in range(len(ev)):
        if ev.kind[i] != EventKind.StateTransition:
            continue
        if ev.resource_kind[i] != ResourceKind.Goroutine or ev.state_to[i] != GoState.Runnable:
            continue
        g, t = int(ev.resource_id[i]), int(ev.time_ns[i])
        if goids is not None and g not in goids:
            continue
        if (t0 is not None and t < t0) or (t1 is not None and t >= t1):
            continue
        gen, sid = int(ev.gen_idx[i]), int(ev.stack_id[i])
        frames = ev.generations[gen].frames(sid) if sid else []
        out.append(
            (
                g,
                t,
                int(ev.state_from[i]),
                int(ev.goroutine[i]),
                int(ev.proc[i]),
                int(ev.thread[i]),
                [tuple(f) for f in frames],
            )
        )
    return out


def _rows(e, rows=None) -> list[tuple]:
    rows = range(len(e)) if rows is None else rows
    return [
        (
            int(e.goid[r]),
            int(e.time_ns[r]),
            int(e.from_state[r]),
            int(e.by_goid[r]),
            int(e.by_proc[r]),
            int(e.by_thread[r]),
            [tuple(f) for f in e.frames(r)],
        )
        for r in rows
    ]


@pytest.mark.parametrize("name", TRACES)
def test_unblock_edges_equal_event_loop(name):
    ev = events(name)
    e = unblock_edges(TESTDATA / "traces" / f"{name}.trace")
    want = _loop_edges(ev)
    assert _rows(e) == want
    assert (np.diff(e.time_ns) > 0).all()
    # unblocked by someone: the scenarios really have unblockers
    assert ((e.from_state == GoState.Waiting) & (e.by_goid >= 0)).any()
    # per goroutine and filtered passes give the same rows
    g = int(e.goid[len(e) // 2])
    assert _rows(e, e.of(g)) == [w for w in want if w[0] == g]
    assert _rows(e, e.unblocked_by(g)) == [w for w in want if w[0] == g and w[2] == GoState.Waiting]
    t0, t1 = int(e.time_ns[len(e) // 4]), int(e.time_ns[len(e) // 2])
    part = unblock_edges(ev, goids=[g, 1], start_ns=t0, end_ns=t1)
    assert _rows(part) == _loop_edges(ev, {g, 1}, t0, t1)


def test_unblock_edges_agree_with_detail_resolver():
    """The bulk columns give the unblocker DetailResolver re-derives span by span."""
    from goroscope.format import TraceFile, index_trace
    from goroscope.model.spans import DetailResolver, build_timeline

    path = TESTDATA / "traces/go1.27/service.trace"
    tf = TraceFile(path)
    tl = build_timeline([events("go1.27/service")])
    dr = DetailResolver(tf, index_trace(tf), tl)
    e = unblock_edges(path)
    checked = 0
    for g in range(0, tl.n_goroutines, max(1, tl.n_goroutines // 60)):
        row = tl.goroutine_row(g)
        goid = int(tl.goroutines.goid[g])
        rows = e.of(goid)
        runnable = np.flatnonzero(row.state == GoState.Runnable)
        assert len(runnable) == len(rows)
        for i, r in zip(runnable.tolist()[:20], rows.tolist()[:20], strict=False):
            d = dr.span(g, i)
            assert d is not None
            assert d.by_g == (
                -1
                if e.by_goid[r] < 0
                else int(np.flatnonzero(tl.goroutines.goid == e.by_goid[r])[0])
            )
            assert [tuple(f) for f in d.stack] == [tuple(f) for f in e.frames(r)]
            checked += 1
    assert checked > 40


def _leaf_counts(tree: dict) -> int:
    assert tree["value"] == tree["self"] + sum(c["value"] for c in tree["children"])
    return tree["self"] + sum(_leaf_counts(c) for c in tree["children"])


@pytest.mark.parametrize("name", ["go1.23/cpuprofile", "go1.27/cpuprofile"])
def test_cpu_flame_graph_per_goroutine_and_range_counts_samples(name):
    path = TESTDATA / "traces" / f"{name}.trace"
    if not path.exists():
        pytest.skip("no such trace")
    ev = events(name)
    samples = np.flatnonzero(ev.kind == EventKind.StackSample)
    assert len(samples) > 10
    a = analyze(path, profiles=("cpu",))
    whole = P.cpu_flame_graph(a)
    assert whole["value"] == _leaf_counts(whole) == len(samples)
    g = ev.goroutine[samples]
    top = int(np.bincount(g[g >= 0]).argmax())
    tree = P.cpu_flame_graph(a, goid=top)
    assert tree["value"] == int((g == top).sum())
    t = ev.time_ns[samples]
    t0, t1 = int(t[len(t) // 3]), int(t[2 * len(t) // 3])
    tree = P.cpu_flame_graph(a, start_ns=t0, end_ns=t1)
    assert tree["value"] == int(((t >= t0) & (t < t1)).sum())
    # the leaf function of one sample carries self time
    frames = ev.generations[int(ev.gen_idx[samples[0]])].frames(int(ev.stack_id[samples[0]]))
    node = whole
    for _pc, fn, _f, _l in reversed(frames[: P.PPROF_MAX_STACK]):
        node = next(c for c in node["children"] if c["name"] == fn)
    assert node["self"] > 0


def test_blocking_flame_graph_totals_equal_profile():
    a = analyze(TESTDATA / "traces/go1.27/service.trace", profiles=P.BLOCKING_KINDS)
    for kind in P.BLOCKING_KINDS:
        tree = P.blocking_flame_graph(a, kind)
        assert tree["value"] == sum(r.time_ns for r in a.profiles[kind])
        assert _leaf_counts(tree) == tree["value"]
        sub = P.blocking_flame_graph(a, kind, P.region_intervals(a), value="count")
        assert sub["value"] == sum(
            r.count for r in P.filtered_blocking_profile(a, kind, P.region_intervals(a))
        )
