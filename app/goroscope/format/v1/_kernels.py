"""numba kernels of the old-format parser (L0): the fast twin of ``_reference.py``.

Each kernel computes what the reference computes for a trace Go's parser accepts,
over arrays; on anything unusual it returns a non-zero status and the caller
re-parses with the reference (Go's exact error message and offset). So the
kernels never need Go's error wording, only its accept/reject decision — and even
a false reject only costs speed.

* :func:`decode` — the per-P batches in *file order* with Go's ``parseEvent``
  (per-P last goroutine, per-batch timestamps, argument counts), strings, stacks,
  timer goroutines, the frequency and the CPU samples; run twice (count, fill).
  Go loads a P's batches in file order too, so the per-P state is the same.
* :func:`merge` — Go's ``parseEventBatches``: the frontier heap over the Ps'
  batches with the per-goroutine sequence/state rule (order.go); returns the
  merged row order (Local types renamed in place).
* :func:`fix_sysexit` — the real ``GoSysExit`` timestamps.
* :func:`post_process` — Go's ``postProcessTrace`` checks and its field updates.

Hash tables are open addressing over uint64 keys (``_h_*``), grown inside the
kernels. Kernels allocate (NRT) only for those tables.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.format.v1.spec import DESCRIPTIONS, EV, GC_P, NETPOLL_P, TIMER_P

OK = 0
ERR = 1  # anything: the caller falls back to the reference parser

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)

#: per v1 type: number of named args, stack flag, min version (arrays for the kernels)
NARGS = np.array([len(d.args) for d in DESCRIPTIONS], np.int64)
HAS_STACK = np.array([1 if d.stack else 0 for d in DESCRIPTIONS], np.int64)
MIN_VER = np.array([d.min_version for d in DESCRIPTIONS], np.int64)

# v1 types as plain ints for numba
T_BATCH, T_FREQ, T_STACK, T_TIMERG, T_STRING = EV.Batch, EV.Frequency, EV.Stack, EV.TimerGoroutine, EV.String  # fmt: skip
T_CPU, T_USERLOG = EV.CPUSample, EV.UserLog
T_GOSTART, T_GOSTARTLOCAL, T_GOSTARTLABEL = EV.GoStart, EV.GoStartLocal, EV.GoStartLabel
T_GOSYSEXIT, T_GOWAITING, T_GOINSYSCALL = EV.GoSysExit, EV.GoWaiting, EV.GoInSyscall


# --- hash table: keys uint64 -> slot; used flag separate ------------------------------------


@njit(nogil=True, cache=True)
def h_new(cap):
    n = 16
    while n < 2 * cap:
        n *= 2
    return np.zeros(n, np.uint64), np.zeros(n, np.uint8)


@njit(nogil=True, cache=True, inline="always")
def _mix(x):
    # xorshift (shifts only: no multiply overflow, so the kernels also run warning-free
    # as plain Python under NUMBA_DISABLE_JIT)
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    return x ^ (x >> np.uint64(31))


@njit(nogil=True, cache=True)
def h_find(keys, used, k):
    """Slot of ``k``, or -1."""
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[i]:
        if keys[i] == k:
            return i
        i = (i + 1) & mask
    return -1


@njit(nogil=True, cache=True)
def h_slot(keys, used, k):
    """Slot of ``k``, inserting it (used=1) if absent; returns (slot, inserted)."""
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[i]:
        if keys[i] == k:
            return i, False
        i = (i + 1) & mask
    keys[i] = k
    used[i] = 1
    return i, True


# --- varints -------------------------------------------------------------------------------


@njit(nogil=True, cache=True, inline="always")
def _uv(buf, pos, end):
    """Go's binary.Uvarint at ``pos``: (value, new pos); new pos -1 when short or overflowing."""
    x = np.uint64(0)
    s = np.uint64(0)
    for i in range(10):
        if pos + i >= end:
            return np.uint64(0), -1
        b = np.uint64(buf[pos + i])
        if b < 0x80:
            if i == 9 and b > 1:
                return np.uint64(0), -1
            return x | (b << s), pos + i + 1
        x |= (b & np.uint64(0x7F)) << s
        s += np.uint64(7)
    return np.uint64(0), -1


@njit(nogil=True, cache=True, inline="always")
def _i64(x):
    return np.int64(x)  # uint64 -> int64 wraps (two's complement view)


