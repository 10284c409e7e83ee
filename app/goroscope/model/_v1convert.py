"""Old-format traces (Go 1.11–1.21) as Go's v2 event stream: ``V1Chunks`` (L1, numpy only).

What
----
Go's reader turns an old trace into v2 events in two steps, and so do we:

1. ``goroscope.format.v1`` parses the whole file into Go's ``tracev1.Trace``
   (per-P batches merged and checked; see its module doc);
2. :func:`convert` is a port of GOROOT ``src/internal/trace/tracev1.go``
   (``traceV1Converter``): each v1 event becomes zero, one or two v2 events
   (wire type, context, args) exactly as Go builds them; the stream gets Go's
   leading Sync (first event time - 1), the +1 ns fix-up of equal times and the
   final Sync. The whole trace is one generation sharing one string and stack
   table (v1 strings, then the UserLog messages, then the converter's fixed
   reason strings, numbered as Go numbers them).

The resulting rows go through the same column builder as the v2 reader
(``_order_kernel.build_columns``), so :class:`V1Chunks` yields the same
:class:`EventTable` columns ``model.order.TraceChunks`` yields for a v2 trace,
and everything downstream (stats, analysis, timeline) is unchanged. The hook is
``TraceChunks.__new__`` (``model/order.py``): it returns a ``V1Chunks`` for an
old-format header.

Errors
------
Go's old-format parser reads all or nothing: when ``tracev1.Parse`` fails,
``NewReader`` fails. So does ``V1Chunks(...)``: it raises the parser's
:class:`TraceFormatError` (Go's message, the byte offset where it was found).
A conversion error (an event type the converter does not know) stops the
stream like a v2 read error: ``error`` is set after the events before it.

Memory: with chunks (``chunk_events`` set, the fast engine) the parse streams
(``format.v1.stream``: one round of events, the tables and ~20 B per goroutine ID);
without, the whole trace's events are held as Go does. See HACKING.md § Old format
(v1), "Streaming".
"""

from __future__ import annotations

import mmap
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from goroscope.format import spec as wire
from goroscope.format.columns import (
    CPUSampleColumns,
    EventColumns,
    Generation,
    StackTable,
    StringTable,
)
from goroscope.format.errors import TraceFormatError
from goroscope.format.tracefile import TraceFile, as_buffer
from goroscope.format.v1 import V1Trace, parse_header
from goroscope.format.v1.spec import DESCRIPTIONS, EV, NUM_STW_REASONS
from goroscope.model.events import COLUMNS, EventTable, GenerationTables

__all__ = ["V1Chunks", "convert", "read_v1"]

_U64 = (1 << 64) - 1
_E = wire.EventType
_NO_ID = -1
_GO_RUNNABLE, _GO_RUNNING, _GO_SYSCALL, _GO_WAITING = 1, 2, 3, 4
_PROC_RUNNING, _PROC_IDLE = 1, 2
_EV_SYNC = 255

#: the converter's own strings, in Go's order (tracev1.go: sForever ... sSTWResetDebugLog)
BUILTIN_STRINGS = (
    "forever", "preempted", "runtime.Gosched", "sleep", "chan send", "chan receive",
    "network", "sync", "sync.(*Cond).Wait", "select", "", "GC mark assist wait for work",
    # STW kinds (sSTWUnknown + STWReason)
    "", "GC mark termination", "GC sweep termination", "write heap dump",
    "goroutine profile", "goroutine profile cleanup", "all goroutine stack trace",
    "read mem stats", "AllThreadsSyscall", "GOMAXPROCS", "start trace", "stop trace",
    "CountPagesInUse (test)", "ReadMetricsSlow (test)", "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)", "ResetDebugLog (test)",
)  # fmt: skip
(S_FOREVER, S_PREEMPTED, S_GOSCHED, S_SLEEP, S_CHAN_SEND, S_CHAN_RECV, S_NETWORK, S_SYNC,
 S_SYNC_COND, S_SELECT, S_EMPTY, S_MARK_ASSIST_WAIT, S_STW_UNKNOWN) = range(13)  # fmt: skip

