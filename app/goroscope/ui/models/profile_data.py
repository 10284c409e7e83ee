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

Memory: 24 B per kept interval (int32 goroutine and stack key, int64 start and
end); while reading, the collector's per-chunk output is compacted to the same
size after every chunk (its buffers are sized by the chunk's transitions, not by
the intervals found), so the pass never holds more than the intervals plus one
chunk. Per-stack sums use ``np.bincount`` over the dense stack keys (no sort).
Cost on the 450 MB trace: see the README "Panels" section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.analysis.profiles import BLOCKING_KINDS, ProfileRecord
from goroscope.model.spans import release_free_memory
from goroscope.model.timeline import KIND_RUNNING, Timeline

__all__ = [
    "BEHIND_LIMIT",
    "BLOCKING_KINDS",
    "behind",
    "behind_rows",
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


@dataclass(frozen=True, slots=True)
class ProfileData:
    """Everything the Blocking and CPU panels show, for every scope (immutable).

    intervals : kind → :class:`Intervals`
    cpu : :class:`Intervals` of the CPU samples (``start_ns`` = ``end_ns`` - 1 = time)
    frames : per stack handle, ``[(pc, func, file, line), ...]`` leaf first
    rep : kind ("net", …, "cpu") → (k,) int64, per stack key the handle of the last
        stack merged into it over the whole trace (the frames Go's record shows)
    last_ns : time of the last event (ns since origin)
    tool_minor : which ``go tool trace`` rules were followed
    """

    intervals: dict[str, Intervals]
    cpu: Intervals
    frames: tuple[list[tuple[int, str, str, int]], ...]
    rep: dict[str, NDArray[np.int64]]
    last_ns: int
    tool_minor: int

    @property
    def n_keys(self) -> int:
        return len(next(iter(self.rep.values()))) if self.rep else 0

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.intervals.values()) + self.cpu.nbytes


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


@dataclass(frozen=True, slots=True)
class ProfileView:
    """One kind's profile in one scope: the selected intervals and the per-stack records.

    iv : the selected intervals (clipped to the scope)
    keys, counts, totals_ns : (r,) int64 — per stack key, sorted by total descending
    handles : (r,) int64 — the stack each record shows (the last one merged, as Go's)
    """

    iv: Intervals
    keys: NDArray[np.int64]
    counts: NDArray[np.int64]
    totals_ns: NDArray[np.int64]
    handles: NDArray[np.int64]

    @property
    def total_ns(self) -> int:
        return int(self.totals_ns.sum())


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


def _g_idx_of(tl: Timeline, goids: NDArray[np.int64]) -> NDArray[np.int64]:
    goid = tl.goroutines.goid
    order = np.argsort(goid, kind="stable")
    srt = goid[order]
    i = np.searchsorted(srt, goids)
    i = np.minimum(i, max(len(srt) - 1, 0))
    if len(srt) == 0:
        return np.full(len(goids), -1, np.int64)
    ok = srt[i] == goids
    return np.where(ok, order[i], -1).astype(np.int64)


def _compact(parts: list, start: int) -> None:
    """Replace the collector's new per-chunk outputs by compact copies (int32 goroutine and
    stack handle): its slices keep buffers sized by the chunk's transitions alive."""
    for i in range(start, len(parts)):
        gi, a, b, h = parts[i]
        parts[i] = (gi.astype(np.int32), a.copy(), b.copy(), h.astype(np.int32))


def _last_per_key(key: NDArray, n_keys: int, handles: NDArray) -> NDArray[np.int64]:
    """Per key the handle of its last row (-1: none); ``handles`` per row."""
    last = np.full(n_keys, -1, np.int64)
    if len(key):
        np.maximum.at(last, key, np.arange(len(key), dtype=np.int64))
    return np.where(last >= 0, handles[np.maximum(last, 0)] if len(handles) else -1, -1)