# --- decode --------------------------------------------------------------------------------


@njit(nogil=True, cache=True)
def decode(  # noqa: C901 - Go's readRawEvent + parseEvent, one branch per kind
    buf, start, ver, fill, nargs_t, stack_t, minver_t,
    ev_ts, ev_g, ev_args, ev_stk, ev_p, ev_typ, ev_off,
    b_pid, b_row0, b_row1,
    c_ts, c_g, c_p, c_stk, c_off,
    s_id, s_off, s_len,
    k_id, k_row0, k_n, frames,
    timer_g, misc, tmp,
):  # fmt: skip
    """Decode every batch (file order). ``fill`` False: count only. ``misc`` out:
    [ticks_per_sec, status, error offset]. ``tmp`` (>= 4 + 4*1000) uint64 scratch.
    Returns (n_ev, n_batch, n_cpu, n_str, n_stk, n_frames, n_timer)."""
    n = buf.shape[0]
    pos = start
    n_ev = n_b = n_c = n_s = n_k = n_f = n_t = 0
    # per-P last goroutine (Go's lastGs), small linear table
    pk = np.zeros(4096, np.int64)
    pv = np.zeros(4096, np.uint64)
    npk = 0
    last_p = np.int64(0)
    last_g = np.uint64(0)
    last_ts = np.int64(0)
    have_batch = False
    misc[1] = OK
    while pos < n:
        off = pos
        b = np.int64(buf[pos])
        pos += 1
        typ = b & 0x3F
        wn = (b >> 6) + 1
        if typ == 0 or typ >= 50 or minver_t[typ] > ver:
            misc[1], misc[2] = ERR, off
            break
        if typ == T_STRING:
            sid, pos = _uv(buf, pos, n)
            if pos < 0:
                misc[1], misc[2] = ERR, off
                break
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln == 0 or ln > np.uint64(1000000) or np.uint64(pos) + ln > np.uint64(n):
                misc[1], misc[2] = ERR, off
                break
            if have_batch:
                if sid == 0:
                    misc[1], misc[2] = ERR, off
                    break
                if fill:
                    s_id[n_s] = sid
                    s_off[n_s] = pos
                    s_len[n_s] = np.int64(ln)
                n_s += 1
            pos += np.int64(ln)
            continue
        if typ == T_BATCH:
            if wn != 2:
                misc[1], misc[2] = ERR, off
                break
            pid, pos = _uv(buf, pos, n)
            if pos < 0 or (pid != _M64 and pid > np.uint64(0x7FFFFFFF)):
                misc[1], misc[2] = ERR, off
                break
            t, pos = _uv(buf, pos, n)
            if pos < 0:
                misc[1], misc[2] = ERR, off
                break
            # save the previous P's last G, switch to this P's
            found = False
            for j in range(npk):
                if pk[j] == last_p:
                    pv[j] = last_g
                    found = True
                    break
            if not found:
                if npk == pk.shape[0]:
                    misc[1], misc[2] = ERR, off
                    break
                pk[npk] = last_p
                pv[npk] = last_g
                npk += 1
            last_p = np.int64(-1) if pid == _M64 else np.int64(pid)
            last_g = np.uint64(0)
            for j in range(npk):
                if pk[j] == last_p:
                    last_g = pv[j]
                    break
            last_ts = _i64(t)
            if fill:
                if n_b > 0:
                    b_row1[n_b - 1] = n_ev
                b_pid[n_b] = last_p
                b_row0[n_b] = n_ev
                b_row1[n_b] = n_ev
            n_b += 1
            have_batch = True
            continue
        if not have_batch:
            misc[1], misc[2] = ERR, off
            break
        # args: inline (wire narg 1..3) or length-prefixed
        na = 0
        if wn <= 3:
            for _ in range(wn):
                v, pos = _uv(buf, pos, n)
                if pos < 0:
                    break
                tmp[na] = v
                na += 1
            if pos < 0:
                misc[1], misc[2] = ERR, off
                break
        else:
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln > np.uint64(2048) or np.uint64(pos) + ln > np.uint64(n):
                misc[1], misc[2] = ERR, off
                break
            e = pos + np.int64(ln)
            while pos < e:
                if na >= tmp.shape[0]:
                    pos = -1
                    break
                v, pos = _uv(buf, pos, e)
                if pos < 0:
                    break
                tmp[na] = v
                na += 1
            if pos < 0:
                misc[1], misc[2] = ERR, off
                break
        msg_off = np.int64(-1)
        msg_len = np.int64(0)
        if typ == T_USERLOG:
            if wn <= 3:  # Go reads the message only after length-prefixed args
                misc[1], misc[2] = ERR, off
                break
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln > np.uint64(1000000) or np.uint64(pos) + ln > np.uint64(n):
                misc[1], misc[2] = ERR, off
                break
            msg_off = pos
            msg_len = np.int64(ln)
            pos += np.int64(ln)
        # Go's argNum
        if typ == T_STACK:
            want = na
        else:
            want = nargs_t[typ] + stack_t[typ]
            if typ != T_FREQ and typ != T_TIMERG:
                want += 1
        if na != want:
            misc[1], misc[2] = ERR, off
            break
        if typ == T_CPU:
            if fill:
                c_ts[n_c] = _i64(tmp[1])
                c_p[n_c] = tmp[2]  # raw; Go's P is int32(raw)
                c_g[n_c] = tmp[3]
                c_stk[n_c] = np.uint32(tmp[4] & np.uint64(0xFFFFFFFF))
                c_off[n_c] = off
            n_c += 1
            continue
        if typ == T_FREQ:
            tps = _i64(tmp[0])
            if tps <= 0:
                misc[1], misc[2] = ERR, off
                break
            misc[0] = tps
            continue
        if typ == T_TIMERG:
            if fill:
                timer_g[n_t] = tmp[0]
            n_t += 1
            continue
        if typ == T_STACK:
            if na < 2:
                misc[1], misc[2] = ERR, off
                break
            size = tmp[1]
            if size > np.uint64(1000) or np.uint64(na) != np.uint64(2) + np.uint64(4) * size:
                misc[1], misc[2] = ERR, off
                break
            sid = tmp[0] & np.uint64(0xFFFFFFFF)
            if sid != 0 and size > 0:
                if fill:
                    k_id[n_k] = sid
                    k_row0[n_k] = n_f
                    k_n[n_k] = np.int64(size)
                    for i in range(np.int64(size)):
                        for c in range(4):
                            frames[n_f + i, c] = tmp[2 + 4 * i + c]
                n_k += 1
                n_f += np.int64(size)
            continue
        # an ordinary event
        ts = _i64(np.uint64(last_ts) + tmp[0])
        last_ts = ts
        if fill:
            ev_ts[n_ev] = ts
            ev_p[n_ev] = np.int32(last_p)
            ev_typ[n_ev] = typ
            ev_off[n_ev] = off
            for c in range(4):
                ev_args[n_ev, c] = 0
            stk = np.uint32(0)
            for i in range(1, na):
                if i == na - 1 and stack_t[typ] == 1:
                    stk = np.uint32(tmp[i] & np.uint64(0xFFFFFFFF))
                else:
                    ev_args[n_ev, i - 1] = tmp[i]
            ev_stk[n_ev] = stk
            if typ == T_USERLOG:
                # message bytes, resolved to Go's inline IDs by the caller
                ev_args[n_ev, 3] = (np.uint64(msg_off) << np.uint64(20)) | np.uint64(msg_len)
        g = last_g
        if typ == T_GOSTART or typ == T_GOSTARTLOCAL or typ == T_GOSTARTLABEL:  # noqa: SIM109
            last_g = tmp[1]
            g = last_g
        elif (typ >= 15 and typ <= 20) or (typ >= 22 and typ <= 27) or typ == 30 or typ == 42:
            last_g = np.uint64(0)  # GoEnd..GoBlock, GoBlockSend..GoBlockNet, GoSysBlock, GoBlockGC
        elif typ == T_GOSYSEXIT or typ == T_GOWAITING or typ == T_GOINSYSCALL:  # noqa: SIM109
            g = tmp[1]
        if fill:
            ev_g[n_ev] = g
            b_row1[n_b - 1] = n_ev + 1
        n_ev += 1
    return n_ev, n_b, n_c, n_s, n_k, n_f, n_t


