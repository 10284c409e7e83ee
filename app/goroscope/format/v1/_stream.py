"""numba kernels of the old-format parser (L0): ``stream.V1Stream``, and through it the
whole-file ``fast.parse_fast`` (the stream with every chunk kept) — the one fast
implementation of Go's ``tracev1`` parse; its twin is the literal port ``_reference``.

Go (``parser.go``) decodes every batch, merges the Ps' events (``parseEventBatches``:
frontier heap, per-goroutine seq/state rule), restores the real ``GoSysExit`` times and
re-sorts stably, then ``postProcessTrace``. The same computation, organised so that no
per-event column of the whole trace is ever held (HACKING.md § Old format (v1),
"Streaming"):

* :func:`scan` — one pass over the file in segments (the caller releases the pages
  behind it): the batch table (P, first byte, end byte, base time), strings, stacks,
  CPU samples, timer goroutines, the frequency, the UserLog messages, and the
  ``GoSysExit`` events whose real time differs from their own (the only events
  Go's ``sort.Stable`` moves; they are self-contained, so they are kept whole).
* :func:`merge_chunk` — Go's frontier merge with a cursor per P over the mapped file:
  a P's next event is decoded only when the merge asks for it, so the state is one
  decoded event per P. Checks what Go checks after the merge (order, real time after
  the block) and leaves the moved ``GoSysExit`` events out: the caller inserts them
  where the stable re-sort puts them (``stream.py``).
* :func:`post_chunk` — ``postProcessTrace`` resumable, with its state passed in and out.

Every status other than OK means "let the reference decide" (it words Go's error).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.format.v1._kernels import (
    _DEAD,
    _M64,
    _RUNNABLE,
    _RUNNING,
    _UNORDERED,
    _WAITING,
    ERR,
    OK,
    T_BATCH,
    T_CPU,
    T_FREQ,
    T_GOINSYSCALL,
    T_GOSTART,
    T_GOSTARTLABEL,
    T_GOSTARTLOCAL,
    T_GOSYSEXIT,
    T_GOWAITING,
    T_STACK,
    T_STRING,
    T_TIMERG,
    T_USERLOG,
    _i64,
    _mix,
    _ready,
    _transition,
    _uv,
    h_find,
    h_new,
    h_slot,
)
from goroscope.format.v1.spec import GC_P, NETPOLL_P, SYSCALL_P, TIMER_P

MORE = 2  # merge_chunk: the output is full, call again with the state
GROW = 3  # _merge_rows / _post_rows: a table is full; the caller grows it and calls again

# scan state slots (st)
S_POS, S_HAVE, S_LTS, S_NB, S_NS, S_NK, S_NF, S_NT, S_NC, S_NM, S_NL, S_NGC, S_NEV = range(13)
S_TPS, S_STATUS, S_ERR, S_GMP, S_HAVE_GMP, S_MAXG = 13, 14, 15, 16, 17, 18
N_SCAN_STATE = 19


@njit(nogil=True, cache=True, _nrt=False)
def scan(  # noqa: C901 - Go's readRawEvent + parseEvent, one branch per kind
    buf, stop, ver, nargs_t, stack_t, minver_t,
    b_pid, b_pos, b_end, b_ts,
    c_ts, c_g, c_p, c_stk, c_off,
    s_id, s_off, s_len,
    k_id, k_row0, k_n, frames,
    timer_g, m_ts, m_key, m_g, m_args, m_stk, m_off, l_off, gc_ts,
    st, tmp,
):  # fmt: skip
    """Index the events starting before ``stop`` (resumable: ``st`` holds the position and
    the counts). Go's readRawEvent checks (kinds, versions, argument counts, lengths);
    status in ``st[S_STATUS]``.

    Moved GoSysExit rows: ``m_ts`` real time (ticks), ``m_key`` own time, and the
    event's g, args, stack and offset. ``l_off``: UserLog message (offset << 20 | len).
    ``gc_ts``: every GoCreate's time (to size the converter's pre-init table)."""
    n = buf.shape[0]
    pos = st[S_POS]
    have_batch = st[S_HAVE] == 1
    last_ts = st[S_LTS]
    n_b, n_s, n_k, n_f, n_t, n_c = st[S_NB], st[S_NS], st[S_NK], st[S_NF], st[S_NT], st[S_NC]
    n_m, n_l, n_gc, n_ev = st[S_NM], st[S_NL], st[S_NGC], st[S_NEV]
    st[S_STATUS] = OK
    while pos < n and pos < stop:
        off = pos
        b = np.int64(buf[pos])
        pos += 1
        typ = b & 0x3F
        wn = (b >> 6) + 1
        if typ == 0 or typ >= 50 or minver_t[typ] > ver:
            st[S_STATUS], st[S_ERR] = ERR, off
            break
        if typ == T_STRING:
            sid, pos = _uv(buf, pos, n)
            if pos < 0:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln == 0 or ln > np.uint64(1000000) or np.uint64(pos) + ln > np.uint64(n):
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            if have_batch:
                if sid == 0:
                    st[S_STATUS], st[S_ERR] = ERR, off
                    break
                s_id[n_s] = sid
                s_off[n_s] = pos
                s_len[n_s] = np.int64(ln)
                n_s += 1
            pos += np.int64(ln)
            continue
        if typ == T_BATCH:
            if wn != 2:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            pid, pos = _uv(buf, pos, n)
            if pos < 0 or (pid != _M64 and pid > np.uint64(0x7FFFFFFF)):
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            t, pos = _uv(buf, pos, n)
            if pos < 0:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            last_ts = _i64(t)
            if n_b > 0:
                b_end[n_b - 1] = off
            b_pid[n_b] = np.int64(-1) if pid == _M64 else np.int64(pid)
            b_pos[n_b] = pos
            b_end[n_b] = n
            b_ts[n_b] = last_ts
            n_b += 1
            have_batch = True
            continue
        if not have_batch:
            st[S_STATUS], st[S_ERR] = ERR, off
            break
        na = 0
        if wn <= 3:
            for _ in range(wn):
                v, pos = _uv(buf, pos, n)
                if pos < 0:
                    break
                tmp[na] = v
                na += 1
            if pos < 0:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
        else:
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln > np.uint64(2048) or np.uint64(pos) + ln > np.uint64(n):
                st[S_STATUS], st[S_ERR] = ERR, off
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
                st[S_STATUS], st[S_ERR] = ERR, off
                break
        if typ == T_USERLOG:
            if wn <= 3:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            ln, pos = _uv(buf, pos, n)
            if pos < 0 or ln > np.uint64(1000000) or np.uint64(pos) + ln > np.uint64(n):
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            l_off[n_l] = (pos << 20) | np.int64(ln)
            n_l += 1
            pos += np.int64(ln)
        if typ == T_STACK:
            want = na
        else:
            want = nargs_t[typ] + stack_t[typ]
            if typ != T_FREQ and typ != T_TIMERG:
                want += 1
        if na != want:
            st[S_STATUS], st[S_ERR] = ERR, off
            break
        if typ == T_CPU:
            c_ts[n_c] = _i64(tmp[1])
            c_p[n_c] = tmp[2]
            c_g[n_c] = tmp[3]
            c_stk[n_c] = np.uint32(tmp[4] & np.uint64(0xFFFFFFFF))
            c_off[n_c] = off
            n_c += 1
            continue
        if typ == T_FREQ:
            tps = _i64(tmp[0])
            if tps <= 0:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            st[S_TPS] = tps
            continue
        if typ == T_TIMERG:
            timer_g[n_t] = tmp[0]
            n_t += 1
            continue
        if typ == T_STACK:
            if na < 2:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            size = tmp[1]
            if size > np.uint64(1000) or np.uint64(na) != np.uint64(2) + np.uint64(4) * size:
                st[S_STATUS], st[S_ERR] = ERR, off
                break
            sid = tmp[0] & np.uint64(0xFFFFFFFF)
            if sid != 0 and size > 0:
                k_id[n_k] = sid
                k_row0[n_k] = n_f
                k_n[n_k] = np.int64(size)
                for i in range(np.int64(size)):
                    for c in range(4):
                        frames[n_f + i, c] = tmp[2 + 4 * i + c]
                n_k += 1
                n_f += np.int64(size)
            continue
        ts = _i64(np.uint64(last_ts) + tmp[0])
        last_ts = ts
        n_ev += 1
        if typ == 13:  # GoCreate
            gc_ts[n_gc] = ts
            n_gc += 1
            if tmp[1] < np.uint64(1 << 40) and np.int64(tmp[1]) > st[S_MAXG]:
                st[S_MAXG] = np.int64(tmp[1])
        elif typ == T_GOSTART or typ == T_GOWAITING or typ == T_GOINSYSCALL:  # noqa: SIM109
            if tmp[1] < np.uint64(1 << 40) and np.int64(tmp[1]) > st[S_MAXG]:
                st[S_MAXG] = np.int64(tmp[1])
        elif typ == 4:  # Gomaxprocs
            if st[S_HAVE_GMP] == 0 or ts < st[S_GMP]:
                st[S_GMP] = ts
                st[S_HAVE_GMP] = 1
        elif typ == T_GOSYSEXIT and na >= 4:
            real = np.int64(tmp[3])
            if real != 0 and real != ts:
                m_ts[n_m] = real
                m_key[n_m] = ts
                m_g[n_m] = tmp[1]
                m_args[n_m, 0], m_args[n_m, 1], m_args[n_m, 2], m_args[n_m, 3] = (
                    tmp[1], tmp[2], tmp[3], 0,
                )  # fmt: skip
                m_stk[n_m] = np.uint32(0)
                m_off[n_m] = off
                n_m += 1
    st[S_POS] = pos
    st[S_HAVE] = 1 if have_batch else 0
    st[S_LTS] = last_ts
    st[S_NB], st[S_NS], st[S_NK], st[S_NF], st[S_NT], st[S_NC] = n_b, n_s, n_k, n_f, n_t, n_c
    st[S_NM], st[S_NL], st[S_NGC], st[S_NEV] = n_m, n_l, n_gc, n_ev


# --- goroutine tables: slots [0, dn) direct (slot = goid), a hash table after them ---------


@njit(nogil=True, cache=True, _nrt=False)
def _hf(dn, keys, used, k):
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[dn + i]:
        if keys[i] == k:
            return dn + i
        i = (i + 1) & mask
    return -1


@njit(nogil=True, cache=True, inline="always")
def g_find(dn, keys, used, k):
    """Slot of goroutine ``k`` or -1 (``h_find`` with a direct part of ``dn`` slots)."""
    if k < np.uint64(dn):
        i = np.int64(k)
        return i if used[i] else -1
    return _hf(dn, keys, used, k)


@njit(nogil=True, cache=True, _nrt=False)
def _hs(dn, keys, used, k):
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[dn + i]:
        if keys[i] == k:
            return dn + i, False
        i = (i + 1) & mask
    keys[i] = k
    used[dn + i] = 1
    return dn + i, True


@njit(nogil=True, cache=True, inline="always")
def g_slot(dn, keys, used, k):
    """Slot of goroutine ``k``, inserted if absent: (slot, inserted)."""
    if k < np.uint64(dn):
        i = np.int64(k)
        if used[i]:
            return i, False
        used[i] = 1
        return i, True
    return _hs(dn, keys, used, k)


def g_new(dn: int, cap: int):
    """Keys and used flags of a goroutine table: ``dn`` direct slots (slot = goid: no key
    stored) + a hash part of ``n`` slots (``keys`` has n entries; ``used`` dn + n)."""
    n = 16
    while n < 2 * cap:
        n *= 2
    return np.zeros(n, np.uint64), np.zeros(dn + n, np.uint8)


@njit(nogil=True, cache=True, inline="always")
def m_find(dn, keys, used, k):
    """merge_chunk's slot of goroutine ``k`` or -1: a direct slot is always there (its
    row of ``gtab``, seq and state, is zeros = Go's default for an unseen goroutine), so
    a lookup reads one 16-byte row, no used flag."""
    if k < np.uint64(dn):
        return np.int64(k)
    return _hf(dn, keys, used, k)


@njit(nogil=True, cache=True)
def g_grow_keys(dn, keys, used):
    """A table with twice the hash part; returns (keys, used, old slot -> new slot)."""
    h = keys.shape[0]
    nk = np.zeros(2 * h, np.uint64)
    nu = np.zeros(dn + 2 * h, np.uint8)
    nu[:dn] = used[:dn]
    move = np.arange(used.shape[0])
    for s in range(dn, used.shape[0]):
        if used[s]:
            d, _ = _hs(dn, nk, nu, keys[s - dn])
            move[s] = d
    return nk, nu, move


# --- merge with lazy per-P decode -----------------------------------------------------------

# per-proc int state columns (pst)
P_BK, P_CUR, P_END, P_LTS, P_DONE, P_HV = range(6)
# merge scalars (msc)
M_NAVAIL, M_HN, M_GCOUNT, M_BCOUNT, M_PREV, M_HAVE_PREV, M_ROWS, M_DN = range(8)


@njit(nogil=True, cache=True, _nrt=False)
def _merge_rows(  # noqa: C901 - Go's parseEventBatches + GoSysExit checks, decoder inline
    buf, stack_t, pb, pbs, pbe, b_pos, b_end, b_ts, b_pid_of,
    c_ts, c_g, c_p, c_stk, c_off,
    o_ts, o_g, o_args, o_stk, o_p, o_typ, o_off,
    pst, plg, h_u, h_i, avail, hts, hpr, gk, gu, gtab, sk, su, slast, msc, tmp,
):  # fmt: skip
    """``merge_chunk``'s loop: rows into ``o_*`` until they are full (MORE), the merge is
    done (OK, ``msc[M_ROWS]`` = -1), an error, or a table is full (GROW). Returns
    (status, rows); no reference counting ("Reference counting" below). A proc's next
    ordinary event is decoded into its head (``h_i``: ts, typ, p, off, stk; ``h_u``: g,
    args) when the frontier asks for it."""
    n = buf.shape[0]
    np_ = pbs.shape[0]
    prof = np_ - 1
    cap = o_ts.shape[0]
    navail = msc[M_NAVAIL]
    hn = msc[M_HN]
    gcount = msc[M_GCOUNT]
    bcount = msc[M_BCOUNT]
    dn = msc[M_DN]
    udn = np.uint64(dn)
    smask = sk.shape[0] - 1
    on = 0
    status = OK
    while True:
        if on >= cap:
            status = MORE
            break
        if 2 * (gcount + 1) > gk.shape[0] or 2 * (bcount + 1) > sk.shape[0]:
            status = GROW
            break
        i = 0
        while i < navail:
            pr = avail[i]
            if pst[pr, P_HV] == 0:
                # decode proc pr's next ordinary event (have: False when it has no more)
                have = False
                if pr == prof:  # Go's ProfileP: the time-sorted CPU samples, one pseudo-batch
                    k = pst[pr, P_CUR]
                    if k < c_ts.shape[0]:
                        have = True
                        pst[pr, P_CUR] = k + 1
                        h_i[pr, 0] = c_ts[k]
                        h_i[pr, 1] = 49
                        h_i[pr, 2] = np.int64(np.int32(np.uint32(c_p[k] & np.uint64(0xFFFFFFFF))))
                        h_i[pr, 3] = c_off[k]
                        h_i[pr, 4] = np.int64(c_stk[k])
                        h_u[pr, 0] = c_g[k]
                        h_u[pr, 1] = np.uint64(0)
                        h_u[pr, 2] = c_p[k]
                        h_u[pr, 3] = c_g[k]
                        h_u[pr, 4] = np.uint64(0)
                else:
                    while True:
                        pos = pst[pr, P_CUR]
                        if pos >= pst[pr, P_END]:
                            if pst[pr, P_BK] >= pbe[pr]:
                                break
                            b = pb[pst[pr, P_BK]]
                            pst[pr, P_BK] += 1
                            pst[pr, P_CUR] = b_pos[b]
                            pst[pr, P_END] = b_end[b]
                            pst[pr, P_LTS] = b_ts[b]
                            continue
                        off = pos
                        bt = np.int64(buf[pos])
                        pos += 1
                        typ = bt & 0x3F
                        wn = (bt >> 6) + 1
                        if typ == T_STRING:
                            _, pos = _uv(buf, pos, n)
                            ln, pos = _uv(buf, pos, n)
                            pst[pr, P_CUR] = pos + np.int64(ln)
                            continue
                        na = 0
                        if wn <= 3:
                            for _ in range(wn):
                                v, pos = _uv(buf, pos, n)
                                tmp[na] = v
                                na += 1
                        else:
                            ln, pos = _uv(buf, pos, n)
                            e = pos + np.int64(ln)
                            while pos < e:
                                v, pos = _uv(buf, pos, e)
                                tmp[na] = v
                                na += 1
                        msg = np.int64(0)
                        if typ == T_USERLOG:
                            ln, pos = _uv(buf, pos, n)
                            msg = (pos << 20) | np.int64(ln)
                            pos += np.int64(ln)
                        pst[pr, P_CUR] = pos
                        if typ == T_CPU or typ == T_FREQ or typ == T_TIMERG or typ == T_STACK:  # noqa: SIM109
                            continue
                        ts = _i64(np.uint64(pst[pr, P_LTS]) + tmp[0])
                        pst[pr, P_LTS] = ts
                        h_i[pr, 0] = ts
                        h_i[pr, 1] = typ
                        h_i[pr, 3] = off
                        for c in range(4):
                            h_u[pr, 1 + c] = 0
                        stk = np.int64(0)
                        for a in range(1, na):
                            if a == na - 1 and stack_t[typ] == 1:
                                stk = np.int64(tmp[a] & np.uint64(0xFFFFFFFF))
                            else:
                                h_u[pr, a] = tmp[a]
                        h_i[pr, 4] = stk
                        if typ == T_USERLOG:
                            h_u[pr, 4] = np.uint64(msg)
                        g = plg[pr]
                        if typ == T_GOSTART or typ == T_GOSTARTLOCAL or typ == T_GOSTARTLABEL:  # noqa: SIM109
                            plg[pr] = tmp[1]
                            g = tmp[1]
                        elif (
                            (typ >= 15 and typ <= 20)
                            or (typ >= 22 and typ <= 27)
                            or typ == 30
                            or typ == 42
                        ):
                            plg[pr] = np.uint64(0)
                        elif typ == T_GOSYSEXIT or typ == T_GOWAITING or typ == T_GOINSYSCALL:  # noqa: SIM109
                            g = tmp[1]
                        h_u[pr, 0] = g
                        h_i[pr, 2] = b_pid_of[pr]
                        have = True
                        break
                if not have:
                    pst[pr, P_DONE] = 1
                    navail -= 1
                    avail[i] = avail[navail]
                    avail[navail] = pr
                    continue
                pst[pr, P_HV] = 1
            t = h_i[pr, 1]
            g, iseq, ist, _ns, _nst = _transition(t, h_u[pr, 0], h_u[pr, 1], h_u[pr, 2])
            cseq = np.uint64(0)
            cst = _DEAD
            if g != _UNORDERED:
                # a direct row is zeros (= Go's default for an unseen goroutine) until written
                s = np.int64(g) if g < udn else _hf(dn, gk, gu, g)
                if s >= 0:
                    cseq = gtab[s, 0]
                    cst = np.int64(gtab[s, 1])
            if not _ready(g, cseq, cst, iseq, ist):
                i += 1
                continue
            navail -= 1
            avail[i] = avail[navail]
            avail[navail] = pr
            j = hn
            hts[j], hpr[j] = h_i[pr, 0], pr
            hn += 1
            while True:
                q = (j - 1) // 2 if j > 0 else 0
                if q == j or not hts[j] < hts[q]:
                    break
                hts[q], hts[j] = hts[j], hts[q]
                hpr[q], hpr[j] = hpr[j], hpr[q]
                j = q
        if hn == 0:
            for k in range(np_):
                if pst[k, P_DONE] == 0:
                    status = ERR
            if status == OK:
                msc[M_ROWS] = -1  # done
            break
        m = hn - 1
        hts[0], hts[m] = hts[m], hts[0]
        hpr[0], hpr[m] = hpr[m], hpr[0]
        q = 0
        while True:
            j1 = 2 * q + 1
            if j1 >= m:
                break
            j = j1
            if j1 + 1 < m and hts[j1 + 1] < hts[j1]:
                j = j1 + 1
            if not hts[j] < hts[q]:
                break
            hts[q], hts[j] = hts[j], hts[q]
            hpr[q], hpr[j] = hpr[j], hpr[q]
            q = j
        hn = m
        pr = hpr[m]
        pst[pr, P_HV] = 0
        t = h_i[pr, 1]
        ts = h_i[pr, 0]
        gv = h_u[pr, 0]
        g, iseq, ist, nseq, nst = _transition(t, gv, h_u[pr, 1], h_u[pr, 2])
        if t == 38:
            t = 14
        elif t == 39:
            t = 21
        elif t == 40:
            t = 29
        # fix_sysexit: the merged order must be sorted; a real GoSysExit time follows its block
        if msc[M_HAVE_PREV] == 1 and ts < msc[M_PREV]:
            status = ERR
            break
        msc[M_PREV] = ts
        msc[M_HAVE_PREV] = 1
        moved = False
        if t == 30 or t == 32:
            s = np.int64(_mix(gv) & np.uint64(smask))
            while su[s] and sk[s] != gv:
                s = (s + 1) & smask
            if not su[s]:
                sk[s] = gv
                su[s] = 1
                bcount += 1
            slast[s] = ts
        elif t == 29:
            real = np.int64(h_u[pr, 3])
            if real != 0:
                s = np.int64(_mix(gv) & np.uint64(smask))
                while su[s] and sk[s] != gv:
                    s = (s + 1) & smask
                block = slast[s] if su[s] else np.int64(0)
                if block == 0 or real < block:
                    status = ERR
                    break
                moved = real != ts
        if not moved:
            o_ts[on] = ts
            o_g[on] = gv
            for c in range(4):
                o_args[on, c] = h_u[pr, 1 + c]
            o_stk[on] = np.uint32(h_i[pr, 4])
            o_p[on] = np.int32(h_i[pr, 2])
            o_typ[on] = t
            o_off[on] = h_i[pr, 3]
            on += 1
        if g != _UNORDERED:
            if g < udn:  # direct: an absent goroutine's row is (0, _DEAD) = zeros
                s = np.int64(g)
            else:
                s, new = _hs(dn, gk, gu, g)
                if new:
                    gcount += 1
                    gtab[s, 0] = 0
                    gtab[s, 1] = _DEAD
            cseq = gtab[s, 0]
            if not _ready(g, cseq, np.int64(gtab[s, 1]), iseq, ist):
                status = ERR
                break
            if nseq == np.uint64(0xFFFFFFFFFFFFFFFF):
                nseq = cseq
            elif nseq == np.uint64(0xFFFFFFFFFFFFFFFE):
                nseq = cseq + np.uint64(1)
            gtab[s, 0] = nseq
            gtab[s, 1] = np.uint64(nst)
        avail[navail] = pr
        navail += 1
    msc[M_NAVAIL], msc[M_HN], msc[M_GCOUNT], msc[M_BCOUNT] = navail, hn, gcount, bcount
    return status, on


@njit(nogil=True, cache=True)
def merge_chunk(
    buf, nargs_t, stack_t, pb, pbs, pbe, b_pos, b_end, b_ts, b_pid_of,
    c_ts, c_g, c_p, c_stk, c_off,
    o_ts, o_g, o_args, o_stk, o_p, o_typ, o_off, state,
):  # fmt: skip
    """Up to ``o_ts.shape[0]`` merged rows (moved GoSysExit events left out). ``pbs``/``pbe``:
    each proc's slice of ``pb`` (its batches, file order); the last proc is the ProfileP.
    ``b_pid_of[pr]``: the P ID of proc ``pr``. Returns (status, rows, state)."""
    pst, plg, h_u, h_i, avail, hts, hpr, gk, gu, gtab, sk, su, slast, msc, tmp = state
    dn = msc[M_DN]
    on = 0
    while True:
        status, k = _merge_rows(buf, stack_t, pb, pbs, pbe, b_pos, b_end, b_ts, b_pid_of,
                                c_ts, c_g, c_p, c_stk, c_off, o_ts[on:], o_g[on:], o_args[on:],
                                o_stk[on:], o_p[on:], o_typ[on:], o_off[on:], pst, plg, h_u,
                                h_i, avail, hts, hpr, gk, gu, gtab, sk, su, slast, msc, tmp)  # fmt: skip
        on += k
        if status != GROW:
            break
        if 2 * (msc[M_GCOUNT] + 1) > gk.shape[0]:
            nk, nu, mv = g_grow_keys(dn, gk, gu)
            nt = np.zeros((nu.shape[0], 2), np.uint64)
            nt[:dn] = gtab[:dn]
            for s in range(dn, gu.shape[0]):
                if gu[s]:
                    nt[mv[s]] = gtab[s]
            gk, gu, gtab = nk, nu, nt
        if 2 * (msc[M_BCOUNT] + 1) > sk.shape[0]:
            nk, nu = h_new(sk.shape[0])
            nl = np.zeros(nk.shape[0], np.int64)
            for s in range(sk.shape[0]):
                if su[s]:
                    d, _ = h_slot(nk, nu, sk[s])
                    nl[d] = slast[s]
            sk, su, slast = nk, nu, nl
    return status, on, (pst, plg, h_u, h_i, avail, hts, hpr, gk, gu, gtab, sk, su, slast, msc,
                        tmp)  # fmt: skip


def merge_state(np_: int, dn: int):
    """Fresh :func:`merge_chunk` state for ``np_`` procs (the last the ProfileP); goroutines
    below ``dn`` get direct slots."""
    pst = np.zeros((np_, 6), np.int64)
    gk, gu = g_new(dn, 1024)
    sk, su = h_new(64)
    msc = np.zeros(8, np.int64)
    msc[M_NAVAIL] = np_
    msc[M_DN] = dn
    return (pst, np.zeros(np_, np.uint64), np.zeros((np_, 5), np.uint64),
            np.zeros((np_, 5), np.int64), np.arange(np_, dtype=np.int64),
            np.zeros(np_ + 1, np.int64), np.zeros(np_ + 1, np.int64),
            gk, gu, np.zeros((gu.shape[0], 2), np.uint64), sk, su, np.zeros(sk.shape[0], np.int64), msc,
            np.empty(4 + 4 * 1000 + 8, np.uint64))  # fmt: skip


# --- post-processing, resumable -------------------------------------------------------------

# post scalars (psc)
Q_GCOUNT, Q_RCOUNT, Q_PCOUNT, Q_TCOUNT, Q_NREG, Q_INGC, Q_INSTW, Q_DN, Q_FREE = range(9)


def post_state(n_regions: int, dn: int):
    """Fresh :func:`post_chunk` state (g 0 exists and runs); goroutines below ``dn`` get
    direct slots. A goroutine's whole state is one word of ``gw`` (``_W_*``)."""
    dn = max(dn, 1)
    gk, gu = g_new(dn, 1024)
    n = gu.shape[0]
    gw = np.zeros(n, np.uint64)
    gw[0] = _W_EXISTS | (np.uint64(_RUNNING) << _W_ST)
    rk, ru = g_new(dn, 64)
    pk, pu = h_new(64)
    tk, tu = h_new(64)
    psc = np.zeros(9, np.int64)
    psc[Q_DN] = dn
    return (gk, gu, gw, rk, ru, np.full(ru.shape[0], -1, np.int64),
            pk, pu, np.zeros(pk.shape[0], np.uint8), np.zeros(pk.shape[0], np.uint64),
            np.zeros(pk.shape[0], np.uint8), tk, tu,
            np.zeros(n_regions + 1, np.uint64), np.zeros(n_regions + 1, np.uint64),
            np.zeros(n_regions + 1, np.int64), psc)  # fmt: skip


