"""Pure-Python port of Go's old-format parser (``tracev1.Parse``): the reference twin (L0).

A line-by-line port of GOROOT ``src/internal/trace/internal/tracev1/parser.go``
and ``order.go`` (Go 1.27.3), in the same steps:

1. ``collect_batches``: one pass over the file recording each P's batch offsets
   and the CPU samples (Go's ``collectBatchesAndCPUSamples``);
2. ``parse_event_batches``: the per-P batches are loaded lazily and merged into
   one stream: each P's next event joins the frontier (a min-heap on the raw
   timestamp, Go's ``orderEventList``) once its goroutine's sequence/state
   allows it (``stateTransition``/``transitionReady``); ``GoSysExit`` gets its
   real timestamp; the stream is stable-sorted by time;
3. ticks → ns from the first event, timer unblocks and syscall exits to fake Ps;
4. ``post_process``: Go's consistency checks (``postProcessTrace``).

Every error Go's parser returns becomes a :class:`TraceFormatError` with Go's
message, the byte offset where it was found, and ``generation=None`` (the old
format has no generations). Go iterates its map of Ps in random order; we take
the Ps in order of their first batch in the file (events with equal timestamps
on different Ps may therefore come out in another order than in one run of Go).

Slow (a Python loop per event and per byte): the twin of the numba kernels and
for small traces. No model imports (layer L0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from goroscope.format.errors import TraceFormatError
from goroscope.format.v1.columns import V1Trace
from goroscope.format.v1.spec import (
    DESCRIPTIONS,
    EV,
    GC_P,
    NETPOLL_P,
    PROFILE_P,
    SYSCALL_P,
    TIMER_P,
    arg_num,
)

__all__ = ["parse", "uvarint"]

_M64 = (1 << 64) - 1
_MAXINT32 = (1 << 31) - 1
_SKIP_ARGS = 1
_SKIP_STRINGS = 2
ERR_VARINT = "malformatted base-128 varint"
ERR_TIME_ORDER = "time stamps out of order"

# event list indices (one Python list per event: [ts, g, a0, a1, a2, a3, stk, p, typ, off])
TS, G, A0, A1, A2, A3, STK, P, TYP, OFF = range(10)

# goroutine status of the merge (order.go) and of post-processing
_G_DEAD, _G_RUNNABLE, _G_RUNNING, _G_WAITING = 0, 1, 2, 3
_UNORDERED = _M64
_GARBAGE = _M64 - 1
_NOSEQ = _M64
_SEQINC = _M64 - 1


def _i64(x: int) -> int:
    x &= _M64
    return x - (1 << 64) if x >> 63 else x


def _i32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


def uvarint(data, off: int) -> tuple[int, int]:
    """Go's ``binary.Uvarint(data[off:])``: (value, bytes read); n == 0 short, n < 0 overflow."""
    x = 0
    s = 0
    n = len(data)
    for i in range(10):
        if off + i >= n:
            return 0, 0
        b = data[off + i]
        if b < 0x80:
            if i == 9 and b > 1:
                return 0, -(i + 1)
            return x | (b << s), i + 1
        x |= (b & 0x7F) << s
        s += 7
    return 0, -11


class _EOF(Exception):
    pass


class _Proc:
    __slots__ = ("done", "events", "pid", "pos")

    def __init__(self, pid: int, events: list | None = None) -> None:
        self.pid = pid
        self.events = events if events is not None else []
        self.pos = 0
        self.done = False


def _go_float_to_int64(f: float) -> int:
    """Go's ``int64(f)`` on amd64: truncation; NaN and out of range give INT64_MIN."""
    if f != f or f >= 9.223372036854775807e18 or f < -9.223372036854775808e18:
        return -(1 << 63)
    return int(f)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def event_string(ev: list) -> str:
    """Go's ``tracev1.Event.String()``."""
    d = DESCRIPTIONS[ev[TYP]]
    out = f"{ev[TS]} {d.name} p={ev[P]} g={ev[G]} stk={ev[STK]}"
    for i, a in enumerate(d.args):
        out += f" {a}={ev[A0 + i]}"
    return out


