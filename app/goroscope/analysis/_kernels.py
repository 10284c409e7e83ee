"""Hot loops of the analyses: numba ``@njit(nogil=True, cache=True)`` kernels ONLY (L2).

The one module of ``goroscope.analysis`` that imports numba (see HACKING.md §
Analyses). Each kernel is the per-event loop of a pure-Python reference twin,
fed precomputed per-row columns (dense goroutine/proc indices, flags derived
from string codes) so it never touches Python objects, and carrying its state
across chunks in caller-owned arrays:

* :func:`mutator_util` — ``MutatorUtilizationV2`` (``_mmu_reference.MutatorUtilization.add``);
* :func:`blocking_intervals` — the trackers of ``cmd/trace/pprof.go``
  (``_profiles_reference.ProfileCollector.add``);
* :func:`summarize` — Go's ``Summarizer.Event`` (``_summary_reference.Summarizer.add``).

Outputs go into caller-allocated arrays sized from the chunk (a row appends at
most a known number of records); kernels return the new lengths.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# EventKind values (goroscope.model.events.EventKind)
K_SYNC = 1
K_METRIC = 2
K_LABEL = 3
K_RANGE_BEGIN = 5
K_RANGE_ACTIVE = 6
K_RANGE_END = 7
K_TASK_BEGIN = 8
K_TASK_END = 9
K_REGION_BEGIN = 10
K_REGION_END = 11
K_LOG = 12
K_TRANSITION = 13
RK_GOROUTINE = 1
RK_PROC = 2
G_UNDETERMINED = 0
G_NOT_EXIST = 1
G_RUNNABLE = 2
G_RUNNING = 3
G_WAITING = 4
G_SYSCALL = 5
P_IDLE = 3

# mutator_util row flags
F_GOMAXPROCS = 1  # Metric "/sched/gomaxprocs:threads"
F_STW = 2  # a GC stop-the-world range (with UtilSTW)
F_SWEEP = 4  # "GC incremental sweep" (with UtilSweep)
F_ASSIST = 8  # "GC mark assist" (with UtilAssist)
F_BG_LABEL = 16  # a background mark worker label (with UtilBackground)


@njit(nogil=True, cache=True, _nrt=False)
def _add_util(times, utils, n, t, u):
    if n > 0:
        if u == utils[n - 1]:
            return n
        if t == times[n - 1]:
            if u < utils[n - 1]:
                utils[n - 1] = u
            return n
    times[n] = t
    utils[n] = u
    return n + 1


@njit(nogil=True, cache=True, _nrt=False)
def mutator_util(  # noqa: PLR0913 - state travels in arrays
    kind,
    time_ns,
    cur_g,
    cur_p,
    pid,
    res_g,
    state_from,
    state_to,
    value,
    flags,
    state,
    ps,
    g_state,
    g_in_gc,
    g_bg_mark,
    procs_t,
    procs_n,
    times,
    utils,
    n_util,
):
    """``MutatorUtilizationV2`` without ``UtilPerProc`` over one chunk.

    kind, time_ns, value : (n,) the chunk's columns
    cur_g, res_g : (n,) int64 dense goroutine index of the context / transition or range
        scope goroutine (-1 = none)
    cur_p : (n,) int64 dense index of the context proc (:class:`DenseIDs`, NoProc included)
    pid : (n_dense,) int64 the proc ID of each dense index (every one seen so far)
    flags : (n,) uint8 ``F_*`` flags of each row
    state : (5,) int64 — n_sync, stw, len(ps), has_series, n_procs (updated)
    ps : (>= n_dense,) int64 GC count per dense P, 0 unless its ID is in [0, len(ps) in Go); g_state/g_in_gc/g_bg_mark : per dense goroutine
    procs_t, procs_n : GOMAXPROCS changes (time, n); times, utils : the series
    n_util : the series length. Returns the new series length.
    """
    n_sync, stw, nps, has_series, n_procs = state[0], state[1], state[2], state[3], state[4]
    npd = pid.shape[0]
    n_gc = 0
    for i in range(npd):
        if ps[i] > 0:
            n_gc += 1
    for i in range(kind.shape[0]):
        k = kind[i]
        t = time_ns[i]
        f = flags[i]
        if k == K_SYNC:
            n_sync = np.int64(value[i])
        elif k == K_METRIC and f & F_GOMAXPROCS:
            gmp = np.int64(value[i])
            if nps > gmp:  # Go truncates ps: the Ps from gmp on drop their GC counts
                for j in range(npd):
                    if pid[j] >= gmp:
                        ps[j] = 0
                nps = max(gmp, 0)
            if nps < gmp:  # Go appends zeroed Ps (the first one starts the series)
                if has_series == 0:
                    has_series = 1
                    times[n_util] = t
                    utils[n_util] = 1.0
                    n_util += 1
                nps = gmp
            n_gc = 0
            for j in range(npd):
                if ps[j] > 0:
                    n_gc += 1
            if n_procs == 0 or gmp != procs_n[n_procs - 1]:
                procs_t[n_procs] = t
                procs_n[n_procs] = gmp
                n_procs += 1
        if nps == 0:
            continue
        p = cur_p[i]
        # Go indexes ps[ev.Proc()] and panics outside [0, GOMAXPROCS) (NoProc too):
        # such a P's GC work is not counted
        p_ok = 0 <= pid[p] < nps
        if k in (K_RANGE_ACTIVE, K_RANGE_BEGIN, K_RANGE_END):
            stw_r = f & F_STW
            sweep = f & F_SWEEP
            assist = f & F_ASSIST
            if k == K_RANGE_ACTIVE and n_sync > 1:
                stw_r = 0
                sweep = 0
                assist = 0
            elif k == K_RANGE_ACTIVE:
                fix = False
                if assist:
                    g = cur_g[i]
                    st = g_state[g] if g >= 0 else 0
                    fix = st in (G_RUNNING, G_SYSCALL)
                elif sweep:
                    fix = True
                if fix:
                    mi = 0
                    pi = 0
                    while mi < n_util:
                        if pi < n_procs - 1 and procs_t[pi + 1] < times[mi]:
                            pi += 1
                            continue
                        pn = procs_n[pi]
                        utils[mi] = utils[mi] - 1.0 / pn if pn > 0 else -np.inf
                        if utils[mi] < 0:
                            utils[mi] = 0.0
                        mi += 1
            d = -1 if k == K_RANGE_END else 1
            if stw_r:
                stw += d
            elif sweep or assist:
                if p_ok:
                    before = ps[p] > 0
                    ps[p] += d
                    n_gc += int(ps[p] > 0) - int(before)
                if assist:
                    g = res_g[i]
                    if g >= 0:
                        g_in_gc[g] = d > 0
        elif k == K_TRANSITION:
            g = res_g[i]
            if g >= 0:
                if g_in_gc[g] or g_bg_mark[g]:
                    o = state_from[i]
                    nw = state_to[i]
                    was = o in (G_RUNNING, G_SYSCALL)
                    now = nw in (G_RUNNING, G_SYSCALL)
                    if p_ok and not was and now:
                        before = ps[p] > 0
                        ps[p] += 1
                        n_gc += int(ps[p] > 0) - int(before)
                    elif p_ok and was and not now:
                        before = ps[p] > 0
                        ps[p] -= 1
                        n_gc += int(ps[p] > 0) - int(before)
                g_state[g] = state_to[i]
        elif k == K_LABEL and f & F_BG_LABEL:
            g = cur_g[i]
            if g >= 0:
                g_bg_mark[g] = True
            if p_ok:
                before = ps[p] > 0
                ps[p] += 1
                n_gc += int(ps[p] > 0) - int(before)
        gc_ps = nps if stw > 0 else n_gc
        n_util = _add_util(times, utils, n_util, t, 1.0 - gc_ps / nps)
    state[0], state[1], state[2], state[3], state[4] = n_sync, stw, nps, has_series, n_procs
    return n_util


@njit(nogil=True, cache=True, _nrt=False)
def blocking_intervals(
    goid_idx,
    state_to,
    time_ns,
    handle,
    match,
    want_state,
    track_t,
    track_h,
    out_g,
    out_a,
    out_b,
    out_h,
    n_out,
):
    """One blocking profile's trackers (cmd/trace's ``makeComputePprofFunc``) over goroutine
    transitions.

    goid_idx : (n,) dense goroutine index of each transition; state_to : (n,) new state
    handle : (n,) stack handle of the event; match : (n,) bool — the reason predicate
    track_t, track_h : per dense goroutine, the tracked interval's start (-1 none) and stack
    out_* : closed intervals (goroutine, start, end, handle). Returns the new count.
    """
    for i in range(goid_idx.shape[0]):
        g = goid_idx[i]
        new = state_to[i]
        if track_t[g] < 0:
            if new == want_state and match[i]:
                track_t[g] = time_ns[i]
                track_h[g] = handle[i]
            continue
        if new == want_state:
            continue
        out_g[n_out] = g
        out_a[n_out] = track_t[g]
        out_b[n_out] = time_ns[i]
        out_h[n_out] = track_h[g]
        n_out += 1
        track_t[g] = -1
    return n_out


# --- Summarizer.Event --------------------------------------------------------------------------
#
# State of the goroutine summarizer, in arrays (see _fast.FastSummarizer for the layout):
#   gi : int64 (n_g, GI_N) per dense goroutine; gf : bool flags (n_g, GF_N)
#   maps : a node pool — per goroutine a linked list of (key, value) with key = reason code * 2
#          (BlockTimeByReason) or range-name code * 2 + 1 (RangeTime)
#   lr : a node pool — per goroutine (range-name code, since) of lastRangeTime; since 0 = absent
#   regions : int64 (cap_r, R_N) per region; region stacks linked through R_PREV
#   snap : (cap_s, 2) key/value pool holding regions' base and final maps
#   sysp : per dense proc, the goroutine in a syscall on it (-1 none); rangesp : (n_p, n_range)

GI_NAME = 0  # name id (0 = "")
GI_PC = 1
GI_CREATION = 2
GI_START = 3
GI_END = 4
GI_EXEC = 5
GI_SCHED = 6
GI_SYSCALL = 7
GI_SYSBLOCK = 8
GI_TOTAL = 9
GI_LAST_START = 10
GI_LAST_RUNNABLE = 11
GI_LAST_BLOCK = 12
GI_LAST_BLOCK_REASON = 13
GI_LAST_SYSCALL = 14
GI_LAST_SYSBLOCK = 15
GI_MAP_HEAD = 16
GI_LR_HEAD = 17
GI_TOP = 18  # top active region (-1 none)
GI_DEPTH = 19
GI_NMAP = 20
GI_NLR = 21
GI_SYSG_P = 22  # syscallingG: dense proc (-1 absent)
GI_EPOCH = 23  # bumped when Go replaces the summary (a second creation)
GI_EXISTS = 24
GI_N = 25

R_TASK = 0
R_NAME = 1
R_HAS_START = 2
R_START = 3
R_HAS_END = 4
R_END = 5
R_G = 6
R_EPOCH = 7
R_PREV = 8
R_DONE = 9  # completion sequence (-1 while active / never)
R_BASE_OFF = 10
R_BASE_LEN = 11
R_FIN_OFF = 12
R_FIN_LEN = 13
R_S0 = 14  # base scalars exec, sched, syscall, sysblock, total at R_S0..R_S0+4
R_F0 = 19  # final scalars at R_F0..R_F0+4
R_N = 24

ST_OK = 0
ST_GROW = 1  # a pool is short: grow it and call again from the returned row

# counters in cnt: 0 maps used, 1 lr used, 2 regions used, 3 snap used, 4 done seq,
# 5 sync_ts, 6 last_ts
C_MAPS = 0
C_LR = 1
C_REG = 2
C_SNAP = 3
C_DONE = 4
C_SYNC = 5
C_LAST = 6


@njit(nogil=True, cache=True, _nrt=False)
def _map_add(gi, g, mk, mv, mn, cnt, key, v):
    j = gi[g, GI_MAP_HEAD]
    while j >= 0:
        if mk[j] == key:
            mv[j] += v
            return
        j = mn[j]
    j = cnt[C_MAPS]
    cnt[C_MAPS] += 1
    mk[j] = key
    mv[j] = v
    mn[j] = gi[g, GI_MAP_HEAD]
    gi[g, GI_MAP_HEAD] = j
    gi[g, GI_NMAP] += 1


@njit(nogil=True, cache=True, _nrt=False)
def _lr_get(gi, g, lk, lt, ln, name):
    j = gi[g, GI_LR_HEAD]
    while j >= 0:
        if lk[j] == name:
            return j
        j = ln[j]
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def _lr_set(gi, g, lk, lt, ln, cnt, name, ts):
    j = _lr_get(gi, g, lk, lt, ln, name)
    if j < 0:
        j = cnt[C_LR]
        cnt[C_LR] += 1
        lk[j] = name
        ln[j] = gi[g, GI_LR_HEAD]
        gi[g, GI_LR_HEAD] = j
        gi[g, GI_NLR] += 1
    lt[j] = ts


@njit(nogil=True, cache=True, _nrt=False)
def _snap_add(sk, sv, off, n, key, v):
    for j in range(off, off + n):
        if sk[j] == key:
            sv[j] += v
            return n
    sk[off + n] = key
    sv[off + n] = v
    return n + 1


@njit(nogil=True, cache=True, _nrt=False)
def _snapshot(gi, g, t, mk, mv, mn, lk, lt, ln, sk, sv, cnt, scal):
    """Go's snapshotStat(t) of a live goroutine: scalars into scal (5), maps appended to snap.
    Returns (offset, length) of the maps in snap."""
    scal[0] = gi[g, GI_EXEC]
    scal[1] = gi[g, GI_SCHED]
    scal[2] = gi[g, GI_SYSCALL]
    scal[3] = gi[g, GI_SYSBLOCK]
    scal[4] = gi[g, GI_TOTAL]
    off = cnt[C_SNAP]
    n = 0
    j = gi[g, GI_MAP_HEAD]
    while j >= 0:
        sk[off + n] = mk[j]
        sv[off + n] = mv[j]
        n += 1
        j = mn[j]
    if gi[g, GI_TOTAL] == 0:
        scal[4] = t - gi[g, GI_CREATION]
    if gi[g, GI_LAST_START] != 0:
        scal[0] += t - gi[g, GI_LAST_START]
    if gi[g, GI_LAST_RUNNABLE] != 0:
        scal[1] += t - gi[g, GI_LAST_RUNNABLE]
    if gi[g, GI_LAST_BLOCK] != 0:
        n = _snap_add(sk, sv, off, n, gi[g, GI_LAST_BLOCK_REASON] * 2, t - gi[g, GI_LAST_BLOCK])
    if gi[g, GI_LAST_SYSCALL] != 0:
        scal[2] += t - gi[g, GI_LAST_SYSCALL]
    if gi[g, GI_LAST_SYSBLOCK] != 0:
        scal[1] += t - gi[g, GI_LAST_SYSBLOCK]
    j = gi[g, GI_LR_HEAD]
    while j >= 0:
        if lt[j] != 0:
            n = _snap_add(sk, sv, off, n, lk[j] * 2 + 1, t - lt[j])
        j = ln[j]
    cnt[C_SNAP] += n
    return off, n


@njit(nogil=True, cache=True, _nrt=False)
def _sub_into(reg, r, sk, sv, cnt, cur_off, cur_n, scal):
    """Region r's final stats = current snapshot (scal, snap[cur_off:+cur_n]) - its base."""
    for q in range(5):
        reg[r, R_F0 + q] = scal[q] - reg[r, R_S0 + q]
    off = cnt[C_SNAP]
    b0 = reg[r, R_BASE_OFF]
    bn = reg[r, R_BASE_LEN]
    for j in range(cur_n):
        key = sk[cur_off + j]
        v = sv[cur_off + j]
        for q in range(b0, b0 + bn):
            if sk[q] == key:
                v -= sv[q]
                break
        sk[off + j] = key
        sv[off + j] = v
    cnt[C_SNAP] += cur_n
    reg[r, R_FIN_OFF] = off
    reg[r, R_FIN_LEN] = cur_n


