"""The span model (``goroscope.model.spans`` / ``.timeline``) against Go's event stream.

Three independent references: a per-event pure-Python twin
(``tests/model/spans_reference.py``), Go's own counts (``testdata/expected/
*.counts.json``, "Go From->To" and "GoReason" keys, written by tracecount) and
Go's goroutine summary (``*.summary.json`` "groups"). Plus the model's
invariants and its independence from how the event stream is chunked.
"""

from __future__ import annotations

import collections
import dataclasses
import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.model.conftest import TESTDATA, load_json
from tests.model.spans_reference import reference_model

from goroscope.model import read_trace
from goroscope.model.events import COLUMNS, EventTable, GoState, go_state_name
from goroscope.model.spans import DetailResolver, TimelineBuilder, build_timeline
from goroscope.model.timeline import KIND_EXITED, STATE_COLUMNS, Timeline

#: small traces covering: flight recorder (first gen > 1), tasks/regions, two tracing
#: sessions, CPU samples, cgo threads and syscalls, iter.Pull (GoSwitch)
TRACES = [
    "go1.25/flightrecorder",
    "go1.22/annotations",
    "go1.27/restart",
    "go1.23/cpuprofile",
    "go1.26/cgo",
    "go1.24/iterpull",
]


@functools.cache
def events(name: str) -> EventTable:
    res = read_trace((TESTDATA / "traces" / f"{name}.trace").read_bytes())
    assert res.error is None
    return res.events


def rechunk(table: EventTable, size: int) -> list[EventTable]:
    """The same stream cut into chunks of ``size`` rows (tables and strings shared)."""
    out = []
    for a in range(0, len(table), size):
        cols = {c: getattr(table, c)[a : a + size] for c in COLUMNS}
        out.append(EventTable(**cols, strings=table.strings, generations=table.generations))
    return out


@functools.cache
def timeline(name: str, chunk: int = 1000) -> Timeline:
    return build_timeline(rechunk(events(name), chunk))


@functools.cache
def reference(name: str) -> dict:
    return reference_model([events(name)])


def g_index(tl: Timeline) -> dict[int, int]:
    return {int(goid): i for i, goid in enumerate(tl.goroutines.goid.tolist())}


# --- equal to the per-event twin -----------------------------------------------------------


@pytest.mark.parametrize("name", TRACES)
def test_goroutine_spans_equal_reference(name):
    tl, ref = timeline(name), reference(name)
    gi = g_index(tl)
    assert sum(len(v) for v in ref["spans"].values()) == tl.n_spans
    for goid, want in ref["spans"].items():
        row = tl.goroutine_row(gi[goid])
        got = [
            (int(s), int(tl.kinds[k][0]), tl.kinds[k][1], int(g))
            for s, k, g in zip(row.start_ns, row.kind, row.gen, strict=True)
        ]
        assert got == [(t, st, r, g) for t, st, r, _, g in want], goid
        g = gi[goid]
        assert tl.goroutines.first_from[g] == ref["first_from"][goid]
        if goid in ref["creator"]:
            c = int(tl.goroutines.creator[g])
            assert (int(tl.goroutines.goid[c]) if c >= 0 else -1) == ref["creator"][goid]


@pytest.mark.parametrize("name", TRACES)
def test_proc_and_thread_rows_equal_reference(name):
    tl, ref = timeline(name), reference(name)
    goid = tl.goroutines.goid
    for p, pid in enumerate(tl.proc_ids.tolist()):
        row = tl.proc_row(p)
        got = sorted(
            zip(row.start_ns.tolist(), row.end_ns.tolist(), goid[row.g_idx].tolist(), strict=True)
        )
        assert got == ref["procs"].get(pid, []), pid
    for m, mid in enumerate(tl.thread_ids.tolist()):
        row = tl.thread_row(m)
        got = sorted(
            zip(
                row.start_ns.tolist(),
                row.end_ns.tolist(),
                goid[row.g_idx].tolist(),
                row.state.tolist(),
                strict=True,
            )
        )
        assert got == ref["threads"].get(mid, []), mid


