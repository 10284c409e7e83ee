"""L1: trace semantics — Go's event model, ordering, state machines (numpy only, no Qt).

Public so far (issue 4, reader 2/2):

* :class:`~goroscope.model.events.EventTable` — Go's ``Event`` stream as columns,
  ``table[i]`` a read-only view printing like Go's ``Event.String()``;
  :class:`EventKind`, :class:`GoState`, :class:`ProcState`, :class:`ResourceKind`.
* :func:`read_trace` / :class:`TraceChunks` — the fast reader (``model.order``:
  format.decode + the numba ordering kernel); ``engine="reference"`` selects the
  literal pure-Python port of Go's reader (``_order_reference``), its test twin.
* :func:`stats` — ``tracecount -json -v`` counts (also ``goroscope.stats``).
"""

from __future__ import annotations

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


def __getattr__(name: str):
    # The reader imports numba (the ordering kernel): load it on first use, so that
    # ``import goroscope`` stays light.
    if name in ("ReadResult", "TraceChunks", "read_trace"):
        from goroscope.model import order

        return getattr(order, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