#: v1 blocking event -> (v2 type, reason string)
_BLOCK_REASON = {
    EV.GoStop: (_E.GoBlock, S_FOREVER),
    EV.GoSched: (_E.GoStop, S_GOSCHED),
    EV.GoPreempt: (_E.GoStop, S_PREEMPTED),
    EV.GoSleep: (_E.GoBlock, S_SLEEP),
    EV.GoBlock: (_E.GoBlock, S_EMPTY),
    EV.GoBlockSend: (_E.GoBlock, S_CHAN_SEND),
    EV.GoBlockRecv: (_E.GoBlock, S_CHAN_RECV),
    EV.GoBlockSelect: (_E.GoBlock, S_SELECT),
    EV.GoBlockSync: (_E.GoBlock, S_SYNC),
    EV.GoBlockCond: (_E.GoBlock, S_SYNC_COND),
    EV.GoBlockNet: (_E.GoBlock, S_NETWORK),
    EV.GoBlockGC: (_E.GoBlock, S_MARK_ASSIST_WAIT),
}
#: v1 events that keep their args (copied) under a new type
_SIMPLE = {
    EV.GCStart: _E.GCBegin,
    EV.GCDone: _E.GCEnd,
    EV.GCSweepStart: _E.GCSweepBegin,
    EV.GCSweepDone: _E.GCSweepEnd,
    EV.GoEnd: _E.GoDestroy,
    EV.GoUnblock: _E.GoUnblock,
    EV.GoSysExit: _E.GoSyscallEndBlocked,
    EV.HeapAlloc: _E.HeapAlloc,
    EV.HeapGoal: _E.HeapGoal,
    EV.GCMarkAssistStart: _E.GCMarkAssistBegin,
    EV.GCMarkAssistDone: _E.GCMarkAssistEnd,
}


def _stack_arg(t: int) -> int:
    """1-based index (dt included) of the v2 type's first stack arg, 0 = none."""
    ids = wire.EVENT_SPECS[t].stack_ids
    return ids[0] if ids else 0


def stw_reason(version: int, kind_id: int) -> int:
    """Go's ``tracev1.Trace.STWReason``."""
    if version < 21:
        return kind_id + 1 if kind_id in (0, 1) else 0
    if version == 21:
        return kind_id if kind_id < NUM_STW_REASONS else 0
    return 0


class Rows:
    """The converter's output, one v2 event per row (the v2 ordering kernel's row layout).

    typ : v2 wire type (255 = Sync); time : ns; ctx : (g, p, m), -1 = none;
    args : Go's ``baseEvent.args``; row : v1 event index (-1 synthesized);
    nk, ns : the name Go formats itself: 1 = STW range (``ns`` its kind string ID),
    2 = UserTaskEnd (``ns`` the task type's string ID, 0 = ""), 0 = none;
    error : the conversion error Go's ``ReadEvent`` would return after these rows
    """

    def __init__(self) -> None:
        self.typ: list[int] = []
        self.time: list[int] = []
        self.ctx: list[tuple[int, int, int]] = []
        self.args: list[tuple[int, int, int, int]] = []
        self.row: list[int] = []
        self.nk: list[int] = []
        self.ns: list[int] = []
        self.error: TraceFormatError | None = None

    def add(self, typ, time, ctx, args, row=-1, name=(0, 0)) -> int:
        self.nk.append(name[0])
        self.ns.append(name[1])
        self.typ.append(typ)
        self.time.append(time)
        self.ctx.append(ctx)
        a = tuple(args) + (0,) * (4 - len(args))
        self.args.append(a)
        self.row.append(row)
        return len(self.typ) - 1

    def __len__(self) -> int:
        return len(self.typ)


class StringIDs:
    """Go's evTable strings for a converted trace: v1 strings, inline ones, builtins."""

    def __init__(self, tr: V1Trace) -> None:
        text = {sid: b.decode("utf-8", "surrogateescape") for sid, b in tr.strings.items()}
        mx = max(tr.strings, default=0)
        self.inline = [mx + 1 + i for i in range(len(tr.inline_strings))]
        for i, b in enumerate(tr.inline_strings):
            text[mx + 1 + i] = b.decode("utf-8", "surrogateescape")
        mx += len(tr.inline_strings)
        self.builtin = [mx + 1 + c for c in range(len(BUILTIN_STRINGS))]
        for c, s in enumerate(BUILTIN_STRINGS):
            text[mx + 1 + c] = s
        self.text = text


