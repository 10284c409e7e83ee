"""A per-event, pure-Python twin of the span builder (tests only; slow, obvious).

It walks Go's event stream one event at a time with dicts, the way the
scheduler would be replayed by hand, and returns plain Python structures that
``tests/model/test_spans.py`` compares with the vectorised
:mod:`goroscope.model.spans` output.
"""

from __future__ import annotations

from collections import defaultdict

from goroscope.model.events import EventKind, EventTable, GoState, ResourceKind

RUNNING, SYSCALL = int(GoState.Running), int(GoState.Syscall)


def reference_model(tables: list[EventTable]) -> dict:
    origin = None
    spans: dict[int, list[tuple]] = defaultdict(list)  # goid -> [(t, state, reason, src, gen)]
    first_from: dict[int, int] = {}
    creator: dict[int, int] = {}
    procs: dict[int, list[tuple]] = defaultdict(list)  # proc id -> [(start, end, goid)]
    threads: dict[int, list[tuple]] = defaultdict(list)  # thread id -> [(start, end, goid, st)]
    occupying: dict[int, tuple] = {}
    ranges_open: dict[tuple, int] = {}
    ranges: list[tuple] = []
    regions_open: dict[int, list[tuple]] = defaultdict(list)
    regions: list[tuple] = []
    unblocks: list[tuple] = []
    last = 0
    for tb in tables:
        s = tb.strings
        for i in range(len(tb)):
            t_abs = int(tb.time_ns[i])
            if origin is None:
                origin = t_abs
            t = t_abs - origin
            last = t
            k = int(tb.kind[i])
            if k == EventKind.StateTransition and tb.resource_kind[i] == ResourceKind.Goroutine:
                goid = int(tb.resource_id[i])
                frm, to = int(tb.state_from[i]), int(tb.state_to[i])
                if goid not in first_from:
                    first_from[goid] = frm
                if frm == GoState.NotExist:
                    creator[goid] = int(tb.goroutine[i])
                occ = occupying.pop(goid, None)
                if occ is not None:
                    start, p, m, st = occ
                    if st == RUNNING and p >= 0:
                        procs[p].append((start, t, goid))
                    if m >= 0:
                        threads[m].append((start, t, goid, st))
                src = int(tb.source_row[i])
                spans[goid].append((t, to, s[int(tb.reason[i])], src, int(tb.gen_idx[i])))
                if frm == GoState.Waiting and to == GoState.Runnable:
                    unblocks.append((goid, int(tb.goroutine[i]), t))
                if to in (RUNNING, SYSCALL):
                    occupying[goid] = (t, int(tb.proc[i]), int(tb.thread[i]), to)
            elif EventKind.RangeBegin <= k <= EventKind.RangeEnd:
                key = (s[int(tb.name[i])], int(tb.resource_kind[i]), int(tb.resource_id[i]))
                if k == EventKind.RangeEnd:
                    ranges.append((*key, ranges_open.pop(key, -1), t))
                elif key not in ranges_open:
                    ranges_open[key] = t
            elif k in (EventKind.RegionBegin, EventKind.RegionEnd):
                g = int(tb.goroutine[i])
                st = regions_open[g]
                if k == EventKind.RegionBegin:
                    st.append((t, s[int(tb.name[i])], len(st)))
                elif st:
                    start, typ, depth = st.pop()
                    regions.append((g, depth, start, t, typ))
                else:
                    regions.append((g, 0, -1, t, s[int(tb.name[i])]))
    for goid, (start, p, m, st) in occupying.items():
        if st == RUNNING and p >= 0:
            procs[p].append((start, last, goid))
        if m >= 0:
            threads[m].append((start, last, goid, st))
    for key, start in ranges_open.items():
        ranges.append((*key, start, -1))
    for g, st in regions_open.items():
        for start, typ, depth in st:
            regions.append((g, depth, start, -1, typ))
    return {
        "spans": dict(spans),
        "first_from": first_from,
        "creator": creator,
        "procs": {p: sorted(v) for p, v in procs.items()},
        "threads": {m: sorted(v) for m, v in threads.items()},
        "ranges": sorted(ranges),
        "regions": sorted(regions),
        "unblocks": sorted(unblocks),
        "covered": last,
    }
