"""Blocking and CPU profiles of a loaded trace, per scope (pure data; job thread to build).

What
----
:func:`profile_job` makes **one** pass over the trace's events (Go's reader,
``TraceChunks`` without kept columns) through the analysis layer's
``FastProfileCollector`` (numba; the rules of ``go tool trace -pprof=net|sync|
syscall|sched``, see :mod:`goroscope.analysis.profiles`) and keeps, per
blocking kind, every *interval* (goroutine, start, end, stack key) and every
CPU sample (time, goroutine, stack key). Go charges an interval to a goroutine
only within ``[StartTime, EndTime]`` of Go's summary; those come from the
Timeline (``StartTime`` = the goroutine's first Running span, ``EndTime`` = its
exit or the last event), so no goroutine summary is built. The whole-trace
profile equals ``go tool trace -pprof=KIND`` stack for stack
(``tests/ui/test_panels_blocking.py``).

A :class:`Scope` then selects intervals in numpy without another pass:

* ``whole`` — everything (Go's profile);
* ``time`` — intervals and samples clipped to ``[t0, t1)`` (delay = overlap);
* ``group`` — the goroutines of one start-function group (``Timeline.groups``);
* ``task`` — the task's regions, per goroutine the outermost ones (as
  ``cmd/trace``'s ``pprofMatchingRegions`` selects regions), or, for a task
  without regions, its begin/end goroutines over the task's time; intervals
  clipped to those windows.

Times are ns since the Timeline's origin (STYLE §4.3).

NOTE: the pass reaches into ``FastProfileCollector``'s interval columns
(``_out``, ``gs``, ``stacks``); TODO(D2): switch to analysis' public filtered
profiles when they land (issue #9 / engineer B).

Memory (bounded): the pass aggregates while it streams. Per kind it keeps only
the per-stack count and total of the whole trace (what the first view shows, no
scan) and the clipped intervals in an :class:`IntervalStore`: 24 B records
(int32 goroutine and stack key, int64 start and end) in memory up to
:data:`SPILL_ROWS` rows, beyond that appended to an unlinked temporary file.
A scoped view or the list behind a frame (a job) scans the store in chunks of
:data:`CHUNK_ROWS` rows (``os.pread``; thread-safe), so no step holds more than
the per-stack totals and one chunk — and no numpy call on a job thread runs long
enough to keep the GIL from the GUI thread for more than a few ms. On the 450 MB
trace the intervals were 1.04 GB in memory (2.3× the file) before.
Cost on the 450 MB trace: see the README "Panels" section.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from goroscope.analysis.profiles import BLOCKING_KINDS, ProfileRecord
from goroscope.model.spans import release_free_memory
from goroscope.model.timeline import KIND_RUNNING, Timeline

__all__ = [
    "BEHIND_LIMIT",
    "BLOCKING_KINDS",
    "Behind",
    "IntervalStore",
    "behind",
    "ProfileData",
    "ProfileView",
    "Scope",
    "first_running_ns",
    "profile_flame",
    "profile_job",
    "records",
    "scope_view",
]

_I64_MIN = np.iinfo(np.int64).min
_I64_MAX = np.iinfo(np.int64).max

#: rows of one kind kept in memory (24 B each: 48 MB) before the store spills to a file
SPILL_ROWS = 1 << 21
#: rows per chunk of a scan (12 MB read; each numpy call over it takes a few ms)
CHUNK_ROWS = 1 << 19

_REC = np.dtype([("g", "<i4"), ("key", "<i4"), ("start", "<i8"), ("end", "<i8")])


@dataclass(frozen=True, slots=True)
class Intervals:
    """Blocking intervals of one kind, clipped to their goroutine's lifetime (Go's rule).

    g_idx : (n,) int32 — goroutine (-1: none, e.g. a CPU sample outside goroutines)
    start_ns, end_ns : (n,) int64 — ns since origin, ``end > start``
    key : (n,) int32 — stack key: stacks with the same first 128 PCs share one
        (index into ``ProfileData.rep[kind]``)

    Rows are in the order Go's tracker closed them.
    """

    g_idx: NDArray[np.int32]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    key: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.g_idx.shape[0])

    def take(self, m) -> Intervals:
        return Intervals(self.g_idx[m], self.start_ns[m], self.end_ns[m], self.key[m])

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in self.__dataclass_fields__)

    @staticmethod
    def concat(parts: list[Intervals]) -> Intervals:
        if not parts:
            return _EMPTY
        return Intervals(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Intervals.__slots__)
        )


_EMPTY = Intervals(
    np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
)


class IntervalStore:
    """The intervals of one kind, append-only while the pass runs, then read-only.

    Up to ``spill_rows`` rows stay in memory; past that every row goes to an unlinked
    temporary file (24 B records, :data:`_REC`), so the pass's memory does not grow
    with the trace. :meth:`chunks` reads in order, ``os.pread`` per chunk (any thread,
    concurrently). The file is closed (and its space freed) with the store.
    """

    def __init__(self, spill_rows: int = SPILL_ROWS) -> None:
        self._spill_rows = spill_rows
        self._mem: list[np.ndarray] = []
        self._mem_rows = 0
        self._arr: np.ndarray | None = None
        self._file = None
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def spilled(self) -> bool:
        return self._file is not None

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (not the file)."""
        return (0 if self._arr is None else self._arr.nbytes) + sum(r.nbytes for r in self._mem)

    def append(self, iv: Intervals) -> None:
        n = len(iv)
        if n == 0:
            return
        r = np.empty(n, _REC)
        r["g"], r["key"], r["start"], r["end"] = iv.g_idx, iv.key, iv.start_ns, iv.end_ns
        self._mem.append(r)
        self._mem_rows += n
        self._n += n
        if self._mem_rows >= self._spill_rows:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="goroscope-profile-")  # noqa: SIM115 (the store owns it)
        for r in self._mem:
            self._file.write(r.view(np.uint8).data)
        self._mem, self._mem_rows = [], 0

    def finish(self) -> None:
        """No more rows: flush (spilled) or keep one array (in memory)."""
        if self._file is not None:
            if self._mem:
                self._spill()
            self._file.flush()
        else:
            self._arr = np.concatenate(self._mem) if self._mem else np.zeros(0, _REC)
            self._mem = []

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[Intervals]:
        """The rows in order, ``rows`` at a time (after :meth:`finish`)."""
        for off in range(0, self._n, rows):
            yield self._read(off, min(rows, self._n - off))

    def all(self) -> Intervals:
        """Every row at once (tests and small stores)."""
        return Intervals.concat(list(self.chunks(max(self._n, 1))))

    def _read(self, off: int, n: int) -> Intervals:
        if self._file is None:
            r = self._arr[off : off + n]
        else:
            size = _REC.itemsize
            buf = os.pread(self._file.fileno(), n * size, off * size)
            if len(buf) != n * size:  # pragma: no cover - the file is ours and unlinked
                raise OSError(f"profile store: short read at row {off}")
            r = np.frombuffer(buf, _REC)
        return Intervals(r["g"], r["start"], r["end"], r["key"])


