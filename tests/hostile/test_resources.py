"""No allocation sized by an untrusted number: huge IDs and counts in otherwise valid traces.

Targeted malformed input (hand-built with ``tests/tracegen.py``, as STYLE allows for such
cases): one generation where a goroutine ID, proc ID, thread ID, task ID, stack ID or the
GOMAXPROCS metric is 2^26 … 2^64-2. Every pipeline must answer (a result, or TraceFormatError) and
the worker's RSS may grow by less than :data:`GROWTH_LIMIT` while it runs the case. The worker runs under a 6 GiB address-space limit, so an
allocation of terabytes shows up as a MemoryError finding, not a dead machine.
"""

from __future__ import annotations

import pytest
from tests.hostile.conftest import assert_no_findings
from tests.tracegen import GoStatus, ProcStatus, Trace

from goroscope.format.version import Version

GROWTH_LIMIT = 200 << 20
HUGE = (1 << 26, 1 << 31, 1 << 40, 1 << 62, (1 << 64) - 2)
FRAME = [(0x401000, "main.main", "main.go", 7)]


def _trace(version: Version, goid=1, procid=0, thread=0, gomaxprocs=4, task=1, stack=1) -> bytes:
    t = Trace(version)
    g = t.generation(1)
    g.stacks[tuple(FRAME)] = stack  # the wire ID of FRAME's stack (any uint64 but 0)
    b = g.batch(thread=thread, time=0)
    b.event("ProcStatus", procid, ProcStatus.Running)
    b.event("GoStatus", goid, thread, GoStatus.Running)
    b.event("ProcsChange", gomaxprocs, FRAME)
    b.event("UserTaskBegin", task, 0, "t", FRAME)
    b.event("GoBlock", "sleep", FRAME)
    return t.to_bytes()


def _params():
    fields = ("goid", "procid", "thread", "gomaxprocs", "task", "stack")
    return [pytest.param(f, n, id=f"{f}={n}") for f in fields for n in HUGE]


@pytest.mark.parametrize("version", [Version.GO122, Version.GO126], ids=["go1.22", "go1.26"])
@pytest.mark.parametrize(("field", "value"), _params())
def test_huge_value_allocates_nothing_big(worker, version, field, value):
    r = worker.run(f"{field}={value}", _trace(version, **{field: value}))
    assert_no_findings([r])
    assert r.peak_rss > 0
    assert r.growth < GROWTH_LIMIT, f"RSS grew {r.growth >> 20} MB while the case ran"


def test_intact_control_trace(worker):
    """The same trace with ordinary values reads whole (so the cases above test the values)."""
    for v in (Version.GO122, Version.GO126):
        r = worker.run("control", _trace(v))
        assert {p: o for p, (o, _) in r.outcomes.items()}["stats"] == "ok"
        assert all(o == "ok" for o, _ in r.outcomes.values()), r.outcomes


@pytest.mark.parametrize("stack", [1, (1 << 40) + 1, (1 << 62) + 5, (1 << 64) - 1])
def test_huge_stack_id_keeps_its_frames(stack):
    """Stack IDs are any uint64 on the wire: a blocking interval and a CPU sample keep the
    frames of the stack table's entry whatever the ID (``gen << 40 | id`` handles made a
    stack ID >= 2^40 an IndexError or another, empty stack)."""
    from goroscope.analysis.summary import analyze

    t = Trace(Version.GO122)
    g = t.generation(1)
    g.stacks[tuple(FRAME)] = stack
    b = g.batch(thread=0, time=0)
    b.event("ProcStatus", 0, ProcStatus.Running)
    b.event("GoStatus", 1, 0, GoStatus.Running)
    b.event("GoBlock", "chan receive", FRAME)
    b.event("GoStatus", 2, 0, GoStatus.Running)
    b.event("GoUnblock", 1, 1, FRAME)
    g.cpu_sample(3, 0, 0, 2, FRAME)
    a = analyze(t.to_bytes(), profiles=("sync", "cpu"))
    assert a.error is None
    for kind in ("sync", "cpu"):
        recs = a.profiles[kind]
        assert [r.frames for r in recs] == [FRAME], (kind, recs)


@pytest.mark.parametrize("gmp", [0, 1, 2, 1 << 26, 1 << 40, (1 << 63) - 1, (1 << 64) - 1])
def test_mmu_twins_agree_on_any_gomaxprocs(gmp):
    """A real trace's GOMAXPROCS metric rewritten to ``gmp``: the MMU kernel (which now sizes
    its per-P state by the P IDs seen, not by the metric) equals the reference twin, GC work
    on a P outside [0, GOMAXPROCS) (Go: an index panic) included, and stays cheap."""
    import dataclasses

    import numpy as np
    from tests.analysis.conftest import TESTDATA

    from goroscope.analysis._fast import FastMutatorUtilization
    from goroscope.analysis._mmu_reference import MutatorUtilization
    from goroscope.model import EventKind, TraceChunks

    data = (TESTDATA / "traces/go1.25/cgo.trace").read_bytes()
    ref, fast = MutatorUtilization(), FastMutatorUtilization()
    seen = 0
    for c in TraceChunks(data, chunk_events=4099):
        codes = [i for i, s in enumerate(c.strings) if s == "/sched/gomaxprocs:threads"]
        rows = (c.kind == EventKind.Metric) & np.isin(c.name, codes)
        seen += int(rows.sum())
        c = dataclasses.replace(c, value=np.where(rows, np.uint64(gmp), c.value))
        ref.add(c)
        fast.add(c)
    assert seen > 0
    r = ref.finish()
    # GOMAXPROCS 0 (or -1 as Go's int reads 2^64-1) leaves Go's ps empty: no series
    assert r is not None
    assert (len(r[0]) > 0) == (0 < gmp < 1 << 63)
    assert fast.finish() == r
    assert fast.ps.nbytes < 1 << 16
