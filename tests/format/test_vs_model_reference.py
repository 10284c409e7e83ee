"""Differential test: ``format.decode`` equals the model's pure-Python Go port.

``goroscope.model._wire_reference`` is a slow, literal port of Go's ``batch.go`` +
``generation.go`` written by the model layer (validated there against
``go tool trace -d=parsed``). Every generation it installs must decode to the same
columns here (events with ``event_errors="per_thread"`` ≙ its ``cursor_errors``).
Skipped if that module is gone.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from tests.format import wire
from tests.format.conftest import committed_traces, find_goroot, is_v1

from goroscope.format import _kernels as K
from goroscope.format.decode import decode_generation
from goroscope.format.errors import TraceFormatError
from goroscope.format.index import index_trace
from goroscope.format.version import Version

ref = pytest.importorskip("goroscope.model._wire_reference")

TRACES = [p for p in committed_traces() if p.stat().st_size > 1000 and not is_v1(p)]


def _stacks(t) -> dict[int, list[list[int]]]:
    return {
        int(i): t.frames[int(s) : int(s) + int(n)].tolist()
        for i, s, n in zip(t.ids, t.frame_start, t.nframes, strict=True)
    }


def _cpu(c) -> list[tuple]:
    return sorted(zip(*(a.tolist() for a in (c.time_ns, c.thread, c.proc, c.goroutine, c.stack_id)), strict=True))  # fmt: skip


def assert_same(data: bytes) -> int:
    """Compare every generation the reference installs; returns how many."""
    theirs = ref.decode_all(data)
    if not theirs:
        return 0
    ix = index_trace(data)
    assert len(ix.generations) >= len(theirs)
    for g, d in enumerate(theirs):
        r = d.generation
        try:
            mine = decode_generation(data, ix, g, event_errors="per_thread")
        except TraceFormatError as e:  # pragma: no cover - shows the mismatch
            pytest.fail(f"generation {g}: reference installs it, we raise {e}")
        assert (mine.gen, mine.freq, mine.min_time_ns) == (r.gen, r.freq, r.min_time_ns)
        assert mine.clock == r.clock
        assert mine.experimental == r.experimental
        a, b = mine.events, r.events
        for f in ("ev_type", "time_ns", "thread", "args", "offset"):
            assert np.array_equal(getattr(a, f), getattr(b, f)), f
        # Their batch index counts event batches of the generation; ours are BatchIndex rows.
        gi = ix.generations
        rows = np.arange(gi.batch_start[g], gi.batch_end[g])
        ev_rows = rows[ix.batches.kind[rows] == K.KIND_EVENTS]
        assert np.array_equal(np.searchsorted(ev_rows, a.batch), b.batch)
        for f in ("ids", "offset", "length"):
            assert np.array_equal(getattr(mine.strings, f), getattr(r.strings, f)), f
        assert _stacks(mine.stacks) == _stacks(r.stacks)
        assert _cpu(mine.cpu_samples) == _cpu(r.cpu_samples)
        assert {m: (msg, off) for m, msg, off in mine.event_errors} == d.cursor_errors
    return len(theirs)


@pytest.mark.parametrize("path", TRACES, ids=[f"{p.parent.name}/{p.name}" for p in TRACES])
def test_committed_traces(path):
    assert assert_same(path.read_bytes()) > 0


def test_synthetic_and_fuzz_corpus():
    for v in (Version.GO122, Version.GO123, Version.GO125, Version.GO126):
        assert assert_same(wire.trace(v, [5, 6, 7])) == 3
    root = find_goroot()
    if root is not None:
        for p in sorted((root / "src/internal/trace/testdata/fuzz/FuzzReader").iterdir()):
            data = wire.parse_go_fuzz_file(p.read_text(encoding="utf-8"))
            if data.startswith(b"go 1.1") or data.startswith(b"go 1.21"):
                continue
            assert_same(data)


def test_frequency_zero_is_infinite_ns_per_tick():
    """Go: Frequency 0 is 'present'; 1/(0/1e9) = +Inf, every mul() → INT64_MIN (amd64)."""
    v = Version.GO126
    data = v.header + wire.batch(1, wire.NO, 5, wire.sync_data(v, freq=0)) + wire.batch(1, 3, 7, wire.ev(11, 1)) + b"\x34"  # fmt: skip
    assert assert_same(data) == 1
    g = decode_generation(data, index_trace(data), 0)
    # mul(dt) + mul(batch time) = INT64_MIN + INT64_MIN, which wraps to 0 as in Go.
    assert g.events.time_ns.tolist() == [0]
    assert g.min_time_ns == -(2**63)


def test_mutations_agree():
    """Damaged M batches: the per-M lazy cursor errors match the reference."""
    v2 = [p for p in TRACES if p.stat().st_size < 200_000]
    base = v2[0].read_bytes() if v2 else wire.trace(Version.GO126, [1, 2])
    rng = random.Random(11)
    for _ in range(40):
        m = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            m[rng.randrange(16, len(m))] = rng.randrange(256)
        assert_same(bytes(m))
