"""Stack IDs are any uint64 on the wire: a real trace with every stack ID moved to 2^40+ or
2^63+ (consistently in the stack tables and in every event that names a stack) gives the
same goroutine names and unblock edges as the trace with the runtime's small IDs.

``gen << 40 | stack_id`` keys made a stack ID >= 2^40 another generation: the span model
lost (or took another generation's) goroutine start functions, ``unblock_edges`` raised
IndexError or lost the unblockers' stacks. The rewrite is a port of Go's
``internal/trace/raw`` reader/writer (events by the spec table, each ``EventBatch`` size
recomputed); :func:`test_rewrite_is_a_valid_trace` checks with Go's reader (tracecount)
that the rewritten file is a valid trace with the same events.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess

import numpy as np
import pytest
from tests.analysis.conftest import TESTDATA
from tests.tracegen import uvarint

from goroscope.format.spec import EVENT_SPECS, EventType
from goroscope.format.version import Version

TRACES = ["go1.22/cpuprofile", "go1.23/service", "go1.26/annotations", "go1.27/cgo"]
OFFSETS = [1 << 40, 1 << 63]
#: batches the rewrite makes stay below Go's ``MaxBatchSize`` (64 KiB)
MAX_BATCH = 60_000
TRACECOUNT = "/root/.cache/goroscope/go/go1.27.3/go/bin/tracecount"


def _read_uv(data: bytes, pos: int) -> tuple[int, int]:
    x = shift = 0
    while True:
        b = data[pos]
        pos += 1
        x |= (b & 0x7F) << shift
        if b < 0x80:
            return x, pos
        shift += 7


def _read_event(data: bytes, pos: int) -> tuple[int, list[int], bytes | None, int]:
    """One event of Go's raw stream at ``pos``: (type, args (+frames), data, next pos)."""
    typ = data[pos]
    spec = EVENT_SPECS[typ]
    assert spec.name, f"event type {typ} at {pos}"
    pos += 1
    args = []
    for _ in spec.args:
        a, pos = _read_uv(data, pos)
        args.append(a)
    if spec.is_stack:
        for _ in range(4 * args[1]):
            a, pos = _read_uv(data, pos)
            args.append(a)
    payload = None
    if spec.has_data:
        n, pos = _read_uv(data, pos)
        payload, pos = data[pos : pos + n], pos + n
    return typ, args, payload, pos


def _encode(typ: int, args: list[int], payload: bytes | None) -> bytes:
    out = bytearray([typ])
    for a in args:
        out += uvarint(a)
    if payload is not None:
        out += uvarint(len(payload)) + payload
    return bytes(out)


def rewrite_stack_ids(data: bytes, offset: int) -> bytes:
    """``data`` with every stack ID ``s != 0`` replaced by ``s + offset``: the ``Stack``
    entries' IDs and every stack argument of an event (``EventSpec.stack_ids``, CPU samples
    and ``GoCreate``'s new stack included); batch sizes recomputed.

    A batch that would outgrow :data:`MAX_BATCH` is continued in a new batch of the same M
    (header time: the time reached so far, so every ``dt`` stays; a stack, string or CPU
    sample batch repeats its leading ``Stacks``/``Strings``/``CPUSamples`` event)."""
    Version(int(data[5:7]))  # a Go 1.22+ wire trace ("go 1.NN trace\0\0\0")
    out = bytearray(data[:16])
    pos = 16
    moved = 0
    while pos < len(data):
        typ, args, payload, pos = _read_event(data, pos)
        if typ != EventType.EventBatch:  # ExperimentalBatch, EndOfGeneration: as they are
            out += _encode(typ, args, payload)
            continue
        gen, m, base = args[:3]
        now = base  # time of the last timed event so far (Go: each dt adds to it)
        end = pos + args[3]
        head = b""
        body = bytearray()
        while pos < end:
            ev, a, p, pos = _read_event(data, pos)
            spec = EVENT_SPECS[ev]
            ids = (0,) if ev == EventType.Stack else spec.stack_ids
            for i in ids:
                if a[i]:
                    a[i] += offset
                    moved += 1
            enc = _encode(ev, a, p)
            if not body and not spec.args:  # Stacks, Strings, CPUSamples, Sync
                head = enc
            elif len(body) + len(enc) > MAX_BATCH:
                out += _encode(typ, [gen, m, base, len(body)], None) + body
                body, base = bytearray(head), now
            body += enc
            if spec.timed:
                now += a[0]
        assert pos == end
        out += _encode(typ, [gen, m, base, len(body)], None) + body
    assert moved
    return bytes(out)