@pytest.mark.parametrize("name", TRACES)
def test_ranges_regions_unblocks_equal_reference(name):
    tl, ref = timeline(name), reference(name)
    r = tl.ranges
    got = sorted(
        (tl.strings[n], int(k), int(i), int(s), int(e))
        for n, k, i, s, e in zip(
            r.name, r.scope_kind, r.scope_id, r.start_ns, r.end_ns, strict=True
        )
    )
    assert got == ref["ranges"]
    rg = tl.regions
    goid = tl.goroutines.goid
    got = sorted(
        (int(goid[g]), int(d), int(s), int(e), tl.strings[t])
        for g, d, s, e, t in zip(rg.g_idx, rg.depth, rg.start_ns, rg.end_ns, rg.type, strict=True)
    )
    assert got == ref["regions"]


# --- equal to Go's counts ------------------------------------------------------------------


def _expected(name: str, kind: str) -> dict:
    ver, scen = name.split("/")
    return load_json(TESTDATA / "expected" / f"{ver}-{scen}.{kind}.json")


@pytest.mark.parametrize("name", TRACES)
def test_transition_counts_equal_tracecount(name):
    """Every Go transition is one span: "Go From->To" and "GoReason r" as tracecount counts."""
    tl = timeline(name)
    want = _expected(name, "counts")["detail"]
    got: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    for g in range(tl.n_goroutines):
        row = tl.goroutine_row(g)
        if not len(row):
            continue
        prev = [int(tl.goroutines.first_from[g]), *row.state[:-1].tolist()]
        for a, b in zip(prev, row.state.tolist(), strict=True):
            got[f"Go {go_state_name(a)}->{go_state_name(b)}"] += 1
        for k in row.kind.tolist():
            if tl.kinds[k][1]:
                reasons[f"GoReason {tl.kinds[k][1]}"] += 1
    assert dict(got) == {k: v for k, v in want.items() if k.startswith("Go ")}
    assert dict(reasons) == {k: v for k, v in want.items() if k.startswith("GoReason ")}
    metric_names = {
        "heap_in_use": "/memory/classes/heap/objects:bytes",
        "heap_goal": "/gc/heap/goal:bytes",
        "gomaxprocs": "/sched/gomaxprocs:threads",
    }
    for ours, go in metric_names.items():
        n = want.get(f"Metric {go}", 0)
        assert (len(tl.metrics[ours]) if ours in tl.metrics else 0) == n
    by_kind = _expected(name, "counts")["by_kind"]
    assert len(tl.cpu_samples) == by_kind.get("StackSample", 0)
    assert len(tl.logs) == by_kind.get("Log", 0)
    assert int((tl.tasks.start_ns >= 0).sum()) == by_kind.get("TaskBegin", 0)
    assert int((tl.tasks.end_ns >= 0).sum()) == by_kind.get("TaskEnd", 0)
    assert int((tl.regions.start_ns >= 0).sum()) == by_kind.get("RegionBegin", 0)
    assert int((tl.regions.end_ns >= 0).sum()) == by_kind.get("RegionEnd", 0)
    begins = collections.Counter(
        tl.strings[n] for n, s in zip(tl.ranges.name, tl.ranges.start_ns, strict=True) if s >= 0
    )
    for key, n in want.items():
        if key.startswith("RangeBegin "):
            # a range active when tracing began (RangeActive in the first generation) adds one
            name_ = key[len("RangeBegin ") :]
            assert n <= begins[name_] <= n + want.get(f"RangeActive {name_}", 0)


@pytest.mark.parametrize("name", TRACES)
def test_groups_equal_go_summary(name):
    """Goroutines grouped by start function as Go's summary names them."""
    tl = timeline(name)
    want = _expected(name, "summary")["groups"]
    got = {k: len(v) for k, v in tl.groups().items() if k}
    assert got == {k: v for k, v in want.items() if k}