class Parser:
    """Go's ``tracev1.parser`` over ``data`` (the whole file; parsing starts at ``start``)."""

    def __init__(
        self,
        data,
        version: int,
        start: int,
        sort_func: Callable[[list, Callable], None] | None = None,
    ) -> None:
        self.data = data
        self.n = len(data)
        self.ver = version
        self.start = start
        self.off = start
        self.sort_func = sort_func
        self.strings: dict[int, bytes] = {}
        self.inline_strings: list[bytes] = []
        self.inline_map: dict[bytes, int] = {}
        self.batch_offsets: dict[int, list[int]] = {}
        self.stacks: dict[int, tuple[int, ...]] = {}
        self.pcs: dict[int, tuple[int, int, int]] = {}
        self.ticks_per_sec = 0
        self.cpu_samples: list[list] = []
        self.timer_goids: set[int] = set()
        self.last_ts = 0
        self.last_g = 0
        self.last_gs: dict[int, int] = {}
        self.last_p = 0
        self.ev_off = start  # offset of the raw event being read (error offsets)

    # --- errors

    def _err(self, msg: str, offset: int | None = None) -> TraceFormatError:
        return TraceFormatError(
            msg, offset=self.ev_off if offset is None else offset, generation=None
        )

    # --- byte level

    def _read_val(self) -> int | None:
        v, n = uvarint(self.data, self.off)
        if n <= 0:
            return None
        self.off += n
        return v

    def _discard(self, n: int) -> bool:
        if n > (1 << 63) - 1:
            return False
        noff = self.off + n
        if noff > self.n:
            return False
        self.off = noff
        return True

    def _read_full(self, n: int) -> bytes | None:
        if self.off >= self.n or self.off + n > self.n:
            return None
        b = bytes(self.data[self.off : self.off + n])
        self.off += n
        return b

    def _read_str(self) -> bytes:
        sz = self._read_val()
        if sz is None:
            raise self._err(ERR_VARINT)
        if sz == 0:
            return b""
        if sz > 1_000_000:
            raise self._err(f"string is too large (len={sz})")
        buf = self._read_full(sz)
        if buf is None:
            raise self._err("failed to read trace: unexpected EOF")
        return buf

    def read_raw_event(self, flags: int):
        """Go's ``readRawEvent``: (typ, args, sargs, batch_pid, batch_offset); _EOF at the end."""
        self.ev_off = self.off
        if self.off >= self.n:
            raise _EOF
        b = self.data[self.off]
        self.off += 1
        typ = b & 0x3F
        narg = (b >> 6) + 1
        if typ == EV.None_ or typ >= EV.Count or DESCRIPTIONS[typ].min_version > self.ver:
            raise self._err(f"unknown event type {typ}")
        if typ == EV.String:
            if flags & _SKIP_STRINGS:
                if self._read_val() is None:
                    raise self._err(ERR_VARINT)
                ln = self._read_val()
                if ln is None:
                    raise self._err(ERR_VARINT)
                if not self._discard(ln):
                    raise self._err("failed to read trace: EOF")
            else:
                sid = self._read_val()
                if sid is None:
                    raise self._err(ERR_VARINT)
                if sid == 0:
                    raise self._err("string has invalid id 0")
                if self.strings.get(sid, b"") != b"":
                    raise self._err(f"string has duplicate id {sid}")
                ln = self._read_val()
                if ln is None:
                    raise self._err(ERR_VARINT)
                if ln == 0:
                    raise self._err("string has invalid length 0")
                if ln > 1_000_000:
                    raise self._err(f"string has too large length {ln}")
                buf = self._read_full(ln)
                if buf is None:
                    raise self._err("failed to read trace: unexpected EOF")
                self.strings[sid] = buf
            return EV.None_, [], None, 0, 0
        if typ == EV.Batch:
            if narg != 2:
                raise self._err(f"EvBatch has wrong number of arguments: got {narg}, want 2")
            off = self.off - 1
            pid = self._read_val()
            if pid is None:
                raise self._err(ERR_VARINT)
            if pid != _M64 and pid > _MAXINT32:
                raise self._err(f"processor ID {pid} is larger than maximum of {_M64}")
            pid32 = -1 if pid == _M64 else pid
            v = self._read_val()
            if v is None:
                raise self._err(ERR_VARINT)
            return EV.Batch, [pid, v], None, pid32, off
        args: list[int] = []
        sarg = None
        if narg <= 3:
            for _ in range(narg):
                v = self._read_val()
                if v is None:
                    raise self._err(f"failed to read event {typ} argument: {ERR_VARINT}")
                args.append(v)
        else:
            v = self._read_val()
            if v is None:
                raise self._err(f"failed to read event {typ} argument: {ERR_VARINT}")
            if v > 2048:
                raise self._err(
                    f"failed to read event {typ} argument: length-prefixed argument too "
                    f"big: {v} bytes, limit is 2048"
                )
            if not (flags & _SKIP_ARGS) or typ == EV.CPUSample:
                buf = self._read_full(v)
                if buf is None:
                    raise self._err("failed to read trace: unexpected EOF")
                pos = 0
                while pos < len(buf):
                    x, k = uvarint(buf, pos)
                    if k <= 0:
                        raise self._err(ERR_VARINT)
                    args.append(x)
                    pos += k
            elif not self._discard(v):
                raise self._err("failed to read trace: EOF")
            if typ == EV.UserLog:
                if not (flags & _SKIP_ARGS):
                    sarg = self._read_str()
                else:
                    v = self._read_val()
                    if v is None:
                        raise self._err(ERR_VARINT)
                    if not self._discard(v):
                        raise _EOF  # NOTE: Go returns io.EOF here (ends the first pass)
        return typ, args, sarg, 0, 0

    # --- pass 1

    def collect_batches(self) -> None:
        cur_p = 0
        while True:
            try:
                typ, args, _s, pid, boff = self.read_raw_event(_SKIP_ARGS | _SKIP_STRINGS)
            except _EOF:
                break
            if typ == EV.None_:
                continue
            if typ == EV.Batch:
                self.batch_offsets.setdefault(pid, []).append(boff)
                cur_p = pid
            if not self.batch_offsets.get(cur_p):
                raise self._err(
                    f"read event {typ} with current P of {cur_p}, but P has no batches yet"
                )
            if typ == EV.CPUSample:
                narg = arg_num(typ, len(args))
                if len(args) != narg:
                    raise self._err(
                        f"CPU sample has wrong number of arguments: want {narg}, got {len(args)}"
                    )
                # Args = [0, p, g, 0] after Go's shuffling; Ts = real ts, P = int32(p), G = g
                self.cpu_samples.append(
                    [_i64(args[1]), args[3], 0, args[2], args[3], 0, args[4] & 0xFFFFFFFF,
                     _i32(args[2]), EV.CPUSample, self.ev_off]
                )  # fmt: skip

    # --- pass 2

    def load_batch(self, pid: int) -> list[list]:
        offsets = self.batch_offsets.get(pid)
        if not offsets:
            raise _EOF
        offset = offsets.pop(0)
        self.off = offset
        events: list[list] = []
        got_header = False
        while True:
            try:
                typ, args, sarg, _pid, _boff = self.read_raw_event(0)
            except _EOF:
                break
            if typ == EV.None_ or typ == EV.CPUSample:
                continue
            if typ == EV.Batch:
                if got_header:
                    break
                got_header = True
            ev = self.parse_event(typ, args, sarg)
            if ev is not None:
                events.append(ev)
        return events

    def parse_event(self, typ: int, args: list[int], sarg: bytes | None) -> list | None:
        desc = DESCRIPTIONS[typ]
        narg = arg_num(typ, len(args))
        if len(args) != narg:
            raise self._err(
                f"{desc.name} has wrong number of arguments: want {narg}, got {len(args)}"
            )
        if typ == EV.Batch:
            self.last_gs[self.last_p] = self.last_g
            if args[0] != _M64 and args[0] > _MAXINT32:
                raise self._err(f"processor ID {args[0]} is larger than maximum of {_MAXINT32}")
            self.last_p = -1 if args[0] == _M64 else args[0]
            self.last_g = self.last_gs.get(self.last_p, 0)
            self.last_ts = _i64(args[1])
            return None
        if typ == EV.Frequency:
            self.ticks_per_sec = _i64(args[0])
            if self.ticks_per_sec <= 0:
                raise self._err(ERR_TIME_ORDER)
            return None
        if typ == EV.TimerGoroutine:
            self.timer_goids.add(args[0])
            return None
        if typ == EV.Stack:
            if len(args) < 2:
                raise self._err(
                    f"EvStack has wrong number of arguments: want at least 2, got {len(args)}"
                )
            size = args[1]
            if size > 1000:
                raise self._err(f"EvStack has bad number of frames: {size}")
            want = 2 + 4 * size
            if len(args) != want:
                raise self._err(
                    f"EvStack has wrong number of arguments: want {want}, got {len(args)}"
                )
            sid = args[0] & 0xFFFFFFFF
            if sid != 0 and size > 0:
                stk = []
                for i in range(size):
                    pc, fn, fl, line = args[2 + 4 * i : 6 + 4 * i]
                    stk.append(pc)
                    if pc not in self.pcs:
                        self.pcs[pc] = (fn, fl, _i64(line))
                self.stacks[sid] = tuple(stk)
            return None
        # (CPUSample never gets here: load_batch skips it)
        ts = _i64(self.last_ts + args[0])
        self.last_ts = ts
        ev = [ts, self.last_g, 0, 0, 0, 0, 0, self.last_p, typ, self.ev_off]
        for i in range(1, narg):
            if i == narg - 1 and desc.stack:
                ev[STK] = args[i] & 0xFFFFFFFF
            else:
                ev[A0 + i - 1] = args[i]
        if typ in (EV.GoStart, EV.GoStartLocal, EV.GoStartLabel):
            self.last_g = ev[A0]
            ev[G] = self.last_g
        elif typ in _RESETS_G:
            self.last_g = 0
        elif typ in (EV.GoSysExit, EV.GoWaiting, EV.GoInSyscall):
            ev[G] = ev[A0]
        elif typ == EV.UserLog:
            k = self.inline_map.get(sarg)
            if k is None:
                k = len(self.inline_strings)
                self.inline_map[sarg] = k
                self.inline_strings.append(sarg)
            ev[A3] = k
        return ev

    def parse_event_batches(self) -> list[list]:
        if self.sort_func is not None:
            self.sort_func(self.cpu_samples, lambda a, b: (a[TS] > b[TS]) - (a[TS] < b[TS]))
        else:
            self.cpu_samples.sort(key=lambda e: e[TS])
        all_procs = [_Proc(pid) for pid in self.batch_offsets]
        all_procs.append(_Proc(PROFILE_P, self.cpu_samples))
        events: list[list] = []
        gs: dict[int, tuple[int, int]] = {}
        frontier: list[tuple[list, _Proc]] = []
        available = list(all_procs)
        while True:
            i = 0
            while i < len(available):
                proc = available[i]
                removed = False
                while proc.pos == len(proc.events):
                    try:
                        evs = self.load_batch(proc.pid)
                    except _EOF:
                        proc.done = True
                        available[i], available[-1] = available[-1], available[i]
                        available.pop()
                        removed = True
                        break
                    proc.events = evs
                    proc.pos = 0
                if removed:
                    continue  # look at index i again
                ev = proc.events[proc.pos]
                g, init, _nxt = _state_transition(ev)
                if not _transition_ready(g, gs.get(g, (0, _G_DEAD)), init):
                    i += 1
                    continue
                proc.pos += 1
                available[i], available[-1] = available[-1], available[i]
                available.pop()
                _heap_push(frontier, (ev, proc))
            if not frontier:
                for pr in all_procs:
                    if not pr.done:
                        raise self._err(
                            "no consistent ordering of events possible", self._stuck_offset(pr)
                        )
                break
            ev, proc = _heap_pop(frontier)
            g, init, nxt = _state_transition(ev)
            ev = list(ev)
            t = ev[TYP]
            if t == EV.GoStartLocal:
                ev[TYP] = EV.GoStart
            elif t == EV.GoUnblockLocal:
                ev[TYP] = EV.GoUnblock
            elif t == EV.GoSysExitLocal:
                ev[TYP] = EV.GoSysExit
            events.append(ev)
            if g != _UNORDERED:
                curr = gs.get(g, (0, _G_DEAD))
                if not _transition_ready(g, curr, init):
                    raise self._err("encountered impossible goroutine state transition", ev[OFF])
                seq, st = nxt
                if seq == _NOSEQ:
                    seq = curr[0]
                elif seq == _SEQINC:
                    seq = (curr[0] + 1) & _M64
                gs[g] = (seq, st)
            available.append(proc)
        for k in range(1, len(events)):
            if events[k][TS] < events[k - 1][TS]:
                raise self._err(ERR_TIME_ORDER, events[k][OFF])
        last_sys_block: dict[int, int] = {}
        for ev in events:
            t = ev[TYP]
            if t == EV.GoSysBlock or t == EV.GoInSyscall:
                last_sys_block[ev[G]] = ev[TS]
            elif t == EV.GoSysExit:
                ts = _i64(ev[A2])
                if ts == 0:
                    continue
                block = last_sys_block.get(ev[G], 0)
                if block == 0:
                    raise self._err("stray syscall exit", ev[OFF])
                if ts < block:
                    raise self._err(ERR_TIME_ORDER, ev[OFF])
                ev[TS] = ts
        events.sort(key=lambda e: e[TS])  # sort.Stable
        return events

    def _stuck_offset(self, proc: _Proc) -> int:
        if proc.pos < len(proc.events):
            return proc.events[proc.pos][OFF]
        return self.start

    # --- the whole parse

    def parse(self) -> V1Trace:
        self.collect_batches()
        events = self.parse_event_batches()
        if self.ticks_per_sec == 0:
            raise self._err("no EvFrequency event", self.n)
        if events:
            min_ts = events[0][TS]
            freq = 1e9 / float(self.ticks_per_sec)
            timers = self.timer_goids
            for ev in events:
                ev[TS] = _go_float_to_int64(float(_i64(ev[TS] - min_ts)) * freq)
                if ev[TYP] == EV.GoUnblock and ev[G] in timers:
                    ev[P] = TIMER_P
                if ev[TYP] == EV.GoSysExit:
                    ev[P] = SYSCALL_P
        self.post_process(events)
        return _columns(self, events)

    def post_process(self, events: list[list]) -> None:  # noqa: C901 - Go's one switch
        gs: dict[int, list] = {
            0: [_G_RUNNING, None, None, None, None]
        }  # state, ev, start, create, assist
        ps: dict[int, list] = {}  # running, g, sweep
        tasks: dict[int, list] = {}
        active_regions: dict[int, list[list]] = {}
        ev_gc = None
        ev_stw = None

        def gget(gid: int) -> list:
            d = gs.get(gid)
            return list(d) if d is not None else [_G_DEAD, None, None, None, None]

        def pget(pid: int) -> list:
            d = ps.get(pid)
            return list(d) if d is not None else [False, 0, None]

        def err(msg: str, ev: list) -> TraceFormatError:
            return self._err(msg, ev[OFF])

        def check_running(p: list, g: list, ev: list, allow_g0: bool) -> None:
            name = DESCRIPTIONS[ev[TYP]].name
            if g[0] != _G_RUNNING:
                raise err(f"g {ev[G]} is not running while {name} (time {ev[TS]})", ev)
            if p[1] != ev[G]:
                raise err(f"p {ev[P]} is not running g {ev[G]} while {name} (time {ev[TS]})", ev)
            if not allow_g0 and ev[G] == 0:
                raise err(f"g 0 did {name} (time {ev[TS]})", ev)

        for ev in events:
            t = ev[TYP]
            if t == EV.ProcStart:
                p = pget(ev[P])
                if p[0]:
                    raise err(f"p {ev[P]} is running before start (time {ev[TS]})", ev)
                p[0] = True
                ps[ev[P]] = p
            elif t == EV.ProcStop:
                p = pget(ev[P])
                if not p[0]:
                    raise err(f"p {ev[P]} is not running before stop (time {ev[TS]})", ev)
                if p[1] != 0:
                    raise err(
                        f"p {ev[P]} is running a goroutine {p[1]} during stop (time {ev[TS]})", ev
                    )
                p[0] = False
                ps[ev[P]] = p
            elif t == EV.GCStart:
                if ev_gc is not None:
                    raise err(f"previous GC is not ended before a new one (time {ev[TS]})", ev)
                ev_gc = ev
                ev[P] = GC_P
            elif t == EV.GCDone:
                if ev_gc is None:
                    raise err(f"bogus GC end (time {ev[TS]})", ev)
                ev_gc = None
            elif t == EV.STWStart:
                if ev_stw is not None:
                    raise err(f"previous STW is not ended before a new one (time {ev[TS]})", ev)
                ev_stw = ev
            elif t == EV.STWDone:
                if ev_stw is None:
                    raise err(f"bogus STW end (time {ev[TS]})", ev)
                ev_stw = None
            elif t == EV.GCSweepStart:
                p = pget(ev[P])
                if p[2] is not None:
                    raise err(
                        f"previous sweeping is not ended before a new one (time {ev[TS]})", ev
                    )
                p[2] = ev
                ps[ev[P]] = p
            elif t == EV.GCMarkAssistStart:
                g = gget(ev[G])
                if g[4] is not None:
                    raise err(
                        f"previous mark assist is not ended before a new one (time {ev[TS]})", ev
                    )
                g[4] = ev
                gs[ev[G]] = g
            elif t == EV.GCMarkAssistDone:
                g = gget(ev[G])
                g[4] = None
                gs[ev[G]] = g
            elif t == EV.GCSweepDone:
                p = pget(ev[P])
                if p[2] is None:
                    raise err(f"bogus sweeping end (time {ev[TS]})", ev)
                p[2] = None
                ps[ev[P]] = p
            elif t == EV.GoWaiting or t == EV.GoInSyscall:
                g = gget(ev[G])
                if g[0] != _G_RUNNABLE:
                    what = "EvGoWaiting" if t == EV.GoWaiting else "EvGoInSyscall"
                    raise err(f"g {ev[G]} is not runnable before {what} (time {ev[TS]})", ev)
                g[0] = _G_WAITING
                g[1] = ev
                gs[ev[G]] = g
            elif t == EV.GoCreate:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, True)
                if ev[A0] in gs:
                    raise err(f"g {ev[A0]} already exists (time {ev[TS]})", ev)
                gs[ev[A0]] = [_G_RUNNABLE, ev, None, ev, None]
            elif t == EV.GoStart or t == EV.GoStartLabel:
                g = gget(ev[G])
                p = pget(ev[P])
                if g[0] != _G_RUNNABLE:
                    raise err(f"g {ev[G]} is not runnable before start (time {ev[TS]})", ev)
                if p[1] != 0:
                    raise err(
                        f"p {ev[P]} is already running g {p[1]} while start g {ev[G]} "
                        f"(time {ev[TS]})",
                        ev,
                    )
                g[0] = _G_RUNNING
                g[2] = ev
                p[1] = ev[G]
                if g[3] is not None:
                    ev[STK] = g[3][A1] & 0xFFFFFFFF
                    g[3] = None
                g[1] = None
                gs[ev[G]] = g
                ps[ev[P]] = p
            elif t == EV.GoEnd or t == EV.GoStop:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, False)
                g[2] = None
                g[0] = _G_DEAD
                p[1] = 0
                if t == EV.GoEnd:
                    active_regions.pop(ev[G], None)
                gs[ev[G]] = g
                ps[ev[P]] = p
            elif t == EV.GoSched or t == EV.GoPreempt:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, False)
                g[0] = _G_RUNNABLE
                g[2] = None
                p[1] = 0
                g[1] = ev
                gs[ev[G]] = g
                ps[ev[P]] = p
            elif t == EV.GoUnblock:
                g = gget(ev[G])
                p = pget(ev[P])
                if g[0] != _G_RUNNING:
                    raise err(f"g {ev[G]} is not running while unpark (time {ev[TS]})", ev)
                if ev[P] != TIMER_P and p[1] != ev[G]:
                    raise err(
                        f"p {ev[P]} is not running g {ev[G]} while unpark (time {ev[TS]})", ev
                    )
                g1 = gget(ev[A0])
                if g1[0] != _G_WAITING:
                    raise err(f"g {ev[A0]} is not waiting before unpark (time {ev[TS]})", ev)
                if g1[1] is not None and g1[1][TYP] == EV.GoBlockNet:
                    ev[P] = NETPOLL_P
                g1[0] = _G_RUNNABLE
                g1[1] = ev
                gs[ev[A0]] = g1
            elif t == EV.GoSysCall:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, False)
                g[1] = ev
                gs[ev[G]] = g
            elif t == EV.GoSysBlock:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, False)
                g[0] = _G_WAITING
                g[2] = None
                p[1] = 0
                gs[ev[G]] = g
                ps[ev[P]] = p
            elif t == EV.GoSysExit:
                g = gget(ev[G])
                if g[0] != _G_WAITING:
                    raise err(f"g {ev[G]} is not waiting during syscall exit (time {ev[TS]})", ev)
                g[0] = _G_RUNNABLE
                g[1] = ev
                gs[ev[G]] = g
            elif t in _BLOCKS:
                g = gget(ev[G])
                p = pget(ev[P])
                check_running(p, g, ev, False)
                g[0] = _G_WAITING
                g[1] = ev
                g[2] = None
                p[1] = 0
                gs[ev[G]] = g
                ps[ev[P]] = p
            elif t == EV.UserTaskCreate:
                tid = ev[A0]
                prev = tasks.get(tid)
                if prev is not None:
                    raise err(
                        f"task id conflicts (id:{tid}), {_quote(event_string(ev))} vs "
                        f"{_quote(event_string(prev))}",
                        ev,
                    )
                tasks[tid] = ev
            elif t == EV.UserTaskEnd:
                tasks.pop(ev[A0], None)
            elif t == EV.UserRegion:
                mode = ev[A1]
                regions = active_regions.get(ev[G], [])
                if mode == 0:
                    active_regions[ev[G]] = [*regions, ev]
                elif mode == 1:
                    n = len(regions)
                    if n > 0:
                        s = regions[n - 1]
                        if s[A0] != ev[A0] or s[A2] != ev[A2]:
                            raise err(
                                f"misuse of region in goroutine {ev[G]}: span end "
                                f"{_quote(event_string(ev))} when the inner-most active span "
                                f"start event is {_quote(event_string(s))}",
                                ev,
                            )
                        if n > 1:
                            active_regions[ev[G]] = regions[: n - 1]
                        else:
                            active_regions.pop(ev[G], None)
                else:
                    raise err(f"invalid user region mode: {_quote(event_string(ev))}", ev)
            if ev[STK] != 0 and len(self.stacks.get(ev[STK], ())) == 0:
                ev[STK] = 0


