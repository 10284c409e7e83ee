"""The fast path of the analyses: numpy per chunk around the numba kernels (L2).

Each class here has the interface and the results of its pure-Python reference
twin (checked equal by ``tests/analysis/test_fast_twins.py``):

* :class:`FastMutatorUtilization` ↔ ``_mmu_reference.MutatorUtilization``;
* :class:`FastProfileCollector` ↔ ``profiles.ProfileCollector``;
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
from goroscope.analysis.profiles import _STATE, ProfileCollector, ProfileRecord, track_reason
from goroscope.model.events import EventKind, EventTable, ResourceKind


def _grow(a: np.ndarray, n: int, fill=0) -> np.ndarray:
    if len(a) >= n:
        return a
    out = np.full(max(n, 2 * len(a)), fill, a.dtype)
    out[: len(a)] = a
    return out


class DenseIDs:
    """Go IDs (int64) → dense indices 0.. in order of first sight, kept across chunks."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.ids: list[int] = []

    def __len__(self) -> int:
        return len(self.ids)

    def map(self, ids: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """Dense index per element (-1 where ``ids`` is -1 or ``valid`` is False)."""
        ids = np.asarray(ids, np.int64)
        ok = ids != -1 if valid is None else valid & (ids != -1)
        out = np.full(len(ids), -1, np.int64)
        if not ok.any():
            return out
        uniq, inv = np.unique(ids[ok], return_inverse=True)
        dense = np.empty(len(uniq), np.int64)
        index = self.index
        for j, u in enumerate(uniq.tolist()):  # per distinct ID, not per event
            d = index.get(u)
            if d is None:
                d = index[u] = len(self.ids)
                self.ids.append(u)
            dense[j] = d
        out[ok] = dense[inv]
        return out


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
        s = ev.strings
        name = ev.name
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
        ng = len(self.gs)
        self.g_state = _grow(self.g_state, ng)
        self.g_in_gc = _grow(self.g_in_gc, ng)
        self.g_bg = _grow(self.g_bg, ng)
        gmp_rows = flags & K.F_GOMAXPROCS != 0
        n_gmp = int(gmp_rows.sum())
        if n_gmp:
            vals = ev.value[gmp_rows]
            top = int(vals[vals < (1 << 63)].max()) if (vals < (1 << 63)).any() else 0
            self.ps = _grow(self.ps, top + 1)
            self.procs_t = _grow(self.procs_t, int(self.state[4]) + n_gmp)
            self.procs_n = _grow(self.procs_n, int(self.state[4]) + n_gmp)
        self.times = _grow(self.times, self.n + n + 2)
        self.utils = _grow(self.utils, self.n + n + 2)
        self.n = K.mutator_util(
            kind,
            ev.time_ns,
            cur_g,
            ev.proc,
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

    def _handles(self, ev: EventTable, gen_idx: np.ndarray, stack_id: np.ndarray) -> np.ndarray:
        key = gen_idx.astype(np.int64) << 40 | stack_id.astype(np.int64)
        uniq, inv = np.unique(key, return_inverse=True)
        h = np.array(
            [self.stacks.handle(ev, int(u >> 40), int(u & ((1 << 40) - 1))) for u in uniq.tolist()],
            np.int64,
        )
        return h[inv] if len(uniq) else np.zeros(0, np.int64)

    def add(self, ev: EventTable, _summarizer=None) -> None:
        if self.cpu:
            m = ev.kind == EventKind.StackSample
            if m.any():
                h = self._handles(ev, ev.gen_idx[m], ev.stack_id[m])
                self.cpu_samples[0].extend(ev.time_ns[m].tolist())
                self.cpu_samples[1].extend(ev.goroutine[m].tolist())
                self.cpu_samples[2].extend(h.tolist())
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
        reasons = ev.reason[m]
        to = ev.state_to[m]
        t = ev.time_ns[m]
        for kind in self.kinds:
            self._track_t[kind] = tt = _grow(self._track_t[kind], ng, -1)
            self._track_h[kind] = th = _grow(self._track_h[kind], ng)
            match = self._match[kind](ev.strings, reasons)
            cap = len(m)
            og, oa, ob, oh = (np.empty(cap, np.int64) for _ in range(4))
            k = K.blocking_intervals(
                gidx, to, t, handles, match, _STATE[kind], tt, th, og, oa, ob, oh, 0
            )
            self._out[kind].append((og[:k], oa[:k], ob[:k], oh[:k]))

    def finish(self, analysis) -> dict[str, list[ProfileRecord]]:
        out: dict[str, list[ProfileRecord]] = {}
        gs = analysis.goroutines
        ids = np.asarray(self.gs.ids, np.int64)
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
