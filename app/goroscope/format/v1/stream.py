"""The streaming old-format parser: Go's ``tracev1.Parse`` result in time-ordered chunks (L0).

What
----
:class:`V1Stream` gives the rows of Go's ``tracev1.Trace`` (a :class:`V1Trace`, as the
reference port ``_reference.parse`` builds it), in order, a chunk at a time, while
holding only O(#Ps + #goroutines + #moved GoSysExit events) state instead of every
event (HACKING.md § Old format (v1), "Streaming"):

1. **Index** (``_stream.scan``, once, in segments): batches (P, first byte, end byte,
   base time), strings, stacks, CPU samples, timer goroutines, the frequency, the
   UserLog messages and the ``GoSysExit`` events whose real time differs from their
   own. The mapped pages behind the scan are released (``madvise(MADV_DONTNEED)``;
   the file is mapped read-only, so they are re-read on demand).
2. **Merge** (``_stream.merge_chunk``): Go's frontier merge over the Ps with one cursor
   per P; a P's next event is decoded when the merge needs it.
3. **Moved GoSysExit events**: Go (``sort.Stable`` after restoring the real times)
   moves only those; each goes before the first merged row that is later than its
   real time (or, when it moves later, not earlier), after the other moved rows with
   a smaller time: we insert them into the merged chunks where they belong.
4. **Post-process** (``_stream.post_chunk``, resumable) and the tick → ns conversion.

Why
---
Go's reader holds every event: 57 B per event, 27× the file on a 35 M-event trace.
Here memory is bounded by the chunk and the tables (``fast.parse_fast``, the
whole-file parse, is this stream with every chunk kept).

What we deliberately don't do: word Go's errors. Any kernel status other than OK
raises :class:`StreamDeclined`; the caller then parses with the reference (it words
Go's error).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from goroscope.format.v1 import _kernels as K
from goroscope.format.v1 import _stream as S
from goroscope.format.v1.columns import V1Trace
from goroscope.format.v1.spec import EV

__all__ = ["StreamDeclined", "V1Stream"]

#: at most this many direct goroutine slots (tests set it low to run the hashed part)
DIRECT_GOIDS = 1 << 40

#: bytes scanned between two releases of the mapped pages behind the cursor
SEGMENT = 8 << 20


class StreamDeclined(Exception):  # noqa: N818 - a signal, not an error for users
    """A kernel saw something unusual: the reference parser decides (Go's error wording)."""


@dataclass
class V1Chunk:
    """Rows of Go's ``tracev1.Trace`` (the fields of :class:`V1Trace`), final order;
    ``row0`` the index of the first one in the whole trace."""

    row0: int
    ts: np.ndarray
    g: np.ndarray
    args: np.ndarray
    stk: np.ndarray
    p: np.ndarray
    typ: np.ndarray
    offset: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])