# --- merge (Go's parseEventBatches + order.go) ---------------------------------------------

_DEAD, _RUNNABLE, _RUNNING, _WAITING = 0, 1, 2, 3
_UNORDERED = np.uint64(0xFFFFFFFFFFFFFFFF)
_GARBAGE = np.uint64(0xFFFFFFFFFFFFFFFE)
_NOSEQ = np.uint64(0xFFFFFFFFFFFFFFFF)
_SEQINC = np.uint64(0xFFFFFFFFFFFFFFFE)


@njit(nogil=True, cache=True, inline="always")
def _transition(t, g, a0, a1):
    """Go's stateTransition: (g, init seq, init status, next seq, next status)."""
    if t == 13:  # GoCreate
        return a0, np.uint64(0), _DEAD, np.uint64(1), _RUNNABLE
    if t == 31 or t == 32:  # GoWaiting, GoInSyscall
        return g, np.uint64(1), _RUNNABLE, np.uint64(2), _WAITING
    if t == 14 or t == 41:  # GoStart, GoStartLabel
        return g, a1, _RUNNABLE, a1 + np.uint64(1), _RUNNING
    if t == 38:  # GoStartLocal
        return g, _NOSEQ, _RUNNABLE, _SEQINC, _RUNNING
    if (t >= 19 and t <= 20) or (t >= 22 and t <= 27) or t == 30 or t == 42:
        return g, _NOSEQ, _RUNNING, _NOSEQ, _WAITING  # blocks, GoSleep, GoSysBlock, GoBlockGC
    if t == 17 or t == 18:  # GoSched, GoPreempt
        return g, _NOSEQ, _RUNNING, _NOSEQ, _RUNNABLE
    if t == 21 or t == 29:  # GoUnblock, GoSysExit
        return a0, a1, _WAITING, a1 + np.uint64(1), _RUNNABLE
    if t == 39 or t == 40:  # GoUnblockLocal, GoSysExitLocal
        return a0, _NOSEQ, _WAITING, _SEQINC, _RUNNABLE
    if t == 7:  # GCStart
        return _GARBAGE, a0, _DEAD, a0 + np.uint64(1), _DEAD
    return _UNORDERED, np.uint64(0), 0, np.uint64(0), 0


