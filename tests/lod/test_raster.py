"""``lod.raster``: merged runs take the colour of the state with the most time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goroscope.lod import _reference as ref
from goroscope.lod.merge import merge_spans
from goroscope.lod.raster import (
    StateTimeAccumulator,
    dominant_state,
    run_coverage,
    run_state_durations,
    stacked_strip,
    state_time_per_bin,
)


def test_dominant_by_duration_not_by_count():
    s = np.array([0, 1, 2, 3, 10], np.int64)
    e = np.array([1, 2, 3, 10, 11], np.int64)
    state = np.array([1, 1, 1, 2, 1], np.uint8)  # three short "1", one long "2"
    rs, re_, count, first = merge_spans(s, e, 0, 5, 100)
    assert count.tolist() == [5]
    assert dominant_state(s, e, state, rs, re_, first, count, 4).tolist() == [2]
    hist = run_state_durations(s, e, state, rs, re_, first, count, 4)
    assert hist.tolist() == [[0, 4, 7, 0]]


def test_zero_length_runs_fall_back_to_counts():
    s = np.array([5, 5, 5], np.int64)
    e = s.copy()
    state = np.array([3, 0, 3], np.uint8)
    rs, re_, count, first = merge_spans(s, e, 0, 3, 10)
    assert dominant_state(s, e, state, rs, re_, first, count, 4).tolist() == [3]


def test_coverage_of_sparse_merged_run():
    # ten 1 ns spans 10 ns apart merged into one run of 91 ns: ~11 % covered, not solid
    s = np.arange(0, 100, 10, dtype=np.int64)
    e = s + 1
    rs, re_, count, first = merge_spans(s, e, 0, 10, 50)
    assert count.tolist() == [10]
    cov = run_coverage(s, e, rs, re_, first, count)
    assert cov.tolist() == pytest.approx([10 / (re_[0] - rs[0])])
    assert cov[0] < 0.12
    # a tiny run widened into the next span (merge rule 4) is covered by that span: 100 %
    s = np.array([0, 1, 2, 100, 200], np.int64)
    e = np.array([1, 2, 100, 200, 300], np.int64)
    rs, re_, count, first = merge_spans(s, e, 0, 5, 50)
    assert count.tolist()[0] == 2
    assert re_[0] == 50
    assert run_coverage(s, e, rs, re_, first, count).tolist() == [1.0] * len(rs)


@st.composite
def rows(draw):
    """Sorted, non-overlapping spans with widths and gaps in 0..20."""
    parts = draw(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=40))
    t, s, e = 0, [], []
    for gap, width in parts:
        s.append(t + gap)
        t += gap + width
        e.append(t)
    return np.array(s, np.int64), np.array(e, np.int64)


@pytest.mark.nojit
@settings(max_examples=100, deadline=None)
@given(rows(), st.integers(0, 30), st.data())
def test_kernels_equal_reference(row, min_ns, data):
    s, e = row
    state = np.array(
        data.draw(st.lists(st.integers(0, 5), min_size=len(s), max_size=len(s))), np.uint8
    )
    rs, re_, count, first = merge_spans(s, e, 0, len(s), min_ns)
    args = (s, e, state, rs, re_, first, count, 5)  # state 5 is out of range: ignored
    np.testing.assert_array_equal(run_state_durations(*args), ref.run_state_durations(*args))
    np.testing.assert_array_equal(dominant_state(*args), ref.dominant_state(*args))
    # coverage = time covered by any span / run extent
    cov = run_coverage(s, e, rs, re_, first, count)
    # brute force: every span's overlap with each run's extent
    tot = np.array(
        [
            np.clip(np.minimum(e, b) - np.maximum(s, a), 0, None).sum()
            for a, b in zip(rs, re_, strict=True)
        ],
        np.float64,
    )
    ext = re_ - rs
    want = np.where(ext > 0, tot / np.maximum(ext, 1), 1.0)
    np.testing.assert_allclose(cov, want)
    assert ((cov >= 0) & (cov <= 1 + 1e-12)).all()


@pytest.mark.nojit
@settings(max_examples=100, deadline=None)
@given(rows(), st.integers(0, 30), st.integers(1, 12), st.integers(1, 20), st.data())
def test_state_time_per_bin_equals_reference(row, t0, bin_ns, n_bins, data):
    s, e = row
    state = np.array(
        data.draw(st.lists(st.integers(0, 4), min_size=len(s), max_size=len(s))), np.uint8
    )
    got = state_time_per_bin(s, e, state, t0, bin_ns, n_bins, 4)  # code 4 ignored
    np.testing.assert_array_equal(got, ref.state_time_per_bin(s, e, state, t0, bin_ns, n_bins, 4))
    # unsorted concatenations scan everything and agree too
    perm = np.random.default_rng(0).permutation(len(s))
    got2 = state_time_per_bin(
        s[perm], e[perm], state[perm], t0, bin_ns, n_bins, 4, sorted_row=False
    )
    np.testing.assert_array_equal(got2, got)
    # no bin holds more time than the bin (one row is in one state at a time)
    assert (got.sum(axis=1) <= bin_ns).all()


def test_state_time_accumulator_adds_rows():
    a = (np.array([0], np.int64), np.array([100], np.int64), np.array([1], np.uint8))
    b = (np.array([50], np.int64), np.array([60], np.int64), np.array([2], np.uint8))
    acc = StateTimeAccumulator(0, 25, 4, 3)
    acc.add(*a)
    acc.add(*b)
    out = acc.result()
    assert out[:, 1].tolist() == [25, 25, 25, 25]
    assert out[:, 2].tolist() == [0, 0, 10, 0]


@pytest.mark.nojit
@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(1, 12),
    st.data(),
)
def test_stacked_strip_equals_reference(n_bins, n_states, height, data):
    times = np.array(
        data.draw(
            st.lists(st.integers(0, 50), min_size=n_bins * n_states, max_size=n_bins * n_states)
        ),
        np.int64,
    ).reshape(n_bins, n_states)
    scale = float(max(times.sum(axis=1).max(), 1))
    lut = np.arange(10, 10 + n_states + 1, dtype=np.uint32)
    np.testing.assert_array_equal(
        stacked_strip(times, scale, height, lut), ref.stacked_strip(times, scale, height, lut)
    )
