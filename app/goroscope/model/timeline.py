"""The timeline model: compact span tables per resource, counters, ranges, annotations (L1).

What
----
:class:`Timeline` is what the timeline view and the analyses read: for every
goroutine its state spans (running, runnable, waiting *with reason*, syscall,
exited), for every proc which goroutine runs when, for every thread (M) which
goroutine it runs or is in a syscall for, GC/STW/sweep/assist ranges, counters
(heap in use, heap goal, GOMAXPROCS, goroutines per state), user tasks with
their logs, regions per goroutine and CPU samples. It is built by
:mod:`goroscope.model.spans` from Go's event stream, generation after
generation, and is an immutable *snapshot*: the builder publishes a new one
as generations complete, each usable for ``[0, covered_ns)``.

All times are int64 ns since ``origin_ns`` (the first event; STYLE.md §4.3).
Entities are dense indices: ``g_idx`` (order of first appearance), ``p_idx``,
``m_idx``; Go's IDs are in ``goid``, ``proc_ids``, ``thread_ids``.

Query API (any thread; results are read-only arrays)
----------------------------------------------------
* ``goroutine_row(g)`` → :class:`SpanRow` (start_ns, end_ns, kind, state, gen), cached;
  ``goroutine_spans(g, t0, t1)`` the part overlapping a window; ``SpanRow.window(t0, t1)``
  the index range (``searchsorted``; STYLE.md §4.5 step 3).
* ``proc_spans(p, t0, t1)`` / ``thread_spans(m, t0, t1)`` → :class:`IntervalRow`
  (start, end, g_idx, state, proc-or-thread); ``proc_row``/``thread_row`` whole (cached);
  ``proc_states(p)`` the ProcState step series.
* ``groups()`` → start function → g_idx array; ``state_counts(g_idxs, t0, t1)`` →
  exact step series per state (a group's aggregate row); ``state_bins`` all goroutines.
* ``metrics`` ("heap_in_use", "heap_goal", "gomaxprocs") → :class:`StepSeries`;
  ``ranges`` / ``ranges_named("stop-the-world")``; ``regions`` / ``regions_of(g)``;
  ``tasks`` (tree by ``parent_id``), ``logs``, ``cpu_samples``; ``goroutines`` (goid,
  first/end time, start function, creator).
* ``kinds[code]`` = (GoState, reason); ``kind_name(code)``; ``strings[code]``.
* Details (wire row, stacks, unblocker): :class:`goroscope.model.spans.DetailResolver`.

Layout (why it is shaped like this)
-----------------------------------
The big trace (450 MB, 81 M events, 2.16 M goroutines, 75.6 M goroutine
transitions) must open in about the file's size. Its wire format spends ~5.5 B
per event, so a span that costs more than a few bytes is already bigger than
the file (research/decode-limit.md, "Per-goroutine state spans"). One span per
Go transition, the end implied by the next span of the same goroutine, and only
what the view *draws* kept in memory:

* **Goroutine spans** live in per-chunk :class:`SpanSegment` s (a chunk is what
  the event stream yields, 64–256 Ki events). A segment is a CSR table over the
  goroutines that had transitions in it (``g_idx`` sorted, ``g_off``) with, per
  span: its ``start``, delta-coded within the goroutine's slice as an unsigned
  varint (``dt``; the first span's offset from ``base_ns``, then the gaps; a gap
  that is a multiple of Go's 64 ns tick — 98 % — is stored divided by 64: ~1.35 B),
  and one byte ``kp`` naming a (kind, proc) pair (kind = a (GoState, reason)
  interned in :attr:`Timeline.kinds`; proc = where a Running span runs; a trace
  uses a few dozen pairs, uint16 past 256). **2.35 bytes per span** (measured; it
  was 6 B with uint32 starts and separate kind and proc bytes). ``seg.start`` /
  ``seg.kind`` / ``seg.proc`` decode a whole segment (starts LRU-cached);
  ``seg.slice_starts(i)`` decodes one goroutine's bytes only. The price is time:
  the vectorised numpy decode (``decode_starts_numpy``, now the twin) cost ~90 ns
  per span at load 15 on the 2 shared cores (a ``uint32`` widening was ~1), seconds
  per whole-trace pass on the big trace; the numba kernel
  (:mod:`goroscope.model._timeline_kernels`) decodes in one byte-serial pass.
* The thread of a Running span is not stored per span: procs rarely move between
  threads, so a per-proc run-length code (``pm_*``, 2.5 k changes on the big
  trace) gives it; Syscall spans keep theirs in a sparse table (``sys_*``).
* The generation of a span is not stored: Go's event times strictly increase
  across the stream, so it is ``searchsorted(gen_first_ns, start)``.
* Proc and thread rows are not stored either: a proc's row is the Running spans
  with that ``proc`` (vectorised over the segments a window touches), plus the
  few spans crossing a segment border (``head_*``, ``late_*`` per segment, and the
  snapshot's ``open_occupancy``). Storing them as interval tables cost 12–25 B per
  interval (25 M intervals on the big trace).
* The wire row, the unblocker and the stacks of a span are **re-derived on demand**
  (:class:`goroscope.model.spans.DetailResolver`): one generation re-read
  standalone gives Go's order for it, and the k-th transition of a goroutine in
  the generation is its k-th span there. Keeping them cost 4 B per span plus 8 B
  per unblock (1.36 GB for the big trace with them, 3.0× the file).
* Segments are append-only and never rewritten, which is what makes progressive
  readiness free: a snapshot is "the first k segments". A goroutine's row is the
  concatenation of its slices across segments, found through a backwards linked
  list (``g_prev`` per segment entry, ``last_seg`` per goroutine);
  :meth:`Timeline.goroutine_row` materialises it (int64 start/end) and caches it.

* Per-goroutine and per-region times and task IDs are :class:`Packed64`: exact int64
  values as uint32 offsets from per-block bases (a block per ~4.3 s of trace time or
  per outlier run), 4 B instead of 8, narrow in the builder too (``_PackedCol``) so
  the fold's peak holds them narrow; ``regions.g_idx`` is int32. Consumers index or
  compare them like arrays; a whole column widens in O(n) numpy (``np.asarray``).

Measured (``tests/bench/bench_model.py``, 2 vCPUs shared with other jobs, so
times vary ±50 % run to run): the 450 MB trace (81.05 M events, 75.63 M spans,
2.16 M goroutines, 1,245 segments) gives a model of **360 MB = 0.80× the file**:
span columns 178 MB (2.35 B/span), segment index 42 MB, goroutines 71 MB (33 B
each; 80 MB = 37 B with int64 ``first_ns``), regions 47 MB (22 B each; 82 MB = 38 B
with int64 times, task IDs and g_idx), ranges 10 MB, metrics 7 MB, counters 3 MB —
4.76 B per span all told (403 MB before the packed columns; 669 MB = 1.49× with 6 B
spans; 1,359 MB = 3.0× keeping wire rows, unblockers and per-span threads). The fold
runs at 2–4 M events/s (quiet machine). Peak RSS of the whole build 0.62–0.63 GB =
1.38–1.41× the file (0.67 GB = 1.50× before the packed columns): 0.16 GB fixed
(interpreter, numpy, numba and LLVM's library pages), the model, ≤ 11 % spare
capacity of its growing columns and the fold's temporaries; the trace's own pages
are dropped after every chunk. A 468 MB trace with few goroutines (196 MB model)
builds in 0.40 GB = 0.86× its file (HACKING.md § Analyses, "The span model build").

What we deliberately don't do
-----------------------------
* No global CSR stitched at the end: stitching copies every span once more
  (peak 2× the span memory) for a speed-up the per-row cache already gives.
* No per-event Python: the builder is vectorised numpy per chunk (a packed-key
  sort by goroutine, shifts within groups, carried state for the first/last row
  of each group). See :mod:`goroscope.model.spans`.
* No per-transition counters (75 M points): goroutines per state are binned at
  ``state_bin_ns`` (a power of two, ≤ 64 Ki bins) with min/max/last per bin, which
  is what a plot can show; exact step series for a set of goroutines (a group's
  aggregate row, a zoomed window) come from :meth:`Timeline.state_counts`.
* No tick-quantised times: a start is exact ns (Go's +1 ns fix-ups make 2 % of the
  gaps odd), so the varint carries a flag bit instead of assuming 64 ns ticks.

Thread: snapshots are immutable and may be read from any thread.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from goroscope.model._timeline_kernels import starts_into, uvarints_into
from goroscope.model.events import GoState

__all__ = [
    "KIND_EXITED",
    "KIND_RUNNABLE",
    "KIND_RUNNING",
    "KIND_SYSCALL",
    "KIND_WAITING",
    "PACKED_NONE",
    "STATE_COLUMNS",
    "CpuSampleTable",
    "IntervalRow",
    "LogTable",
    "Packed64",
    "RangeTable",
    "RegionTable",
    "SpanRow",
    "SpanSegment",
    "StateBinner",
    "StateBins",
    "StepSeries",
    "TaskTable",
    "Timeline",
    "idx_col",
    "pack64",
]

#: kind codes 0..5 are the plain GoStates (no reason); reasons get codes >= 6
KIND_EXITED = int(GoState.NotExist)
KIND_RUNNABLE = int(GoState.Runnable)
KIND_RUNNING = int(GoState.Running)
KIND_WAITING = int(GoState.Waiting)
KIND_SYSCALL = int(GoState.Syscall)
#: column order of the per-state counters
STATE_COLUMNS = (GoState.Runnable, GoState.Running, GoState.Waiting, GoState.Syscall)


#: bytes of materialised rows a Timeline keeps (LRU; see ``Timeline._cached``)
CACHE_BYTES = 256 << 20


def _nbytes(v) -> int:
    if isinstance(v, np.ndarray | Packed64):
        return int(v.nbytes)
    if isinstance(v, tuple | list):
        return sum(_nbytes(x) for x in v)
    fields = getattr(v, "__dataclass_fields__", None)
    if fields:
        return sum(_nbytes(getattr(v, f)) for f in fields)
    return 0


@dataclass(frozen=True, slots=True, weakref_slot=True)
class SpanSegment:
    """The goroutine spans of one chunk of events (immutable once published).

    base_ns : int — time of the chunk's first event (ns since origin)
    end_ns : int — time of the chunk's last event
    g_idx : (k,) int32 — goroutines with spans here, ascending
    g_off : (k+1,) int32 — their rows in the per-span columns
    g_prev : (k,) int16 (int32 from segment 32767 on) — previous segment holding spans of
        the same goroutine (-1: none)
    g_from : (k,) uint8 — GoState before the goroutine's first span here (Go's ``From``)
    g_boff : (k+1,) uint32 — each goroutine's bytes in ``dt``
    dt : (B,) uint8 — the spans' start times, delta-coded per goroutine slice as unsigned
        LEB128 varints (:func:`encode_starts`): the first span's offset from ``base_ns``,
        then the gap to the previous span of the goroutine; a gap that is a multiple of
        64 ns (Go's tick: 98 % of them) is stored divided by 64. ~1.3 B per span.
    kp : (n,) uint8 | uint16 — a (kind, proc) pair code: ``kp_kind[kp]`` is the
        :attr:`Timeline.kinds` code, ``kp_proc[kp]`` the p_idx of the event's context (the
        proc a Running span runs on; -1 none). Shared, append-only lookup tables.
    Decoded (read-only arrays, as before the packing): ``start`` (n,) int64 — span start −
    ``base_ns`` (LRU-cached per segment); ``kind`` (n,) uint8; ``proc`` (n,) int32 (-1:
    none). For one goroutine's slice prefer :meth:`slice_starts` (decodes only its bytes).
    sys_row : (y,) uint32, sys_thread : (y,) int32 — the thread (m_idx) of each Syscall span
    pm_p, pm_time, pm_thread : (c,) int32 / int64 / int32 — where the thread running a
        proc's Running spans changes (p_idx, ns, m_idx); the thread of a Running span is
        the last change at or before its start (a run-length code: procs rarely move
        between threads, so this replaces a per-span thread column)
    head_* : (h,) — goroutines occupying a proc or thread (Running or Syscall) when the
        chunk began: g, start_ns (int64, since origin), proc, thread (int32), state (uint8)
    late_* : (l,) — occupancy spans that began in an earlier chunk and ended in this one
        (g, start_ns, end_ns, proc, thread, state); a span starting and ending in this
        chunk is implied by the rows (end = next span of the goroutine)
    ps_idx, ps_off : CSR over procs; ps_time : int64; ps_state : uint8 — ProcState transitions
    """

    base_ns: int
    end_ns: int
    g_idx: NDArray[np.int32]
    g_off: NDArray[np.int32]
    g_prev: NDArray[np.int16] | NDArray[np.int32]
    g_from: NDArray[np.uint8]
    g_boff: NDArray[np.uint32]
    dt: NDArray[np.uint8]
    kp: NDArray
    kp_kind: NDArray[np.uint8]
    kp_proc: NDArray[np.int32]
    sys_row: NDArray[np.uint32]
    sys_thread: NDArray[np.int32]
    pm_p: NDArray[np.int32]
    pm_time: NDArray[np.int64]
    pm_thread: NDArray[np.int32]
    head_g: NDArray[np.int64]
    head_start: NDArray[np.int64]
    head_proc: NDArray[np.int32]
    head_thread: NDArray[np.int32]
    head_state: NDArray[np.uint8]
    late_g: NDArray[np.int64]
    late_start: NDArray[np.int64]
    late_end: NDArray[np.int64]
    late_proc: NDArray[np.int32]
    late_thread: NDArray[np.int32]
    late_state: NDArray[np.uint8]
    ps_idx: NDArray[np.int64]
    ps_off: NDArray[np.int64]
    ps_time: NDArray[np.int64]
    ps_state: NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.kp.shape[0])

    @property
    def nbytes(self) -> int:
        # kp_kind / kp_proc are shared by many segments: counted once by Timeline.nbytes
        return sum(
            getattr(self, f).nbytes
            for f in self.__dataclass_fields__
            if f not in ("base_ns", "end_ns", "kp_kind", "kp_proc")
        )

    @property
    def start(self) -> NDArray[np.int64]:
        """(n,) int64 — every span's start − ``base_ns`` (decoded; LRU-cached, read-only)."""
        return _decoded_starts(self)

    @property
    def kind(self) -> NDArray[np.uint8]:
        """(n,) uint8 — :attr:`Timeline.kinds` code of every span."""
        return self.kp_kind[self.kp]

    @property
    def proc(self) -> NDArray[np.int32]:
        """(n,) int32 — p_idx of every span's event context (-1: none)."""
        return self.kp_proc[self.kp]

    def slice_of(self, g: int) -> tuple[int, int] | None:
        i = int(np.searchsorted(self.g_idx, g))
        if i < len(self.g_idx) and int(self.g_idx[i]) == g:
            return int(self.g_off[i]), int(self.g_off[i + 1])
        return None

    def slice_starts(self, i: int) -> NDArray[np.int64]:
        """Start times (ns since origin) of the spans of entry ``i`` (``g_idx[i]``): decodes
        only that goroutine's bytes."""
        a, b = int(self.g_boff[i]), int(self.g_boff[i + 1])
        out = decode_starts(self.dt[a:b], self.g_off[i : i + 2] - self.g_off[i])
        out += self.base_ns
        return out

    def start_ns(self) -> NDArray[np.int64]:
        return self.start + self.base_ns

    def last_in_slice(self) -> NDArray[np.bool_]:
        """(n,) bool — the row is the last span of its goroutine in this segment."""
        m = np.zeros(len(self), bool)
        m[self.g_off[1:] - 1] = True
        return m

    def row_goroutine(self) -> NDArray[np.int32]:
        """(n,) int32 — g_idx of each row."""
        return np.repeat(self.g_idx, np.diff(self.g_off))