def profile_job(tracefile, timeline: Timeline, *, cancel, progress) -> ProfileData:
    """The profile pass (job thread; pure). ``tracefile``: the session's TraceFile (or bytes)."""
    from goroscope.analysis._fast import FastProfileCollector
    from goroscope.model import TraceChunks

    progress.stage(progress.stages[0])
    chunks = TraceChunks(
        tracefile, chunk_events=1 << 18, keep_columns=False, progress=progress.update
    )
    minor = int(chunks.version)
    col = FastProfileCollector((*BLOCKING_KINDS, "cpu"), tool_minor=minor)
    done = dict.fromkeys(BLOCKING_KINDS, 0)
    last_abs = None
    for table in chunks:
        cancel.raise_if_set()
        if len(table):
            col.add(table)
            last_abs = int(table.time_ns[-1])
            for kind in BLOCKING_KINDS:
                _compact(col._out[kind], done[kind])
                done[kind] = len(col._out[kind])
    chunks = table = None
    tl = timeline
    origin = tl.origin_ns
    last_ns = (last_abs - origin) if last_abs is not None else tl.covered_ns
    cancel.raise_if_set()

    # stack keys: Go merges records by their first 128 PCs (and shows the last stack merged)
    key_of = np.asarray(col.stacks.key_of, np.int32)
    n_keys = int(key_of.max()) + 1 if len(key_of) else 0
    frames = tuple(col.stacks.frames)

    # lifetimes: [StartTime, EndTime or trace end] per goroutine (Go's pprofMatchingGoroutines)
    lo = first_running_ns(tl)
    lo = np.where(lo == _I64_MAX, _I64_MIN // 2, lo)  # never ran: StartTime 0, no clipping
    end = tl.goroutines.end_ns
    hi = np.where(end >= 0, end, last_ns)
    dense_g = _g_idx_of(tl, col.gs.ids).astype(np.int32)

    intervals: dict[str, Intervals] = {}
    rep: dict[str, NDArray[np.int64]] = {}
    for kind in BLOCKING_KINDS:
        parts, col._out[kind] = col._out[kind], []  # freed kind by kind
        if parts:
            gi, a, b, h = (np.concatenate([p[j] for p in parts]) for j in range(4))
        else:
            gi = h = np.zeros(0, np.int32)
            a = b = np.zeros(0, np.int64)
        del parts
        g = dense_g[gi] if len(gi) else gi
        del gi
        gg = np.maximum(g, 0)
        a -= origin
        b -= origin
        np.maximum(a, lo[gg], out=a)  # clip to the goroutine's lifetime, in place
        np.minimum(b, hi[gg], out=b)
        del gg
        ok = (g >= 0) & (b > a)  # (no overlap at all leaves b <= a)
        h = h[ok]
        key = key_of[h] if len(h) else h
        rep[kind] = _last_per_key(key, n_keys, h)
        intervals[kind] = Intervals(g[ok], a[ok], b[ok], key)
        del g, a, b, h, ok
    t, goid, h = col.cpu_columns()
    g = _g_idx_of(tl, goid).astype(np.int32) if len(goid) else goid.astype(np.int32)
    g = np.where(goid < 0, np.int32(-1), g).astype(np.int32)
    t = t - origin
    key = key_of[h] if len(h) else h.astype(np.int32)
    rep["cpu"] = _last_per_key(key, n_keys, h)
    cpu = Intervals(g, t, t + 1, key)
    col = None
    release_free_memory()  # the reader's and collector's freed heap back to the OS
    return ProfileData(intervals, cpu, frames, rep, int(last_ns), minor)


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


def select(tl: Timeline, data: ProfileData, iv: Intervals, scope: Scope) -> Intervals:
    """The intervals (or samples) of ``iv`` inside ``scope``, clipped to it."""
    if scope.kind == "whole":
        return iv
    if scope.kind == "time":
        s = np.maximum(iv.start_ns, scope.t0_ns)
        e = np.minimum(iv.end_ns, scope.t1_ns)
        ok = e > s
        return Intervals(iv.g_idx[ok], s[ok], e[ok], iv.key[ok])
    if scope.kind == "group":
        member = np.zeros(tl.n_goroutines + 1, bool)  # g_idx -1 → the spare last slot
        member[:-1] = tl.goroutines.start_func == scope.func_code
        return iv.take(member[iv.g_idx])
    if scope.kind == "task":
        wg, ws, we = _windows_of_task(tl, scope.task_idx, data.last_ns)
        return _clip_to_windows(iv, wg, ws, we)
    raise ValueError(f"unknown scope kind {scope.kind!r}")


def aggregate(iv: Intervals, rep: NDArray[np.int64]) -> ProfileView:
    """Per stack key: count and total (``end - start``), sorted by total, then count.

    ``np.bincount`` over the dense keys (float64 weights are exact below 2**53 ns, 104
    days of summed delay; beyond that an exact int64 ``np.add.at``)."""
    n_keys = len(rep)
    z = np.zeros(0, np.int64)
    if len(iv) == 0:
        return ProfileView(iv, z, z, z, z)
    counts = np.bincount(iv.key, minlength=n_keys).astype(np.int64)
    dur = iv.end_ns - iv.start_ns
    totals_f = np.bincount(iv.key, weights=dur, minlength=n_keys)
    if totals_f.max() < 2.0**53:
        totals = totals_f.astype(np.int64)
    else:  # pragma: no cover - more than 104 days of delay
        totals = np.zeros(n_keys, np.int64)
        np.add.at(totals, iv.key, dur)
    keys = np.flatnonzero(counts)
    o = np.lexsort((keys, -counts[keys], -totals[keys]))
    keys = keys[o]
    return ProfileView(iv, keys.astype(np.int64), counts[keys], totals[keys], rep[keys])


def scope_view(tl: Timeline, data: ProfileData, kind: str, scope: Scope) -> ProfileView:
    """The profile of ``kind`` ("net", "sync", "syscall", "sched" or "cpu") in ``scope``.

    For ``cpu`` counts are samples and totals are counts too (one per sample). Job thread
    for big traces (numpy over all intervals of the kind).
    """
    iv = data.cpu if kind == "cpu" else data.intervals[kind]
    return aggregate(select(tl, data, iv, scope), data.rep[kind])


def profile_flame(tl: Timeline, data: ProfileData, kind: str, scope: Scope):
    """``(ProfileView, FlameData)`` of ``kind`` in ``scope`` (job thread): the flame graph is
    built from the view's records in their order (``FlameData.stack_nodes[i]`` is record i's
    leaf), weighted by total delay (blocking) or samples (CPU)."""
    from goroscope.ui.models.flame_data import build_flame

    view = scope_view(tl, data, kind, scope)
    flame = build_flame([data.frames[h] for h in view.handles.tolist()], view.totals_ns)
    return view, flame


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


def behind(
    view: ProfileView, rec_idx: NDArray[np.int64], limit: int = BEHIND_LIMIT
) -> tuple[NDArray[np.int64], Intervals, int]:
    """``(rows, intervals, total)``: the rows of ``view.iv`` whose stack key is one of
    records ``rec_idx`` — all ``total`` of them, or the ``limit`` longest (the earliest
    when they are all equally long, e.g. CPU samples), in their original order — and
    those intervals (a copy). Job thread: tens of millions on big traces."""
    rows = behind_rows(view, rec_idx)
    total = len(rows)
    if total > limit:
        dur = view.iv.end_ns[rows] - view.iv.start_ns[rows]
        if dur.min() == dur.max():
            rows = rows[:limit]
        else:
            rows = np.sort(rows[np.argpartition(-dur, limit - 1)[:limit]])
    return rows, view.iv.take(rows), total


def behind_rows(view: ProfileView, rec_idx: NDArray[np.int64]) -> NDArray[np.int64]:
    """Rows of ``view.iv`` whose stack key is one of records ``rec_idx`` (job thread)."""
    mark = np.zeros(int(view.iv.key.max()) + 1 if len(view.iv) else 0, bool)
    mark[view.keys[np.asarray(rec_idx, np.int64)]] = True
    return (
        np.flatnonzero(mark[view.iv.key]).astype(np.int64) if len(mark) else np.zeros(0, np.int64)
    )
