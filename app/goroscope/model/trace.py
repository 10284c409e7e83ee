"""``goroscope.open(path) -> Trace``: the Python API over one trace (L1, numpy only, no Qt).

What
----
:class:`Trace` is the read-only handle a script or the app holds on one Go
execution trace: the file mapped read-only (or bytes), its generation index,
per-resource summaries (goroutines, procs, threads), stack and string
resolution, what a damaged trace lost, and streaming access to Go's events as
:class:`~goroscope.model.events.EventTable` chunks.

Invariants
----------
* Events come only from the model's public reader names
  (:class:`~goroscope.model.TraceChunks`, :func:`~goroscope.model.stats`), so the
  API speeds up unchanged when the fast ordering path replaces the reference
  reader behind them. Nothing here is per-event Python: each chunk is reduced
  with numpy into per-goroutine / per-proc / per-thread columns.
* Memory is bounded by the mapped file, one generation of decoded columns and
  one chunk of events (plus the per-generation string tables, 16 B per stack and
  the per-resource summaries). Stack frames are never kept: each generation keeps
  where its stacks are in the file (``model.lazy_stacks``) and :meth:`Trace.stack`
  decodes one when asked, so a million distinct stacks cost ~16 MB, not ~2 GB.
  Only :meth:`Trace.events_table` and the per-kind helpers materialise rows, and
  only the rows asked for.
* ``open()`` reads the trace once (``progress`` reports that pass) to build the
  summaries and find where Go's reader stops; every :meth:`Trace.events` call
  is a new pass over the mapped file.
* Damaged traces never raise: everything Go's reader returns before the damage
  is kept, ``Trace.error`` is Go's error and ``Trace.lost`` says what was not
  delivered (see :class:`Lost` and HACKING.md § Damaged traces per version).

Context goroutines vs goroutines that exist
-------------------------------------------
``tracecount`` (and ``goroscope.stats``) counts *context* IDs: the distinct
``Event.Goroutine()/Proc()/Thread()`` values, i.e. the goroutine that was
running when an event happened. A goroutine that is created, blocked or
unblocked by others but never runs inside the trace is not a context
goroutine. :attr:`Trace.goroutines` lists every goroutine that *exists* in the
trace (an event's context or the resource of a state transition, like Go's
``trace.Summarizer``); its ``in_context`` column marks the ones ``stats``
counts. Procs likewise; threads appear only as context.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

from goroscope.model.events import (
    COLUMNS,
    EventKind,
    EventTable,
    GenerationTables,
    GoState,
    ResourceKind,
)

if TYPE_CHECKING:
    from goroscope.format.errors import TraceFormatError
    from goroscope.format.index import TraceIndex

__all__ = [
    "Frame",
    "GenerationTable",
    "GoroutineTable",
    "Lost",
    "ProcTable",
    "ThreadTable",
    "Trace",
    "concat_tables",
    "loss_summary",
    "lost_from_index",
    "open",
    "take",
]

#: events per chunk yielded by :meth:`Trace.events` (a chunk costs ~120 B per event)
CHUNK_EVENTS = 1 << 18


class Frame(NamedTuple):
    """One stack frame (leaf first in a stack)."""

    pc: int
    func: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class GenerationTable:
    """One row per generation in the file (row ``i`` = ``EventTable.gen_idx == i``).

    gen : (g,) uint64 — generation number as written (starts above 1 after a restart or
        in a flight-recorder snapshot)
    byte_start, byte_end : (g,) int64 — half-open byte range in the file
    start_ns : (g,) int64 — time of the generation's Sync event (absolute trace-clock ns)
    end_ns : (g,) int64 — time of its last event returned (-1 if none was)
    events : (g,) int64 — events Go's reader returned from it (its Sync included)
    complete : (g,) bool — all of it was read and returned (False for the generation a
        damaged trace stops in, and those after it)
    """

    gen: NDArray[np.uint64]
    byte_start: NDArray[np.int64]
    byte_end: NDArray[np.int64]
    start_ns: NDArray[np.int64]
    end_ns: NDArray[np.int64]
    events: NDArray[np.int64]
    complete: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.gen.shape[0])


@dataclass(frozen=True, slots=True)
class GoroutineTable:
    """Every goroutine that exists in the trace, ascending ``goid`` (struct-of-arrays).

    goid : (n,) int64 — Go's goroutine ID
    first_ns, last_ns : (n,) int64 — first / last event time it appears in (as context or
        as the resource of a state transition), absolute trace-clock ns
    in_context : (n,) bool — some event ran on it (``Event.Goroutine()``): what
        ``stats()["goroutines"]`` counts
    transitions : (n,) int64 — state transitions of this goroutine
    created_ns : (n,) int64 — time of its creation (NotExist -> ...), -1 if it existed
        before its first generation
    creator : (n,) int64 — goroutine that created it (context of the GoCreate), -1 if none
        or unknown
    create_stack_id, create_gen_idx : (n,) uint64, int32 — the ``go`` statement's stack in
        the creator (``Event.Stack()`` of the creation); 0 / -1 if unknown
    start_stack_id, start_gen_idx : (n,) uint64, int32 — the new goroutine's start stack
        (the creation's ``StateTransition.Stack``: its start function); 0 / -1 if unknown
    start_func : (n,) int32 — code into ``funcs`` of the root frame of the first stack
        seen on its state transitions (Go's ``GoroutineSummary.Name``: the start function
        where known); -1 if no transition carried a stack
    end_state : (n,) uint8 — :class:`GoState` after its last transition (NotExist = exited)
    ended_ns : (n,) int64 — time it exited, -1 if still alive at the end of the trace
    funcs : code -> function name
    """

    goid: NDArray[np.int64]
    first_ns: NDArray[np.int64]
    last_ns: NDArray[np.int64]
    in_context: NDArray[np.bool_]
    transitions: NDArray[np.int64]
    created_ns: NDArray[np.int64]
    creator: NDArray[np.int64]
    create_stack_id: NDArray[np.uint64]
    create_gen_idx: NDArray[np.int32]
    start_stack_id: NDArray[np.uint64]
    start_gen_idx: NDArray[np.int32]
    start_func: NDArray[np.int32]
    end_state: NDArray[np.uint8]
    ended_ns: NDArray[np.int64]
    funcs: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.goid.shape[0])

    def names(self) -> list[str]:
        """Start function of each row ("" where unknown), like Go's goroutine groups."""
        f = self.funcs
        return [f[c] if c >= 0 else "" for c in self.start_func.tolist()]

    def row(self, goid: int) -> int:
        """Row of goroutine ``goid``; raises KeyError if it is not in the trace."""
        return _row(self.goid, goid)


@dataclass(frozen=True, slots=True)
class ProcTable:
    """Every proc (P) in the trace, ascending ``procid``.

    procid : (n,) int64
    first_ns, last_ns : (n,) int64 — first / last event time it appears in
    in_context : (n,) bool — some event ran on it (what ``stats()["procs"]`` counts)
    transitions : (n,) int64 — its state transitions
    end_state : (n,) uint8 — :class:`ProcState` after its last transition
    """

    procid: NDArray[np.int64]
    first_ns: NDArray[np.int64]
    last_ns: NDArray[np.int64]
    in_context: NDArray[np.bool_]
    transitions: NDArray[np.int64]
    end_state: NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.procid.shape[0])

    def row(self, procid: int) -> int:
        return _row(self.procid, procid)


