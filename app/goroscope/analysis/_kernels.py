"""Hot loops of the analyses: numba ``@njit(nogil=True, cache=True)`` kernels ONLY (L2).

The one module of ``goroscope.analysis`` that imports numba (see HACKING.md §
Analyses). Each kernel is the per-event loop of a pure-Python reference twin,
fed precomputed per-row columns (dense goroutine/proc indices, flags derived
from string codes) so it never touches Python objects, and carrying its state
across chunks in caller-owned arrays:

* :func:`mutator_util` — ``MutatorUtilizationV2`` (``_mmu_reference.MutatorUtilization.add``);
* :func:`blocking_intervals` — the trackers of ``cmd/trace/pprof.go``
  (``profiles.ProfileCollector.add``);
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


@njit(nogil=True, cache=True)
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


@njit(nogil=True, cache=True)
def mutator_util(  # noqa: PLR0913 - state travels in arrays
    kind,
    time_ns,
    cur_g,
    cur_p,
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
    cur_p : (n,) int64 the context proc ID
    flags : (n,) uint8 ``F_*`` flags of each row
    state : (5,) int64 — n_sync, stw, len(ps), has_series, n_procs (updated)
    ps : (cap_p,) int64 GC count per P; g_state/g_in_gc/g_bg_mark : per dense goroutine
    procs_t, procs_n : GOMAXPROCS changes (time, n); times, utils : the series
    n_util : the series length. Returns the new series length.
    """
    n_sync, stw, nps, has_series, n_procs = state[0], state[1], state[2], state[3], state[4]
    n_gc = 0
    for i in range(nps):
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
            if nps > gmp:
                nps = max(gmp, 0)
            while nps < gmp:
                if has_series == 0:
                    has_series = 1
                    times[n_util] = t
                    utils[n_util] = 1.0
                    n_util += 1
                ps[nps] = 0
                nps += 1
            n_gc = 0
            for j in range(nps):
                if ps[j] > 0:
                    n_gc += 1
            if n_procs == 0 or gmp != procs_n[n_procs - 1]:
                procs_t[n_procs] = t
                procs_n[n_procs] = gmp
                n_procs += 1
        if nps == 0:
            continue
        p = cur_p[i]
        if p < 0:
            p += nps  # Python-style wrap; Go would panic (a GC range without a P)
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
                        utils[mi] -= 1.0 / procs_n[pi]
                        if utils[mi] < 0:
                            utils[mi] = 0.0
                        mi += 1
            d = -1 if k == K_RANGE_END else 1
            if stw_r:
                stw += d
            elif sweep or assist:
                before = ps[p] > 0
                ps[p] += d
                n_gc += (ps[p] > 0) - before
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
                    if not was and now:
                        before = ps[p] > 0
                        ps[p] += 1
                        n_gc += (ps[p] > 0) - before
                    elif was and not now:
                        before = ps[p] > 0
                        ps[p] -= 1
                        n_gc += (ps[p] > 0) - before
                g_state[g] = state_to[i]
        elif k == K_LABEL and f & F_BG_LABEL:
            g = cur_g[i]
            if g >= 0:
                g_bg_mark[g] = True
            before = ps[p] > 0
            ps[p] += 1
            n_gc += (ps[p] > 0) - before
        gc_ps = nps if stw > 0 else n_gc
        n_util = _add_util(times, utils, n_util, t, 1.0 - gc_ps / nps)
    state[0], state[1], state[2], state[3], state[4] = n_sync, stw, nps, has_series, n_procs
    return n_util


@njit(nogil=True, cache=True)
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