# --- invariants ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRACES)
def test_spans_tile_each_goroutine_lifetime(name):
    tl = timeline(name)
    for g in range(tl.n_goroutines):
        row = tl.goroutine_row(g)
        if not len(row):
            continue
        assert (np.diff(row.start_ns) > 0).all()  # Go's times strictly increase
        assert (row.end_ns[:-1] == row.start_ns[1:]).all()  # no gap, no overlap
        assert row.start_ns[0] == tl.goroutines.first_ns[g]
        exited = row.kind == KIND_EXITED
        # after an exit only a new creation (a reused goid: the goroutine of a C
        # thread's extra M); the exited span then lasts until it
        assert (row.state[1:][exited[:-1]] != KIND_EXITED).all()
        if exited[-1]:
            assert tl.goroutines.end_ns[g] == row.start_ns[-1] == row.end_ns[-1]
        else:
            assert tl.goroutines.end_ns[g] == -1
            assert row.end_ns[-1] == tl.covered_ns


@pytest.mark.parametrize("name", TRACES)
def test_at_most_one_goroutine_per_proc(name):
    tl = timeline(name)
    for p in range(len(tl.proc_ids)):
        row = tl.proc_row(p)
        assert (row.start_ns[1:] >= row.end_ns[:-1]).all()
        assert (row.end_ns >= row.start_ns).all()
    for m in range(len(tl.thread_ids)):
        row = tl.thread_row(m)
        assert (row.start_ns[1:] >= row.end_ns[:-1]).all()


@pytest.mark.parametrize("name", TRACES)
def test_counters_never_negative(name):
    tl = timeline(name)
    b = tl.state_bins
    assert (b.min >= 0).all()
    assert (b.min <= b.last).all()
    assert (b.last <= b.max).all()
    assert (np.diff(b.time_ns) > 0).all()
    # the last bin's counts equal the goroutines' final states
    final = collections.Counter()
    for g in range(tl.n_goroutines):
        row = tl.goroutine_row(g)
        if len(row):
            final[int(row.state[-1])] += 1
    assert b.last[-1].tolist() == [final[int(s)] for s in STATE_COLUMNS]
    exact = tl.state_counts(np.arange(tl.n_goroutines))
    for s in STATE_COLUMNS:
        assert (exact[s].value >= 0).all()
        assert exact[s].value[-1] == final[int(s)]
    for series in tl.metrics.values():
        assert (series.value >= 0).all()
        assert (np.diff(series.time_ns) > 0).all()


# --- chunking and progressive readiness ----------------------------------------------------


def digest(tl: Timeline) -> dict:
    """Everything observable through the query API, in comparable form (codes as text)."""
    text = np.array(tl.strings + ("<none>",), dtype=object)

    def txt(codes):
        return text[np.where(np.asarray(codes) < 0, len(tl.strings), codes)].tolist()

    rows = []
    for g in range(tl.n_goroutines):
        r = tl.goroutine_row(g)
        rows.append(
            (r.start_ns.tolist(), r.end_ns.tolist(), [tl.kinds[k] for k in r.kind.tolist()])
        )
    gt = {
        f.name: getattr(tl.goroutines, f.name).tolist() for f in dataclasses.fields(tl.goroutines)
    }
    gt["start_func"] = txt(tl.goroutines.start_func)
    rng = dataclasses.astuple(tl.ranges)
    reg = dataclasses.astuple(tl.regions)
    tasks = [a.tolist() for a in dataclasses.astuple(tl.tasks)]
    tasks[2] = txt(tl.tasks.type)
    return {
        "goroutines": gt,
        "rows": rows,
        "procs": [dataclasses.astuple(tl.proc_row(p)) for p in range(len(tl.proc_ids))],
        "threads": [dataclasses.astuple(tl.thread_row(m)) for m in range(len(tl.thread_ids))],
        "ranges": sorted(zip(txt(rng[0]), *(a.tolist() for a in rng[1:]), strict=True)),
        "regions": sorted(
            zip(*(a.tolist() for a in reg[:4]), txt(reg[4]), reg[5].tolist(), strict=True)
        ),
        "tasks": tasks,
        "bins": [a.tolist() for a in dataclasses.astuple(tl.state_bins)[1:]],
        "metrics": {k: (v.time_ns.tolist(), v.value.tolist()) for k, v in tl.metrics.items()},
    }