@dataclass(frozen=True, slots=True)
class ProfileView:
    """One kind's profile in one scope: per-stack records (no intervals are kept).

    kind, scope : what it is the profile of
    keys, counts, totals_ns : (r,) int64 — per stack key, sorted by total descending
    handles : (r,) int64 — the stack each record shows (the last one merged, as Go's)
    n : number of intervals (samples) in the scope; t_min, t_max : their first start and
        last start (-1 when none)
    """

    kind: str
    scope: Scope
    keys: NDArray[np.int64]
    counts: NDArray[np.int64]
    totals_ns: NDArray[np.int64]
    handles: NDArray[np.int64]
    n: int = 0
    t_min: int = -1
    t_max: int = -1

    @property
    def total_ns(self) -> int:
        return int(self.totals_ns.sum())


@dataclass(frozen=True, slots=True)
class ProfileData:
    """Everything the Blocking and CPU panels show, for every scope (immutable).

    store : kind ("net", …, "cpu") → :class:`IntervalStore` of the intervals (CPU samples:
        ``start_ns`` = ``end_ns`` - 1 = time)
    whole : kind → the whole-trace :class:`ProfileView` (aggregated while streaming)
    frames : per stack handle, ``[(pc, func, file, line), ...]`` leaf first (a sequence
        decoding from the mapped file on demand: ``analysis.profiles.StackFrames``)
    rep : kind → (k,) int64, per stack key the handle of the last stack merged into it
        over the whole trace (the frames Go's record shows)
    last_ns : time of the last event (ns since origin)
    tool_minor : which ``go tool trace`` rules were followed
    """

    store: dict[str, IntervalStore]
    whole: dict[str, ProfileView]
    frames: Sequence[list[tuple[int, str, str, int]]]
    rep: dict[str, NDArray[np.int64]]
    last_ns: int
    tool_minor: int
    stats: dict = field(default_factory=dict)

    @property
    def n_keys(self) -> int:
        return len(next(iter(self.rep.values()))) if self.rep else 0

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (intervals in memory, per-key arrays)."""
        return sum(s.nbytes for s in self.store.values()) + sum(r.nbytes for r in self.rep.values())

    def intervals(self, kind: str) -> Intervals:
        """Every interval of ``kind`` at once (tests, small traces)."""
        return self.store[kind].all()

    def close(self) -> None:
        for s in self.store.values():
            s.close()


@dataclass(frozen=True, slots=True)
class Scope:
    """What a profile is restricted to (see the module doc).

    kind : "whole" | "time" | "group" | "task"
    t0_ns, t1_ns : for ``time``; name : group name or task label (for display)
    func_code : for ``group``, the start function's string code (``GoroutineTable.start_func``;
        -1 = the goroutines without one); task_idx : for ``task``, a row of ``Timeline.tasks``
    """

    kind: str = "whole"
    t0_ns: int = 0
    t1_ns: int = 0
    name: str = ""
    func_code: int = -1
    task_idx: int = -1

    def describe(self) -> str:
        if self.kind == "time":
            return f"time range {_fmt_ns(self.t0_ns)} – {_fmt_ns(self.t1_ns)}"
        if self.kind == "group":
            return f"goroutine group {self.name or '(unnamed)'}"
        if self.kind == "task":
            return f"task {self.name}"
        return "whole trace"


def _fmt_ns(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


def first_running_ns(tl: Timeline) -> NDArray[np.int64]:
    """Per goroutine, the start of its first Running span (ns since origin); int64 max if
    it never ran (Go's summary ``StartTime``). Vectorised over the span segments."""
    out = np.full(tl.n_goroutines, _I64_MAX, np.int64)
    running = tl.kind_state == KIND_RUNNING
    for seg in tl.segments:
        m = running[seg.kind]
        if not m.any():
            continue
        g = seg.row_goroutine()
        m &= out[g] == _I64_MAX  # segments are in time order: the first one seen is it
        if not m.any():
            continue  # (and the segment's start times are never decoded)
        t = seg.start[m].astype(np.int64) + seg.base_ns
        np.minimum.at(out, g[m], t)
    return out


class _GoidIndex:
    """Go goroutine ID → the Timeline's g_idx (-1: unknown), by binary search."""

    def __init__(self, tl: Timeline) -> None:
        goid = tl.goroutines.goid
        self._order = np.argsort(goid, kind="stable")
        self._srt = goid[self._order]

    def __call__(self, goids: NDArray[np.int64]) -> NDArray[np.int32]:
        if len(self._srt) == 0:
            return np.full(len(goids), -1, np.int32)
        i = np.minimum(np.searchsorted(self._srt, goids), len(self._srt) - 1)
        return np.where(self._srt[i] == goids, self._order[i], -1).astype(np.int32)


class _Totals:
    """Per stack key: count, total, the last handle merged; grown as keys appear."""

    def __init__(self) -> None:
        self.counts = np.zeros(0, np.int64)
        self.totals = np.zeros(0, np.int64)
        self.rep = np.zeros(0, np.int64)
        self.n = 0
        self.t_min = _I64_MAX
        self.t_max = -1

    def add(self, iv: Intervals, handles: NDArray | None, n_keys: int) -> None:
        if n_keys > len(self.counts):
            grow = n_keys - len(self.counts)
            self.counts = np.r_[self.counts, np.zeros(grow, np.int64)]
            self.totals = np.r_[self.totals, np.zeros(grow, np.int64)]
            self.rep = np.r_[self.rep, np.full(grow, -1, np.int64)]
        if len(iv) == 0:
            return
        k = len(self.counts)
        self.counts += np.bincount(iv.key, minlength=k)
        # float64 sums are exact below 2**53 ns (104 days) per key and chunk
        self.totals += np.bincount(iv.key, weights=iv.end_ns - iv.start_ns, minlength=k).astype(
            np.int64
        )
        self.n += len(iv)
        self.t_min = min(self.t_min, int(iv.start_ns.min()))
        self.t_max = max(self.t_max, int(iv.start_ns.max()))
        if handles is not None:  # the last stack merged into each key
            u, i = np.unique(iv.key[::-1], return_index=True)
            self.rep[u] = handles[len(iv) - 1 - i]

    def view(self, kind: str, scope: Scope, rep: NDArray[np.int64]) -> ProfileView:
        counts, totals = self.counts, self.totals
        keys = np.flatnonzero(counts)
        o = np.lexsort((keys, -counts[keys], -totals[keys]))
        keys = keys[o]
        t_min = self.t_min if self.n else -1
        return ProfileView(
            kind, scope, keys.astype(np.int64), counts[keys], totals[keys], rep[keys],
            self.n, t_min, self.t_max,
        )  # fmt: skip


def profile_job(
    tracefile, timeline: Timeline, *, cancel, progress, spill_rows: int = SPILL_ROWS
) -> ProfileData:
    """The profile pass (job thread; pure). ``tracefile``: the session's TraceFile (or bytes).

    Streams: after each chunk of events the intervals the collector closed are clipped
    to their goroutine's lifetime (known from the complete timeline), added to the
    whole-trace per-stack totals and appended to the kind's :class:`IntervalStore`.
    """
    from goroscope.analysis._fast import FastProfileCollector
    from goroscope.model import TraceChunks

    progress.stage(progress.stages[0])
    # lazy_stacks: each stack decoded from the file when the collector first meets it, and
    # again when a view shows it (``frames``): 1 M distinct stacks held +5.9 GB of frames
    chunks = TraceChunks(
        tracefile, chunk_events=1 << 18, keep_columns=False, progress=progress.update,
        lazy_stacks=True,
    )  # fmt: skip
    minor = int(chunks.version)
    col = FastProfileCollector((*BLOCKING_KINDS, "cpu"), tool_minor=minor)
    tl = timeline
    origin = tl.origin_ns
    # lifetimes: [StartTime, EndTime] per goroutine (Go's pprofMatchingGoroutines); a
    # goroutine that never ended is clipped at the trace end, which no closed interval
    # passes (it ends at an event)
    lo = first_running_ns(tl)
    lo = np.where(lo == _I64_MAX, _I64_MIN // 2, lo)  # never ran: StartTime 0, no clipping
    end = tl.goroutines.end_ns
    hi = np.where(end >= 0, end, _I64_MAX // 2)
    g_of = _GoidIndex(tl)
    kinds = (*BLOCKING_KINDS, "cpu")
    store = {k: IntervalStore(spill_rows) for k in kinds}
    tot = {k: _Totals() for k in kinds}
    key_of = np.zeros(0, np.int32)

    def keys(h: NDArray) -> NDArray[np.int32]:
        nonlocal key_of
        have = len(key_of)
        if len(col.stacks.key_of) > have:
            new = np.asarray(col.stacks.key_of[have:], np.int32)
            key_of = np.concatenate([key_of, new])
        return key_of[h] if len(h) else np.zeros(0, np.int32)

    def n_keys() -> int:
        return int(key_of.max()) + 1 if len(key_of) else 0

    last_abs = None
    for table in chunks:
        cancel.raise_if_set()
        if not len(table):
            continue
        col.add(table)
        last_abs = int(table.time_ns[-1])
        for kind in BLOCKING_KINDS:
            parts, col._out[kind] = col._out[kind], []
            for gi, a, b, h in parts:
                g = g_of(col.gs.ids[gi]) if len(gi) else np.zeros(0, np.int32)
                gg = np.maximum(g, 0)
                a = np.maximum(a - origin, lo[gg])  # clip to the goroutine's lifetime
                b = np.minimum(b - origin, hi[gg])
                ok = (g >= 0) & (b > a)  # (no overlap at all leaves b <= a)
                h = h[ok]
                iv = Intervals(g[ok], a[ok], b[ok], keys(h))
                tot[kind].add(iv, h, n_keys())
                store[kind].append(iv)
        cpu_parts, col._cpu_parts = col._cpu_parts, []
        for t, goid, h in cpu_parts:
            goid = goid.astype(np.int64)
            g = np.where(goid < 0, np.int32(-1), g_of(goid)).astype(np.int32)
            t = t.astype(np.int64) - origin
            iv = Intervals(g, t, t + 1, keys(h.astype(np.int64)))
            tot["cpu"].add(iv, h.astype(np.int64), n_keys())
            store["cpu"].append(iv)
    chunks = table = None
    cancel.raise_if_set()
    last_ns = (last_abs - origin) if last_abs is not None else tl.covered_ns
    nk = n_keys()
    frames = col.stacks.frames  # resolves a handle's frames when asked
    col = None
    whole, rep = {}, {}
    for k in kinds:
        store[k].finish()
        tot[k].add(_EMPTY, None, nk)
        rep[k] = tot[k].rep
        whole[k] = tot[k].view(k, Scope(), rep[k])
    stats = {k: len(store[k]) for k in kinds}
    release_free_memory()  # the reader's and collector's freed heap back to the OS
    return ProfileData(store, whole, frames, rep, int(last_ns), minor, stats)


# -- scopes ------------------------------------------------------------------------------------


def _windows_of_task(tl: Timeline, task_idx: int, last_ns: int):
    """(g_idx, start, end) windows of a task: its outermost regions per goroutine, or its
    begin/end goroutines over the task's time when it has no regions."""
    tasks = tl.tasks
    tid = tasks.task_id[task_idx]
    r = tl.regions
    m = r.task_id == tid
    if m.any():
        g = r.g_idx[m]
        s = np.where(r.start_ns[m] < 0, 0, r.start_ns[m])
        e = np.where(r.end_ns[m] < 0, last_ns, r.end_ns[m])
        o = np.lexsort((e, s, g))
        g, s, e = g[o], s[o], e[o]
        keep = np.ones(len(g), bool)
        # outermost only: drop windows starting before the previous kept end of the same g
        last_end = {}
        for i, (gg, ss, ee) in enumerate(zip(g.tolist(), s.tolist(), e.tolist(), strict=True)):
            le = last_end.get(gg)
            if le is not None and ss < le:
                keep[i] = False
            else:
                last_end[gg] = ee
        return g[keep], s[keep], e[keep]
    t0 = int(tasks.start_ns[task_idx])
    t1 = int(tasks.end_ns[task_idx])
    t0 = 0 if t0 < 0 else t0
    t1 = last_ns if t1 < 0 else t1
    gs = sorted({int(x) for x in (tasks.begin_g[task_idx], tasks.end_g[task_idx]) if x >= 0})
    n = len(gs)
    return (np.array(gs, np.int64), np.full(n, t0, np.int64), np.full(n, t1, np.int64))


def task_goroutines(tl: Timeline, task_idx: int) -> NDArray[np.int64]:
    """The goroutines a task scope covers (its regions' or begin/end goroutines)."""
    g, _, _ = _windows_of_task(tl, task_idx, tl.covered_ns)
    return np.unique(g)


def _clip_to_windows(iv: Intervals, wg, ws, we) -> Intervals:
    """Intervals clipped to per-goroutine windows (one output row per overlap)."""
    if len(iv) == 0 or len(wg) == 0:
        return iv.take(np.zeros(0, np.int64))
    member = np.zeros(int(max(iv.g_idx.max(), wg.max())) + 2, bool)
    member[wg] = True
    cand = np.flatnonzero(member[iv.g_idx])  # only the windows' goroutines get sorted
    order = cand[np.argsort(iv.g_idx[cand], kind="stable")]
    gsorted = iv.g_idx[order]
    out_rows, out_s, out_e = [], [], []
    for g, s, e in zip(wg.tolist(), ws.tolist(), we.tolist(), strict=True):
        a, b = np.searchsorted(gsorted, [g, g + 1])
        if b <= a:
            continue
        rows = order[a:b]
        cs = np.maximum(iv.start_ns[rows], s)
        ce = np.minimum(iv.end_ns[rows], e)
        ok = ce > cs
        out_rows.append(rows[ok])
        out_s.append(cs[ok])
        out_e.append(ce[ok])
    if not out_rows:
        return iv.take(np.zeros(0, np.int64))
    rows = np.concatenate(out_rows)
    o = np.argsort(rows, kind="stable")  # keep Go's closing order
    rows = rows[o]
    return Intervals(
        iv.g_idx[rows], np.concatenate(out_s)[o], np.concatenate(out_e)[o], iv.key[rows]
    )


def _selector(tl: Timeline, data: ProfileData, scope: Scope):
    """A function: a chunk of intervals → those inside ``scope``, clipped to it (the
    task's windows are computed once per scan)."""
    if scope.kind == "whole":
        return lambda iv: iv
    if scope.kind == "time":

        def time_sel(iv: Intervals) -> Intervals:
            s = np.maximum(iv.start_ns, scope.t0_ns)
            e = np.minimum(iv.end_ns, scope.t1_ns)
            ok = e > s
            return Intervals(iv.g_idx[ok], s[ok], e[ok], iv.key[ok])

        return time_sel
    if scope.kind == "group":
        member = np.zeros(tl.n_goroutines + 1, bool)  # g_idx -1 → the spare last slot
        member[:-1] = tl.goroutines.start_func == scope.func_code
        return lambda iv: iv.take(member[iv.g_idx])
    if scope.kind == "task":
        wg, ws, we = _windows_of_task(tl, scope.task_idx, data.last_ns)
        return lambda iv: _clip_to_windows(iv, wg, ws, we)
    raise ValueError(f"unknown scope kind {scope.kind!r}")


def select(tl: Timeline, data: ProfileData, iv: Intervals, scope: Scope) -> Intervals:
    """The intervals (or samples) of ``iv`` inside ``scope``, clipped to it."""
    return _selector(tl, data, scope)(iv)


def _scan(tl: Timeline, data: ProfileData, kind: str, scope: Scope, cancel=None):
    """The intervals of ``kind`` inside ``scope``, one chunk of the store at a time."""
    sel = _selector(tl, data, scope)
    for chunk in data.store[kind].chunks():
        if cancel is not None:
            cancel.raise_if_set()
        yield sel(chunk)


def scope_view(
    tl: Timeline, data: ProfileData, kind: str, scope: Scope, cancel=None
) -> ProfileView:
    """The profile of ``kind`` ("net", "sync", "syscall", "sched" or "cpu") in ``scope``.

    The whole trace's was aggregated by the pass; any other scope is one chunked scan
    of the kind's store (job thread). For ``cpu`` counts are samples and totals are
    counts too (one per sample).
    """
    if scope.kind == "whole":
        return data.whole[kind]
    acc = _Totals()
    rep = data.rep[kind]
    for iv in _scan(tl, data, kind, scope, cancel):
        acc.add(iv, None, len(rep))
    acc.add(_EMPTY, None, len(rep))
    return acc.view(kind, scope, rep)


def aggregate(iv: Intervals, rep: NDArray[np.int64], kind: str = "", scope=None) -> ProfileView:
    """Per stack key of ``iv``: count and total (``end - start``), sorted by total, then
    count (the per-chunk step of :func:`scope_view`, for intervals held in memory)."""
    acc = _Totals()
    acc.add(iv, None, len(rep))
    return acc.view(kind, scope if scope is not None else Scope(), rep)


def profile_flame(tl: Timeline, data: ProfileData, kind: str, scope: Scope):
    """``(ProfileView, FlameData, (leaf, called_from))`` of ``kind`` in ``scope`` (job
    thread): the flame graph is built from the view's records in their order
    (``FlameData.stack_nodes[i]`` is record i's leaf), weighted by total delay (blocking)
    or samples (CPU); per record the leaf function and the first frame outside the
    runtime (the top table's text, made here: a million stacks on a hostile trace)."""
    from goroscope.ui.models.flame_data import build_flame

    view = scope_view(tl, data, kind, scope)
    frames = [data.frames[h] for h in view.handles.tolist()]
    flame = build_flame(frames, view.totals_ns)
    leaf = np.array([f[0][1] if f else "(no stack)" for f in frames], dtype=object)
    return view, flame, (leaf, np.array([user_frame(f) for f in frames], dtype=object))


def user_frame(frames) -> str:
    """The first frame outside the runtime (``func file:line``), else the leaf."""
    for _pc, fn, file, line in frames:
        pkg = fn[: fn.find(".", fn.rfind("/") + 1)]
        if not (pkg in ("runtime", "sync", "syscall") or pkg.startswith(("runtime/", "internal/"))):
            return f"{fn}  {file.rsplit('/', 1)[-1]}:{line}"
    return frames[0][1] if frames else ""


def records(data: ProfileData, view: ProfileView) -> list[ProfileRecord]:
    """The view as ``ProfileRecord`` s (frames, count, total), e.g. for pprof export."""
    return [
        ProfileRecord(data.frames[h], c, t)
        for h, c, t in zip(
            view.handles.tolist(), view.counts.tolist(), view.totals_ns.tolist(), strict=True
        )
    ]


#: at most this many intervals are listed behind a frame (the longest ones): a Qt view
#: of 23 M rows took 1.5 s of GUI time to reset on the 450 MB trace
BEHIND_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Behind:
    """What is behind some records of a view: ``iv`` — the listed intervals (the
    ``limit`` longest, the earliest among equally long ones, in their scan order);
    ``rows`` — their positions among the scope's intervals (ascending); ``total`` —
    how many intervals there are behind the records in all."""

    rows: NDArray[np.int64]
    iv: Intervals
    total: int


def behind(
    tl: Timeline,
    data: ProfileData,
    view: ProfileView,
    rec_idx: NDArray[np.int64],
    limit: int = BEHIND_LIMIT,
    cancel=None,
) -> Behind:
    """The intervals of ``view``'s scope whose stack key is one of records ``rec_idx``
    (job thread): one chunked scan of the kind's store, keeping at most ``limit``
    candidates (twice that between reductions) — the goroutines and spans behind a
    frame are derived on demand, never held for the whole trace."""
    n_keys = len(data.rep[view.kind])
    mark = np.zeros(n_keys + 1, bool)
    mark[view.keys[np.asarray(rec_idx, np.int64)]] = True
    kept: list[tuple[NDArray[np.int64], Intervals]] = []
    n_kept = 0
    pos = 0
    total = 0

    def reduce(parts):
        rows = np.concatenate([p[0] for p in parts])
        return [_longest(rows, Intervals.concat([p[1] for p in parts]), limit)], min(
            len(rows), limit
        )

    for iv in _scan(tl, data, view.kind, view.scope, cancel):
        m = np.flatnonzero(mark[iv.key])
        if len(m):
            kept.append(_longest(m + pos, iv.take(m), limit))
            n_kept += len(kept[-1][0])
            total += len(m)
            if n_kept > 2 * limit:
                kept, n_kept = reduce(kept)
        pos += len(iv)
    if not kept:
        return Behind(np.zeros(0, np.int64), _EMPTY, 0)
    kept, _ = reduce(kept)
    rows, iv = kept[0]
    return Behind(rows.astype(np.int64), iv, total)


def _longest(rows: NDArray[np.int64], iv: Intervals, limit: int):
    """``(rows, iv)`` cut to the ``limit`` longest intervals, the earliest (smallest row)
    among equally long ones at the cut; ``rows`` ascending in and out. O(n)."""
    if len(rows) <= limit:
        return rows, iv
    dur = iv.end_ns - iv.start_ns
    cut = len(dur) - limit
    d = np.partition(dur, cut)[cut]  # the limit-th longest
    gt = np.flatnonzero(dur > d)
    eq = np.flatnonzero(dur == d)[: limit - len(gt)]
    keep = np.sort(np.concatenate([gt, eq]))
    return rows[keep], iv.take(keep)
