"""Reference mutator utilization: a literal port of Go's ``internal/trace/gc.go`` (L2, slow, exact).

What
----
:class:`MutatorUtilization` is ``MutatorUtilizationV2`` made incremental: fed
:class:`~goroscope.model.EventTable` chunks in order, it tracks GOMAXPROCS (the
``/sched/gomaxprocs:threads`` metric), stop-the-world GC ranges, sweep and mark
assist ranges per P, background mark workers (``GC (...)`` labels) and the
goroutines doing GC work, and records every change of mean utilization
(Go's ``addUtil``). Only the non-per-P mode (one series) is ported: it is what
``go tool trace`` and ``tracecount -summary`` use.

:class:`MMUCurve` ports ``NewMMUCurve``, ``MMU`` and ``Examples`` (the worst
windows), bands, integrators and all, so results equal Go's to the last bit.

What we deliberately don't do
-----------------------------
No ``UtilPerProc`` and no ``MUD`` (no caller needs them yet). The curve code
loops in Python over the utilization changes; it runs once per window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from goroscope.model.events import EventKind, EventTable, GoState, ResourceKind

UTIL_STW = 1
UTIL_BACKGROUND = 2
UTIL_ASSIST = 4
UTIL_SWEEP = 8
UTIL_ALL = UTIL_STW | UTIL_BACKGROUND | UTIL_ASSIST | UTIL_SWEEP

_K_SYNC = int(EventKind.Sync)
_K_METRIC = int(EventKind.Metric)
_K_LABEL = int(EventKind.Label)
_K_RB = int(EventKind.RangeBegin)
_K_RA = int(EventKind.RangeActive)
_K_RE = int(EventKind.RangeEnd)
_K_ST = int(EventKind.StateTransition)
_RK_G = int(ResourceKind.Goroutine)
_EXECUTING = (int(GoState.Running), int(GoState.Syscall))
_MAX_I64 = (1 << 63) - 1


def is_gc_stw(name: str) -> bool:
    return name.startswith("stop-the-world") and "GC" in name


class MutatorUtilization:
    """``MutatorUtilizationV2(events, flags)`` without ``UtilPerProc``, chunk by chunk.

    ``util`` : the series as two lists, ``times`` (int64 ns) and ``utils`` (float64).
    """

    def __init__(self, flags: int = UTIL_ALL):
        self.flags = flags
        self.times: list[int] = []
        self.utils: list[float] = []
        self.has_series = False
        self.stw = 0
        # gc count per P ID seen (every P shares series 0); Go's ``ps`` is a slice of
        # GOMAXPROCS zeroes, here only P IDs in [0, nps) that had a GC count are kept
        self.ps: dict[int, int] = {}
        self.nps = 0  # len(ps) in Go: the GOMAXPROCS metric (a denominator, not a size)
        self.in_gc: set[int] = set()
        self.states: dict[int, int] = {}
        self.bg_mark: set[int] = set()
        self.procs: list[tuple[int, int]] = []
        self.n_sync = 0
        self.last_time: int | None = None

    def _add_util(self, t: int, u: float) -> None:
        times, utils = self.times, self.utils
        if utils:
            if u == utils[-1]:
                return
            if t == times[-1]:
                if u < utils[-1]:
                    times[-1] = t
                    utils[-1] = u
                return
        times.append(t)
        utils.append(u)

    def add(self, ev: EventTable) -> None:  # noqa: C901 - Go's switch
        """Feed one chunk. Job thread."""
        flags = self.flags
        strings = ev.strings
        for kind, t, cur_g, cur_p, rk, rid, old, new, name, value in zip(
            ev.kind.tolist(),
            ev.time_ns.tolist(),
            ev.goroutine.tolist(),
            ev.proc.tolist(),
            ev.resource_kind.tolist(),
            ev.resource_id.tolist(),
            ev.state_from.tolist(),
            ev.state_to.tolist(),
            ev.name.tolist(),
            ev.value.tolist(),
            strict=True,
        ):
            self.last_time = t
            ps = self.ps
            if kind == _K_SYNC:
                self.n_sync = value
            elif kind == _K_METRIC and strings[name] == "/sched/gomaxprocs:threads":
                gmp = value if value < (1 << 63) else value - (1 << 64)
                if self.nps > gmp:
                    for pid in [q for q in ps if q >= gmp]:
                        del ps[pid]
                    self.nps = max(gmp, 0)
                if self.nps < gmp:
                    if not self.has_series:
                        self.has_series = True
                        self.times.append(t)
                        self.utils.append(1.0)
                    self.nps = gmp
                if not self.procs or gmp != self.procs[-1][1]:
                    self.procs.append((t, gmp))
            nps = self.nps
            if nps == 0:
                continue
            # Go indexes ps[ev.Proc()] and panics outside [0, GOMAXPROCS) (NoProc too):
            # such a P's GC work is not counted here
            p_ok = 0 <= cur_p < nps
            if kind in (_K_RA, _K_RB, _K_RE):
                rname = strings[name]
                stw = flags & UTIL_STW and is_gc_stw(rname)
                sweep = flags & UTIL_SWEEP and rname == "GC incremental sweep"
                assist = flags & UTIL_ASSIST and rname == "GC mark assist"
                if kind == _K_RA and self.n_sync > 1:
                    # A full generation was seen: the range is already known (Go: break).
                    stw = sweep = assist = False
                elif kind == _K_RA:
                    fix = False
                    if assist:
                        fix = self.states.get(cur_g, 0) in _EXECUTING
                    elif sweep:
                        fix = True
                    if fix:
                        self._subtract_one_proc()
                if kind == _K_RE:
                    d = -1
                else:
                    d = 1
                if stw:
                    self.stw += d
                elif sweep:
                    if p_ok:
                        ps[cur_p] = ps.get(cur_p, 0) + d
                elif assist:
                    if p_ok:
                        ps[cur_p] = ps.get(cur_p, 0) + d
                    if rk == _RK_G and rid != -1:
                        if d > 0:
                            self.in_gc.add(rid)
                        else:
                            self.in_gc.discard(rid)
            elif kind == _K_ST:
                if rk == _RK_G:
                    if rid in self.in_gc or rid in self.bg_mark:
                        was, now = old in _EXECUTING, new in _EXECUTING
                        if p_ok and not was and now:
                            ps[cur_p] = ps.get(cur_p, 0) + 1
                        elif p_ok and was and not now:
                            ps[cur_p] = ps.get(cur_p, 0) - 1
                    self.states[rid] = new
            elif kind == _K_LABEL and flags & UTIL_BACKGROUND:
                label = strings[name]
                if label.startswith("GC ") and label != "GC (idle)":
                    self.bg_mark.add(cur_g)
                    if p_ok:
                        ps[cur_p] = ps.get(cur_p, 0) + 1
            if self.stw > 0:
                gc_ps = nps
            else:
                gc_ps = sum(1 for x in ps.values() if x > 0)
            self._add_util(t, 1 - gc_ps / nps)

    def _subtract_one_proc(self) -> None:
        times, utils, procs = self.times, self.utils, self.procs
        mi = pi = 0
        while mi < len(times):
            if pi < len(procs) - 1 and procs[pi + 1][0] < times[mi]:
                pi += 1
                continue
            n = procs[pi][1]
            utils[mi] = utils[mi] - 1.0 / n if n > 0 else -math.inf  # Go: float 1/0 = +Inf
            if utils[mi] < 0:
                utils[mi] = 0.0
            mi += 1

    def finish(self) -> tuple[list[int], list[float]] | None:
        """The series, ending with utilization 0 at the last event; None without events."""
        if self.last_time is None:
            return None
        if self.nps:
            self._add_util(self.last_time, 0.0)
        return self.times, self.utils


@dataclass(slots=True)
class _Band:
    min_util: float
    cum_util: float
    pos: int  # the left-edge integrator's position


@dataclass(slots=True, order=True)
class UtilWindow:
    """Go's ``UtilWindow``: a window starting at ``time_ns`` with mean utilization ``util``."""

    time_ns: int
    util: float


