"""The fast path of the analyses: numpy per chunk around the numba kernels (L2).

Each class here has the interface and the results of its pure-Python reference
twin (checked equal by ``tests/analysis/test_fast_twins.py``):

* :class:`FastMutatorUtilization` ↔ ``_mmu_reference.MutatorUtilization``;
* :class:`FastProfileCollector` ↔ ``_profiles_reference.ProfileCollector``;
* :class:`FastSummarizer` ↔ ``_summary_reference.Summarizer``.

Per chunk, Python work is proportional to the *distinct* goroutines, procs,
strings and stacks of the chunk, never to its events: string codes become
per-row flags through lookup tables, Go IDs become dense indices through
``np.unique``, and the per-event loop runs in :mod:`goroscope.analysis._kernels`.
"""

from __future__ import annotations

import numpy as np

from goroscope.analysis import _kernels as K
from goroscope.analysis._mmu_reference import (
    UTIL_ALL,
    UTIL_ASSIST,
    UTIL_BACKGROUND,
    UTIL_STW,
    UTIL_SWEEP,
    is_gc_stw,
)
from goroscope.analysis._profiles_reference import ProfileCollector
from goroscope.analysis.profiles import _STATE, ProfileRecord, track_reason
from goroscope.model.events import NO_TASK, EventKind, EventTable, ResourceKind


def _grow(a: np.ndarray, n: int, fill=0) -> np.ndarray:
    if len(a) >= n:
        return a
    out = np.full(max(n, 2 * len(a)), fill, a.dtype)
    out[: len(a)] = a
    return out


class DenseIDs:
    """Go IDs (int64) → dense indices 0.. in order of first sight, kept across chunks.

    An open-addressing table in numba (:func:`_kernels.dense_map`): O(1) per element, so
    mapping a chunk's columns costs about as much as reading them. ``keep_none`` maps
    the ID -1 (NoProc) like any other.
    """

    def __init__(self, keep_none: bool = False) -> None:
        self.keep_none = keep_none
        self._key = np.zeros(1024, np.int64)
        self._val = np.zeros(1024, np.int64)
        self._used = np.zeros(1024, np.bool_)
        self._rev = np.zeros(512, np.int64)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    @property
    def ids(self) -> np.ndarray:
        """(n,) int64 — the Go ID of each dense index."""
        return self._rev[: self.n]

    def _reserve(self, more: int) -> None:
        need = self.n + more
        if len(self._rev) < need:
            rev = np.zeros(max(need, 2 * len(self._rev)), np.int64)
            rev[: self.n] = self._rev[: self.n]
            self._rev = rev
        # load factor up to 0.7 (was 0.5): 17 B per slot, so a million IDs took 71 MB per
        # table (2^22 slots), 36 MB now; the summary holds three such (goroutines, stack
        # IDs, (generation, stack) pairs) on a trace of 1 M distinct stacks
        if 10 * need > 7 * len(self._key):
            size = len(self._key)
            while 10 * need > 7 * size:
                size *= 2
            old = self.ids.copy()
            self._key = np.zeros(size, np.int64)
            self._val = np.zeros(size, np.int64)
            self._used = np.zeros(size, np.bool_)
            self.n = 0
            if len(old):
                K.dense_map(old, np.ones(len(old), np.bool_), True, self._key, self._val,
                            self._used, self._rev, 0)  # fmt: skip
                self.n = len(old)

    def map(self, ids: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """Dense index per element (-1 where ``valid`` is False or, unless ``keep_none``,
        where the ID is -1)."""
        ids = np.ascontiguousarray(ids, np.int64)
        if valid is None:
            valid = np.ones(len(ids), np.bool_)
        self._reserve(len(ids))
        out, self.n = K.dense_map(
            ids, valid, self.keep_none, self._key, self._val, self._used, self._rev, self.n
        )
        return out


class StackKeys:
    """(generation index, wire stack ID) pairs → dense indices 0.., collision-free.

    Stack IDs are any uint64 on the wire, so no fixed bit split of one int64 holds both
    (``gen << 40 | id`` turned a stack ID >= 2^40 into another generation). The stack ID
    is made dense first (fewer distinct IDs than rows held in memory, so < 2^32), then
    ``(gen_idx + 1) << 32 | dense stack`` (gen_idx is an int32 >= -1) is a second dense key.
    """

    def __init__(self) -> None:
        self._sid = DenseIDs(keep_none=True)
        self._pair = DenseIDs(keep_none=True)

    def __len__(self) -> int:
        return len(self._pair)

    def map(self, gen_idx: np.ndarray, stack_id: np.ndarray) -> np.ndarray:
        """Dense index per row."""
        ds = self._sid.map(np.ascontiguousarray(stack_id, np.uint64).view(np.int64))
        key = (gen_idx.astype(np.int64) + 1) << 32 | ds
        return self._pair.map(key)

    def pairs(self, start: int) -> list[tuple[int, int]]:
        """(gen_idx, stack ID) of the dense indices from ``start`` on (the new ones)."""
        u = self._pair.ids[start:]
        gen = (u >> 32) - 1
        sid = self._sid.ids[u & 0xFFFFFFFF].view(np.uint64)
        return list(zip(gen.tolist(), sid.tolist(), strict=True))


class GlobalStrings:
    """Chunk string codes → codes of one table for the whole trace.

    A reader may give every chunk its own ``strings`` (codes then differ between
    chunks) or one growing table (a later chunk's strings extend the earlier ones);
    both become stable codes here. Work per chunk is per *new* string.
    """

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}
        self.strings: list[str] = [""]
        self._last: tuple[str, ...] = ("",)
        self._map = np.zeros(1, np.int64)

    def remap(self, table: tuple[str, ...]) -> np.ndarray:
        """(len(table),) int64 — the global code of each of ``table``'s codes."""
        last = self._last
        if table is last:
            return self._map
        start = len(last) if len(table) >= len(last) and table[: len(last)] == last else 0
        m = self._map[:start] if start else np.zeros(0, np.int64)
        new = np.empty(len(table) - start, np.int64)
        index = self.index
        for j, text in enumerate(table[start:]):
            c = index.get(text)
            if c is None:
                c = index[text] = len(self.strings)
                self.strings.append(text)
            new[j] = c
        self._map = np.concatenate([m, new])
        self._last = table
        return self._map


