"""Each numba kernel of the analyses equals its pure-Python reference twin.

* ``FastSummarizer`` (``_kernels.summarize``) ↔ ``_summary_reference.Summarizer``: every
  goroutine summary (stats, maps, regions with their stats) and every task;
* ``FastMutatorUtilization`` (``_kernels.mutator_util``) ↔ ``MutatorUtilization``: the
  utilization series, bit for bit;
* ``FastProfileCollector`` (``_kernels.blocking_intervals``) ↔ ``ProfileCollector``: every
  profile record;
* the transition digests (``_kernels.format_transitions``) ↔ one f-string per line.

Chunk sizes vary (1 row, a prime, big) so the state carried between chunks is
exercised; results may not depend on them.
"""

from __future__ import annotations

import pytest
from tests.analysis.conftest import FULL, TESTDATA

from goroscope.analysis._fast import FastMutatorUtilization, FastProfileCollector, FastSummarizer
from goroscope.analysis._mmu_reference import MutatorUtilization
from goroscope.analysis._profiles_reference import ProfileCollector
from goroscope.analysis._summary_reference import Summarizer
from goroscope.analysis.summary import _Digests, analyze
from goroscope.model import TraceChunks

SMALL = [
    "go1.22/annotations",
    "go1.23/iterpull",
    "go1.25/cgo",
    "go1.26/flightrecorder",
    "go1.27/cpuprofile",
]
LARGE = ["go1.22/service", "go1.24/gc", "go1.27/service", "go1.27/gc"]
KINDS = ("net", "sync", "syscall", "sched", "cpu")


def _traces():
    out = [pytest.param(t, id=t) for t in SMALL]
    for t in LARGE:
        marks = (
            [] if FULL or t == "go1.27/service" else [pytest.mark.skip(reason="GOROSCOPE_FULL=1")]
        )
        out.append(pytest.param(t, id=t, marks=marks))
    return out


def _chunks(name: str, size: int):
    return list(
        TraceChunks((TESTDATA / "traces" / f"{name}.trace").read_bytes(), chunk_events=size)
    )


def _records(prof: dict) -> dict:
    return {k: sorted((tuple(r.frames), r.count, r.time_ns) for r in v) for k, v in prof.items()}


@pytest.mark.parametrize("name", _traces())
@pytest.mark.parametrize("size", [997, 1 << 16])
def test_fast_equals_reference(name, size):
    chunks = _chunks(name, size)
    ref_s, fast_s = Summarizer(), FastSummarizer()
    ref_u, fast_u = MutatorUtilization(), FastMutatorUtilization()
    ref_p, fast_p = ProfileCollector(KINDS), FastProfileCollector(KINDS)
    dig = _Digests()
    # tiny budgets: records spill to a temporary file and hash in many ID ranges
    spilled = _Digests(mem_bytes=1000, pass_rows=777)
    for c in chunks:
        for obj in (ref_s, fast_s, ref_u, fast_u, ref_p, fast_p, dig, spilled):
            obj.add(c)
    assert dig.result(fast=True) == dig.result(fast=False)
    assert spilled.result(fast=True) == dig.result(fast=True)
    assert spilled.result(fast=False, consume=True) == dig.result(fast=True)
    gs, tasks = ref_s.finalize()
    assert fast_s.finalize() == (gs, tasks)
    assert fast_u.finish() == ref_u.finish()
    a = analyze(chunks)
    assert _records(fast_p.finish(a)) == _records(ref_p.finish(a))


def test_one_row_chunks_carry_state():
    """Every piece of state crosses a chunk boundary when chunks are one event long."""
    chunks = _chunks("go1.22/annotations", 1)[:6000]
    ref, fast = Summarizer(), FastSummarizer()
    for c in chunks:
        ref.add(c)
        fast.add(c)
    assert fast.finalize() == ref.finalize()


def test_analyze_fast_equals_reference_and_legacy_rules():
    path = TESTDATA / "traces/go1.25/service.trace"
    for minor in (25, 27):
        a = analyze(path, profiles=KINDS, profile_tool_minor=minor)
        b = analyze(path, profiles=KINDS, profile_tool_minor=minor, reference=True)
        assert a.goroutines == b.goroutines
        assert a.tasks == b.tasks
        assert (a.util_times_ns, a.util) == (b.util_times_ns, b.util)
        assert _records(a.profiles) == _records(b.profiles)