def _same(a, b) -> None:
    for k in a:
        if k in ("procs", "threads"):
            for x, y in zip(a[k], b[k], strict=True):
                for u, v in zip(x, y, strict=True):
                    np.testing.assert_array_equal(u, v)
        else:
            assert a[k] == b[k], k


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunk=st.integers(min_value=20, max_value=12_000))
def test_model_does_not_depend_on_chunking(chunk):
    """State carried across chunks (and generations) gives the one-chunk model exactly."""
    name = "go1.22/annotations"
    whole = digest(timeline(name, 1 << 30))
    _same(digest(build_timeline(rechunk(events(name), chunk))), whole)


def test_snapshots_are_prefixes_of_the_final_model():
    name = "go1.27/restart"
    snaps: list[Timeline] = []
    final = build_timeline(rechunk(events(name), 700), on_snapshot=snaps.append)
    assert len(snaps) >= 2
    covered = [s.covered_ns for s in snaps]
    assert covered == sorted(covered)
    assert covered[-1] <= final.covered_ns
    for snap in snaps:
        assert not snap.complete
        for g in range(snap.n_goroutines):
            a, b = snap.goroutine_row(g), final.goroutine_row(g)
            n = len(a)
            np.testing.assert_array_equal(a.start_ns, b.start_ns[:n])
            np.testing.assert_array_equal(a.kind, b.kind[:n])
            np.testing.assert_array_equal(a.end_ns[:-1], b.end_ns[: n - 1])
            if n:
                assert a.end_ns[-1] <= b.end_ns[n - 1]
        for p in range(len(snap.proc_ids)):
            a, b = snap.proc_row(p), final.proc_row(p)
            done = a.end_ns < snap.covered_ns
            got = set(zip(a.start_ns[done].tolist(), a.g_idx[done].tolist(), strict=True))
            assert got <= set(zip(b.start_ns.tolist(), b.g_idx.tolist(), strict=True))


# --- query API -----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0, 1), w=st.floats(0, 1))
def test_window_queries_match_filtering(a, w):
    tl = timeline("go1.23/cpuprofile")
    t0 = int(a * tl.covered_ns)
    t1 = t0 + int(w * tl.covered_ns) + 1
    for g in range(0, tl.n_goroutines, 7):
        row = tl.goroutine_row(g)
        win = tl.goroutine_spans(g, t0, t1)
        keep = (row.end_ns > t0) & (row.start_ns < t1)
        # a zero-length exit marker at t0 counts as inside
        keep |= (row.start_ns == row.end_ns) & (row.start_ns >= t0) & (row.start_ns < t1)
        np.testing.assert_array_equal(win.start_ns, row.start_ns[keep])
    for p in range(len(tl.proc_ids)):
        full = tl.proc_row(p)
        win = tl.proc_spans(p, t0, t1)
        keep = (full.end_ns >= t0) & (full.start_ns < t1)
        np.testing.assert_array_equal(win.start_ns, full.start_ns[keep])
        np.testing.assert_array_equal(win.g_idx, full.g_idx[keep])


def test_group_state_counts_match_spans():
    tl = timeline("go1.22/annotations")
    groups = tl.groups()
    name, members = max(groups.items(), key=lambda kv: len(kv[1]))
    counts = tl.state_counts(members)
    # at any time, the counts equal the members whose covering span has that state
    for t in np.linspace(0, tl.covered_ns - 1, 25).astype(np.int64).tolist():
        want = collections.Counter()
        for g in members.tolist():
            row = tl.goroutine_row(g)
            i = int(np.searchsorted(row.start_ns, t, side="right")) - 1
            if 0 <= i < len(row) and row.end_ns[i] > t:
                want[int(row.state[i])] += 1
        for s in STATE_COLUMNS:
            series = counts[s]
            j = int(np.searchsorted(series.time_ns, t, side="right")) - 1
            assert series.value[j] == want[int(s)], (name, t, s)