@njit(nogil=True, cache=True, inline="always")
def _ready(g, cseq, cst, iseq, ist):
    return g == _UNORDERED or ((iseq == _NOSEQ or iseq == cseq) and ist == cst)  # noqa: SIM109


@njit(nogil=True, cache=True)
def merge(ts, g_col, args, typ, p_batches, p_bstart, p_bend, b_row0, b_row1, order, n_gs):
    """Go's merge of the Ps' batches. ``p_batches[p_bstart[i]:p_bend[i]]`` are proc i's
    batch indices (file order; the last proc is Go's ProfileP with one pseudo-batch of
    the time-sorted CPU samples). Writes the merged rows to ``order``; renames the Local
    types in ``typ``. Returns (status, rows)."""
    np_ = p_bstart.shape[0]
    avail = np.arange(np_)
    navail = np_
    bk = p_bstart.copy()  # next batch (index into p_batches) per proc
    pos = np.zeros(np_, np.int64)
    end = np.zeros(np_, np.int64)
    done = np.zeros(np_, np.uint8)
    h_ts = np.zeros(np_ + 1, np.int64)
    h_row = np.zeros(np_ + 1, np.int64)
    h_pr = np.zeros(np_ + 1, np.int64)
    hn = 0
    gk, gu = h_new(n_gs)
    gseq = np.zeros(gk.shape[0], np.uint64)
    gst = np.zeros(gk.shape[0], np.int64)
    gcount = 0
    on = 0
    while True:
        i = 0
        while i < navail:
            pr = avail[i]
            removed = False
            while pos[pr] == end[pr]:
                if bk[pr] >= p_bend[pr]:
                    done[pr] = 1
                    navail -= 1
                    avail[i] = avail[navail]
                    avail[navail] = pr
                    removed = True
                    break
                b = p_batches[bk[pr]]
                bk[pr] += 1
                pos[pr] = b_row0[b]
                end[pr] = b_row1[b]
            if removed:
                continue
            r = pos[pr]
            t = typ[r]
            g, iseq, ist, _ns, _nst = _transition(t, g_col[r], args[r, 0], args[r, 1])
            cseq = np.uint64(0)
            cst = _DEAD
            if g != _UNORDERED:
                s = h_find(gk, gu, g)
                if s >= 0:
                    cseq = gseq[s]
                    cst = gst[s]
            if not _ready(g, cseq, cst, iseq, ist):
                i += 1
                continue
            pos[pr] += 1
            navail -= 1
            avail[i] = avail[navail]
            avail[navail] = pr
            # heap push (Go's heapUp)
            j = hn
            h_ts[j], h_row[j], h_pr[j] = ts[r], r, pr
            hn += 1
            while True:
                q = (j - 1) // 2 if j > 0 else 0
                if q == j or not h_ts[j] < h_ts[q]:
                    break
                h_ts[q], h_ts[j] = h_ts[j], h_ts[q]
                h_row[q], h_row[j] = h_row[j], h_row[q]
                h_pr[q], h_pr[j] = h_pr[j], h_pr[q]
                j = q
        if hn == 0:
            for k in range(np_):
                if done[k] == 0:
                    return ERR, on
            break
        # heap pop (Go's Pop: swap 0 and n, heapDown over n, take the last)
        m = hn - 1
        h_ts[0], h_ts[m] = h_ts[m], h_ts[0]
        h_row[0], h_row[m] = h_row[m], h_row[0]
        h_pr[0], h_pr[m] = h_pr[m], h_pr[0]
        q = 0
        while True:
            j1 = 2 * q + 1
            if j1 >= m:
                break
            j = j1
            if j1 + 1 < m and h_ts[j1 + 1] < h_ts[j1]:
                j = j1 + 1
            if not h_ts[j] < h_ts[q]:
                break
            h_ts[q], h_ts[j] = h_ts[j], h_ts[q]
            h_row[q], h_row[j] = h_row[j], h_row[q]
            h_pr[q], h_pr[j] = h_pr[j], h_pr[q]
            q = j
        hn = m
        r = h_row[m]
        pr = h_pr[m]
        t = typ[r]
        g, iseq, ist, nseq, nst = _transition(t, g_col[r], args[r, 0], args[r, 1])
        if t == 38:
            typ[r] = 14
        elif t == 39:
            typ[r] = 21
        elif t == 40:
            typ[r] = 29
        order[on] = r
        on += 1
        if g != _UNORDERED:
            if 2 * (gcount + 1) > gk.shape[0]:
                nk, nu = h_new(gk.shape[0])
                ns2 = np.zeros(nk.shape[0], np.uint64)
                nt2 = np.zeros(nk.shape[0], np.int64)
                for s in range(gk.shape[0]):
                    if gu[s]:
                        d, _ = h_slot(nk, nu, gk[s])
                        ns2[d] = gseq[s]
                        nt2[d] = gst[s]
                gk, gu, gseq, gst = nk, nu, ns2, nt2
            s, new = h_slot(gk, gu, g)
            if new:
                gcount += 1
                gseq[s] = 0
                gst[s] = _DEAD
            if not _ready(g, gseq[s], gst[s], iseq, ist):
                return ERR, on
            if nseq == _NOSEQ:
                nseq = gseq[s]
            elif nseq == _SEQINC:
                nseq = gseq[s] + np.uint64(1)
            gseq[s] = nseq
            gst[s] = nst
        avail[navail] = pr
        navail += 1
    return OK, on


