"""Tasks and regions of a Timeline, as numpy tables for the Tasks & regions panel (pure data).

:func:`task_data_job` (job thread; numpy only, no per-task Python on the big trace)
derives from ``Timeline.tasks`` / ``regions`` / ``logs``:

* the **task tree**: ``parent_row`` per task (``-1``: a root), children in CSR
  (``child_off``/``child_rows``, by start time) and each task's position among its
  siblings (what a Qt tree model needs for ``parent()``), across generations (the
  model keeps a task's begin and end in one row whatever generation they were in);
* per task: duration (``end - start`` when both were seen, else -1), regions, logs;
* per **task type**: count, complete, median / p99 / max of the complete tasks'
  durations and ``go tool trace``'s log-bucket histogram (5 buckets per decade,
  ``TimeHistogram``; :func:`duration_bucket`);
* per **region type**: count, total / median / p99 duration (a region begun before
  tracing starts at 0, one never ended ends at the last event: ``cmd/trace``'s
  ``regionInterval``).

:func:`region_breakdown` (job thread) splits the time inside the regions of one type
by goroutine state (running, runnable, syscall, waiting per reason): exact up to
``limit`` instances, a uniform sample beyond (the panel says so).

Go's summary counts one more task than the Timeline when logs or regions sit
outside any task (the background task, ID 0); the panel shows tasks that began or
ended in the trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.model.timeline import Timeline
from goroscope.ui.models.rows import identity_rows

__all__ = [
    "RegionTypes",
    "TaskData",
    "TaskTypes",
    "bucket_min_ns",
    "duration_bucket",
    "region_breakdown",
    "region_instances",
    "task_data_job",
]

#: go tool trace's TimeHistogram: five buckets per power of ten
LOG_DIV = math.log(math.pow(10, 1.0 / 5))


def duration_bucket(d_ns: NDArray[np.int64]) -> NDArray[np.int64]:
    """Go's ``TimeHistogram.Add`` bucket of each duration: ``int(log(d) / log(10^(1/5)))``
    (0 for d <= 0)."""
    d = np.asarray(d_ns, np.float64)
    out = np.zeros(d.shape, np.int64)
    pos = d > 0
    out[pos] = (np.log(d[pos]) / LOG_DIV).astype(np.int64)
    return out


def bucket_min_ns(bucket: int) -> int:
    """Go's ``TimeHistogram.BucketMin``."""
    return int(math.exp(bucket * LOG_DIV))


@dataclass(frozen=True, slots=True)
class TaskTypes:
    """Per task type (row ``k``; ``names[k]``), sorted by name.

    count, complete : (k,) int64; median_ns, p99_ns, max_ns : (k,) int64 over complete
    tasks (-1: none); hist : per type ``{bucket: count}`` of complete durations
    """

    names: tuple[str, ...]
    codes: NDArray[np.int32]
    count: NDArray[np.int64]
    complete: NDArray[np.int64]
    median_ns: NDArray[np.int64]
    p99_ns: NDArray[np.int64]
    max_ns: NDArray[np.int64]
    hist: tuple[dict[int, int], ...]


@dataclass(frozen=True, slots=True)
class RegionTypes:
    """Per region type (sorted by name): count, total / median / p99 / max duration (ns)."""

    names: tuple[str, ...]
    codes: NDArray[np.int32]
    count: NDArray[np.int64]
    total_ns: NDArray[np.int64]
    median_ns: NDArray[np.int64]
    p99_ns: NDArray[np.int64]
    max_ns: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TaskData:
    """What the Tasks & regions panel shows (immutable; see the module doc).

    parent_row : (t,) int64 — row of the parent task (-1: none or not in the trace)
    child_off : (t+2,) int64 — CSR over *parent slot* (slot 0 = the roots, slot r+1 =
        children of row r) into ``child_rows``; pos_in_parent : (t,) int64
    duration_ns : (t,) int64 (-1: incomplete); n_regions, n_logs : (t,) int64
    type_row : (t,) int64 — row in ``types`` of each task
    region_start_ns, region_end_ns, region_dur_ns : (r,) int64 — cmd/trace's interval
    region_type_row : (r,) int64 — row in ``region_types``
    """

    parent_row: NDArray[np.int64]
    child_off: NDArray[np.int64]
    child_rows: NDArray[np.int64]
    pos_in_parent: NDArray[np.int64]
    duration_ns: NDArray[np.int64]
    n_regions: NDArray[np.int64]
    n_logs: NDArray[np.int64]
    type_row: NDArray[np.int64]
    types: TaskTypes
    region_start_ns: NDArray[np.int64]
    region_end_ns: NDArray[np.int64]
    region_dur_ns: NDArray[np.int64]
    region_type_row: NDArray[np.int64]
    region_types: RegionTypes
    last_ns: int

    def children(self, row: int) -> NDArray[np.int64]:
        """Child task rows of ``row`` (-1: the roots), by start time."""
        a, b = int(self.child_off[row + 1]), int(self.child_off[row + 2])
        return self.child_rows[a:b]

    def bucket_rows(self, type_row: int, bucket: int) -> NDArray[np.int64]:
        """Task rows of one type whose (complete) duration falls in ``bucket``."""
        m = (self.type_row == type_row) & (self.duration_ns >= 0)
        rows = np.flatnonzero(m)
        return rows[duration_bucket(self.duration_ns[rows]) == bucket]


