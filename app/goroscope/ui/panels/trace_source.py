"""TraceTimelineSource: the timeline's rows over a model :class:`~goroscope.model.timeline.Timeline`.

What
----
Adapts one immutable ``Timeline`` snapshot to the :class:`TimelineSource`
protocol of :mod:`goroscope.ui.panels.timeline`:

* one row per **proc** (the goroutines it runs, labelled ``G<id> <start func>``);
  procs with neither ProcState transitions nor goroutines run on them (the old
  format's fake Ps) get none (:func:`shown_resources`),
* a collapsible **Threads** group (one row per M: running green, syscall blue; a
  thread that never runs a goroutine nor holds a syscall, e.g. sysmon, gets none),
* **goroutines grouped by start function** (Go's summary names): a header row per
  group, collapsible; groups larger than :data:`COLLAPSE_ABOVE`, groups of only
  short-lived goroutines and groups past a row budget start collapsed
  (:meth:`TraceTimelineSource._default_expansion`), and a collapsed
  header shows an aggregate strip (how many of the group are running,
  runnable, blocked, in syscall over time) once :func:`goroutine_stats` has run;
  members sortable by ID, start time or total blocked time,
* a **regions** row beneath each goroutine that has user regions (outermost),
  and one **nested regions** row per deeper level its regions reach (every
  depth is drawn).

Rows are *virtual*: the layout is a few numpy arrays (kind, resource index per
row) and :class:`RowSpec` objects are built only for the rows asked for, so
two million goroutines cost ~20 MB of layout, not two million Python objects.
:meth:`TraceTimelineSource.row_of` is an index ``(kind, resource_idx) → row``
(a dict for the few proc/thread rows, an array for goroutines), not a scan.

State codes are :class:`~goroscope.ui.theme.StateFamily` values: the model's
``(GoState, reason)`` kinds fold into families through :func:`family_of_kind`.

:func:`goroutine_stats` is a *job* (pure numpy, any thread): one pass over the
span segments giving per-goroutine blocked time and per-group state time per
bin. Everything else here runs on the GUI thread and only for visible rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from goroscope.model.events import GoState
from goroscope.model.timeline import KIND_EXITED, KIND_RUNNING, Timeline
from goroscope.ui.items.span_track import LIFETIME_BEFORE
from goroscope.ui.theme import FAMILY_NAMES, StateFamily

F = StateFamily

#: Groups with more goroutines than this start collapsed.
COLLAPSE_ABOVE = 24
#: A goroutine alive for less than this share of the snapshot is a blip at the first
#: (whole-trace) zoom: a group of only such goroutines starts collapsed (its aggregate
#: strip says more than its rows).
SHORT_LIVED = 1 / 50
#: Rows (goroutine and region rows) the groups expanded by default may fill together:
#: about two screens; the groups with the most goroutine time per row get them first.
DEFAULT_EXPAND_ROWS = 64
#: Bins of the per-group aggregate (over the whole trace).
AGG_BINS = 4096
#: A goroutine row that walks at most this many segments is built on demand (cheap).
READY_SEGMENTS = 64
#: Expanding or collapsing a group at least this big computes the layout in a job.
ASYNC_LAYOUT_ROWS = 50_000
#: Row kinds (layout codes).
#: Region rows: ``R_REGIONS + depth`` (``R_REGIONS_NESTED`` is depth 1); every depth a
#: goroutine's regions reach gets a row, up to ``MAX_REGION_DEPTH``.
R_PROC, R_THREADS, R_THREAD, R_GROUP, R_GOROUTINE, R_REGIONS, R_REGIONS_NESTED = range(7)
MAX_REGION_DEPTH = 100
_KIND_NAMES = ("proc", "threads", "thread", "group", "goroutine") + ("region",) * (
    MAX_REGION_DEPTH + 1
)
SORT_KEYS = ("id", "start", "blocked")

_REASON_FAMILY = {
    "chan send": F.BLOCKED_CHAN_SEND,
    "chan receive": F.BLOCKED_CHAN_RECV,
    "select": F.BLOCKED_SELECT,
    "network": F.BLOCKED_NET,
    "sleep": F.SLEEP,
    "GC mark assist wait for work": F.GC_ASSIST,
    "GC background sweeper wait": F.SWEEP,
}


def family_of_kind(state: GoState, reason: str) -> StateFamily:
    """The colour family of a model span kind ``(GoState, reason)``."""
    if state == GoState.Running:
        return F.RUNNING
    if state == GoState.Runnable:
        return F.RUNNABLE
    if state == GoState.Syscall:
        return F.SYSCALL
    if state == GoState.NotExist:
        return F.EXITED
    if state == GoState.Waiting:
        fam = _REASON_FAMILY.get(reason)
        if fam is not None:
            return fam
        if reason.startswith("sync"):
            return F.BLOCKED_SYNC
        return F.WAITING_OTHER
    return F.WAITING_OTHER


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One row: label, kind (``proc``/``thread``/``goroutine``/``group``/…) and index."""

    label: str
    kind: str = "goroutine"
    resource_idx: int = -1


@dataclass(frozen=True, slots=True)
class GoroutineStats:
    """What :func:`goroutine_stats` computes (read-only arrays).

    blocked_ns : (n_goroutines,) int64 — time in GoState.Waiting
    agg_t0_ns, agg_bin_ns : int — aggregate bins ``[t0 + i*bin, t0 + (i+1)*bin)``
    agg_times : (n_groups, AGG_BINS, 4) float64 — per group, time in Running,
        Runnable, Waiting, Syscall per bin (divide by ``agg_bin_ns``: mean goroutines)
    """

    blocked_ns: NDArray[np.int64]
    agg_t0_ns: int
    agg_bin_ns: int
    agg_times: NDArray[np.float64]