# --- start-time coding ----------------------------------------------------------------------


def encode_uvarints(v: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """Unsigned LEB128 of each value, concatenated (vectorised)."""
    v = np.asarray(v, np.uint64)
    n = len(v)
    if n == 0:
        return np.zeros(0, np.uint8)
    length = np.ones(n, np.int64)
    for k in range(1, 10):
        big = v >= np.uint64(1 << (7 * k)) if 7 * k < 64 else np.zeros(n, bool)
        if not big.any():
            break
        length += big
    off = np.zeros(n, np.int64)
    np.cumsum(length[:-1], out=off[1:])
    out = np.empty(int(off[-1] + length[-1]), np.uint8)
    rows = np.arange(n)
    for k in range(int(length.max())):
        if k:
            rows = rows[length[rows] > k]
        byte = (v[rows] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = length[rows] > k + 1
        out[off[rows] + k] = byte.astype(np.uint8) | (more.astype(np.uint8) << 7)
    return out


def decode_uvarints(b: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """The values of concatenated unsigned LEB128 varints (numba kernel
    :func:`goroscope.model._timeline_kernels.uvarints_into`; twin
    :func:`decode_uvarints_numpy`)."""
    b = np.asarray(b, np.uint8)
    out = np.empty(len(b), np.uint64)
    return out[: uvarints_into(b, out)]


def decode_uvarints_numpy(b: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """The values of concatenated unsigned LEB128 varints (vectorised numpy twin).

    Starts from each value's last (most significant) byte and shifts in the earlier
    bytes, one pass per byte position and only over the values that long (most
    values here take one or two bytes).
    """
    b = np.asarray(b, np.uint8)
    ends = np.flatnonzero(b < 0x80)
    val = b[ends].astype(np.uint64)
    if len(ends) == len(b):
        return val
    lens = np.empty(len(ends), np.int64)
    if len(ends):
        lens[0] = ends[0] + 1
        lens[1:] = ends[1:] - ends[:-1]
    rows = np.flatnonzero(lens > 1)
    k = 1
    while len(rows):
        byte = (b[ends[rows] - k] & 0x7F).astype(np.uint64)
        val[rows] = (val[rows] << np.uint64(7)) | byte
        k += 1
        rows = rows[lens[rows] > k]
    return val


def encode_starts(start: NDArray[np.int64], g_off: NDArray) -> tuple[NDArray, NDArray]:
    """Code span starts (ns − base, ascending within each goroutine slice ``g_off``).

    Per slice: the first start, then the gaps; a value ``d`` is stored as ``d/64·2``
    when ``d`` is a multiple of 64 (Go's 64 ns tick), else ``d·2 + 1``, as a varint.
    Returns ``(dt, g_boff)``: the bytes and each slice's byte offsets (uint32).
    """
    start = np.asarray(start, np.int64)
    d = np.empty_like(start)
    if len(start):
        d[0] = start[0]
        d[1:] = start[1:] - start[:-1]
        firsts = np.asarray(g_off[:-1], np.int64)
        firsts = firsts[firsts < len(start)]
        d[firsts] = start[firsts]
    du = d.astype(np.uint64)
    exact = (d & 63) == 0
    tok = np.where(exact, (du >> np.uint64(6)) << np.uint64(1), (du << np.uint64(1)) | 1)
    dt = encode_uvarints(tok)
    # byte offset of each slice: bytes per value, summed
    nbytes = np.ones(len(tok), np.int64)
    for k in range(1, 10):
        big = tok >= np.uint64(1 << (7 * k)) if 7 * k < 64 else np.zeros(len(tok), bool)
        if not big.any():
            break
        nbytes += big
    cum = np.zeros(len(tok) + 1, np.int64)
    np.cumsum(nbytes, out=cum[1:])
    return dt, cum[np.asarray(g_off, np.int64)].astype(np.uint32)


def _gaps(tok: NDArray[np.uint64]) -> NDArray[np.int64]:
    odd = (tok & np.uint64(1)).astype(bool)
    half = (tok >> np.uint64(1)).astype(np.int64)
    return np.where(odd, half, half << 6)


def decode_starts(dt: NDArray[np.uint8], g_off: NDArray) -> NDArray[np.int64]:
    """Inverse of :func:`encode_starts`: (n,) int64 starts − base.

    The numba kernel :func:`goroscope.model._timeline_kernels.starts_into` (a few ns per
    span); on bytes it cannot decode whole it defers to the twin :func:`decode_starts_numpy`.
    """
    dt = np.asarray(dt, np.uint8)
    if not isinstance(g_off, np.ndarray) or g_off.dtype not in (np.int32, np.int64):
        g_off = np.asarray(g_off, np.int64)
    n = int(g_off[-1]) if len(g_off) else 0
    if n >= 0:
        out = np.empty(n, np.int64)
        if starts_into(dt, g_off, out) == len(dt):
            return out
    return decode_starts_numpy(dt, g_off)


def decode_starts_numpy(dt: NDArray[np.uint8], g_off: NDArray) -> NDArray[np.int64]:
    """:func:`decode_starts`' vectorised numpy twin (~90 ns per span under load)."""
    d = _gaps(decode_uvarints_numpy(dt))
    if len(d) == 0:
        return d
    cs = np.cumsum(d)
    off = np.asarray(g_off, np.int64)
    firsts = off[:-1]
    # restart the running sum at each slice (every slice holds at least one span)
    return cs - np.repeat(cs[firsts] - d[firsts], np.diff(off))


def warm_up_kernels() -> None:
    """Load the start-decoding kernels' JIT cache with the argument types the app uses
    (read-only segment columns; a slice's ``g_off`` is a fresh array). Background job."""
    s = np.array([0, 64, 65], np.int64)
    g_off = np.array([0, 2, 3], np.int32)
    dt, _ = encode_starts(s, g_off)
    dt.flags.writeable = False
    decode_starts(dt, g_off)  # SpanSegment.slice_starts
    g_off.flags.writeable = False
    decode_starts(dt, g_off)  # SpanSegment.start
    decode_uvarints(dt)


#: decoded ``SpanSegment.start`` arrays kept (LRU by bytes): full passes decode each
#: segment once, window queries re-use the few segments they touch
DECODED_BYTES = 48 << 20
_decoded: OrderedDict = OrderedDict()
_decoded_bytes = [0]
_decoded_lock = threading.Lock()


def _decoded_starts(seg: SpanSegment) -> NDArray[np.int64]:
    key = id(seg)
    with _decoded_lock:
        hit = _decoded.get(key)
        if hit is not None and hit[0]() is seg:
            _decoded.move_to_end(key)
            return hit[1]
    v = decode_starts(seg.dt, seg.g_off)
    v.flags.writeable = False
    with _decoded_lock:
        old = _decoded.pop(key, None)
        if old is not None:
            _decoded_bytes[0] -= old[1].nbytes
        _decoded[key] = (weakref.ref(seg), v)
        _decoded_bytes[0] += v.nbytes
        while _decoded_bytes[0] > DECODED_BYTES and len(_decoded) > 1:
            _, (_, a) = _decoded.popitem(last=False)
            _decoded_bytes[0] -= a.nbytes
    return v


def idx_col(a: NDArray) -> NDArray[np.int32]:
    """A narrowed index column (uint8/uint16 with max = none, or int32) as int32 with -1."""
    out = a.astype(np.int32)
    if a.dtype == np.uint8:
        out[a == 0xFF] = -1
    elif a.dtype == np.uint16:
        out[a == 0xFFFF] = -1
    return out


#: ``Packed64.lo`` value that stands for -1 (none)
PACKED_NONE = 0xFFFFFFFF


def pack64(v: NDArray[np.int64], base: int | None = None) -> tuple:
    """Exact int64 values as uint32 offsets from per-block bases (vectorised).

    Returns ``(lo, block_rows, block_bases)``: ``lo`` (n,) uint32, rows ``block_rows[i]``
    onwards (relative to ``v``) are ``block_bases[i] + lo``; -1 becomes ``PACKED_NONE``.
    ``base`` (the column's last block base): used for all of ``v`` when every value fits
    above it (no new block). Otherwise one block per run whose values span < 2**32 - 1,
    found by halving (a few outliers cost O(log n) blocks each, not one per row).
    """
    v = np.asarray(v, np.int64)
    lo = np.full(len(v), PACKED_NONE, np.uint32)
    rows: list[int] = []
    bases: list[int] = []
    if base is not None:
        real = v[v != -1]
        if not len(real) or (int(real.min()) >= base and int(real.max()) - base < PACKED_NONE):
            if len(real):
                m = v != -1
                lo[m] = (v[m] - base).astype(np.uint32)
            return lo, rows, bases
    todo = [(0, len(v))]
    while todo:
        a, b = todo.pop()
        seg = v[a:b]
        m = seg != -1
        real = seg[m]
        if not len(real):
            continue
        mn, mx = int(real.min()), int(real.max())
        if mx - mn < PACKED_NONE:
            lo[a:b][m] = (real - mn).astype(np.uint32)
            rows.append(a)
            bases.append(mn)
        else:
            h = (a + b) // 2
            todo += [(h, b), (a, h)]
    if rows:
        o = np.argsort(rows, kind="stable")
        rows = [rows[i] for i in o]
        bases = [bases[i] for i in o]
    if rows and rows[0] != 0:  # leading -1 rows: any block covers them
        rows[0] = 0
    return lo, rows, bases


#: comparison ufunc → the same comparison with its operands swapped
_FLIPPED = {
    np.equal: np.equal,
    np.not_equal: np.not_equal,
    np.less: np.greater,
    np.greater: np.less,
    np.less_equal: np.greater_equal,
    np.greater_equal: np.less_equal,
}


class Packed64(np.lib.mixins.NDArrayOperatorsMixin):
    """An int64 (or uint64) column stored exactly in 4 B per row (read-only).

    lo : (n,) uint32 — value − its block's base; ``PACKED_NONE`` = -1 (none)
    block_row : (b,) int64 — first row of each block (ascending; 0 first)
    block_base : (b,) int64 — the block's base value
    unsigned : the column is uint64 (stored as its int64 bit pattern; -1 = 2**64 − 1)

    Array-like where the consumers need it: ``col[i]`` (a scalar), ``col[rows]`` /
    ``col[mask]`` / ``col[a:b]`` (an int64/uint64 array: O(k log b)), ``len``,
    ``np.asarray(col)`` and numpy ufuncs / operators (``col < 0``, ``col == tid``) widen
    the whole column (O(n) numpy; :meth:`widen`). Times, task IDs of the big trace's 2.1 M
    regions: 4 B instead of 8 per value (blocks: a few per 4.3 s of trace time).
    """

    # not a dataclass: ``dataclasses.astuple`` of a table keeps it whole
    __slots__ = ("block_base", "block_row", "lo", "unsigned")

    def __init__(self, lo, block_row, block_base, unsigned: bool = False) -> None:
        self.lo: NDArray[np.uint32] = lo
        self.block_row: NDArray[np.int64] = block_row
        self.block_base: NDArray[np.int64] = block_base
        self.unsigned = unsigned
        for a in (lo, block_row, block_base):
            a.flags.writeable = False

    def __len__(self) -> int:
        return int(self.lo.shape[0])

    def __repr__(self) -> str:
        return f"Packed64({self.widen()!r}, blocks={len(self.block_row)})"

    @property
    def dtype(self):
        return np.dtype(np.uint64 if self.unsigned else np.int64)

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    @property
    def nbytes(self) -> int:
        return int(self.lo.nbytes + self.block_row.nbytes + self.block_base.nbytes)

    def widen(self) -> NDArray:
        """The whole column as int64 (uint64 when ``unsigned``), a fresh array."""
        n = len(self)
        if n == 0 or not len(self.block_row):
            out = np.full(n, -1, np.int64)
        else:
            out = np.repeat(self.block_base, np.diff(np.append(self.block_row, n)))
            out += self.lo
            out[self.lo == PACKED_NONE] = -1
        return out.view(np.uint64) if self.unsigned else out

    def __getitem__(self, key):
        if isinstance(key, int | np.integer):
            i = int(key)
            if i < 0:
                i += len(self)
            if not 0 <= i < len(self):
                raise IndexError(key)
            lo = int(self.lo[i])
            if lo == PACKED_NONE:
                v = -1
            else:
                b = int(np.searchsorted(self.block_row, i, side="right")) - 1
                v = int(self.block_base[b]) + lo
            return np.int64(v).view(np.uint64) if self.unsigned else np.int64(v)
        if isinstance(key, slice):
            rows = np.arange(len(self))[key]
        else:
            k = np.asarray(key)
            rows = np.flatnonzero(k) if k.dtype == np.bool_ else k.astype(np.int64)
        lo = self.lo[rows]
        if not len(self.block_row):
            out = np.full(len(lo), -1, np.int64)
        else:
            b = np.searchsorted(self.block_row, rows, side="right") - 1
            out = self.block_base[np.maximum(b, 0)] + lo
            out[lo == PACKED_NONE] = -1
        return out.view(np.uint64) if self.unsigned else out

    def __array__(self, dtype=None, copy=None):
        out = self.widen()
        return out if dtype is None else out.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and len(inputs) == 2:
            out = self._compare(ufunc, *inputs)
            if out is not None:
                return out
        inputs = tuple(x.widen() if isinstance(x, Packed64) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def _compare(self, ufunc, a, b) -> NDArray[np.bool_] | None:
        """``col <op> scalar`` on the uint32 offsets block by block, without widening
        (``regions.task_id == tid`` on 2.1 M rows: ~1 ms, not ~20); None: not handled."""
        if a is self and not isinstance(b, Packed64):
            op, x = ufunc, b
        elif b is self and not isinstance(a, Packed64):
            op, x = _FLIPPED.get(ufunc), a
        else:
            return None
        if op not in _FLIPPED or np.ndim(x) != 0:
            return None
        if self.unsigned:
            if op not in (np.equal, np.not_equal):
                return None
            try:
                x = int(np.uint64(x).view(np.int64))  # the stored bit pattern
            except (OverflowError, TypeError, ValueError):
                return None
        else:
            try:
                if not float(x).is_integer():
                    return None
                x = int(x)
            except (OverflowError, TypeError, ValueError):
                return None
        lo = self.lo
        n = len(lo)
        out = np.empty(n, bool)
        ends = np.append(self.block_row[1:], n).tolist() if len(self.block_row) else []
        for r0, r1, base in zip(
            self.block_row.tolist(), ends, self.block_base.tolist(), strict=True
        ):
            d = x - base
            if 0 <= d <= PACKED_NONE:
                op(lo[r0:r1], np.uint32(d), out=out[r0:r1])
            else:  # every offset (0 .. NONE - 1) is on one side of d
                out[r0:r1] = bool(op(0, d))
        if not len(self.block_row):
            out[:] = False
        none = lo == PACKED_NONE
        if none.any():
            out[none] = bool(op(-1, x))
        return out

    def astype(self, dtype, copy: bool = True):
        return self.widen().astype(dtype, copy=False)

    def tolist(self) -> list:
        return self.widen().tolist()

    def copy(self) -> NDArray:
        """The values as a fresh int64 (uint64) array, like ``ndarray.copy``."""
        return self.widen()


@dataclass(frozen=True, slots=True)
class SpanRow:
    """One goroutine's spans, materialised (read-only arrays).

    start_ns, end_ns : (n,) int64 — ns since origin; ``end_ns[i] == start_ns[i+1]``;
        the last span ends at the goroutine's exit or at the snapshot's ``covered_ns``
    kind : (n,) uint8 — :attr:`Timeline.kinds` code; ``state`` : (n,) uint8 — its GoState
    gen : (n,) int32 — generation (index) of the span's start event; its wire row,
        stacks and unblocker re-decode on demand (:class:`goroscope.model.spans.DetailResolver`)
    """

    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    kind: NDArray[np.uint8]
    state: NDArray[np.uint8]
    gen: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.start_ns.shape[0])

    def window(self, t0_ns: int, t1_ns: int) -> tuple[int, int]:
        """Span index range ``[lo, hi)`` overlapping ``[t0_ns, t1_ns)``."""
        return _window(self.start_ns, self.end_ns, t0_ns, t1_ns)


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """Occupancy of one proc or thread: which goroutine runs (gaps are idle).

    start_ns, end_ns : (n,) int64 — ascending, non-overlapping
    g_idx : (n,) int32 — the goroutine
    state : (n,) uint8 — GoState.Running or GoState.Syscall (threads; Running for procs)
    proc : (n,) int32 — for thread rows the p_idx the goroutine ran on (-1 in a
        syscall); for proc rows the m_idx (thread) that ran it
    """

    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    g_idx: NDArray[np.int32]
    state: NDArray[np.uint8]
    proc: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.start_ns.shape[0])

    def window(self, t0_ns: int, t1_ns: int) -> tuple[int, int]:
        return _window(self.start_ns, self.end_ns, t0_ns, t1_ns)


def _window(start, end, t0_ns, t1_ns) -> tuple[int, int]:
    lo = int(np.searchsorted(end, t0_ns, side="right"))
    hi = int(np.searchsorted(start, t1_ns, side="left"))
    return lo, max(lo, hi)


@dataclass(frozen=True, slots=True)
class StepSeries:
    """A counter: value ``value[i]`` from ``time_ns[i]`` until the next sample."""

    time_ns: NDArray[np.int64]
    value: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.time_ns.shape[0])


@dataclass(frozen=True, slots=True)
class StateBins:
    """Goroutines per state, binned: bins with at least one change.

    bin_ns : int — bin width (a power of two)
    time_ns : (b,) int64 — bin start
    min, max, last : (b, 4) int32 — per :data:`STATE_COLUMNS` (Runnable, Running,
        Waiting, Syscall): extremes within the bin and the value at its end
    """

    bin_ns: int
    time_ns: NDArray[np.int64]
    min: NDArray[np.int32]
    max: NDArray[np.int32]
    last: NDArray[np.int32]

    def series(self, state: GoState) -> StepSeries:
        """The ``last`` values of one state as a step series (what a plot draws)."""
        c = STATE_COLUMNS.index(state)
        return StepSeries(self.time_ns, self.last[:, c].astype(np.int64))


class StateBinner:
    """Goroutines-per-state counts folded into bins (min/max/last), fed in time order.

    ``add(t, sfrom, sto)`` takes transitions (ns, GoState before, GoState after) in time
    order (across calls); states outside :data:`STATE_COLUMNS` are not counted.
    ``skip_before_ns``: transitions before it only move the running counts (no bins),
    and the first bin starts at it. Job thread; not thread-safe.
    """

    def __init__(self, bin_ns: int, *, skip_before_ns: int | None = None) -> None:
        self.shift = max(0, int(bin_ns).bit_length() - 1)
        self.counts = np.zeros(4, np.int64)
        self._t0 = skip_before_ns
        self._started = skip_before_ns is None
        self._time: list[np.ndarray] = []
        self._min: list[np.ndarray] = []
        self._max: list[np.ndarray] = []
        self._last: list[np.ndarray] = []

    def add(self, t: NDArray[np.int64], sfrom: NDArray[np.uint8], sto: NDArray[np.uint8]) -> None:
        if self._t0 is not None:
            pre = t < self._t0
            if pre.any():
                for c, state in enumerate(STATE_COLUMNS):
                    self.counts[c] += int(np.count_nonzero(sto[pre] == state)) - int(
                        np.count_nonzero(sfrom[pre] == state)
                    )
                t, sfrom, sto = t[~pre], sfrom[~pre], sto[~pre]
            if not self._started and (len(t) or not pre.all()):
                self._open_at(self._t0)
        n = len(t)
        if n == 0:
            return
        b = t >> self.shift
        starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        ends = np.append(starts[1:], n) - 1
        prev = self.counts.copy()
        k = len(starts)
        mn = np.empty((k, 4), np.int64)
        mx = np.empty((k, 4), np.int64)
        last = np.empty((k, 4), np.int64)
        before = np.empty((k, 4), np.int64)
        for c, state in enumerate(STATE_COLUMNS):
            d = (sto == state).astype(np.int32) - (sfrom == state).astype(np.int32)
            cnt = np.cumsum(d, dtype=np.int64) + prev[c]
            mn[:, c] = np.minimum.reduceat(cnt, starts)
            mx[:, c] = np.maximum.reduceat(cnt, starts)
            last[:, c] = cnt[ends]
            before[0, c] = prev[c]  # the value carried into each bin counts too
            before[1:, c] = cnt[starts[1:] - 1]
            self.counts[c] = cnt[-1]
        mn = np.minimum(mn, before)
        mx = np.maximum(mx, before)
        bt = b[starts] << self.shift
        if self._time and int(self._time[-1][-1]) == int(bt[0]):
            self._min[-1][-1] = np.minimum(self._min[-1][-1], mn[0])
            self._max[-1][-1] = np.maximum(self._max[-1][-1], mx[0])
            self._last[-1][-1] = last[0]
            bt, mn, mx, last = bt[1:], mn[1:], mx[1:], last[1:]
        if len(bt):
            self._time.append(bt)
            self._min.append(mn.astype(np.int32))
            self._max.append(mx.astype(np.int32))
            self._last.append(last.astype(np.int32))

    def _open_at(self, t0: int) -> None:
        self._started = True
        c = self.counts.astype(np.int32)[None, :]
        self._time.append(np.array([(t0 >> self.shift) << self.shift], np.int64))
        self._min.append(c.copy())
        self._max.append(c.copy())
        self._last.append(c.copy())

    def result(self) -> StateBins:
        if not self._started:
            self._open_at(self._t0 or 0)

        def cat(parts, dtype, width):
            if not parts:
                return np.zeros((0, width) if width else 0, dtype)
            return np.concatenate(parts).astype(dtype)

        out = StateBins(
            1 << self.shift,
            cat(self._time, np.int64, 0),
            cat(self._min, np.int32, 4),
            cat(self._max, np.int32, 4),
            cat(self._last, np.int32, 4),
        )
        for a in (out.time_ns, out.min, out.max, out.last):
            a.flags.writeable = False
        return out


@dataclass(frozen=True, slots=True)
class RangeTable:
    """GC / STW / sweep / assist ranges (Go's RangeBegin/End), closed or still open.

    name : (r,) int32 — code in ``Timeline.strings`` ("GC concurrent mark phase",
        "stop-the-world (<reason>)", "GC incremental sweep", "GC mark assist")
    scope_kind : (r,) uint8 — ResourceKind; scope_id : (r,) int64 — Go ID (proc ID, goid)
    start_ns, end_ns : (r,) int64 — ``end_ns`` = -1 while open
    """

    name: NDArray[np.int32]
    scope_kind: NDArray[np.uint8]
    scope_id: NDArray[np.int64]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.name.shape[0])


@dataclass(frozen=True, slots=True)
class RegionTable:
    """User regions (closed or open), one row each.

    g_idx : (r,) int32; depth : (r,) int16 — nesting level (0 = outermost)
    start_ns : (r,) int64 (-1: began before tracing); end_ns : (r,) int64 (-1: open)
    type : (r,) int32 — string code; task_id : (r,) uint64
    In the Timeline's table ``start_ns``, ``end_ns`` and ``task_id`` are
    :class:`Packed64` (4 B per row; index them, or ``np.asarray`` for the whole
    column); :meth:`Timeline.regions_of` returns plain arrays.
    """

    g_idx: NDArray[np.int32]
    depth: NDArray[np.int16]
    start_ns: NDArray[np.int64] | Packed64
    end_ns: NDArray[np.int64] | Packed64
    type: NDArray[np.int32]
    task_id: NDArray[np.uint64] | Packed64

    def __len__(self) -> int:
        return int(self.g_idx.shape[0])


@dataclass(frozen=True, slots=True)
class TaskTable:
    """User tasks, one row per task ID seen (begin and/or end), across generations.

    task_id, parent_id : (t,) uint64 (parent ``NO_TASK``/0 = none)
    type : (t,) int32 — string code; start_ns, end_ns : (t,) int64 (-1: not seen)
    begin_g, end_g : (t,) int64 — g_idx of the goroutines that began/ended it (-1)
    """

    task_id: NDArray[np.uint64]
    parent_id: NDArray[np.uint64]
    type: NDArray[np.int32]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    begin_g: NDArray[np.int64]
    end_g: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.task_id.shape[0])

    def children(self, task_id: int) -> NDArray[np.uint64]:
        return self.task_id[self.parent_id == np.uint64(task_id)]


