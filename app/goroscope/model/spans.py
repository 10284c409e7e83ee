"""Build the :class:`~goroscope.model.timeline.Timeline` from Go's event stream (L1, numpy).

What
----
:class:`TimelineBuilder` folds :class:`~goroscope.model.events.EventTable` chunks
*in stream order* (generation after generation; state carries across chunks and
generations) into the compact tables described in :mod:`goroscope.model.timeline`.
:func:`build_timeline` is the job-shaped driver (cancel, progress, a snapshot
callback after every chunk that finished a generation: progressive readiness).
:class:`DetailResolver` re-decodes what the model does not keep (stacks of a
span's start event, log messages) from the mmap on demand.

How (no per-event Python loop)
------------------------------
Per chunk, goroutine transitions are put in goroutine order with one stable
argsort (Go's times strictly increase, so time order within a goroutine is
kept). The first row of each goroutine group takes carried state, the last row
updates it; everything between is a shift by one. Occupancy of procs and
threads is derived from the same rows: a row *ends* an interval when the
goroutine was occupying (from-state Running, or Running/Syscall for threads)
and stops or moves, and *starts* one when it begins occupying; ends pair with
the start just before them in the same group, or with the carried open
interval (a small sorted open set: only goroutines running or in a syscall
right now). Ranges pair begin/end per (name, scope) by a lexsort; regions pair
per (goroutine, nesting depth) after a per-goroutine cumulative depth. Python
loops only run over *distinct* strings and stacks of a chunk, and over the few
ranges/regions open across a chunk boundary.

Bytes per span and the memory budget are measured by ``tests/bench/bench_model.py``
(see the design note in :mod:`goroscope.model.timeline`).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.model.events import (
    NO_TASK,
    EventKind,
    EventTable,
    GoState,
    ResourceKind,
)
from goroscope.model.timeline import (
    CpuSampleTable,
    GoroutineTable,
    LogTable,
    OccupancyTable,
    Packed64,
    RangeTable,
    RegionTable,
    SpanSegment,
    StateBinner,
    StepSeries,
    TaskTable,
    Timeline,
    encode_starts,
    pack64,
)

__all__ = ["DetailResolver", "TimelineBuilder", "build_timeline"]

_RUNNING = int(GoState.Running)
_SYSCALL = int(GoState.Syscall)
_WAITING = int(GoState.Waiting)
_RUNNABLE = int(GoState.Runnable)
_NOTEXIST = int(GoState.NotExist)
#: metric names Go emits → our counter names
METRICS = {
    "/memory/classes/heap/objects:bytes": "heap_in_use",
    "/gc/heap/goal:bytes": "heap_goal",
    "/sched/gomaxprocs:threads": "gomaxprocs",
}


#: events folded between two ``malloc_trim`` calls (``TimelineBuilder.add``; a trim costs
#: ~1 ms plus re-faulting the next chunk's temporaries)
TRIM_EVENTS = 1 << 20


# --- growable columns ----------------------------------------------------------------------


class _Col:
    """An append-only column of the builder, shared with snapshots copy-on-write.

    Snapshots never copy a column: ``view()`` is a read-only view of the rows so far,
    ``view_with(tail)`` the rows plus a few extra ones written *after* them (a partial
    snapshot's open ranges and regions) without appending them. The builder copies the
    buffer only when it is about to write where a live view could see it: an in-place
    write (``live``) or an append over rows a ``view_with`` showed, while any view of
    the buffer is alive. numpy views reference the array that owns the memory however
    they were derived, so the buffer's reference count says exactly whether a view is
    alive. So a consumer holding the latest snapshot costs one copy of the mutable
    columns, made lazily, not one per snapshot on top of the builder's (the big trace's
    per-goroutine and region columns are ~0.17 GB; HACKING.md § Analyses, "The span model build").

    Growth reallocates in place while no view exists (``ndarray.resize``: glibc's
    ``realloc`` moves big blocks with ``mremap``, no copy) by 1/8 of the capacity, so
    at most ~11 % of a column is spare; ``trim`` shrinks it in place the same way.
    """

    __slots__ = ("_a", "_exposed", "n")

    #: growth: capacity += capacity // _GROW (in place unless a view is alive)
    _GROW = 8

    def __init__(self, dtype, width: int = 0) -> None:
        shape = (16, width) if width else (16,)
        self._a = np.zeros(shape, dtype)
        self.n = 0
        self._exposed = 0  # rows [n, _exposed) were shown by view_with

    def _shared(self) -> bool:
        """A view of the buffer is alive (references: ``self._a`` and the argument)."""
        return sys.getrefcount(self._a) > 2

    def _realloc(self, cap: int) -> None:
        """Make the buffer ``cap`` rows: in place when nothing views it, else a fresh
        copy of the rows (the old buffer stays with the views)."""
        shape = (cap, *self._a.shape[1:])
        if not self._shared():
            try:
                self._a.resize(shape, refcheck=True)
                return
            except ValueError:  # referenced after all: copy
                pass
        b = np.zeros(shape, self._a.dtype)
        b[: self.n] = self._a[: self.n]
        self._a = b
        self._exposed = 0

    def _reserve(self, k: int) -> None:
        """Room for ``k`` rows after ``n`` that no live view shows."""
        cap = self._a.shape[0]
        if self.n + k > cap:
            self._realloc(max(cap + cap // self._GROW, self.n + k, 16))
        elif self._exposed > self.n and self._shared():
            self._realloc(cap)

    def extend(self, x) -> None:
        x = np.asarray(x, self._a.dtype)
        k = x.shape[0]
        if k and self._exposed >= self.n + k and np.array_equal(self._a[self.n : self.n + k], x):
            # rows a live view_with shows already hold these values (the final snapshot's
            # open ranges/regions, as the last partial snapshot showed them): no copy
            self.n += k
            return
        self._reserve(k)
        self._a[self.n : self.n + k] = x
        self.n += k

    def grow_to(self, n: int, fill) -> None:
        if n > self.n:
            self.extend(np.full((n - self.n, *self._a.shape[1:]), fill, self._a.dtype))

    @property
    def live(self) -> np.ndarray:
        """Writable prefix (builder only; copies the buffer first while a snapshot views
        it). Take it fresh for each write: an earlier ``live`` may be a stale buffer."""
        if self._shared():
            self._realloc(self._a.shape[0])
        return self._a[: self.n]

    def trim(self) -> None:
        """Drop the spare capacity (a final snapshot's views would keep it alive).

        While a view of the buffer lives (the app holds the last partial snapshot), a
        copy of the rows would double the column for a moment (the final snapshot of
        the 450 MB trace's app path peaked ≈ 30 MB above the build): the spare rows no
        view shows give their pages back instead (``MADV_DONTNEED``; they read as zeros)."""
        if self._a.shape[0] > self.n:
            if self._shared():
                _release_rows(self._a, max(self.n, self._exposed))
            else:
                self._realloc(self.n)

    def view(self) -> np.ndarray:
        v = self._a[: self.n].view()
        v.flags.writeable = False
        return v

    def view_with(self, tail) -> np.ndarray:
        """Read-only view of the rows followed by ``tail`` (written after them, not
        appended: the next append overwrites them, after a copy if this view lives)."""
        tail = np.asarray(tail, self._a.dtype)
        k = tail.shape[0]
        if k == 0:
            return self.view()
        self._reserve(k)
        self._a[self.n : self.n + k] = tail
        self._exposed = self.n + k
        v = self._a[: self.n + k].view()
        v.flags.writeable = False
        return v


class _PackedCol:
    """An append-only int64 (or uint64) builder column stored as :class:`Packed64`: a
    ``_Col`` of uint32 offsets (copy-on-write like the others) and the block table
    (a few entries; copied into each snapshot). 4 B per row instead of 8 while the
    builder runs, so the fold's peak holds the narrow column too."""

    __slots__ = ("_bases", "_rows", "lo", "unsigned")

    def __init__(self, unsigned: bool = False) -> None:
        self.lo = _Col(np.uint32)
        self._rows: list[int] = []
        self._bases: list[int] = []
        self.unsigned = unsigned

    @property
    def n(self) -> int:
        return self.lo.n

    def _pack(self, x) -> tuple:
        x = np.asarray(x, np.uint64 if self.unsigned else np.int64)
        if self.unsigned:
            x = x.view(np.int64)
        lo, rows, bases = pack64(x, self._bases[-1] if self._bases else None)
        return lo, [r + self.lo.n for r in rows], bases

    def extend(self, x) -> None:
        lo, rows, bases = self._pack(x)
        self.lo.extend(lo)
        self._rows += rows
        self._bases += bases

    def trim(self) -> None:
        self.lo.trim()

    def _table(self, lo, rows, bases) -> Packed64:
        if rows and rows[0] != 0:
            rows = [0, *rows[1:]]  # rows before the first block are all -1
        return Packed64(lo, np.array(rows, np.int64), np.array(bases, np.int64), self.unsigned)

    def view(self) -> Packed64:
        return self._table(self.lo.view(), self._rows, self._bases)

    def view_with(self, tail) -> Packed64:
        """:meth:`_Col.view_with` for the packed rows (the tail's blocks are not kept)."""
        lo, rows, bases = self._pack(tail)
        return self._table(self.lo.view_with(lo), self._rows + rows, self._bases + bases)


class _Arena:
    """Long-lived storage for the segments' arrays: each segment's arrays are copied,
    back to back, into blocks of ``BLOCK`` bytes (above ``bound_heap``'s threshold, so
    mapped, never in glibc's heap).

    A chunk's fold makes the segment's ~25 small arrays among its temporaries; kept
    there, they pinned the heap around the freed temporaries. Copied out, the heap holds
    mostly temporaries, which the next chunk reuses: with ``g_prev`` int16, the 450 MB
    trace's build peak 624 → 598 MB (free heap at the end of the stream 45 → 38 MB,
    what stays after a trim 476 → 466 MB). A segment larger than a quarter block
    keeps its own arrays. Blocks are never freed (segments live as long as the model);
    the unused tail of a block (≤ a quarter) is never touched, so never resident.
    """

    BLOCK = 8 << 20

    def __init__(self) -> None:
        self._buf: NDArray[np.uint8] | None = None
        self._pos = 0

    def pack(self, arrays: dict) -> dict:
        """Read-only copies of the arrays in ``arrays`` (name → array) in the arena; other
        values and the shared ``kp_kind``/``kp_proc`` tables are passed through."""
        own = {k: v for k, v in arrays.items()
               if isinstance(v, np.ndarray) and k not in ("kp_kind", "kp_proc")}  # fmt: skip
        sizes = {k: (v.nbytes + 7) & ~7 for k, v in own.items()}
        total = sum(sizes.values())
        if total > self.BLOCK // 4:
            return arrays
        if self._buf is None or self._pos + total > self._buf.shape[0]:
            self._buf = np.empty(self.BLOCK, np.uint8)
            self._pos = 0
        out = dict(arrays)
        for k, v in own.items():
            a = self._buf[self._pos : self._pos + v.nbytes].view(v.dtype).reshape(v.shape)
            a[...] = v
            a.flags.writeable = False
            out[k] = a
            self._pos += sizes[k]
        return out


class _Strings:
    """Model string table: text ↔ code (code 0 = "")."""

    def __init__(self) -> None:
        self.list: list[str] = [""]
        self._codes: dict[str, int] = {"": 0}

    def code(self, s: str) -> int:
        c = self._codes.get(s)
        if c is None:
            c = len(self.list)
            self.list.append(s)
            self._codes[s] = c
        return c

    def remap(self, codes: NDArray, strings: tuple[str, ...]) -> NDArray[np.int32]:
        """Chunk string codes → model codes (one dict lookup per distinct code; no sort)."""
        if len(codes) == 0:
            return np.zeros(0, np.int32)
        c = codes.astype(np.int64)
        present = np.flatnonzero(np.bincount(c, minlength=1))
        lut = np.zeros(int(present[-1]) + 1, np.int32)
        lut[present] = [self.code(strings[int(k)]) for k in present.tolist()]
        return lut[c]


def _group_order(g: NDArray[np.int64]) -> NDArray[np.int64]:
    """Stable argsort of ``g`` (0 <= g < 2**31): sort packed (g, row) keys (no mergesort)."""
    n = len(g)
    return np.sort(g << 32 | np.arange(n, dtype=np.int64)) & 0xFFFFFFFF


def _group_starts(gs: NDArray[np.int64]) -> NDArray[np.int64]:
    """Indices where a run of equal values starts in sorted ``gs``."""
    if len(gs) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])