@njit(nogil=True, cache=True)
def fix_sysexit(order, ts, g_col, args, typ, n_gs):
    """Go's real GoSysExit timestamps, in merged order; checks the order first.
    Returns status."""
    n = order.shape[0]
    for k in range(1, n):
        if ts[order[k]] < ts[order[k - 1]]:
            return ERR
    gk, gu = h_new(n_gs)
    last = np.zeros(gk.shape[0], np.int64)
    cnt = 0
    for k in range(n):
        r = order[k]
        t = typ[r]
        if t == 30 or t == 32:  # GoSysBlock, GoInSyscall
            if 2 * (cnt + 1) > gk.shape[0]:
                nk, nu = h_new(gk.shape[0])
                nl = np.zeros(nk.shape[0], np.int64)
                for s in range(gk.shape[0]):
                    if gu[s]:
                        d, _ = h_slot(nk, nu, gk[s])
                        nl[d] = last[s]
                gk, gu, last = nk, nu, nl
            s, new = h_slot(gk, gu, g_col[r])
            if new:
                cnt += 1
            last[s] = ts[r]
        elif t == 29:  # GoSysExit
            real = np.int64(args[r, 2])
            if real == 0:
                continue
            s = h_find(gk, gu, g_col[r])
            block = last[s] if s >= 0 else np.int64(0)
            if block == 0 or real < block:
                return ERR
            ts[r] = real
    return OK