def convert(tr: V1Trace, ids: StringIDs | None = None) -> Rows:  # noqa: C901 - Go's switch
    """Go's ``Reader.ReadEvent`` over a parsed v1 trace: the whole v2 event stream.

    A literal port of ``traceV1Converter`` (``init``/``next``/``convertEvent``) and
    of the Sync events ``ReadEvent`` adds. Pure Python, a loop per event (the twin).
    """
    if ids is None:
        ids = StringIDs(tr)
    out = Rows()
    n = len(tr)
    ts_l = tr.ts.tolist()
    g_l = tr.g.tolist()
    args_l = tr.args.tolist()
    stk_l = tr.stk.tolist()
    p_l = tr.p.tolist()
    typ_l = tr.typ.tolist()
    b = ids.builtin
    # Go scans forward from each GoSysCall for the next event of the same G: the same
    # answer from one backward pass.
    blocked = _syscall_blocked(typ_l, g_l)
    pre_init = True
    created_pre_init: dict[int, None] = {}
    tasks: dict[int, tuple[int, int]] = {}
    seen_procs: set[int] = set()
    proc_ms: dict[int, int] = {}
    last_stw = 0
    last_ts = -1
    extra: deque = deque()

    def emit(typ, time, ctx, args, row=-1, name=(0, 0)):
        nonlocal last_ts
        if time <= last_ts:
            time = last_ts + 1
        last_ts = time
        out.add(typ, time, ctx, args, row, name)

    if n:
        out.add(_EV_SYNC, ts_l[0] - 1, (-1, -1, -1), (1,))
    i = 0
    while True:
        if extra:
            emit(*extra.popleft())
            continue
        if i >= n:
            break
        k = i
        i += 1
        t = typ_l[k]
        ts = ts_l[k]
        gv = g_l[k]
        p = p_l[k]
        a = args_l[k]
        stk = stk_l[k]
        margs = list(a)
        name = (0, 0)
        if t == EV.Gomaxprocs:
            mt = _E.ProcsChange
            if pre_init:
                pre_init = False
                for gid in created_pre_init:
                    extra.append((_E.GoStatus, ts, (-1, -1, -1), (gid, _U64, _GO_RUNNABLE)))
                created_pre_init = {}
                continue
        elif t == EV.ProcStart:
            proc_ms[p] = a[0]
            if p in seen_procs:
                mt, margs = _E.ProcStart, [p & _U64, 0, 0, 0]
            else:
                seen_procs.add(p)
                mt, margs = _E.ProcStatus, [p & _U64, _PROC_RUNNING, 0, 0]
        elif t == EV.ProcStop:
            if p in seen_procs:
                mt, margs = _E.ProcStop, [p & _U64, 0, 0, 0]
            else:
                seen_procs.add(p)
                mt, margs = _E.ProcStatus, [p & _U64, _PROC_IDLE, 0, 0]
        elif t == EV.STWStart:
            sid = b[S_STW_UNKNOWN + stw_reason(tr.version, a[0])]
            last_stw = sid
            mt, margs = _E.STWBegin, [sid, 0, 0, 0]
            name = (1, sid)
        elif t == EV.STWDone:
            mt, margs = _E.STWEnd, [last_stw, 0, 0, 0]
            name = (1, last_stw)
        elif t == EV.GoCreate:
            if pre_init:
                created_pre_init[a[0]] = None
                continue
            mt = _E.GoCreate
        elif t == EV.GoStart:
            if pre_init:
                mt, margs = _E.GoStatus, [a[0], _U64, _GO_RUNNING, 0]
                created_pre_init.pop(a[0], None)
            else:
                mt = _E.GoStart
        elif t == EV.GoStartLabel:
            ctx = (gv, p, proc_ms.get(p, 0))
            extra.append((_E.GoLabel, ts, ctx, (a[2],)))
            emit(_E.GoStart, ts, ctx, margs, k)
            continue
        elif t in _BLOCK_REASON:
            mt, r = _BLOCK_REASON[t]
            margs = [b[r], stk, 0, 0]
        elif t == EV.GoSysCall:
            if blocked[k]:
                mt, margs = _E.GoSyscallBegin, [0, stk, 0, 0]
            else:
                ctx = (gv, p, proc_ms.get(p, 0))
                extra.append((_E.GoSyscallEnd, ts + 1, ctx, ()))
                emit(_E.GoSyscallBegin, ts, ctx, (0, stk), k)
                continue
        elif t == EV.GoSysBlock:
            continue
        elif t == EV.GoWaiting or t == EV.GoInSyscall:
            st = _GO_WAITING if t == EV.GoWaiting else _GO_SYSCALL
            mt, margs = _E.GoStatus, [a[0], _U64, st, 0]
            created_pre_init.pop(a[0], None)
        elif t == EV.UserTaskCreate:
            mt = _E.UserTaskBegin
            parent = a[1] if a[1] != 0 else _U64
            margs = [a[0], parent, a[2], stk]
            tasks[a[0]] = (a[2], a[1])
        elif t == EV.UserTaskEnd:
            mt = _E.UserTaskEnd
            st = tasks.pop(a[0], None)
            if st is not None:
                name = (2, st[0])
                margs = [a[0], a[1], st[1], 0]
            else:
                name = (2, 0)
                margs = [a[0], a[1], _U64, 0]
        elif t == EV.UserRegion:
            mt = _E.UserRegionBegin if a[1] == 0 else _E.UserRegionEnd if a[1] == 1 else 0
            margs = [a[0], a[2], stk, 0]
        elif t == EV.UserLog:
            mt, margs = _E.UserLog, [a[0], a[1], ids.inline[a[3]], stk]
        elif t == EV.CPUSample:
            mt, margs = _E.CPUSample, [stk, _U64, p & _U64, gv]
        elif t in _SIMPLE:
            mt = _SIMPLE[t]
        else:
            out.error = TraceFormatError(
                f"unexpected event type {t}", offset=int(tr.offset[k]), generation=None
            )
            return out
        if DESCRIPTIONS[t].stack:
            sa = _STACK_ARG[mt]
            if sa > 0:
                margs[sa - 1] = stk
        m = -1
        if p != -1 and t != EV.CPUSample and p in proc_ms:
            m = proc_ms[p]
        if t == EV.ProcStop:
            proc_ms.pop(p, None)
        g = gv if gv != 0 else -1
        emit(mt, ts, (g, p, m), margs, k, name)
    out.add(_EV_SYNC, last_ts + 1, (-1, -1, -1), (2 if n else 1,))
    return out