@njit(nogil=True, cache=True, _nrt=False)
def _drop_block(sk, sv, cnt, off, n):
    """Remove the dead snapshot ``snap[off:off+n]``, moving what follows it down by ``n``."""
    end = cnt[C_SNAP]
    for j in range(off + n, end):
        sk[j - n] = sk[j]
        sv[j - n] = sv[j]
    cnt[C_SNAP] = end - n


@njit(nogil=True, cache=True, _nrt=False)
def _finalize(gi, g, t, trigger, t_trig, mk, mv, mn, lk, lt, ln, sk, sv, cnt, reg, is_system, scal):
    """Go's GoroutineSummary.finalize(t, trigger); scal : (5,) int64 scratch."""
    if trigger:
        gi[g, GI_END] = t_trig
    off, n = _snapshot(gi, g, t, mk, mv, mn, lk, lt, ln, sk, sv, cnt, scal)
    # g.GoroutineExecStats = finalStat: scalars, then the maps (pending parts added)
    gi[g, GI_EXEC] = scal[0]
    gi[g, GI_SCHED] = scal[1]
    gi[g, GI_SYSCALL] = scal[2]
    gi[g, GI_SYSBLOCK] = scal[3]
    gi[g, GI_TOTAL] = scal[4]
    if gi[g, GI_LAST_BLOCK] != 0:
        _map_add(gi, g, mk, mv, mn, cnt, gi[g, GI_LAST_BLOCK_REASON] * 2, t - gi[g, GI_LAST_BLOCK])
    j = gi[g, GI_LR_HEAD]
    while j >= 0:
        if lt[j] != 0:
            _map_add(gi, g, mk, mv, mn, cnt, lk[j] * 2 + 1, t - lt[j])
        j = ln[j]
    depth = gi[g, GI_DEPTH]
    if depth > 0 and not is_system[gi[g, GI_NAME]]:
        # activeRegions in slice order: bottom of the stack first. The R_PREV links are
        # reversed (top -> bottom becomes bottom -> top), then restored while walking up:
        # no stack array to allocate
        prev = -1
        r = gi[g, GI_TOP]
        for _ in range(depth):
            up = reg[r, R_PREV]
            reg[r, R_PREV] = prev
            prev = r
            r = up
        below = r  # the bottom region's own R_PREV
        r = prev
        prev = below
        for _ in range(depth):
            up = reg[r, R_PREV]
            reg[r, R_PREV] = prev  # restored
            prev = r
            reg[r, R_HAS_END] = 1 if trigger else 0
            reg[r, R_END] = t_trig if trigger else 0
            _sub_into(reg, r, sk, sv, cnt, off, n, scal)
            reg[r, R_FIN_OFF] -= n  # moved down over the dead snapshot below
            reg[r, R_DONE] = cnt[C_DONE]
            cnt[C_DONE] += 1
            r = up
    _drop_block(sk, sv, cnt, off, n)
    gi[g, GI_LAST_START] = 0
    gi[g, GI_LAST_RUNNABLE] = 0
    gi[g, GI_LAST_BLOCK] = 0
    gi[g, GI_LAST_BLOCK_REASON] = 0
    gi[g, GI_LAST_SYSCALL] = 0
    gi[g, GI_LAST_SYSBLOCK] = 0
    j = gi[g, GI_LR_HEAD]
    while j >= 0:
        lt[j] = 0
        j = ln[j]
    gi[g, GI_TOP] = -1
    gi[g, GI_DEPTH] = 0