@dataclass(frozen=True, slots=True)
class ThreadTable:
    """Every thread (M) that events ran on, ascending ``threadid`` (what ``stats()["threads"]`` counts).

    threadid : (n,) int64
    first_ns, last_ns : (n,) int64 — first / last event time on it
    events : (n,) int64 — events on it
    """

    threadid: NDArray[np.int64]
    first_ns: NDArray[np.int64]
    last_ns: NDArray[np.int64]
    events: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.threadid.shape[0])

    def row(self, threadid: int) -> int:
        return _row(self.threadid, threadid)


@dataclass(frozen=True, slots=True)
class Lost:
    """What a damaged or truncated trace did not deliver.

    Go's reader stops at the first problem; everything before it is kept. Go 1.26+
    drops the generation it stops in whole; earlier versions still return the events
    of that generation they could order (``partial``). See HACKING.md § Damaged traces
    per version.

    generation : number (as written) of the first generation not returned completely;
        None if the file ends before any batch
    offset : byte offset where the damage was found (Go's error position)
    start : first byte not (completely) returned: from here to the end of the file the
        events were not all returned. The start of that generation, except before Go 1.26
        when the reader stopped at a framing error (a torn or cut batch): then it returned
        every batch before it and ``start == offset``
    bytes : ``file size - start``
    share : ``bytes / file size`` (0..1)
    partial : some events of that generation were still returned (Go < 1.26)
    events_kept : events returned from that generation (its Sync included)
    generations_kept : complete generations returned before it
    message : Go's error; "" when Go saw a clean end (a tail of a 1.26 generation
        holding only string/stack batches, or EOF at a varint boundary of a table batch)
    """

    generation: int | None
    offset: int
    start: int
    bytes: int
    share: float
    partial: bool
    events_kept: int
    generations_kept: int
    message: str

    def as_dict(self) -> dict:
        """The JSON form (``stats()["lost"]``): generation, offset, start, bytes, share."""
        return {
            "generation": self.generation,
            "offset": self.offset,
            "start": self.start,
            "bytes": self.bytes,
            "share": self.share,
        }


def _row(ids: NDArray[np.int64], x: int) -> int:
    i = int(np.searchsorted(ids, x))
    if i >= ids.shape[0] or int(ids[i]) != x:
        raise KeyError(x)
    return i


# --- EventTable helpers ---------------------------------------------------------------------


def take(table: EventTable, rows: NDArray[np.bool_] | NDArray[np.integer]) -> EventTable:
    """The rows of ``table`` selected by a boolean mask or an index array (same strings)."""
    cols = {}
    for name in COLUMNS:
        a = getattr(table, name)[rows]
        a.flags.writeable = False
        cols[name] = a
    return EventTable(**cols, strings=table.strings, generations=table.generations)


def concat_tables(tables: list[EventTable]) -> EventTable:
    """Concatenate chunks of one pass (string codes and ``gen_idx`` are shared by a pass).

    The result takes ``strings`` and ``generations`` from the last chunk, which cover
    every earlier chunk of the same pass.
    """
    if not tables:
        return _empty_table()
    if len(tables) == 1:
        return tables[0]
    cols = {}
    for name in COLUMNS:
        a = np.concatenate([getattr(t, name) for t in tables])
        a.flags.writeable = False
        cols[name] = a
    last = tables[-1]
    return EventTable(**cols, strings=last.strings, generations=last.generations)


def _empty_table() -> EventTable:
    cols = {name: np.zeros(0, dt) for name, dt in COLUMNS.items()}
    return EventTable(**cols, strings=("",), generations=())


# --- per-id accumulation (columnar, chunk by chunk) -----------------------------------------


def _group(ids: NDArray[np.int64]) -> tuple[NDArray, NDArray, NDArray]:
    """(order, unique ids, group starts into ``ids[order]``); stable, so event order holds."""
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if s.shape[0] else np.zeros(0, int)
    return order, s[starts], starts


