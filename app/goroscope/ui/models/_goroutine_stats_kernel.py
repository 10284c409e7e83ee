"""numba kernel of the goroutine statistics pass: one segment's spans, one step per span.

What
----
:func:`segment_into` does for one :class:`~goroscope.model.timeline.SpanSegment`
what the vectorised loop body of
:func:`goroscope.ui.models.goroutine_stats.goroutine_stats_numpy` does (its
twin, which stays the definition): per goroutine slice, in time order, it carries
the open span (kind, start, proc), restarts a goroutine created again (only the
last lifetime of a slice counts, as Go's summary replaces the goroutine on
``NotExist->``), credits each closed span to its category, records first run and
end, and appends every closed syscall span (any lifetime) to the ``sys_*``
buffers for the per-proc syscall-block pass.

Why numba
---------
The numpy body makes ~40 temporaries of the segment's length (int64 each) and a
few ``np.add.at``; on the big trace (75.6 M spans, 2.16 M goroutines) that was
10 s at load ~1.5 and 58–65 s under load 8–15, holding the GIL between numpy
calls. A straight loop touches each span once and releases the GIL
(``nogil=True``), so the GUI thread never waits for it.

Contract
--------
No allocation except the caller's buffers; ``sys_*`` must have room for
``len(kind)`` rows (at most one syscall close per span). Indices come from the
Timeline (``g_idx`` < ``len(o_kind)``; kind codes < ``len(kstate)``).
Checked against the twin on every committed trace (``tests/ui/test_goroutine_stats.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.model.events import GoState

_RUNNING = int(GoState.Running)
_SYSCALL = int(GoState.Syscall)
_UND = int(GoState.Undetermined)
_NOTEXIST = int(GoState.NotExist)


@njit(nogil=True, cache=True)
def segment_into(
    g_idx, g_off, g_from, kind, proc, t,
    kstate, col_of, final_of, gen_first_ns,
    acc, o_kind, o_start, o_proc, life, creation, first_run, end, dead, seen,
    sys_g, sys_a, sys_b, sys_p, sys_life, n_sys,
):  # fmt: skip
    """One segment (see the module doc); returns the new count of ``sys_*`` rows."""
    nc = acc.shape[1]
    for e in range(g_idx.shape[0]):
        g = g_idx[e]
        a = g_off[e]
        b = g_off[e + 1]
        if b <= a:
            continue
        # pass 1: the last creation in the slice (rows before it are not the kept lifetime)
        last_cr = -1
        prev = o_kind[g]
        for i in range(a, b):
            frm = kstate[prev] if prev >= 0 else (g_from[e] if i == a else -1)
            if frm == _NOTEXIST or frm == _UND:  # noqa: SIM109 (numba)
                last_cr = i
            prev = kind[i]
        # pass 2
        ok_ = o_kind[g]
        os_ = o_start[g]
        op_ = o_proc[g]
        raw_prev = ok_
        fin_seen = False
        lf = life[g]
        for i in range(a, b):
            k = kind[i]
            ti = t[i]
            if raw_prev >= 0:
                frm = kstate[raw_prev]
            elif i == a:
                frm = g_from[e]
            else:
                frm = -1
            raw_prev = k
            state = kstate[k]
            cont = frm == state
            new_life = frm == _NOTEXIST or frm == _UND  # noqa: SIM109
            keep = i >= last_cr
            closes = (not new_life) and (not cont) and ok_ >= 0
            if new_life:
                lf += 1
            if closes and kstate[ok_] == _SYSCALL:
                sys_g[n_sys] = g
                sys_a[n_sys] = os_
                sys_b[n_sys] = ti
                sys_p[n_sys] = op_
                sys_life[n_sys] = lf
                n_sys += 1
            if new_life and keep:
                for c in range(nc):
                    acc[g, c] = 0
                first_run[g] = -1
                end[g] = -1
                dead[g] = False
                seen[g] = True
                if frm == _UND:
                    j = np.searchsorted(gen_first_ns, ti, side="right") - 1
                    sync = gen_first_ns[j]
                    creation[g] = sync
                    c = col_of[k]
                    if state == _SYSCALL and proc[i] < 0:
                        c = 3
                    if c >= 0:
                        acc[g, c] += ti - sync
                else:
                    creation[g] = ti
            after_fin = fin_seen
            fin = final_of[k] and keep and not cont
            if keep and closes and not dead[g] and not after_fin:
                c = col_of[ok_]
                if c >= 0:
                    acc[g, c] += ti - os_
            if keep and not after_fin and state == _RUNNING and first_run[g] < 0:
                first_run[g] = ti
            if fin and not after_fin:
                end[g] = ti
                fin_seen = True
            if not cont:
                ok_ = k
                os_ = ti
                op_ = proc[i]
        if fin_seen:
            dead[g] = True
        o_kind[g] = ok_
        o_start[g] = os_
        o_proc[g] = op_
        life[g] = lf
    return n_sys