@njit(nogil=True, cache=True, _nrt=False)
def _new_g(gi, g, creation):
    for q in range(GI_N):
        if q != GI_EPOCH and q != GI_SYSG_P:
            gi[g, q] = 0
    gi[g, GI_MAP_HEAD] = -1
    gi[g, GI_LR_HEAD] = -1
    gi[g, GI_TOP] = -1
    gi[g, GI_CREATION] = creation
    gi[g, GI_EPOCH] += 1
    gi[g, GI_EXISTS] = 1


@njit(nogil=True, cache=True, _nrt=False)
def _new_region(reg, cnt, g, epoch, task, name, has_start, start):
    r = cnt[C_REG]
    cnt[C_REG] += 1
    for q in range(R_N):
        reg[r, q] = 0
    reg[r, R_TASK] = task
    reg[r, R_NAME] = name
    reg[r, R_HAS_START] = has_start
    reg[r, R_START] = start
    reg[r, R_G] = g
    reg[r, R_EPOCH] = epoch
    reg[r, R_PREV] = -1
    reg[r, R_DONE] = -1
    reg[r, R_BASE_OFF] = 0
    reg[r, R_BASE_LEN] = 0
    return r


@njit(nogil=True, cache=True)
def summarize(  # noqa: C901, PLR0912, PLR0913, PLR0915 - Go's Summarizer.Event
    start_row,
    kind,
    time_ns,
    cur_g,
    cur_p,
    res_g,
    res_p,
    state_from,
    state_to,
    reason,
    forever,
    root_name,
    root_pc,
    range_idx,
    name,
    task_id,
    gi,
    mk,
    mv,
    mn,
    lk,
    lt,
    ln,
    reg,
    sk,
    sv,
    sysp,
    rangesp,
    is_system,
    cnt,
    row_region,
    row_fabricated,
):
    """Go's ``Summarizer.Event`` for rows ``start_row..`` of a chunk.

    cur_g / res_g : dense goroutine of the context / of the transition or range scope (-1)
    cur_p / res_p : dense proc of the context / of a proc transition or range scope
    reason : reason code of goroutine transitions; forever : its reason is "forever"
    root_name, root_pc : name id and PC of the transition stack's root frame (-1 none)
    range_idx : dense range-name index of range rows; name : the name/type code
    row_region, row_fabricated : out per row — the region a region row made or ended
    Returns (status, row): ST_OK and the row count, or ST_GROW and the row to resume at.
    """
    n_rows = kind.shape[0]
    scal = np.zeros(5, np.int64)
    for i in range(start_row, n_rows):
        k = kind[i]
        t = time_ns[i]
        # capacity: the worst this row can need (goroutine g finalizing with its region stack)
        g = res_g[i] if k == K_TRANSITION else cur_g[i]
        if g >= 0:
            need_n = 3 + gi[g, GI_NLR]
            need_s = (gi[g, GI_DEPTH] + 3) * (gi[g, GI_NMAP] + gi[g, GI_NLR] + 2)
        else:
            need_n = 3
            need_s = 4
        if (
            cnt[C_MAPS] + need_n > mk.shape[0]
            or cnt[C_LR] + 2 > lk.shape[0]
            or cnt[C_REG] + 2 > reg.shape[0]
            or cnt[C_SNAP] + need_s > sk.shape[0]
        ):
            return ST_GROW, i
        if cnt[C_SYNC] == 0:
            cnt[C_SYNC] = t
        cnt[C_LAST] = t
        sync_ts = cnt[C_SYNC]
        if k == K_SYNC:
            cnt[C_SYNC] = t
        elif k == K_TRANSITION and res_g[i] >= 0:
            old = state_from[i]
            new = state_to[i]
            if old == new:
                continue
            g = res_g[i]
            if old == G_UNDETERMINED:
                _new_g(gi, g, sync_ts)
                dt = t - sync_ts
                if new == G_RUNNING:
                    gi[g, GI_EXEC] += dt
                elif new == G_WAITING:
                    _map_add(gi, g, mk, mv, mn, cnt, reason[i] * 2, dt)
                elif new == G_RUNNABLE:
                    gi[g, GI_SCHED] += dt
                elif new == G_SYSCALL:
                    if cur_p[i] == 0:  # dense proc 0 is NoProc
                        gi[g, GI_SYSBLOCK] += dt
                    else:
                        gi[g, GI_SYSCALL] += dt
            elif old == G_NOT_EXIST:
                _new_g(gi, g, t)
                c = cur_g[i]
                if c >= 0 and gi[c, GI_EXISTS] and gi[c, GI_DEPTH] > 0:
                    top = gi[c, GI_TOP]
                    r = _new_region(reg, cnt, g, gi[g, GI_EPOCH], reg[top, R_TASK], 0, 1, t)
                    gi[g, GI_TOP] = r
                    gi[g, GI_DEPTH] = 1
            elif not gi[g, GI_EXISTS]:
                continue
            elif old == G_RUNNING:
                gi[g, GI_EXEC] += t - gi[g, GI_LAST_START]
                gi[g, GI_LAST_START] = 0
            elif old == G_WAITING:
                if gi[g, GI_LAST_BLOCK] != 0:
                    _map_add(
                        gi,
                        g,
                        mk,
                        mv,
                        mn,
                        cnt,
                        gi[g, GI_LAST_BLOCK_REASON] * 2,
                        t - gi[g, GI_LAST_BLOCK],
                    )
                    gi[g, GI_LAST_BLOCK] = 0
            elif old == G_RUNNABLE:
                if gi[g, GI_LAST_RUNNABLE] != 0:
                    gi[g, GI_SCHED] += t - gi[g, GI_LAST_RUNNABLE]
                    gi[g, GI_LAST_RUNNABLE] = 0
            elif old == G_SYSCALL and gi[g, GI_LAST_SYSCALL] != 0:
                if gi[g, GI_LAST_SYSBLOCK] != 0:
                    gi[g, GI_SYSBLOCK] += t - gi[g, GI_LAST_SYSBLOCK]
                    gi[g, GI_SYSCALL] += gi[g, GI_LAST_SYSBLOCK] - gi[g, GI_LAST_SYSCALL]
                else:
                    gi[g, GI_SYSCALL] += t - gi[g, GI_LAST_SYSCALL]
                gi[g, GI_LAST_SYSCALL] = 0
                gi[g, GI_LAST_SYSBLOCK] = 0
                p = gi[g, GI_SYSG_P]
                gi[g, GI_SYSG_P] = -1
                # delete(syscallingP, syscallingG[id]): the zero ProcID when absent
                sysp[p if p >= 0 else 1] = -1
            if gi[g, GI_NAME] == 0 and root_name[i] >= 0:
                gi[g, GI_NAME] = root_name[i]
                gi[g, GI_PC] = root_pc[i]
            if new == G_RUNNING:
                gi[g, GI_LAST_START] = t
                if gi[g, GI_START] == 0:
                    gi[g, GI_START] = t
            elif new == G_RUNNABLE:
                gi[g, GI_LAST_RUNNABLE] = t
            elif new == G_WAITING and not forever[i]:
                gi[g, GI_LAST_BLOCK] = t
                gi[g, GI_LAST_BLOCK_REASON] = reason[i]
            elif new in (G_WAITING, G_NOT_EXIST):
                _finalize(
                    gi, g, t, True, t, mk, mv, mn, lk, lt, ln, sk, sv, cnt, reg, is_system, scal
                )
            elif new == G_SYSCALL:
                p = cur_p[i]
                sysp[p] = g
                gi[g, GI_SYSG_P] = p
                gi[g, GI_LAST_SYSCALL] = t
        elif k == K_TRANSITION and res_p[i] >= 0:
            p = res_p[i]
            if state_from[i] != state_to[i] and state_to[i] == P_IDLE and sysp[p] >= 0:
                gi[sysp[p], GI_LAST_SYSBLOCK] = t
                sysp[p] = -1
        elif k in (K_RANGE_BEGIN, K_RANGE_ACTIVE):
            g = -1
            if res_g[i] >= 0:
                g = res_g[i]
            elif res_p[i] >= 0:
                c = cur_g[i]
                if c >= 0 and gi[c, GI_EXISTS]:
                    g = c
                    rangesp[res_p[i], range_idx[i]] = c
            if g < 0 or not gi[g, GI_EXISTS]:
                continue
            if k == K_RANGE_ACTIVE:
                j = _lr_get(gi, g, lk, lt, ln, name[i])
                if j >= 0 and lt[j] != 0:
                    _map_add(gi, g, mk, mv, mn, cnt, name[i] * 2 + 1, sync_ts - lt[j])
                _lr_set(gi, g, lk, lt, ln, cnt, name[i], sync_ts)
            else:
                _lr_set(gi, g, lk, lt, ln, cnt, name[i], t)
        elif k == K_RANGE_END:
            g = -1
            if res_g[i] >= 0:
                g = res_g[i]
            elif res_p[i] >= 0:
                c = rangesp[res_p[i], range_idx[i]]
                if c >= 0:
                    if c == cur_g[i]:
                        g = c
                    rangesp[res_p[i], range_idx[i]] = -1
            if g < 0 or not gi[g, GI_EXISTS]:
                continue
            j = _lr_get(gi, g, lk, lt, ln, name[i])
            if j < 0 or lt[j] == 0:
                continue
            _map_add(gi, g, mk, mv, mn, cnt, name[i] * 2 + 1, t - lt[j])
            lt[j] = 0
        elif k == K_REGION_BEGIN:
            g = cur_g[i]
            if g < 0 or not gi[g, GI_EXISTS]:
                continue
            r = _new_region(reg, cnt, g, gi[g, GI_EPOCH], task_id[i], name[i], 1, t)
            off, n = _snapshot(gi, g, t, mk, mv, mn, lk, lt, ln, sk, sv, cnt, scal)
            for q in range(5):
                reg[r, R_S0 + q] = scal[q]
            reg[r, R_BASE_OFF] = off
            reg[r, R_BASE_LEN] = n
            reg[r, R_PREV] = gi[g, GI_TOP]
            gi[g, GI_TOP] = r
            gi[g, GI_DEPTH] += 1
            row_region[i] = r
        elif k == K_REGION_END:
            g = cur_g[i]
            if g < 0 or not gi[g, GI_EXISTS]:
                continue
            if gi[g, GI_DEPTH] > 0:
                r = gi[g, GI_TOP]
                gi[g, GI_TOP] = reg[r, R_PREV]
                gi[g, GI_DEPTH] -= 1
            else:
                r = _new_region(reg, cnt, g, gi[g, GI_EPOCH], task_id[i], name[i], 0, 0)
                row_fabricated[i] = True
            off, n = _snapshot(gi, g, t, mk, mv, mn, lk, lt, ln, sk, sv, cnt, scal)
            _sub_into(reg, r, sk, sv, cnt, off, n, scal)
            reg[r, R_FIN_OFF] -= n
            _drop_block(sk, sv, cnt, off, n)
            reg[r, R_HAS_END] = 1
            reg[r, R_END] = t
            reg[r, R_DONE] = cnt[C_DONE]
            cnt[C_DONE] += 1
            row_region[i] = r
    return ST_OK, n_rows