def _first(vals, order, starts):
    return vals[order][starts]


def _last(vals, order, starts):
    n = order.shape[0]
    ends = np.r_[starts[1:], n] - 1
    return vals[order][ends]


#: a ``t40`` column's stored value for its fill (no data): 40 bits all set
_T40_FILL = (1 << 40) - 1


class _IdColumns:
    """Per-ID columns keyed by ascending ID, merged chunk by chunk.

    Each column has a fill value (no data yet) and a rule for combining the value
    held with a later chunk's: ``min``, ``max``, ``first`` (keep the first non-fill),
    ``last`` (take the later non-fill), ``or``, ``sum``. A column may be held narrower
    than its values' type (``wide``): int32 for goroutine IDs and counts, uint32 for
    stack IDs, and ``"t40"`` for int64 times — 5 B, the time minus the first one seen
    (``base``; a uint32 column and the high byte in ``_hi``), the fill stored as 2^40 - 1,
    so 18 minutes from the first time. Values are combined in the wide type and a column
    is widened, exactly, the first time one does not fit; :meth:`wide` gives it in the
    wide type at the end.

    The columns live in buffers with spare room: IDs above all held ones (new goroutines
    mostly are) are appended in place, so a million goroutines do not reallocate every
    column per chunk (that churn kept ~80 MB of freed heap resident); an ID in between
    rebuilds them merged. ``ids``/``cols`` are views of the first ``n`` rows (a ``t40``
    column's low 32 bits: use :meth:`wide`); :meth:`compact` trims the buffers once the
    pass is done.
    """

    def __init__(self, spec: dict[str, tuple]):
        # name -> (held dtype or "t40", fill, rule[, wide dtype])
        self.spec = {k: (*v, v[0]) if len(v) == 3 else v for k, v in spec.items()}
        self.n = 0
        self._ids = np.zeros(0, np.int64)
        self._cols: dict[str, NDArray] = {}
        self._hi: dict[str, NDArray[np.uint8]] = {}
        self._base: int | None = None
        for k, (held, *_) in self.spec.items():
            self._cols[k] = np.zeros(0, np.uint32 if held == "t40" else held)
            if held == "t40":
                self._hi[k] = np.zeros(0, np.uint8)

    @property
    def ids(self) -> NDArray[np.int64]:
        return self._ids[: self.n]

    @property
    def cols(self) -> dict[str, NDArray]:
        return {k: c[: self.n] for k, c in self._cols.items()}

    def _parts(self):
        """(store, name, fill as stored) of every held array (a t40's two)."""
        for k, (_, fill, _, _) in self.spec.items():
            if k in self._hi:
                yield self._cols, k, 0xFFFFFFFF
                yield self._hi, k, 0xFF
            else:
                yield self._cols, k, fill

    def compact(self) -> None:
        """Buffers of exactly ``n`` rows (one column copied at a time)."""
        self._ids = self._ids[: self.n].copy()
        for store, k, _ in list(self._parts()):
            store[k] = store[k][: self.n].copy()

    def wide(self, k: str) -> NDArray:
        """Column ``k`` in its wide type (after :meth:`compact`; the held one is released)."""
        if k in self._hi:
            col = self._take(k, slice(0, self.n))
            del self._hi[k]
        else:
            col = self._cols[k][: self.n].astype(self.spec[k][3], copy=False)
        self._cols[k] = col
        return col

    def _take(self, k: str, pos) -> NDArray:
        """Column ``k`` at ``pos`` in its wide type."""
        _, fill, _, wide = self.spec[k]
        if k not in self._hi:
            return self._cols[k][pos].astype(wide, copy=False)
        raw = self._cols[k][pos].astype(np.int64)
        raw |= self._hi[k][pos].astype(np.int64) << 32
        none = raw == _T40_FILL
        raw += 0 if self._base is None else self._base
        raw[none] = fill
        return raw

    def _put(self, k: str, pos, new: NDArray) -> None:
        """Store ``new`` (wide type) at ``pos``, widening column ``k`` first if one does not fit."""
        _, fill, _, wide = self.spec[k]
        col = self._cols[k]
        if k in self._hi:
            real = new != fill
            if self._base is None and real.any():
                self._base = int(new[real].min())
            raw = new - (0 if self._base is None else self._base)
            r = raw[real]
            if r.shape[0] == 0 or (int(r.min()) >= 0 and int(r.max()) < _T40_FILL):
                raw[~real] = _T40_FILL
                col[pos] = raw.astype(np.uint32)  # the low 32 bits (wraps)
                self._hi[k][pos] = (raw >> 32).astype(np.uint8)
                return
            col = self._cols[k] = self._take(k, slice(None))  # exact: widen for good
            del self._hi[k]
        elif col.dtype != wide and new.shape[0]:
            info = np.iinfo(col.dtype)
            if int(new.min()) < info.min or int(new.max()) > info.max:
                col = self._cols[k] = col.astype(wide)
        col[pos] = new

    def _grow(self, need: int) -> None:
        cap = max(need, self._ids.shape[0] * 5 // 4, 64)
        ids = np.empty(cap, np.int64)
        ids[: self.n] = self._ids[: self.n]
        self._ids = ids
        for store, k, fill in list(self._parts()):
            col = np.full(cap, fill, store[k].dtype)
            col[: self.n] = store[k][: self.n]
            store[k] = col
        if cap >= 1 << 16:  # the old buffers' heap pages back to the OS
            from goroscope.model.spans import release_free_memory

            release_free_memory()

    def update(self, ids: NDArray[np.int64], values: dict[str, NDArray]) -> None:
        """Merge per-ID values (``ids`` unique, ascending) for some columns; other columns
        keep theirs."""
        if ids.shape[0] == 0:
            return
        n_old = self.n
        held = self.ids
        pos = np.searchsorted(held, ids)
        found = pos < n_old
        found[found] = held[pos[found]] == ids[found]
        if not found.all():
            new_ids = ids[~found]
            k_new = new_ids.shape[0]
            if n_old + k_new > self._ids.shape[0]:
                self._grow(n_old + k_new)
            if n_old == 0 or int(new_ids[0]) > int(self._ids[n_old - 1]):
                self._ids[n_old : n_old + k_new] = new_ids  # appended; rows keep fill
                self.n = n_old + k_new
            else:
                merged = np.concatenate([self._ids[:n_old], new_ids])
                order = np.argsort(merged, kind="stable")
                self._ids[: n_old + k_new] = merged[order]
                for store, k, fill in list(self._parts()):
                    col = store[k]
                    grown = np.concatenate([col[:n_old], np.full(k_new, fill, col.dtype)])
                    col[: n_old + k_new] = grown[order]
                self.n = n_old + k_new
            pos = np.searchsorted(self.ids, ids)
        for k, v in values.items():
            _, fill, rule, wide = self.spec[k]
            old = self._take(k, pos)
            v = v.astype(wide, copy=False)
            if rule == "min":
                new = np.where(old == fill, v, np.minimum(old, v))
            elif rule == "max":
                new = np.where(old == fill, v, np.maximum(old, v))
            elif rule == "first":
                new = np.where(old == fill, v, old)
            elif rule == "last":
                new = np.where(v == fill, old, v)
            elif rule == "or":
                new = old | v
            else:  # sum
                new = old + v
            self._put(k, pos, new)


_NOT_SEEN = np.iinfo(np.int64).max


class _Summary:
    """The one pass behind :class:`Trace`: goroutines, procs, threads and generation times."""

    def __init__(self) -> None:
        i64, u64, i32, u32, u8 = np.int64, np.uint64, np.int32, np.uint32, np.uint8
        self.g = _IdColumns(
            {
                # held narrow (widened when a value does not fit; int64/uint64 in the
                # table): 38 B less per goroutine while the reader runs
                "first_ns": ("t40", _NOT_SEEN, "min", i64),
                "last_ns": ("t40", -1, "max", i64),
                "in_context": (np.bool_, False, "or"),
                "transitions": (i32, 0, "sum", i64),
                "created_ns": ("t40", -1, "first", i64),
                "creator": (i32, -2, "first", i64),
                "create_stack_id": (u32, 0, "first", u64),
                "start_stack_id": (u32, 0, "first", u64),
                # the creation's generation: create_gen_idx and start_gen_idx both
                "gen_idx": (i32, -1, "first"),
                "start_func": (i32, -1, "first"),
                "end_state": (u8, 255, "last"),
                "ended_ns": ("t40", -1, "last", i64),
            }
        )
        self.p = _IdColumns(
            {
                "first_ns": (i64, _NOT_SEEN, "min"),
                "last_ns": (i64, -1, "max"),
                "in_context": (np.bool_, False, "or"),
                "transitions": (i64, 0, "sum"),
                "end_state": (u8, 255, "last"),
            }
        )
        self.m = _IdColumns(
            {
                "first_ns": (i64, _NOT_SEEN, "min"),
                "last_ns": (i64, -1, "max"),
                "events": (i64, 0, "sum"),
            }
        )
        self.funcs: list[str] = []
        self._func_codes: dict[str, int] = {}
        self.gen_events = np.zeros(0, np.int64)
        self.gen_first = np.zeros(0, np.int64)
        self.gen_last = np.zeros(0, np.int64)
        self.events = 0
        self.tables: tuple[GenerationTables, ...] = ()

    def add(self, ev: EventTable) -> None:
        n = len(ev)
        self.tables = ev.generations
        if n == 0:
            return
        self.events += n
        t = ev.time_ns
        self._generations(ev)
        # Threads: context only.
        m = ev.thread != -1
        if m.any():
            order, u, starts = _group(ev.thread[m])
            tm = t[m]
            counts = np.diff(np.r_[starts, order.shape[0]])
            self.m.update(
                u,
                {
                    "first_ns": _first(tm, order, starts),
                    "last_ns": _last(tm, order, starts),
                    "events": counts,
                },
            )
        st = ev.kind == EventKind.StateTransition
        self._resource(ev, ev.proc, st & (ev.resource_kind == ResourceKind.Proc), self.p)
        gst = st & (ev.resource_kind == ResourceKind.Goroutine)
        self._resource(ev, ev.goroutine, gst, self.g)
        if gst.any():
            self._goroutine_transitions(ev, gst)

    def _generations(self, ev: EventTable) -> None:
        gi = ev.gen_idx
        has = gi >= 0
        if not has.any():
            return
        need = int(gi.max()) + 1
        if need > self.gen_events.shape[0]:
            grow = need - self.gen_events.shape[0]
            self.gen_events = np.r_[self.gen_events, np.zeros(grow, np.int64)]
            self.gen_first = np.r_[self.gen_first, np.full(grow, _NOT_SEEN, np.int64)]
            self.gen_last = np.r_[self.gen_last, np.full(grow, -1, np.int64)]
        g = gi[has]
        tm = ev.time_ns[has]
        self.gen_events += np.bincount(g, minlength=self.gen_events.shape[0])
        np.minimum.at(self.gen_first, g, tm)
        np.maximum.at(self.gen_last, g, tm)

    @staticmethod
    def _resource(ev: EventTable, ctx: NDArray, st: NDArray, acc: _IdColumns) -> None:
        """Context IDs and transition-resource IDs of one resource kind."""
        t = ev.time_ns
        c = ctx != -1
        ids = np.concatenate([ctx[c], ev.resource_id[st]])
        if ids.shape[0] == 0:
            return
        times = np.concatenate([t[c], t[st]])
        in_ctx = np.concatenate([np.ones(int(c.sum()), bool), np.zeros(int(st.sum()), bool)])
        is_tr = ~in_ctx
        order, u, starts = _group(ids)
        acc.update(
            u,
            {
                "first_ns": np.minimum.reduceat(times[order], starts),
                "last_ns": np.maximum.reduceat(times[order], starts),
                "in_context": np.logical_or.reduceat(in_ctx[order], starts),
                "transitions": np.add.reduceat(is_tr[order].astype(np.int64), starts),
            },
        )
        if st.any():
            order, u, starts = _group(ev.resource_id[st])
            acc.update(u, {"end_state": _last(ev.state_to[st], order, starts)})

    def _goroutine_transitions(self, ev: EventTable, gst: NDArray[np.bool_]) -> None:
        rid = ev.resource_id
        # Creations: NotExist -> anything (GoCreate, GoCreateBlocked, GoCreateSyscall).
        cr = gst & (ev.state_from == GoState.NotExist)
        if cr.any():
            order, u, starts = _group(rid[cr])
            self.g.update(
                u,
                {
                    "created_ns": _first(ev.time_ns[cr], order, starts),
                    "creator": _first(ev.goroutine[cr], order, starts),
                    "create_stack_id": _first(ev.stack_id[cr], order, starts),
                    "start_stack_id": _first(ev.transition_stack_id[cr], order, starts),
                    "gen_idx": _first(ev.gen_idx[cr], order, starts),
                },
            )
        ex = gst & (ev.state_to == GoState.NotExist)
        if ex.any():
            order, u, starts = _group(rid[ex])
            self.g.update(u, {"ended_ns": _last(ev.time_ns[ex], order, starts)})
        # Names, as Go's Summarizer: the root frame of the first stack on a transition
        # that changes the state, for goroutines not named yet (one lookup per goroutine).
        cand = gst & (ev.state_from != ev.state_to) & (ev.transition_stack_id != 0)
        if not cand.any():
            return
        rows = np.flatnonzero(cand)
        ids = rid[rows]
        pos = np.searchsorted(self.g.ids, ids)
        unnamed = self.g.cols["start_func"][pos] == -1
        rows, ids = rows[unnamed], ids[unnamed]
        if rows.shape[0] == 0:
            return
        order, u, starts = _group(ids)
        bounds = np.r_[starts, order.shape[0]]
        names = np.full(u.shape[0], -1, np.int32)
        gens = self.tables
        for j in range(u.shape[0]):
            for r in rows[order[bounds[j] : bounds[j + 1]]].tolist():
                frames = gens[int(ev.gen_idx[r])].frames(int(ev.transition_stack_id[r]))
                if frames:
                    names[j] = self._func_code(frames[-1][1])
                    break
        keep = names != -1
        self.g.update(u[keep], {"start_func": names[keep]})

    def _func_code(self, s: str) -> int:
        c = self._func_codes.get(s)
        if c is None:
            c = len(self.funcs)
            self.funcs.append(s)
            self._func_codes[s] = c
        return c

    # --- results

    def goroutines(self) -> GoroutineTable:
        g = self.g
        g.compact()
        for k in g.spec:
            g.wide(k)  # one column at a time, each after the last
        c = dict(g.cols)
        gen = c.pop("gen_idx")
        c["create_gen_idx"] = gen  # one read-only array for both (equal by definition)
        c["start_gen_idx"] = gen
        c["creator"] = np.where(c["creator"] == -2, -1, c["creator"])
        c["end_state"] = np.where(c["end_state"] == 255, GoState.Undetermined, c["end_state"])
        c["end_state"] = c["end_state"].astype(np.uint8)
        return _ro(GoroutineTable(goid=self.g.ids, **c, funcs=tuple(self.funcs)))

    def procs(self) -> ProcTable:
        self.p.compact()
        c = dict(self.p.cols)
        c["end_state"] = np.where(c["end_state"] == 255, 0, c["end_state"]).astype(np.uint8)
        return _ro(ProcTable(procid=self.p.ids, **c))

    def threads(self) -> ThreadTable:
        self.m.compact()
        return _ro(ThreadTable(threadid=self.m.ids, **self.m.cols))


def _ro(table):
    for f in fields(table):
        a = getattr(table, f.name)
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return table


def _strip_events(gt: GenerationTables) -> GenerationTables:
    """A generation's tables without its decoded event columns (strings and stacks stay)."""
    ev = gt.columns.events
    if len(ev) == 0:
        return gt
    empty = type(ev)(*(np.zeros((0, *getattr(ev, f.name).shape[1:]), getattr(ev, f.name).dtype)
                       for f in fields(ev)))  # fmt: skip
    return dataclasses.replace(gt, columns=dataclasses.replace(gt.columns, events=empty))


# --- loss -------------------------------------------------------------------------------------


def lost_from_index(
    index: TraceIndex,
    size: int,
    error: TraceFormatError | None,
    gen_events: NDArray[np.int64] | None = None,
) -> Lost | None:
    """What a damaged or truncated trace did not deliver (a :class:`Lost`), or None.

    index : the trace's batch-header index (``goroscope.format.index.index_trace``)
    size : the file's size in bytes
    error : the reader's error (None if it reached the end cleanly; an incomplete
        last generation in ``index`` still counts as lost then)
    gen_events : events returned per generation (``Lost.events_kept``/``partial``);
        None when not known (both then say nothing was kept of that generation)

    The first generation not returned completely is the first index row that is
    incomplete or whose bytes reach past the error's offset (the rows before it were
    read and returned whole: Go stops at the first error). Cheap: it reads the index
    only, so a GUI can say what was lost before the model is built.
    """
    gi = index.generations
    if error is None and index.error is None and bool(gi.complete.all()):
        return None
    if error is not None:
        offset = size if error.offset is None else int(error.offset)
        message = error.message
    elif index.error is not None and index.error.offset is not None:
        offset, message = int(index.error.offset), ""
    else:
        offset, message = size, ""
    k = 0
    g = len(gi)
    while k < g and gi.complete[k] and int(gi.byte_end[k]) <= offset:
        k += 1
    if k < g:
        start, gen = int(gi.byte_start[k]), int(gi.gen[k])
    elif g:
        start, gen = int(gi.byte_end[g - 1]), (int(gi.gen[g - 1]) + 1) & ((1 << 64) - 1)
    else:
        start = index.header_size
        gen = error.generation if error is not None else None
    start = min(start, offset) if k >= g else start
    ie = index.error
    if int(index.version) < 26 and error is not None and ie is not None and ie.offset == offset:
        # Before 1.26 Go orders and returns the batches read before a framing error, so
        # when the reader stopped *at* that error (not at an earlier event of the partial
        # generation), every byte before it was returned.
        start = max(start, offset)
    if error is None and start >= size and offset >= size:
        return None
    kept = 0
    if gen_events is not None and k < gen_events.shape[0]:
        kept = int(gen_events[k])
    lost = max(0, size - start)
    return Lost(
        generation=gen,
        offset=offset,
        start=start,
        bytes=lost,
        share=lost / size if size else 0.0,
        partial=kept > 0,
        events_kept=kept,
        generations_kept=k,
        message=message,
    )


def loss_summary(source, error: TraceFormatError) -> dict:
    """``stats()["lost"]`` for a trace whose reading stopped with ``error``.

    source : the trace (a ``TraceFile``, ``bytes``, ``mmap`` or a uint8 array). Indexes
    the batch headers only (cheap); see :class:`Lost` for the meaning of the keys.
    ``goroscope.model.stats.stats`` calls it beside ``out["error"]``.
    """
    from goroscope.format.index import index_trace
    from goroscope.format.tracefile import TraceFile

    if isinstance(source, TraceFile):
        lost = lost_from_index(index_trace(source), source.size, error)
    else:
        arr = source if isinstance(source, np.ndarray) else np.frombuffer(source, np.uint8)
        try:
            lost = lost_from_index(index_trace(arr), int(arr.shape[0]), error)
        finally:
            del arr
    return lost.as_dict() if lost is not None else {}


# --- Trace ------------------------------------------------------------------------------------


def open(  # noqa: A001 - goroscope.open, like builtins.open
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    *,
    progress: Callable[[float], None] | None = None,
) -> Trace:
    """Open a Go execution trace (Go 1.22+) for reading; see :class:`Trace`.

    source : a path (mapped read-only) or the bytes of a whole trace
    progress : called with the fraction (0..1, non-decreasing, last call 1.0) of the
        file read while ``open`` makes its one pass over the events

    Raises ``OSError`` if the file cannot be read and
    :class:`~goroscope.format.errors.UnsupportedVersionError` for a header that is not
    a Go 1.11+ trace. A damaged trace does not raise: see ``Trace.error``/``Trace.lost``;
    except an old-format (Go 1.11-1.21) trace Go's reader rejects, which raises its
    ``TraceFormatError`` (Go reads those all or nothing; issue 7, ``model._v1convert``).
    """
    return Trace(source, progress=progress)


class Trace:
    """One Go execution trace opened for reading (a context manager).

    Attributes (available right after :func:`open`)
    -----------------------------------------------
    path : the file path, or None for bytes
    size : file size in bytes
    version : ``"go1.22"`` ... ``"go1.26"`` (the header's format version; Go 1.24 writes
        go1.23 and Go 1.27 go1.26)
    generations : :class:`GenerationTable`, one row per generation in the file
    goroutines, procs, threads : :class:`GoroutineTable`, :class:`ProcTable`,
        :class:`ThreadTable` (see the module doc: context IDs vs IDs that exist)
    error : Go's error (a :class:`TraceFormatError`: ``.message``, ``.offset``,
        ``.generation``) when the trace is damaged, else None
    lost : :class:`Lost` — what was not delivered — or None for a complete trace
    num_events : events Go's reader returns (Syncs included)
    start_ns, end_ns : first and last event time (absolute trace-clock ns)

    Events (each call reads the trace again, chunk by chunk)
    ---------------------------------------------------------
    :meth:`events` yields :class:`EventTable` chunks; :meth:`events_table` returns one
    table (small traces; cached); :meth:`select` and the per-kind helpers
    (:meth:`state_transitions`, :meth:`ranges`, :meth:`tasks`, :meth:`regions`,
    :meth:`logs`, :meth:`metrics`, :meth:`labels`, :meth:`stack_samples`) return
    only the matching rows as one :class:`EventTable`.

    Stacks and strings are per generation: resolve a stack ID with the ``gen_idx`` of
    the row it came from (:meth:`stack`, :meth:`string`). Not thread-safe: one
    ``Trace`` per thread, or serialise calls.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | bytes | bytearray | memoryview,
        *,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        from goroscope.format.index import index_trace
        from goroscope.format.tracefile import TraceFile

        self.path: str | None = None
        self._tf: TraceFile | None = None
        self._table: EventTable | None = None
        self._stats: dict | None = None
        self._tables: tuple[GenerationTables, ...] = ()
        if not isinstance(source, bytes | bytearray | memoryview):
            self.path = os.fspath(source)
        # The reader gets the TraceFile (a bare mmap was copied to bytes whole: +1x the
        # file) and releases each generation's mapped pages as it goes.
        self._tf = TraceFile(source, allow_v1=True)  # unknown headers raise (v1: issue 7)
        try:
            self.size = self._tf.size
            self.version = str(self._tf.version)
            self._index = index_trace(self._tf)
            self._load(progress)
            self._release_pages()
        except BaseException:
            self.close()
            raise

    # --- the one pass

    def _chunks(self, *, chunk_events: int | None, keep_columns: bool, progress=None,
                reuse: bool = False):  # fmt: skip
        from goroscope.model import TraceChunks

        # lazy_stacks: each generation keeps where its stacks are, not their frames;
        # reuse: each chunk's columns overwrite the previous one's (a folding consumer)
        return TraceChunks(self._require(), chunk_events=chunk_events, keep_columns=keep_columns,
                           progress=progress, lazy_stacks=not keep_columns,
                           _reuse=reuse)  # fmt: skip

    def _load(self, progress: Callable[[float], None] | None) -> None:
        from goroscope.model.lazy_stacks import TablePages

        report = _monotonic(progress)
        # _Summary folds each chunk before the next: one set of column buffers
        chunks = self._chunks(
            chunk_events=CHUNK_EVENTS, keep_columns=False, progress=report, reuse=True
        )
        s = _Summary()
        first = last = None
        # v2: drop the table batches' pages as we go (v1: one generation, Go's parser)
        pages = TablePages(self._tf, self._index) if int(self._tf.version) >= 22 else None
        for table in chunks:
            s.add(table)
            if len(table) and pages is not None:
                g = int(table.gen_idx[-1])  # its stack lookups and the next one's decode
                pages.release(g)
                pages.release(g + 1)
            if len(table):
                if first is None:
                    first = int(table.time_ns[0])
                last = int(table.time_ns[-1])
        if report is not None:
            report(1.0)
        self.error: TraceFormatError | None = chunks.error
        # the reader's state and chunk buffers go before the tables are made final
        table = chunks = None
        self.num_events = s.events
        self.start_ns = -1 if first is None else first
        self.end_ns = -1 if last is None else last
        self.goroutines = s.goroutines()
        self.procs = s.procs()
        self.threads = s.threads()
        # lazily resolved stacks (16 B per stack; the reference reader's, after damage,
        # are decoded tables without their event columns)
        self._tables = tuple(_strip_events(t) for t in s.tables)
        self.lost = lost_from_index(self._index, self.size, self.error, s.gen_events)
        self.generations = self._generation_table(s)

    def _generation_table(self, s: _Summary) -> GenerationTable:
        gi = self._index.generations
        g = len(gi)
        events = np.zeros(g, np.int64)
        start = gi.first_ns.astype(np.int64, copy=True)
        end = np.full(g, -1, np.int64)
        k = min(g, s.gen_events.shape[0])
        events[:k] = s.gen_events[:k]
        seen = events > 0
        start[seen] = s.gen_first[:k][seen[:k]]
        end[seen] = s.gen_last[:k][seen[:k]]
        complete = gi.complete.copy()
        if self.lost is not None:
            complete[self.lost.generations_kept :] = False
        return _ro(
            GenerationTable(
                gen=gi.gen,
                byte_start=gi.byte_start,
                byte_end=gi.byte_end,
                start_ns=start,
                end_ns=end,
                events=events,
                complete=complete,
            )
        )

    # --- events

    def events(
        self,
        *,
        chunk_events: int = CHUNK_EVENTS,
        progress: Callable[[float], None] | None = None,
    ) -> Iterator[EventTable]:
        """Go's events in order, as :class:`EventTable` chunks of at most ``chunk_events`` rows.

        Memory stays bounded by one chunk and one generation. Within one call, string
        codes and ``gen_idx`` mean the same in every chunk (the ``strings`` of a later
        chunk extend an earlier one's). The decoded wire columns of finished
        generations are released, so ``str()`` of an Experimental event's view shows
        its args only while its generation is current. ``progress`` as for :func:`open`.
        """
        report = _monotonic(progress)
        yield from self._chunks(chunk_events=chunk_events, keep_columns=False, progress=report)
        self._release_pages()
        if report is not None:
            report(1.0)

    def events_table(self) -> EventTable:
        """Every event in one :class:`EventTable` (cached). Needs ~120 B per event: small traces."""
        if self._table is None:
            self._table = concat_tables(list(self._chunks(chunk_events=None, keep_columns=True)))
        return self._table

    def select(
        self,
        *kinds: EventKind,
        where: Callable[[EventTable], NDArray[np.bool_]] | None = None,
    ) -> EventTable:
        """The events of the given kinds (all kinds if none) for which ``where`` holds.

        where : optional ``f(chunk) -> (len(chunk),) bool`` mask, evaluated per chunk
        """

        def mask(t: EventTable) -> NDArray[np.bool_]:
            m = np.isin(t.kind, np.asarray(kinds, np.uint8)) if kinds else np.ones(len(t), bool)
            if where is not None:
                m &= where(t)
            return m

        if self._table is not None:
            return take(self._table, mask(self._table))
        return concat_tables([take(t, mask(t)) for t in self.events()])

    def state_transitions(self, resource: ResourceKind | None = None) -> EventTable:
        """StateTransition events; ``resource`` keeps only goroutine or proc transitions.

        Columns: ``resource_kind/resource_id`` (whose state changed), ``state_from``,
        ``state_to`` (:class:`GoState` or :class:`ProcState`), ``reason`` (string code),
        ``transition_stack_id``; ``goroutine/proc/thread`` are the context.
        """
        if resource is None:
            return self.select(EventKind.StateTransition)
        rk = int(resource)
        return self.select(EventKind.StateTransition, where=lambda t: t.resource_kind == rk)

    def ranges(self) -> EventTable:
        """RangeBegin/RangeActive/RangeEnd (GC phases, stop-the-world, sweep, mark assist)."""
        return self.select(EventKind.RangeBegin, EventKind.RangeActive, EventKind.RangeEnd)

    def tasks(self) -> EventTable:
        """TaskBegin/TaskEnd (``task_id``, ``parent_task_id``, ``name`` = task type)."""
        return self.select(EventKind.TaskBegin, EventKind.TaskEnd)

    def regions(self) -> EventTable:
        """RegionBegin/RegionEnd (``task_id``, ``name`` = region type, ``goroutine``)."""
        return self.select(EventKind.RegionBegin, EventKind.RegionEnd)

    def logs(self) -> EventTable:
        """Log events (``task_id``, ``name`` = category, ``message``)."""
        return self.select(EventKind.Log)

    def metrics(self) -> EventTable:
        """Metric events (``name`` = metric name, ``value``)."""
        return self.select(EventKind.Metric)

    def labels(self) -> EventTable:
        """Label events (``name`` = label, ``resource_id`` = the goroutine)."""
        return self.select(EventKind.Label)

    def stack_samples(self) -> EventTable:
        """StackSample (CPU profile) events; the sample's stack is ``stack_id``."""
        return self.select(EventKind.StackSample)

    # --- stacks and strings

    def stack(self, stack_id: int, gen_idx: int) -> list[Frame]:
        """Frames of wire stack ``stack_id`` of generation row ``gen_idx``, leaf first.

        ``gen_idx`` is the ``EventTable.gen_idx`` of the row the ID came from (stack IDs
        are per generation). ``[]`` for stack 0 or an unknown ID. The frames are decoded
        from the mapped file when asked (~µs; raises ValueError once the trace is closed).
        """
        stack_id, gen_idx = int(stack_id), int(gen_idx)
        self._require()
        if stack_id == 0 or not 0 <= gen_idx < len(self._tables):
            return []
        return [Frame(*f) for f in self._tables[gen_idx].frames(stack_id)]

    def string(self, string_id: int, gen_idx: int) -> str:
        """Wire string ``string_id`` of generation row ``gen_idx`` ("" for 0 or unknown)."""
        gen_idx = int(gen_idx)
        if not 0 <= gen_idx < len(self._tables):
            return ""
        return self._tables[gen_idx].strings.get(int(string_id), "")

    def generation_tables(self, gen_idx: int) -> GenerationTables:
        """Strings and stacks of generation row ``gen_idx`` (decoded event columns released)."""
        return self._tables[gen_idx]

    # --- stats

    def stats(self) -> dict:
        """``goroscope.stats`` of this trace: the keys of ``tracecount -json -v`` (cached).

        For a trace opened from bytes, ``"file"`` is ``"<bytes>"``.
        """
        if self._stats is None:
            from goroscope.model.stats import stats

            if self.path is not None:
                self._stats = stats(self.path)
            else:
                with tempfile.TemporaryDirectory() as d:
                    p = os.path.join(d, "trace")
                    with builtins.open(p, "wb") as f:
                        f.write(self._require().buf)
                    self._stats = {**stats(p), "file": "<bytes>"}
        return dict(self._stats)

    # --- lifetime

    def _release_pages(self) -> None:
        """Drop the mapped pages read by a pass from our RSS (the page cache keeps them).

        See HACKING.md § Memory: mapped pages count in RSS, so after a full pass the
        whole file would stay resident otherwise.
        """
        if self._tf is not None:
            self._tf.release_pages(0, self.size)

    def _require(self):
        if self._tf is None or self._tf.closed:
            raise ValueError("Trace is closed")
        return self._tf

    @property
    def closed(self) -> bool:
        return self._tf is None or self._tf.closed

    def close(self) -> None:
        """Unmap the file. Summaries and strings stay usable; reading events or stacks
        then raises ValueError."""
        self._table = None
        # the lazy stack tables hold views of the mapping: drop them first
        self._tables = tuple(dataclasses.replace(t, stack_frames=None) for t in self._tables)
        tf, self._tf = self._tf, None
        if tf is not None:
            # NOTE: while a caller still holds a view of the mapping, the mapping goes
            # when the last view does (TraceFile.close, STYLE.md §3.5).
            tf.close()

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.path if self.path is not None else "<bytes>"
        state = "closed" if self.closed else f"{self.size} bytes"
        extra = "" if self.lost is None else f", lost {self.lost.share:.1%}"
        return f"Trace({where!r}, {self.version}, {self.num_events} events, {state}{extra})"


def _monotonic(cb: Callable[[float], None] | None) -> Callable[[float], None] | None:
    """Wrap ``cb`` so that it sees non-decreasing fractions in [0, 1] and 1.0 once at the end."""
    if cb is None:
        return None
    last = [-1.0]

    def report(f: float) -> None:
        f = min(1.0, max(float(f), 0.0))
        if f < last[0] or (f == last[0] == 1.0):
            return
        last[0] = f
        cb(f)

    return report