def task_row_of(tl: Timeline, task_ids: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Row in ``tl.tasks`` of each task ID (-1: not in the table)."""
    tid = tl.tasks.task_id
    if len(tid) == 0:
        return np.full(len(task_ids), -1, np.int64)
    order = np.argsort(tid, kind="stable")
    srt = tid[order]
    i = np.minimum(np.searchsorted(srt, task_ids), len(srt) - 1)
    return np.where(srt[i] == task_ids, order[i], -1).astype(np.int64)


def _quantiles(vals, groups, n_groups):
    """Per group (sorted by group then value): median, p99, max (Go-free: nearest rank)."""
    med = np.full(n_groups, -1, np.int64)
    p99 = np.full(n_groups, -1, np.int64)
    mx = np.full(n_groups, -1, np.int64)
    if len(vals) == 0:
        return med, p99, mx
    o = np.lexsort((vals, groups))
    v, g = vals[o], groups[o]
    bounds = np.searchsorted(g, np.arange(n_groups + 1))
    cnt = np.diff(bounds)
    has = cnt > 0
    lo = bounds[:-1]
    med[has] = v[lo[has] + (cnt[has] - 1) // 2]
    p99[has] = v[lo[has] + np.ceil(0.99 * cnt[has]).astype(np.int64) - 1]
    mx[has] = v[lo[has] + cnt[has] - 1]
    return med, p99, mx


def task_data_job(tl: Timeline, *, cancel=None, progress=None) -> TaskData:
    """Build :class:`TaskData` (job thread; pure; vectorised)."""
    t = tl.tasks
    n = len(t)
    last_ns = int(tl.covered_ns)
    parent_row = task_row_of(tl, t.parent_id)
    parent_row[t.parent_id == np.uint64(0)] = -1
    slot = parent_row + 1
    order = np.lexsort((t.task_id, np.where(t.start_ns < 0, -1, t.start_ns), slot))
    child_off = np.searchsorted(slot[order], np.arange(n + 2)).astype(np.int64)
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n) - child_off[slot[order]]
    complete = (t.start_ns >= 0) & (t.end_ns >= 0)
    dur = np.where(complete, t.end_ns - t.start_ns, -1)

    r = tl.regions
    rrow = task_row_of(tl, r.task_id)
    n_regions = np.bincount(rrow[rrow >= 0], minlength=n).astype(np.int64)
    lrow = task_row_of(tl, tl.logs.task_id)
    n_logs = np.bincount(lrow[lrow >= 0], minlength=n).astype(np.int64)

    # task types
    codes, type_row = np.unique(t.type, return_inverse=True)
    names = tuple(tl.strings[c] if c >= 0 else "" for c in codes.tolist())
    o = np.argsort(np.array(names, dtype=object), kind="stable") if names else np.zeros(0, int)
    remap = np.empty(len(codes), np.int64)
    remap[o] = np.arange(len(codes))
    type_row = remap[type_row] if n else np.zeros(0, np.int64)
    codes, names = codes[o], tuple(names[i] for i in o.tolist())
    k = len(codes)
    count = np.bincount(type_row, minlength=k).astype(np.int64)
    ncomp = np.bincount(type_row[complete], minlength=k).astype(np.int64)
    med, p99, mx = _quantiles(dur[complete], type_row[complete], k)
    b = duration_bucket(dur[complete])
    tr = type_row[complete]
    hist = []
    for j in range(k):
        bb, cc = np.unique(b[tr == j], return_counts=True)
        hist.append(dict(zip(bb.tolist(), cc.tolist(), strict=True)))
    types = TaskTypes(names, codes.astype(np.int32), count, ncomp, med, p99, mx, tuple(hist))

    # region types (cmd/trace's regionInterval: unknown start → 0, unknown end → trace end)
    rs = np.where(r.start_ns < 0, 0, r.start_ns)
    re = np.where(r.end_ns < 0, last_ns, r.end_ns)
    rd = re - rs
    rcodes, rtype = np.unique(r.type, return_inverse=True)
    rnames = tuple(tl.strings[c] if c >= 0 else "" for c in rcodes.tolist())
    o = np.argsort(np.array(rnames, dtype=object), kind="stable") if rnames else np.zeros(0, int)
    remap = np.empty(len(rcodes), np.int64)
    remap[o] = np.arange(len(rcodes))
    rtype = remap[rtype] if len(r) else np.zeros(0, np.int64)
    rcodes, rnames = rcodes[o], tuple(rnames[i] for i in o.tolist())
    kr = len(rcodes)
    rcount = np.bincount(rtype, minlength=kr).astype(np.int64)
    rtotal = np.bincount(rtype, weights=rd, minlength=kr).astype(np.int64)
    rmed, rp99, rmax = _quantiles(rd, rtype, kr)
    rtypes = RegionTypes(rnames, rcodes.astype(np.int32), rcount, rtotal, rmed, rp99, rmax)
    return TaskData(
        parent_row, child_off, order.astype(np.int64), pos, dur, n_regions, n_logs,
        type_row.astype(np.int64), types, rs, re, rd, rtype.astype(np.int64), rtypes, last_ns,
    )  # fmt: skip


def region_breakdown(
    tl: Timeline, data: TaskData, type_row: int, *, limit: int = 5_000, cancel=None, progress=None
) -> tuple[dict[str, int], int, int]:
    """Time inside the regions of one type per goroutine state (job thread).

    Returns ``({kind name: ns}, instances used, instances of the type)``; kind names are
    ``Timeline.kind_name`` ("running", "waiting (sync)", …). Beyond ``limit`` instances a
    uniform, deterministic sample of ``limit`` of them is used.
    """
    rows = np.flatnonzero(data.region_type_row == type_row)
    total = len(rows)
    if total > limit:
        rows = rows[np.linspace(0, total - 1, limit).astype(np.int64)]
    r = tl.regions
    acc = np.zeros(len(tl.kinds), np.int64)
    g_of = r.g_idx[rows]
    o = np.argsort(g_of, kind="stable")
    rows, g_of = rows[o], g_of[o]
    for i, (g, row) in enumerate(zip(g_of.tolist(), rows.tolist(), strict=True)):
        if cancel is not None and i % 1024 == 0:
            cancel.raise_if_set()
        sr = tl.goroutine_row(g)
        s, e = int(data.region_start_ns[row]), int(data.region_end_ns[row])
        lo, hi = sr.window(s, e)
        if hi <= lo:
            continue
        ov = np.minimum(sr.end_ns[lo:hi], e) - np.maximum(sr.start_ns[lo:hi], s)
        ok = ov > 0
        np.add.at(acc, sr.kind[lo:hi][ok], ov[ok])
    out = {}
    for code in np.flatnonzero(acc).tolist():
        name = tl.kind_name(code)
        out[name] = out.get(name, 0) + int(acc[code])
    return dict(sorted(out.items(), key=lambda kv: -kv[1])), len(rows), total


def region_instances(tl: Timeline, data: TaskData, type_row: int, *, cancel=None, progress=None):
    """The regions of one type as columns ``(g_idx, start_ns, duration_ns, task_row)``
    (task_row -1: no task); job thread (millions of regions on big traces)."""
    rows = np.flatnonzero(data.region_type_row == type_row)
    r = tl.regions
    tid = r.task_id[rows]
    tr = task_row_of(tl, tid)
    tr[tid == np.uint64(0)] = -1
    identity_rows(len(rows))  # the table's rows: the cache grows here, not on the GUI thread
    return r.g_idx[rows], data.region_start_ns[rows], data.region_dur_ns[rows], tr