class V1Stream:
    """Go's ``tracev1.Parse`` in chunks. The constructor runs the index pass (raises
    :class:`StreamDeclined` on anything unusual); ``tables`` is a :class:`V1Trace`
    with the trace-wide tables (strings, stacks, PCs, inline strings) and no events;
    :meth:`chunks` yields :class:`V1Chunk` s. ``data``: bytes or an ``mmap`` (then
    consumed pages are released)."""

    def __init__(self, data, version: int, start: int, *, sort_func=None) -> None:
        self._data = data
        self._mm = data if isinstance(data, mmap.mmap) else None
        buf = np.frombuffer(data, np.uint8)
        self._buf = buf
        self.version = version
        nb = buf.shape[0]
        z = np.empty
        b = (z(nb // 3 + 1, np.int64), z(nb // 3 + 1, np.int64), z(nb // 3 + 1, np.int64),
             z(nb // 3 + 1, np.int64))  # fmt: skip
        c = (z(nb // 7 + 1, np.int64), z(nb // 7 + 1, np.uint64), z(nb // 7 + 1, np.uint64),
             z(nb // 7 + 1, np.uint32), z(nb // 7 + 1, np.int64))  # fmt: skip
        s = (z(nb // 3 + 1, np.uint64), z(nb // 3 + 1, np.int64), z(nb // 3 + 1, np.int64))
        k = (z(nb // 6 + 1, np.uint64), z(nb // 6 + 1, np.int64), z(nb // 6 + 1, np.int64),
             z((nb // 4 + 1, 4), np.uint64))  # fmt: skip
        timer = z(nb // 2 + 1, np.uint64)
        m = (z(nb // 5 + 1, np.int64), z(nb // 5 + 1, np.int64), z(nb // 5 + 1, np.uint64),
             z((nb // 5 + 1, 4), np.uint64), z(nb // 5 + 1, np.uint32), z(nb // 5 + 1, np.int64))  # fmt: skip
        l_off = z(nb // 3 + 1, np.int64)
        gc_ts = z(nb // 4 + 1, np.int64)
        st = np.zeros(S.N_SCAN_STATE, np.int64)
        st[S.S_POS] = start
        tmp = z(4 + 4 * 1000 + 8, np.uint64)
        released = 0
        # string and UserLog bytes are copied out per segment, before its pages are released:
        # they are scattered over the file, and reading them afterwards faulted ~100 MB of
        # the 150 MB trace back in (64 KB fault-around per read), released only as the merge
        # passed them
        s_bytes: list[bytes] = []
        l_bytes: list[bytes] = []
        while True:
            stop = int(st[S.S_POS]) + SEGMENT
            S.scan(buf, stop, version, K.NARGS, K.HAS_STACK, K.MIN_VER, *b, *c, *s, *k, timer,
                   *m, l_off, gc_ts, st, tmp)  # fmt: skip
            if st[S.S_STATUS] != K.OK:
                raise StreamDeclined(f"scan: offset {int(st[S.S_ERR])}")
            ns, nl = int(st[S.S_NS]), int(st[S.S_NL])
            for o, ln in zip(s[1][len(s_bytes) : ns].tolist(), s[2][len(s_bytes) : ns].tolist(),
                             strict=True):  # fmt: skip
                s_bytes.append(bytes(buf[o : o + ln]))
            for v in l_off[len(l_bytes) : nl].tolist():
                l_bytes.append(bytes(buf[v >> 20 : (v >> 20) + (v & 0xFFFFF)]))
            released = self._release(released, int(st[S.S_POS]))
            if st[S.S_POS] >= nb:
                break
        n_b, n_s, n_k, n_f = (int(st[i]) for i in (S.S_NB, S.S_NS, S.S_NK, S.S_NF))
        n_t, n_c, n_m, n_l = (int(st[i]) for i in (S.S_NT, S.S_NC, S.S_NM, S.S_NL))
        n_gc = int(st[S.S_NGC])
        # goroutines below dn get direct table slots (goids are dense in practice; the
        # bound keeps a hostile huge goid from costing memory: the rest are hashed)
        self._dn = int(min(int(st[S.S_MAXG]) + 1, 8 * n_gc + (1 << 20), DIRECT_GOIDS))
        self.n_events = int(st[S.S_NEV]) + n_c
        tps = int(st[S.S_TPS])
        if tps == 0:
            raise StreamDeclined("no EvFrequency event")
        self.ticks_per_sec = tps
        # copies: the capacities above are virtual; keep only what was filled
        b_pid, b_pos, b_end, b_ts = (a[:n_b].copy() for a in b)
        c_ts, c_g, c_praw, c_stk, c_off = (a[:n_c].copy() for a in c)
        s_id = s[0][:n_s].copy()
        k_id, k_row0, k_n = (a[:n_k].copy() for a in k[:3])
        frames = k[3][:n_f].copy()
        self._timer = np.unique(timer[:n_t])
        m_ts, m_key, m_g, m_args, m_stk, m_off = (a[:n_m].copy() for a in m)
        l_off = l_off[:n_l].copy()
        gc_ts = gc_ts[:n_gc].copy()
        del b, c, s, k, timer, m
        if np.unique(s_id).shape[0] != s_id.shape[0]:
            raise StreamDeclined("string has duplicate id")
        # pre-init GoCreates (before the first Gomaxprocs in time order): the converter's table
        gmp = int(st[S.S_GMP]) if st[S.S_HAVE_GMP] else None
        self.n_pre_init = int(n_gc if gmp is None else np.count_nonzero(gc_ts <= gmp))
        del gc_ts
        # CPU samples sorted by time (Go: slices.SortFunc, not stable)
        corder = np.argsort(c_ts, kind="stable")
        cs = c_ts[corder]
        if sort_func is not None and cs.shape[0] > 1 and np.any(cs[1:] == cs[:-1]):
            rows = list(range(cs.shape[0]))
            tsl = c_ts.tolist()
            sort_func(rows, lambda a, b_: (tsl[a] > tsl[b_]) - (tsl[a] < tsl[b_]))
            corder = np.array(rows, np.int64)
        self._cpu = tuple(a[corder] for a in (c_ts, c_g, c_praw, c_stk, c_off))
        # procs in order of their first batch; the profile P last
        uniq, first, inv = np.unique(b_pid, return_index=True, return_inverse=True)
        rank = np.empty(uniq.shape[0], np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(uniq.shape[0])
        label = rank[inv.reshape(-1)] if uniq.shape[0] else np.zeros(0, np.int64)
        self._pb = np.argsort(label, kind="stable").astype(np.int64)
        counts = np.bincount(label, minlength=uniq.shape[0]) if n_b else np.zeros(0, np.int64)
        pbe = np.concatenate([np.cumsum(counts), [n_b]]).astype(np.int64)
        self._pbs = np.concatenate([[0], pbe[:-1]]).astype(np.int64)
        self._pbe = pbe
        pid_of = np.zeros(uniq.shape[0] + 1, np.int64)
        pid_of[rank] = uniq
        self._pid_of = pid_of
        self._batches = (b_pos, b_end, b_ts)
        # moved GoSysExit rows in their final relative order: real time, then after (1) or
        # before (0) merged rows of the same time, then merged position (own time, offset)
        flag = (m_ts < m_key).astype(np.int64)
        mo = np.lexsort((m_off, m_key, flag, m_ts))
        self._moved = (m_ts[mo], flag[mo], m_g[mo], m_args[mo], m_stk[mo], m_off[mo])
        # UserLog messages: Go's inline strings, numbered in order of first appearance;
        # the rows carry (offset << 20 | length) until chunks() looks the ID up here
        lut: dict[bytes, int] = {}
        self._log_of: dict[int, int] = {}
        inline: list[bytes] = []
        for v, bb in zip(l_off.tolist(), l_bytes, strict=True):
            if bb not in lut:
                lut[bb] = len(inline)
                inline.append(bb)
            self._log_of[v] = lut[bb]
        del lut, l_bytes
        # stacks: the last definition of an ID wins; PCs: the first appearance wins
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
        self._stack_ids = ids
        self._stack_set = np.zeros(0, np.uint8)
        if ids.shape[0] and int(ids[-1]) <= 16 * ids.shape[0] + 65536:
            self._stack_set = np.zeros(int(ids[-1]) + 1, np.uint8)
            self._stack_set[ids.astype(np.int64)] = 1
        strings = {int(i): bb for i, bb in zip(s_id.tolist(), s_bytes, strict=True)}
        del s_bytes
        e64 = np.zeros(0, np.int64)
        self.tables = V1Trace(
            version=version, ticks_per_sec=tps, ts=e64, g=np.zeros(0, np.uint64),
            args=np.zeros((0, 4), np.uint64), stk=np.zeros(0, np.uint32),
            p=np.zeros(0, np.int32), typ=np.zeros(0, np.uint8), offset=e64,
            stack_ids=ids, stack_start=stack_start, stack_n=stack_n, stack_pcs=stack_pcs,
            pc=pc, pc_fn=frames[pfirst, 1], pc_file=frames[pfirst, 2],
            pc_line=frames[pfirst, 3].view(np.int64), strings=strings, inline_strings=inline,
        )  # fmt: skip

    def _release(self, done: int, upto: int) -> int:
        """Release the mapped pages in ``[done, upto)`` (whole pages only); returns the new mark."""
        if self._mm is None:
            return done
        ps = mmap.PAGESIZE
        lo = (done // ps) * ps
        hi = (upto // ps) * ps
        if hi - lo >= (4 << 20):
            self._mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
            return hi
        return done

    def chunks(self, rows: int = 1 << 18) -> Iterator[V1Chunk]:
        """The trace's rows, ``rows`` merged rows (plus the moved ones among them) at a time.
        Raises :class:`StreamDeclined` on anything unusual (the reference decides)."""
        np_ = self._pbs.shape[0]
        state = S.merge_state(np_, self._dn)
        state[0][:, S.P_BK] = self._pbs
        b_pos, b_end, b_ts = self._batches
        cpu = self._cpu
        m_ts, m_flag, m_g, m_args, m_stk, m_off = self._moved
        n_m = m_ts.shape[0]
        mi = 0
        post = None
        freq = 1e9 / float(self.ticks_per_sec)
        ts0 = None
        row0 = 0
        released = 0
        cap = max(1, rows)
        o = (np.empty(cap, np.int64), np.empty(cap, np.uint64), np.empty((cap, 4), np.uint64),
             np.empty(cap, np.uint32), np.empty(cap, np.int32), np.empty(cap, np.uint8),
             np.empty(cap, np.int64))  # fmt: skip
        while True:
            status, on, state = S.merge_chunk(
                self._buf, K.NARGS, K.HAS_STACK, self._pb, self._pbs, self._pbe, b_pos, b_end,
                b_ts, self._pid_of, *cpu, *o, state,
            )  # fmt: skip
            if status == K.ERR:
                raise StreamDeclined("merge")
            done = state[13][S.M_ROWS] == -1
            ts, g, args, stk, p, typ, off = (a[:on] for a in o)
            # moved rows that go before the last merged row (all of them at the end)
            if done:
                mj = n_m
            elif on:
                tl = int(ts[on - 1])
                mj = int(np.searchsorted(m_ts, tl, "left"))
                while mj < n_m and m_ts[mj] == tl and m_flag[mj] == 0:
                    mj += 1
            else:
                mj = mi
            if mj > mi:
                sl = slice(mi, mj)
                side_r = np.searchsorted(ts, m_ts[sl], "right")
                side_l = np.searchsorted(ts, m_ts[sl], "left")
                at = np.where(m_flag[sl] == 1, side_r, side_l)
                ts = np.insert(ts, at, m_ts[sl])
                g = np.insert(g, at, m_g[sl])
                args = np.insert(args, at, m_args[sl], axis=0)
                stk = np.insert(stk, at, m_stk[sl])
                p = np.insert(p, at, np.zeros(mj - mi, np.int32))
                typ = np.insert(typ, at, np.full(mj - mi, EV.GoSysExit, np.uint8))
                off = np.insert(off, at, m_off[sl])
                mi = mj
            else:
                ts, g, args, stk, p, typ, off = (a.copy() for a in (ts, g, args, stk, p, typ, off))
            n = ts.shape[0]
            if n:
                if post is None:
                    post = S.post_state(1024, self._dn)
                post = self._grow_regions(post, typ)
                st, post = S.post_chunk(ts, g, args, stk, p, typ, self._timer, self._stack_ids,
                                        self._stack_set, post)  # fmt: skip
                if st != K.OK:
                    raise StreamDeclined("post")
                if ts0 is None:
                    ts0 = int(ts[0])
                S.ticks_to_ns(ts, ts0, freq)
                log = np.flatnonzero(typ == EV.UserLog)
                for r in log.tolist():  # few: a loop per UserLog
                    args[r, 3] = self._log_of[int(args[r, 3])]
                yield V1Chunk(row0, ts, g, args, stk, p, typ, off)
                row0 += n
            released = self._release(released, self._low_water(state))
            if done:
                return

    def _grow_regions(self, post, typ):
        """post_chunk's region stack arrays hold one entry per UserRegion begin (grown here)."""
        reg_task = post[-4]
        need = int(post[-1][S.Q_NREG]) + int(np.count_nonzero(typ == EV.UserRegion)) + 1
        if need <= reg_task.shape[0]:
            return post
        cap = max(need, 2 * reg_task.shape[0])
        grown = []
        for a in post[-4:-1]:
            b = np.zeros(cap, a.dtype)
            b[: a.shape[0]] = a
            grown.append(b)
        return (*post[:-4], *grown, post[-1])

    def _low_water(self, state) -> int:
        """The lowest file byte a proc still has to read (its cursor or its next batch)."""
        pst = state[0]
        b_pos = self._batches[0]
        lo = self._buf.shape[0]
        for pr in range(self._pbs.shape[0] - 1):
            if pst[pr, S.P_DONE]:
                continue
            if pst[pr, S.P_CUR] < pst[pr, S.P_END]:
                lo = min(lo, int(pst[pr, S.P_CUR]))
            elif pst[pr, S.P_BK] < self._pbe[pr]:
                lo = min(lo, int(b_pos[self._pb[pst[pr, S.P_BK]]]))
        return lo