def _code_table(strings: tuple[str, ...], pred) -> np.ndarray:
    return np.fromiter((pred(s) for s in strings), bool, len(strings))


class _CodeFlags:
    """A predicate over string codes, evaluated once per new string (codes are global)."""

    def __init__(self, pred) -> None:
        self.pred = pred
        self.table = np.zeros(0, bool)

    def __call__(self, strings: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
        n = len(self.table)
        if len(strings) > n:
            more = _code_table(strings[n:], self.pred)
            self.table = np.concatenate([self.table, more])
        return self.table[codes]


class FastMutatorUtilization:
    """``MutatorUtilizationV2`` (no ``UtilPerProc``) with the per-event loop in numba."""

    def __init__(self, flags: int = UTIL_ALL):
        self.flags = flags
        self.gs = DenseIDs()
        self.state = np.zeros(5, np.int64)
        self.pd = DenseIDs(keep_none=True)  # the proc IDs seen (not GOMAXPROCS of them)
        self.ps = np.zeros(16, np.int64)
        self.g_state = np.zeros(1024, np.uint8)
        self.g_in_gc = np.zeros(1024, np.bool_)
        self.g_bg = np.zeros(1024, np.bool_)
        self.procs_t = np.zeros(16, np.int64)
        self.procs_n = np.zeros(16, np.int64)
        self.times = np.zeros(1024, np.int64)
        self.utils = np.zeros(1024, np.float64)
        self.n = 0
        self.last_time: int | None = None
        self._str = GlobalStrings()
        f = flags
        self._gmp = _CodeFlags(lambda s: s == "/sched/gomaxprocs:threads")
        self._stw = _CodeFlags(lambda s: bool(f & UTIL_STW) and is_gc_stw(s))
        self._sweep = _CodeFlags(lambda s: bool(f & UTIL_SWEEP) and s == "GC incremental sweep")
        self._assist = _CodeFlags(lambda s: bool(f & UTIL_ASSIST) and s == "GC mark assist")
        self._bg = _CodeFlags(
            lambda s: bool(f & UTIL_BACKGROUND) and s.startswith("GC ") and s != "GC (idle)"
        )

    def add(self, ev: EventTable) -> None:
        n = len(ev)
        if n == 0:
            return
        self.last_time = int(ev.time_ns[-1])
        kind = ev.kind
        name = self._str.remap(ev.strings)[ev.name]
        s = self._str.strings
        is_metric = kind == EventKind.Metric
        is_range = (kind >= EventKind.RangeBegin) & (kind <= EventKind.RangeEnd)
        flags = np.zeros(n, np.uint8)
        flags |= np.where(is_metric & self._gmp(s, name), K.F_GOMAXPROCS, 0).astype(np.uint8)
        flags |= np.where(is_range & self._stw(s, name), K.F_STW, 0).astype(np.uint8)
        flags |= np.where(is_range & self._sweep(s, name), K.F_SWEEP, 0).astype(np.uint8)
        flags |= np.where(is_range & self._assist(s, name), K.F_ASSIST, 0).astype(np.uint8)
        flags |= np.where((kind == EventKind.Label) & self._bg(s, name), K.F_BG_LABEL, 0).astype(
            np.uint8
        )
        res_is_g = (ev.resource_kind == ResourceKind.Goroutine) & (
            (kind == EventKind.StateTransition) | is_range
        )
        res_g = self.gs.map(ev.resource_id, res_is_g)
        cur_g = self.gs.map(ev.goroutine)
        cur_p = self.pd.map(ev.proc)
        ng = len(self.gs)
        self.ps = _grow(self.ps, len(self.pd))
        self.g_state = _grow(self.g_state, ng)
        self.g_in_gc = _grow(self.g_in_gc, ng)
        self.g_bg = _grow(self.g_bg, ng)
        gmp_rows = flags & K.F_GOMAXPROCS != 0
        n_gmp = int(gmp_rows.sum())
        if n_gmp:
            self.procs_t = _grow(self.procs_t, int(self.state[4]) + n_gmp)
            self.procs_n = _grow(self.procs_n, int(self.state[4]) + n_gmp)
        self.times = _grow(self.times, self.n + n + 2)
        self.utils = _grow(self.utils, self.n + n + 2)
        self.n = K.mutator_util(
            kind,
            ev.time_ns,
            cur_g,
            cur_p,
            self.pd.ids,
            res_g,
            ev.state_from,
            ev.state_to,
            ev.value,
            flags,
            self.state,
            self.ps,
            self.g_state,
            self.g_in_gc,
            self.g_bg,
            self.procs_t,
            self.procs_n,
            self.times,
            self.utils,
            self.n,
        )

    def finish(self) -> tuple[list[int], list[float]] | None:
        if self.last_time is None:
            return None
        if self.state[2] > 0:
            self.times = _grow(self.times, self.n + 1)
            self.utils = _grow(self.utils, self.n + 1)
            self.n = K._add_util(self.times, self.utils, self.n, self.last_time, 0.0)
        return self.times[: self.n].tolist(), self.utils[: self.n].tolist()


class FastProfileCollector(ProfileCollector):
    """``ProfileCollector`` with the interval trackers in numba and the clipping in numpy."""

    def __init__(self, kinds: tuple[str, ...], tool_minor: int = 27):
        super().__init__(kinds, tool_minor)
        self.gs = DenseIDs()
        self._match = {k: _CodeFlags(lambda s, k=k: track_reason(k, s)) for k in self.kinds}
        self._track_t = {k: np.full(1024, -1, np.int64) for k in self.kinds}
        self._track_h = {k: np.zeros(1024, np.int64) for k in self.kinds}
        self._out = {k: [] for k in self.kinds}
        self._cpu_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._stack_keys = StackKeys()
        self._str = GlobalStrings()
        self._stack_handles = np.zeros(0, np.int64)  # per dense stack key

    def cpu_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._cpu_parts:
            return tuple(np.zeros(0, np.int64) for _ in range(3))
        return tuple(
            np.concatenate([p[j] for p in self._cpu_parts]).astype(np.int64) for j in range(3)
        )

    def _handles(self, ev: EventTable, gen_idx: np.ndarray, stack_id: np.ndarray) -> np.ndarray:
        """Stack handle per row; Python resolves each (generation, stack) once."""
        before = len(self._stack_keys)
        dense = self._stack_keys.map(gen_idx, stack_id)
        new = [
            self.stacks.new(ev, gen, sid)
            for gen, sid in self._stack_keys.pairs(before)  # new stacks only
        ]
        if new:
            self._stack_handles = np.concatenate([self._stack_handles, np.array(new, np.int64)])
        return self._stack_handles[dense] if len(dense) else dense

    def add(self, ev: EventTable, _summarizer=None) -> None:
        if self.cpu:
            m = ev.kind == EventKind.StackSample
            if m.any():
                h = self._handles(ev, ev.gen_idx[m], ev.stack_id[m])
                self._cpu_parts.append((ev.time_ns[m], ev.goroutine[m], h))
        if not self.kinds:
            return
        sel = (ev.kind == EventKind.StateTransition) & (ev.resource_kind == ResourceKind.Goroutine)
        if self.skip_no_stack:
            sel &= ev.stack_id != 0
        m = np.flatnonzero(sel)
        if len(m) == 0:
            return
        gidx = self.gs.map(ev.resource_id[m])
        ng = len(self.gs)
        handles = self._handles(ev, ev.gen_idx[m], ev.stack_id[m])
        reasons = self._str.remap(ev.strings)[ev.reason[m]]
        to = ev.state_to[m]
        t = ev.time_ns[m]
        for kind in self.kinds:
            self._track_t[kind] = tt = _grow(self._track_t[kind], ng, -1)
            self._track_h[kind] = th = _grow(self._track_h[kind], ng)
            match = self._match[kind](self._str.strings, reasons)
            cap = len(m)
            og, oa, ob, oh = (np.empty(cap, np.int64) for _ in range(4))
            k = K.blocking_intervals(
                gidx, to, t, handles, match, _STATE[kind], tt, th, og, oa, ob, oh, 0
            )
            # copies: a slice would pin the chunk-sized buffers (4 x 8 B per transition of
            # every chunk, for each kind: 11.7 GB on the 450 MB trace)
            self._out[kind].append(tuple(x[:k].copy() for x in (og, oa, ob, oh)))

    def samples_of(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        parts = self._out[kind]
        if not parts:
            return tuple(np.zeros(0, np.int64) for _ in range(4))
        gi, a, b, h = (np.concatenate([p[j] for p in parts]) for j in range(4))
        return self.gs.ids[gi].astype(np.int64), a, b, h

    def filtered_records(
        self, kind: str, intervals: dict[int, list[tuple[int, int]]] | None
    ) -> list[ProfileRecord]:
        goid, a, b, h = self.samples_of(kind)
        if intervals is None:
            o = b - a
        else:
            o = overlap_sums(goid, a, b, intervals)
        ok = o > 0
        return self._records(o[ok], h[ok])

    def _records(self, o: np.ndarray, hh: np.ndarray) -> list[ProfileRecord]:
        """Records of samples (overlap ``o`` > 0, stack handle ``hh``, in Go's order):
        merged by PCs, first-appearance order, frames of the latest merged stack."""
        key_of = np.asarray(self.stacks.key_of, np.int64)
        keys = key_of[hh] if len(hh) else np.zeros(0, np.int64)
        uniq, first, inv, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        totals = np.zeros(len(uniq), np.int64)
        np.add.at(totals, inv, o)
        last = np.zeros(len(uniq), np.int64)
        np.maximum.at(last, inv, np.arange(len(keys)))  # the latest sample per key
        order = np.argsort(first, kind="stable")
        return [
            ProfileRecord(self.stacks.frames[int(hh[last[j]])], int(counts[j]), int(totals[j]))
            for j in order.tolist()
        ]

    def finish(self, analysis) -> dict[str, list[ProfileRecord]]:
        out: dict[str, list[ProfileRecord]] = {}
        gs = analysis.goroutines
        ids = self.gs.ids
        lo = np.zeros(len(ids), np.int64)
        hi = np.zeros(len(ids), np.int64)
        known = np.zeros(len(ids), bool)
        for j, goid in enumerate(ids.tolist()):  # per goroutine
            g = gs.get(goid)
            if g is not None:
                known[j] = True
                lo[j] = g.start_ns
                hi[j] = g.end_ns if g.end_ns != 0 else analysis.last_ns
        key_of = np.asarray(self.stacks.key_of, np.int64)
        for kind in self.kinds:
            parts = self._out[kind]
            if parts:
                gi, a, b, h = (np.concatenate([p[j] for p in parts]) for j in range(4))
            else:
                gi = a = b = h = np.zeros(0, np.int64)
            ok = known[gi]
            glo, ghi = lo[gi], hi[gi]
            ok &= ~((ghi < a) | (b < glo))
            o = np.minimum(ghi, b) - np.maximum(glo, a)
            ok &= o > 0
            keys = key_of[h[ok]] if ok.any() else np.zeros(0, np.int64)
            o, hh = o[ok], h[ok]
            uniq, first, inv, counts = np.unique(
                keys, return_index=True, return_inverse=True, return_counts=True
            )
            totals = np.zeros(len(uniq), np.int64)
            np.add.at(totals, inv, o)
            last = np.zeros(len(uniq), np.int64)
            np.maximum.at(last, inv, np.arange(len(keys)))  # the latest sample per key
            # Go's map order is random; order records by first appearance like the reference
            order = np.argsort(first, kind="stable")
            out[kind] = [
                ProfileRecord(self.stacks.frames[int(hh[last[j]])], int(counts[j]), int(totals[j]))
                for j in order.tolist()
            ]
        if self.cpu:
            out["cpu"] = self.cpu_records()
        return out


def overlap_sums(
    goid: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    intervals: dict[int, list[tuple[int, int]]],
    block: int = 1 << 20,
) -> np.ndarray:
    """(n,) int64 — per sample ``[a, b)`` of goroutine ``goid``, the sum of its positive
    overlaps with that goroutine's ``intervals`` (Go's ``pprofOverlappingDuration``:
    intervals touching only at an end overlap by 0). Vectorised over (sample, interval)
    pairs, ``block`` pairs at a time."""
    n = len(goid)
    out = np.zeros(n, np.int64)
    if n == 0 or not intervals:
        return out
    keys = np.array(sorted(intervals), np.int64)
    lens = np.array([len(intervals[k]) for k in keys.tolist()], np.int64)
    flat = [iv for k in keys.tolist() for iv in intervals[k]]
    iv = np.array(flat, np.int64).reshape(-1, 2)
    off = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(lens, out=off[1:])
    j = np.minimum(np.searchsorted(keys, goid), len(keys) - 1)
    hit = keys[j] == goid
    cnt = np.where(hit, lens[j], 0)
    first = off[j]
    rows = np.flatnonzero(cnt)
    i = 0
    while i < len(rows):
        # rows[i:k] whose pairs fit in one block (at least one row)
        c = np.cumsum(cnt[rows[i:]])
        k = i + max(1, int(np.searchsorted(c, block, side="right")))
        r = rows[i:k]
        rep = np.repeat(r, cnt[r])
        within = np.arange(len(rep)) - np.repeat(np.cumsum(cnt[r]) - cnt[r], cnt[r])
        s, e = iv[first[rep] + within, 0], iv[first[rep] + within, 1]
        sa, sb = a[rep], b[rep]
        o = np.minimum(e, sb) - np.maximum(s, sa)
        o[(e < sa) | (sb < s) | (o < 0)] = 0
        np.add.at(out, rep, o)
        i = k
    return out


def _grow2(a: np.ndarray, rows: int, fill) -> np.ndarray:
    if a.shape[0] >= rows:
        return a
    out = np.full((max(rows, 2 * a.shape[0]), a.shape[1]), fill, a.dtype)
    out[: a.shape[0]] = a
    return out


class FastSummarizer:
    """Go's ``Summarizer`` with the per-event loop in numba (:func:`_kernels.summarize`).

    Same interface and results as ``_summary_reference.Summarizer``. Task, log and
    region rows (user annotations) are attached to their tasks in Python after the
    kernel ran over the chunk; everything else stays in arrays until :meth:`finalize`.
    """

    def __init__(self) -> None:
        self.gs = DenseIDs()
        self.ps = DenseIDs(keep_none=True)
        self.ps.map(np.array([-1, 0], np.int64))  # NoProc is dense 0, ProcID 0 dense 1
        self.ranges = DenseIDs()
        self.names: dict[str, int] = {"": 0}
        self.name_list: list[str] = [""]
        self.is_system = np.ones(1, np.bool_)
        self._root_keys = StackKeys()  # (generation, stack ID) keys
        self._root_name: list[int] = []  # new stacks of this chunk
        self._root_pc: list[int] = []
        self._root_arr = np.zeros((2, 0), np.int64)  # per dense stack key: name id, PC
        self._n_roots = 0  # columns of _root_arr in use (the rest is room)
        self.gi = np.zeros((0, K.GI_N), np.int64)
        self.mk = np.zeros(1024, np.int64)
        self.mv = np.zeros(1024, np.int64)
        self.mn = np.zeros(1024, np.int64)
        self.lk = np.zeros(256, np.int64)
        self.lt = np.zeros(256, np.int64)
        self.ln = np.zeros(256, np.int64)
        self.reg = np.zeros((256, K.R_N), np.int64)
        self.sk = np.zeros(1024, np.int64)
        self.sv = np.zeros(1024, np.int64)
        self.sysp = np.full(2, -1, np.int64)
        self.rangesp = np.full((2, 1), -1, np.int64)
        self.cnt = np.zeros(7, np.int64)
        self._forever = _CodeFlags(lambda s: s == "forever")
        self._str = GlobalStrings()
        self.strings = self._str.strings  # global codes (see GlobalStrings)
        self.tasks: dict = {}
        self._task_regions: dict[int, list[int]] = {}

    def _pmap(self, ids: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Dense proc index; NoProc (-1) is dense 0 and ProcID 0 dense 1 (Go's zero ProcID)."""
        return self.ps.map(ids, valid)

    def _roots(self, ev: EventTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(ev)
        root_name = np.full(n, -1, np.int64)
        root_pc = np.zeros(n, np.int64)
        if len(rows) == 0:
            return root_name, root_pc
        before = len(self._root_keys)
        dense = self._root_keys.map(ev.gen_idx[rows], ev.transition_stack_id[rows])
        from goroscope.analysis._summary_reference import is_system_goroutine

        for gen, sid in self._root_keys.pairs(before):  # per new distinct stack
            r = (-1, 0)
            if gen >= 0 and sid:
                frames = ev.generations[gen].frames(sid)
                if frames:
                    fn = frames[-1][1]
                    nid = self.names.get(fn)
                    if nid is None:
                        nid = self.names[fn] = len(self.name_list)
                        self.name_list.append(fn)
                        self.is_system = np.append(self.is_system, is_system_goroutine(fn))
                    r = (nid, int(np.uint64(frames[-1][0]).astype(np.int64)))
            self._root_name.append(r[0])
            self._root_pc.append(r[1])
        if len(self._root_name):  # new stacks: extend the lookup arrays (amortised)
            k, m = self._n_roots, len(self._root_name)
            if k + m > self._root_arr.shape[1]:
                grown = np.zeros((2, max(k + m, self._root_arr.shape[1] * 5 // 4, 1024)), np.int64)
                grown[:, :k] = self._root_arr[:, :k]
                self._root_arr = grown
            self._root_arr[0, k : k + m] = self._root_name
            self._root_arr[1, k : k + m] = self._root_pc
            self._n_roots = k + m
            self._root_name, self._root_pc = [], []
        un = self._root_arr[0][dense]
        up = self._root_arr[1][dense]
        root_name[rows] = un
        root_pc[rows] = up
        return root_name, root_pc

    def add(self, ev: EventTable) -> None:  # noqa: PLR0915 - columns for the kernel
        """Feed one chunk (Go's ``Summarizer.Event`` per row, in numba). Job thread."""
        n = len(ev)
        if n == 0:
            return
        gmap = self._str.remap(ev.strings)
        kind = ev.kind
        is_tr = kind == EventKind.StateTransition
        is_range = (kind >= EventKind.RangeBegin) & (kind <= EventKind.RangeEnd)
        rk_g = ev.resource_kind == ResourceKind.Goroutine
        rk_p = ev.resource_kind == ResourceKind.Proc
        res_g = self.gs.map(ev.resource_id, (is_tr | is_range) & rk_g)
        cur_g = self.gs.map(ev.goroutine)
        all_rows = np.ones(n, bool)
        cur_p = self._pmap(ev.proc, all_rows)
        res_p = self._pmap(ev.resource_id, (is_tr | is_range) & rk_p)
        reason = gmap[ev.reason]
        forever = self._forever(self.strings, reason)
        tr_rows = np.flatnonzero(is_tr & rk_g & (ev.transition_stack_id != 0))
        root_name, root_pc = self._roots(ev, tr_rows)
        range_idx = np.zeros(n, np.int64)
        rr = np.flatnonzero(is_range)
        name = gmap[ev.name]
        if len(rr):
            range_idx[rr] = self.ranges.map(name[rr])
        task_id = ev.task_id.view(np.int64)
        ng, npr, nr = len(self.gs), len(self.ps), max(len(self.ranges), 1)
        if self.gi.shape[0] < ng:
            old = self.gi.shape[0]
            # 1.25x: gi is 200 B per goroutine, doubling left up to 2x unused rows. Grown
            # in place (realloc: a big block is remapped, not copied), so the old and
            # the new table never coexist: copying 177 -> 222 MB on 1 M goroutines was
            # the summary's peak. Nothing else holds a view of gi here.
            self.gi.resize((max(ng, old + old // 4, 1024), K.GI_N), refcheck=False)
            gi = self.gi  # new rows are zero
            gi[old:, K.GI_SYSG_P] = -1
            gi[old:, K.GI_MAP_HEAD] = -1
            gi[old:, K.GI_LR_HEAD] = -1
            gi[old:, K.GI_TOP] = -1
        self.sysp = _grow(self.sysp, npr, -1)
        if self.rangesp.shape[0] < npr or self.rangesp.shape[1] < nr:
            rp = np.full(
                (max(npr, self.rangesp.shape[0]), max(nr, self.rangesp.shape[1])), -1, np.int64
            )
            rp[: self.rangesp.shape[0], : self.rangesp.shape[1]] = self.rangesp
            self.rangesp = rp
        row_region = np.full(n, -1, np.int64)
        row_fab = np.zeros(n, np.bool_)
        row = 0
        while True:
            status, row = K.summarize(
                row,
                kind,
                ev.time_ns,
                cur_g,
                cur_p,
                res_g,
                res_p,
                ev.state_from,
                ev.state_to,
                reason,
                forever,
                root_name,
                root_pc,
                range_idx,
                name,
                task_id,
                self.gi,
                self.mk,
                self.mv,
                self.mn,
                self.lk,
                self.lt,
                self.ln,
                self.reg,
                self.sk,
                self.sv,
                self.sysp,
                self.rangesp,
                self.is_system,
                self.cnt,
                row_region,
                row_fab,
            )
            if status == K.ST_OK:
                break
            g = int(res_g[row] if kind[row] == EventKind.StateTransition else cur_g[row])
            if g >= 0:
                need_n = 3 + int(self.gi[g, K.GI_NLR])
                need_s = (int(self.gi[g, K.GI_DEPTH]) + 3) * (
                    int(self.gi[g, K.GI_NMAP]) + int(self.gi[g, K.GI_NLR]) + 2
                )
            else:
                need_n, need_s = 3, 4
            if not self._grow_pools(need_n, 2, 2, need_s):  # never: the check is the kernel's
                self._grow_pools(len(self.mk), len(self.lk), self.reg.shape[0], len(self.sk))
        self._annotations(ev, row_region, row_fab)

    def _grow_pools(self, need_n: int, need_lr: int, need_reg: int, need_s: int) -> bool:
        """Grow (1.25x) only the pools short of the kernel's capacity check: the
        region rows (192 B each) and the per-goroutine nodes dominate the memory, and
        doubling all of them whenever one ran short cost GBs on 2 M goroutines (a
        doubled node pool also left up to half of its 24 B per node unused)."""
        cnt = self.cnt
        grew = False
        for names, used, need in (
            (("mk", "mv", "mn"), int(cnt[K.C_MAPS]), need_n),
            (("lk", "lt", "ln"), int(cnt[K.C_LR]), need_lr),
            (("sk", "sv"), int(cnt[K.C_SNAP]), need_s),
        ):
            for a in names:
                v = getattr(self, a)
                if used + need > len(v):
                    n = max(len(v) + len(v) // 4, used + need)
                    out = np.zeros(n, v.dtype)
                    out[: len(v)] = v
                    setattr(self, a, out)
                    grew = True
        if int(cnt[K.C_REG]) + need_reg > self.reg.shape[0]:
            old = self.reg.shape[0]  # 1.25x: a region row is 192 B (one per goroutine here)
            reg = np.zeros((max(old + old // 4, int(cnt[K.C_REG]) + need_reg), K.R_N), np.int64)
            reg[:old] = self.reg
            self.reg = reg
            grew = True
        return grew

    def _task(self, task_id: int):
        from goroscope.analysis._summary_reference import TaskSummary

        t = self.tasks.get(task_id)
        if t is None:
            t = self.tasks[task_id] = TaskSummary(task_id)
            self._task_regions[task_id] = []
        return t

    def _annotations(self, ev: EventTable, row_region: np.ndarray, row_fab: np.ndarray) -> None:
        """Tasks and logs, and regions' tasks: one step per annotation row (OPT: these rows
        each make an output object anyway; a columnar task table would avoid it)."""
        from goroscope.analysis._summary_reference import LogRecord

        kind = ev.kind
        rows = np.flatnonzero((kind >= EventKind.TaskBegin) & (kind <= EventKind.Log))
        if len(rows) == 0:
            return
        s = ev.strings
        for i, k, t, g, tid, ptid, nm, msg, r, fab in zip(
            rows.tolist(),
            kind[rows].tolist(),
            ev.time_ns[rows].tolist(),
            ev.goroutine[rows].tolist(),
            ev.task_id[rows].tolist(),
            ev.parent_task_id[rows].tolist(),
            ev.name[rows].tolist(),
            ev.message[rows].tolist(),
            row_region[rows].tolist(),
            row_fab[rows].tolist(),
            strict=True,
        ):
            del i
            if k == EventKind.RegionBegin:
                if r >= 0:
                    self._task(tid).goroutines.add(g)
                    self._task_regions[tid].append(r)
            elif k == EventKind.RegionEnd:
                if fab:
                    self._task(tid).goroutines.add(g)
                    self._task_regions[tid].append(r)
            elif k in (EventKind.TaskBegin, EventKind.TaskEnd):
                task = self._task(tid)
                task.name = s[nm]
                task.goroutines.add(g)
                if k == EventKind.TaskBegin:
                    task.start_ns = t
                else:
                    task.end_ns = t
                if ptid != NO_TASK and task.parent is None:
                    parent = self._task(ptid)
                    task.parent = ptid
                    parent.children.append(tid)
            else:
                task = self._task(tid)
                task.goroutines.add(g)
                task.logs.append(LogRecord(t, g, s[nm], s[msg]))

    @property
    def last_ts(self) -> int:
        return int(self.cnt[K.C_LAST])

    def finish(self) -> None:
        """Go's ``Finalize`` on the arrays (idempotent); :meth:`finalize` then builds objects."""
        if getattr(self, "_finished", False):
            return
        self._finished = True
        ng = len(self.gs)
        # the final finalize may add one node per pending block/range and copy region maps
        while True:
            need_n = int(self.cnt[K.C_MAPS]) + 2 * ng + int(self.gi[:ng, K.GI_NLR].sum()) + 2
            per_g = (self.gi[:ng, K.GI_DEPTH] + 2) * (
                self.gi[:ng, K.GI_NMAP] + self.gi[:ng, K.GI_NLR] + 2
            )
            need_s = int(self.cnt[K.C_SNAP]) + int(per_g.sum()) + 2
            if need_n <= len(self.mk) and need_s <= len(self.sk):
                break
            used_n, used_s = int(self.cnt[K.C_MAPS]), int(self.cnt[K.C_SNAP])
            self._grow_pools(need_n - used_n, 0, 0, need_s - used_s)
        K.summarize_finalize(
            self.gi, ng, self.mk, self.mv, self.mn, self.lk, self.lt, self.ln,
            self.reg, self.sk, self.sv, self.cnt, self.is_system,
        )  # fmt: skip

    def tracecount_summary(self) -> dict:
        """The goroutine, region and task keys of ``tracecount -summary`` straight from the
        arrays (numpy per goroutine/node, no Python object per goroutine or region)."""

        self.finish()
        s = self.strings
        ng = len(self.gs)
        gi = self.gi[:ng]
        ex = np.flatnonzero(gi[:, K.GI_EXISTS])
        out: dict = {"goroutines": len(ex), "groups": {}, "totals_ns": {}, "range_ns": {}}
        out["regions"], out["region_exec_ns"] = {}, {}
        names = np.asarray(self.name_list, dtype=object)
        nid, counts = np.unique(gi[ex, K.GI_NAME], return_counts=True)
        for i, c in zip(nid.tolist(), counts.tolist(), strict=True):
            out["groups"][names[i]] = out["groups"].get(names[i], 0) + c
        own, key, val = K.collect_nodes(self.gi, ng, self.mk, self.mv, self.mn)
        blk = (key & 1) == 0
        totals = out["totals_ns"]
        if len(ex):
            # column by column (gi[ex] copied every column: 0.4 GB on 2 M goroutines)
            block_g = np.zeros(ng, np.int64)
            np.add.at(block_g, own[blk], val[blk])
            known = block_g[ex]
            del block_g
            for c, name in (
                (K.GI_EXEC, "Execution time"),
                (K.GI_SCHED, "Sched wait time"),
                (K.GI_SYSCALL, "Syscall execution time"),
                (K.GI_SYSBLOCK, "Block time (syscall)"),
            ):
                v = gi[ex, c]
                known += v
                totals[name] = int(v.sum())
            total = gi[ex, K.GI_TOTAL]
            totals["Unknown time"] = int(np.where(known < total, total - known, 0).sum())
            totals["Total time"] = int(total.sum())
            del known, total
        for mask, prefix, dest in ((blk, "Block time (", totals), (~blk, "", out["range_ns"])):
            codes, inv = np.unique(key[mask] >> 1, return_inverse=True)
            sums = np.zeros(len(codes), np.int64)
            np.add.at(sums, inv, val[mask])
            for c, v in zip(codes.tolist(), sums.tolist(), strict=True):
                k = prefix + s[c] + ")" if prefix else s[c]
                dest[k] = dest.get(k, 0) + v
        reg = self.reg[: int(self.cnt[K.C_REG])]
        if len(reg):
            live = (reg[:, K.R_DONE] >= 0) & (
                reg[:, K.R_EPOCH] == self.gi[reg[:, K.R_G], K.GI_EPOCH]
            )
            codes, inv = np.unique(reg[live, K.R_NAME], return_inverse=True)
            cnt = np.bincount(inv, minlength=len(codes))
            exe = np.zeros(len(codes), np.int64)
            np.add.at(exe, inv, reg[live, K.R_F0])
            for c, n, e in zip(codes.tolist(), cnt.tolist(), exe.tolist(), strict=True):
                out["regions"][s[c]] = out["regions"].get(s[c], 0) + n
                out["region_exec_ns"][s[c]] = out["region_exec_ns"].get(s[c], 0) + e
        out["g_stats_sha256"] = self._g_stats_digest(ex)
        return out

    def _g_stats_digest(self, ex: np.ndarray) -> str:
        """SHA-256 of tracecount's sorted g_stats lines, hashed block by block in their
        sorted order (no list of every line: ~0.3 GB of bytes objects on 2 M goroutines).

        Go sorts the lines bytewise; each begins with the goroutine's decimal ID and a
        space, and IDs are unique, so the order is that of the ID *strings*: compare the
        digits left-aligned, and a shorter ID that is a prefix of a longer one first
        (its space sorts before any digit).
        """
        import hashlib

        from goroscope.analysis.summary import go_quote

        quoted = [
            go_quote(n).encode("utf-8", "surrogateescape") for n in self.name_list
        ]  # per name id
        cols = [K.GI_NAME, K.GI_CREATION, K.GI_START, K.GI_END, K.GI_EXEC, K.GI_SCHED,
                K.GI_SYSCALL, K.GI_TOTAL]  # fmt: skip
        goids = self.gs.ids[ex].astype(np.int64)
        if len(goids) and (int(goids.min()) < 0 or int(goids.max()) >= 10**18):
            order = np.array(  # rare: sort the ID strings themselves
                sorted(range(len(goids)), key=lambda i: str(int(goids[i])).encode()), np.int64
            )
        else:
            digits = np.ones(len(goids), np.int64)
            for k in range(1, 18):
                digits += goids >= 10**k
            left = goids * (10 ** (18 - digits))  # digits left-aligned
            order = np.lexsort((digits, left))
        rows_sorted = ex[order]
        h = hashlib.sha256()
        step = 1 << 16
        ids = self.gs.ids
        gi = self.gi
        for a in range(0, len(rows_sorted), step):
            rows = rows_sorted[a : a + step]
            h.update(
                b"".join(
                    b"%d %s %d %d %d %d %d %d %d\n"
                    % (goid, quoted[r[0]], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
                    for goid, r in zip(ids[rows].tolist(), gi[rows][:, cols].tolist(), strict=True)
                )
            )
        return h.hexdigest()

    def finalize(self):
        """Go's ``Finalize``; returns ``(goroutines, tasks)`` like the reference."""
        from goroscope.analysis._summary_reference import (
            ExecStats,
            GoroutineSummary,
            RegionSummary,
        )

        self.finish()
        ng = len(self.gs)
        s = self.strings

        def maps(off: int, length: int) -> tuple[dict[str, int], dict[str, int]]:
            block: dict[str, int] = {}
            rng: dict[str, int] = {}
            for key, v in zip(
                self.sk[off : off + length].tolist(),
                self.sv[off : off + length].tolist(),
                strict=True,
            ):
                (rng if key & 1 else block)[s[key >> 1]] = v
            return block, rng

        gi = self.gi
        reg = self.reg[: int(self.cnt[K.C_REG])]
        regions: dict[int, RegionSummary] = {}

        def region(r: int) -> RegionSummary:
            obj = regions.get(r)
            if obj is None:
                row = reg[r].tolist()
                done = row[K.R_DONE] >= 0
                if done:
                    sc = row[K.R_F0 : K.R_F0 + 5]
                    block, rng = maps(row[K.R_FIN_OFF], row[K.R_FIN_LEN])
                else:
                    sc = row[K.R_S0 : K.R_S0 + 5]
                    block, rng = maps(row[K.R_BASE_OFF], row[K.R_BASE_LEN])
                obj = regions[r] = RegionSummary(
                    row[K.R_TASK] & ((1 << 64) - 1),
                    s[row[K.R_NAME]],
                    row[K.R_START] if row[K.R_HAS_START] else None,
                    row[K.R_END] if row[K.R_HAS_END] else None,
                    ExecStats(sc[0], sc[1], block, sc[2], sc[3], sc[4], rng),
                )
            return obj

        by_g: dict[int, list[int]] = {}
        if len(reg):
            live = reg[:, K.R_DONE] >= 0
            owner = reg[:, K.R_G]
            live &= reg[:, K.R_EPOCH] == gi[owner, K.GI_EPOCH]
            idx = np.flatnonzero(live)
            idx = idx[np.argsort(reg[idx, K.R_DONE], kind="stable")]
            for r, g in zip(idx.tolist(), owner[idx].tolist(), strict=True):
                by_g.setdefault(g, []).append(r)
        out: dict[int, GoroutineSummary] = {}
        node_k, node_v, node_n = self.mk, self.mv, self.mn
        goids = self.gs.ids.tolist()
        for g in np.flatnonzero(gi[:ng, K.GI_EXISTS]).tolist():  # per goroutine
            row = gi[g].tolist()
            block: dict[str, int] = {}
            rng: dict[str, int] = {}
            j = row[K.GI_MAP_HEAD]
            while j >= 0:
                key = int(node_k[j])
                (rng if key & 1 else block)[s[key >> 1]] = int(node_v[j])
                j = int(node_n[j])
            goid = goids[g]
            stats = ExecStats(
                row[K.GI_EXEC], row[K.GI_SCHED], block, row[K.GI_SYSCALL],
                row[K.GI_SYSBLOCK], row[K.GI_TOTAL], rng,
            )  # fmt: skip
            gs = GoroutineSummary(
                goid,
                name=self.name_list[row[K.GI_NAME]],
                pc=row[K.GI_PC] & ((1 << 64) - 1),
                creation_ns=row[K.GI_CREATION],
                start_ns=row[K.GI_START],
                end_ns=row[K.GI_END],
                stats=stats,
            )
            gs.regions = [region(r) for r in by_g.get(g, [])]
            gs.regions.sort(key=lambda x: (x.start_ns is not None, x.start_ns or 0))
            gs.live = False
            gs.last_range = None
            out[goid] = gs
        for tid, task in self.tasks.items():
            task.regions = [region(r) for r in self._task_regions[tid]]
        return out, self.tasks
