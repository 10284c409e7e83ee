"""The fast old-format parser: ``_kernels`` over the mapped file (L0, numpy + numba).

:func:`parse_fast` returns the same :class:`V1Trace` as the reference port
(``_reference.parse``) for every trace Go's parser accepts, or None when a kernel
reports anything unusual (the caller then re-parses with the reference, which
words Go's error). No per-event Python: the events are decoded, merged, checked
and converted to ns by kernels and numpy; Python touches per-stack-ID,
per-string and per-UserLog data only (few).

Differences from Go that cannot change an accepted trace's events: the batches are
decoded in file order instead of Go's load order, which only matters for the
numbering of UserLog messages (we number them in merged order) and for which
definition of a repeated stack ID or PC wins (never seen in real traces).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from goroscope.format.v1 import _kernels as K
from goroscope.format.v1.columns import V1Trace
from goroscope.format.v1.spec import EV, SYSCALL_P, TIMER_P

__all__ = ["parse_fast"]


def _decode(buf: np.ndarray, start: int, version: int, fill: bool, sizes=None):
    n_ev, n_b, n_c, n_s, n_k, n_f, n_t = sizes if sizes is not None else (0,) * 7
    z = np.empty
    ev = (z(n_ev, np.int64), z(n_ev, np.uint64), z((n_ev, 4), np.uint64), z(n_ev, np.uint32),
          z(n_ev, np.int32), z(n_ev, np.uint8), z(n_ev, np.int64))  # fmt: skip
    bt = (z(n_b, np.int32), z(n_b, np.int64), z(n_b, np.int64))
    cpu = (z(n_c, np.int64), z(n_c, np.uint64), z(n_c, np.uint64), z(n_c, np.uint32),
           z(n_c, np.int64))  # fmt: skip
    st = (z(n_s, np.uint64), z(n_s, np.int64), z(n_s, np.int64))
    stk = (z(n_k, np.uint64), z(n_k, np.int64), z(n_k, np.int64), z((n_f, 4), np.uint64))
    timer = z(n_t, np.uint64)
    misc = np.zeros(3, np.int64)
    tmp = z(4 + 4 * 1000 + 8, np.uint64)
    got = K.decode(buf, start, version, fill, K.NARGS, K.HAS_STACK, K.MIN_VER,
                   *ev, *bt, *cpu, *st, *stk, timer, misc, tmp)  # fmt: skip
    return got, ev, bt, cpu, st, stk, timer, misc


def parse_fast(
    data,
    version: int,
    start: int,
    *,
    sort_func: Callable[[list, Callable], None] | None = None,
) -> V1Trace | None:
    """Go's ``tracev1.Parse`` with the kernels; None if the reference must decide."""
    buf = np.frombuffer(data, np.uint8)
    # One pass into arrays sized from the bytes (an event takes >= 2 bytes, a batch
    # header 3, a string 3, a frame 4, a CPU sample 7): only the pages written count.
    nb = buf.shape[0]
    cap = (
        nb // 2 + 1,
        nb // 3 + 1,
        nb // 7 + 1,
        nb // 3 + 1,
        nb // 6 + 1,
        nb // 4 + 1,
        nb // 2 + 1,
    )
    got, ev, bt, cpu, st, stk, timer, misc = _decode(buf, start, version, True, cap)
    if misc[1] != K.OK:
        return None
    n_ev, n_b, n_c, n_s, n_k, n_f, n_t = got
    n = n_ev + n_c
    if n > cap[0]:
        return None
    big = ev  # the CPU samples go after the events, in the same arrays (no copies)
    ev = tuple(a[:n_ev] for a in ev)
    bt = tuple(a[:n_b] for a in bt)
    cpu = tuple(a[:n_c] for a in cpu)
    st = tuple(a[:n_s] for a in st)
    stk = (stk[0][:n_k], stk[1][:n_k], stk[2][:n_k], stk[3][:n_f])
    timer = timer[:n_t]
    tps = int(misc[0])
    if tps == 0:
        return None  # Go: "no EvFrequency event"
    e_ts, e_g, e_args, e_stk, e_p, e_typ, e_off = ev
    b_pid, b_row0, b_row1 = bt
    c_ts, c_g, c_praw, c_stk, c_off = cpu
    s_id, s_off, s_len = st
    if np.unique(s_id).shape[0] != s_id.shape[0]:
        return None  # Go: "string has duplicate id"
    # CPU samples: sorted by their own timestamp (Go: slices.SortFunc, not stable)
    corder = np.argsort(c_ts, kind="stable")
    cs = c_ts[corder]
    if sort_func is not None and cs.shape[0] > 1 and np.any(cs[1:] == cs[:-1]):
        rows = list(range(cs.shape[0]))
        tsl = c_ts.tolist()
        sort_func(rows, lambda a, b: (tsl[a] > tsl[b]) - (tsl[a] < tsl[b]))
        corder = np.array(rows, np.int64)
    ts, g, args, stk_, p, typ, off = (a[:n] for a in big)
    del big, ev, e_ts, e_g, e_args, e_stk, e_p, e_typ, e_off
    ts[n_ev:] = c_ts[corder]
    g[n_ev:] = c_g[corder]
    args[n_ev:] = 0
    args[n_ev:, 1] = c_praw[corder]
    args[n_ev:, 2] = c_g[corder]
    stk_[n_ev:] = c_stk[corder]
    p[n_ev:] = (c_praw[corder] & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
    typ[n_ev:] = EV.CPUSample
    off[n_ev:] = c_off[corder]
    # procs in order of their first batch; the profile P last, one pseudo-batch
    uniq, first, inv = np.unique(b_pid, return_index=True, return_inverse=True)
    rank = np.empty(uniq.shape[0], np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(uniq.shape[0])
    label = rank[inv.reshape(-1)] if uniq.shape[0] else np.zeros(0, np.int64)
    nb = b_pid.shape[0]
    p_batches = np.concatenate([np.argsort(label, kind="stable"), [nb]]).astype(np.int64)
    counts = np.bincount(label, minlength=uniq.shape[0]) if nb else np.zeros(0, np.int64)
    p_bend = np.concatenate([np.cumsum(counts), [nb + 1]]).astype(np.int64)
    p_bstart = np.concatenate([[0], p_bend[:-1]]).astype(np.int64)
    row0 = np.concatenate([b_row0, [n_ev]]).astype(np.int64)
    row1 = np.concatenate([b_row1, [n]]).astype(np.int64)
    n_gs = int(np.count_nonzero(typ == EV.GoCreate)) + 1024
    order = np.empty(n, np.int64)
    status, on = K.merge(ts, g, args, typ, p_batches, p_bstart, p_bend, row0, row1, order, n_gs)
    if status != K.OK or on != n:
        return None
    before = ts[order[typ[order] == EV.GoSysExit]] if n else ts[:0]
    if K.fix_sysexit(order, ts, g, args, typ, n_gs) != K.OK:
        return None
    # sort.Stable: only GoSysExit times changed (and only to earlier ones)
    moved = np.zeros(n, np.bool_)
    sx = np.flatnonzero(typ[order] == EV.GoSysExit)
    moved[sx[ts[order[sx]] != before]] = True
    del before, sx
    order = K.stable_resort(order, ts, moved)
    del moved
    # gather one column at a time (peak: the columns plus one copy of the largest).
    # NOTE: an in-place cycle-following permutation saves that copy but measured 3x
    # slower overall (random writes); not worth 0.24 GB.
    ts = ts[order]
    g = g[order]
    args = args[order]
    stk_ = stk_[order]
    p = p[order]
    typ = typ[order]
    off = off[order]
    del order
    if n:
        d = ts - ts[0]
        freq = 1e9 / float(tps)
        with np.errstate(all="ignore"):
            f = d.astype(np.float64) * freq
            ok = (f < 9.223372036854775807e18) & (f >= -9.223372036854775808e18)
            ts = np.where(ok, f, 0).astype(np.int64)
            ts[~ok] = np.iinfo(np.int64).min
        if timer.shape[0]:
            p[(typ == EV.GoUnblock) & np.isin(g, timer)] = TIMER_P
        p[typ == EV.GoSysExit] = SYSCALL_P
    # stacks: the last definition of an ID wins; PCs: the first appearance wins
    k_id, k_row0, k_n, frames = stk
    rev = k_id[::-1]
    ids, ri = np.unique(rev, return_index=True)
    last = k_id.shape[0] - 1 - ri
    stack_n = k_n[last].astype(np.int32)
    stack_start = np.zeros(ids.shape[0], np.int64)
    if ids.shape[0]:
        np.cumsum(stack_n[:-1], out=stack_start[1:])
    src = np.repeat(k_row0[last], stack_n) + (
        np.arange(int(stack_n.sum())) - np.repeat(stack_start, stack_n)
    )
    stack_pcs = frames[src, 0] if src.shape[0] else np.zeros(0, np.uint64)
    pc, pfirst = np.unique(frames[:, 0], return_index=True)
    regions = int(np.count_nonzero(typ == EV.UserRegion))
    stack_set = np.zeros(0, np.uint8)
    if ids.shape[0] and int(ids[-1]) <= 16 * ids.shape[0] + 65536:
        stack_set = np.zeros(int(ids[-1]) + 1, np.uint8)
        stack_set[ids.astype(np.int64)] = 1
    st_args = (ids, stack_set, n_gs, regions)
    if K.post_process(np.zeros(0, np.int64), ts, g, args, stk_, p, typ, *st_args) != K.OK:
        return None
    # UserLog messages -> Go's inline string IDs (few: a loop per UserLog)
    inline: list[bytes] = []
    imap: dict[bytes, int] = {}
    for r in np.flatnonzero(typ == EV.UserLog).tolist():
        v = int(args[r, 3])
        o, ln = v >> 20, v & 0xFFFFF
        b = bytes(buf[o : o + ln])
        k = imap.get(b)
        if k is None:
            k = imap[b] = len(inline)
            inline.append(b)
        args[r, 3] = k
    strings = {
        int(i): bytes(buf[o : o + ln])
        for i, o, ln in zip(s_id.tolist(), s_off.tolist(), s_len.tolist(), strict=True)
    }
    return V1Trace(
        version=version,
        ticks_per_sec=tps,
        ts=ts,
        g=g,
        args=args,
        stk=stk_,
        p=p,
        typ=typ,
        offset=off,
        stack_ids=ids,
        stack_start=stack_start,
        stack_n=stack_n,
        stack_pcs=stack_pcs,
        pc=pc,
        pc_fn=frames[pfirst, 1],
        pc_file=frames[pfirst, 2],
        pc_line=frames[pfirst, 3].view(np.int64),
        strings=strings,
        inline_strings=inline,
    )