_STACK_ARG = [_stack_arg(t) if t < len(wire.EVENT_SPECS) else 0 for t in range(256)]


def _syscall_blocked(typ: list[int], g: list[int]) -> list[bool]:
    """For each GoSysCall: is the next event of the same G a GoSysBlock?"""
    out = [False] * len(typ)
    nxt: dict[int, int] = {}
    for k in range(len(typ) - 1, -1, -1):
        if typ[k] == EV.GoSysCall:
            j = nxt.get(g[k], -1)
            out[k] = j >= 0 and typ[j] == EV.GoSysBlock
        nxt[g[k]] = k
    return out


# --- EventTable chunks --------------------------------------------------------------------


def _generation(tr: V1Trace, ids: StringIDs, n_events: int | None = None) -> GenerationTables:
    sids = np.array(sorted(ids.text), np.uint64)
    strings = StringTable(
        sids, np.full(sids.shape[0], -1, np.int64), np.zeros(sids.shape[0], np.int32)
    )
    # frames: (pc, func, file, line) of each stack PC through Go's PC table
    k = np.searchsorted(tr.pc, tr.stack_pcs)
    k = np.minimum(k, max(0, tr.pc.shape[0] - 1))
    frames = np.zeros((tr.stack_pcs.shape[0], 4), np.uint64)
    frames[:, 0] = tr.stack_pcs
    if tr.pc.shape[0]:
        hit = tr.pc[k] == tr.stack_pcs
        frames[:, 1] = np.where(hit, tr.pc_fn[k], 0)
        frames[:, 2] = np.where(hit, tr.pc_file[k], 0)
        frames[:, 3] = np.where(hit, tr.pc_line[k].view(np.uint64), 0)
    stacks = StackTable(tr.stack_ids, tr.stack_start, tr.stack_n, frames)
    z64, zu = np.zeros(0, np.int64), np.zeros(0, np.uint64)
    cols = Generation(
        gen=1,
        freq=tr.ticks_per_sec,
        min_time_ns=(int(tr.ts[0]) - 1 if len(tr) else 0)
        if n_events is None
        else (-1 if n_events else 0),  # streamed: the first event is at 0 ns
        events=EventColumns(
            np.zeros(0, np.uint8), z64, z64, np.zeros(0, np.int32), np.zeros((0, 4), np.uint64), z64
        ),
        strings=strings,
        stacks=stacks,
        cpu_samples=CPUSampleColumns(z64, z64, z64, z64, zu),
        clock=None,
        experimental=(),
    )
    return GenerationTables(1, cols, dict(ids.text))


class RowArrays(NamedTuple):
    """Rows as arrays (both converters' output): the v2 ordering kernel's row layout
    ``out`` = (typ, time, ctx, args, row, x) plus the formatted-name columns."""

    out: tuple
    nk: np.ndarray
    ns: np.ndarray
    n: int
    error: TraceFormatError | None
    final: bool = True  # the last row is the final Sync


def _row_arrays(rows: Rows) -> RowArrays:
    n = len(rows)
    typ = np.array(rows.typ, np.uint8) if n else np.zeros(0, np.uint8)
    time = np.array(rows.time, np.int64) if n else np.zeros(0, np.int64)
    ctx = np.array(rows.ctx, np.int64).reshape(n, 3)
    args = np.array(rows.args, np.uint64).reshape(n, 4)
    row = np.array(rows.row, np.int64) if n else np.zeros(0, np.int64)
    x = np.zeros((n, 2), np.int64)
    nk = np.array(rows.nk, np.int8) if n else np.zeros(0, np.int8)
    ns = np.array(rows.ns, np.uint64) if n else np.zeros(0, np.uint64)
    return RowArrays((typ, time, ctx, args, row, x), nk, ns, n, rows.error, rows.error is None)