_RESETS_G = frozenset(
    (EV.GoEnd, EV.GoStop, EV.GoSched, EV.GoPreempt, EV.GoSleep, EV.GoBlock, EV.GoBlockSend,
     EV.GoBlockRecv, EV.GoBlockSelect, EV.GoBlockSync, EV.GoBlockCond, EV.GoBlockNet,
     EV.GoSysBlock, EV.GoBlockGC)
)  # fmt: skip
_BLOCKS = frozenset(
    (EV.GoSleep, EV.GoBlock, EV.GoBlockSend, EV.GoBlockRecv, EV.GoBlockSelect, EV.GoBlockSync,
     EV.GoBlockCond, EV.GoBlockNet, EV.GoBlockGC)
)  # fmt: skip
_BLOCK_LIKE = frozenset((*_BLOCKS, EV.GoSysBlock))


def _state_transition(ev: list) -> tuple[int, tuple[int, int], tuple[int, int]]:
    """Go's ``stateTransition``: (g, init, next) with states as (seq, status)."""
    t = ev[TYP]
    if t == EV.GoCreate:
        return ev[A0], (0, _G_DEAD), (1, _G_RUNNABLE)
    if t == EV.GoWaiting or t == EV.GoInSyscall:
        return ev[G], (1, _G_RUNNABLE), (2, _G_WAITING)
    if t == EV.GoStart or t == EV.GoStartLabel:
        return ev[G], (ev[A1], _G_RUNNABLE), ((ev[A1] + 1) & _M64, _G_RUNNING)
    if t == EV.GoStartLocal:
        return ev[G], (_NOSEQ, _G_RUNNABLE), (_SEQINC, _G_RUNNING)
    if t in _BLOCK_LIKE:
        return ev[G], (_NOSEQ, _G_RUNNING), (_NOSEQ, _G_WAITING)
    if t == EV.GoSched or t == EV.GoPreempt:
        return ev[G], (_NOSEQ, _G_RUNNING), (_NOSEQ, _G_RUNNABLE)
    if t == EV.GoUnblock or t == EV.GoSysExit:
        return ev[A0], (ev[A1], _G_WAITING), ((ev[A1] + 1) & _M64, _G_RUNNABLE)
    if t == EV.GoUnblockLocal or t == EV.GoSysExitLocal:
        return ev[A0], (_NOSEQ, _G_WAITING), (_SEQINC, _G_RUNNABLE)
    if t == EV.GCStart:
        return _GARBAGE, (ev[A0], _G_DEAD), ((ev[A0] + 1) & _M64, _G_DEAD)
    return _UNORDERED, (0, 0), (0, 0)


