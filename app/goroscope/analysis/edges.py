"""Unblock edges: who made each goroutine runnable, when, and from where (L2, numpy).

:func:`unblock_edges` streams a trace once and keeps, for every goroutine state
transition *to* ``Runnable`` (Go's ``StateTransition`` with ``Resource`` a
goroutine and new state ``GoRunnable``), one row of columns:

* the goroutine made runnable and the time;
* the state it came from: ``Waiting`` (``GoUnblock``: unblocked by someone),
  ``NotExist`` (``GoCreate``: created), ``Running`` (``GoStop``/preemption/
  ``Gosched``: it yielded), ``Syscall`` (returned from a syscall without a P),
  ``Undetermined`` (first seen runnable);
* the event's context: the goroutine, proc and thread it happened on (for an
  unblock, *the unblocker*; -1 when none, e.g. the netpoller or a timer firing on
  a thread without a goroutine);
* the event's stack (``Event.Stack()``: for ``GoUnblock``, where the unblocker
  was; for ``GoCreate``, the ``go`` statement), as an index into a stack table
  deduplicated per (generation, stack ID).

This is the bulk form of what :class:`goroscope.model.spans.DetailResolver`
re-derives one span at a time. Memory: 45 B per edge (the 450 MB trace has tens
of millions of transitions to Runnable: filter by ``goids`` or a time range
there); the stacks of a trace read from a path are decoded from the file when
asked (``TraceChunks(lazy_stacks=True)``, :class:`~goroscope.analysis.profiles.StackFrames`:
16 B per distinct stack, not its frames). Job thread; pure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from goroscope.analysis._fast import StackKeys
from goroscope.analysis.profiles import StackFrames
from goroscope.model.events import EventKind, EventTable, GoState, ResourceKind

__all__ = ["UnblockEdges", "unblock_edges"]


@dataclass(frozen=True)
class UnblockEdges:
    """Transitions to Runnable as columns, in trace order (times ascending).

    goid : (n,) int64 — the goroutine made runnable
    time_ns : (n,) int64 — absolute trace-clock ns (``Event.Time()``)
    from_state : (n,) uint8 — ``GoState`` before the transition
    by_goid, by_proc, by_thread : (n,) int64 — the event's context (Go IDs; -1: none)
    stack : (n,) int32 — row in ``stacks`` of the event's stack (-1: none)
    stacks : per stack row its frames ``[(pc, func, file, line), ...]``, leaf first (a
        sequence; from a path, decoded from the mapped file on demand)
    """

    goid: NDArray[np.int64]
    time_ns: NDArray[np.int64]
    from_state: NDArray[np.uint8]
    by_goid: NDArray[np.int64]
    by_proc: NDArray[np.int64]
    by_thread: NDArray[np.int64]
    stack: NDArray[np.int32]
    stacks: Sequence = field(repr=False)
    _index: list = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.goid.shape[0])

    def of(self, goid: int) -> NDArray[np.int64]:
        """(k,) int64 — rows of goroutine ``goid``, in time order (a CSR built once)."""
        if not self._index:
            order = np.argsort(self.goid, kind="stable")
            self._index.append((self.goid[order], order))
        srt, order = self._index[0]
        a, b = np.searchsorted(srt, [goid, goid + 1])
        return order[a:b]

    def unblocked_by(self, goid: int) -> NDArray[np.int64]:
        """Rows where ``goid`` was unblocked (from Waiting), in time order."""
        rows = self.of(goid)
        return rows[self.from_state[rows] == GoState.Waiting]

    def frames(self, row: int) -> list[tuple[int, str, str, int]]:
        """The stack of edge ``row`` (``[]`` when it has none)."""
        s = int(self.stack[row])
        return self.stacks[s] if s >= 0 else []


def unblock_edges(
    source,
    *,
    goids=None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    chunk_events: int = 1 << 18,
) -> UnblockEdges:
    """Every goroutine transition to Runnable in ``source`` (a path, trace bytes, an
    :class:`EventTable` or an iterable of chunks in trace order).

    goids : keep only these goroutines (an iterable of Go IDs); None keeps all
    start_ns, end_ns : keep only edges with ``start_ns <= time < end_ns`` (absolute ns)

    A damaged trace gives the edges of what Go's reader returned before its error.
    """
    keep = None if goids is None else np.unique(np.asarray(list(goids), np.int64))
    cols: dict[str, list] = {k: [] for k in ("g", "t", "f", "bg", "bp", "bm", "s")}
    keys = StackKeys()  # (generation, stack ID) -> dense key; any uint64 stack ID
    stack_of = [np.zeros(256, np.int32)]  # per dense key: row in ``stacks`` (-1: none)
    stacks = StackFrames(limit=None)

    def feed(ev: EventTable) -> None:
        m = (
            (ev.kind == EventKind.StateTransition)
            & (ev.resource_kind == ResourceKind.Goroutine)
            & (ev.state_to == GoState.Runnable)
        )
        if keep is not None:
            m &= np.isin(ev.resource_id, keep)
        if start_ns is not None:
            m &= ev.time_ns >= start_ns
        if end_ns is not None:
            m &= ev.time_ns < end_ns
        rows = np.flatnonzero(m)
        if len(rows) == 0:
            return
        before = len(keys)
        dense = keys.map(ev.gen_idx[rows], ev.stack_id[rows])
        new = []
        for gen, st in keys.pairs(before):  # per new distinct (generation, stack)
            tables = ev.generations[gen] if st and 0 <= gen < len(ev.generations) else None
            frames = tables.frames(st) if tables is not None else []
            # a stack with frames gets a row: frames kept, or decoded again when asked
            new.append(stacks.append(tables, gen, st, frames) if frames else -1)
        if len(keys) > len(stack_of[0]):  # room doubles: O(distinct stacks) copying
            grown = np.empty(max(len(keys), 2 * len(stack_of[0])), np.int32)
            grown[:before] = stack_of[0][:before]
            stack_of[0] = grown
        stack_of[0][before : len(keys)] = new
        cols["g"].append(ev.resource_id[rows])
        cols["t"].append(ev.time_ns[rows])
        cols["f"].append(ev.state_from[rows])
        cols["bg"].append(ev.goroutine[rows])
        cols["bp"].append(ev.proc[rows])
        cols["bm"].append(ev.thread[rows])
        cols["s"].append(stack_of[0][dense])

    if isinstance(source, EventTable):
        feed(source)
    elif isinstance(source, str | os.PathLike | bytes | bytearray):
        from goroscope.format.tracefile import TraceFile
        from goroscope.model import TraceChunks

        with TraceFile(source) as tf:
            chunks = TraceChunks(tf, chunk_events=chunk_events, keep_columns=False,
                                 lazy_stacks=True)  # fmt: skip
            for chunk in chunks:
                feed(chunk)
    else:
        for chunk in source:
            feed(chunk)

    def cat(k: str, dtype) -> np.ndarray:
        a = np.concatenate(cols[k]).astype(dtype) if cols[k] else np.zeros(0, dtype)
        a.flags.writeable = False
        return a

    return UnblockEdges(
        cat("g", np.int64),
        cat("t", np.int64),
        cat("f", np.uint8),
        cat("bg", np.int64),
        cat("bp", np.int64),
        cat("bm", np.int64),
        cat("s", np.int32),
        stacks,
    )