@pytest.mark.parametrize("name", ["go1.23/cpuprofile", "go1.24/iterpull", "go1.25/flightrecorder"])
def test_detail_resolver_re_derives_what_the_model_drops(name):
    """Re-reading one generation standalone gives, span for span, the wire row, the
    context (unblocker, proc, thread) and the stacks of Go's full read."""
    from goroscope.format import TraceFile, index_trace

    ev, tl, ref = events(name), timeline(name), reference(name)
    gi = g_index(tl)
    st = np.flatnonzero((ev.kind == 13) & (ev.resource_kind == 1))
    by_goid: dict[int, list[int]] = collections.defaultdict(list)
    for i in st.tolist():
        by_goid[int(ev.resource_id[i])].append(i)
    unblockers = {(g, t): by for g, by, t in ref["unblocks"]}
    goid = tl.goroutines.goid
    with TraceFile(TESTDATA / "traces" / f"{name}.trace") as tf:
        res = DetailResolver(tf, index_trace(tf), tl, cache=8)
        checked = 0
        for g_id, rows in sorted(by_goid.items())[::3]:
            g = gi[g_id]
            span_rows = tl.goroutine_row(g)
            for k, i in enumerate(rows[:: max(1, len(rows) // 12)]):
                k = rows.index(i)
                d = res.span(g, k)
                assert d is not None
                assert d.gen == int(ev.gen_idx[i])
                assert d.source_row == int(ev.source_row[i])
                assert d.ev_type == int(ev.ev_type[i])
                assert d.proc_id == int(ev.proc[i])
                assert d.thread_id == int(ev.thread[i])
                gens = ev.generations[d.gen]
                assert d.stack == gens.frames(int(ev.stack_id[i]))
                assert d.transition_stack == gens.frames(int(ev.transition_stack_id[i]))
                t = int(span_rows.start_ns[k])
                if (g_id, t) in unblockers:
                    want = unblockers[(g_id, t)]
                    assert (int(goid[d.by_g]) if d.by_g >= 0 else -1) == want
                assert res.span_at(g, t) == d
                checked += 1
        assert checked > 30


def test_state_bins_power_of_two_and_builder_reuse():
    b = TimelineBuilder(state_bin_ns=3000)
    for c in rechunk(events("go1.25/flightrecorder"), 500):
        b.add(c)
    tl = b.snapshot(complete=True)
    assert tl.state_bins.bin_ns == 2048
    assert (tl.state_bins.time_ns % 2048 == 0).all()
    assert tl.complete
    assert tl.gen_first_ns[0] == 0
    assert tl.kind_name(KIND_EXITED) == "exited"
    assert {tl.kinds[k][0] for k in range(len(tl.kinds))} <= set(GoState)


@pytest.mark.parametrize("name", ["go1.22/annotations", "go1.26/cgo"])
def test_group_state_bins_match_exact_counts(name):
    """The vectorised aggregate row equals the exact per-goroutine step series."""
    tl = timeline(name)
    _, members = max(tl.groups().items(), key=lambda kv: len(kv[1]))
    t0 = tl.covered_ns // 3
    exact = tl.state_counts(members, t0, tl.covered_ns + 1)
    bins = tl.group_state_bins(members, t0, tl.covered_ns + 1, bin_ns=1)
    assert bins.time_ns[0] == t0
    for c, s in enumerate(STATE_COLUMNS):
        j = np.searchsorted(exact[s].time_ns, bins.time_ns, side="right") - 1
        np.testing.assert_array_equal(bins.last[:, c], exact[s].value[j])
    # all goroutines from 0 with the model's bin width: the model's own counters
    everyone = tl.group_state_bins(
        np.arange(tl.n_goroutines), 0, tl.covered_ns + 1, bin_ns=tl.state_bins.bin_ns
    )
    n = len(tl.state_bins.time_ns)  # everyone also has an opening bin at t0 = 0
    for f in ("time_ns", "min", "max", "last"):
        np.testing.assert_array_equal(getattr(everyone, f)[-n:], getattr(tl.state_bins, f))


def test_prefetching_reader_thread_gives_the_same_model():
    name = "go1.27/restart"
    chunks = rechunk(events(name), 900)
    a = digest(build_timeline(chunks))
    b = digest(build_timeline(iter(chunks), prefetch=2))
    _same(a, b)


def test_prefetching_reader_errors_and_cancel_propagate():
    from goroscope.jobs import CancelToken, JobCancelled

    chunks = rechunk(events("go1.27/restart"), 500)

    def failing():
        yield from chunks[:3]
        raise ValueError("reader broke")

    with pytest.raises(ValueError, match="reader broke"):
        build_timeline(failing(), prefetch=2)
    tok = CancelToken()
    seen = []

    def on_snapshot(tl):
        seen.append(tl)
        tok.cancel()

    with pytest.raises(JobCancelled):
        build_timeline(iter(chunks), prefetch=2, cancel=tok, on_snapshot=on_snapshot)
    assert len(seen) == 1


@pytest.mark.parametrize("name", ["go1.22/annotations", "go1.23/cpuprofile"])
def test_regions_of_equals_filtering(name):
    tl = timeline(name)
    for g in [*range(tl.n_goroutines), -1, tl.n_goroutines]:
        got = tl.regions_of(g)
        m = tl.regions.g_idx == g
        np.testing.assert_array_equal(got.start_ns, tl.regions.start_ns[m])
        np.testing.assert_array_equal(got.type, tl.regions.type[m])


def test_row_cache_is_bounded_by_bytes(monkeypatch):
    import goroscope.model.timeline as T

    tl = build_timeline(rechunk(events("go1.22/annotations"), 4000))
    monkeypatch.setattr(T, "CACHE_BYTES", 4096)
    rows = [tl.goroutine_row(g) for g in range(tl.n_goroutines)]
    assert tl._cache_bytes[0] <= max(4096, max(T._nbytes(r) for r in rows))
    assert len(tl._cache) < tl.n_goroutines
    # evicted rows come back equal
    np.testing.assert_array_equal(tl.goroutine_row(0).start_ns, rows[0].start_ns)


def test_snapshot_cadence():
    """A snapshot per new generation, plus one whenever ``snapshot_every_s`` elapsed."""
    chunks = rechunk(events("go1.27/restart"), 600)
    per_gen: list[Timeline] = []
    build_timeline(chunks, on_snapshot=per_gen.append, snapshot_every_s=None)
    every: list[Timeline] = []
    build_timeline(chunks, on_snapshot=every.append, snapshot_every_s=0.0)
    assert len(every) == len(chunks)
    assert 1 <= len(per_gen) < len(every)
    assert [s.covered_ns for s in every] == sorted(s.covered_ns for s in every)


# --- span storage coding -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    slices=st.lists(
        st.lists(st.integers(min_value=0, max_value=(1 << 40)), min_size=1, max_size=30),
        min_size=1,
        max_size=20,
    ),
    tick=st.sampled_from([1, 64]),
)
def test_start_coding_round_trips(slices, tick):
    """Delta + varint coding of span starts (SpanSegment.dt) is lossless for any ascending
    slices, tick-aligned (divided by 64) or not (flagged), small or huge gaps."""
    from goroscope.model.timeline import _gaps, decode_starts, decode_uvarints, encode_starts

    starts, off = [], [0]
    for sl in slices:
        v = np.cumsum(np.array(sl, np.int64) * tick)
        starts.append(v)
        off.append(off[-1] + len(v))
    start = np.concatenate(starts)
    g_off = np.array(off, np.int64)
    dt, g_boff = encode_starts(start, g_off)
    assert decode_starts(dt, g_off).tolist() == start.tolist()
    assert int(g_boff[-1]) == len(dt)
    for i in range(len(slices)):
        a, b = int(g_boff[i]), int(g_boff[i + 1])
        assert np.cumsum(_gaps(decode_uvarints(dt[a:b]))).tolist() == starts[i].tolist()


@pytest.mark.parametrize("name", TRACES)
def test_packed_span_columns_equal_reference_per_segment(name):
    """seg.start / seg.kind / seg.proc (decoded from dt and kp) and slice_starts agree with
    the per-event twin's spans (start, kind) and the event's context proc."""
    tl, ref = timeline(name), reference(name)
    goid = tl.goroutines.goid
    pos = collections.Counter()  # spans of each goroutine seen in earlier segments
    for seg in tl.segments:
        start = seg.start + seg.base_ns
        kind = seg.kind
        proc = seg.proc
        assert proc.dtype == np.int32
        for i, g in enumerate(seg.g_idx.tolist()):
            a, b = int(seg.g_off[i]), int(seg.g_off[i + 1])
            assert seg.slice_starts(i).tolist() == start[a:b].tolist()
            want = ref["spans"][int(goid[g])][pos[g] : pos[g] + b - a]
            pos[g] += b - a
            assert start[a:b].tolist() == [w[0] for w in want]
            assert [tl.kinds[k] for k in kind[a:b].tolist()] == [
                (GoState(w[1]), w[2]) for w in want
            ]
    assert sum(pos.values()) == tl.n_spans


_goid = st.one_of(
    st.integers(0, 300),
    st.integers(-(1 << 63), (1 << 63) - 1),
    st.sampled_from([-2, -(1 << 63), 1 << 26, (1 << 27) - 1, (1 << 63) - 1]),
)


@pytest.mark.parametrize(("base", "per_g"), [(1 << 20, 8), (16, 2)])
@given(chunks=st.lists(st.lists(_goid, max_size=40), max_size=8))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_goid_map_equals_a_dict(base, per_g, chunks):
    """_GoidMap (dense table below 8 × count + 2^20, sorted levels above it and for negative
    IDs) numbers goids in order of first appearance like a dict; the small ``base`` makes
    the limit rise and sparse IDs move into the table mid-stream."""
    from goroscope.model.spans import _GoidMap

    m = _GoidMap()
    m._BASE, m._PER_G, m._limit = base, per_g, base
    ref: dict[int, int] = {}
    for c in chunks:
        known = set(ref)
        for x in c:
            ref.setdefault(x, len(ref))
        idx, new = m.lookup(np.array(c, np.int64))
        assert idx.tolist() == [ref[x] for x in c]
        assert new.tolist() == [x for x in dict.fromkeys(c) if x not in known]
        assert m._limit == per_g * len(ref) + base
        assert len(m._dense) <= max(m._limit, 1024)


def test_goid_map_table_is_sized_by_the_goroutines_seen():
    """One goroutine of ID 2^26 or 2^27-1 once cost a 256–512 MB dense table."""
    from goroscope.model.spans import _GoidMap

    m = _GoidMap()
    idx, _ = m.lookup(np.array([1, 1 << 26, (1 << 27) - 1, (1 << 64) - 2 - (1 << 64)], np.int64))
    assert idx.tolist() == [0, 1, 2, 3]
    assert m._dense.nbytes <= 4 << 20


# --- memory: copy-on-write columns, snapshots that stay frozen -------------------------------


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["extend", "set", "view", "tail", "drop", "trim"]),
            st.integers(0, 40),
            st.integers(-(2**40), 2**40),
        ),
        max_size=60,
    )
)
def test_col_views_never_change_and_writes_are_never_lost(ops):
    """``_Col`` against a plain list: every view keeps the rows it showed, whatever the
    builder does afterwards (appends, in-place writes, tails, growth, trim)."""
    from goroscope.model.spans import _Col

    col = _Col(np.int64)
    want: list[int] = []
    held: list[tuple[np.ndarray, list[int]]] = []
    for op, k, v in ops:
        if op == "extend":
            vals = [v + i for i in range(k)]
            col.extend(vals)
            want += vals
        elif op == "set" and want:
            i = k % len(want)
            col.live[i] = v
            want[i] = v
        elif op == "view":
            held.append((col.view(), list(want)))
        elif op == "tail":
            tail = [v - i for i in range(k % 5)]
            held.append((col.view_with(tail), list(want) + tail))
        elif op == "drop" and held:
            held.pop(k % len(held))
        elif op == "trim":
            col.trim()
        assert col.view().tolist() == want
        for arr, rows in held:
            assert arr.tolist() == rows
            assert not arr.flags.writeable