class _Integrator:
    __slots__ = ("pos", "s")

    def __init__(self, s: _Series, pos: int = 0):
        self.s = s
        self.pos = pos

    def advance(self, time: int) -> float:
        times = self.s.times
        pos = self.pos
        n = len(times)
        if pos + 8 < n and times[pos + 8] > time:
            while pos + 1 < n and times[pos + 1] <= time:
                pos += 1
        else:
            lo, hi = pos, n
            while lo < hi:
                h = (lo + hi) >> 1
                if times[h] <= time:
                    lo = h + 1
                else:
                    hi = h
            pos = lo - 1
        self.pos = pos
        partial = 0.0
        if time != times[pos]:
            partial = self.s.utils[pos] * float(time - times[pos])
        return self.s.sums[pos] + partial

    def next(self, time: int) -> int:
        times = self.s.times
        for i in range(self.pos, len(times)):
            if times[i] > time:
                return times[i]
        return _MAX_I64


class _Series:
    def __init__(self, times: list[int], utils: list[float], bands_per_series: int = 1000):
        self.times = times
        self.utils = utils
        sums = []
        prev_t, prev_u = 0, 0.0
        acc = 0.0
        for t, u in zip(times, utils, strict=True):
            acc += prev_u * float(t - prev_t)
            sums.append(acc)
            prev_t, prev_u = t, u
        self.sums = sums
        num_bands = min(bands_per_series, len(times))
        dur = times[-1] - times[0]
        band_dur = (dur + num_bands - 1) // num_bands
        self.band_dur = max(band_dur, 1)
        self.bands: list[_Band] = []
        left = _Integrator(self)
        for i in range(num_bands + 1):
            start, end = self.band_time(i)
            cum = left.advance(start)
            min_util = 1.0
            j = left.pos
            while j < len(times) and times[j] < end:
                min_util = min(min_util, utils[j])
                j += 1
            self.bands.append(_Band(min_util, cum, left.pos))

    def band_time(self, i: int) -> tuple[int, int]:
        start = i * self.band_dur + self.times[0]
        return start, start + self.band_dur

    def band_utils(self, series: int, window: int) -> list[tuple[float, int, int]]:
        bd = self.band_dur
        min_bands = (window + bd - 1) // bd
        max_bands = (window + 2 * (bd - 1)) // bd
        tail = window % bd
        n = max(len(self.bands) - max_bands + 1, 0)
        out = []
        bands = self.bands
        for i in range(n):
            lft = bands[i].min_util
            r1 = bands[i + min_bands - 1].min_util
            r2 = bands[i + max_bands - 1].min_util
            mb = min(lft, min(r1, r2))
            if min_bands == 1:
                util = mb * float(window)
            else:
                util = mb * float(bd)
                mid = 0.0
                if mb == lft:
                    mid = min(r1, r2)
                elif mb == r1:
                    mid = min(lft, r2)
                elif mb == r2:
                    mid = min(lft, r1)
                util += mid * float(tail)
            if min_bands > 2:
                util += bands[i + min_bands - 1].cum_util - bands[i + 1].cum_util
            out.append((util / float(window), series, i))
        return out

    def band_mmu(self, idx: int, window: int, acc: _Accumulator) -> None:
        left = _Integrator(self, self.bands[idx].pos)
        right = _Integrator(self, self.bands[idx].pos)
        time, end = self.band_time(idx)
        util_end = self.times[-1] - window
        if util_end < end:
            end = util_end
        acc.last_time = _MAX_I64
        while True:
            mu = (right.advance(time + window) - left.advance(time)) / float(window)
            if acc.add_mu(time, mu, window):
                break
            if time == end:
                break
            min_time = time + _go_int((mu - acc.bound) * float(window))
            t1 = left.next(time)
            t2 = right.next(time + window) - window
            time = t1 if t1 < t2 else t2
            if time < min_time:
                time = min_time
            if time >= end:
                time = end


