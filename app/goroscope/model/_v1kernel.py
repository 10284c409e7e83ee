"""numba twin of ``_v1convert.convert``: Go's ``traceV1Converter`` over arrays (L1).

Same rows as the pure-Python port, in the v2 ordering kernel's row layout
(``typ``, ``time``, ``ctx`` (g, p, m), ``args``, ``row``), plus per row the string ID
of the name Go formats itself (``name_kind`` 1: STW kind string, 2: task type;
``name_sid``). ``tests/v1/test_v1_twins.py`` checks both agree on every trace.

Speed (HACKING.md § Old format (v1)): the event loop of :func:`convert` never re-binds an
array (numba then reference-counts the loop-carried arrays on every event: it was 5×
slower); its hash tables grow in :func:`grow_tables` between calls. Arg temporaries stay
``uint64`` (``_Z``, ``np.uint64(...)``): an int literal beside a ``uint64`` unifies to
``float64``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.format.v1._kernels import h_find, h_new, h_slot

OK = 0  # done: the final Sync is written
ERR_UNEXPECTED = 1  # "unexpected event type": the caller reports it like Go
OK_MORE = 2  # the output is full: flush it and call again with the state
OK_INPUT = 4  # the input chunk is done (``last`` False): call again with the next one
ERR_ROOM = 3  # the output cannot hold one event's rows: call with a bigger one
GROW = 5  # a proc or task table is full: ``grow_tables(state)``, call again (``convert_call``)

_U64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_Z = np.uint64(0)

# v2 wire types (goroscope.format.spec.EventType)
_PROCS_CHANGE, _PROC_START, _PROC_STOP, _PROC_STATUS = 9, 10, 11, 13
_GO_CREATE, _GO_START, _GO_DESTROY, _GO_STOP, _GO_BLOCK, _GO_UNBLOCK = 14, 16, 17, 19, 20, 21
_SYS_BEGIN, _SYS_END, _SYS_END_BLOCKED, _GO_STATUS = 22, 23, 24, 25
_STW_BEGIN, _STW_END, _GC_BEGIN, _GC_END, _SWEEP_BEGIN, _SWEEP_END = 26, 27, 29, 30, 32, 33
_ASSIST_BEGIN, _ASSIST_END, _HEAP_ALLOC, _HEAP_GOAL, _GO_LABEL = 35, 36, 37, 38, 39
_TASK_BEGIN, _TASK_END, _REGION_BEGIN, _REGION_END, _USER_LOG, _CPU_SAMPLE = 40, 41, 42, 43, 44, 7
_SYNC = 255


@njit(nogil=True, cache=True)
def syscall_blocked(typ, g, n_gs):
    """For each GoSysCall row: is the next event of the same G a GoSysBlock? (uint8)

    Go scans forward from each GoSysCall; one backward pass with the next row per G
    gives the same answer. Only the goroutines that make syscalls are tracked (a small
    table: one probe per event stays in cache)."""
    return syscall_blocked_open(typ, g)[0]


@njit(nogil=True, cache=True)
def syscall_blocked_open(typ, g):
    """:func:`syscall_blocked` of a prefix of the trace (streaming): also returns the first
    GoSysCall row whose G has no later row here (its answer needs the next rows; n if none)."""
    n = typ.shape[0]
    out = np.zeros(n, np.uint8)
    cnt = 0
    for k in range(n):
        if typ[k] == 28:
            cnt += 1
    keys, used = h_new(cnt + 16)
    for k in range(n):
        if typ[k] == 28:
            h_slot(keys, used, g[k])
    nxt = np.full(keys.shape[0], -1, np.int64)
    first_open = n
    for k in range(n - 1, -1, -1):
        s = h_find(keys, used, g[k])
        if s < 0:
            continue
        if typ[k] == 28:
            if nxt[s] < 0:
                first_open = k
            elif typ[nxt[s]] == 30:
                out[k] = 1
        nxt[s] = k
    return out, first_open


@njit(nogil=True, cache=True)
def convert_state(n_gs, tables=64):
    """The converter's state between :func:`convert` calls (tables and scalars ``sc``:
    next input row, last time, preInit, createdPreInit entries, task and proc slots
    used, last STW kind, first Sync written, final Sync written). ``tables``: initial
    room of the task and proc hash tables (they grow: :func:`grow_tables`)."""
    ck, cu = h_new(n_gs)
    c_idx = np.full(ck.shape[0], -1, np.int64)
    c_g = np.zeros(n_gs + 1, np.uint64)
    c_alive = np.zeros(n_gs + 1, np.uint8)
    tk, tu = h_new(tables)
    t_on = np.zeros(tk.shape[0], np.uint8)
    t_name = np.zeros(tk.shape[0], np.uint64)
    t_parent = np.zeros(tk.shape[0], np.uint64)
    pk, pu = h_new(tables)
    p_seen = np.zeros(pk.shape[0], np.uint8)
    p_has_m = np.zeros(pk.shape[0], np.uint8)
    p_m = np.zeros(pk.shape[0], np.uint64)
    sc = np.zeros(9, np.int64)
    sc[1] = -1  # last_ts
    sc[2] = 1  # pre_init
    return (ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
            p_has_m, p_m, sc)  # fmt: skip


@njit(nogil=True, cache=True)
def convert(  # noqa: C901 - Go's convertEvent, one branch per type
    version, ts, g, args, stk, p, typ, blocked, builtin, inline_ids, stack_arg, v1_stack,
    o_typ, o_time, o_ctx, o_args, o_row, o_nk, o_ns, state, row0=0, last=True, on0=0,
):  # fmt: skip
    """Go's ``ReadEvent`` over a parsed v1 trace (Syncs included), resumable: fills the
    output arrays from row 0 until they are nearly full or the input ends. Returns
    (status, rows written, v1 row of the error, state); status OK_DONE once the final
    Sync is written, OK_MORE when called again with the returned state; GROW: call
    :func:`grow_tables` and again with ``on0`` = the rows written (:func:`convert_call`)."""
    (ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
     p_has_m, p_m, sc) = state  # fmt: skip
    n = ts.shape[0]
    cap = o_typ.shape[0]
    on = on0
    k0 = sc[0]
    last_ts = sc[1]
    pre_init = sc[2] == 1
    nc = sc[3]
    t_cnt = sc[4]
    p_cnt = sc[5]
    last_stw = np.uint64(sc[6])
    last_pid = np.int64(-(1 << 62))
    ps = -1
    if n and sc[7] == 0:
        o_typ[on] = _SYNC
        o_time[on] = ts[0] - 1
        o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = -1, -1, -1
        o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = 1, 0, 0, 0
        o_row[on], o_nk[on], o_ns[on] = -1, 0, 0
        on += 1
        sc[7] = 1
    k = k0
    while k < n:
        # room for this event's rows (2, or preInit's GoStatus rows at the first Gomaxprocs)
        need = 3 if not (pre_init and typ[k] == 4) else nc + 3
        if on + need > cap:
            if on == 0:
                return ERR_ROOM, on, k, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip
            return OK_MORE, on, -1, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip
        t = typ[k]
        tm = ts[k]
        gv = g[k]
        pv = np.int64(p[k])
        a0, a1, a2, a3 = args[k, 0], args[k, 1], args[k, 2], args[k, 3]
        sk = np.uint64(stk[k])
        if 2 * (p_cnt + 1) > pk.shape[0] or (t == 45 and 2 * (t_cnt + 1) > tk.shape[0]):
            # a table needs room: grow it outside this loop (tables rebound inside the loop
            # made every event ~5x slower) and come back here
            return GROW, on, k, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip
        if pv != last_pid or ps < 0:  # consecutive events mostly share their P
            ps, pnew = h_slot(pk, pu, np.uint64(pv))
            last_pid = pv
            if pnew:
                p_cnt += 1
                p_seen[ps], p_has_m[ps], p_m[ps] = 0, 0, 0
        m0 = np.int64(p_m[ps]) if p_has_m[ps] else np.int64(0)  # Go: it.procMs[P] (zero if absent)
        mt = -1
        m_a0, m_a1, m_a2, m_a3 = a0, a1, a2, a3
        nk = 0
        ns = np.uint64(0)
        if t == 4:  # Gomaxprocs
            mt = _PROCS_CHANGE
            if pre_init:
                pre_init = False
                for j in range(nc):
                    if c_alive[j]:
                        tt = tm
                        if tt <= last_ts:
                            tt = last_ts + 1
                        last_ts = tt
                        o_typ[on], o_time[on] = _GO_STATUS, tt
                        o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = -1, -1, -1
                        o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = (
                            c_g[j],
                            _U64,
                            1,
                            0,
                        )
                        o_row[on], o_nk[on], o_ns[on] = -1, 0, 0
                        on += 1
                nc = 0
                k += 1
                continue
        elif t == 5:  # ProcStart
            p_has_m[ps] = 1
            p_m[ps] = a0
            if p_seen[ps]:
                mt = _PROC_START
                m_a0, m_a1, m_a2, m_a3 = np.uint64(pv), _Z, _Z, _Z
            else:
                p_seen[ps] = 1
                mt = _PROC_STATUS
                m_a0, m_a1, m_a2, m_a3 = np.uint64(pv), np.uint64(1), _Z, _Z
        elif t == 6:  # ProcStop
            if p_seen[ps]:
                mt = _PROC_STOP
                m_a0, m_a1, m_a2, m_a3 = np.uint64(pv), _Z, _Z, _Z
            else:
                p_seen[ps] = 1
                mt = _PROC_STATUS
                m_a0, m_a1, m_a2, m_a3 = np.uint64(pv), np.uint64(2), _Z, _Z
        elif t == 7:
            mt = _GC_BEGIN
        elif t == 8:
            mt = _GC_END
        elif t == 9:  # STWStart
            kid = a0
            reason = 0
            if version < 21:
                reason = np.int64(kid) + 1 if kid <= 1 else 0
            elif version == 21:
                reason = np.int64(kid) if kid < 17 else 0
            sid = builtin[12 + reason]
            last_stw = sid
            mt = _STW_BEGIN
            m_a0, m_a1, m_a2, m_a3 = sid, _Z, _Z, _Z
            nk, ns = 1, sid
        elif t == 10:
            mt = _STW_END
            m_a0, m_a1, m_a2, m_a3 = last_stw, _Z, _Z, _Z
            nk, ns = 1, last_stw
        elif t == 11:
            mt = _SWEEP_BEGIN
        elif t == 12:
            mt = _SWEEP_END
        elif t == 13:  # GoCreate
            if pre_init:
                if 2 * (nc + 1) > ck.shape[0]:
                    return ERR_UNEXPECTED, on, k, state  # (sized from the GoCreate count: never)
                s, new = h_slot(ck, cu, a0)
                if new or c_alive[c_idx[s]] == 0:
                    c_idx[s] = nc
                    c_g[nc] = a0
                    c_alive[nc] = 1
                    nc += 1
                k += 1
                continue
            mt = _GO_CREATE
        elif t == 14:  # GoStart
            if pre_init:
                mt = _GO_STATUS
                m_a0, m_a1, m_a2, m_a3 = a0, _U64, np.uint64(2), _Z
                s = h_find(ck, cu, a0)
                if s >= 0 and c_idx[s] >= 0:
                    c_alive[c_idx[s]] = 0
            else:
                mt = _GO_START
        elif t == 41:  # GoStartLabel: GoStart, then GoLabel
            for j in range(2):
                tt = tm
                if tt <= last_ts:
                    tt = last_ts + 1
                last_ts = tt
                o_typ[on] = _GO_START if j == 0 else _GO_LABEL
                o_time[on] = tt
                o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = np.int64(gv), pv, m0
                if j == 0:
                    o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = a0, a1, a2, a3
                    o_row[on] = row0 + k
                else:
                    o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = a2, 0, 0, 0
                    o_row[on] = -1
                o_nk[on], o_ns[on] = 0, 0
                on += 1
            k += 1
            continue
        elif t == 15:
            mt = _GO_DESTROY
        elif (t >= 16 and t <= 20) or (t >= 22 and t <= 27) or t == 42:
            # blocking events: (type, reason) as in tracev1.go
            r = 10  # sEmpty (GoBlock)
            mt = _GO_BLOCK
            if t == 16:
                r = 0
            elif t == 17:
                mt, r = _GO_STOP, 2
            elif t == 18:
                mt, r = _GO_STOP, 1
            elif t == 19:
                r = 3
            elif t == 22:
                r = 4
            elif t == 23:
                r = 5
            elif t == 24:
                r = 9
            elif t == 25:
                r = 7
            elif t == 26:
                r = 8
            elif t == 27:
                r = 6
            elif t == 42:
                r = 11
            m_a0, m_a1, m_a2, m_a3 = builtin[r], sk, _Z, _Z
        elif t == 21:
            mt = _GO_UNBLOCK
        elif t == 28:  # GoSysCall
            if blocked[k]:
                mt = _SYS_BEGIN
                m_a0, m_a1, m_a2, m_a3 = _Z, sk, _Z, _Z
            else:
                for j in range(2):
                    tt = tm + j
                    if tt <= last_ts:
                        tt = last_ts + 1
                    last_ts = tt
                    o_typ[on] = _SYS_BEGIN if j == 0 else _SYS_END
                    o_time[on] = tt
                    o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = np.int64(gv), pv, m0
                    o_args[on, 0], o_args[on, 2], o_args[on, 3] = 0, 0, 0
                    o_args[on, 1] = sk if j == 0 else _Z
                    o_row[on] = row0 + k if j == 0 else -1
                    o_nk[on], o_ns[on] = 0, 0
                    on += 1
                k += 1
                continue
        elif t == 29:
            mt = _SYS_END_BLOCKED
        elif t == 30:  # GoSysBlock
            k += 1
            continue
        elif t == 31 or t == 32:  # GoWaiting, GoInSyscall
            mt = _GO_STATUS
            m_a0, m_a1, m_a2, m_a3 = a0, _U64, np.uint64(4 if t == 31 else 3), _Z
            s = h_find(ck, cu, a0)
            if s >= 0 and c_idx[s] >= 0:
                c_alive[c_idx[s]] = 0
        elif t == 33:
            mt = _HEAP_ALLOC
        elif t == 34:
            mt = _HEAP_GOAL
        elif t == 43:
            mt = _ASSIST_BEGIN
        elif t == 44:
            mt = _ASSIST_END
        elif t == 45:  # UserTaskCreate
            mt = _TASK_BEGIN
            m_a0, m_a1, m_a2, m_a3 = a0, np.uint64(a1 if a1 != 0 else _U64), a2, sk
            s, new = h_slot(tk, tu, a0)
            if new:
                t_cnt += 1
            t_on[s], t_name[s], t_parent[s] = 1, a2, a1
        elif t == 46:  # UserTaskEnd
            mt = _TASK_END
            s = h_find(tk, tu, a0)
            if s >= 0 and t_on[s]:
                t_on[s] = 0
                m_a0, m_a1, m_a2, m_a3 = a0, a1, t_parent[s], _Z
                nk, ns = 2, t_name[s]
            else:
                m_a0, m_a1, m_a2, m_a3 = a0, a1, _U64, _Z
                nk, ns = 2, np.uint64(0)
        elif t == 47:  # UserRegion
            mt = _REGION_BEGIN if a1 == 0 else (_REGION_END if a1 == 1 else 0)
            m_a0, m_a1, m_a2, m_a3 = a0, a2, sk, _Z
        elif t == 48:
            mt = _USER_LOG
            m_a0, m_a1, m_a2, m_a3 = a0, a1, inline_ids[np.int64(a3)], sk
        elif t == 49:
            mt = _CPU_SAMPLE
            m_a0, m_a1, m_a2, m_a3 = sk, _U64, np.uint64(pv), gv
        else:
            return ERR_UNEXPECTED, on, k, state
        if v1_stack[t] == 1:
            sa = stack_arg[mt]
            if sa == 1:
                m_a0 = sk
            elif sa == 2:
                m_a1 = sk
            elif sa == 3:
                m_a2 = sk
            elif sa == 4:
                m_a3 = sk
        m = np.int64(-1)
        if pv != -1 and t != 49 and p_has_m[ps]:
            m = np.int64(p_m[ps])
        if t == 6:
            p_has_m[ps] = 0
        gg = np.int64(gv) if gv != 0 else np.int64(-1)
        if tm <= last_ts:
            tm = last_ts + 1
        last_ts = tm
        o_typ[on], o_time[on] = mt, tm
        o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = gg, pv, m
        o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = m_a0, m_a1, m_a2, m_a3
        o_row[on], o_nk[on], o_ns[on] = row0 + k, nk, ns
        on += 1
        k += 1
    if not last:  # streamed input (format.v1.stream): the next chunk starts at row 0
        return OK_INPUT, on, -1, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, 0, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip
    if on + 1 > cap:
        return OK_MORE, on, -1, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip
    o_typ[on] = _SYNC
    o_time[on] = last_ts + 1
    o_ctx[on, 0], o_ctx[on, 1], o_ctx[on, 2] = -1, -1, -1
    o_args[on, 0], o_args[on, 1], o_args[on, 2], o_args[on, 3] = (2 if sc[7] else 1), 0, 0, 0
    o_row[on], o_nk[on], o_ns[on] = -1, 0, 0
    on += 1
    sc[8] = 1
    return OK, on, -1, state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen, p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw)  # fmt: skip


def convert_call(*a, row0=0, last=True):
    """:func:`convert` (same arguments and result), growing the proc/task tables as needed."""
    on = 0
    while True:
        status, on, bad, state = convert(*a, row0, last, on)
        if status != GROW:
            return status, on, bad, state
        a = (*a[:-1], grow_tables(state))


@njit(nogil=True, cache=True)
def grow_tables(state):
    """The state with room for one more proc and one more task (tasks that ended dropped)."""
    (ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
     p_has_m, p_m, sc) = state  # fmt: skip
    if 2 * (sc[5] + 1) > pk.shape[0]:
        nk_, nu_ = h_new(pk.shape[0])
        b1 = np.zeros(nk_.shape[0], np.uint8)
        b2 = np.zeros(nk_.shape[0], np.uint8)
        b3 = np.zeros(nk_.shape[0], np.uint64)
        for q in range(pk.shape[0]):
            if pu[q]:
                d, _ = h_slot(nk_, nu_, pk[q])
                b1[d], b2[d], b3[d] = p_seen[q], p_has_m[q], p_m[q]
        pk, pu, p_seen, p_has_m, p_m = nk_, nu_, b1, b2, b3
    if 2 * (sc[4] + 1) > tk.shape[0]:
        nk_, nu_ = h_new(tk.shape[0])
        b1 = np.zeros(nk_.shape[0], np.uint8)
        b4 = np.zeros(nk_.shape[0], np.uint64)
        b5 = np.zeros(nk_.shape[0], np.uint64)
        cnt = 0
        for q in range(tk.shape[0]):
            if tu[q] and t_on[q]:
                d, _ = h_slot(nk_, nu_, tk[q])
                b1[d], b4[d], b5[d] = 1, t_name[q], t_parent[q]
                cnt += 1
        tk, tu, t_on, t_name, t_parent = nk_, nu_, b1, b4, b5
        sc[4] = cnt
    return (ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
            p_has_m, p_m, sc)  # fmt: skip


@njit(nogil=True, cache=True)
def state_pack(ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
               p_has_m, p_m, sc, k, last_ts, pre_init, nc, t_cnt, p_cnt, last_stw):  # fmt: skip
    sc[0] = k
    sc[1] = last_ts
    sc[2] = 1 if pre_init else 0
    sc[3] = nc
    sc[4] = t_cnt
    sc[5] = p_cnt
    sc[6] = np.int64(last_stw)
    return (ck, cu, c_idx, c_g, c_alive, tk, tu, t_on, t_name, t_parent, pk, pu, p_seen,
            p_has_m, p_m, sc)  # fmt: skip
