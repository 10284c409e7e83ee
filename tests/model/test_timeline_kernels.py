"""The start-time decode kernels (``goroscope.model._timeline_kernels``) against their twins.

The twins are the vectorised numpy decoders in ``goroscope.model.timeline``
(``decode_starts_numpy``, ``decode_uvarints_numpy``), and independently a plain
Python LEB128 decoder written here. Inputs: hypothesis-generated values (1 to 10
byte varints up to 2**64 - 1, odd and even start tokens, empty input) and every
segment of the committed go1.22 and go1.27 traces.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.model.conftest import TESTDATA

from goroscope.model import TraceChunks
from goroscope.model._timeline_kernels import starts_into, uvarints_into
from goroscope.model.spans import build_timeline
from goroscope.model.timeline import (
    Timeline,
    decode_starts,
    decode_starts_numpy,
    decode_uvarints,
    decode_uvarints_numpy,
    encode_starts,
    encode_uvarints,
)

U64 = st.integers(0, (1 << 64) - 1)
#: values of every varint length (1..10 bytes), small ones more often
VALUES = st.one_of(
    st.integers(0, 127),
    st.integers(0, (1 << 14) - 1),
    *[st.integers(1 << (7 * k), min((1 << (7 * k + 7)) - 1, (1 << 64) - 1)) for k in range(1, 10)],
)


def py_uvarints(b: bytes) -> list[int]:
    """Plain Python LEB128 (unbounded ints, reduced mod 2**64; unterminated tail ignored)."""
    out, x, s = [], 0, 0
    for c in b:
        x |= (c & 0x7F) << s
        if c < 0x80:
            out.append(x % (1 << 64))
            x, s = 0, 0
        else:
            s += 7
    return out


def py_starts(b: bytes, g_off: list[int]) -> list[int]:
    """Plain Python decode of starts: odd token t → t >> 1, even → (t >> 1) * 64, summed
    per slice, as int64 (wrapping like the int64 columns)."""
    tok = py_uvarints(b)
    out = []
    for lo, hi in zip(g_off[:-1], g_off[1:], strict=True):
        acc = 0
        for t in tok[lo:hi]:
            acc += (t >> 1) if t & 1 else (t >> 1) << 6
            out.append((acc + (1 << 63)) % (1 << 64) - (1 << 63))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=60))
def test_uvarints_kernel_equals_twin(values):
    b = encode_uvarints(np.array(values, np.uint64))
    assert len(b) == sum(max(1, (v.bit_length() + 6) // 7) for v in values)
    got = decode_uvarints(b)
    assert got.dtype == np.uint64
    assert got.tolist() == decode_uvarints_numpy(b).tolist() == values


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_uvarints_kernel_equals_twin_on_any_bytes(raw):
    """Arbitrary bytes: overlong (> 10 byte) varints and an unterminated tail decode the
    same way in kernel, twin and plain Python (bits past 64 dropped, tail ignored)."""
    b = np.frombuffer(raw, np.uint8)
    want = py_uvarints(raw)
    assert decode_uvarints(b).tolist() == decode_uvarints_numpy(b).tolist() == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(VALUES, st.booleans()), min_size=1, max_size=12), max_size=12))
def test_starts_kernel_equals_twin(slices):
    """Hand the kernel raw start tokens (odd: exact ns, even: 64 ns ticks) of any size,
    including tokens whose gaps overflow int64: kernel == numpy twin == plain Python."""
    toks = [(v | 1) if odd else (v & ~1) for sl in slices for v, odd in sl]
    g_off = [0]
    for sl in slices:
        g_off.append(g_off[-1] + len(sl))
    dt = encode_uvarints(np.array(toks, np.uint64))
    for dtype in (np.int32, np.int64):
        off = np.array(g_off, dtype)
        got = decode_starts(dt, off)
        assert got.dtype == np.int64
        assert got.tolist() == decode_starts_numpy(dt, off).tolist()
        assert got.tolist() == py_starts(dt.tobytes(), g_off)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 1 << 40), min_size=1, max_size=20), max_size=10),
    st.sampled_from([1, 64]),
)
def test_starts_round_trip_through_kernel(slices, tick):
    """encode_starts → kernel decode gives the starts back (ascending slices)."""
    starts, off = [np.zeros(0, np.int64)], [0]
    for sl in slices:
        starts.append(np.cumsum(np.array(sl, np.int64) * tick))
        off.append(off[-1] + len(sl))
    start = np.concatenate(starts)
    g_off = np.array(off, np.int32)
    dt, _ = encode_starts(start, g_off)
    assert decode_starts(dt, g_off).tolist() == start.tolist()


def test_empty_and_bad_input():
    """Empty input decodes to nothing; bytes that run out, or a g_off past the values,
    make the kernel refuse (-1) without touching memory outside ``out``, and
    ``decode_starts`` then answers what the twin answers."""
    empty = np.zeros(0, np.uint8)
    assert decode_uvarints(empty).tolist() == []
    assert decode_starts(empty, np.array([0], np.int32)).tolist() == []
    assert decode_starts(empty, np.zeros(0, np.int64)).tolist() == []
    out = np.full(4, 7, np.int64)
    # three spans claimed, one byte: runs out
    assert starts_into(np.array([3], np.uint8), np.array([0, 3], np.int64), out[:3]) == -1
    # g_off beyond out
    assert starts_into(np.array([3, 3], np.uint8), np.array([0, 2], np.int64), out[:1]) == -1
    # g_off going backwards
    assert starts_into(np.array([3], np.uint8), np.array([1, 0], np.int64), out[:1]) == -1
    assert out[3] == 7
    # an unterminated varint at the end: the twin ignores it, so does uvarints_into
    buf = np.zeros(3, np.uint64)
    assert uvarints_into(np.array([5, 0x80, 0x81], np.uint8), buf) == 1
    assert buf[0] == 5


@functools.cache
def real_timeline(name: str) -> Timeline:
    data = (TESTDATA / "traces" / f"{name}.trace").read_bytes()
    return build_timeline(TraceChunks(data, chunk_events=2000, keep_columns=False))


REAL = sorted(
    f"{p.parent.name}/{p.stem}"
    for v in ("go1.22", "go1.27")
    for p in (TESTDATA / "traces" / v).glob("*.trace")
)


@pytest.mark.parametrize("name", REAL)
def test_kernel_equals_twin_on_real_segments(name):
    """Every segment of a real trace decodes identically both ways, whole and per slice."""
    tl = real_timeline(name)
    assert tl.segments, name
    spans = 0
    for seg in tl.segments:
        got = decode_starts(seg.dt, seg.g_off)
        want = decode_starts_numpy(seg.dt, seg.g_off)
        assert got.tolist() == want.tolist()
        assert np.array_equal(seg.start, want)
        toks = decode_uvarints(seg.dt)
        assert toks.tolist() == decode_uvarints_numpy(seg.dt).tolist()
        assert len(toks) == len(seg)
        for i in range(len(seg.g_idx)):
            a, b = int(seg.g_off[i]), int(seg.g_off[i + 1])
            assert seg.slice_starts(i).tolist() == (want[a:b] + seg.base_ns).tolist()
        spans += len(seg)
    assert spans == tl.n_spans > 0


def test_warm_up_compiles_the_signatures_segments_use():
    """``warm_up_kernels`` (the app's background warm-up) reaches the argument types a real
    segment's ``start`` and ``slice_starts`` call the kernel with, so the first paint
    after opening a trace does not load or compile a kernel."""
    from goroscope.model.timeline import warm_up_kernels

    warm_up_kernels()
    before = set(starts_into.signatures)
    seg = real_timeline("go1.22/gc").segments[0]
    decode_starts(seg.dt, seg.g_off)
    seg.slice_starts(0)
    assert set(starts_into.signatures) == before
