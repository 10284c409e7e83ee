"""Property tests: every numba kernel equals its pure-Python twin in ``_reference``.

Inputs are random bytes and random mutations of small valid traces (so both the
happy paths and every error path are exercised). Outputs are compared field by
field: returned status tuples and the filled prefix of every output column.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.format import wire

from goroscope.format import _kernels as K
from goroscope.format import _reference as R
from goroscope.format import spec
from goroscope.format.version import Version

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
V2 = [Version.GO122, Version.GO123, Version.GO125, Version.GO126]
U64 = st.integers(0, 2**64 - 1)


def _arr(b: bytes) -> np.ndarray:
    return np.frombuffer(bytes(b), np.uint8)


@st.composite
def mutated_trace(draw):
    v = draw(st.sampled_from(V2))
    data = bytearray(wire.trace(v, draw(st.sampled_from([[1], [3, 4]]))))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        i = draw(st.integers(16, max(16, len(data) - 1)))
        if op == "flip" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i:]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=12))
    return v, bytes(data)


@SETTINGS
@given(st.binary(max_size=24), st.integers(0, 30), st.integers(0, 30))
def test_uvarint_equals_twin(data, pos, end):
    buf = _arr(data)
    end = min(end, len(data))
    assert tuple(K.uvarint(buf, pos, end)) == tuple(R.uvarint(buf, pos, end))


@SETTINGS
@given(U64, st.integers(1, 10))
def test_uvarint_round_trip(x, pad):
    enc = wire.uv(x, pad)
    buf = _arr(enc + b"\x00" * 3)
    v, nxt = K.uvarint(buf, 0, len(buf))
    assert (int(v), nxt) == (x, len(enc))
    assert R.uvarint(buf, 0, len(buf)) == (x, len(enc))


@SETTINGS
@given(U64, st.one_of(st.sampled_from([64.0, 1.0, 2.0, 1e9 / 15625000]), st.floats(1e-6, 1e12)))
def test_mul_equals_twin(t, nspt):
    assert int(K.mul(np.uint64(t), nspt)) == R.mul(t, nspt)


def _scan_both(buf, v):
    res = []
    for mod in (K, R):
        n, *_ = mod.scan_batches(buf, 16, len(buf), int(v), False, 0, *_empty_scan_cols(0))
        cols = _empty_scan_cols(n + 2)
        out = mod.scan_batches(buf, 16, len(buf), int(v), True, 2, *cols)
        res.append((tuple(int(x) for x in out), [c[2 : 2 + out[0]].tolist() for c in cols]))
    return res


def _empty_scan_cols(n):
    return (np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.uint64),
            np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.uint8), np.zeros(n, np.uint8))  # fmt: skip


@SETTINGS
@given(mutated_trace())
def test_scan_batches_equals_twin(vt):
    v, data = vt
    a, b = _scan_both(_arr(data), v)
    assert a == b


@SETTINGS
@given(st.sampled_from(V2), st.binary(max_size=40))
def test_scan_random_bytes_equals_twin(v, tail):
    a, b = _scan_both(_arr(v.header + tail), v)
    assert a == b


@SETTINGS
@given(mutated_trace(), st.integers(17, 400))
def test_segmented_scan_equals_one_pass(vt, seg):
    """Scanning in segments (resuming at end_pos) gives the same rows as one pass."""
    v, data = vt
    buf = _arr(data)
    n, *_ = K.scan_batches(buf, 16, len(buf), int(v), False, 0, *_empty_scan_cols(0))
    one = _empty_scan_cols(n)
    full = K.scan_batches(buf, 16, len(buf), int(v), True, 0, *one)
    seg_cols = _empty_scan_cols(n)
    pos, rows = 16, 0
    while True:
        nb, status, err, end = K.scan_batches(buf, pos, pos + seg, int(v), True, rows, *seg_cols)
        rows += nb
        if status != 0 or end >= len(buf):
            break
        pos = end
    assert (rows, status, err) == (int(full[0]), int(full[1]), int(full[2]))
    assert [c.tolist() for c in one] == [c.tolist() for c in seg_cols]


def _one_batch(first: bytes, body: bytes):
    data = bytes(16) + first + body
    return _arr(data), np.array([16], np.int64), np.array([len(data) - 16], np.int64)


@st.composite
def event_stream(draw):
    """Mostly valid timed events, sometimes with garbage spliced in."""
    out = b""
    for _ in range(draw(st.integers(0, 12))):
        t = draw(st.sampled_from([s for s in range(137) if spec.TIMED[s]]))
        out += wire.ev(
            t, *[draw(st.one_of(st.integers(0, 300), U64)) for _ in range(spec.NARGS[t])]
        )
    if draw(st.booleans()):
        i = draw(st.integers(0, len(out)))
        out = out[:i] + draw(st.binary(max_size=6)) + out[i:]
    return out


@SETTINGS
@given(event_stream(), U64, st.sampled_from([64.0, 1.0, 0.5]))
def test_decode_events_equals_twin(body, btime, nspt):
    buf, doff, size = _one_batch(b"", body)
    outs = []
    for mod in (K, R):
        cap = int(size.sum()) // 2
        cols = (np.zeros(cap, np.uint8), np.zeros(cap, np.int64), np.zeros(cap, np.int64),
                np.zeros(cap, np.int32), np.zeros((cap, 4), np.uint64), np.zeros(cap, np.int64),
                np.zeros(256, np.int64))  # fmt: skip
        r = mod.decode_events(buf, doff, size, np.array([btime], np.uint64), np.array([-1], np.int64),
                              np.array([3], np.int32), nspt, spec.NARGS, spec.TIMED, *cols)  # fmt: skip
        n = int(r[0])
        outs.append(
            (tuple(int(x) for x in r), [c[:n].tolist() for c in cols[:-1]], cols[-1].tolist())
        )
    assert outs[0] == outs[1]


@st.composite
def table_body(draw, kind):
    out = b""
    for _ in range(draw(st.integers(0, 5))):
        if kind == "strings":
            s = draw(st.binary(max_size=20))
            out += wire.ev(5, draw(U64), len(s)) + s
        elif kind == "stacks":
            frames = draw(st.lists(st.tuples(U64, st.integers(0, 9), st.integers(0, 9), st.integers(0, 999)), max_size=4))  # fmt: skip
            out += wire.ev(3, draw(st.integers(0, 50)), len(frames)) + b"".join(wire.uv(w) for f in frames for w in f)  # fmt: skip
        else:
            out += wire.ev(7, *[draw(st.one_of(st.integers(0, 9), U64)) for _ in range(5)])
    if draw(st.booleans()):
        i = draw(st.integers(0, len(out)))
        out = out[:i] + draw(st.binary(max_size=6)) + out[i:]
    return out


@SETTINGS
@given(table_body("strings"))
def test_decode_strings_equals_twin(body):
    buf, doff, size = _one_batch(b"\x04", body)
    outs = []
    for mod in (K, R):
        cap = int(size.sum()) // 3
        cols = (np.zeros(cap, np.uint64), np.zeros(cap, np.int64), np.zeros(cap, np.int32))
        r = mod.decode_strings(buf, doff, size, *cols)
        outs.append((tuple(int(x) for x in r), [c[: r[0]].tolist() for c in cols]))
    assert outs[0] == outs[1]


@SETTINGS
@given(table_body("stacks"))
def test_decode_stacks_equals_twin(body):
    buf, doff, size = _one_batch(b"\x02", body)
    outs = []
    for mod in (K, R):
        t = int(size.sum())
        cols = (np.zeros(t // 3, np.uint64), np.zeros(t // 3, np.int64), np.zeros(t // 3, np.int32))
        frames = np.zeros((t // 4, 4), np.uint64)
        r = mod.decode_stacks(buf, doff, size, *cols, frames)
        outs.append((tuple(int(x) for x in r), [c[: r[0]].tolist() for c in cols], frames[: r[1]].tolist()))  # fmt: skip
    assert outs[0] == outs[1]


@SETTINGS
@given(table_body("cpu"), st.sampled_from([64.0, 1.0]))
def test_decode_cpu_samples_equals_twin(body, nspt):
    buf, doff, size = _one_batch(b"\x06", body)
    outs = []
    for mod in (K, R):
        cap = int(size.sum()) // 6
        cols = [np.zeros(cap, np.int64) for _ in range(4)] + [np.zeros(cap, np.uint64)]
        r = mod.decode_cpu_samples(buf, doff, size, nspt, *cols)
        outs.append((tuple(int(x) for x in r), [c[: r[0]].tolist() for c in cols]))
    assert outs[0] == outs[1]


@SETTINGS
@given(st.sampled_from(V2), st.binary(max_size=30), U64)
def test_decode_sync_equals_twin(v, body, btime):
    first = b"\x32" if v >= Version.GO125 else b""
    for data in (first + body, wire.sync_data(v) + body[:3]):
        buf = _arr(data)
        a = K.decode_sync(buf, 0, len(data), np.uint64(btime), int(v))
        b = R.decode_sync(buf, 0, len(data), btime, int(v))
        assert tuple(int(x) for x in a) == tuple(int(x) for x in b)


@SETTINGS
@given(mutated_trace())
def test_raw_count_equals_twin(vt):
    v, data = vt
    buf = _arr(data)
    limit = len(spec.specs_for(v))
    ck, cr = np.zeros(256, np.int64), np.zeros(256, np.int64)
    stop = len(buf) if len(buf) % 3 else len(buf) // 2  # sometimes stop early (segmented scans)
    a = K.raw_count(buf, 16, stop, limit, spec.NARGS, spec.IS_STACK, spec.HAS_DATA, ck)
    b = R.raw_count(buf, 16, stop, limit, spec.NARGS, spec.IS_STACK, spec.HAS_DATA, cr)
    assert tuple(int(x) for x in a) == tuple(int(x) for x in b)
    assert ck.tolist() == cr.tolist()


@pytest.mark.nojit
def test_twins_agree_on_a_valid_trace():
    """Smoke check of the whole kernel set on one valid trace (also runs without JIT)."""
    v = Version.GO126
    data = wire.trace(v, [1, 2])
    a, b = _scan_both(_arr(data), v)
    assert a == b
    assert a[0][1] == 0