def _go_int(x: float) -> int:
    """Go's ``int64(float64)`` (truncation toward zero)."""
    return int(x) if math.isfinite(x) else 0


# --- container/heap, literally (the worst-window set depends on its order) ---


def _heap_up(h, j, less):
    while True:
        i = (j - 1) // 2
        if i == j or j <= 0 or not less(h, j, i):
            break
        h[i], h[j] = h[j], h[i]
        j = i


def _heap_down(h, i0, n, less) -> bool:
    i = i0
    while True:
        j1 = 2 * i + 1
        if j1 >= n or j1 < 0:
            break
        j = j1
        j2 = j1 + 1
        if j2 < n and less(h, j2, j1):
            j = j2
        if not less(h, j, i):
            break
        h[i], h[j] = h[j], h[i]
        i = j
    return i > i0


def _heap_init(h, less):
    n = len(h)
    for i in range(n // 2 - 1, -1, -1):
        _heap_down(h, i, n, less)


def _heap_push(h, x, less):
    h.append(x)
    _heap_up(h, len(h) - 1, less)


def _heap_pop(h, less):
    n = len(h) - 1
    h[0], h[n] = h[n], h[0]
    _heap_down(h, 0, n, less)
    return h.pop()


def _heap_remove(h, i, less):
    n = len(h) - 1
    if n != i:
        h[i], h[n] = h[n], h[i]
        if not _heap_down(h, i, n, less):
            _heap_up(h, i, less)
    return h.pop()


def _band_less(h, i, j):
    return h[i][0] < h[j][0]


def _util_less(h, i, j):
    a, b = h[i], h[j]
    if a.util != b.util:
        return a.util > b.util
    return a.time_ns > b.time_ns


class _Accumulator:
    def __init__(self, n_worst: int = 0):
        self.mmu = 1.0
        self.bound = 1.0
        self.n_worst = n_worst
        self.heap: list[UtilWindow] = []
        self.last_time = _MAX_I64

    def add_mu(self, time: int, mu: float, window: int) -> bool:
        if mu < self.mmu:
            self.mmu = mu
        self.bound = self.mmu
        if self.n_worst == 0:
            return mu == 0
        h = self.heap
        if len(h) < self.n_worst or mu < h[0].util:
            keep = False
            for i, ui in enumerate(h):
                if time + window > ui.time_ns and ui.time_ns + window > time:
                    if ui.util <= mu:
                        keep = True
                    else:
                        _heap_remove(h, i, _util_less)
                    break
            if not keep:
                _heap_push(h, UtilWindow(time, mu), _util_less)
                if len(h) > self.n_worst:
                    _heap_pop(h, _util_less)
        if len(h) < self.n_worst:
            self.bound = 1.0
        else:
            self.bound = max(self.bound, h[0].util)
        return len(h) == self.n_worst and h[0].util == 0


class MMUCurve:
    """Go's ``MMUCurve`` over one utilization series (``times`` ns, ``utils`` in [0, 1])."""

    def __init__(self, times: list[int], utils: list[float]):
        self.series = [_Series(list(times), list(utils))] if times else []

    def _run(self, window: int, acc: _Accumulator) -> None:
        if window <= 0:
            acc.mmu = 0.0
            return
        band_u: list[tuple[float, int, int]] = []
        windows = []
        for i, s in enumerate(self.series):
            w = min(window, s.times[-1] - s.times[0])
            windows.append(w)
            band_u.extend(s.band_utils(i, w))
        _heap_init(band_u, _band_less)
        while band_u and band_u[0][0] < acc.bound:
            _, i, b = band_u[0]
            self.series[i].band_mmu(b, windows[i], acc)
            _heap_pop(band_u, _band_less)

    def mmu(self, window_ns: int) -> float:
        """Minimum mutator utilization over all windows of ``window_ns``, in [0, 1]."""
        acc = _Accumulator()
        self._run(window_ns, acc)
        return acc.mmu

    def examples(self, window_ns: int, n: int) -> list[UtilWindow]:
        """Go's ``Examples``: up to ``n`` disjoint worst windows, worst first."""
        acc = _Accumulator(n)
        self._run(window_ns, acc)
        return sorted(acc.heap, key=lambda w: (w.util, w.time_ns))