def iter_convert_fast(
    tr: V1Trace, ids: StringIDs, rows: int | None = None, *, _tables: int = 64
) -> Iterator[RowArrays]:
    """The numba twin of :func:`convert` (``model._v1kernel``): the same rows, ``rows`` at a
    time (None: all in one). The output buffers are reused: fold each before the next.
    ``_tables``: initial room of the kernel's proc/task tables (tests: 1, to grow them)."""
    from goroscope.format.v1._kernels import HAS_STACK
    from goroscope.model import _v1kernel as VK

    n = len(tr)
    n_gs = int(np.count_nonzero(tr.typ == EV.GoCreate)) + 1024
    blocked = VK.syscall_blocked(tr.typ, tr.g, n_gs)
    cap = 2 * n + 2 if rows is None else max(64, rows)
    builtin = np.array(ids.builtin, np.uint64)
    inline = np.array(ids.inline, np.uint64) if ids.inline else np.zeros(1, np.uint64)
    stack_arg = np.array(_STACK_ARG, np.int64)
    state = VK.convert_state(n_gs, _tables)
    have = 0
    while True:
        if have < cap:  # reused from call to call (fresh pages cost page faults)
            typ = np.empty(cap, np.uint8)
            time = np.empty(cap, np.int64)
            ctx = np.empty((cap, 3), np.int64)
            args = np.empty((cap, 4), np.uint64)
            row = np.empty(cap, np.int64)
            nk = np.empty(cap, np.int8)
            ns = np.empty(cap, np.uint64)
            x = np.zeros((cap, 2), np.int64)
            have = cap
        status, on, bad, state = VK.convert_call(
            tr.version, tr.ts, tr.g, tr.args, tr.stk, tr.p, tr.typ, blocked, builtin, inline,
            stack_arg, HAS_STACK, typ, time, ctx, args, row, nk, ns, state,
        )  # fmt: skip
        if status == VK.ERR_ROOM:
            cap *= 2
            continue
        error = None
        if status == VK.ERR_UNEXPECTED:
            error = TraceFormatError(
                f"unexpected event type {int(tr.typ[bad])}",
                offset=int(tr.offset[bad]),
                generation=None,
            )
        out = (typ[:on], time[:on], ctx[:on], args[:on], row[:on], x[:on])
        yield RowArrays(out, nk[:on], ns[:on], on, error, status == VK.OK)
        if status != VK.OK_MORE:
            return


def convert_fast(tr: V1Trace, ids: StringIDs, *, _tables: int = 64) -> RowArrays:
    """All rows of :func:`iter_convert_fast` at once."""
    return next(iter_convert_fast(tr, ids, None, _tables=_tables))


class _Builder:
    """Rows → EventTable columns with the v2 reader's column kernel and string codes."""

    def __init__(self, ids: StringIDs, gen: GenerationTables) -> None:
        from goroscope.model import order as O

        self.strings: list[str] = [""]
        self.codes: dict[str, int] = {"": 0}
        const = np.zeros(256, np.int32)
        for t, nm in {**O._METRIC_NAMES, **O._RANGE_NAMES}.items():
            const[t] = self.code(nm)
        self.luts = (O.KIND, O.STACK_ARGS[:, 0].copy(), O._T_RK, O._T_FROM, O._T_TO,
                     O._T_TARGET_ARG, O._T_STACK, const)  # fmt: skip
        sids = gen.columns.strings.ids
        self.s_ids = sids
        self.s_set = np.zeros(0, np.uint8)
        self.code_of_idx = np.array([self.code(ids.text[int(s)]) for s in sids.tolist()], np.int32)
        if self.code_of_idx.shape[0] == 0:
            self.code_of_idx = np.zeros(0, np.int32)
        # string code by string ID (v1 IDs are small: the file's, then the inline and the
        # converter's strings); empty when an ID is too large for a direct table
        self.code_map = np.zeros(0, np.int32)
        top = int(sids[-1]) if sids.shape[0] else 0
        if 0 < top <= 16 * sids.shape[0] + 65536:
            self.code_map = np.zeros(top + 1, np.int32)
            self.code_map[sids.astype(np.int64)] = self.code_of_idx
            self.code_map[0] = 0
        self.gens = (gen,)
        self.text = ids.text
        self.reuse = False  # chunks share their column buffers (stats: fold, then next)
        self._cols: dict[str, np.ndarray] | None = None

    def code(self, s: str) -> int:
        c = self.codes.get(s)
        if c is None:
            c = len(self.strings)
            self.strings.append(s)
            self.codes[s] = c
        return c

    def build(self, ra: RowArrays, lo: int, hi: int, last_sync: int) -> EventTable:
        from goroscope.model._order_kernel import build_columns

        n = hi - lo
        if self.reuse and self._cols is not None and self._cols["kind"].shape[0] >= n:
            c = {name: arr[:n] for name, arr in self._cols.items()}
            for arr in c.values():
                arr.flags.writeable = True
        else:
            c = {name: np.empty(max(n, 1), dt)[:n] for name, dt in COLUMNS.items()}
            if self.reuse:
                self._cols = {
                    name: arr.base if arr.base is not None else arr for name, arr in c.items()
                }
        cols = tuple(c[name] for name in COLUMNS)
        fix = np.empty(max(n, 1), np.int64)
        build_columns(ra.out, lo, hi, 0, self.luts, self.s_ids, self.s_set, self.code_of_idx,
                      cols, fix)  # fmt: skip
        # STW and UserTaskEnd names: Go formats them (build_columns leaves them to us)
        nk = ra.nk[lo:hi]
        sel = np.flatnonzero(nk != 0)
        if sel.shape[0]:
            key = nk[sel].astype(np.uint64) << np.uint64(62) | ra.ns[lo:hi][sel]
            uk, inv = np.unique(key, return_inverse=True)
            lut = np.empty(uk.shape[0], np.int32)
            for i, k in enumerate(uk.tolist()):
                kind, sid = k >> 62, k & ((1 << 62) - 1)
                text = self.text.get(sid, "")
                lut[i] = self.code("stop-the-world (" + text + ")" if kind == 1 else text)
            c["name"][sel] = lut[inv.reshape(-1)]
        if lo <= last_sync < hi:
            c["gen_idx"][last_sync - lo] = -1
        for arr in c.values():
            arr.flags.writeable = False
        return EventTable(**c, strings=tuple(self.strings), generations=self.gens)