@njit(nogil=True, cache=True)
def summarize_finalize(gi, n_g, mk, mv, mn, lk, lt, ln, reg, sk, sv, cnt, is_system):
    """Go's ``Summarizer.Finalize``: finalize every goroutine at the last event time."""
    t = cnt[C_LAST]
    scal = np.zeros(5, np.int64)
    for g in range(n_g):
        if gi[g, GI_EXISTS]:
            _finalize(gi, g, t, False, 0, mk, mv, mn, lk, lt, ln, sk, sv, cnt, reg, is_system, scal)


# --- tracecount -summary's transition digests ---------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _put_int(out, n, v):
    if v < 0:
        out[n] = 45  # '-'
        n += 1
        v = -v  # NOTE: INT64_MIN never occurs (IDs and times are far smaller)
    if v == 0:
        out[n] = 48
        return n + 1
    m = 0  # digits, written from the last one back
    w = v
    while w > 0:
        w //= 10
        m += 1
    for j in range(n + m - 1, n - 1, -1):
        out[j] = 48 + v % 10
        v //= 10
    return n + m


@njit(nogil=True, cache=True, _nrt=False)
def format_transitions(ids, times, st_from, st_to, reason_idx, names, name_off, rs, rs_off, out):
    """Write ``"<id> <time> <From>-><To>[ <reason>]\\n"`` per row into ``out``; return bytes used.

    names/name_off : state names (256 entries) as concatenated bytes and offsets (257,)
    reason_idx : (n,) index into rs_off, or -1 for proc lines (no reason)
    out : must hold every line (the caller sizes it from the name and reason lengths)
    """
    n = 0
    for i in range(ids.shape[0]):
        n = _put_int(out, n, ids[i])
        out[n] = 32
        n += 1
        n = _put_int(out, n, times[i])
        out[n] = 32
        n += 1
        f = st_from[i]
        for j in range(name_off[f], name_off[f + 1]):
            out[n] = names[j]
            n += 1
        out[n] = 45
        out[n + 1] = 62  # "->"
        n += 2
        t = st_to[i]
        for j in range(name_off[t], name_off[t + 1]):
            out[n] = names[j]
            n += 1
        r = reason_idx[i]
        if r >= 0:
            out[n] = 32
            n += 1
            for j in range(rs_off[r], rs_off[r + 1]):
                out[n] = rs[j]
                n += 1
        out[n] = 10
        n += 1
    return n