# a post_chunk goroutine word: created stack + 1 (bits 0-32), last event type (40-47),
# state (48-55), in a mark assist (56), exists (62). One word instead of five columns:
# one cache line per lookup (35 M events: post 5.43 -> 5.03 s CPU; HACKING.md § Old format)
_W_CSTK = np.uint64((1 << 33) - 1)
_W_EVT = np.uint64(40)
_W_ST = np.uint64(48)
_W_ASSIST = np.uint64(1 << 56)
_W_EXISTS = np.uint64(1 << 62)
_W_BYTE = np.uint64(0xFF)


@njit(nogil=True, cache=True, inline="always")
def _wst(w):
    return np.int64((w >> _W_ST) & _W_BYTE)


@njit(nogil=True, cache=True, inline="always")
def _wevt(w):
    return np.int64((w >> _W_EVT) & _W_BYTE)


@njit(nogil=True, cache=True, inline="always")
def _wset(w, st, evt):
    """``w`` with state ``st`` and last event ``evt``."""
    keep = w & ~((_W_BYTE << _W_ST) | (_W_BYTE << _W_EVT))
    return keep | (np.uint64(st) << _W_ST) | (np.uint64(evt) << _W_EVT)


@njit(nogil=True, cache=True, inline="always")
def _wsetst(w, st):
    """``w`` with state ``st``."""
    return (w & ~(_W_BYTE << _W_ST)) | (np.uint64(st) << _W_ST)