def read_v1(buf, *, engine: str = "fast") -> tuple[EventTable, TraceFormatError | None]:
    """Every event of an old-format trace in one EventTable, and the conversion error (if any).

    Raises TraceFormatError when Go's parser rejects the trace (Go's NewReader fails).
    """
    chunks = V1Chunks(buf, chunk_events=None, engine=engine)
    tables = list(chunks)
    return tables[-1], chunks.error


def parse_v1(data, version: int, start: int, *, engine: str = "fast") -> V1Trace:
    """Go's ``tracev1.Parse``: the kernels (``format.v1.fast``), or the reference port when
    they decline (any trace Go might reject: the reference words Go's error) or when
    ``engine="reference"``. Raises TraceFormatError."""
    from goroscope.format.v1 import parse
    from goroscope.format.v1.fast import parse_fast
    from goroscope.model._gosort import sort_func

    if engine == "fast":
        tr = parse_fast(data, version, start, sort_func=sort_func)
        if tr is not None:
            return tr
    return parse(data, version, start, sort_func=sort_func)


#: v1 rows merged per round when streaming (the EventTable chunks are cut as asked)
STREAM_ROWS = 1 << 16


def _cols(ch):
    """A stream chunk's columns (empty ones for None)."""
    if ch is None:
        return (np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros((0, 4), np.uint64),
                np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.uint8),
                np.zeros(0, np.int64))  # fmt: skip
    return (ch.ts, ch.g, ch.args, ch.stk, ch.p, ch.typ, ch.offset)


