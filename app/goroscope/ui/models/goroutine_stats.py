"""Per-goroutine time by category, from the Timeline's spans (job thread; numba kernel + numpy, no Qt).

What
----
:func:`goroutine_stats` computes, for every goroutine of a complete
:class:`~goroscope.model.timeline.Timeline`, what ``go tool trace``'s goroutine pages
show (Go's ``internal/trace`` ``Summarizer``, ported in
:mod:`goroscope.analysis._summary_reference`): creation / first run / end time, and
the non-overlapping time per category — Execution, Sched wait, Syscall execution,
Block time (syscall), Block time (<reason>) per wait reason, Unknown, Total.
:func:`group_distributions` reduces them per start-function group to count, total,
min / median / p90 / p99 / max (nearest rank, as :func:`goroscope.analysis.group_distributions`).

Why from the Timeline, not :func:`goroscope.analysis.analyze`
--------------------------------------------------------------
``analyze`` re-reads the whole trace (2:51 and 3.6 GB peak on the 450 MB trace)
and its per-goroutine objects cost ~1 KB each (2 GB for 2.16 M goroutines). The
Timeline already holds every goroutine transition as a span (start, kind =
(state, reason), proc), so the same numbers are one vectorised pass over its
segments: a span's duration is the next span's start minus its own, credited to
the category of its kind. The pass carries, per goroutine, the kind, start and
proc of the span still open at a segment's end (one int64 column each).

Go's quirks reproduced (they decide the numbers; see the reference port):

* a goroutine that exists when the trace starts (``Undetermined``) is created at
  the generation's Sync; the time from there to its first transition goes to the
  category of its first state (a syscall without a proc counts as syscall block);
* a goroutine created again after it exited (a C thread's extra M) restarts: only
  the last lifetime counts; ``Waiting`` with reason ``forever`` ends it like an exit;
* ``Block time (syscall)`` is the part of a syscall after its proc went idle (the
  proc was stolen): the first proc transition *to* Idle from another state between
  the syscall's start and its end; a syscall still open at the end of the trace
  counts whole as syscall time and its blocked part *also* as sched wait (Go's
  ``snapshot``);
* ``Unknown time`` = total − the categories when positive, else 0.

What we deliberately don't do: Go's ``syscallingP`` map is keyed by proc, so a
goroutine returning from a syscall after its proc was stolen *and* reused for
another goroutine's syscall deletes that other goroutine's entry (its later steal
then does not count). We take the first idle transition of the proc per syscall;
where the two differ is measured by the tests against the Go oracle's per-goroutine
digest (``g_stats_sha256``) and the analysis on every committed trace. Range times
(GC mark assist, sweep) are not columns (P-scoped ranges need the running goroutine
at their begin and end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.model.events import GoState
from goroscope.model.timeline import KIND_EXITED, Timeline, idx_col

#: fixed categories, in column order (Go's NonOverlappingStats names)
EXEC = "Execution time"
SCHED = "Sched wait time"
SYSCALL = "Syscall execution time"
SYSBLOCK = "Block time (syscall)"
UNKNOWN = "Unknown time"
TOTAL = "Total time"
_FIXED = (EXEC, SCHED, SYSCALL, SYSBLOCK)

_RUNNING = int(GoState.Running)
_RUNNABLE = int(GoState.Runnable)
_WAITING = int(GoState.Waiting)
_SYSCALL_S = int(GoState.Syscall)
_UND = int(GoState.Undetermined)
_NOTEXIST = int(GoState.NotExist)
_P_IDLE = 3  # ProcState.Idle (the reference's _P_IDLE)

_NONE = np.int64(-1)


@dataclass(frozen=True, slots=True)
class GoroutineStats:
    """Per goroutine (index = g_idx) of a Timeline, read-only.

    categories : names of the columns: Execution, Sched wait, Syscall
        execution, Block time (syscall), then ``Block time (<reason>)`` per wait reason
        seen (sorted), then Unknown and Total
    cols : per category an (n,) column of ns per goroutine — int32 where every value
        fits (exact), else int64 (on the big trace half of the 18 columns are int32)
    creation_ns, start_ns, end_ns : (n,) int64 — ns since the timeline's origin
        (Go's GoroutineSummary: creation, first Running, exit; -1 where Go has none)
    in_summary : (n,) bool — the goroutine is in Go's summary (it had a transition)
    group : (n,) int32 — index into ``group_names`` (the start function)
    group_names : tuple of str — start functions (``""`` unknown), sorted
    """

    categories: tuple[str, ...]
    cols: tuple[NDArray, ...]
    creation_ns: NDArray[np.int64]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    in_summary: NDArray[np.bool_]
    group: NDArray[np.int32]
    group_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.in_summary.shape[0])

    def column(self, category: str) -> NDArray:
        return self.cols[self.categories.index(category)]

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.cols) + sum(
            a.nbytes
            for a in (self.creation_ns, self.start_ns, self.end_ns, self.in_summary, self.group)
        )

    def totals(self) -> dict[str, int]:
        """Category → ns summed over the goroutines of Go's summary (``totals_ns``)."""
        m = self.in_summary
        return {
            c: int(v[m].sum(dtype=np.int64))
            for c, v in zip(self.categories, self.cols, strict=True)
        }


def _kind_columns(tl: Timeline) -> tuple[tuple[str, ...], NDArray[np.int64], NDArray[np.bool_]]:
    """Column of each kind code (-1: none), the category names, and which kinds end a
    goroutine (exit, ``Waiting`` forever)."""
    reasons = sorted(
        {r for s, r in tl.kinds if int(s) == _WAITING},
        key=lambda r: r.encode("utf-8", "surrogateescape"),
    )
    cats = (*_FIXED, *(f"Block time ({r})" for r in reasons), UNKNOWN, TOTAL)
    col = np.full(max(256, len(tl.kinds)), -1, np.int64)  # uint8 codes
    final = np.zeros(len(col), bool)
    for code, (state, reason) in enumerate(tl.kinds):
        s = int(state)
        if code == KIND_EXITED:
            final[code] = True
        elif s == _RUNNING:
            col[code] = 0
        elif s == _RUNNABLE:
            col[code] = 1
        elif s == _SYSCALL_S:
            col[code] = 2
        elif s == _WAITING:
            final[code] = reason == "forever"
            col[code] = cats.index(f"Block time ({reason})")
    return cats, col, final


def goroutine_stats(
    tl: Timeline, *, cancel=None, progress=None, kernel: bool = True
) -> GoroutineStats:
    """Per-goroutine categories of a complete ``tl`` (job thread; pure).

    One pass over the segments — the numba kernel
    (:func:`goroscope.ui.models._goroutine_stats_kernel.segment_into`, GIL released)
    or, with ``kernel=False``, its vectorised numpy twin (:func:`_segment_numpy`, the
    definition) — then one vectorised pass per proc for syscall blocks;
    ``cancel.raise_if_set()`` and ``progress.update(fraction)`` between segments.
    """
    n = tl.n_goroutines
    cats, col_of, final_of = _kind_columns(tl)
    nc = len(cats)
    # column-major: each category's column is contiguous (narrowed and copied one by one)
    acc = np.zeros((n, nc), np.int64, order="F")
    # carried per goroutine: the open span (kind, start, proc) and its lifetime
    st = _Carry(
        o_kind=np.full(n, -1, np.int64),
        o_start=np.zeros(n, np.int64),
        o_proc=np.full(n, -1, np.int64),
        life=np.zeros(n, np.int64),  # creations so far (a goid may be created again)
        creation=np.full(n, -1, np.int64),
        first_run=np.full(n, -1, np.int64),
        end=np.full(n, -1, np.int64),
        dead=np.zeros(n, bool),  # finalized (exit / forever) until created again
        seen=np.zeros(n, bool),
    )
    kstate = tl.kind_state.astype(np.int64)
    segs = tl.segments
    sys_parts: list[tuple] = []  # (g, start, end, proc, life, open at the end)
    if kernel:
        from goroscope.ui.models._goroutine_stats_kernel import segment_into

    for si, seg in enumerate(segs):
        if cancel is not None:
            cancel.raise_if_set()
        if progress is not None and si % 64 == 0:
            progress.update(0.9 * si / max(1, len(segs)))
        nr = len(seg.kind)
        if nr == 0:
            continue
        t = seg.start + seg.base_ns
        kind = seg.kind
        proc = idx_col(seg.proc)
        if kernel:
            bufs = (
                np.empty(nr, np.int64), np.empty(nr, np.int64), np.empty(nr, np.int64),
                np.empty(nr, np.int64), np.empty(nr, np.int64),
            )  # fmt: skip
            k = segment_into(
                seg.g_idx, seg.g_off, seg.g_from, kind, proc, t,
                kstate, col_of, final_of, tl.gen_first_ns,
                acc, st.o_kind, st.o_start, st.o_proc, st.life, st.creation,
                st.first_run, st.end, st.dead, st.seen, *bufs, 0,
            )  # fmt: skip
            if k:
                sys_parts.append((*(b[:k].copy() for b in bufs), np.zeros(k, bool)))
        else:
            part = _segment_numpy(tl, seg, t, kind, proc, kstate, col_of, final_of, acc, st)
            if part is not None:
                sys_parts.append(part)
    o_kind, o_start, o_proc, life = st.o_kind, st.o_start, st.o_proc, st.life
    seen, dead, end, creation, first_run = st.seen, st.dead, st.end, st.creation, st.first_run

    # close what is still open at the last event (Go's Finalize)
    last_ts = int(tl.covered_ns)
    openg = np.flatnonzero(seen & ~dead & (o_kind >= 0))
    c = col_of[o_kind[openg]]
    ok = c >= 0
    np.add.at(acc, (openg[ok], c[ok]), (last_ts - o_start[openg])[ok])
    so = openg[kstate[o_kind[openg]] == _SYSCALL_S]
    if len(so):
        sys_parts.append(
            (so, o_start[so], np.full(len(so), last_ts), o_proc[so], life[so],
             np.ones(len(so), bool))
        )  # fmt: skip
    if sys_parts:
        _syscall_blocks(tl, acc, sys_parts, life)
    del st, o_kind, o_start, o_proc, sys_parts
    if progress is not None:
        progress.update(0.95)
    # a block reason no goroutine's last lifetime has is no category (Go's map has no key)
    drop = [i for i in range(4, nc - 2) if not acc[:, i].any()]  # unseen rows are 0
    keep_c = np.setdiff1d(np.arange(nc), drop)
    cats = tuple(cats[i] for i in keep_c.tolist())
    nc = len(cats)
    total = np.where(seen, np.where(end >= 0, end, last_ts) - creation, 0)
    known = np.zeros(n, np.int64)
    columns = []
    for i in keep_c[: nc - 2].tolist():
        known += acc[:, i]
        columns.append(_narrow(acc[:, i]))
    del acc
    unknown = np.where(known < total, total - known, 0)
    del known
    columns += [_narrow(unknown), _narrow(total)]
    del unknown, total
    codes, group = _codes(tl.goroutines.start_func)
    names = tuple(tl.strings[c] if c >= 0 else "" for c in codes.tolist())
    order = sorted(range(len(names)), key=lambda i: names[i].encode("utf-8", "surrogateescape"))
    remap = np.empty(len(order), np.int64)
    remap[order] = np.arange(len(order))
    out = GoroutineStats(
        cats,
        tuple(columns),
        creation,
        first_run,
        end,
        seen,
        remap[group].astype(np.int32),
        tuple(names[i] for i in order),
    )
    for arr in (*out.cols, out.creation_ns, out.start_ns, out.end_ns, out.in_summary, out.group):
        arr.flags.writeable = False
    if progress is not None:
        progress.update(1.0)
    return out


def _narrow(v: NDArray[np.int64]) -> NDArray:
    """``v`` as int32 when every value fits (exact), else an int64 copy (never a view:
    the accumulator it comes from is freed)."""
    if len(v) == 0 or (int(v.min()) >= -(2**31) and int(v.max()) < 2**31):
        return v.astype(np.int32)
    return v.copy()


def _codes(sf: NDArray) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``np.unique(sf, return_inverse=True)`` of string codes (>= -1) without a sort when
    the codes are dense enough (a lookup table; 2 M goroutines: 0.3 s → ~10 ms)."""
    sf = np.asarray(sf, np.int64)
    if len(sf) == 0 or int(sf.min()) < -1 or int(sf.max()) > 8 * len(sf) + (1 << 20):
        return np.unique(sf, return_inverse=True)
    present = np.zeros(int(sf.max()) + 2, bool)
    present[sf + 1] = True
    codes = np.flatnonzero(present) - 1
    lut = np.cumsum(present) - 1
    return codes, lut[sf + 1]


@dataclass(slots=True)
class _Carry:
    """Per goroutine, carried from segment to segment (see :func:`goroutine_stats`)."""

    o_kind: NDArray[np.int64]
    o_start: NDArray[np.int64]
    o_proc: NDArray[np.int64]
    life: NDArray[np.int64]
    creation: NDArray[np.int64]
    first_run: NDArray[np.int64]
    end: NDArray[np.int64]
    dead: NDArray[np.bool_]
    seen: NDArray[np.bool_]


def _segment_numpy(tl, seg, t, kind, proc, kstate, col_of, final_of, acc, st: _Carry):
    """The numpy twin of ``segment_into``: one segment, vectorised; returns the syscall
    spans it closes as a ``sys_parts`` entry (or None)."""
    o_kind, o_start, o_proc, life = st.o_kind, st.o_start, st.o_proc, st.life
    creation, first_run, end, dead, seen = st.creation, st.first_run, st.end, st.dead, st.seen
    nr = len(kind)
    rg = seg.row_goroutine().astype(np.int64)
    kind = kind.astype(np.int64)
    proc = proc.astype(np.int64)
    first = np.zeros(nr, bool)
    first[seg.g_off[:-1]] = True
    fi = np.flatnonzero(first)
    gf = rg[fi]
    lens = np.diff(np.r_[fi, nr])
    last = np.r_[fi[1:], nr] - 1
    # the state before each row's transition (first ever: g_from, i.e. NotExist or
    # Undetermined)
    r_kind = np.empty(nr, np.int64)
    r_kind[1:] = kind[:-1]
    r_kind[fi] = o_kind[gf]
    frm = np.where(r_kind >= 0, kstate[np.maximum(r_kind, 0)], -1)
    frm[fi] = np.where(o_kind[gf] >= 0, frm[fi], seg.g_from.astype(np.int64))
    state = kstate[kind]
    # a transition to the state it is in (a GoStatus at a generation start) is no
    # transition for Go's summary: the open span goes on
    cont = frm == state
    if cont.any():
        anchor = np.maximum.accumulate(np.where(~cont | first, np.arange(nr), 0))
        pick = first & cont
        e_kind = np.where(pick, o_kind[rg], kind)[anchor]
        e_start = np.where(pick, o_start[rg], t)[anchor]
        e_proc = np.where(pick, o_proc[rg], proc)[anchor]
    else:  # the common case: every row is a transition
        e_kind, e_start, e_proc = kind, t, proc
    # the span each row closes: the open span before it
    p_kind = np.empty(nr, np.int64)
    p_start = np.empty(nr, np.int64)
    p_proc = np.empty(nr, np.int64)
    p_kind[1:], p_start[1:], p_proc[1:] = e_kind[:-1], e_start[:-1], e_proc[:-1]
    p_kind[fi], p_start[fi], p_proc[fi] = o_kind[gf], o_start[gf], o_proc[gf]
    # lifetimes: only rows of the slice's last lifetime count for the summary
    new_life = (frm == _NOTEXIST) | (frm == _UND)
    cum = np.cumsum(new_life)
    before = cum[fi] - new_life[fi]  # creations before each slice
    in_slice = cum - np.repeat(before, lens)  # creations in the slice up to the row
    n_cr = in_slice[last]
    keep = in_slice == np.repeat(n_cr, lens)
    row_life = np.repeat(life[gf], lens) + in_slice  # lifetime of the span closed
    # every syscall span that ends here (any lifetime: Go's proc map sees them all)
    closes = ~new_life & ~cont & (p_kind >= 0)
    sc = np.flatnonzero(closes & (kstate[np.maximum(p_kind, 0)] == _SYSCALL_S))
    part = None
    if len(sc):
        part = (rg[sc], p_start[sc], t[sc], p_proc[sc], row_life[sc], np.zeros(len(sc), bool))
    # goroutines (re)created in this segment restart from zero
    cr = np.flatnonzero(new_life & keep)
    if len(cr):
        gc = rg[cr]
        acc[gc] = 0
        first_run[gc] = -1
        end[gc] = -1
        dead[gc] = False
        seen[gc] = True
        und = frm[cr] == _UND
        sync = tl.gen_first_ns[tl.gen_of(t[cr])]
        creation[gc] = np.where(und, sync, t[cr])
        # Undetermined: the time since the Sync goes to the first state
        ui = cr[und]
        if len(ui):
            c = col_of[kind[ui]]
            c = np.where((state[ui] == _SYSCALL_S) & (proc[ui] < 0), 3, c)
            ok = c >= 0
            np.add.at(acc, (rg[ui][ok], c[ok]), (t[ui] - sync[und])[ok])
    life[gf] += n_cr
    # rows after a finalizing row (exit, forever) of the kept lifetime are dead
    fin = final_of[kind] & keep & ~cont
    after_fin = np.zeros(nr, bool)
    if fin.any():
        excl = np.cumsum(fin) - fin
        after_fin = (excl - np.repeat(excl[fi], lens)) > 0
    live = np.flatnonzero(keep & closes & ~dead[rg] & ~after_fin)
    c = col_of[p_kind[live]]
    ok = c >= 0
    np.add.at(acc, (rg[live][ok], c[ok]), (t[live] - p_start[live])[ok])
    # first run, end
    ri = np.flatnonzero(keep & ~after_fin & (state == _RUNNING))
    if len(ri):
        g_r = rg[ri]
        unset = first_run[g_r] < 0
        u, j = np.unique(g_r[unset], return_index=True)
        first_run[u] = t[ri[unset][j]]
    fr = np.flatnonzero(fin & ~after_fin)
    if len(fr):
        end[rg[fr]] = t[fr]
        dead[rg[fr]] = True
    # carry the open span of each goroutine in this segment
    gl = rg[last]
    o_kind[gl], o_start[gl], o_proc[gl] = e_kind[last], e_start[last], e_proc[last]
    return part


def _syscall_blocks(tl: Timeline, acc: NDArray[np.int64], parts: list[tuple], life) -> None:
    """Move the blocked part of syscalls from Syscall execution to Block time (syscall).

    Go's summarizer keeps ``syscallingP[p] = g`` from g's syscall begin; a transition
    of p to Idle (from another state) takes the entry and marks g blocked from then;
    the end of a syscall that began on p deletes ``syscallingP[p]`` whoever it is by
    then. So an idle transition at c blocks the syscall that began last on p before c,
    unless an idle transition or a syscall end on p came in between. Times are
    distinct (Go's event times strictly increase), so this is exact, per proc with
    ``searchsorted``. A syscall still open at the end counts whole as syscall time and
    its blocked part also as sched wait (Go's ``snapshot``).
    """
    g = np.concatenate([s[0] for s in parts])
    a = np.concatenate([s[1] for s in parts])
    b = np.concatenate([s[2] for s in parts])
    p = np.concatenate([s[3] for s in parts])
    lf = np.concatenate([s[4] for s in parts])
    still = np.concatenate([s[5] for s in parts])
    blk_at = np.full(len(g), -1, np.int64)
    for pi in np.unique(p[p >= 0]).tolist():
        if pi >= len(tl.proc_ids):
            continue
        s = tl.proc_states(pi)
        prev = np.r_[-1, s.value[:-1]]
        idle = s.time_ns[(s.value == _P_IDLE) & (prev != _P_IDLE)]
        if not len(idle):
            continue
        m = np.flatnonzero(p == pi)
        order = m[np.argsort(a[m], kind="stable")]
        begins = a[order]
        ends = np.sort(b[m][~still[m]])
        j = np.searchsorted(begins, idle, side="right") - 1
        ok = j >= 0
        jj = np.maximum(j, 0)
        since = begins[jj]
        # no idle transition and no syscall end on p in (begin, c)
        n_idle = np.arange(len(idle)) - np.searchsorted(idle, since, side="right")
        n_end = np.searchsorted(ends, idle, side="left") - np.searchsorted(ends, since, "right")
        ok &= (n_idle == 0) & (n_end == 0)
        blk_at[order[jj[ok]]] = idle[ok]
    h = np.flatnonzero((blk_at >= 0) & (lf == life[g]))
    blocked = b[h] - blk_at[h]
    st = still[h]
    closed = ~st
    np.add.at(acc, (g[h][closed], np.full(int(closed.sum()), 2)), -blocked[closed])
    np.add.at(acc, (g[h][closed], np.full(int(closed.sum()), 3)), blocked[closed])
    np.add.at(acc, (g[h][st], np.full(int(st.sum()), 1)), blocked[st])


#: the statistics of :func:`group_distributions`, in column order
DIST_STATS = ("count", "total", "min", "median", "p90", "p99", "max")


def _distribution(cols, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """(C, 7) — count, total, min, median, p90, p99, max of ``col[rows]`` per column of
    ``cols`` (a sequence of (n,) columns).

    Big sets go column by column with ``np.partition`` (O(n), one column copied at a
    time)."""
    nc = len(cols)
    out = np.zeros((nc, len(DIST_STATS)), np.float64)
    n = len(rows)
    if n == 0:
        return out
    q = [max(0, math.ceil(p * n) - 1) for p in (0.5, 0.9, 0.99)]
    kth = sorted({0, *q, n - 1})
    out[:, 0] = n
    for c in range(nc):
        v = cols[c][rows].astype(np.int64)
        v = np.sort(v) if n <= 4096 else np.partition(v, kth)
        out[c, 1] = float(v.sum())
        for j, i in enumerate((0, *q, n - 1)):
            out[c, 2 + j] = v[i]
    return out


def group_distributions(stats: GoroutineStats) -> NDArray[np.float64]:
    """(groups, categories, 7) float64 — per start-function group and category: count,
    total, min, median, p90, p99, max over the group's goroutines in Go's summary
    (nearest rank; :func:`goroscope.analysis.group_distributions`). Job thread."""
    ng, nc = len(stats.group_names), len(stats.categories)
    out = np.zeros((ng, nc, len(DIST_STATS)), np.float64)
    rows = np.flatnonzero(stats.in_summary)
    grp = stats.group[rows].astype(np.int64)
    order = np.argsort(grp, kind="stable")
    bounds = np.searchsorted(grp[order], np.arange(ng + 1))
    rows = rows[order]
    for k in range(ng):
        out[k] = _distribution(stats.cols, rows[bounds[k] : bounds[k + 1]])
    return out


@dataclass(frozen=True, slots=True)
class GoroutineAnalysis:
    """What the goroutines panel shows: per-goroutine ``stats``, per-group
    distributions ``groups`` (G, C, 7) and the distribution over all goroutines
    ``overall`` (C, 7) (:data:`DIST_STATS` order)."""

    stats: GoroutineStats
    groups: NDArray[np.float64]
    overall: NDArray[np.float64]
    #: the goroutines in Go's summary (ascending; made in the job, not on the GUI thread)
    summary_rows: NDArray[np.int64] | None = None

    @property
    def n_summary(self) -> int:
        return len(self.summary_rows)


def goroutine_analysis(tl: Timeline, *, cancel=None, progress=None) -> GoroutineAnalysis:
    """The goroutines panel's job: :func:`goroutine_stats` and the distributions (job thread)."""
    st = goroutine_stats(tl, cancel=cancel, progress=progress)
    if cancel is not None:
        cancel.raise_if_set()
    rows = np.flatnonzero(st.in_summary)
    return GoroutineAnalysis(st, group_distributions(st), _distribution(st.cols, rows), rows)