def test_col_final_rows_and_trim_under_a_live_view_copy_nothing():
    """Appending the rows a live ``view_with`` already shows (the final snapshot's open
    rows) writes nothing, and ``trim`` under a live view gives the spare pages back
    instead of copying: the held view keeps its rows, the buffer stays the same."""
    from goroscope.model.spans import _Col

    col = _Col(np.int64)
    col.extend(np.arange(600_000))
    held = col.view_with([7, 8, 9])  # grows the buffer: 75,000 spare rows
    buf = col._a.ctypes.data  # (a reference to the array would count as a live view)
    col.extend([7, 8, 9])
    assert col._a.ctypes.data == buf
    assert col.view().tolist()[-4:] == [599_999, 7, 8, 9]
    assert col._a.shape[0] - col.n > 2048  # spare rows to give back
    col.trim()
    assert col._a.ctypes.data == buf
    assert held.tolist() == [*range(600_000), 7, 8, 9]
    assert col.view().tolist() == held.tolist()
    other = col.view_with([1])
    col.extend([2])  # differs from what the live view shows: copied first
    assert col._a.ctypes.data != buf
    assert other.tolist()[-1] == 1
    assert col.view().tolist()[-2:] == [9, 2]


@pytest.mark.parametrize("name", ["go1.22/annotations", "go1.27/restart"])
def test_held_snapshots_stay_frozen_and_the_model_is_unchanged(name):
    """Partial snapshots view the builder's columns (no copies); the builder copies a
    column before writing where a live snapshot could see it. Every snapshot, held to
    the end, still shows what it showed when made, and the final model equals one built
    without snapshots (no write lost to a copy)."""
    chunks = rechunk(events(name), 300)

    def frozen(tl: Timeline) -> dict:
        d = {
            f.name: getattr(tl.goroutines, f.name).copy() for f in dataclasses.fields(tl.goroutines)
        }
        d["last_seg"] = tl.last_seg.copy()
        for part in ("ranges", "regions", "logs", "tasks"):
            for f in dataclasses.fields(getattr(tl, part)):
                d[f"{part}.{f.name}"] = getattr(getattr(tl, part), f.name).copy()
        for k, s in tl.metrics.items():
            d[f"metric.{k}"] = (s.time_ns.copy(), s.value.copy())
        return d

    b = TimelineBuilder()
    held: list[tuple[Timeline, dict]] = []
    for i, c in enumerate(chunks):
        b.add(c)
        snap = b.snapshot()
        if i % 3:  # hold two of three (copy-on-write), drop the rest (in-place writes)
            held.append((snap, frozen(snap)))
        del snap
    final = b.snapshot(complete=True)
    assert len(held) >= 3
    for snap, d in held:
        now = frozen(snap)
        assert now.keys() == d.keys()
        for k, v in d.items():
            if isinstance(v, tuple):
                for x, y in zip(v, now[k], strict=True):
                    np.testing.assert_array_equal(x, y, err_msg=k)
            else:
                np.testing.assert_array_equal(v, now[k], err_msg=k)
    _same(digest(final), digest(build_timeline(chunks)))