class V1Chunks:
    """``TraceChunks`` for an old-format trace: the same surface (iterate EventTable chunks;
    ``version``, ``error``, ``size`` after iteration). The parse happens here, in the
    constructor (Go's ``NewReader``): it raises :class:`TraceFormatError` when Go's parser
    rejects the trace. ``engine="fast"`` (default) runs the numba kernels
    (``format.v1._kernels``, ``model._v1kernel``), ``"reference"`` the pure-Python ports;
    ``keep_columns`` has no effect; ``_reuse`` lets chunks share their column buffers."""

    def __init__(
        self,
        buf,
        *,
        chunk_events: int | None = 1 << 18,
        keep_columns: bool = True,
        progress: Callable[[float], None] | None = None,
        engine: str = "fast",
        _reuse: bool = False,
    ) -> None:
        if engine not in ("fast", "reference"):
            raise ValueError(f"engine must be 'fast' or 'reference', not {engine!r}")
        if isinstance(buf, TraceFile):
            data = buf._mm if buf._mm is not None else buf.buf
        elif isinstance(buf, bytes | bytearray | mmap.mmap):
            data = buf
        else:
            data = as_buffer(buf) if isinstance(buf, np.ndarray) else bytes(buf)
        self.size = len(data)
        version, start = parse_header(bytes(data[:16]))
        self.version = version
        self.error: TraceFormatError | None = None
        #: Go's parser rejected the file after chunks were given (the stream found it late):
        #: Go's reader gives no event at all then, so ``stats`` drops what it counted
        self.rejected = False
        self._chunk = chunk_events
        self._progress = progress
        self._engine = engine
        self._reuse = _reuse and chunk_events is not None
        if engine == "reference" and not isinstance(data, bytes):
            data = bytes(data)
        self._data, self._start = data, start
        self._trace: V1Trace | None = None
        self._stream_first: Iterator[tuple] | None = None
        self._builder: _Builder | None = None
        if engine == "fast" and chunk_events is not None:
            self._stream_first = self._start_stream()
        if self._stream_first is None:
            self._trace = parse_v1(data, version, start, engine=engine)
        if progress is not None:
            progress(0.5)

    # --- streaming (format.v1.stream): the fast engine with chunks ---------------------------

    def _start_stream(self) -> Iterator[tuple] | None:
        """The streamed chunks (:meth:`_iter_stream`), with the first one already made (so a
        trace Go rejects within the first chunk is rejected here, all or nothing, as Go does);
        None: parse whole."""
        from goroscope.format.v1.stream import StreamDeclined, V1Stream
        from goroscope.model._gosort import sort_func

        try:
            st = V1Stream(self._data, self.version, self._start, sort_func=sort_func)
        except StreamDeclined:
            return None
        self._emitted = 0
        it = self._iter_stream(st)
        try:
            first = next(it)
        except StreamDeclined:
            return None
        except StopIteration:
            return iter(())

        def chain():
            yield first
            yield from it

        return chain()

    def _iter_stream(self, st) -> Iterator[tuple]:
        """The streamed parse's converted rows as ``(RowArrays, lo, hi, last_sync)`` items,
        each to be made an EventTable (``self._builder.build``) or counted (:meth:`rows`)
        before the next one is asked for: the row buffers are reused. Raises
        StreamDeclined before yielding a chunk that the stream cannot make."""
        from goroscope.format.v1._kernels import HAS_STACK
        from goroscope.model import _v1kernel as VK

        tr = st.tables
        ids = StringIDs(tr)
        gen = _generation(tr, ids, st.n_events)
        b = _Builder(ids, gen)
        b.reuse = self._reuse
        self._builder = b
        builtin = np.array(ids.builtin, np.uint64)
        inline = np.array(ids.inline, np.uint64) if ids.inline else np.zeros(1, np.uint64)
        stack_arg = np.array(_STACK_ARG, np.int64)
        state = VK.convert_state(st.n_pre_init + 16)
        step = self._chunk
        rows = min(step, STREAM_ROWS)  # merged v1 rows per round: bounds the buffers below
        cap = 2 * rows + 64
        out = None
        total = st.n_events + 2
        carry = None  # rows whose GoSysCall needs later rows (Go looks ahead for the same G)
        parts = st.chunks(rows)
        while True:
            ch = next(parts, None)
            last = ch is None
            if carry is not None and ch is not None:
                cols = tuple(
                    np.concatenate([a, c]) for a, c in zip(carry[1:], _cols(ch), strict=True)
                )
                row0 = carry[0]
            elif carry is not None:
                cols, row0 = carry[1:], carry[0]
            elif ch is not None:
                cols, row0 = _cols(ch), ch.row0
            else:
                cols, row0 = _cols(None), 0
            ts, g, args, stk, p, typ, off = cols
            blocked, fo = VK.syscall_blocked_open(typ, g)
            if last:
                fo = ts.shape[0]
            carry = (row0 + fo, *(a[fo:] for a in cols)) if fo < ts.shape[0] else None
            ts, g, args, stk, p, typ, off, blocked = (
                a[:fo] for a in (ts, g, args, stk, p, typ, off, blocked)
            )
            while True:
                if out is None or out[0].shape[0] < cap:
                    out = (np.empty(cap, np.uint8), np.empty(cap, np.int64),
                           np.empty((cap, 3), np.int64), np.empty((cap, 4), np.uint64),
                           np.empty(cap, np.int64), np.empty(cap, np.int8),
                           np.empty(cap, np.uint64), np.zeros((cap, 2), np.int64))  # fmt: skip
                o_typ, o_time, o_ctx, o_args, o_row, o_nk, o_ns, o_x = out
                status, on, bad, state = VK.convert_call(
                    self.version, ts, g, args, stk, p, typ, blocked, builtin, inline, stack_arg,
                    HAS_STACK, o_typ, o_time, o_ctx, o_args, o_row, o_nk, o_ns, state,
                    row0=row0, last=last,
                )  # fmt: skip
                if status == VK.ERR_ROOM:
                    cap *= 2
                    continue
                error = None
                if status == VK.ERR_UNEXPECTED:
                    error = TraceFormatError(
                        f"unexpected event type {int(typ[bad])}",
                        offset=int(off[bad]),
                        generation=None,
                    )
                ra = RowArrays((o_typ[:on], o_time[:on], o_ctx[:on], o_args[:on], o_row[:on],
                                o_x[:on]), o_nk[:on], o_ns[:on], on, error, status == VK.OK)  # fmt: skip
                last_sync = on - 1 if status == VK.OK else -1
                for lo in range(0, on, max(1, step)):
                    hi = min(on, lo + step)
                    self._emitted += hi - lo
                    yield ra, lo, hi, last_sync
                if self._progress is not None:
                    self._progress(min(1.0, 0.5 + 0.5 * (row0 + fo) / total))
                if status == VK.OK_MORE:
                    continue
                if status == VK.ERR_UNEXPECTED:
                    self.error = error
                    return
                break
            if status == VK.OK:
                return

    def _iter_stream_safe(self, as_rows: bool = False) -> Iterator:
        """The streamed chunks (EventTables, or ``order.RowChunk`` s when ``as_rows``); when
        the stream declines after some were yielded, the whole-file parse decides: Go's error
        (after the chunks already given), or the same rows from where the stream stopped
        (as EventTables)."""
        from goroscope.format.v1.stream import StreamDeclined

        try:
            for item in self._stream_first:
                yield self._row_chunk(*item) if as_rows else self._builder.build(*item)
            return
        except StreamDeclined:
            pass
        self._stream_first = None
        try:
            self._trace = parse_v1(self._data, self.version, self._start, engine="fast")
        except TraceFormatError as e:
            self.error = e
            self.rejected = True
            return
        skip = self._emitted
        for t in self._iter_whole():
            n = len(t)
            if skip >= n:
                skip -= n
                continue
            if skip:
                t = EventTable(
                    **{c: getattr(t, c)[skip:] for c in COLUMNS},
                    strings=t.strings,
                    generations=t.generations,
                )
            yield t
            skip = 0

    def __iter__(self) -> Iterator[EventTable]:
        if self._stream_first is not None:
            yield from self._iter_stream_safe()
            return
        yield from self._iter_whole()

    def _iter_whole(self) -> Iterator[EventTable]:
        tr = self._trace
        ids = StringIDs(tr)
        gen = _generation(tr, ids)
        b = _Builder(ids, gen)
        b.reuse = self._reuse
        total = len(tr) + 2
        if self._engine == "fast":
            parts = iter_convert_fast(tr, ids, self._chunk)
        else:
            parts = iter([_row_arrays(convert(tr, ids))])
        done = 0
        for ra in parts:
            self.error = ra.error
            last_sync = ra.n - 1 if ra.final else -1
            step = ra.n if self._chunk is None else self._chunk
            if ra.n == 0 and self._chunk is None:
                yield b.build(ra, 0, 0, -1)
            for lo in range(0, ra.n, max(1, step)):
                hi = min(ra.n, lo + step)
                yield b.build(ra, lo, hi, last_sync)
            done += ra.n
            if self._progress is not None:
                self._progress(min(1.0, 0.5 + 0.5 * done / total))
        self._trace = None

    def rows(self) -> Iterator:
        """``TraceChunks.rows``: the streamed path gives the converter's rows as
        ``order.RowChunk`` s (``stats`` counts them without building columns: this reader's
        ``strings``, ``row_luts`` and ``stw_name`` resolve them, as ``TraceChunks``'); the
        whole-file paths give :class:`EventTable` chunks."""
        if self._stream_first is not None:
            return self._iter_stream_safe(as_rows=True)
        return iter(self)

    def _row_chunk(self, ra: RowArrays, lo: int, hi: int, last_sync: int):
        from goroscope.model.order import RowChunk

        b = self._builder
        out = ra.out if lo == 0 else tuple(a[lo:] for a in ra.out)
        return RowChunk(out, hi - lo, 0, _NO_BUF, b.s_ids, b.s_set, b.code_of_idx, b.code_map)

    @property
    def strings(self) -> list[str]:
        """``TraceChunks.strings``: text of each string code (of :meth:`rows`' chunks)."""
        return self._builder.strings if self._builder is not None else [""]

    @property
    def row_luts(self) -> tuple:
        """``TraceChunks.row_luts`` (``_order_kernel.count_rows``' lookup tables)."""
        return self._builder.luts

    def stw_name(self, gen_idx: int, kind_id: int) -> str:
        """``TraceChunks.stw_name``: ``"stop-the-world (" + kind + ")"`` (one generation)."""
        return "stop-the-world (" + self._builder.text.get(kind_id, "") + ")"


_NO_BUF = np.zeros(0, np.uint8)
