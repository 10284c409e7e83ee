"""L1: trace semantics — Go's event model, ordering, state machines (numpy only, no Qt).

Public so far (issue 4, reader 2/2):

* :class:`~goroscope.model.events.EventTable` — Go's ``Event`` stream as columns,
  ``table[i]`` a read-only view printing like Go's ``Event.String()``;
  :class:`EventKind`, :class:`GoState`, :class:`ProcState`, :class:`ResourceKind`.
* :func:`read_trace` / :class:`TraceChunks` — the reference reader (a literal
  port of Go's ``internal/trace`` reader, pure Python; see ``_order_reference``).
* :func:`stats` — ``tracecount -json -v`` counts (also ``goroscope.stats``).
"""

from __future__ import annotations

from goroscope.model._order_reference import ReadResult, TraceChunks, read_trace
from goroscope.model.events import (
    EventKind,
    EventTable,
    EventView,
    GoState,
    ProcState,
    ResourceKind,
)
from goroscope.model.stats import stats

__all__ = [
    "EventKind",
    "EventTable",
    "EventView",
    "GoState",
    "ProcState",
    "ReadResult",
    "ResourceKind",
    "TraceChunks",
    "read_trace",
    "stats",
]