def test_release_read_ahead_passes_chunks_and_drops_the_generations_in_flight():
    """The model job drops the mapped pages of each chunk's generation and the next one
    (counted ahead by the reader) after every chunk; chunks pass unchanged."""
    from goroscope.format import TraceFile, index_trace
    from goroscope.model import TraceChunks
    from goroscope.model.spans import release_read_ahead

    class Recorder:  # stands in for the TraceFile's release_pages (the reader keeps its own)
        def __init__(self) -> None:
            self.calls: list[tuple[int, int]] = []

        def release_pages(self, a: int, b: int) -> None:
            self.calls.append((a, b))

    path = TESTDATA / "traces" / "go1.27" / "restart.trace"
    with TraceFile(path) as tf:
        ix = index_trace(tf)
        gens = ix.generations
        assert len(gens) >= 2
        rec = Recorder()
        got = list(release_read_ahead(TraceChunks(tf, keep_columns=False), rec, ix))
        want = list(TraceChunks(tf, keep_columns=False))
    assert [len(c) for c in got] == [len(c) for c in want]
    for x, y in zip(got, want, strict=True):
        np.testing.assert_array_equal(x.time_ns, y.time_ns)
    # after each chunk of generation g: the bytes of generations g and g+1
    n = len(gens)
    expect = [
        (int(gens.byte_start[g]), int(gens.byte_end[min(g + 1, n - 1)]))
        for g in (int(c.gen_idx[-1]) for c in want if len(c.gen_idx))
        if 0 <= g < n
    ]
    assert rec.calls
    assert rec.calls == expect
    # in-memory bytes (no release_pages) pass through untouched
    assert len(list(release_read_ahead(iter(want), b"", ix))) == len(want)