# Reference counting: numba binds an inlined function's array arguments to new variables
# and increfs tables re-assigned inside a loop, each an atomic increment and decrement per
# call or iteration. perf on the 150 MB trace: 70 % of the merge and post-processing CPU
# was NRT_incref/NRT_decref (17 arrays per decoded event in the merge, 13 loop-carried
# tables per post-processed row). So the per-row loops (_merge_rows, _post_rows, scan)
# allocate nothing and run with ``_nrt=False`` (no reference counting at all), never
# re-bind an array (tables grow in the caller, between calls: GROW), and write lookups out.
# Thread CPU, 35 M events: merge 4.6 -> 1.3 s, post 5.1 -> 0.3 s, index 0.65 -> 0.40 s.


@njit(nogil=True, cache=True, _nrt=False)
def _h_del(keys, used, s):
    """Remove slot ``s`` of a linear-probing table in place (backward shift)."""
    mask = keys.shape[0] - 1
    i = s
    j = s
    while True:
        j = (j + 1) & mask
        if not used[j]:
            break
        k = np.int64(_mix(keys[j]) & np.uint64(mask))
        # keep j where it is when its home k lies cyclically in (i, j]
        if (i <= j and i < k <= j) or (i > j and (k > i or k <= j)):
            continue
        keys[i] = keys[j]
        i = j
    used[i] = 0


