"""Batch and generation index: one pass over batch headers, bodies skipped.

Layer L0, purely data. ``scan_batches(buf)`` walks the framing (Go's
``readBatch``) and returns a ``BatchIndex``; ``index_trace(source)`` adds the
per-generation grouping (``GenerationIndex``) following Go's reader:

* Go 1.26+: a generation ends at its ``EndOfGeneration`` byte (kept as a row of
  kind ``KIND_END_OF_GENERATION`` in the batch index); a batch whose gen differs
  inside a generation is an error ("missing end-of-generation event, or
  generations are interleaved"); a final generation without the byte is
  incomplete (Go: "incomplete generation found; trace likely truncated").
* Go 1.22–1.25: a generation ends where the gen number changes; it must change
  to gen+1 (else "generations out of order"). The last generation ends at EOF.
* Generation numbers may start above 1 (flight recorder, second trace in a
  process). Batch ``size`` varints are padded to 10 bytes by the runtime.

Problems never raise here: the index stops at the first one and records it in
``error`` (a ``TraceFormatError``), marking the affected generation
``complete=False`` (and ``truncated=True`` when the bytes simply ran out).
Earlier generations stay decodable, as in Go's reader and ``cmd/trace``.
Frequency and clock snapshot come from the sync batch (read here; it is tiny).
See HACKING.md § Generations and batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.format import _kernels as K
from goroscope.format.columns import ClockSnapshot
from goroscope.format.errors import TraceFormatError
from goroscope.format.tracefile import TraceFile, as_buffer
from goroscope.format.version import Version, parse_header, read_header

__all__ = [
    "KIND_CPU_SAMPLES",
    "KIND_END_OF_GENERATION",
    "KIND_EVENTS",
    "KIND_EXPERIMENTAL",
    "KIND_NAMES",
    "KIND_STACKS",
    "KIND_STRINGS",
    "KIND_SYNC",
    "BatchIndex",
    "GenerationIndex",
    "TraceIndex",
    "index_trace",
    "scan_batches",
]

KIND_EVENTS = K.KIND_EVENTS
KIND_STRINGS = K.KIND_STRINGS
KIND_STACKS = K.KIND_STACKS
KIND_CPU_SAMPLES = K.KIND_CPU_SAMPLES
KIND_SYNC = K.KIND_SYNC
KIND_EXPERIMENTAL = K.KIND_EXPERIMENTAL
KIND_END_OF_GENERATION = K.KIND_END_OF_GENERATION
#: Batch kind code → name.
KIND_NAMES = (
    "events",
    "strings",
    "stacks",
    "cpu_samples",
    "sync",
    "experimental",
    "end_of_generation",
)

#: Kernel status code → message (Go's wording where Go has one).
ERROR_MESSAGES = {
    K.ERR_TRUNCATED: "unexpected end of data (trace likely truncated)",
    K.ERR_OVERFLOW: "malformed varint: overflows a 64-bit integer",
    K.ERR_INVALID_TYPE: "found invalid event type",
    K.ERR_NOT_TIMED: "found event without a timestamp",
    K.ERR_EXPECTED: "unexpected event type in a strings/stacks/CPU-samples/sync batch",
    K.ERR_STRING_SIZE: "invalid string size, maximum is 1024",
    K.ERR_STACK_SIZE: "invalid stack size, maximum is 128",
    K.ERR_MULTIPLE_FREQ: "found multiple frequency events",
    K.ERR_MULTIPLE_CLOCK: "found multiple clock snapshot events",
    K.ERR_BATCH_TYPE: "expected batch event",
    K.ERR_BATCH_SIZE: "invalid batch size, maximum is 65536",
    K.ERR_GEN_ZERO: "invalid generation number 0",
    K.ERR_CAPACITY: "internal error: more entries than bytes allow",
    K.ERR_EOG_OLD: "invalid generation number 0 (EndOfGeneration byte before Go 1.26)",
    K.ERR_DATA_PAST_END: "data runs past the end of its batch or of the file (trace likely truncated)",
    K.ERR_BAD_TIMESTAMP: "found invalid uvarint for timestamp",
}
_TRUNCATION = (K.ERR_TRUNCATED, K.ERR_DATA_PAST_END)


def kernel_error(
    code: int, offset: int, generation: int | None, what: str = ""
) -> TraceFormatError:
    """A TraceFormatError for kernel status ``code`` found at byte ``offset``."""
    msg = ERROR_MESSAGES.get(int(code), f"format error {code}")
    if what:
        msg = f"{what}: {msg}"
    return TraceFormatError(msg, offset=int(offset), generation=generation)


@dataclass(frozen=True, slots=True)
class BatchIndex:
    """Batch headers in file order (one row per batch; a 1.26 EndOfGeneration byte is a row too).

    offset : (n,) int64 — offset of the batch's type byte
    data_offset : (n,) int64 — offset of the batch data (after the header)
    size : (n,) int64 — data bytes (0 for EndOfGeneration rows)
    gen : (n,) uint64 — generation number as written (0 for EndOfGeneration rows)
    thread : (n,) int64 — M (thread) ID; -1 = NoThread (2^64-1 on the wire)
    base_time : (n,) uint64 — batch start time, trace clock ticks
    kind : (n,) uint8 — ``KIND_*``
    exp : (n,) uint8 — experiment ID (0 = none)
    end_offset : offset after the last complete batch (== file size for a clean file)
    error : the problem that stopped the scan, or None
    truncated : the scan stopped because the bytes ran out mid-batch
    error_code : the scan kernel's status for ``error`` (``_kernels.ERR_*``; 0 = none)
    """

    offset: NDArray[np.int64]
    data_offset: NDArray[np.int64]
    size: NDArray[np.int64]
    gen: NDArray[np.uint64]
    thread: NDArray[np.int64]
    base_time: NDArray[np.uint64]
    kind: NDArray[np.uint8]
    exp: NDArray[np.uint8]
    end_offset: int
    error: TraceFormatError | None
    truncated: bool
    error_code: int = 0

    def __len__(self) -> int:
        return int(self.offset.shape[0])


@dataclass(frozen=True, slots=True)
class GenerationIndex:
    """One row per generation, in file order.

    gen : (g,) uint64 — generation number as written (may start above 1)
    batch_start, batch_end : (g,) int64 — half-open row range in ``BatchIndex``
        (includes the EndOfGeneration row on 1.26+)
    byte_start, byte_end : (g,) int64 — half-open byte range in the file
    freq : (g,) uint64 — ticks per second from ``Frequency``
    ns_per_tick : (g,) float64 — ``1.0 / (freq / 1e9)`` (Go's ``frequency``; +Inf for a
        Frequency of 0, as in Go); 0 if no Frequency event
    has_freq : (g,) bool — the sync batch held a ``Frequency`` event
    min_time, max_time : (g,) uint64 — ticks; Go's ``minTs`` over the batch headers (the
        generation's Sync time) and the latest batch start
    first_ns, last_ns : (g,) int64 — ``mul(min_time)``, ``mul(max_time)`` (last_ns is a lower
        bound of the last event time; decode for the exact value)
    has_clock : (g,) bool; clock_time (ticks), clock_mono, clock_sec, clock_nsec : (g,) uint64
    complete : (g,) bool — fully present and correctly terminated
    truncated : (g,) bool — the file ends inside this generation
    sync_status : (g,) int8 — kernel status of the sync batch (0 = fine); sync_offset (g,) int64
    """

    gen: NDArray[np.uint64]
    batch_start: NDArray[np.int64]
    batch_end: NDArray[np.int64]
    byte_start: NDArray[np.int64]
    byte_end: NDArray[np.int64]
    freq: NDArray[np.uint64]
    ns_per_tick: NDArray[np.float64]
    has_freq: NDArray[np.bool_]
    min_time: NDArray[np.uint64]
    max_time: NDArray[np.uint64]
    first_ns: NDArray[np.int64]
    last_ns: NDArray[np.int64]
    has_clock: NDArray[np.bool_]
    clock_time: NDArray[np.uint64]
    clock_mono: NDArray[np.uint64]
    clock_sec: NDArray[np.uint64]
    clock_nsec: NDArray[np.uint64]
    complete: NDArray[np.bool_]
    truncated: NDArray[np.bool_]
    sync_status: NDArray[np.int8]
    sync_offset: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.gen.shape[0])

    def clock(self, g: int) -> ClockSnapshot | None:
        """The clock snapshot of generation row ``g`` (Go 1.25+), else None."""
        if not self.has_clock[g]:
            return None
        return ClockSnapshot(
            trace_ns=int(K.mul(self.clock_time[g], self.ns_per_tick[g])),
            mono_ns=int(self.clock_mono[g]),
            wall_sec=int(self.clock_sec[g]),
            wall_nsec=int(self.clock_nsec[g]),
        )


@dataclass(frozen=True, slots=True)
class TraceIndex:
    """Everything ``index_trace`` learns without decoding bodies.

    error : the first problem found (the index stops there), else None
    """

    version: Version
    header_size: int
    file_size: int
    batches: BatchIndex
    generations: GenerationIndex
    error: TraceFormatError | None


def _ro(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


#: Bytes scanned between page releases (bounds the file pages mapped by a scan).
SCAN_SEGMENT = 16 << 20


def scan_batches(
    buf,
    version: Version | None = None,
    start: int | None = None,
    *,
    release: Callable[[int, int], None] | None = None,
) -> BatchIndex:
    """Scan batch headers (Go's ``readBatch`` without copying data).

    Parameters
    ----------
    buf : (N,) uint8 — the whole trace (or a TraceFile / bytes)
    version, start : the header's version and size; read from ``buf`` when None
    release : called as ``release(start, end)`` after each ``SCAN_SEGMENT`` of bytes
        (``TraceFile.release_pages``), so a scan never keeps the whole file resident

    Raises only ``UnsupportedVersionError`` (bad header); other problems are recorded.
    """
    if release is None and isinstance(buf, TraceFile):
        release = buf.release_pages
    buf = as_buffer(buf)
    if version is None or start is None:
        version, start = read_header(buf[:20].tobytes())
    ver = int(version)
    size_b = int(buf.shape[0])

    def run(fill: bool, cols) -> tuple[int, int, int, int]:
        pos, rows = start, 0
        while True:
            nb, status, err_off, end = K.scan_batches(
                buf, pos, pos + SCAN_SEGMENT, ver, fill, rows, *cols
            )
            rows += nb
            if release is not None:
                release(pos, end if status == K.OK else size_b)
            if status != K.OK or end >= size_b:
                return rows, status, err_off, end
            pos = end

    e64, eu, e8 = np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint8)
    n, status, err_off, end_pos = run(False, (e64, e64, e64, eu, eu, eu, e8, e8))
    offset = np.empty(n, np.int64)
    data_offset = np.empty(n, np.int64)
    size = np.empty(n, np.int64)
    gen = np.empty(n, np.uint64)
    thread = np.empty(n, np.uint64)
    base_time = np.empty(n, np.uint64)
    kind = np.empty(n, np.uint8)
    exp = np.empty(n, np.uint8)
    cols = (offset, data_offset, size, gen, thread, base_time, kind, exp)
    n2, status2, _, _ = run(True, cols)
    if n2 != n or status2 != status:  # pragma: no cover - the two passes are the same code
        raise TraceFormatError(
            "internal error: scan passes disagree", offset=err_off, generation=None
        )
    thread_i = thread.view(np.int64)
    error = None
    if status != K.OK:
        last_gen = None
        real = gen[kind != K.KIND_END_OF_GENERATION]
        if real.shape[0]:
            last_gen = int(real[-1])
        error = kernel_error(status, err_off, last_gen, "reading batch header")
    _ro(offset, data_offset, size, gen, thread_i, base_time, kind, exp)
    return BatchIndex(
        offset=offset,
        data_offset=data_offset,
        size=size,
        gen=gen,
        thread=thread_i,
        base_time=base_time,
        kind=kind,
        exp=exp,
        end_offset=int(end_pos),
        error=error,
        truncated=status in _TRUNCATION,
        error_code=int(status),
    )


def _go_min_ts(times: NDArray[np.uint64]) -> int:
    """Go's ``if g.minTs == 0 || b.time < g.minTs { g.minTs = b.time }`` over file order."""
    cur = 0
    for t in times.tolist():
        if cur == 0 or t < cur:
            cur = t
    return cur


def index_trace(source: TraceFile | bytes | NDArray[np.uint8]) -> TraceIndex:
    """Scan ``source`` and group its batches into generations.

    Raises only ``UnsupportedVersionError``; format problems are in ``.error``.
    """
    buf = as_buffer(source)
    if isinstance(source, TraceFile):
        version, start = source.version, source.header_size
    else:
        version, start = parse_header(buf[:20].tobytes())
    if version.is_v1:  # old format: one generation, the whole file (issue 7)
        from goroscope.format.v1.index import index_v1

        return index_v1(int(buf.shape[0]), int(version), start)
    release = source.release_pages if isinstance(source, TraceFile) else None
    bi = scan_batches(buf, version, start, release=release)
    error = bi.error
    kind, gen = bi.kind, bi.gen
    nb = len(bi)
    eog = kind == K.KIND_END_OF_GENERATION
    # Segment the batches: list of (row_start, row_end, terminated).
    segs: list[tuple[int, int, bool]] = []
    if version >= Version.GO126:
        s = 0
        for e in np.flatnonzero(eog).tolist():
            segs.append((s, e + 1, True))
            s = e + 1
        if s < nb:
            segs.append((s, nb, False))
    else:
        if nb:
            change = np.flatnonzero(gen[1:] != gen[:-1]) + 1
            bounds = [0, *change.tolist(), nb]
            segs = [(a, b, True) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            segs[-1] = (segs[-1][0], nb, bi.error is None)
    out: list[tuple] = []
    for a, b, terminated in segs:
        rows = np.arange(a, b)
        real = rows[~eog[a:b]]
        if real.shape[0] == 0:
            if error is None:
                error = TraceFormatError(
                    "no frequency event found (empty generation)",
                    offset=int(bi.offset[a]),
                    generation=None,
                )
            break
        g0 = int(gen[real[0]])
        bad = real[gen[real] != gen[real[0]]]
        if version >= Version.GO126 and bad.shape[0]:
            r = int(bad[0])
            error = TraceFormatError(
                "broken trace: missing end-of-generation event, or generations are interleaved",
                offset=int(bi.offset[r]),
                generation=g0,
            )
            out.append((g0, a, r, False, False))
            break
        if version < Version.GO126 and out:
            prev = out[-1][0]
            if g0 != (prev + 1) & 0xFFFFFFFFFFFFFFFF:
                error = TraceFormatError(
                    "generations out of order", offset=int(bi.offset[a]), generation=g0
                )
                break
        out.append((g0, a, b, terminated, not terminated and bi.truncated))
    if version >= Version.GO126 and out and not out[-1][3]:
        # Go: "incomplete generation found; trace likely truncated" when the unterminated
        # tail holds an M event batch; a tail of only string/stack/sync/experimental
        # batches silently ends the trace (we still mark that generation incomplete).
        g0, a, b, _, _ = out[-1]
        out[-1] = (g0, a, b, False, True)
        if error is None and np.any(kind[a:b] == K.KIND_EVENTS):
            error = TraceFormatError(
                "incomplete generation found; trace likely truncated",
                offset=bi.end_offset,
                generation=g0,
            )
    return TraceIndex(
        version=version,
        header_size=start,
        file_size=int(buf.shape[0]),
        batches=bi,
        generations=_generation_columns(buf, bi, out, int(version)),
        error=error,
    )


def _generation_columns(buf, bi: BatchIndex, segs: list[tuple], ver: int) -> GenerationIndex:
    g = len(segs)
    cols = {
        "gen": np.zeros(g, np.uint64),
        "batch_start": np.zeros(g, np.int64),
        "batch_end": np.zeros(g, np.int64),
        "byte_start": np.zeros(g, np.int64),
        "byte_end": np.zeros(g, np.int64),
        "freq": np.zeros(g, np.uint64),
        "has_freq": np.zeros(g, np.bool_),
        "ns_per_tick": np.zeros(g, np.float64),
        "min_time": np.zeros(g, np.uint64),
        "max_time": np.zeros(g, np.uint64),
        "first_ns": np.zeros(g, np.int64),
        "last_ns": np.zeros(g, np.int64),
        "has_clock": np.zeros(g, np.bool_),
        "clock_time": np.zeros(g, np.uint64),
        "clock_mono": np.zeros(g, np.uint64),
        "clock_sec": np.zeros(g, np.uint64),
        "clock_nsec": np.zeros(g, np.uint64),
        "complete": np.zeros(g, np.bool_),
        "truncated": np.zeros(g, np.bool_),
        "sync_status": np.zeros(g, np.int8),
        "sync_offset": np.zeros(g, np.int64),
    }
    for i, (g0, a, b, complete, truncated) in enumerate(segs):
        c = cols
        c["gen"][i] = g0
        c["batch_start"][i], c["batch_end"][i] = a, b
        c["byte_start"][i] = bi.offset[a]
        c["byte_end"][i] = bi.data_offset[b - 1] + bi.size[b - 1]
        c["complete"][i], c["truncated"][i] = complete, truncated
        kind = bi.kind[a:b]
        real = kind != K.KIND_END_OF_GENERATION
        times = bi.base_time[a:b][real]
        if times.shape[0]:
            c["min_time"][i] = _go_min_ts(times)
            c["max_time"][i] = times.max()
        has_freq = False
        for r in (np.flatnonzero(kind == K.KIND_SYNC) + a).tolist():
            st, at, freq, hf, hc, snap, mono, sec, nsec = K.decode_sync(
                buf, bi.data_offset[r], bi.data_offset[r] + bi.size[r], bi.base_time[r], ver
            )
            if st == K.OK and hf and has_freq:
                st, at = K.ERR_MULTIPLE_FREQ, bi.data_offset[r]
            if st == K.OK and hc and c["has_clock"][i]:
                st, at = K.ERR_MULTIPLE_CLOCK, bi.data_offset[r]
            if st != K.OK:
                c["sync_status"][i], c["sync_offset"][i] = st, at
                break
            if hf:
                has_freq = True
                c["freq"][i] = freq
                c["has_freq"][i] = True
            if hc:
                c["has_clock"][i] = True
                c["clock_time"][i], c["clock_mono"][i] = snap, mono
                c["clock_sec"][i], c["clock_nsec"][i] = sec, nsec
        f = int(c["freq"][i])
        if has_freq:
            # NOTE: like Go, Frequency 0 counts as present and gives +Inf ns/tick (every
            # time then converts to INT64_MIN, amd64's result for an out-of-range float).
            nspt = 1.0 / (float(f) / 1e9) if f else float("inf")
            c["ns_per_tick"][i] = nspt
            c["first_ns"][i] = K.mul(c["min_time"][i], nspt)
            c["last_ns"][i] = K.mul(c["max_time"][i], nspt)
    for a in cols.values():
        a.flags.writeable = False
    return GenerationIndex(**cols)