# --- post-processing (Go's postProcessTrace) ------------------------------------------------


@njit(nogil=True, cache=True)
def post_process(order, ts, g_col, args, stk, p_col, typ, stack_ids, stack_set, n_gs, n_regions):  # noqa: C901
    """Go's checks in merged order (any failure: ERR) and its updates: GCStart to the GC
    P, a GoStart's stack from its creation, netpoll unblocks to the netpoll P, stacks
    without frames dropped. ``stack_ids`` sorted IDs of stacks with frames; ``stack_set``
    the same as a uint8 bitmap by ID, or empty when the IDs are too sparse for one."""
    # goroutines: state, type of g.ev (0 = nil), creation stack (+1; 0 = none), assist
    gk, gu = h_new(n_gs)
    g_state = np.zeros(gk.shape[0], np.int64)
    g_evt = np.zeros(gk.shape[0], np.int64)
    g_cstk = np.zeros(gk.shape[0], np.uint64)
    g_assist = np.zeros(gk.shape[0], np.uint8)
    gcount = 0
    rk, ru = h_new(64)  # goroutine -> head of its region stack (Go's activeRegions)
    r_head = np.full(rk.shape[0], -1, np.int64)
    rcount = 0
    pkk, pku = h_new(64)
    p_run = np.zeros(pkk.shape[0], np.uint8)
    p_g = np.zeros(pkk.shape[0], np.uint64)
    p_sweep = np.zeros(pkk.shape[0], np.uint8)
    pcount = 0
    tk, tu = h_new(64)
    tcount = 0
    reg_task = np.zeros(n_regions + 1, np.uint64)
    reg_type = np.zeros(n_regions + 1, np.uint64)
    reg_prev = np.zeros(n_regions + 1, np.int64)
    nreg = 0
    in_gc = False
    in_stw = False
    last_pid = np.int64(-(1 << 62))
    ps = -1
    cg = np.uint64(0)  # last goroutine looked up and its slot (slots move only on growth)
    cs = -1
    # g 0 exists and runs
    s0, _ = h_slot(gk, gu, np.uint64(0))
    g_state[s0] = _RUNNING
    gcount = 1
    ident = order.shape[0] == 0  # empty order: the rows are already in merged order
    n = ts.shape[0] if ident else order.shape[0]
    for k in range(n):
        r = k if ident else order[k]
        t = typ[r]
        g = g_col[r]
        p = np.int64(p_col[r])
        # grow the tables (at most one insert each per event)
        if 2 * (gcount + 2) > gk.shape[0]:
            nk, nu = h_new(gk.shape[0])
            a1 = np.zeros(nk.shape[0], np.int64)
            a2 = np.zeros(nk.shape[0], np.int64)
            a3 = np.zeros(nk.shape[0], np.uint64)
            a4 = np.zeros(nk.shape[0], np.uint8)
            for s in range(gk.shape[0]):
                if gu[s]:
                    d, _ = h_slot(nk, nu, gk[s])
                    a1[d], a2[d], a3[d], a4[d] = g_state[s], g_evt[s], g_cstk[s], g_assist[s]
            gk, gu, g_state, g_evt, g_cstk, g_assist = nk, nu, a1, a2, a3, a4
            cs = -1
        if 2 * (rcount + 1) > rk.shape[0]:
            nk, nu = h_new(rk.shape[0])
            a5 = np.full(nk.shape[0], -1, np.int64)
            for s in range(rk.shape[0]):
                if ru[s]:
                    d, _ = h_slot(nk, nu, rk[s])
                    a5[d] = r_head[s]
            rk, ru, r_head = nk, nu, a5
        if 2 * (pcount + 1) > pkk.shape[0]:
            nk, nu = h_new(pkk.shape[0])
            b1 = np.zeros(nk.shape[0], np.uint8)
            b2 = np.zeros(nk.shape[0], np.uint64)
            b3 = np.zeros(nk.shape[0], np.uint8)
            for s in range(pkk.shape[0]):
                if pku[s]:
                    d, _ = h_slot(nk, nu, pkk[s])
                    b1[d], b2[d], b3[d] = p_run[s], p_g[s], p_sweep[s]
            pkk, pku, p_run, p_g, p_sweep = nk, nu, b1, b2, b3
            ps = -1
        if 2 * (tcount + 1) > tk.shape[0]:
            nk, nu = h_new(tk.shape[0])
            for s in range(tk.shape[0]):
                if tu[s]:
                    h_slot(nk, nu, tk[s])
            tk, tu = nk, nu
        if p != last_pid or ps < 0:  # consecutive events mostly share their P
            ps, pnew = h_slot(pkk, pku, np.uint64(p))
            last_pid = p
            if pnew:
                pcount += 1
                p_run[ps] = 0
                p_g[ps] = 0
                p_sweep[ps] = 0
        if t == 5:  # ProcStart
            if p_run[ps]:
                return ERR
            p_run[ps] = 1
        elif t == 6:  # ProcStop
            if not p_run[ps] or p_g[ps] != 0:
                return ERR
            p_run[ps] = 0
        elif t == 7:  # GCStart
            if in_gc:
                return ERR
            in_gc = True
            p_col[r] = GC_P
        elif t == 8:
            if not in_gc:
                return ERR
            in_gc = False
        elif t == 9:
            if in_stw:
                return ERR
            in_stw = True
        elif t == 10:
            if not in_stw:
                return ERR
            in_stw = False
        elif t == 11:  # GCSweepStart
            if p_sweep[ps]:
                return ERR
            p_sweep[ps] = 1
        elif t == 12:
            if not p_sweep[ps]:
                return ERR
            p_sweep[ps] = 0
        elif t == 43 or t == 44:  # GCMarkAssistStart/Done
            s, new = h_slot(gk, gu, g)
            if new:
                gcount += 1
                g_state[s], g_evt[s], g_cstk[s], g_assist[s] = _DEAD, 0, 0, 0
            if t == 43:
                if g_assist[s]:
                    return ERR
                g_assist[s] = 1
            else:
                g_assist[s] = 0
        elif t == 31 or t == 32:  # GoWaiting, GoInSyscall
            s = h_find(gk, gu, g)
            if s < 0 or g_state[s] != _RUNNABLE:
                return ERR
            g_state[s] = _WAITING
            g_evt[s] = t
        elif t == 13:  # GoCreate
            s = h_find(gk, gu, g)
            if s < 0 or g_state[s] != _RUNNING or p_g[ps] != g:
                return ERR
            if h_find(gk, gu, args[r, 0]) >= 0:
                return ERR
            d, _ = h_slot(gk, gu, args[r, 0])
            gcount += 1
            g_state[d], g_evt[d], g_assist[d] = _RUNNABLE, t, 0
            g_cstk[d] = (args[r, 1] & np.uint64(0xFFFFFFFF)) + np.uint64(1)
        elif t == 14 or t == 41:  # GoStart, GoStartLabel
            s = h_find(gk, gu, g)
            cg, cs = g, s
            if s < 0 or g_state[s] != _RUNNABLE or p_g[ps] != 0:
                return ERR
            g_state[s] = _RUNNING
            p_g[ps] = g
            if g_cstk[s] != 0:
                stk[r] = np.uint32(g_cstk[s] - np.uint64(1))
                g_cstk[s] = 0
            g_evt[s] = 0
        elif t == 15 or t == 16 or t == 17 or t == 18 or t == 28 or t == 30 or (t >= 19 and t <= 27 and t != 21) or t == 42:  # fmt: skip
            # GoEnd/GoStop, GoSched/GoPreempt, GoSysCall, GoSysBlock, blocks: checkRunning
            if g == cg and cs >= 0:
                s = cs
            else:
                s = h_find(gk, gu, g)
                cg, cs = g, s
            if s < 0 or g_state[s] != _RUNNING or p_g[ps] != g or g == 0:
                return ERR
            if t == 15 or t == 16:
                g_state[s] = _DEAD
                p_g[ps] = 0
                if t == 15:
                    q = h_find(rk, ru, g)
                    if q >= 0:
                        r_head[q] = -1
            elif t == 17 or t == 18:
                g_state[s] = _RUNNABLE
                p_g[ps] = 0
                g_evt[s] = t
            elif t == 28:
                g_evt[s] = t
            elif t == 30:
                g_state[s] = _WAITING
                p_g[ps] = 0
            else:
                g_state[s] = _WAITING
                g_evt[s] = t
                p_g[ps] = 0
        elif t == 21:  # GoUnblock
            s = h_find(gk, gu, g)
            if s < 0 or g_state[s] != _RUNNING:
                return ERR
            if p != TIMER_P and p_g[ps] != g:
                return ERR
            s1 = h_find(gk, gu, args[r, 0])
            if s1 < 0 or g_state[s1] != _WAITING:
                return ERR
            if g_evt[s1] == 27:  # GoBlockNet
                p_col[r] = NETPOLL_P
            g_state[s1] = _RUNNABLE
            g_evt[s1] = t
        elif t == 29:  # GoSysExit
            s = h_find(gk, gu, g)
            if s < 0 or g_state[s] != _WAITING:
                return ERR
            g_state[s] = _RUNNABLE
            g_evt[s] = t
        elif t == 45:  # UserTaskCreate
            if h_find(tk, tu, args[r, 0]) >= 0:
                return ERR
            h_slot(tk, tu, args[r, 0])
            tcount += 1
        elif t == 46:  # UserTaskEnd
            s = h_find(tk, tu, args[r, 0])
            if s >= 0:  # delete: rebuild without it (rare: tasks are few)
                nk, nu = h_new(tk.shape[0] // 2)
                for q in range(tk.shape[0]):
                    if tu[q] and q != s:
                        h_slot(nk, nu, tk[q])
                tk, tu = nk, nu
                tcount -= 1
        elif t == 47:  # UserRegion
            mode = args[r, 1]
            q, new = h_slot(rk, ru, g)
            if new:
                rcount += 1
                r_head[q] = -1
            if mode == 0:
                nreg += 1
                reg_task[nreg] = args[r, 0]
                reg_type[nreg] = args[r, 2]
                reg_prev[nreg] = r_head[q]
                r_head[q] = nreg
            elif mode == 1:
                h = r_head[q]
                if h > 0:
                    if reg_task[h] != args[r, 0] or reg_type[h] != args[r, 2]:
                        return ERR
                    r_head[q] = reg_prev[h]
            else:
                return ERR
        sr = stk[r]
        if sr != 0:
            if stack_set.shape[0] > 0:  # dense bitmap of the IDs (v1 numbers stacks from 1)
                if np.int64(sr) >= stack_set.shape[0] or stack_set[np.int64(sr)] == 0:
                    stk[r] = 0
            else:
                j = np.searchsorted(stack_ids, sr)
                if j >= stack_ids.shape[0] or stack_ids[j] != sr:
                    stk[r] = 0
    return OK


@njit(nogil=True, cache=True)
def stable_resort(order, ts, moved):
    """``order`` stably sorted by ``ts[order]`` (Go's sort.Stable), when only the rows with
    ``moved[k]`` (positions in ``order``) changed time and the others are still sorted:
    the moved rows are sorted by (time, position) and merged in. Returns the new order."""
    n = order.shape[0]
    nm = 0
    for k in range(n):
        if moved[k]:
            nm += 1
    mpos = np.empty(nm, np.int64)
    j = 0
    for k in range(n):
        if moved[k]:
            mpos[j] = k
            j += 1
    mts = np.empty(nm, np.int64)
    for j in range(nm):
        mts[j] = ts[order[mpos[j]]]
    srt = np.argsort(mts, kind="mergesort")  # stable: equal times keep their positions
    out = np.empty(n, np.int64)
    o = 0
    j = 0
    for k in range(n):
        if moved[k]:
            continue
        tk = ts[order[k]]
        # moved rows that come first: earlier time, or equal time and earlier position
        while j < nm and (mts[srt[j]] < tk or (mts[srt[j]] == tk and mpos[srt[j]] < k)):
            out[o] = order[mpos[srt[j]]]
            o += 1
            j += 1
        out[o] = order[k]
        o += 1
    while j < nm:
        out[o] = order[mpos[srt[j]]]
        o += 1
        j += 1
    return out