@njit(nogil=True, cache=True, _nrt=False)
def _post_rows(r0, ts, g_col, args, stk, p_col, typ, timer, stack_ids, stack_set, gk, gu, gw,  # noqa: C901
               rk, ru, r_head, pkk, pku, p_run, p_g, p_sweep, tk, tu, reg_task, reg_type,
               reg_prev, psc):  # fmt: skip
    """``post_chunk``'s rows from ``r0`` until done, an error, or a table is full (GROW:
    grow, call again from the returned row). Returns (status, row)."""
    gcount, rcount, pcount, tcount = psc[Q_GCOUNT], psc[Q_RCOUNT], psc[Q_PCOUNT], psc[Q_TCOUNT]
    nreg = psc[Q_NREG]  # region nodes ever used (high-water); freed ones are reused
    free = psc[Q_FREE]  # head of the free node list (0: empty)
    in_gc = psc[Q_INGC] == 1
    in_stw = psc[Q_INSTW] == 1
    dn = psc[Q_DN]
    udn = np.uint64(dn)
    nt = timer.shape[0]
    nsi = stack_ids.shape[0]
    nss = stack_set.shape[0]
    pmask = pkk.shape[0] - 1
    last_pid = np.int64(-(1 << 62))
    ps = -1
    cg = np.uint64(0)
    cs = -1
    status = OK
    n = ts.shape[0]
    r = r0
    while r < n:
        if (2 * (gcount + 2) > gk.shape[0] or 2 * (rcount + 1) > rk.shape[0]
                or 2 * (pcount + 1) > pkk.shape[0] or 2 * (tcount + 1) > tk.shape[0]):  # fmt: skip
            status = GROW
            break
        t = typ[r]
        g = g_col[r]
        if t == 21 and nt > 0:
            lo, hi = 0, nt
            while lo < hi:
                mid = (lo + hi) >> 1
                if timer[mid] < g:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < nt and timer[lo] == g:
                p_col[r] = TIMER_P
        elif t == 29:
            p_col[r] = SYSCALL_P
        p = np.int64(p_col[r])
        if p != last_pid or ps < 0:
            up = np.uint64(p)
            ps = np.int64(_mix(up) & np.uint64(pmask))
            while pku[ps] and pkk[ps] != up:
                ps = (ps + 1) & pmask
            last_pid = p
            if not pku[ps]:
                pkk[ps] = up
                pku[ps] = 1
                pcount += 1
                p_run[ps] = 0
                p_g[ps] = 0
                p_sweep[ps] = 0
        if t == 5:
            if p_run[ps]:
                status = ERR
                break
            p_run[ps] = 1
        elif t == 6:
            if not p_run[ps] or p_g[ps] != 0:
                status = ERR
                break
            p_run[ps] = 0
        elif t == 7:
            if in_gc:
                status = ERR
                break
            in_gc = True
            p_col[r] = GC_P
        elif t == 8:
            if not in_gc:
                status = ERR
                break
            in_gc = False
        elif t == 9:
            if in_stw:
                status = ERR
                break
            in_stw = True
        elif t == 10:
            if not in_stw:
                status = ERR
                break
            in_stw = False
        elif t == 11:
            if p_sweep[ps]:
                status = ERR
                break
            p_sweep[ps] = 1
        elif t == 12:
            if not p_sweep[ps]:
                status = ERR
                break
            p_sweep[ps] = 0
        elif t == 43 or t == 44:
            if g < udn:
                s = np.int64(g)
                if not gw[s] & _W_EXISTS:
                    gw[s] = _W_EXISTS
            else:
                s, new = _hs(dn, gk, gu, g)
                if new:
                    gw[s] = _W_EXISTS
                    gcount += 1
            if t == 43:
                if gw[s] & _W_ASSIST:
                    status = ERR
                    break
                gw[s] |= _W_ASSIST
            else:
                gw[s] &= ~_W_ASSIST
        elif t == 31 or t == 32:
            if g < udn:
                s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
            else:
                s = _hf(dn, gk, gu, g)
            if s < 0 or _wst(gw[s]) != _RUNNABLE:
                status = ERR
                break
            gw[s] = _wset(gw[s], _WAITING, t)
        elif t == 13:
            if g < udn:
                s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
            else:
                s = _hf(dn, gk, gu, g)
            if s < 0 or _wst(gw[s]) != _RUNNING or p_g[ps] != g:
                status = ERR
                break
            a0 = args[r, 0]
            if a0 < udn:
                d = np.int64(a0)
                if gw[d] & _W_EXISTS:
                    status = ERR
                    break
            else:
                d, new = _hs(dn, gk, gu, a0)
                if not new:
                    status = ERR
                    break
                gcount += 1
            gw[d] = _wset(_W_EXISTS | ((args[r, 1] & np.uint64(0xFFFFFFFF)) + np.uint64(1)),
                          _RUNNABLE, t)  # fmt: skip
        elif t == 14 or t == 41:
            if g < udn:
                s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
            else:
                s = _hf(dn, gk, gu, g)
            cg, cs = g, s
            if s < 0 or _wst(gw[s]) != _RUNNABLE or p_g[ps] != 0:
                status = ERR
                break
            w = gw[s]
            p_g[ps] = g
            c = w & _W_CSTK
            if c != 0:
                stk[r] = np.uint32(c - np.uint64(1))
            gw[s] = _wset(w & ~_W_CSTK, _RUNNING, 0)
        elif t == 15 or t == 16 or t == 17 or t == 18 or t == 28 or t == 30 or (t >= 19 and t <= 27 and t != 21) or t == 42:  # fmt: skip
            if g == cg and cs >= 0:
                s = cs
            else:
                if g < udn:
                    s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
                else:
                    s = _hf(dn, gk, gu, g)
                cg, cs = g, s
            if s < 0 or _wst(gw[s]) != _RUNNING or p_g[ps] != g or g == 0:
                status = ERR
                break
            if t == 15 or t == 16:
                gw[s] = _wsetst(gw[s], _DEAD)
                p_g[ps] = 0
                if t == 15:
                    if g < udn:
                        q = np.int64(g) if ru[np.int64(g)] else -1
                    else:
                        q = _hf(dn, rk, ru, g)
                    if q >= 0:
                        h = r_head[q]
                        while h > 0:  # free the goroutine's region nodes
                            nx = reg_prev[h]
                            reg_prev[h] = free
                            free = h
                            h = nx
                        r_head[q] = -1
            elif t == 17 or t == 18:
                gw[s] = _wset(gw[s], _RUNNABLE, t)
                p_g[ps] = 0
            elif t == 28:
                gw[s] = _wset(gw[s], _RUNNING, t)
            elif t == 30:
                gw[s] = _wsetst(gw[s], _WAITING)
                p_g[ps] = 0
            else:
                gw[s] = _wset(gw[s], _WAITING, t)
                p_g[ps] = 0
        elif t == 21:
            if g < udn:
                s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
            else:
                s = _hf(dn, gk, gu, g)
            if s < 0 or _wst(gw[s]) != _RUNNING:
                status = ERR
                break
            if p != TIMER_P and p_g[ps] != g:
                status = ERR
                break
            a0 = args[r, 0]
            if a0 < udn:
                s1 = np.int64(a0) if gw[np.int64(a0)] & _W_EXISTS else -1
            else:
                s1 = _hf(dn, gk, gu, a0)
            if s1 < 0 or _wst(gw[s1]) != _WAITING:
                status = ERR
                break
            if _wevt(gw[s1]) == 27:
                p_col[r] = NETPOLL_P
            gw[s1] = _wset(gw[s1], _RUNNABLE, t)
        elif t == 29:
            if g < udn:
                s = np.int64(g) if gw[np.int64(g)] & _W_EXISTS else -1
            else:
                s = _hf(dn, gk, gu, g)
            if s < 0 or _wst(gw[s]) != _WAITING:
                status = ERR
                break
            gw[s] = _wset(gw[s], _RUNNABLE, t)
        elif t == 45:
            _, new = h_slot(tk, tu, args[r, 0])
            if not new:
                status = ERR
                break
            tcount += 1
        elif t == 46:
            s = h_find(tk, tu, args[r, 0])
            if s >= 0:
                _h_del(tk, tu, s)
                tcount -= 1
        elif t == 47:
            mode = args[r, 1]
            if g < udn:
                q = np.int64(g)
                if not ru[q]:
                    ru[q] = 1
                    r_head[q] = -1
            else:
                q, new = _hs(dn, rk, ru, g)
                if new:
                    rcount += 1
                    r_head[q] = -1
            if mode == 0:
                if free > 0:
                    h = free
                    free = reg_prev[h]
                else:
                    nreg += 1
                    h = nreg
                reg_task[h] = args[r, 0]
                reg_type[h] = args[r, 2]
                reg_prev[h] = r_head[q]
                r_head[q] = h
            elif mode == 1:
                h = r_head[q]
                if h > 0:
                    if reg_task[h] != args[r, 0] or reg_type[h] != args[r, 2]:
                        status = ERR
                        break
                    r_head[q] = reg_prev[h]
                    reg_prev[h] = free
                    free = h
            else:
                status = ERR
                break
        sr = stk[r]
        if sr != 0:
            if nss > 0:
                if np.int64(sr) >= nss or stack_set[np.int64(sr)] == 0:
                    stk[r] = 0
            else:
                lo, hi = 0, nsi
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if stack_ids[mid] < sr:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo >= nsi or stack_ids[lo] != sr:
                    stk[r] = 0
        r += 1
    psc[Q_GCOUNT], psc[Q_RCOUNT], psc[Q_PCOUNT], psc[Q_TCOUNT] = gcount, rcount, pcount, tcount
    psc[Q_NREG] = nreg
    psc[Q_FREE] = free
    psc[Q_INGC] = 1 if in_gc else 0
    psc[Q_INSTW] = 1 if in_stw else 0
    return status, r


