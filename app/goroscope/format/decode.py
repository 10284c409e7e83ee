"""Decode one generation into columns; count raw events like ``tracecount -raw``.

Layer L0. ``decode_generation(source, index, g)`` turns the batches of generation
row ``g`` of a ``TraceIndex`` into a ``columns.Generation`` (purely data, arrays
read-only). It reads only that generation's bytes, so memory stays bounded by
one generation; kernels release the GIL, so generations decode in parallel on
a thread pool. Validation follows Go's ``readGeneration``: frequency present,
clock snapshot present (1.25+), unique string and stack IDs, stack frames naming
existing strings, every event type known and timed, every size within bounds.
Any violation raises ``TraceFormatError(offset=..., generation=...)``.

Output arrays are allocated from *bytes present* (never from a number read from
the file) and returned as views trimmed to the decoded length.

Memory (HACKING.md § Memory): a generation's events cost 61 B each. Streaming
consumers reuse ``DecodeBuffers`` per worker thread and read the events in
chunks of whole batches (``iter_event_chunks``), which keeps resident memory at
a few MB per worker whatever the generation size. ``event_errors="per_thread"``
reproduces Go's lazy per-M cursors on damaged traces (HACKING.md § Damaged
traces per version).

``raw_counts(source)`` reproduces ``tracecount -raw -json``: Go's raw reader
walks the file as a flat stream of events with the header version's spec
prefix, so it counts batch headers (``EventBatch``, ``ExperimentalBatch``),
section markers (``Strings``, ``Stacks``, ``CPUSamples``, ``Sync``), table
entries, ``Frequency``/``ClockSnapshot`` and ``EndOfGeneration`` bytes, and
stops at the first type outside the version's prefix (e.g. AllocFree events in
a Go 1.23/1.25 trace), reporting the counts so far and an error. See
HACKING.md § Raw event counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from goroscope.format import _kernels as K
from goroscope.format import spec
from goroscope.format.columns import (
    MAX_ARGS,
    CPUSampleColumns,
    EventColumns,
    Generation,
    StackTable,
    StringTable,
)
from goroscope.format.errors import TraceFormatError
from goroscope.format.index import SCAN_SEGMENT, TraceIndex, index_trace, kernel_error
from goroscope.format.tracefile import TraceFile, as_buffer
from goroscope.format.version import Version, parse_header

__all__ = [
    "DecodeBuffers",
    "RawCounts",
    "decode_generation",
    "iter_event_chunks",
    "raw_counts",
    "string_at",
    "warm_up",
]


class DecodeBuffers:
    """Reusable output arrays for streaming consumers of ``decode_generation``.

    Fresh memory costs more than decoding into it (the kernel must fault in and
    zero every page it writes: ~61 B per event; see HACKING.md § Memory). A
    consumer that looks at one generation at a time (statistics, export, the
    benchmark) passes one ``DecodeBuffers`` per worker thread: the columns of the
    returned ``Generation`` are then read-only views into these buffers and are
    **overwritten by the next decode with the same buffers** — copy what you keep.
    Buffers grow to the largest generation seen and never shrink. Not thread-safe:
    one instance per thread.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """An uninitialised array of ``shape`` (a view into a buffer kept under ``name``)."""
        a = self._arrays.get(name)
        if a is None or a.shape[0] < shape[0] or a.dtype != np.dtype(dtype):
            rows = shape[0] if a is None else max(shape[0], a.shape[0] + a.shape[0] // 4)
            a = np.empty((rows, *shape[1:]), dtype)
            self._arrays[name] = a
        return a[: shape[0]]

    @property
    def nbytes(self) -> int:
        """Bytes reserved (virtual; only pages written so far are resident)."""
        return sum(a.nbytes for a in self._arrays.values())


def _allocator(buffers: DecodeBuffers | None):
    if buffers is None:
        return lambda _name, shape, dtype: np.empty(shape, dtype)
    return buffers.get


def _ro(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


def _rows(index: TraceIndex, g: int, kind: int):
    gi, bi = index.generations, index.batches
    a, b = int(gi.batch_start[g]), int(gi.batch_end[g])
    sel = np.flatnonzero(bi.kind[a:b] == kind) + a
    return sel, bi.data_offset[sel], bi.size[sel]


def decode_generation(
    source: TraceFile | bytes | np.ndarray,
    index: TraceIndex,
    g: int,
    *,
    buffers: DecodeBuffers | None = None,
    events: bool = True,
    event_errors: str = "raise",
    frames: bool = True,
) -> Generation:
    """Decode generation row ``g`` (0-based position in ``index.generations``).

    The whole generation's events cost 61 bytes each in memory. To keep memory
    bounded by a chunk rather than a generation, pass ``events=False`` (tables,
    CPU samples and all generation-level validation only; ``events`` is empty)
    and stream the events with ``iter_event_chunks``.

    Parameters
    ----------
    source : the TraceFile (or bytes / uint8 array) ``index`` was built from
    index : from ``index_trace(source)``
    g : row in ``index.generations`` (not the generation number)
    buffers : reuse these output arrays (streaming; see ``DecodeBuffers``) instead of
        allocating fresh ones that the caller owns
    events : decode the timed events (default) or leave ``Generation.events`` empty
    frames : decode the stacks' frames (default) or leave ``stacks.frames`` empty (ids,
        ``frame_start``, ``nframes`` and all of Go's stack checks stay; for readers that only
        order and count: memory per distinct PC instead of 32 B per frame)
    event_errors : ``"raise"`` (default): a malformed event raises. ``"per_thread"``: like
        Go's lazy per-M cursors, a malformed event only ends its M's events and is
        reported in ``Generation.event_errors`` (tables and framing still raise)

    Raises
    ------
    TraceFormatError
        Any malformation inside the generation's batches.
    """
    buf = as_buffer(source)
    gi, bi = index.generations, index.batches
    if not 0 <= g < len(gi):
        raise IndexError(f"generation row {g} out of range (0..{len(gi) - 1})")
    gen = int(gi.gen[g])
    if gi.sync_status[g] != K.OK:
        raise kernel_error(gi.sync_status[g], gi.sync_offset[g], gen, "sync batch")
    freq = int(gi.freq[g])
    if not gi.has_freq[g]:
        raise TraceFormatError(
            "no frequency event found", offset=int(gi.byte_start[g]), generation=gen
        )
    if index.version >= Version.GO125 and not gi.has_clock[g]:
        raise TraceFormatError(
            "no clock snapshot event found", offset=int(gi.byte_start[g]), generation=gen
        )
    nspt = float(gi.ns_per_tick[g])

    alloc = _allocator(buffers)
    # Timed events of M batches, in file order.
    sel = _rows(index, g, K.KIND_EVENTS)[0] if events else np.zeros(0, np.int64)
    if event_errors not in ("raise", "per_thread"):
        raise ValueError(f"event_errors must be 'raise' or 'per_thread', not {event_errors!r}")
    errs: list[tuple[int, str, int]] | None = [] if event_errors == "per_thread" else None
    event_cols = _decode_events(buf, index, sel, nspt, gen, alloc, errs)
    strings = _decode_strings(buf, index, g, gen, alloc)
    stacks = _decode_stacks(buf, index, g, gen, strings, alloc, frames)
    cpu = _decode_cpu_samples(buf, index, g, gen, nspt, alloc)

    ex = np.flatnonzero(bi.kind[gi.batch_start[g] : gi.batch_end[g]] == K.KIND_EXPERIMENTAL)
    ex += int(gi.batch_start[g])
    experimental = tuple(
        (int(bi.exp[r]), int(bi.thread[r]), int(bi.data_offset[r]), int(bi.size[r]))
        for r in ex.tolist()
    )
    return Generation(
        gen=gen,
        freq=freq,
        min_time_ns=int(gi.first_ns[g]),
        events=event_cols,
        strings=strings,
        stacks=stacks,
        cpu_samples=cpu,
        clock=gi.clock(g),
        experimental=experimental,
        event_errors=tuple(errs or ()),
    )


def _go_event_message(code: int, typ: int) -> str:
    """Go's ``readTimedBaseEvent`` error text for kernel status ``code``."""
    if code == K.ERR_INVALID_TYPE:
        return f"found invalid event type: {typ}"
    if code == K.ERR_NOT_TIMED:
        return f"found event without a timestamp: type={typ}"
    if code == K.ERR_BAD_TIMESTAMP:
        return "found invalid uvarint for timestamp"
    return "found invalid uvarint"


def _decode_events(
    buf,
    index: TraceIndex,
    sel: np.ndarray,
    nspt: float,
    gen: int,
    alloc,
    errors: list[tuple[int, str, int]] | None = None,
) -> EventColumns:
    """Decode the M batches ``sel`` (rows of ``index.batches``, file order) into EventColumns.

    With ``errors`` (a list), a malformed event stops only its M (Go's lazy per-M cursor):
    ``(thread, message, offset)`` is appended, the M's later events are dropped, and the
    other Ms go on. Without it, the first malformed event raises TraceFormatError.
    """
    bi = index.batches
    cap = int(bi.size[sel].sum()) // 2  # a timed event is at least 2 bytes (type, dt)
    ev_type = alloc("ev_type", (cap,), np.uint8)
    time_ns = alloc("time_ns", (cap,), np.int64)
    thread = alloc("thread", (cap,), np.int64)
    batch = alloc("batch", (cap,), np.int32)
    args = alloc("args", (cap, MAX_ARGS), np.uint64)
    offset = alloc("offset", (cap,), np.int64)
    counts = np.zeros(256, np.int64)
    n = 0
    rows = sel
    while rows.shape[0]:
        doff = bi.data_offset[rows]
        m, st, at = K.decode_events(
            buf, doff, bi.size[rows], bi.base_time[rows], bi.thread[rows], rows.astype(np.int32),
            nspt, spec.NARGS, spec.TIMED, ev_type[n:], time_ns[n:], thread[n:], batch[n:],
            args[n:], offset[n:], counts,
        )  # fmt: skip
        n += m
        if st == K.OK:
            break
        typ = int(buf[at]) if 0 <= at < buf.shape[0] else -1
        if errors is None or st == K.ERR_CAPACITY:
            raise kernel_error(st, at, gen, f"event (type {typ})")
        k = int(np.searchsorted(doff, at, side="right")) - 1
        bad_m = int(bi.thread[rows[k]])
        errors.append((bad_m, _go_event_message(st, typ), int(at)))
        rest = rows[k + 1 :]
        rows = rest[bi.thread[rest] != bad_m]
    cols = EventColumns(
        ev_type=ev_type[:n],
        time_ns=time_ns[:n],
        thread=thread[:n],
        batch=batch[:n],
        args=args[:n],
        offset=offset[:n],
    )
    _ro(cols.ev_type, cols.time_ns, cols.thread, cols.batch, cols.args, cols.offset)
    return cols


def iter_event_chunks(
    source: TraceFile | bytes | np.ndarray,
    index: TraceIndex,
    g: int,
    *,
    max_bytes: int = 1 << 20,
    buffers: DecodeBuffers | None = None,
    release: bool = False,
) -> Iterator[EventColumns]:
    """Yield the timed events of generation row ``g`` in chunks of whole M batches.

    Each batch carries its own base time, so a chunk decodes alone and its rows
    equal the matching rows of ``decode_generation(...).events`` (same order,
    same ``batch`` indexes). A chunk holds consecutive event batches with at most
    ``max_bytes`` of wire data (at least one batch). With ``buffers`` the chunks
    share memory (each is overwritten by the next); with ``release`` the chunk's
    file pages are dropped from RSS after it is consumed (TraceFile only).
    Generation-level validation (frequency, clock) is ``decode_generation``'s job;
    this raises TraceFormatError for malformed events.
    """
    buf = as_buffer(source)
    gi = index.generations
    gen = int(gi.gen[g])
    nspt = float(gi.ns_per_tick[g])
    if not gi.has_freq[g]:
        raise TraceFormatError(
            "no frequency event found", offset=int(gi.byte_start[g]), generation=gen
        )
    sel = _rows(index, g, K.KIND_EVENTS)[0]
    size = index.batches.size[sel]
    alloc = _allocator(buffers)
    start = 0
    cum = np.cumsum(size)
    while start < sel.shape[0]:
        base = int(cum[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(cum, base + max_bytes, side="right")))
        rows = sel[start:stop]
        yield _decode_events(buf, index, rows, nspt, gen, alloc)
        if release and isinstance(source, TraceFile):
            bi = index.batches
            source.release_pages(
                int(bi.offset[rows[0]]), int(bi.data_offset[rows[-1]] + bi.size[rows[-1]])
            )
        start = stop


def _sorted_unique(ids: np.ndarray, offsets: np.ndarray, what: str, gen: int) -> np.ndarray:
    """Permutation sorting ``ids``; raises on a duplicate ID (Go: "multiple ... with the same ID")."""
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    dup = np.flatnonzero(s[1:] == s[:-1])
    if dup.shape[0]:
        i = int(order[dup[0] + 1])
        raise TraceFormatError(
            f"multiple {what}s with the same ID: id={int(ids[i])}",
            offset=int(offsets[i]),
            generation=gen,
        )
    return order


def _decode_strings(buf, index: TraceIndex, g: int, gen: int, alloc) -> StringTable:
    _, doff, size = _rows(index, g, K.KIND_STRINGS)
    cap = int(size.sum()) // 3
    ids = alloc("str_ids", (cap,), np.uint64)
    off = alloc("str_offset", (cap,), np.int64)
    length = alloc("str_length", (cap,), np.int32)
    n, st, at = K.decode_strings(buf, doff, size, ids, off, length)
    if st != K.OK:
        raise kernel_error(st, at, gen, "string")
    ids, off, length = ids[:n], off[:n], length[:n]
    order = _sorted_unique(ids, off, "string", gen)
    t = StringTable(ids=ids[order], offset=off[order], length=length[order])
    _ro(t.ids, t.offset, t.length)
    return t


def _decode_stacks(
    buf, index: TraceIndex, g: int, gen: int, strings: StringTable, alloc, frames_too: bool = True
) -> StackTable:
    _, doff, size = _rows(index, g, K.KIND_STACKS)
    total = int(size.sum())
    ids = alloc("stk_ids", (total // 3,), np.uint64)
    frame_start = alloc("stk_frame_start", (total // 3,), np.int64)
    nframes = alloc("stk_nframes", (total // 3,), np.int32)
    # Go keeps one frame per PC, the *first* seen in the generation (addStacks), and
    # resolves every stack's PCs through that map: copy that (HACKING.md § Stacks and
    # strings), so a later stack cannot change or invalidate a PC's frame. Both ways use a
    # table per distinct PC (np.unique + a gather cost ~72 B per frame more at once: 1.2 GB
    # for a generation of 615 k distinct 20-frame stacks).
    room = 1 << 12
    if frames_too:
        frames = alloc("stk_frames", (total // 4, 4), np.uint64)
        n, nf, st, at = K.decode_stacks(buf, doff, size, ids, frame_start, nframes, frames)
        if st != K.OK:
            raise kernel_error(st, at, gen, "stack")
        frames = frames[:nf]
        while True:
            first = np.empty(room // 2, np.int64)
            nu = K.first_frames(frames, np.zeros(room, np.int64), first)
            if nu >= 0:
                break
            room *= 2
        first = first[:nu]
        uframes = frames[first]
        owner = np.searchsorted(frame_start[:n], first, side="right") - 1
    else:
        # Frames not wanted (only ordering and counting follow): of each PC its first
        # frame, to validate like Go; ``frames`` stays empty.
        while True:
            uframes = np.empty((room // 2, 4), np.uint64)
            owner = np.empty(room // 2, np.int64)
            slots = np.zeros(room, np.int64)
            n, nf, nu, st, at = K.decode_stack_firsts(
                buf, doff, size, ids, frame_start, nframes, slots, uframes, owner
            )
            if st != -1:
                break
            room *= 2
        if st != K.OK:
            raise kernel_error(st, at, gen, "stack")
        uframes, owner = uframes[:nu], owner[:nu]
        frames = np.zeros((0, 4), np.uint64)
    ids, frame_start, nframes = ids[:n], frame_start[:n], nframes[:n]
    # Stack offsets are not kept; report duplicates at the generation start.
    where = np.full(n, int(index.generations.byte_start[g]), np.int64)
    order = _sorted_unique(ids, where, "stack", gen)
    # validateStackStrings: every frame's func and file string must exist (0 = "").
    known = strings.ids
    for col, what in ((1, "func"), (2, "file")):
        sid = uframes[:, col]
        pos = np.minimum(np.searchsorted(known, sid), max(known.shape[0] - 1, 0))
        ok = sid == 0
        if known.shape[0]:
            ok |= known[pos] == sid
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            raise TraceFormatError(
                f"found invalid {what} string ID {int(sid[k])} for stack {int(ids[owner[k]])}",
                offset=int(index.generations.byte_start[g]),
                generation=gen,
            )
    t = StackTable(ids=ids[order], frame_start=frame_start[order], nframes=nframes[order], frames=frames)  # fmt: skip
    _ro(t.ids, t.frame_start, t.nframes, t.frames)
    return t


def _decode_cpu_samples(
    buf, index: TraceIndex, g: int, gen: int, nspt: float, alloc
) -> CPUSampleColumns:
    _, doff, size = _rows(index, g, K.KIND_CPU_SAMPLES)
    cap = int(size.sum()) // 6
    cols = [alloc(f"cpu_{i}", (cap,), np.int64) for i in range(4)]
    cols.append(alloc("cpu_stack", (cap,), np.uint64))
    n, st, at = K.decode_cpu_samples(buf, doff, size, nspt, *cols)
    if st != K.OK:
        raise kernel_error(st, at, gen, "CPU sample")
    t = CPUSampleColumns(*(c[:n] for c in cols))
    _ro(t.time_ns, t.thread, t.proc, t.goroutine, t.stack_id)
    return t


def string_at(source, strings: StringTable, string_id: int) -> str:
    """The text of ``string_id`` in a generation's string table ("" for ID 0).

    Raises KeyError for an unknown ID. Decodes as UTF-8 with replacement (the
    runtime truncates long names at 1 KiB, possibly mid-character).
    """
    if string_id == 0:
        return ""
    i = int(np.searchsorted(strings.ids, np.uint64(string_id)))
    if i >= strings.ids.shape[0] or int(strings.ids[i]) != string_id:
        raise KeyError(string_id)
    buf = as_buffer(source)
    o = int(strings.offset[i])
    return buf[o : o + int(strings.length[i])].tobytes().decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class RawCounts:
    """What ``tracecount -raw -json`` reports: ``version`` ("go1.26"), ``events``, ``by_kind``.

    error : why the raw reader stopped early (counts are those read before), else None
    """

    version: str
    events: int
    by_kind: dict[str, int]
    error: TraceFormatError | None


def raw_counts(source: TraceFile | str | bytes | np.ndarray, *, strict: bool = False) -> RawCounts:
    """Count events per type exactly like Go's raw reader (``tracecount -raw -json``).

    Names are the spec names of the header version's prefix (``Version.EventName``).
    A v1 header is read (as tracecount does) and stops at the first byte with
    "invalid event type". With ``strict=True`` a stop raises the TraceFormatError.
    """
    if isinstance(source, str):
        with TraceFile(source, allow_v1=True) as tf:
            return raw_counts(tf, strict=strict)
    buf = as_buffer(source)
    if isinstance(source, TraceFile):
        version, start = source.version, source.header_size
    else:
        version, start = parse_header(buf[:20].tobytes())
    limit = len(spec.specs_for(version))
    counts = np.zeros(256, np.int64)
    release = source.release_pages if isinstance(source, TraceFile) else None
    size = int(buf.shape[0])
    pos, events = start, 0
    while True:  # in segments, releasing file pages behind us (bounded RSS)
        n, st, at = K.raw_count(buf, pos, pos + SCAN_SEGMENT, limit, spec.NARGS, spec.IS_STACK, spec.HAS_DATA, counts)  # fmt: skip
        events += n
        if release is not None:
            release(pos, at)
        if st != K.OK or at >= size:
            break
        pos = at
    error = None
    if st != K.OK:
        what = f"raw event (type {int(buf[at])})" if at < buf.shape[0] else "raw event"
        error = kernel_error(st, at, None, what)
        if strict:
            raise error
    by_kind = {spec.event_name(version, t): int(c) for t, c in enumerate(counts.tolist()) if c}
    return RawCounts(version=str(version), events=int(events), by_kind=by_kind, error=error)


def _uv(x: int) -> bytes:
    out = bytearray()
    while x >= 0x80:
        out.append(x & 0x7F | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def tiny_trace() -> bytes:
    """A minimal valid Go 1.26 trace (one generation, every batch kind): warm-up and smoke tests."""

    def batch(m: int, t: int, data: bytes, exp: int | None = None) -> bytes:
        head = bytes([49, exp]) if exp is not None else b"\x01"
        pad = bytes([0x80 | (len(data) & 0x7F)] + [0x80] * 8 + [0])  # padded 10-byte size
        return head + _uv(1) + _uv(m) + _uv(t) + pad + data

    no = (1 << 64) - 1
    sync = bytes([50, 8]) + _uv(15625000) + bytes([51]) + _uv(1) + _uv(64) + _uv(1) + _uv(2)
    strings = bytes([4, 5]) + _uv(1) + _uv(4) + b"main" + bytes([5]) + _uv(2) + _uv(1) + b"f"
    stacks = bytes([2, 3]) + _uv(1) + _uv(1) + _uv(0x401000) + _uv(1) + _uv(2) + _uv(7)
    cpu = bytes([6, 7]) + _uv(101) + _uv(5) + _uv(0) + _uv(0) + _uv(1)
    evs = bytes([13]) + _uv(1) + _uv(0) + _uv(1) + bytes([16]) + _uv(2) + _uv(1) + _uv(1)
    evs += bytes([128]) + _uv(1) + _uv(3) + _uv(1) + _uv(2)
    return (
        Version.GO126.header
        + batch(no, 100, sync)
        + batch(5, 100, evs)
        + batch(no, 100, strings)
        + batch(no, 100, stacks)
        + batch(no, 100, cpu)
        + batch(5, 100, b"\x00", exp=1)
        + b"\x34"
    )


def warm_up() -> None:
    """Call every kernel once on tiny arrays (loads the JIT cache, or compiles it).

    For a background job at startup; job thread; pure.
    """
    data = tiny_trace()
    ix = index_trace(data)
    decode_generation(data, ix, 0)
    raw_counts(data)
    buf = np.frombuffer(data, np.uint8)
    K.uvarint(buf, 0, buf.shape[0])
    K.mul(np.uint64(1), 64.0)