# --- dense IDs ---------------------------------------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _slot(key, mask):
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(32)) & mask


@njit(nogil=True, cache=True)
def dense_map(ids, valid, keep_none, slots_key, slots_val, slots_used, rev, n):
    """Dense index per element of ``ids`` (int64 Go IDs), assigning new ones in order of first
    sight through an open-addressing table; -1 where ``valid`` is False or (unless
    ``keep_none``) the ID is -1. The table must have room for every element. Returns
    ``(out, n)``."""
    mask = slots_key.shape[0] - 1
    out = np.empty(ids.shape[0], np.int64)
    for i in range(ids.shape[0]):
        key = ids[i]
        if not valid[i] or (key == -1 and not keep_none):
            out[i] = -1
            continue
        s = _slot(key, mask)
        while slots_used[s] and slots_key[s] != key:
            s = (s + 1) & mask
        if not slots_used[s]:
            slots_used[s] = True
            slots_key[s] = key
            slots_val[s] = n
            rev[n] = key
            n += 1
        out[i] = slots_val[s]
    return out, n


@njit(nogil=True, cache=True)
def collect_nodes(gi, n_g, mk, mv, mn):
    """Every map node of every existing goroutine as ``(goroutine, key, value)`` columns."""
    total = 0
    for g in range(n_g):
        if gi[g, GI_EXISTS]:
            total += gi[g, GI_NMAP]
    own = np.empty(total, np.int64)
    key = np.empty(total, np.int64)
    val = np.empty(total, np.int64)
    n = 0
    for g in range(n_g):
        if gi[g, GI_EXISTS]:
            j = gi[g, GI_MAP_HEAD]
            while j >= 0:
                own[n] = g
                key[n] = mk[j]
                val[n] = mv[j]
                n += 1
                j = mn[j]
    return own[:n], key[:n], val[:n]