#: aggregate columns, in the order the strip stacks them (bottom first)
_AGG_STATES = (GoState.Running, GoState.Runnable, GoState.Waiting, GoState.Syscall)
_AGG_FAMILIES = (F.RUNNING, F.RUNNABLE, F.WAITING, F.SYSCALL)  # WAITING: any reason


def goroutine_stats(
    timeline: Timeline,
    group_of_g: NDArray[np.int32],
    n_groups: int,
    *,
    cancel=None,
    progress=None,
    n_bins: int = AGG_BINS,
    t0_ns: int = 0,
    bin_ns: int | None = None,
) -> GoroutineStats:
    """Job: per-goroutine blocked time and per-group state time per bin (pure; any thread).

    One pass over the span segments in time order, carrying each goroutine's last
    kind and start across segments (a span ends where the goroutine's next one
    starts). Group aggregates integrate the step function "goroutines of group k
    in state c" over fixed bins: a change of ``d`` at ``t`` adds
    ``d·(bin_end − t)`` to its bin and ``d·bin_ns`` to every later bin (a
    difference array, one cumsum at the end).

    group_of_g : (n_goroutines,) int32 — group index per g_idx (-1: no aggregate)
    t0_ns, bin_ns : the bins start at ``t0_ns`` (default 0) and are ``bin_ns`` wide
        (default: the whole trace in ``n_bins``): a zoomed-in view's finer strip.
        Transitions before ``t0_ns`` count fully in every bin, later ones past the
        last bin not at all (segments after it are not read).
    """
    n_g = timeline.n_goroutines
    dur = max(int(timeline.covered_ns), 1)
    windowed = bin_ns is not None
    if bin_ns is None:
        bin_ns = max(1, -(-(dur - t0_ns) // n_bins))
    t_end = t0_ns + n_bins * bin_ns
    col_of_state = np.full(256, -1, np.int64)
    for c, s in enumerate(_AGG_STATES):
        col_of_state[int(s)] = c
    ks = timeline.kind_state.astype(np.int64)
    waiting = int(GoState.Waiting)
    last_kind = np.full(n_g, -1, np.int64)
    last_start = np.zeros(n_g, np.int64)
    blocked = np.zeros(n_g, np.int64)
    n_keys = max(n_groups, 1) * 4 * (n_bins + 1)
    part = np.zeros(n_keys, np.float64)
    step = np.zeros(n_keys, np.float64)
    grp = np.asarray(group_of_g, np.int64)
    segs = timeline.segments
    based = not windowed
    for si, seg in enumerate(segs):
        if cancel is not None:
            cancel.raise_if_set()
        n = len(seg.kind)
        if windowed and seg.base_ns >= t_end:
            break  # a window: nothing after it matters (the blocked times are not used)
        if n == 0:
            continue
        if not based and seg.end_ns < t0_ns:
            # wholly before the window: only each goroutine's last kind matters
            last = seg.g_off[1:] - 1
            last_kind[seg.g_idx] = seg.kind[last]
            last_start[seg.g_idx] = seg.start[last].astype(np.int64) + seg.base_ns
            continue
        if not based:  # the counts at the window's start fill every bin
            based = True
            _add_base(last_kind, ks, col_of_state, grp, n_groups, n_bins, bin_ns, step)
        start = seg.start.astype(np.int64) + seg.base_ns
        state = ks[seg.kind]
        g = np.repeat(seg.g_idx, np.diff(seg.g_off))
        first = np.zeros(n, bool)
        first[seg.g_off[:-1]] = True
        prev_state = np.empty(n, np.int64)
        prev_start = np.empty(n, np.int64)
        prev_state[1:] = state[:-1]
        prev_start[1:] = start[:-1]
        fk = last_kind[seg.g_idx]
        prev_state[first] = np.where(fk >= 0, ks[np.maximum(fk, 0)], -1)
        prev_start[first] = last_start[seg.g_idx]
        # blocked time: spans in Waiting closed by this transition
        w = prev_state == waiting
        if w.any():
            blocked += np.bincount(g[w], weights=start[w] - prev_start[w], minlength=n_g).astype(
                np.int64
            )
        last = seg.g_off[1:] - 1
        last_kind[seg.g_idx] = seg.kind[last]
        last_start[seg.g_idx] = start[last]
        if n_groups:
            gg = grp[g]
            rel = start - t0_ns
            b = np.clip(rel // bin_ns, 0, n_bins - 1)
            frac = np.minimum((b + 1) * bin_ns - rel, bin_ns).astype(np.float64)
            if windowed:  # transitions after the window do not count
                gg = np.where(rel < n_bins * bin_ns, gg, -1)
            for cols, d in (
                (col_of_state[state], 1.0),
                (col_of_state[np.maximum(prev_state, 0)], -1.0),
            ):
                ok = (gg >= 0) & (cols >= 0)
                if d < 0:
                    ok &= prev_state >= 0
                if not ok.any():
                    continue
                key = (gg[ok] * 4 + cols[ok]) * (n_bins + 1) + b[ok]
                part += d * np.bincount(key, weights=frac[ok], minlength=n_keys)
                step += d * bin_ns * np.bincount(key + 1, minlength=n_keys)[:n_keys]
        if progress is not None:
            progress.update((si + 1) / len(segs))
    if not based:
        _add_base(last_kind, ks, col_of_state, grp, n_groups, n_bins, bin_ns, step)
    # still waiting at the end of the trace
    open_w = (last_kind >= 0) & (ks[np.maximum(last_kind, 0)] == waiting)
    blocked[open_w] += dur - last_start[open_w]
    cum = np.cumsum(step.reshape(-1, n_bins + 1), axis=1)
    times = part.reshape(-1, n_bins + 1) + cum
    times = times[:, :n_bins].reshape(max(n_groups, 1), 4, n_bins).transpose(0, 2, 1)
    times = np.clip(times, 0.0, None)[:n_groups]
    blocked.flags.writeable = False
    return GoroutineStats(blocked, int(t0_ns), int(bin_ns), np.ascontiguousarray(times))


def _extends(old: Timeline, new: Timeline) -> bool:
    """Whether ``new`` is a later snapshot of ``old``'s trace (its segments a prefix)."""
    n = len(old.segments)
    return n == 0 or (len(new.segments) >= n and new.segments[n - 1] is old.segments[n - 1])


def _mark(parts: list, n: int, carried: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
    """(n,) bool — True at every index in ``parts`` (negative or ≥ n ignored), or ``carried``."""
    out = np.zeros(n, bool)
    if carried is not None:
        out[: min(n, len(carried))] = carried[:n]
    if parts:
        idx = np.concatenate([np.asarray(x, np.int64) for x in parts])
        out[idx[(idx >= 0) & (idx < n)]] = True
    return out


def _segment_presence(tl: Timeline, carried: tuple | None) -> tuple:
    """``(segments read, procs, threads)``: which procs/threads the span segments show.

    A proc is present if it has ProcState transitions (``ps_idx``) or occupancy that
    begins in a segment (a thread change ``pm_p`` is recorded at the first Running span
    of every proc, heads and lates); a thread if a proc's Running spans move to it
    (``pm_thread``), it holds a syscall (``sys_thread``), or heads/lates name it —
    exactly where :meth:`Timeline.thread_spans` takes its intervals from. Reads the
    small per-segment arrays only (no span column), and only the segments after
    ``carried``'s (segments are append-only).
    """
    n_p, n_m = len(tl.proc_ids), len(tl.thread_ids)
    done, p_prev, m_prev = carried if carried is not None else (0, None, None)
    p_parts: list = []
    m_parts: list = []
    for seg in tl.segments[done:]:
        hr, lr = seg.head_state == KIND_RUNNING, seg.late_state == KIND_RUNNING
        p_parts += (seg.ps_idx, seg.pm_p, seg.head_proc[hr], seg.late_proc[lr])
        m_parts += (seg.pm_thread, seg.sys_thread, seg.head_thread, seg.late_thread)
    return len(tl.segments), _mark(p_parts, n_p, p_prev), _mark(m_parts, n_m, m_prev)


def _runs_goroutines(tl: Timeline, p: int) -> bool:
    """Whether any span of ``tl`` runs on proc ``p`` (exact; for the few candidates).

    The (kind, proc) code tables are append-only and interned as spans are folded, so
    the longest one answers "no" at once when it has no Running code for ``p``; if it
    has one, the segments are scanned for it, stopping at the first hit.
    """
    segs = tl.segments
    if not segs:
        return False
    lut = max(segs, key=lambda s: len(s.kp_kind))
    code = (tl.kind_state[lut.kp_kind] == KIND_RUNNING) & (lut.kp_proc == p)
    if not code.any():
        return False
    for seg in segs:
        c = code[: len(seg.kp_kind)]
        if c.any() and bool(c[seg.kp].any()):
            return True
    return False


def shown_resources(
    tl: Timeline, carried: tuple | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], tuple]:
    """``(procs, threads, carry)``: which proc and thread rows have something to show.

    Job thread (:class:`TraceTimelineSource` is built in the view-data job). A cheap
    vectorised pass over the segments' small arrays (:func:`_segment_presence`) plus the
    snapshot's open occupancy; then an exact check (:func:`_runs_goroutines`) for the few
    procs it leaves out — the old-format converter's fake Ps, which have neither
    ProcState transitions nor spans running on them. A proc with ProcState transitions
    stays even if nothing ran on it (``go tool trace`` shows every P up to the highest
    with a ProcState event: an idle P is information about GOMAXPROCS). ``carry`` goes
    to the next snapshot's call.
    """
    o = tl.open_occupancy
    carry = _segment_presence(tl, carried)
    _, seg_p, seg_m = carry
    procs = _mark([o.proc[o.state == KIND_RUNNING]], len(seg_p), seg_p)
    threads = _mark([o.thread], len(seg_m), seg_m)
    for p in np.flatnonzero(~procs).tolist():
        procs[p] = _runs_goroutines(tl, p)
    return procs, threads, carry


@dataclass(frozen=True, slots=True)
class RowLayout:
    """A row layout: which expansions it is for, and per row its kind and resource.

    row_kind : (rows,) int8 — ``R_*`` code; row_res : (rows,) int64 — proc/thread/group
    index or g_idx; g_row : (n_goroutines,) int64 — row of each goroutine (-1 hidden);
    small_index : ``(kind name, idx) → row`` for proc, thread and header rows.
    """

    expanded: dict
    threads_expanded: bool
    row_kind: NDArray[np.int8]
    row_res: NDArray[np.int64]
    g_row: NDArray[np.int64]
    small_index: dict
    sort_key: str = "id"


def _add_base(last_kind, ks, col_of_state, grp, n_groups, n_bins, bin_ns, step) -> None:
    """Every goroutine's state before a window, as a constant over all its bins."""
    if not n_groups:
        return
    g = np.flatnonzero(last_kind >= 0)
    cols = col_of_state[ks[last_kind[g]]]
    gg = grp[g]
    ok = (cols >= 0) & (gg >= 0)
    key = (gg[ok] * 4 + cols[ok]) * (n_bins + 1)  # bin 0: the cumsum carries it to all
    step += bin_ns * np.bincount(key, minlength=len(step))[: len(step)]


class _Rows(Sequence):
    """The layout as a lazy sequence of :class:`RowSpec` (built per access)."""

    def __init__(self, source: TraceTimelineSource) -> None:
        self._src = source

    def __len__(self) -> int:
        return len(self._src.row_kind)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._src.row_spec(i)


class TraceTimelineSource:
    """``TimelineSource`` over one Timeline snapshot (GUI thread; reads are cheap per row).

    Parameters
    ----------
    timeline : Timeline
        The snapshot (may be partial while loading; pass the next one to :meth:`updated`).
    previous : TraceTimelineSource, optional
        Carries expanded/collapsed groups, the sort key and computed stats over to a
        newer snapshot of the same trace.
    """

    def __init__(self, timeline: Timeline, previous: TraceTimelineSource | None = None) -> None:
        self.timeline = timeline
        tl = timeline
        self._families = np.array(
            [int(family_of_kind(s, r)) for s, r in tl.kinds] + [int(F.UNKNOWN)], np.uint8
        )
        self._families[KIND_EXITED] = int(F.EXITED)
        # groups by start function, biggest first
        groups = tl.groups()
        names = sorted(groups, key=lambda k: (-len(groups[k]), k))
        self.group_names: list[str] = [n or "(unknown start)" for n in names]
        self.group_members: list[NDArray[np.int64]] = [groups[n] for n in names]
        self.group_of_g = np.full(tl.n_goroutines, -1, np.int32)
        for k, m in enumerate(self.group_members):
            self.group_of_g[m] = k
        self._func_of_g = tl.goroutines.start_func
        # regions: goroutines that have any (outermost regions form their row)
        r = tl.regions
        # deepest region level per goroutine (-1: none): one row per level beneath it
        self._region_depth = np.full(tl.n_goroutines, -1, np.int64)
        if len(r):
            ok = (r.g_idx >= 0) & (r.g_idx < tl.n_goroutines)
            d = np.minimum(r.depth[ok].astype(np.int64), MAX_REGION_DEPTH)
            np.maximum.at(self._region_depth, r.g_idx[ok], d)
        cs = tl.cpu_samples
        self._cpu_g = self._cpu_t = None
        if len(cs):
            o = np.lexsort((cs.time_ns, cs.g_idx))
            self._cpu_g, self._cpu_t = cs.g_idx[o], cs.time_ns[o]
        self.stats: GoroutineStats | None = None
        self._fine: GoroutineStats | None = None  # finer bins for a zoomed-in view
        self.sort_key = "id"
        self.threads_expanded = False
        self._expanded: dict[str, bool] = {}
        if previous is not None:
            self._expanded = dict(previous._expanded)
            self.sort_key = previous.sort_key
            self.threads_expanded = previous.threads_expanded
            if previous.stats is not None and len(previous.stats.blocked_ns) == tl.n_goroutines:
                self.stats = previous.stats
        # proc/thread rows built off the GUI thread (prefetch); an older snapshot's rows
        # stay valid for its covered time (segments are append-only), so they carry over
        self._occ_rows: dict = dict(previous._occ_rows) if previous is not None else {}
        # goroutine rows carried from the previous snapshot: (segments it covered, start,
        # kind); a newer snapshot appends only the segments after those (see _goroutine_arrays)
        self._g_rows: OrderedDict = OrderedDict()
        extends = previous is not None and _extends(previous.timeline, tl)
        if extends:
            self._g_rows = OrderedDict(previous._g_rows)
        # proc/thread rows with nothing to show are left out (the converter's fake Ps)
        self.proc_shown, self.thread_shown, self._presence = shown_resources(
            tl, previous._presence if extends else None
        )
        # which groups start expanded when the user has not chosen (per group, numpy)
        self._default_open = self._default_expansion()
        self._spans: OrderedDict = OrderedDict()  # (row kind, resource) → arrays
        self._order_cache: dict = {}  # (group, sort key, stats) → sorted members
        # n_spans sums every segment: once here, not per row per paint
        self._small = tl.n_spans < 200_000  # proc/thread rows are cheap to build
        self._labels: dict[int, str] = {}
        self.relayout()

    # -- layout ---------------------------------------------------------------------
    def group_expanded(self, k: int) -> bool:
        name = self.group_names[k]
        got = self._expanded.get(name)
        return got if got is not None else bool(self._default_open[k])

    def _default_expansion(self) -> NDArray[np.bool_]:
        """(groups,) bool — whether each group starts expanded (the user's choice wins).

        Groups of more than ``COLLAPSE_ABOVE`` goroutines start collapsed. A smaller group
        starts expanded only if one of its goroutines lives at least ``SHORT_LIVED`` of the
        snapshot (else each row is a blip and a line; the header's aggregate strip shows
        the same at a glance), and only while the row budget ``DEFAULT_EXPAND_ROWS``
        lasts: groups with the most goroutine time alive (running, runnable, blocked or in
        syscall) per row they add go first. Lifetimes come from the goroutine table
        (first transition to exit), not from a pass over the spans: cheap, and known for
        the first snapshot, before :func:`goroutine_stats` has run.
        """
        tl = self.timeline
        sizes = np.array([len(m) for m in self.group_members], np.int64)
        out = sizes <= 1  # a lone goroutine has no header: its row is always shown
        cand = np.flatnonzero((sizes > 1) & (sizes <= COLLAPSE_ABOVE))
        if not len(cand):
            return out
        m = np.concatenate([self.group_members[k] for k in cand.tolist()])
        dur = max(int(tl.covered_ns), 1)
        end = tl.goroutines.end_ns[m]
        first = np.asarray(tl.goroutines.first_ns[m], np.int64)
        alive = np.clip(np.where(end >= 0, end, dur) - first, 0, None)
        at = np.cumsum(sizes[cand]) - sizes[cand]
        longest = np.maximum.reduceat(alive, at)
        rows = sizes[cand] + np.add.reduceat(np.maximum(self._region_depth[m] + 1, 0), at)
        density = np.add.reduceat(alive, at) / rows
        budget = DEFAULT_EXPAND_ROWS
        for i in np.argsort(-density, kind="stable").tolist():
            if longest[i] >= SHORT_LIVED * dur and rows[i] <= budget:
                out[cand[i]] = True
                budget -= int(rows[i])
        return out

    def set_group_expanded(self, k: int, expanded: bool) -> None:
        self._expanded[self.group_names[k]] = bool(expanded)
        self.relayout()

    def set_sort(self, key: str) -> None:
        """Order goroutines within groups by ``"id"``, ``"start"`` or ``"blocked"`` (desc)."""
        if key not in SORT_KEYS:
            raise ValueError(f"sort key {key!r} not in {SORT_KEYS}")
        self.sort_key = key
        self.relayout()

    def set_stats(self, stats: GoroutineStats) -> None:
        """Install :func:`goroutine_stats`' result (GUI thread). The layout depends on it
        only when sorted by blocked time: otherwise no relayout (np.full over 2.16 M
        goroutines, 12.7 ms on the 450 MB trace's GUI thread)."""
        self.stats = stats
        if self.sort_key == "blocked":
            self.relayout()

    def _sorted(
        self, members: NDArray[np.int64], sort_key: str, stats: GoroutineStats | None
    ) -> NDArray[np.int64]:
        tl = self.timeline
        if sort_key == "start":
            return members[np.argsort(tl.goroutines.first_ns[members], kind="stable")]
        if sort_key == "blocked" and stats is not None:
            return members[np.argsort(-stats.blocked_ns[members], kind="stable")]
        ids = tl.goroutines.goid[members]
        if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
            return members  # already in ID order (the usual case): no sort
        return members[np.argsort(ids, kind="stable")]

    def relayout(self) -> None:
        """Rebuild the row layout now (numpy; O(goroutines of expanded groups))."""
        self.apply_layout(self.compute_layout())

    def compute_layout(
        self,
        expanded: dict[str, bool] | None = None,
        threads_expanded: bool | None = None,
        sort_key: str | None = None,
        *,
        cancel=None,
        progress=None,
    ) -> RowLayout:
        """The row layout for these expansions and sort key (default: the current ones);
        pure, any thread.

        A job computes it for a big group (:meth:`toggle_job`, :meth:`sort_job`:
        ``cancel`` is checked and ``progress`` told the share of goroutines laid out
        after each group); :meth:`apply_layout` installs it. Member orders are cached
        per (group, sort key), so expanding a group again costs no sort.
        """
        tl = self.timeline
        expanded = dict(self._expanded if expanded is None else expanded)
        threads = self.threads_expanded if threads_expanded is None else threads_expanded
        sort_key = self.sort_key if sort_key is None else sort_key
        n_g = max(tl.n_goroutines, 1)
        done_g, reported = 0, 0.0
        kinds: list[NDArray] = []
        res: list[NDArray] = []
        small: dict[tuple[str, int], int] = {}
        at = 0

        def add(kind_arr: NDArray, res_arr: NDArray, index: bool) -> None:
            nonlocal at
            if index:
                for i, (k, r) in enumerate(zip(kind_arr.tolist(), res_arr.tolist(), strict=True)):
                    small[(_KIND_NAMES[k], r)] = at + i
            kinds.append(kind_arr)
            res.append(res_arr)
            at += len(kind_arr)

        # procs and threads with something to show (shown_resources), in ID order
        p_order = np.argsort(tl.proc_ids, kind="stable").astype(np.int64)
        p_order = p_order[self.proc_shown[p_order]]
        add(np.full(len(p_order), R_PROC, np.int8), p_order, True)
        m_order = np.argsort(tl.thread_ids, kind="stable").astype(np.int64)
        m_order = m_order[self.thread_shown[m_order]]
        if len(m_order):
            add(np.array([R_THREADS], np.int8), np.array([-1], np.int64), True)
            if threads:
                add(np.full(len(m_order), R_THREAD, np.int8), m_order, True)
        g_row = np.full(tl.n_goroutines, -1, np.int64)
        for k, members in enumerate(self.group_members):
            if cancel is not None:
                cancel.raise_if_set()
            if progress is not None and done_g / n_g - reported >= 0.02:
                reported = done_g / n_g
                progress.update(reported)
            done_g += len(members)
            if len(members) > 1:  # a lone goroutine needs no header: its label names the function
                add(np.array([R_GROUP], np.int8), np.array([k], np.int64), True)
                got = expanded.get(self.group_names[k])
                if not (got if got is not None else self._default_open[k]):
                    continue
            m = self._sorted_members(k, sort_key)
            depth = self._region_depth[m]
            if (depth < 0).all():  # no regions: one row per goroutine
                g_row[m] = at + np.arange(len(m))
                add(np.full(len(m), R_GOROUTINE, np.int8), m, False)
                continue
            rep = 2 + depth  # its own row, then one per region level
            rk = np.full(int(rep.sum()), R_GOROUTINE, np.int8)
            rr = np.repeat(m, rep)
            pos = np.cumsum(rep) - rep  # the goroutine's own row
            within = np.arange(len(rk)) - np.repeat(pos, rep)  # 0 own row, 1.. levels
            rk[within > 0] = (R_REGIONS - 1 + within[within > 0]).astype(np.int8)
            g_row[m] = at + pos
            add(rk, rr, False)
        return RowLayout(
            expanded, threads, np.concatenate(kinds), np.concatenate(res), g_row, small, sort_key
        )

    def apply_layout(self, layout: RowLayout) -> None:
        """Install a :meth:`compute_layout` result (the source's owner thread)."""
        self._expanded = dict(layout.expanded)
        self.threads_expanded = layout.threads_expanded
        self.sort_key = layout.sort_key
        self.row_kind = layout.row_kind
        self.row_res = layout.row_res
        self._g_row = layout.g_row
        self._small_index = layout.small_index
        self._labels.clear()

    def toggle_job(self, row: int):
        """For a header of a big group: a pure callable computing the toggled layout
        (run it in a job, then :meth:`apply_layout`); None when :meth:`toggle` is cheap."""
        k, r = int(self.row_kind[row]), int(self.row_res[row])
        if k not in (R_GROUP, R_THREADS):
            return None
        # the layout costs O(rows it will have): a big group, or any header of a big layout
        size = max(len(self.row_kind), len(self.group_members[r]) if k == R_GROUP else 0)
        if size < ASYNC_LAYOUT_ROWS:
            return None
        expanded = dict(self._expanded)
        if k == R_THREADS:
            return partial(self.compute_layout, expanded, not self.threads_expanded)
        expanded[self.group_names[r]] = not self.group_expanded(r)
        return partial(self.compute_layout, expanded)

    def sort_job(self, key: str):
        """For a big layout: a pure callable computing the layout sorted by ``key`` (run it
        in a job — ``cancel``/``progress`` keywords — then :meth:`apply_layout`); None when
        :meth:`set_sort` is cheap (fewer than ``ASYNC_LAYOUT_ROWS`` goroutines shown)."""
        if key not in SORT_KEYS:
            raise ValueError(f"sort key {key!r} not in {SORT_KEYS}")
        if int((self.row_kind >= R_GOROUTINE).sum()) < ASYNC_LAYOUT_ROWS:
            return None
        return partial(self.compute_layout, dict(self._expanded), self.threads_expanded, key)

    def _sorted_members(self, k: int, sort_key: str | None = None) -> NDArray[np.int64]:
        sort_key = self.sort_key if sort_key is None else sort_key
        stats = self.stats
        key = (k, sort_key, id(stats) if sort_key == "blocked" else 0)
        got = self._order_cache.get(key)
        if got is None:  # NOTE: a job may fill the cache too (a new key: atomic under the GIL)
            got = self._order_cache[key] = self._sorted(self.group_members[k], sort_key, stats)
        return got

    # -- TimelineSource --------------------------------------------------------------
    def duration_ns(self) -> int:
        return max(int(self.timeline.covered_ns), 1)

    def rows(self) -> Sequence[RowSpec]:
        return _Rows(self)

    def row_count(self) -> int:
        return len(self.row_kind)

    def row_spec(self, i: int) -> RowSpec:
        k, r = int(self.row_kind[i]), int(self.row_res[i])
        return RowSpec(self.row_label(i), _KIND_NAMES[k], r)

    def row_of(self, ref) -> int | None:
        """Row of a SpanRef-like ``(resource_kind, resource_idx)`` (an index, not a scan)."""
        kind, idx = ref.resource_kind, int(ref.resource_idx)
        if kind == "goroutine":
            if 0 <= idx < len(self._g_row) and self._g_row[idx] >= 0:
                return int(self._g_row[idx])
            return None
        if kind == "region":
            r = self.row_of(type("R", (), {"resource_kind": "goroutine", "resource_idx": idx})())
            return None if r is None else r + 1
        return self._small_index.get((kind, idx))

    def goroutine_label(self, g: int) -> str:
        tl = self.timeline
        f = int(self._func_of_g[g]) if g < len(self._func_of_g) else -1
        name = tl.strings[f] if f >= 0 else "?"
        return f"G{int(tl.goroutines.goid[g])} {name}"

    def row_label(self, i: int) -> str:
        got = self._labels.get(i)
        if got is not None:
            return got
        tl = self.timeline
        k, r = int(self.row_kind[i]), int(self.row_res[i])
        if k == R_PROC:
            text = f"P{int(tl.proc_ids[r])}"
        elif k == R_THREADS:
            n_m, shown = len(tl.thread_ids), int(self.thread_shown.sum())
            count = f"{n_m}" if shown == n_m else f"{shown} of {n_m}"
            text = f"{'▾' if self.threads_expanded else '▸'} Threads ({count})"
        elif k == R_THREAD:
            text = f"    M{int(tl.thread_ids[r])}"
        elif k == R_GROUP:
            mark = "▾" if self.group_expanded(r) else "▸"
            text = f"{mark} {self.group_names[r]} ×{len(self.group_members[r]):,}"
        elif k == R_GOROUTINE:
            text = "    " + self.goroutine_label(r)
        elif k == R_REGIONS:
            text = "        regions"
        else:
            text = (
                "        " + "  " * (k - R_REGIONS) + f"nested regions (level {k - R_REGIONS + 1})"
            )
        if len(self._labels) > 20_000:
            self._labels.clear()
        self._labels[i] = text
        return text

    def state_families(self) -> Sequence[StateFamily]:
        return list(StateFamily)

    def row_key(self, row: int) -> tuple[int, int]:
        """``(row kind, resource index)``: what a row shows, stable across relayouts."""
        return int(self.row_kind[row]), int(self.row_res[row])

    def spans(self, row: int):
        key = self.row_key(row)
        got = self._spans.get(key)
        if got is not None:
            return got[:3]
        return self.adopt(row, self.build_row(row))[:3]

    def spans_ready(self, row: int) -> bool:
        """Whether :meth:`spans` of ``row`` is cheap now (cached, or a short build).

        False for a long-lived goroutine whose row walks many segments, a proc or
        thread row not prefetched: views build those with :meth:`build_row` in a job.
        """
        key = self.row_key(row)
        if key in self._spans:
            return True
        k, r = key
        if k == R_GOROUTINE:
            return self._goroutine_cost(r) <= READY_SEGMENTS
        if k in (R_PROC, R_THREAD):
            return (
                "p" if k == R_PROC else "m",
                r,
            ) in self._occ_rows or self._small
        return True

    def _goroutine_cost(self, g: int) -> int:
        """Segments a build of goroutine ``g``'s row would walk (an upper bound)."""
        tl = self.timeline
        bases = tl.segment_bases()
        gs = tl.goroutines
        if not 0 <= g < len(gs.first_ns):
            return 0
        end = int(gs.end_ns[g])
        a = int(np.searchsorted(bases, int(gs.first_ns[g]), "right")) - 1
        b = int(np.searchsorted(bases, end if end >= 0 else tl.covered_ns, "right"))
        carried = self._g_rows.get(g)
        if carried is not None:
            a = max(a, carried[0])
        return max(b - a, 0)

    def build_row(self, row: int):
        """The arrays of ``row`` *without* caching them (pure; any thread: a job may call it)."""
        return self._build_spans(row)

    def adopt(self, row: int, built):
        """Cache a :meth:`build_row` result for ``row`` (the thread that owns this source)."""
        key = self.row_key(row)
        self._spans[key] = built
        if len(self._spans) > 2048:
            self._spans.popitem(last=False)
        if key[0] == R_GOROUTINE:  # for the next snapshot to extend
            n_seg = len(self.timeline.segments)
            self._g_rows[key[1]] = (n_seg, built[0], built[3])
            self._g_rows.move_to_end(key[1])
            if len(self._g_rows) > 1024:
                self._g_rows.popitem(last=False)
        return built

    def _goroutine_arrays(self, g: int):
        """(start_ns, end_ns, kind) of goroutine ``g`` — Timeline.goroutine_row's spans.

        Extends the row carried from the previous snapshot by the segments after the
        ones it covered (segments are append-only), instead of walking every segment
        of a long-lived goroutine again (seconds on the 450 MB trace). The model's
        rule: a span ends where the next begins; the last one at ``covered_ns``
        unless it is the exit.
        """
        tl = self.timeline
        carried = self._g_rows.get(g)
        lo = carried[0] if carried is not None else 0
        parts = []
        s = int(tl.last_seg[g]) if g < len(tl.last_seg) else -1
        while s >= lo:
            seg = tl.segments[s]
            i = int(np.searchsorted(seg.g_idx, g))
            a, b = int(seg.g_off[i]), int(seg.g_off[i + 1])
            parts.append((seg, a, b))
            s = int(seg.g_prev[i])
        parts.reverse()
        starts = [seg.start[a:b].astype(np.int64) + seg.base_ns for seg, a, b in parts]
        kinds = [seg.kind[a:b] for seg, a, b in parts]
        if carried is not None and len(carried[1]):
            starts.insert(0, carried[1])
            kinds.insert(0, carried[2])
        start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
        kind = np.concatenate(kinds) if kinds else np.zeros(0, np.uint8)
        end = np.empty_like(start)
        if len(start):
            end[:-1] = start[1:]
            end[-1] = start[-1] if kind[-1] == KIND_EXITED else max(tl.covered_ns, int(start[-1]))
        for a in (start, end, kind):
            a.flags.writeable = False
        return start, end, kind

    def prefetch_occupancy(self, threads: bool = True) -> None:
        """Build every proc (and thread) row of this snapshot (job thread: walks all segments).

        Thread rows sit in a group that starts collapsed and cost the most on big
        traces (each segment's open tails resolve through a goroutine row):
        ``threads=False`` leaves them to the first expansion.
        """
        tl = self.timeline
        rows = {("p", p): tl.proc_row(p) for p in np.flatnonzero(self.proc_shown).tolist()}
        if threads or self.threads_expanded:
            shown = np.flatnonzero(self.thread_shown).tolist()
            rows.update({("m", m): tl.thread_row(m) for m in shown})
        old = self._occ_rows
        if tl.complete:  # partial rows of older snapshots must not stand in for complete ones
            old = {}
        self._occ_rows = {**old, **rows}

    def _build_spans(self, row: int):
        """(start, end, family, extra) — extra: g_idx per span (procs/threads), region types."""
        tl = self.timeline
        k, r = int(self.row_kind[row]), int(self.row_res[row])
        if k == R_GOROUTINE:
            start, end, kind = self._goroutine_arrays(r)
            return start, end, self._families[kind], kind
        if k in (R_PROC, R_THREAD):
            ir = self._occ_rows.get(("p" if k == R_PROC else "m", r))
            if ir is None:  # not prefetched: only cheap for small snapshots
                ir = tl.proc_row(r) if k == R_PROC else tl.thread_row(r)
            fam = np.where(ir.state == int(GoState.Syscall), int(F.SYSCALL), int(F.RUNNING))
            return ir.start_ns, np.maximum(ir.end_ns, ir.start_ns), fam.astype(np.uint8), ir.g_idx
        if k >= R_REGIONS:
            reg = tl.regions_of(r)
            m = np.minimum(reg.depth, MAX_REGION_DEPTH) == k - R_REGIONS
            s = np.where(reg.start_ns[m] < 0, 0, reg.start_ns[m])
            e = np.where(reg.end_ns[m] < 0, tl.covered_ns, reg.end_ns[m])
            o = np.argsort(s, kind="stable")
            s, e, typ = s[o], e[o], reg.type[m][o]
            # regions of one goroutine at one depth never overlap; clip defensively
            if len(s) > 1:
                e[:-1] = np.minimum(e[:-1], s[1:])
            return s, np.maximum(e, s), np.full(len(s), int(F.REGION), np.uint8), typ
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0, np.uint8), z

    def span_label(self, row: int, span_idx: int) -> tuple[str, ...]:
        """Label candidates, longest first."""
        self.spans(row)
        start, end, fam, extra = self._spans[self.row_key(row)]
        k = int(self.row_kind[row])
        tl = self.timeline
        if k in (R_PROC, R_THREAD):
            g = int(extra[span_idx])
            if g < 0:
                return ()
            full = self.goroutine_label(g)
            return (full, full.split(" ")[0])
        if k >= R_REGIONS:
            t = int(extra[span_idx])
            return (tl.strings[t] if t >= 0 else "region",)
        if k == R_GOROUTINE:
            state, reason = tl.kinds[int(extra[span_idx])]
            name = FAMILY_NAMES[StateFamily(int(fam[span_idx]))]
            if reason and reason not in name:
                return (f"{name} ({reason})", name.split(": ")[-1])
            return (name, name.split(": ")[-1])
        return ()

    def describe(self, row: int, span_idx: int) -> str:
        """Tooltip/status text of one span: state, reason, goroutine (start and duration are added by the panel)."""
        self.spans(row)
        start, end, fam, extra = self._spans[self.row_key(row)]
        k = int(self.row_kind[row])
        tl = self.timeline
        if k == R_GOROUTINE:
            state, reason = tl.kinds[int(extra[span_idx])]
            g = int(self.row_res[row])
            text = f"{self.goroutine_label(g)}\n{state.name.lower()}"
            if reason:
                text += f" — {reason}"
            return text
        if k in (R_PROC, R_THREAD):
            g = int(extra[span_idx])
            where = self.row_label(row).strip()
            what = "syscall" if int(fam[span_idx]) == int(F.SYSCALL) else "running"
            return f"{where}: {what} {self.goroutine_label(g) if g >= 0 else ''}"
        if k >= R_REGIONS:
            t = int(extra[span_idx])
            g = int(self.row_res[row])
            return f"region {tl.strings[t] if t >= 0 else '?'}\n{self.goroutine_label(g)}"
        return self.row_label(row)

    def span_goroutine(self, row: int, span_idx: int) -> int:
        """g_idx of the goroutine a span belongs to (-1 none)."""
        k = int(self.row_kind[row])
        if k >= R_GOROUTINE:
            return int(self.row_res[row])
        if k in (R_PROC, R_THREAD):
            self.spans(row)
            return int(self._spans[self.row_key(row)][3][span_idx])
        return -1

    # -- groups and aggregates -------------------------------------------------------
    def toggle(self, row: int) -> bool:
        """Expand/collapse the group whose header is ``row``; True if it was a header."""
        k, r = int(self.row_kind[row]), int(self.row_res[row])
        if k == R_GROUP:
            self.set_group_expanded(r, not self.group_expanded(r))
            return True
        if k == R_THREADS:
            self.threads_expanded = not self.threads_expanded
            self.relayout()
            return True
        return False

    def ticks(self, row: int) -> NDArray[np.int64] | None:
        """CPU-sample times (ns, ascending) of the goroutine on ``row``; None for other rows."""
        if int(self.row_kind[row]) != R_GOROUTINE or self._cpu_g is None:
            return None
        g = int(self.row_res[row])
        lo, hi = np.searchsorted(self._cpu_g, [g, g + 1])
        return self._cpu_t[lo:hi] if hi > lo else None

    def has_lifetime(self, row: int) -> int:
        """Goroutine rows have a lifetime (procs and threads: 0): ``LIFETIME_BEFORE`` when the
        goroutine existed before its first event (GoUndetermined: its state is unknown
        until then, drawn as such), else 1 (created in the trace: nothing before)."""
        if int(self.row_kind[row]) != R_GOROUTINE:
            return 0
        g = int(self.row_res[row])
        ff = self.timeline.goroutines.first_from
        return LIFETIME_BEFORE if g < len(ff) and ff[g] == GoState.Undetermined else 1

    def is_header(self, row: int) -> bool:
        return int(self.row_kind[row]) in (R_GROUP, R_THREADS)

    def aggregate(self, row: int, t0_ns: float | None = None, t1_ns: float | None = None):
        """``(t0_ns, bin_ns, times (bins, 4), families)`` for a collapsed group header, else None.

        With a view ``[t0_ns, t1_ns]`` inside the finer bins of :meth:`refine_aggregates`
        (a zoomed-in view), those; else the whole trace's ``AGG_BINS`` bins.
        """
        if self.stats is None or int(self.row_kind[row]) != R_GROUP:
            return None
        k = int(self.row_res[row])
        if self.group_expanded(k) or k >= len(self.stats.agg_times):
            return None
        st = self.stats
        fine = self._fine
        if fine is not None and t0_ns is not None and t1_ns is not None and k < len(fine.agg_times):
            end = fine.agg_t0_ns + fine.agg_bin_ns * fine.agg_times.shape[1]
            if fine.agg_t0_ns <= t0_ns and t1_ns <= end and fine.agg_bin_ns < st.agg_bin_ns:
                st = fine
        return st.agg_t0_ns, st.agg_bin_ns, st.agg_times[k], _AGG_FAMILIES

    def refine_job(self, t0_ns: int, t1_ns: int, bin_ns: int):
        """A pure callable (run it in a job) computing every group's aggregate over
        ``[t0_ns, t1_ns)`` in ``bin_ns`` bins; hand its result to :meth:`set_refined`."""
        tl, grp, n = self.timeline, self.group_of_g, len(self.group_names)
        t0 = max(int(t0_ns), 0)
        n_bins = max(1, -(-(int(t1_ns) - t0) // int(bin_ns)))

        def job(*, cancel=None):
            return goroutine_stats(
                tl, grp, n, cancel=cancel, n_bins=n_bins, t0_ns=t0, bin_ns=int(bin_ns)
            )

        return job

    def set_refined(self, stats: GoroutineStats | None) -> None:
        self._fine = stats


__all__ = [
    "COLLAPSE_ABOVE",
    "DEFAULT_EXPAND_ROWS",
    "SHORT_LIVED",
    "GoroutineStats",
    "RowSpec",
    "TraceTimelineSource",
    "family_of_kind",
    "goroutine_stats",
    "shown_resources",
]