@njit(nogil=True, cache=True)
def post_chunk(ts, g_col, args, stk, p_col, typ, timer, stack_ids, stack_set, state):
    """The fake Ps (timer unblocks, syscall exits) then Go's ``postProcessTrace`` over these
    rows (final order), continuing from ``state``. Returns (status, state)."""
    (gk, gu, gw, rk, ru, r_head, pkk, pku, p_run, p_g, p_sweep, tk, tu, reg_task, reg_type,
     reg_prev, psc) = state  # fmt: skip
    dn = psc[Q_DN]
    r = 0
    while True:
        status, r = _post_rows(r, ts, g_col, args, stk, p_col, typ, timer, stack_ids, stack_set,
                               gk, gu, gw, rk, ru, r_head, pkk, pku, p_run, p_g, p_sweep, tk,
                               tu, reg_task, reg_type, reg_prev, psc)  # fmt: skip
        if status != GROW:
            break
        if 2 * (psc[Q_GCOUNT] + 2) > gk.shape[0]:
            nk, nu, mv = g_grow_keys(dn, gk, gu)
            a1 = np.zeros(nu.shape[0], np.uint64)
            a1[:dn] = gw[:dn]
            for s in range(dn, gu.shape[0]):
                if gu[s]:
                    a1[mv[s]] = gw[s]
            gk, gu, gw = nk, nu, a1
        if 2 * (psc[Q_RCOUNT] + 1) > rk.shape[0]:
            nk, nu, mv = g_grow_keys(dn, rk, ru)
            a5 = np.full(nu.shape[0], -1, np.int64)
            for s in range(ru.shape[0]):
                if ru[s]:
                    a5[mv[s]] = r_head[s]
            rk, ru, r_head = nk, nu, a5
        if 2 * (psc[Q_PCOUNT] + 1) > pkk.shape[0]:
            nk, nu = h_new(pkk.shape[0])
            b1 = np.zeros(nk.shape[0], np.uint8)
            b2 = np.zeros(nk.shape[0], np.uint64)
            b3 = np.zeros(nk.shape[0], np.uint8)
            for s in range(pkk.shape[0]):
                if pku[s]:
                    d, _ = h_slot(nk, nu, pkk[s])
                    b1[d], b2[d], b3[d] = p_run[s], p_g[s], p_sweep[s]
            pkk, pku, p_run, p_g, p_sweep = nk, nu, b1, b2, b3
        if 2 * (psc[Q_TCOUNT] + 1) > tk.shape[0]:
            nk, nu = h_new(tk.shape[0])
            for s in range(tk.shape[0]):
                if tu[s]:
                    h_slot(nk, nu, tk[s])
            tk, tu = nk, nu
    return status, (gk, gu, gw, rk, ru, r_head, pkk, pku, p_run, p_g, p_sweep, tk, tu, reg_task,
                    reg_type, reg_prev, psc)  # fmt: skip


@njit(nogil=True, cache=True, _nrt=False)
def ticks_to_ns(ts, ts0, ns_per_tick):
    """In place: ``ts`` (ticks) → ns since ``ts0`` as Go computes it,
    ``int64(float64(ts - ts0) * ns_per_tick)``; out of int64 range → int64 min (numpy's
    cast of the same float64 in one pass instead of ten)."""
    for r in range(ts.shape[0]):
        f = np.float64(ts[r] - ts0) * ns_per_tick
        if f < 9.223372036854775807e18 and f >= -9.223372036854775808e18:
            ts[r] = np.int64(f)
        else:
            ts[r] = np.int64(-9223372036854775807 - 1)