@dataclass(frozen=True, slots=True)
class LogTable:
    """User logs: time_ns (int64), g_idx (int64), task_id (uint64), category and message (int32 codes)."""

    time_ns: NDArray[np.int64]
    g_idx: NDArray[np.int64]
    task_id: NDArray[np.uint64]
    category: NDArray[np.int32]
    message: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.time_ns.shape[0])


@dataclass(frozen=True, slots=True)
class CpuSampleTable:
    """CPU samples: time_ns, g_idx (-1: no goroutine), p_idx-free proc ID, thread ID, gen, stack_id."""

    time_ns: NDArray[np.int64]
    g_idx: NDArray[np.int64]
    proc_id: NDArray[np.int64]
    thread_id: NDArray[np.int64]
    gen: NDArray[np.int32]
    stack_id: NDArray[np.uint64]

    def __len__(self) -> int:
        return int(self.time_ns.shape[0])


@dataclass(frozen=True, slots=True)
class GoroutineTable:
    """Per goroutine (index = g_idx), read-only views.

    goid : (n,) int64 — Go's ID
    first_ns : (n,) int64 as :class:`Packed64` (4 B each; ``first_ns[g]``,
        ``first_ns[rows]``, ``np.asarray``) — first transition
    end_ns : (n,) int64 — exit (-1: alive/unknown)
    first_from : (n,) uint8 — GoState before the first transition (NotExist = created in
        the trace, Undetermined = existed before it)
    start_func : (n,) int32 — string code of the start function (root frame of the first
        non-empty transition stack, as Go's summary names goroutines); -1 unknown
    creator : (n,) int32 — g_idx of the goroutine that created it (last creation; -1)
    """

    goid: NDArray[np.int64]
    first_ns: Packed64
    end_ns: NDArray[np.int64]
    first_from: NDArray[np.uint8]
    start_func: NDArray[np.int32]
    creator: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.goid.shape[0])