def _transition_ready(g: int, curr: tuple[int, int], init: tuple[int, int]) -> bool:
    return g == _UNORDERED or ((init[0] == _NOSEQ or init[0] == curr[0]) and init[1] == curr[1])


def _heap_push(h: list, x) -> None:
    h.append(x)
    j = len(h) - 1
    while True:
        i = (j - 1) // 2 if j > 0 else 0  # Go: (j-1)/2 truncates toward zero
        if i == j or not h[j][0][TS] < h[i][0][TS]:
            break
        h[i], h[j] = h[j], h[i]
        j = i


def _heap_pop(h: list):
    n = len(h) - 1
    h[0], h[n] = h[n], h[0]
    i = 0
    while True:
        j1 = 2 * i + 1
        if j1 >= n:
            break
        j = j1
        j2 = j1 + 1
        if j2 < n and h[j2][0][TS] < h[j1][0][TS]:
            j = j2
        if not h[j][0][TS] < h[i][0][TS]:
            break
        h[i], h[j] = h[j], h[i]
        i = j
    return h.pop()


def _columns(p: Parser, events: list[list]) -> V1Trace:
    n = len(events)
    a = np.array(events, dtype=object).reshape(n, 10) if n else np.zeros((0, 10), object)

    def col(k: int, dt) -> np.ndarray:
        if dt == np.uint64 or dt == np.uint32:
            return np.array([int(x) for x in a[:, k]], dtype=np.uint64).astype(dt)
        return np.array([int(x) for x in a[:, k]], dtype=np.int64).astype(dt)

    args = np.zeros((n, 4), np.uint64)
    for k in range(4):
        args[:, k] = col(A0 + k, np.uint64)
    return V1Trace(
        version=p.ver,
        ticks_per_sec=p.ticks_per_sec,
        ts=col(TS, np.int64),
        g=col(G, np.uint64),
        args=args,
        stk=col(STK, np.uint32),
        p=col(P, np.int32),
        typ=col(TYP, np.uint8),
        offset=col(OFF, np.int64),
        **_stack_arrays(p.stacks, p.pcs),
        strings=p.strings,
        inline_strings=p.inline_strings,
    )


