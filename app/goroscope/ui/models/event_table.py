"""One goroutine's transitions as table columns, and who unblocked it (job thread; no Qt).

:func:`goroutine_events` turns goroutine ``g``'s spans (each span begins at one of
Go's state transitions of that goroutine) into columns: time, from-state, to-state,
reason, the proc in whose context the transition happened, and how long the new
state lasted. Spans that only continue the previous state (a GoStatus at a
generation boundary) are kept and marked, so row ``i`` is span ``i`` of the
timeline (``SpanRef.goroutine(g, i)``).

:func:`resolve_event` re-decodes one transition through the session's
:class:`~goroscope.model.spans.DetailResolver`: its wire event, proc and thread, its
stack, and — for the Waiting run that the row belongs to or ends — the goroutine
that unblocked it (Go's context goroutine of the GoUnblock) with the unblocker's
span at that time (the "go to unblocker" target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goroscope.model.events import GoState
from goroscope.model.timeline import Timeline, idx_col
from goroscope.ui.models.rows import identity_rows

_WAITING = int(GoState.Waiting)
_RUNNABLE = int(GoState.Runnable)

#: GoState → short name (as Go prints them)
STATE_NAMES = {int(s): s.name for s in GoState}


@dataclass(frozen=True, slots=True)
class GoroutineEvents:
    """Goroutine ``g_idx``'s transitions; row i = span i (read-only arrays).

    time_ns : (n,) int64 — ns since the trace start; duration_ns : (n,) int64 — how long the
    new state lasted; from_state, to_state : (n,) uint8 — GoState; kind : (n,) uint8 —
    Timeline kind (state, reason); reason : tuple of str per kind code (``kinds``);
    proc_id : (n,) int64 — Go's proc ID of the transition's context (-1 none);
    status : (n,) bool — a GoStatus continuing the previous state (no transition)
    """

    g_idx: int
    goid: int
    time_ns: NDArray[np.int64]
    duration_ns: NDArray[np.int64]
    from_state: NDArray[np.uint8]
    to_state: NDArray[np.uint8]
    kind: NDArray[np.uint8]
    proc_id: NDArray[np.int64]
    status: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.time_ns.shape[0])


def span_procs(tl: Timeline, g_idx: int) -> NDArray[np.int32]:
    """(n,) int32 — p_idx of each span's start event of ``g_idx`` (-1: none), in span order
    (the goroutine's slices across segments, as :meth:`Timeline.goroutine_row` walks them)."""
    parts = []
    s = int(tl.last_seg[g_idx]) if g_idx < len(tl.last_seg) else -1
    while s >= 0:
        seg = tl.segments[s]
        i = int(np.searchsorted(seg.g_idx, g_idx))
        a, b = int(seg.g_off[i]), int(seg.g_off[i + 1])
        parts.append(idx_col(seg.proc[a:b]))
        s = int(seg.g_prev[i])
    parts.reverse()
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


def goroutine_events(tl: Timeline, g_idx: int, *, cancel=None, progress=None) -> GoroutineEvents:
    """The transitions of goroutine ``g_idx`` (job thread: a long-lived goroutine of a big
    trace has millions of spans)."""
    row = tl.goroutine_row(g_idx)
    n = len(row)
    to = row.state.astype(np.uint8)
    frm = np.empty(n, np.uint8)
    if n:
        frm[1:] = to[:-1]
        frm[0] = int(tl.goroutines.first_from[g_idx])
    p = span_procs(tl, g_idx)
    if len(p) != n:  # defensive: a snapshot mismatch must not misalign rows
        p = np.full(n, -1, np.int32)
    pid = np.where(p >= 0, tl.proc_ids[np.maximum(p, 0)] if len(tl.proc_ids) else -1, -1)
    out = GoroutineEvents(
        g_idx,
        int(tl.goroutines.goid[g_idx]),
        np.asarray(row.start_ns, np.int64),
        np.asarray(row.end_ns - row.start_ns, np.int64),
        frm,
        to,
        np.asarray(row.kind, np.uint8),
        pid.astype(np.int64),
        frm == to,
    )
    identity_rows(len(out))  # the events table's rows: the cache grows here, not on the GUI
    return out


@dataclass(frozen=True, slots=True)
class EventDetail:
    """One transition, re-decoded.

    g_idx, span_idx : the row; event : Go's event name; proc_id, thread_id : its context;
    stack : frames of the event's stack (leaf first); by_g : the event's context goroutine
    (g_idx; -1 none); unblock_span : the span (of this goroutine) that began with the
    GoUnblock ending the Waiting run this row belongs to or ends (-1: none);
    unblocker_g : who unblocked it (-1: nobody — the netpoller, a timer, or unknown);
    unblocker_span : the unblocker's span covering the unblock time (-1); unblock_ns
    """

    g_idx: int
    span_idx: int
    event: str
    proc_id: int
    thread_id: int
    stack: list
    by_g: int
    unblock_span: int = -1
    unblock_ns: int = -1
    unblocker_g: int = -1
    unblocker_span: int = -1


def unblock_span_of(row, span_idx: int) -> int:
    """The span that ends the Waiting run holding ``span_idx`` (or, for a Runnable span
    right after Waiting, that span itself): the one that began with the unblock; -1."""
    st = row.state
    n = len(row)
    i = span_idx
    if st[i] == _RUNNABLE and i > 0 and st[i - 1] == _WAITING:
        return i
    if st[i] != _WAITING:
        return -1
    after = np.flatnonzero(st[i + 1 :] != _WAITING)
    j = i + 1 + int(after[0]) if len(after) else n
    return j if j < n and st[j] == _RUNNABLE else -1


def resolve_event(details, tl: Timeline, g_idx: int, span_idx: int, *, cancel=None,
                  progress=None) -> EventDetail:  # fmt: skip
    """Re-decode row ``span_idx`` of ``g_idx`` and find who unblocked it (job thread)."""
    from goroscope.ui.models.stack_model import event_name

    row = tl.goroutine_row(g_idx)
    d = details.span(g_idx, span_idx)
    u = unblock_span_of(row, span_idx)
    ub_g = ub_span = -1
    ub_ns = -1
    if u >= 0:
        du = d if u == span_idx else details.span(g_idx, u)
        ub_ns = int(row.start_ns[u])
        if du is not None and du.by_g >= 0 and du.by_g != g_idx:
            ub_g = du.by_g
            urow = tl.goroutine_row(ub_g)
            j = int(np.searchsorted(urow.start_ns, ub_ns, side="right")) - 1
            ub_span = j if j >= 0 else -1
    if d is None:
        return EventDetail(g_idx, span_idx, "(unavailable)", -1, -1, [], -1, u, ub_ns, ub_g,
                           ub_span)  # fmt: skip
    return EventDetail(
        g_idx,
        span_idx,
        event_name(d.ev_type),
        d.proc_id,
        d.thread_id,
        list(d.stack) or list(d.transition_stack),
        d.by_g,
        u,
        ub_ns,
        ub_g,
        ub_span,
    )