class _GoidMap:
    """goid → dense g_idx, assigned in order of first appearance.

    Go's goids are small and dense (allocated in batches per P), so a direct table
    (int32, -1 = unknown) serves goids in [0, limit) with limit = 8 × goroutines seen
    + 2^20: at most 32 B per goroutine + 4 MB, whatever IDs the file names (a dense table up
    to a fixed 2^27 cost 512 MB for one goroutine of ID 2^26). Other IDs (huge, or negative:
    wire values >= 2^63 are IDs too, as Go's GoID is an int64) go to sorted levels searched
    vectorised, merged like a binary counter (a level absorbs the next when that is at least
    half its size), so k IDs cost O(k log k) to insert and ≤ log2 k searches per lookup.
    When the limit rises, sparse IDs below it move to the table.
    """

    _BASE = 1 << 20
    _PER_G = 8

    def __init__(self) -> None:
        self._dense = np.full(1024, -1, np.int32)  # g_idx < 2**31
        self._limit = self._BASE
        self._levels: list[tuple[NDArray, NDArray]] = []  # sparse: sorted keys, their g_idx
        self.n = 0

    def _table(self, mx: int) -> None:
        """Make the dense table hold goid ``mx`` (< limit)."""
        if mx >= len(self._dense):
            size = min(max(mx + 1, len(self._dense) * 3 // 2), self._limit)
            b = np.full(size, -1, np.int32)
            b[: len(self._dense)] = self._dense
            self._dense = b

    def _raise_limit(self) -> None:
        limit = self._PER_G * self.n + self._BASE
        if limit <= self._limit:
            return
        self._limit = limit
        for j, (k, v) in enumerate(self._levels):
            a, b = np.searchsorted(k, [0, limit])  # sorted: [a, b) are in [0, limit)
            if b > a:
                self._table(int(k[b - 1]))
                self._dense[k[a:b]] = v[a:b]
                self._levels[j] = (np.concatenate([k[:a], k[b:]]), np.concatenate([v[:a], v[b:]]))
        self._levels = [lv for lv in self._levels if len(lv[0])]

    @staticmethod
    def _find(keys: NDArray[np.int64], vals: NDArray[np.int64], ids: NDArray[np.int64]):
        k = len(keys)
        if k == 0:
            return np.full(len(ids), -1, np.int64)
        o = np.argsort(ids)  # sorted queries search several times faster (cache)
        i = np.empty(len(ids), np.int64)
        i[o] = np.searchsorted(keys, ids[o])
        np.minimum(i, k - 1, out=i)
        return np.where(keys[i] == ids, vals[i], -1)

    def _insert(self, ids: NDArray[np.int64], idx: NDArray[np.int64]) -> None:
        o = np.argsort(ids, kind="stable")
        lv = self._levels
        lv.append((ids[o], idx[o]))
        while len(lv) >= 2 and 2 * len(lv[-1][0]) >= len(lv[-2][0]):
            (k1, v1), (k2, v2) = lv.pop(), lv.pop()
            k, v = np.concatenate([k2, k1]), np.concatenate([v2, v1])
            o = np.argsort(k, kind="stable")
            lv.append((k[o], v[o]))

    def lookup(self, goids: NDArray[np.int64], create: bool = True) -> tuple[NDArray, NDArray]:
        """(g_idx array, goids that were new in first-appearance order)."""
        out = np.full(len(goids), -1, np.int64)
        if len(goids) == 0:
            return out, np.zeros(0, np.int64)
        dense = (goids >= 0) & (goids < self._limit)
        if dense.any():
            gd = goids[dense]
            self._table(int(gd.max()))
            out[dense] = self._dense[gd]
        if not dense.all():
            sp = np.flatnonzero(~dense)
            ids = goids[sp]
            r = np.full(len(ids), -1, np.int64)
            for k, v in self._levels:
                miss = np.flatnonzero(r < 0)
                if len(miss) == 0:
                    break
                r[miss] = self._find(k, v, ids[miss])
            out[sp] = r
        new_ids = np.zeros(0, np.int64)
        if create and (out < 0).any():
            miss = np.flatnonzero(out < 0)
            u, first = np.unique(goids[miss], return_index=True)
            u = u[np.argsort(first, kind="stable")]  # order of first appearance
            idx = np.arange(self.n, self.n + len(u), dtype=np.int64)
            self.n += len(u)
            ud = (u >= 0) & (u < self._limit)
            self._dense[u[ud]] = idx[ud]
            if not ud.all():
                self._insert(u[~ud], idx[~ud])
            self._raise_limit()
            new_ids = u
            out = self.lookup(goids, create=False)[0]
        return out, new_ids


class _SmallMap:
    """Go ID → dense index for few, possibly large IDs (procs, threads).

    Lookups search the sorted known IDs (no sort of the input); only unknown IDs
    (rare: a new thread) take the slow path.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._sorted = np.zeros(0, np.int64)
        self._sorted_idx = np.zeros(0, np.int64)

    def lookup(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        if len(ids) == 0:
            return np.zeros(0, np.int64)
        out = self._find(ids)
        miss = (out < 0) & (ids >= 0)
        if miss.any():
            for i in np.unique(ids[miss]).tolist():
                self.ids.append(i)
            a = np.array(self.ids, np.int64)
            order = np.argsort(a)
            self._sorted, self._sorted_idx = a[order], order.astype(np.int64)
            out = self._find(ids)
        return out

    def _find(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        k = len(self._sorted)
        if k == 0:
            return np.full(len(ids), -1, np.int64)
        i = np.minimum(np.searchsorted(self._sorted, ids), k - 1)
        hit = self._sorted[i] == ids
        return np.where(hit & (ids >= 0), self._sorted_idx[i], -1)


def _csr(keys: NDArray[np.int64], *cols: NDArray) -> tuple:
    """Sort rows by key (stable), return (unique keys, offsets, *sorted cols)."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    u, first = np.unique(k, return_index=True)
    off = np.append(first, len(k)).astype(np.int64)
    return (u.astype(np.int64), off, *(c[order] for c in cols))


def _set_unset(first_from: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Goroutines only seen as an event's context: Undetermined before the trace."""
    first_from.flags.writeable = True
    first_from[first_from == 255] = GoState.Undetermined
    first_from.flags.writeable = False
    return first_from


def _ro(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


class _Occupying:
    """Goroutines whose latest span is Running or Syscall (few: ≤ procs + threads)."""

    def __init__(self) -> None:
        z = np.zeros(0, np.int64)
        self.g, self.start, self.proc, self.thread = z, z, z, z
        self.state = np.zeros(0, np.uint8)

    def table(self) -> OccupancyTable:
        order = np.argsort(self.start, kind="stable")
        t = OccupancyTable(
            self.g[order].copy(),
            self.start[order].copy(),
            self.proc[order].astype(np.int32),
            self.thread[order].astype(np.int32),
            self.state[order].copy(),
        )
        _ro(t.g, t.start_ns, t.proc, t.thread, t.state)
        return t


# --- the builder ---------------------------------------------------------------------------


class TimelineBuilder:
    """Fold EventTable chunks, in stream order, into a :class:`Timeline` (job thread).

    ``add(chunk)`` for each chunk, then ``snapshot(complete=True)``. ``snapshot()``
    may be called after any chunk; the returned Timeline is immutable and
    consistent for ``[0, covered_ns)``. ``state_bin_ns`` is the bin width of the
    goroutines-per-state counters (rounded down to a power of two); pass about
    duration/2**20 (``TraceSession`` derives it from the index).
    """

    def __init__(self, *, state_bin_ns: int = 1 << 14) -> None:
        bound_heap()
        self._since_trim = 0
        self._shift = max(0, int(state_bin_ns).bit_length() - 1)
        self.origin_ns: int | None = None
        self.covered_ns = 0
        self._lock = threading.Lock()
        self._segments: list[SpanSegment] = []
        self._arena = _Arena()
        self._gen_first: list[int] = []
        self._strings = _Strings()
        self._kinds: list[tuple[GoState, str]] = [(GoState(s), "") for s in range(6)]
        self._kind_lut = np.full(64, -1, np.int16)  # reason code * 8 + state → kind code
        self._kind_lut[:6] = np.arange(6)
        self._kind_state = list(range(6))
        self._goids = _GoidMap()
        self._procs = _SmallMap()
        self._threads = _SmallMap()
        # per goroutine
        self._g_goid = _Col(np.int64)
        self._g_first = _PackedCol()
        self._g_end = _Col(np.int64)
        self._g_first_from = _Col(np.uint8)
        self._g_func = _Col(np.int32)
        self._g_creator = _Col(np.int32)
        self._g_last_seg = _Col(np.int32)
        self._occ = _Occupying()
        self._p_thread = np.zeros(0, np.int64)  # per p_idx: thread of its last Running span
        # (kind, proc) pair codes of the span columns (SpanSegment.kp)
        self._kp_tab = np.full((256, 8), -1, np.int32)
        self._kp_kind: list[int] = []
        self._kp_proc: list[int] = []
        self._kp_arrays: tuple | None = None
        self._func_cache: dict[tuple[int, int], int] = {}
        # state counters
        self._binner = StateBinner(1 << self._shift)
        # tables
        self._metrics: dict[str, tuple[_Col, _Col]] = {}
        self._rng = [_Col(np.int32), _Col(np.uint8), _Col(np.int64), _Col(np.int64), _Col(np.int64)]
        self._rng_open: dict[tuple[int, int, int], int] = {}
        self._reg = [
            _Col(np.int32),
            _Col(np.int16),
            _PackedCol(),
            _PackedCol(),
            _Col(np.int32),
            _PackedCol(unsigned=True),
        ]
        self._reg_open: dict[tuple[int, int], tuple[int, int, int]] = {}
        self._g_rdepth = _Col(np.int32)
        self._tb = [
            _Col(np.uint64),
            _Col(np.uint64),
            _Col(np.int32),
            _Col(np.int64),
            _Col(np.int64),
        ]
        self._te = [
            _Col(np.uint64),
            _Col(np.int64),
            _Col(np.int64),
            _Col(np.uint64),
            _Col(np.int32),
        ]
        self._log = [
            _Col(np.int64),
            _Col(np.int64),
            _Col(np.uint64),
            _Col(np.int32),
            _Col(np.int32),
        ]
        self._cpu = [
            _Col(np.int64),
            _Col(np.int64),
            _Col(np.int64),
            _Col(np.int64),
            _Col(np.int32),
            _Col(np.uint64),
        ]

    # -- helpers --------------------------------------------------------------------------

    def _gidx(self, goids: NDArray[np.int64], times: NDArray[np.int64]) -> NDArray[np.int64]:
        """g_idx for goids (-1 stays -1), registering new goroutines first seen at ``times``."""
        out = np.full(len(goids), -1, np.int64)
        m = goids != -1  # NoGoroutine; other negative goids are IDs (wire values >= 2^63)
        if not m.any():
            return out
        n_before = self._goids.n
        idx, new = self._goids.lookup(goids[m])
        out[m] = idx
        if len(new):
            n = self._goids.n
            # first time each new goid appears in this call (only rows of new goroutines)
            rows_new = np.flatnonzero(idx >= n_before)
            u, first = np.unique(idx[rows_new], return_index=True)
            first_t = times[m][rows_new[first]]
            self._g_goid.extend(new)
            self._g_first.extend(first_t)
            self._g_end.grow_to(n, -1)
            self._g_first_from.grow_to(n, 255)
            self._g_func.grow_to(n, -1)
            self._g_creator.grow_to(n, -1)
            self._g_last_seg.grow_to(n, -1)
            self._g_rdepth.grow_to(n, 0)
        return out

    def _kind_codes_for(
        self, state: NDArray[np.uint8], reason: NDArray[np.int32]
    ) -> NDArray[np.uint8]:
        """(GoState, reason code) → kind code through a lookup table (new pairs interned)."""
        key = reason.astype(np.int64) * 8 + state
        if len(key) == 0:
            return np.zeros(0, np.uint8)
        mx = int(key.max())
        if mx >= len(self._kind_lut):
            lut = np.full(max(mx + 1, 2 * len(self._kind_lut)), -1, np.int16)
            lut[: len(self._kind_lut)] = self._kind_lut
            self._kind_lut = lut
        out = self._kind_lut[key]
        miss = out < 0
        if miss.any():
            for v in np.unique(key[miss]).tolist():
                s, r = v & 7, v >> 3
                if len(self._kinds) >= 255:
                    c = s  # OPT: more than 249 distinct reasons fall back to the plain state
                else:
                    c = len(self._kinds)
                    self._kinds.append((GoState(s), self._strings.list[r]))
                    self._kind_state.append(s)
                self._kind_lut[v] = c
            out = self._kind_lut[key]
        return out.astype(np.uint8)

    def _pairs(self, kind: NDArray[np.uint8], proc: NDArray[np.int64]) -> tuple:
        """(kind, proc) pair codes of spans, and the shared lookup tables.

        A dense table ``[kind, proc + 1] → code`` answers known pairs; new pairs are
        interned (few: kinds × procs in use). Codes fit a byte unless a trace uses
        more than 255 pairs (then uint16, or uint32).
        """
        p1 = proc.astype(np.int64) + 1
        k = kind.astype(np.int64)
        if len(p1) and int(p1.max()) >= self._kp_tab.shape[1]:
            tab = np.full((256, max(int(p1.max()) + 1, 2 * self._kp_tab.shape[1])), -1, np.int32)
            tab[:, : self._kp_tab.shape[1]] = self._kp_tab
            self._kp_tab = tab
        code = self._kp_tab[k, p1]
        miss = code < 0
        if miss.any():
            for kk, pp in np.unique(np.stack([k[miss], p1[miss]], 1), axis=0).tolist():
                self._kp_tab[kk, pp] = len(self._kp_kind)
                self._kp_kind.append(kk)
                self._kp_proc.append(pp - 1)
            self._kp_arrays = None
            code = self._kp_tab[k, p1]
        if self._kp_arrays is None:
            kk = np.array(self._kp_kind, np.uint8)
            pp = np.array(self._kp_proc, np.int32)
            _ro(kk, pp)
            self._kp_arrays = (kk, pp)
        n = len(self._kp_kind)
        dtype = np.uint8 if n <= 0x100 else np.uint16 if n <= 0x10000 else np.uint32
        return (code.astype(dtype), *self._kp_arrays)

    # -- the fold -------------------------------------------------------------------------

    def add(self, ev: EventTable) -> None:
        """Fold one chunk (the next in stream order)."""
        n = len(ev)
        if n == 0:
            return
        if self.origin_ns is None:
            self.origin_ns = int(ev.time_ns[0])
        t_all = ev.time_ns - self.origin_ns
        kind = ev.kind
        # generations
        gi = ev.gen_idx
        # Hand the heap's free pages back every TRIM_EVENTS events and at each new
        # generation (release_free_memory: the fold's freed temporaries otherwise
        # accumulate as resident holes between the segments' arrays)
        self._since_trim += n
        new_gen = len(gi) and int(gi.max()) >= len(self._gen_first)
        if self._since_trim >= TRIM_EVENTS or (new_gen and self._gen_first):
            release_free_memory()
            self._since_trim = 0
        if new_gen:
            u, first = np.unique(gi, return_index=True)
            for g, f in zip(u.tolist(), first.tolist(), strict=True):
                while g >= len(self._gen_first) and g >= 0:
                    self._gen_first.append(int(t_all[f]))
        st = kind == EventKind.StateTransition
        seg_idx = len(self._segments)
        # a transition of goroutine -1 (Go's NoGoroutine, wire 2^64-1, taken as an ID by Go's
        # reader) has no row to draw on
        gm = st & (ev.resource_kind == ResourceKind.Goroutine) & (ev.resource_id != -1)
        seg = self._goroutine_transitions(ev, np.flatnonzero(gm), t_all, seg_idx)
        pm = np.flatnonzero(st & (ev.resource_kind == ResourceKind.Proc))
        p_idx = self._procs.lookup(ev.resource_id[pm])
        # A thread seen only starting or stopping Ps (no goroutine ran on it, e.g. go1.21/
        # service's M2: P0 Idle->Running->Idle) is still one of the trace's threads, as
        # for Go (tracecount counts every event's Thread()); it just draws no row.
        self._threads.lookup(ev.thread[pm])
        ok = p_idx >= 0
        ps = _csr(p_idx[ok], t_all[pm][ok], ev.state_to[pm][ok])
        _ro(*ps)
        seg["ps_idx"], seg["ps_off"], seg["ps_time"], seg["ps_state"] = ps
        segment = SpanSegment(base_ns=int(t_all[0]), end_ns=int(t_all[-1]), **self._arena.pack(seg))
        self._segments.append(segment)
        self._ranges(ev, t_all)
        self._regions(ev, t_all)
        self._annotations(ev, t_all)
        self.covered_ns = int(t_all[-1])

    def _goroutine_transitions(self, ev: EventTable, rows, t_all, seg_idx: int) -> dict:
        goid = ev.resource_id[rows]
        t = t_all[rows]
        g = self._gidx(goid, t)
        sfrom = ev.state_from[rows]
        sto = ev.state_to[rows]
        reason = self._strings.remap(ev.reason[rows], ev.strings)
        kcode = self._kind_codes_for(sto, reason)
        gen = ev.gen_idx[rows]
        ctx_p = self._procs.lookup(ev.proc[rows])
        ctx_m = self._threads.lookup(ev.thread[rows])
        tstack = ev.transition_stack_id[rows]
        # goroutine state counters (in time order)
        self._state_counts(t, sfrom, sto)
        # per goroutine facts
        # first_from: the state before a goroutine's very first transition (255 = unset)
        ff = self._g_first_from.live
        unset = np.flatnonzero(ff[g] == 255)
        if len(unset):
            u, first_i = np.unique(g[unset], return_index=True)
            ff[u] = sfrom[unset[first_i]]
        # creations: a goid may be created again after it exited (the goroutine of a C
        # thread's extra M is reused), so the *last* creation in the chunk wins
        created = np.flatnonzero(sfrom == GoState.NotExist)
        limit = np.full(len(g), -1, np.int64)
        if len(created):
            rev = created[::-1]
            u, last_i = np.unique(g[rev], return_index=True)
            last_cr = rev[last_i]
            # only creations need the context goroutine (the creator)
            self._g_creator.live[u] = self._gidx(ev.goroutine[rows[last_cr]], t[last_cr])
            self._g_end.live[u] = -1
            self._g_func.live[u] = -1  # Go's summary names each lifetime anew
            i = np.minimum(np.searchsorted(u, g), len(u) - 1)
            hit = u[i] == g
            limit[hit] = last_cr[i[hit]]
        exited = np.flatnonzero(sto == GoState.NotExist)
        if len(exited):
            rev = exited[::-1]
            u, last_i = np.unique(g[rev], return_index=True)
            last_ex = rev[last_i]
            dead = limit[last_ex] < last_ex  # unless created again later in the chunk
            self._g_end.live[u[dead]] = t[last_ex[dead]]
        self._start_funcs(ev, g, tstack, gen, limit)
        # group by goroutine
        order = _group_order(g)
        gs, ts = g[order], t[order]
        out: dict = {}
        first_i = _group_starts(gs)
        ug = gs[first_i]
        first = np.zeros(len(gs), bool)
        first[first_i] = True
        out["g_idx"] = ug.astype(np.int32)
        out["g_off"] = np.append(first_i, len(gs)).astype(np.int32)
        last_seg = self._g_last_seg.live
        # int16 while segment indices fit (-1: none); int32 from segment 32767 on
        out["g_prev"] = last_seg[ug].astype(np.int16 if seg_idx < 0x7FFF else np.int32)
        out["g_from"] = sfrom[order][first_i].astype(np.uint8)
        last_seg[ug] = seg_idx
        base = int(t_all[0])
        out["dt"], out["g_boff"] = encode_starts(ts - base, out["g_off"])
        out["kp"], out["kp_kind"], out["kp_proc"] = self._pairs(kcode[order], ctx_p[order])
        to = sto[order]
        sysr = np.flatnonzero(to == _SYSCALL)
        out["sys_row"] = sysr.astype(np.uint32)
        out["sys_thread"] = ctx_m[order][sysr].astype(np.int32)
        out.update(self._proc_thread_changes(t, sto, ctx_p, ctx_m))
        out.update(self._carry_occupancy(gs, ts, to, ctx_p[order], ctx_m[order], first))
        for v in out.values():
            _ro(v)
        return out

    def _proc_thread_changes(self, t, sto, ctx_p, ctx_m) -> dict:
        """Run-length code of the thread running each proc's Running spans (time order)."""
        run = np.flatnonzero((sto == _RUNNING) & (ctx_p >= 0))
        if len(run) == 0:
            z32 = np.zeros(0, np.int32)
            return {"pm_p": z32, "pm_time": np.zeros(0, np.int64), "pm_thread": z32}
        p, m, tt = ctx_p[run], ctx_m[run], t[run]
        o = _group_order(p)
        p, m, tt = p[o], m[o], tt[o]
        n_p = int(p.max()) + 1
        if n_p > len(self._p_thread):
            grown = np.full(n_p, -2, np.int64)
            grown[: len(self._p_thread)] = self._p_thread
            self._p_thread = grown
        prev = np.empty(len(p), np.int64)
        prev[1:] = m[:-1]
        first = _group_starts(p)
        prev[first] = self._p_thread[p[first]]
        change = m != prev
        last = np.append(first[1:], len(p)) - 1
        self._p_thread[p[last]] = m[last]
        return {
            "pm_p": p[change].astype(np.int32),
            "pm_time": tt[change],
            "pm_thread": m[change].astype(np.int32),
        }

    def _carry_occupancy(self, gs, ts, to, cp, cm, first) -> dict:
        """Head (occupying at chunk start), late (ended here, began before) and the new carry."""
        o = self._occ
        out = {
            "head_g": o.g,
            "head_start": o.start,
            "head_proc": o.proc.astype(np.int32),
            "head_thread": o.thread.astype(np.int32),
            "head_state": o.state,
        }
        fg = gs[first]  # groups' goroutines, ascending
        i = np.searchsorted(fg, o.g)
        ic = np.minimum(i, max(len(fg) - 1, 0))
        hit = (i < len(fg)) & (fg[ic] == o.g) if len(fg) else np.zeros(len(o.g), bool)
        end = ts[first][ic[hit]] if len(fg) else np.zeros(0, np.int64)
        out.update(
            late_g=o.g[hit],
            late_start=o.start[hit],
            late_end=end,
            late_proc=o.proc[hit].astype(np.int32),
            late_thread=o.thread[hit].astype(np.int32),
            late_state=o.state[hit],
        )
        last = np.append(first[1:], True) if len(first) else first
        occ = last & ((to == _RUNNING) | (to == _SYSCALL))
        keep = ~hit
        ng = np.concatenate([o.g[keep], gs[occ]])
        order = np.argsort(ng, kind="stable")
        o.g = ng[order]
        o.start = np.concatenate([o.start[keep], ts[occ]])[order]
        o.proc = np.concatenate([o.proc[keep], cp[occ]])[order]
        o.thread = np.concatenate([o.thread[keep], cm[occ]])[order]
        o.state = np.concatenate([o.state[keep], to[occ]])[order].astype(np.uint8)
        return out

    def _start_funcs(self, ev: EventTable, g, tstack, gen, limit) -> None:
        """Go's summary names a goroutine by the root frame of its first non-empty
        transition stack since its creation (``internal/trace/summary.go``).

        limit : (n,) int64 — row of the goroutine's last creation in this chunk (-1)
        """
        func = self._g_func.live
        rows = np.arange(len(g))
        cand = np.flatnonzero((tstack != 0) & (func[g] < 0) & (rows >= limit))
        if len(cand) == 0:
            return
        # resolve the first candidate per goroutine; retry later rows only where that
        # stack had no frames or no root function name (rare)
        while len(cand):
            ug, first = np.unique(g[cand], return_index=True)
            sel = cand[first]
            c = self._resolve_funcs(ev, gen[sel], tstack[sel])
            ok = c >= 0
            func[ug[ok]] = c[ok]
            retry = ug[~ok]
            if not len(retry):
                break
            cand = cand[np.isin(g[cand], retry) & (cand > sel[np.searchsorted(ug, g[cand])])]

    def _resolve_funcs(self, ev: EventTable, gen, tstack) -> NDArray[np.int32]:
        """Root-frame function (string code) of each (generation, stack); -1 if no frames
        or an empty function name."""
        # exact (generation, stack ID) pairs: a stack ID is any uint64 on the wire, so no
        # fixed bit split of one int64 holds both (``gen << 40 | id`` made an ID >= 2^40
        # another generation's stack or none)
        pair = np.stack([gen.astype(np.int64), tstack.astype(np.uint64).view(np.int64)], 1)
        u, inv = np.unique(pair, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        codes = np.empty(len(u), np.int32)
        for k, (gi, sid) in enumerate(u.tolist()):
            sid &= (1 << 64) - 1  # the wire's uint64 again
            c = self._func_cache.get((gi, sid))
            if c is None:
                frames = ev.generations[gi].frames(sid) if 0 <= gi < len(ev.generations) else []
                # Go names it while g.Name == "": a root frame without a function name
                # (seen in Go 1.21 traces) leaves it unnamed, a later stack names it
                c = self._strings.code(frames[-1][1]) if frames and frames[-1][1] else -1
                self._func_cache[(gi, sid)] = c
            codes[k] = c
        return codes[inv]

    def _state_counts(self, t, sfrom, sto) -> None:
        self._binner.add(t, sfrom, sto)

    def _ranges(self, ev: EventTable, t_all) -> None:
        k = ev.kind
        rows = np.flatnonzero((k >= EventKind.RangeBegin) & (k <= EventKind.RangeEnd))
        if len(rows) == 0:
            return
        name = self._strings.remap(ev.name[rows], ev.strings).astype(np.int64)
        rk = ev.resource_kind[rows].astype(np.int64)
        rid = ev.resource_id[rows]
        act = np.flatnonzero(k[rows] == EventKind.RangeActive)
        if len(act) and self._rng_open:
            # RangeActive of a range already open (a new generation confirming it): drop
            drop = [
                i for i in act.tolist() if (int(name[i]), int(rk[i]), int(rid[i])) in self._rng_open
            ]
            if drop:
                keep = np.ones(len(rows), bool)
                keep[drop] = False
                rows, name, rk, rid = rows[keep], name[keep], rk[keep], rid[keep]
        t = t_all[rows]
        is_end = k[rows] == EventKind.RangeEnd
        order = np.lexsort((t, rid, rk, name))
        name, rk, rid, t, is_end = name[order], rk[order], rid[order], t[order], is_end[order]
        same = np.zeros(len(t), bool)
        same[1:] = (name[1:] == name[:-1]) & (rk[1:] == rk[:-1]) & (rid[1:] == rid[:-1])
        prev_begin = np.zeros(len(t), bool)
        prev_begin[1:] = ~is_end[:-1]
        paired = is_end & same & prev_begin
        pe = np.flatnonzero(paired)
        cols = self._rng
        for c, v in zip(cols, (name[pe], rk[pe], rid[pe], t[pe - 1], t[pe]), strict=True):
            c.extend(v)
        # ends whose begin is carried; begins left open
        ue = np.flatnonzero(is_end & ~paired)  # ends whose begin is carried (or unknown)
        if len(ue):
            starts = [
                self._rng_open.pop(key, -1)
                for key in zip(name[ue].tolist(), rk[ue].tolist(), rid[ue].tolist(), strict=True)
            ]
            for c, v in zip(cols, (name[ue], rk[ue], rid[ue], starts, t[ue]), strict=True):
                c.extend(v)
        nxt_end = np.zeros(len(t), bool)
        nxt_end[:-1] = is_end[1:] & same[1:]
        for i in np.flatnonzero(~is_end & ~nxt_end).tolist():
            key = (int(name[i]), int(rk[i]), int(rid[i]))
            if key not in self._rng_open:  # RangeActive confirms a range already open
                self._rng_open[key] = int(t[i])

    def _regions(self, ev: EventTable, t_all) -> None:
        k = ev.kind
        rows = np.flatnonzero((k == EventKind.RegionBegin) | (k == EventKind.RegionEnd))
        if len(rows) == 0:
            return
        t = t_all[rows]
        g = self._gidx(ev.goroutine[rows], t)
        typ = self._strings.remap(ev.name[rows], ev.strings)
        task = ev.task_id[rows]
        is_begin = k[rows] == EventKind.RegionBegin
        order = np.argsort(g, kind="stable")
        g, t, typ, task, is_begin = g[order], t[order], typ[order], task[order], is_begin[order]
        first = np.r_[True, g[1:] != g[:-1]]
        grp = np.cumsum(first) - 1
        ug = g[first]
        base = self._g_rdepth.live[ug].astype(np.int64)
        step = np.where(is_begin, 1, -1)
        cs = np.cumsum(step)
        grp_start = np.flatnonzero(first)
        cs_before = np.r_[0, cs][grp_start]  # cumsum before each group
        depth_after = base[grp] + cs - cs_before[grp]
        if (depth_after < 0).any():
            self._regions_slow(g, t, typ, task, is_begin)
            return
        level = np.where(is_begin, depth_after - 1, depth_after)
        o2 = np.lexsort((t, level, g))
        g2, lv, t2, ty2, tk2, b2 = g[o2], level[o2], t[o2], typ[o2], task[o2], is_begin[o2]
        same = np.r_[False, (g2[1:] == g2[:-1]) & (lv[1:] == lv[:-1])]
        prev_b = np.r_[False, b2[:-1]]
        paired = ~b2 & same & prev_b
        pe = np.flatnonzero(paired)
        self._region_rows(g2[pe], lv[pe], t2[pe - 1], t2[pe], ty2[pe - 1], tk2[pe - 1])
        ue = np.flatnonzero(~b2 & ~paired)  # ends whose begin is carried (or unknown)
        if len(ue):
            got = [
                self._reg_open.pop((g, d), (-1, ty, tk))
                for g, d, ty, tk in zip(
                    g2[ue].tolist(),
                    lv[ue].tolist(),
                    ty2[ue].tolist(),
                    tk2[ue].tolist(),
                    strict=True,
                )
            ]
            s_, ty_, tk_ = zip(*got, strict=True)
            self._region_rows(g2[ue], lv[ue], s_, t2[ue], ty_, tk_)
        nxt_end = np.r_[~b2[1:] & same[1:], False]
        for i in np.flatnonzero(b2 & ~nxt_end).tolist():
            self._reg_open[(int(g2[i]), int(lv[i]))] = (int(t2[i]), int(ty2[i]), int(tk2[i]))
        last = np.r_[grp_start[1:], len(g)] - 1
        self._g_rdepth.live[ug] = depth_after[last]

    def _regions_slow(self, g, t, typ, task, is_begin) -> None:
        # NOTE: a region end with no region open is accepted (it began before tracing
        # started; HACKING.md § Initial generation); rare, so a plain loop.
        depth = self._g_rdepth.live
        for gi, ti, ty, tk, b in zip(
            g.tolist(), t.tolist(), typ.tolist(), task.tolist(), is_begin.tolist(), strict=True
        ):
            d = int(depth[gi])
            if b:
                self._reg_open[(gi, d)] = (ti, ty, tk)
                depth[gi] = d + 1
            elif d == 0:
                self._region_rows([gi], [0], [-1], [ti], [ty], [tk])
            else:
                s, ty0, tk0 = self._reg_open.pop((gi, d - 1), (-1, ty, tk))
                self._region_rows([gi], [d - 1], [s], [ti], [ty0], [tk0])
                depth[gi] = d - 1

    def _region_rows(self, g, depth, start, end, typ, task) -> None:
        for c, v in zip(self._reg, (g, depth, start, end, typ, task), strict=True):
            c.extend(v)

    def _annotations(self, ev: EventTable, t_all) -> None:
        k = ev.kind
        # metrics
        rows = np.flatnonzero(k == EventKind.Metric)
        if len(rows):
            names = ev.name[rows]
            for code in np.unique(names).tolist():
                key = METRICS.get(ev.strings[code], ev.strings[code])
                cols = self._metrics.setdefault(key, (_Col(np.int64), _Col(np.int64)))
                r = rows[names == code]
                cols[0].extend(t_all[r])
                cols[1].extend(ev.value[r].astype(np.int64))
        rows = np.flatnonzero(k == EventKind.TaskBegin)
        if len(rows):
            vals = (
                ev.task_id[rows],
                ev.parent_task_id[rows],
                self._strings.remap(ev.name[rows], ev.strings),
                t_all[rows],
                self._gidx(ev.goroutine[rows], t_all[rows]),
            )
            for c, v in zip(self._tb, vals, strict=True):
                c.extend(v)
        rows = np.flatnonzero(k == EventKind.TaskEnd)
        if len(rows):
            vals = (
                ev.task_id[rows],
                t_all[rows],
                self._gidx(ev.goroutine[rows], t_all[rows]),
                ev.parent_task_id[rows],
                self._strings.remap(ev.name[rows], ev.strings),
            )
            for c, v in zip(self._te, vals, strict=True):
                c.extend(v)
        rows = np.flatnonzero(k == EventKind.Log)
        if len(rows):
            vals = (
                t_all[rows],
                self._gidx(ev.goroutine[rows], t_all[rows]),
                ev.task_id[rows],
                self._strings.remap(ev.name[rows], ev.strings),
                self._strings.remap(ev.message[rows], ev.strings),
            )
            for c, v in zip(self._log, vals, strict=True):
                c.extend(v)
        rows = np.flatnonzero(k == EventKind.StackSample)
        if len(rows):
            vals = (
                t_all[rows],
                self._gidx(ev.goroutine[rows], t_all[rows]),
                ev.proc[rows],
                ev.thread[rows],
                ev.gen_idx[rows],
                ev.stack_id[rows],
            )
            for c, v in zip(self._cpu, vals, strict=True):
                c.extend(v)

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self, *, complete: bool = False) -> Timeline:
        """An immutable :class:`Timeline` of everything folded so far (job thread).

        ``complete``: the builder is done; its columns first drop their spare capacity,
        so the Timeline holds exactly its rows.
        """
        if complete:
            # The builder is done: open ranges and regions become rows (end -1) and the
            # tables are views of the trimmed columns, not copies (a copy of every
            # per-goroutine and per-region column was ~0.2 GB of peak on the big trace).
            self._close_open_rows()
            for c in self._all_cols():
                c.trim()
        # Views, never copies: the builder copies a column before it next writes where a
        # live snapshot could see it (``_Col``, copy-on-write).
        ff = self._g_first_from.view()
        goroutines = GoroutineTable(
            self._g_goid.view(),
            self._g_first.view(),
            self._g_end.view(),
            # 255 (not seen yet as a transition target) reads as Undetermined; in a partial
            # snapshot without touching the builder's markers (1 B per goroutine)
            _set_unset(ff) if complete else np.where(ff == 255, np.uint8(GoState.Undetermined), ff),
            self._g_func.view(),
            self._g_creator.view(),
        )
        if not complete:
            _ro(goroutines.first_from)
        r = self._rng
        if complete:
            ranges = RangeTable(*(c.view() for c in r))
        else:
            ro_keys = list(self._rng_open)
            ranges = RangeTable(
                r[0].view_with([k[0] for k in ro_keys]),
                r[1].view_with([k[1] for k in ro_keys]),
                r[2].view_with([k[2] for k in ro_keys]),
                r[3].view_with([self._rng_open[k] for k in ro_keys]),
                r[4].view_with(np.full(len(ro_keys), -1, np.int64)),
            )
        ro = sorted(self._reg_open.items())
        reg = self._reg
        if complete:
            regions = RegionTable(*(c.view() for c in reg))
        else:
            regions = RegionTable(
                reg[0].view_with([k[0] for k, _ in ro]),
                reg[1].view_with([k[1] for k, _ in ro]),
                reg[2].view_with([v[0] for _, v in ro]),
                reg[3].view_with(np.full(len(ro), -1, np.int64)),
                reg[4].view_with([v[1] for _, v in ro]),
                reg[5].view_with([v[2] for _, v in ro]),
            )
        tl = Timeline(
            origin_ns=self.origin_ns or 0,
            covered_ns=self.covered_ns,
            complete=complete,
            segments=tuple(self._segments),
            goroutines=goroutines,
            last_seg=self._g_last_seg.view(),
            gen_first_ns=np.array(self._gen_first, np.int64),
            kinds=tuple(self._kinds),
            kind_state=np.array(self._kind_state + [0] * (256 - len(self._kind_state)), np.uint8),
            strings=tuple(self._strings.list),
            proc_ids=np.array(self._procs.ids, np.int64),
            thread_ids=np.array(self._threads.ids, np.int64),
            open_occupancy=self._occ.table(),
            ranges=ranges,
            regions=regions,
            tasks=self._task_table(),
            logs=LogTable(*(c.view() for c in self._log)),
            cpu_samples=CpuSampleTable(*(c.view() for c in self._cpu)),
            metrics={k: StepSeries(a.view(), b.view()) for k, (a, b) in self._metrics.items()},
            state_bins=self._binner.result(),
        )
        return tl

    def _close_open_rows(self) -> None:
        """Append the still-open ranges and regions as rows with ``end_ns`` -1 (final)."""
        keys = list(self._rng_open)
        if keys:
            vals = (
                [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                [self._rng_open[k] for k in keys], [-1] * len(keys),
            )  # fmt: skip
            for c, v in zip(self._rng, vals, strict=True):
                c.extend(v)
            self._rng_open = {}
        ro = sorted(self._reg_open.items())
        if ro:
            self._region_rows(
                [k[0] for k, _ in ro], [k[1] for k, _ in ro], [v[0] for _, v in ro],
                [-1] * len(ro), [v[1] for _, v in ro], [v[2] for _, v in ro],
            )  # fmt: skip
            self._reg_open = {}

    def _all_cols(self):
        def walk(v):
            if isinstance(v, _Col):
                yield v
            elif isinstance(v, _PackedCol):
                yield v.lo
            elif isinstance(v, list | tuple):
                for x in v:
                    yield from walk(x)
            elif isinstance(v, dict):
                for x in v.values():
                    yield from walk(x)

        for v in vars(self).values():
            yield from walk(v)

    def _task_table(self) -> TaskTable:
        b_id, b_parent, b_type, b_t, b_g = (c.view() for c in self._tb)
        e_id, e_t, e_g, e_parent, e_type = (c.view() for c in self._te)
        ids = np.unique(np.concatenate([b_id, e_id]))
        n = len(ids)
        parent = np.full(n, NO_TASK, np.uint64)
        typ = np.zeros(n, np.int32)
        start = np.full(n, -1, np.int64)
        end = np.full(n, -1, np.int64)
        bg = np.full(n, -1, np.int64)
        eg = np.full(n, -1, np.int64)
        # ends first, so a begin (the authority for parent and type) overwrites
        j = np.searchsorted(ids, e_id)
        parent[j], typ[j], end[j], eg[j] = e_parent, e_type, e_t, e_g
        i = np.searchsorted(ids, b_id)
        parent[i], typ[i], start[i], bg[i] = b_parent, b_type, b_t, b_g
        return TaskTable(ids, parent, typ, start, end, bg, eg)


# --- the job -------------------------------------------------------------------------------


def build_timeline(
    chunks: Iterable[EventTable],
    *,
    cancel=None,
    progress: Callable[[float], None] | None = None,
    on_snapshot: Callable[[Timeline], None] | None = None,
    state_bin_ns: int = 1 << 14,
    total_events: int | None = None,
    prefetch: int = 0,
    snapshot_every_s: float | None = 1.0,
) -> Timeline:
    """Fold ``chunks`` into a Timeline (job thread; pure apart from the callbacks).

    cancel : a :class:`goroscope.jobs.CancelToken`-like object (``raise_if_set()``),
        checked before every chunk
    progress : called with the fraction done (by ``total_events`` when given)
    on_snapshot : called with a fresh snapshot after each chunk that began a new
        generation, and at least every ``snapshot_every_s`` seconds of building
        (progressive readiness: the view fills in); not called for the final one
    prefetch : read up to this many chunks ahead on a second thread (0: none; at most
        ``prefetch + 1`` chunks alive, the one being folded included). The
        reader's kernels and numpy release the GIL, so reading the next chunk overlaps
        folding this one (wall ≈ max(read, fold) rather than the sum on 2 cores).
        Reader errors are re-raised here; cancelling stops the reader too.
    """
    b = TimelineBuilder(state_bin_ns=state_bin_ns)
    done = 0
    gens_seen = 0
    last_snap = time.monotonic()
    source = _prefetched(chunks, prefetch) if prefetch > 0 else iter(chunks)
    try:
        for chunk in source:
            if cancel is not None:
                cancel.raise_if_set()
            b.add(chunk)
            done += len(chunk)
            if progress is not None and total_events:
                progress(min(1.0, done / total_events))
            if on_snapshot is not None:
                now = time.monotonic()
                due = snapshot_every_s is not None and now - last_snap >= snapshot_every_s
                if len(b._gen_first) > gens_seen or due:
                    gens_seen = len(b._gen_first)
                    on_snapshot(b.snapshot())
                    last_snap = time.monotonic()
            del chunk  # before the next one is read (``_prefetched``'s slots)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    if cancel is not None:
        cancel.raise_if_set()
    tl = b.snapshot(complete=True)
    del b, source
    release_free_memory()
    return tl


def release_read_ahead(chunks: Iterable[EventTable], tracefile, index) -> Iterable[EventTable]:
    """Pass ``chunks`` through; after each, drop the mapped pages of the chunk's generation
    and of the next one (job thread; the model build's file pages).

    The reader releases a generation's pages once it is ordered, but until then they
    accumulate: the ordering kernel decodes each M's batches lazily, a whole batch at a
    time into its own slot, so the bytes of the generation end up resident as the
    cursors move through it; and the next generation is counted ahead on a worker
    thread (``model.order``), all its pages touched. Two generations of the file in RSS
    (2 × 25–67 MB on the benchmark traces). Dropped after every chunk, they fault back
    from the page cache when a cursor reads its next batch (about one page per batch:
    minor faults; ``TraceFile.release_pages`` never writes the file), so what stays
    resident is the pages one chunk touched.

    tracefile : the read-only :class:`goroscope.format.TraceFile` the chunks come from
        (anything else: chunks pass unchanged); index : its ``TraceIndex``
    """
    release = getattr(tracefile, "release_pages", None)
    gens = getattr(index, "generations", None)
    if release is None or gens is None or len(gens) == 0:
        yield from chunks
        return
    n = len(gens)
    it = iter(chunks)
    try:
        for chunk in it:
            yield chunk
            gi = chunk.gen_idx
            if len(gi):
                g = int(gi[-1])
                if 0 <= g < n:
                    release(int(gens.byte_start[g]), int(gens.byte_end[min(g + 1, n - 1)]))
    finally:  # closed early (cancel, error): stop the reader now, as build_timeline would
        close = getattr(it, "close", None)
        if close is not None:
            close()


def release_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``; a no-op elsewhere).

    The reader's and the builder's temporaries are freed chunk after chunk, but glibc
    keeps freed heap pages mapped (its arenas only shrink from the top), and the holes
    between the segments' long-lived arrays grew through the build (77 MB of free heap
    at the end of the 468 MB trace). ``TimelineBuilder.add`` calls this every
    ``TRIM_EVENTS`` events and at each new generation (that trace's peak 505 → 462 MB,
    with :func:`bound_heap`), and a build ends with it.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_libc_fns: dict = {}


def _libc_fn(name: str):
    """glibc's ``name`` through ctypes (None off Linux or without it)."""
    if name not in _libc_fns:
        import ctypes
        import ctypes.util

        fn = None
        if sys.platform.startswith("linux"):
            try:
                fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
            except (OSError, AttributeError):
                fn = None
        _libc_fns[name] = fn
    return _libc_fns[name]


_MADV_DONTNEED = 4


def _release_rows(a: np.ndarray, start: int) -> None:
    """Give back the whole pages of ``a``'s rows from ``start`` on (contiguous ``a``;
    they read as zeros afterwards; nothing off Linux)."""
    fn = _libc_fn("madvise")
    if fn is None or not a.flags.c_contiguous or start >= a.shape[0]:
        return
    import ctypes
    import mmap

    page = mmap.PAGESIZE
    base = a.ctypes.data
    lo = -(-(base + start * (a.nbytes // a.shape[0])) // page) * page
    hi = (base + a.nbytes) // page * page
    if hi > lo:
        fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        fn(ctypes.c_void_p(lo), ctypes.c_size_t(hi - lo), _MADV_DONTNEED)


def _malloc_trim():
    return _libc_fn("malloc_trim")


#: glibc ``mallopt`` parameter and the value :func:`bound_heap` fixes
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 << 20


def bound_heap() -> None:
    """Fix glibc's mmap threshold at 4 MiB for this process (idempotent; Linux only).

    glibc raises its threshold to the size of the largest mapped block freed (up to
    32 MiB); after that, column-sized blocks (the builder's per-goroutine and region
    columns, their copy-on-write copies, snapshot tables) come from the heap, and once
    freed they stay resident as holes between long-lived blocks (a heap shrinks only
    from its top). Fixed, such blocks are mapped and unmapped whole and grow with
    ``mremap``, while a chunk's temporaries (≤ 2 MiB at 256 Ki events) keep reusing
    heap memory. Measured on the 450 MB trace, same load, each in its own process:
    model build 792 → 716 MB peak, the app's job path (snapshots held) 998 → 868 MB,
    build time unchanged within noise (HACKING.md § Analyses, "The span model build").
    """
    if _libc_fns.get("_bounded"):
        return
    fn = _libc_fn("mallopt")
    if fn is not None:
        fn(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        # numpy advises transparent huge pages on blocks >= 4 MiB (unless the environment
        # says NUMPY_MADVISE_HUGEPAGE=0, as bench_model does): the mapped columns then grow
        # in 2 MiB pages; the 450 MB trace's build peaked at 1.18 GB instead of 0.72 GB
        _numpy_hugepages_off()
    _libc_fns["_bounded"] = True


def _numpy_hugepages_off() -> None:
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy < 2
        return
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _prefetched(chunks: Iterable[EventTable], depth: int):
    """Iterate ``chunks`` on a reader thread, at most ``depth`` chunks ahead.

    At most ``depth + 1`` chunks are alive at once, the one the consumer holds included:
    the reader takes a slot *before* it reads a chunk, and a slot comes back when the
    consumer asks for the next chunk (it must drop its reference first, as
    ``build_timeline`` does). A bounded queue alone let the reader hold one more chunk
    blocked in ``put`` and start yet another as soon as the consumer took one, while the
    consumer still held the previous: up to 5 chunks alive with ``depth`` 2, 3 now
    (117 B per event; the reader's chunks are ≤ 64 Ki events, 7.7 MB; HACKING.md
    § Analyses, "The span model build").
    """
    q: queue.SimpleQueue = queue.SimpleQueue()
    slots = threading.Semaphore(depth + 1)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            it = iter(chunks)
            while not stop.is_set():
                if not slots.acquire(timeout=0.05):
                    continue
                c = next(it, end)
                q.put(c)
                if c is end:
                    return
                c = None
        except BaseException as e:  # handed to the consumer, which re-raises it
            q.put(_Raised(e))

    t = threading.Thread(target=produce, name="goroscope-reader", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is end:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
            item = None  # the consumer is done with it: its slot is free
            slots.release()
    finally:
        stop.set()
        t.join()


# --- details on demand ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpanDetail:
    """What the model does not keep about a span's start event, re-decoded from the file.

    gen : generation index; source_row : row of the wire event in that generation's
        ``EventColumns`` (-1: an event Go synthesized, e.g. GoSwitch's GoStart)
    ev_type : wire event type (``format.EventType``; 255 = synthesized Sync-less row)
    by_g : g_idx of the event's context goroutine (for a Waiting→Runnable span: who
        unblocked it; -1: none, e.g. the netpoller or a timer)
    proc_id, thread_id : Go's IDs of the event's context (-1: none)
    stack : frames ``[(pc, func, file, line), ...]`` of the event's stack (GoBlock: where it
        blocked; GoUnblock: the unblocker's stack)
    transition_stack : Go's ``StateTransition.Stack`` (GoCreate: the new goroutine's start)
    """

    gen: int
    source_row: int
    ev_type: int
    by_g: int
    proc_id: int
    thread_id: int
    stack: list[tuple[int, str, str, int]]
    transition_stack: list[tuple[int, str, str, int]]


@dataclass
class _GenDetails:
    goid: NDArray[np.int64]  # (k,) goroutines with transitions, ascending
    off: NDArray[np.int64]  # (k+1,) CSR into the columns below, in Go's order
    source_row: NDArray[np.int64]
    ev_type: NDArray[np.uint8]
    ctx_g: NDArray[np.int64]
    proc: NDArray[np.int64]
    thread: NDArray[np.int64]
    stack_id: NDArray[np.uint64]
    tstack_id: NDArray[np.uint64]
    tables: object  # GenerationTables of the standalone read


class DetailResolver:
    """Re-decode span details from the mmap on demand (job thread; thread-safe).

    How: a generation is re-read *standalone* (the file header plus that
    generation's bytes, through the public :class:`~goroscope.model.TraceChunks`),
    which yields Go's event order for it; the k-th transition of a goroutine in the
    generation is its k-th span there. Each generation re-decodes in O(its events)
    and the last ``cache`` generations are kept (≈ 40 B per goroutine transition).
    ``tests/model/test_spans.py`` checks the result against the full read.
    Measured on the 450 MB trace: the first detail in a 27.7 MB generation takes
    2.5 s (+360 MB peak while it re-reads), later ones in it 1.5 ms — a job, not
    the GUI thread. OPT: keep only the asked goroutines' rows while re-reading.

    source : the trace bytes (``bytes``, ``mmap``, a uint8 array or a ``TraceFile``)
    index : its ``TraceIndex`` (generation rows = the timeline's generation indices)
    timeline : the :class:`Timeline` whose spans are asked about
    """

    def __init__(self, source, index, timeline: Timeline, *, cache: int = 2) -> None:
        from goroscope.format.tracefile import as_buffer

        self._buf = as_buffer(source)
        self._index = index
        self._tl = timeline
        self._cache_n = cache
        self._cache: dict[int, _GenDetails] = {}
        self._lock = threading.Lock()
        self._goid_sorted: tuple[NDArray, NDArray] | None = None

    def generation(self, gen: int) -> _GenDetails:
        with self._lock:
            d = self._cache.get(gen)
        if d is not None:
            return d
        d = self._read_generation(gen)
        with self._lock:
            self._cache[gen] = d
            while len(self._cache) > self._cache_n:
                self._cache.pop(next(iter(self._cache)))
        return d

    def _read_generation(self, gen: int) -> _GenDetails:
        from goroscope.model import TraceChunks

        gens = self._index.generations
        a, b = int(gens.byte_start[gen]), int(gens.byte_end[gen])
        data = self._buf[: self._index.header_size].tobytes() + self._buf[a:b].tobytes()
        cols: dict[str, list] = {k: [] for k in ("goid", "row", "typ", "g", "p", "m", "s", "ts")}
        tables = None
        chunks = TraceChunks(data, keep_columns=True)
        for ev in chunks:
            m = (ev.kind == EventKind.StateTransition) & (
                ev.resource_kind == ResourceKind.Goroutine
            )
            for k, col in (
                ("goid", ev.resource_id),
                ("row", ev.source_row),
                ("typ", ev.ev_type),
                ("g", ev.goroutine),
                ("p", ev.proc),
                ("m", ev.thread),
                ("s", ev.stack_id),
                ("ts", ev.transition_stack_id),
            ):
                cols[k].append(col[m])
            if ev.generations:
                tables = ev.generations[0]
        c = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in cols.items()}
        order = _group_order(c["goid"]) if len(c["goid"]) else np.zeros(0, np.int64)
        goid = c["goid"][order]
        starts = _group_starts(goid)
        return _GenDetails(
            goid[starts],
            np.append(starts, len(goid)).astype(np.int64),
            c["row"][order],
            c["typ"][order].astype(np.uint8),
            c["g"][order],
            c["p"][order],
            c["m"][order],
            c["s"][order].astype(np.uint64),
            c["ts"][order].astype(np.uint64),
            tables,
        )

    def _g_idx_of(self, goid: int) -> int:
        if goid == -1:
            return -1
        if self._goid_sorted is None:
            g = self._tl.goroutines.goid
            order = np.argsort(g, kind="stable")
            self._goid_sorted = (g[order], order)
        srt, order = self._goid_sorted
        i = int(np.searchsorted(srt, goid))
        return int(order[i]) if i < len(srt) and int(srt[i]) == goid else -1

    def span(self, g_idx: int, i: int) -> SpanDetail | None:
        """Details of span ``i`` of goroutine ``g_idx`` (None if its generation is unreadable)."""
        row = self._tl.goroutine_row(g_idx)
        gen = int(row.gen[i])
        k = i - int(np.searchsorted(row.gen, gen))  # its rank among the goroutine's spans in gen
        try:
            d = self.generation(gen)
        except Exception:  # noqa: BLE001 - a damaged generation has no details; say so
            return None
        goid = int(self._tl.goroutines.goid[g_idx])
        j = int(np.searchsorted(d.goid, goid))
        if j >= len(d.goid) or int(d.goid[j]) != goid:
            return None
        r = int(d.off[j]) + k
        if r >= int(d.off[j + 1]):
            return None
        tables = d.tables
        stack = tables.frames(int(d.stack_id[r])) if tables is not None else []
        tstack = tables.frames(int(d.tstack_id[r])) if tables is not None else []
        return SpanDetail(
            gen=gen,
            source_row=int(d.source_row[r]),
            ev_type=int(d.ev_type[r]),
            by_g=self._g_idx_of(int(d.ctx_g[r])),
            proc_id=int(d.proc[r]),
            thread_id=int(d.thread[r]),
            stack=stack,
            transition_stack=tstack,
        )

    def span_at(self, g_idx: int, time_ns: int) -> SpanDetail | None:
        """Details of the span of ``g_idx`` covering ``time_ns``."""
        row = self._tl.goroutine_row(g_idx)
        i = int(np.searchsorted(row.start_ns, time_ns, side="right")) - 1
        return self.span(g_idx, i) if i >= 0 else None