def _stack_arrays(stacks: dict, pcs: dict) -> dict:
    ids = sorted(stacks)
    n = [len(stacks[i]) for i in ids]
    start = np.zeros(len(ids), np.int64)
    if ids:
        np.cumsum(n[:-1], out=start[1:])
    flat = [pc for i in ids for pc in stacks[i]]
    keys = sorted(pcs)
    return {
        "stack_ids": np.array(ids, np.uint64),
        "stack_start": start,
        "stack_n": np.array(n, np.int32),
        "stack_pcs": np.array(flat, np.uint64),
        "pc": np.array(keys, np.uint64),
        "pc_fn": np.array([pcs[k][0] for k in keys], np.uint64),
        "pc_file": np.array([pcs[k][1] for k in keys], np.uint64),
        "pc_line": np.array([pcs[k][2] for k in keys], np.int64),
    }


def parse(
    data,
    version: int,
    start: int,
    *,
    sort_func: Callable[[list, Callable], None] | None = None,
) -> V1Trace:
    """Go's ``tracev1.Parse`` over the whole file ``data`` (bytes-like), the header ``start``
    bytes long. ``sort_func(list, cmp)`` sorts the CPU samples (Go's ``slices.SortFunc``;
    default: Python's stable sort). Raises :class:`TraceFormatError` (Go's message)."""
    return Parser(data, version, start, sort_func).parse()
