"""Packed64 / _PackedCol: int64 columns stored as uint32 offsets from block bases.

The model's region times and task IDs and the goroutines' first transition times are
stored this way (4 B per row); every read must give back exactly the int64 (or uint64)
values that were appended, whatever their range, with -1 (none) kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from goroscope.model.spans import _PackedCol
from goroscope.model.timeline import PACKED_NONE, Packed64, pack64

_vals = st.lists(
    st.one_of(
        st.just(-1),
        st.integers(0, 1 << 34),  # times of a long trace: several 2**32 blocks
        st.integers(-(1 << 63), (1 << 63) - 1),  # anything int64
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_vals, min_size=1, max_size=4), tail=_vals)
def test_packed_column_round_trips(parts, tail) -> None:
    col = _PackedCol()
    for p in parts:
        col.extend(np.array(p, np.int64))
    want = np.array([v for p in parts for v in p], np.int64)
    got = col.view()
    assert isinstance(got, Packed64)
    assert len(got) == len(want)
    assert got.lo.dtype == np.uint32
    np.testing.assert_array_equal(got.widen(), want)
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(got < 0, want < 0)
    for i in range(len(want)):
        assert int(got[i]) == int(want[i])
    idx = np.arange(len(want))[::-2]
    np.testing.assert_array_equal(got[idx], want[idx])
    mask = want % 3 == 0
    np.testing.assert_array_equal(got[mask], want[mask])
    np.testing.assert_array_equal(got[1:-1], want[1:-1])
    # view_with: the tail shown after the rows, not appended
    w = col.view_with(np.array(tail, np.int64))
    np.testing.assert_array_equal(w.widen(), np.r_[want, np.array(tail, np.int64)])
    assert col.n == len(want)


@settings(max_examples=100, deadline=None)
@given(v=st.lists(st.integers(0, (1 << 64) - 1), max_size=50))
def test_unsigned_column_round_trips(v) -> None:
    col = _PackedCol(unsigned=True)
    col.extend(np.array(v, np.uint64))
    got = col.view()
    want = np.array(v, np.uint64)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got.widen(), want)
    np.testing.assert_array_equal(got == want, np.ones(len(v), bool))
    for i in range(len(v)):
        assert int(got[i]) == v[i]


def test_monotone_times_use_few_blocks() -> None:
    # a 17 s trace's first-transition times: one block per ~4.3 s, not per row
    t = np.sort(np.random.default_rng(0).integers(0, 17_000_000_000, 100_000))
    col = _PackedCol()
    for part in np.array_split(t, 50):
        col.extend(part)
    p = col.view()
    np.testing.assert_array_equal(p.widen(), t)
    assert len(p.block_row) <= 17_000_000_000 // PACKED_NONE + 2
    assert p.nbytes < t.nbytes // 2 + 1024


def test_pack64_none_and_astuple() -> None:
    lo, rows, bases = pack64(np.array([-1, -1, 5, -1], np.int64))
    assert lo.tolist() == [PACKED_NONE, PACKED_NONE, 0, PACKED_NONE]
    assert bases == [5]
    p = Packed64(lo, np.array([0]), np.array(bases))
    assert p.tolist() == [-1, -1, 5, -1]

    @dataclasses.dataclass
    class T:
        a: Packed64

    # tables holding a Packed64 stay comparable through astuple (not a dataclass itself)
    assert dataclasses.astuple(T(p))[0].tolist() == [-1, -1, 5, -1]


_OPS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(_vals, min_size=1, max_size=3),
    x=st.one_of(
        st.just(-1),
        _vals.flatmap(lambda v: st.sampled_from(v or [0])),
        st.integers(-(1 << 63), (1 << 63) - 1),
    ),
)
def test_comparisons_with_a_scalar_equal_the_widened_column(parts, x) -> None:
    # the block-wise comparison on the uint32 offsets (no widening) against numpy's own
    col = _PackedCol()
    for p in parts:
        col.extend(np.array(p, np.int64))
    got = col.view()
    want = np.array([v for p in parts for v in p], np.int64)
    for op in _OPS:
        np.testing.assert_array_equal(
            getattr(got, op)(np.int64(x)), getattr(want, op)(np.int64(x)), err_msg=op
        )
    np.testing.assert_array_equal(x < got, np.int64(x) < want)
    np.testing.assert_array_equal(got == x, want == x)


@settings(max_examples=80, deadline=None)
@given(v=st.lists(st.integers(0, (1 << 64) - 1), max_size=40), x=st.integers(0, (1 << 64) - 1))
def test_unsigned_equality_with_a_scalar(v, x) -> None:
    col = _PackedCol(unsigned=True)
    col.extend(np.array(v, np.uint64))
    want = np.array(v, np.uint64)
    np.testing.assert_array_equal(col.view() == np.uint64(x), want == np.uint64(x))
    np.testing.assert_array_equal(col.view() != np.uint64(x), want != np.uint64(x))
    if v:
        np.testing.assert_array_equal(col.view() == np.uint64(v[0]), want == np.uint64(v[0]))