@dataclass(frozen=True, slots=True)
class OccupancyTable:
    """Goroutines occupying a proc/thread (Running, or Syscall for threads) — open spans.

    g : (o,) int64; start_ns : (o,) int64; proc, thread : (o,) int32 (-1 none); state : (o,) uint8
    """

    g: NDArray[np.int64]
    start_ns: NDArray[np.int64]
    proc: NDArray[np.int32]
    thread: NDArray[np.int32]
    state: NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.g.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Timeline:
    """An immutable snapshot of the model, usable for ``[0, covered_ns)`` (see module doc).

    origin_ns : absolute trace-clock ns of time 0
    covered_ns : events up to here are in the snapshot; ``complete`` once the stream ended
    gen_first_ns : (G,) int64 — first event time of each generation (index = gen_idx)
    kinds : ((GoState, reason str), ...) — span kind codes; ``kind_state`` (K,) uint8
    strings : string codes → text (range names, functions, region/task types, logs)
    """

    origin_ns: int
    covered_ns: int
    complete: bool
    segments: tuple[SpanSegment, ...]
    goroutines: GoroutineTable
    last_seg: NDArray[np.int32]
    gen_first_ns: NDArray[np.int64]
    kinds: tuple[tuple[GoState, str], ...]
    kind_state: NDArray[np.uint8]
    strings: tuple[str, ...]
    proc_ids: NDArray[np.int64]
    thread_ids: NDArray[np.int64]
    open_occupancy: OccupancyTable
    ranges: RangeTable
    regions: RegionTable
    tasks: TaskTable
    logs: LogTable
    cpu_samples: CpuSampleTable
    metrics: dict[str, StepSeries]
    state_bins: StateBins
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    _cache_bytes: list = field(default_factory=lambda: [0], repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- sizes ----------------------------------------------------------------------------

    @property
    def n_goroutines(self) -> int:
        return len(self.goroutines)

    @property
    def n_spans(self) -> int:
        return sum(len(s) for s in self.segments)

    def nbytes(self) -> dict[str, int]:
        """Bytes held by each part (arrays only; the mmap is not counted)."""

        def tb(obj) -> int:
            return sum(
                getattr(obj, f).nbytes
                for f in obj.__dataclass_fields__
                if isinstance(getattr(obj, f), np.ndarray | Packed64)
            )

        per_span = ("dt", "kp")
        span_cols = sum(sum(getattr(s, f).nbytes for f in per_span) for s in self.segments)
        seg_index = sum(
            s.g_idx.nbytes + s.g_off.nbytes + s.g_prev.nbytes + s.g_from.nbytes + s.g_boff.nbytes
            for s in self.segments
        )
        luts = {id(s.kp_kind): s.kp_kind.nbytes + s.kp_proc.nbytes for s in self.segments}
        other = sum(s.nbytes for s in self.segments) - span_cols - seg_index + sum(luts.values())
        return {
            "span_columns": span_cols,
            "span_index": seg_index,
            "segment_other": other,
            "goroutines": tb(self.goroutines) + self.last_seg.nbytes,
            "ranges": tb(self.ranges),
            "regions": tb(self.regions),
            "tasks": tb(self.tasks),
            "logs": tb(self.logs),
            "cpu_samples": tb(self.cpu_samples),
            "metrics": sum(tb(s) for s in self.metrics.values()),
            "state_bins": tb(self.state_bins),
        }

    # -- kinds ----------------------------------------------------------------------------

    def kind_name(self, code: int) -> str:
        state, reason = self.kinds[code]
        if code == KIND_EXITED:
            return "exited"
        return f"{state.name.lower()} ({reason})" if reason else state.name.lower()

    def gen_of(self, time_ns: NDArray[np.int64] | int) -> NDArray[np.int32] | int:
        """Generation index of events at ``time_ns`` (exact: Go's times strictly increase)."""
        g = np.searchsorted(self.gen_first_ns, time_ns, side="right") - 1
        return g.astype(np.int32) if isinstance(g, np.ndarray) else int(g)

    # -- goroutine rows -------------------------------------------------------------------

    def goroutine_row(self, g_idx: int) -> SpanRow:
        """All spans of goroutine ``g_idx`` (cached; a few µs per segment it touches)."""
        return self._cached(("g", g_idx), lambda: self._build_goroutine_row(g_idx))

    def _build_goroutine_row(self, g: int) -> SpanRow:
        parts = []
        s = int(self.last_seg[g]) if g < len(self.last_seg) else -1
        while s >= 0:
            seg = self.segments[s]
            i = int(np.searchsorted(seg.g_idx, g))
            parts.append((seg, i))
            s = int(seg.g_prev[i])
        parts.reverse()
        if parts:
            start = np.concatenate([seg.slice_starts(i) for seg, i in parts])
            kind = np.concatenate(
                [seg.kp_kind[seg.kp[seg.g_off[i] : seg.g_off[i + 1]]] for seg, i in parts]
            )
        else:
            start = np.zeros(0, np.int64)
            kind = np.zeros(0, np.uint8)
        end = np.empty_like(start)
        if len(start):
            end[:-1] = start[1:]
            end[-1] = start[-1] if kind[-1] == KIND_EXITED else max(self.covered_ns, int(start[-1]))
        state = self.kind_state[kind]
        gen = self.gen_of(start) if len(start) else np.zeros(0, np.int32)
        row = SpanRow(start, end, kind, state, np.asarray(gen, np.int32))
        for a in (start, end, kind, state, row.gen):
            a.flags.writeable = False
        return row

    def goroutine_spans(self, g_idx: int, t0_ns: int, t1_ns: int) -> SpanRow:
        """The spans of ``g_idx`` overlapping ``[t0_ns, t1_ns)`` (views into the cached row)."""
        row = self.goroutine_row(g_idx)
        lo, hi = row.window(t0_ns, t1_ns)
        return SpanRow(*(getattr(row, f)[lo:hi] for f in SpanRow.__dataclass_fields__))

    # -- procs and threads ----------------------------------------------------------------

    def proc_spans(self, p_idx: int, t0_ns: int = 0, t1_ns: int | None = None) -> IntervalRow:
        """Which goroutine runs on proc ``p_idx`` during ``[t0_ns, t1_ns)`` (gaps are idle).

        Intervals are the Running spans of the goroutines on that proc, sorted, not
        overlapping; an interval crossing the window is returned whole. Cost: the
        segments overlapping the window (vectorised), plus a cached goroutine row
        for the few spans crossing segment borders.
        """
        return self._occupancy("p", p_idx, t0_ns, t1_ns)

    def thread_spans(self, m_idx: int, t0_ns: int = 0, t1_ns: int | None = None) -> IntervalRow:
        """What thread ``m_idx`` does during ``[t0_ns, t1_ns)``: runs a goroutine (state
        Running, ``proc`` = its p_idx) or is in a syscall for one (state Syscall)."""
        return self._occupancy("m", m_idx, t0_ns, t1_ns)

    def proc_row(self, p_idx: int) -> IntervalRow:
        """:meth:`proc_spans` over the whole snapshot (cached).

        NOTE: on big traces a whole row is big (the 450 MB trace: ~12 M intervals per
        proc, ~25 B each once materialised); views should ask :meth:`proc_spans` for
        their (buffered) window instead.
        """
        return self._cached(("p", p_idx), lambda: self.proc_spans(p_idx))

    def thread_row(self, m_idx: int) -> IntervalRow:
        """:meth:`thread_spans` over the whole snapshot (cached; see :meth:`proc_row`)."""
        return self._cached(("m", m_idx), lambda: self.thread_spans(m_idx))

    def _cached(self, key, make):
        """LRU of materialised rows, bounded by bytes (``CACHE_BYTES``), not by count:
        one long-lived goroutine's row can hold millions of spans."""
        with self._lock:
            item = self._cache.get(key)
            if item is not None:
                self._cache.move_to_end(key)
                return item[0]
        v = make()
        n = _nbytes(v)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = (v, n)
                self._cache_bytes[0] += n
                while self._cache_bytes[0] > CACHE_BYTES and len(self._cache) > 1:
                    _, (_, old) = self._cache.popitem(last=False)
                    self._cache_bytes[0] -= old
        return v

    def segment_bases(self) -> NDArray[np.int64]:
        """(S,) int64 — ``base_ns`` of every segment (ascending)."""
        return self._cached(
            ("bases",), lambda: np.array([s.base_ns for s in self.segments], np.int64)
        )

    def _occupancy(self, which: str, r: int, t0_ns: int, t1_ns: int | None) -> IntervalRow:
        t1 = self.covered_ns + 1 if t1_ns is None else t1_ns
        bases = self.segment_bases()
        lo = max(0, int(np.searchsorted(bases, t0_ns, side="right")) - 1)
        hi = int(np.searchsorted(bases, t1, side="left"))
        known: list[tuple] = []  # (g, start, end, proc, thread, state)
        unknown: list[tuple] = []  # ends to resolve through the goroutine's row
        ks = self.kind_state
        for si in range(lo, min(hi, len(self.segments))):
            seg = self.segments[si]
            st = ks[seg.kind]
            proc = idx_col(seg.proc)
            thread = self._thread_col(seg, st, proc)
            col = proc if which == "p" else thread
            occ = st == KIND_RUNNING
            if which == "m":
                occ |= st == KIND_SYSCALL
            m = occ & (col == r)
            last = seg.last_in_slice()
            rows = np.flatnonzero(m & ~last)
            gi = np.searchsorted(seg.g_off, rows, side="right") - 1
            known.append(
                (
                    seg.g_idx[gi],
                    seg.start[rows].astype(np.int64) + seg.base_ns,
                    seg.start[rows + 1].astype(np.int64) + seg.base_ns,
                    proc[rows],
                    thread[rows],
                    st[rows],
                )
            )
            lm = (seg.late_proc if which == "p" else seg.late_thread) == r
            if which == "p":
                lm &= seg.late_state == KIND_RUNNING
            known.append(
                (
                    seg.late_g[lm],
                    seg.late_start[lm],
                    seg.late_end[lm],
                    seg.late_proc[lm],
                    seg.late_thread[lm],
                    seg.late_state[lm],
                )
            )
            tails = np.flatnonzero(m & last)
            if len(tails):
                gi = np.searchsorted(seg.g_off, tails, side="right") - 1
                unknown.append(
                    (
                        seg.g_idx[gi],
                        seg.start[tails].astype(np.int64) + seg.base_ns,
                        proc[tails],
                        thread[tails],
                        st[tails],
                    )
                )
            if si == lo:
                hm = (seg.head_proc if which == "p" else seg.head_thread) == r
                if which == "p":
                    hm &= seg.head_state == KIND_RUNNING
                unknown.append(
                    (
                        seg.head_g[hm],
                        seg.head_start[hm],
                        seg.head_proc[hm],
                        seg.head_thread[hm],
                        seg.head_state[hm],
                    )
                )
        o = self.open_occupancy
        om = (o.proc if which == "p" else o.thread) == r
        if which == "p":
            om &= o.state == KIND_RUNNING
        unknown.append((o.g[om], o.start_ns[om], o.proc[om], o.thread[om], o.state[om]))
        for g, start, proc, thread, state in unknown:
            end = np.array(
                [
                    self._span_end(int(a), int(b))
                    for a, b in zip(g.tolist(), start.tolist(), strict=True)
                ],
                np.int64,
            )
            known.append((g, start, end, proc, thread, state))
        g = np.concatenate([np.asarray(k[0], np.int64) for k in known])
        start = np.concatenate([np.asarray(k[1], np.int64) for k in known])
        end = np.concatenate([np.asarray(k[2], np.int64) for k in known])
        proc = np.concatenate([np.asarray(k[3], np.int32) for k in known])
        thread = np.concatenate([np.asarray(k[4], np.int32) for k in known])
        state = np.concatenate([np.asarray(k[5], np.uint8) for k in known])
        keep = (start < t1) & (end >= t0_ns)
        order = np.lexsort((g[keep], start[keep]))
        g, start, end = g[keep][order], start[keep][order], end[keep][order]
        proc, thread, state = proc[keep][order], thread[keep][order], state[keep][order]
        dup = np.zeros(len(g), bool)
        dup[1:] = (g[1:] == g[:-1]) & (start[1:] == start[:-1])
        ok = ~dup
        row = IntervalRow(
            start[ok],
            end[ok],
            g[ok].astype(np.int32),
            state[ok],
            (thread if which == "p" else proc)[ok],
        )
        for a in (row.start_ns, row.end_ns, row.g_idx, row.state, row.proc):
            a.flags.writeable = False
        return row

    def _thread_col(self, seg: SpanSegment, st: NDArray[np.uint8], proc) -> NDArray[np.int32]:
        """(n,) int32 — m_idx of each Running (from the proc→thread run-length code) and
        Syscall span of ``seg``; -1 elsewhere."""
        th = np.full(len(st), -1, np.int32)
        th[seg.sys_row] = seg.sys_thread
        run = np.flatnonzero((st == KIND_RUNNING) & (proc >= 0))
        if len(run):
            rle_t, rle_m = self._proc_threads()
            start = seg.start[run].astype(np.int64) + seg.base_ns
            pr = proc[run]
            for p in np.unique(pr).tolist():
                sel = pr == p
                if p >= len(rle_t) or not len(rle_t[p]):
                    continue
                j = np.searchsorted(rle_t[p], start[sel], side="right") - 1
                th[run[sel]] = np.where(j >= 0, rle_m[p][np.maximum(j, 0)], -1)
        return th

    def _proc_threads(self) -> tuple[list[NDArray[np.int64]], list[NDArray[np.int32]]]:
        """Per p_idx: (times, m_idx) where the thread running the proc's spans changes."""

        def make():
            p = np.concatenate([s.pm_p for s in self.segments] or [np.zeros(0, np.int32)])
            t = np.concatenate([s.pm_time for s in self.segments] or [np.zeros(0, np.int64)])
            m = np.concatenate([s.pm_thread for s in self.segments] or [np.zeros(0, np.int32)])
            ts, ms = [], []
            for k in range(len(self.proc_ids)):
                sel = p == k
                ts.append(t[sel])
                ms.append(m[sel])
            return ts, ms

        return self._cached(("proc_threads",), make)

    def _span_end(self, g: int, start_ns: int) -> int:
        row = self.goroutine_row(g)
        i = int(np.searchsorted(row.start_ns, start_ns))
        if i < len(row) and int(row.start_ns[i]) == start_ns:
            return int(row.end_ns[i])
        return self.covered_ns

    def proc_states(self, p_idx: int) -> StepSeries:
        """ProcState (Running/Idle) transitions of proc ``p_idx`` as a step series."""
        ts, vs = [], []
        for seg in self.segments:
            i = int(np.searchsorted(seg.ps_idx, p_idx))
            if i < len(seg.ps_idx) and int(seg.ps_idx[i]) == p_idx:
                a, b = int(seg.ps_off[i]), int(seg.ps_off[i + 1])
                ts.append(seg.ps_time[a:b])
                vs.append(seg.ps_state[a:b].astype(np.int64))
        if not ts:
            return StepSeries(np.zeros(0, np.int64), np.zeros(0, np.int64))
        return StepSeries(np.concatenate(ts), np.concatenate(vs))

    # -- groups and aggregates ------------------------------------------------------------

    def groups(self) -> dict[str, NDArray[np.int64]]:
        """Goroutines grouped by start function (``""``: unknown), g_idx ascending."""
        sf = self.goroutines.start_func
        codes, inv = np.unique(sf, return_inverse=True)
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(len(codes) + 1))
        out = {}
        for k, c in enumerate(codes.tolist()):
            out[self.strings[c] if c >= 0 else ""] = order[bounds[k] : bounds[k + 1]].astype(
                np.int64
            )
        return out

    def state_counts(self, g_idxs, t0_ns: int = 0, t1_ns: int | None = None) -> StepSeries | dict:
        """Exact step series of how many of ``g_idxs`` are in each state over ``[t0, t1)``.

        Returns ``{GoState: StepSeries}`` for Runnable, Running, Waiting, Syscall
        (the aggregate row of a goroutine group). Cost: the spans of those
        goroutines (a job for big groups).
        """
        t1 = self.covered_ns if t1_ns is None else t1_ns
        times, cols, deltas = [], [], []
        col_of = np.full(256, -1, np.int64)
        for c, s in enumerate(STATE_COLUMNS):
            col_of[int(s)] = c
        for g in np.asarray(g_idxs, np.int64).tolist():
            row = self.goroutine_row(g)
            lo, hi = row.window(t0_ns, t1)
            if hi <= lo:
                continue
            c = col_of[row.state[lo:hi]]
            ok = c >= 0
            s = np.maximum(row.start_ns[lo:hi][ok], t0_ns)
            e = row.end_ns[lo:hi][ok]
            ends = e < t1  # spans still on at t1 stay counted in the last step
            times += [s, e[ends]]
            cols += [c[ok], c[ok][ends]]
            deltas += [np.ones(len(s), np.int64), -np.ones(int(ends.sum()), np.int64)]
        if not times:
            return {st: StepSeries(np.array([t0_ns]), np.array([0])) for st in STATE_COLUMNS}
        t = np.concatenate(times)
        c = np.concatenate(cols)
        d = np.concatenate(deltas)
        out = {}
        for k, st in enumerate(STATE_COLUMNS):
            m = c == k
            tk, dk = t[m], d[m]
            order = np.lexsort((dk, tk))  # at equal times apply -1 first
            tk, vk = tk[order], np.cumsum(dk[order])
            # keep the last value per distinct time
            keep = np.r_[tk[1:] != tk[:-1], True] if len(tk) else np.zeros(0, bool)
            tk, vk = tk[keep], vk[keep]
            out[st] = StepSeries(np.r_[np.int64(t0_ns), tk], np.r_[np.int64(0), vk])
        return out

    def group_state_bins(
        self, g_idxs, t0_ns: int = 0, t1_ns: int | None = None, *, bin_ns: int | None = None
    ) -> StateBins:
        """How many of ``g_idxs`` are in each state over ``[t0, t1)``, binned (min/max/last).

        The aggregate row of a collapsed goroutine group: vectorised over the
        segments up to ``t1`` (segments before ``t0`` only move the counts), so a
        group of millions of goroutines costs one pass over its transitions, not a
        Python loop per goroutine. ``bin_ns`` defaults to about (t1 − t0) / 4096.
        Job thread for big groups (~0.1 s per 10 M spans scanned).
        """
        t1 = self.covered_ns + 1 if t1_ns is None else t1_ns
        if bin_ns is None:
            bin_ns = max(1, (t1 - t0_ns) >> 12)
        member = np.zeros(self.n_goroutines, bool)
        member[np.asarray(g_idxs, np.int64)] = True
        binner = StateBinner(bin_ns, skip_before_ns=t0_ns)
        ks = self.kind_state
        for seg in self.segments:
            if seg.base_ns >= t1:
                break
            rows_g = seg.row_goroutine()
            m = member[rows_g]
            if not m.any():
                continue
            st = ks[seg.kind]
            frm = np.empty_like(st)
            frm[1:] = st[:-1]
            frm[seg.g_off[:-1]] = seg.g_from
            t = seg.start[m].astype(np.int64) + seg.base_ns
            to, fr = st[m], frm[m]
            keep = t < t1
            order = np.argsort(t[keep], kind="stable")
            binner.add(t[keep][order], fr[keep][order], to[keep][order])
        return binner.result()

    # -- ranges ---------------------------------------------------------------------------

    def ranges_named(self, prefix: str) -> RangeTable:
        """Ranges whose name starts with ``prefix`` (e.g. "stop-the-world", "GC mark assist")."""
        codes = [i for i, s in enumerate(self.strings) if s.startswith(prefix)]
        m = np.isin(self.ranges.name, codes)
        r = self.ranges
        return RangeTable(r.name[m], r.scope_kind[m], r.scope_id[m], r.start_ns[m], r.end_ns[m])

    def regions_of(self, g_idx: int) -> RegionTable:
        """The regions of goroutine ``g_idx`` (a CSR over ``regions`` built once, cached)."""

        def make():
            r = self.regions
            order = np.argsort(r.g_idx, kind="stable")
            bounds = np.searchsorted(r.g_idx[order], np.arange(self.n_goroutines + 1))
            return order, bounds

        order, bounds = self._cached(("regions",), make)
        if not 0 <= g_idx < self.n_goroutines:
            sel = order[:0]
        else:
            sel = order[bounds[g_idx] : bounds[g_idx + 1]]
        r = self.regions
        return RegionTable(*(getattr(r, f)[sel] for f in RegionTable.__dataclass_fields__))