@functools.cache
def original(name: str) -> bytes:
    return (TESTDATA / "traces" / f"{name}.trace").read_bytes()


@functools.cache
def rewritten(name: str, offset: int) -> bytes:
    return rewrite_stack_ids(original(name), offset)


def _stack_ids(data: bytes) -> set[int]:
    from goroscope.model import read_trace

    ev = read_trace(data).events
    return set(ev.stack_id.tolist()) | set(ev.transition_stack_id.tolist())


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("name", TRACES)
def test_rewrite_moves_every_stack_id(name, offset):
    """The rewritten trace names only stacks >= offset (so the tests below test them)."""
    ids = _stack_ids(rewritten(name, offset)) - {0}
    assert ids
    assert min(ids) >= offset
    assert ids == {s + offset for s in _stack_ids(original(name)) - {0}}


@pytest.mark.skipif(not os.access(TRACECOUNT, os.X_OK), reason="Go's tracecount not built")
@pytest.mark.parametrize("name", TRACES)
def test_rewrite_is_a_valid_trace(name, tmp_path):
    """Go's reader accepts the rewritten file and counts the same events."""

    def counts(data: bytes) -> dict:
        p = tmp_path / "t.trace"
        p.write_bytes(data)
        r = subprocess.run([TRACECOUNT, "-json", "-v", str(p)], capture_output=True, check=True)
        d = json.loads(r.stdout)
        assert "error" not in d, d
        keys = ("events", "by_kind", "detail", "generations", "span_ns", "goroutines", "procs")
        return {k: d[k] for k in (*keys, "threads")}

    want = counts(original(name))
    for off in OFFSETS:
        assert counts(rewritten(name, off)) == want, off


def _names(data: bytes) -> list[tuple[int, str]]:
    from goroscope.model import TraceChunks
    from goroscope.model.spans import build_timeline

    tl = build_timeline(TraceChunks(data, chunk_events=4099))
    sf = tl.goroutines.start_func.tolist()
    return [
        (g, tl.strings[c] if c >= 0 else "")
        for g, c in zip(tl.goroutines.goid.tolist(), sf, strict=True)
    ]


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("name", TRACES)
def test_goroutine_start_functions_ignore_stack_id_values(name, offset):
    want = _names(original(name))
    assert any(n for _, n in want)
    assert _names(rewritten(name, offset)) == want


def _edges(data: bytes) -> list[tuple]:
    from goroscope.analysis.edges import unblock_edges

    e = unblock_edges(data, chunk_events=4099)
    cols = (e.goid, e.time_ns, e.from_state, e.by_goid, e.by_proc, e.by_thread)
    return [
        (*row, [tuple(f) for f in e.frames(i)])
        for i, row in enumerate(zip(*(c.tolist() for c in cols), strict=True))
    ]


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("name", TRACES)
def test_unblock_edges_ignore_stack_id_values(name, offset):
    want = _edges(original(name))
    assert sum(1 for r in want if r[-1]) > 0
    assert _edges(rewritten(name, offset)) == want


def test_edges_of_a_table_ignore_stack_id_values():
    """The EventTable path (one table, all generations) as well as the bytes path."""
    from goroscope.analysis.edges import unblock_edges
    from goroscope.model import read_trace

    name = "go1.22/cpuprofile"
    want = unblock_edges(read_trace(original(name)).events)
    got = unblock_edges(read_trace(rewritten(name, 1 << 40)).events)
    assert np.array_equal(got.goid, want.goid)
    assert [got.frames(i) for i in range(len(got))] == [want.frames(i) for i in range(len(want))]
