"""Properties of ``lod.merge_spans`` (STYLE §6): union kept, runs bounded, pans don't flicker."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support import run_nojit_subset

from goroscope.lod import _reference as ref
from goroscope.lod.merge import merge_spans, window

ROOT = Path(__file__).resolve().parents[2]
#: Fewer examples when the kernels run as plain Python (the nojit subprocess).
EXAMPLES = 60 if os.environ.get("NUMBA_DISABLE_JIT") == "1" else 250


@st.composite
def rows(draw, max_n=60):
    """Sorted, non-overlapping spans; gaps are often 0 (goroutine states are contiguous)."""
    n = draw(st.integers(0, max_n))
    widths = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    gaps = draw(st.lists(st.one_of(st.just(0), st.integers(0, 40)), min_size=n, max_size=n))
    start, end = [], []
    t = draw(st.integers(0, 20))
    for w, g in zip(widths, gaps, strict=True):
        t += g
        start.append(t)
        t += w
        end.append(t)
    return np.array(start, np.int64), np.array(end, np.int64)


@st.composite
def cases(draw):
    start, end = draw(rows())
    total = int(end[-1]) + 20 if len(end) else 50
    t0 = draw(st.integers(0, total))
    t1 = draw(st.integers(t0 + 1, total + 1))
    min_ns = draw(st.integers(0, 30))
    return start, end, t0, t1, min_ns


def _merged(start, end, t0, t1, min_ns):
    lo, hi = window(start, end, t0, t1)
    return merge_spans(start, end, lo, hi, min_ns, t0)


def _coverage(start, end, size):
    cov = np.zeros(size, bool)
    for s, e in zip(start, end, strict=True):
        cov[s:e] = True
    return cov


@pytest.mark.nojit
@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_kernel_equals_reference(case):
    start, end, t0, t1, min_ns = case
    lo, hi = window(start, end, t0, t1)
    got = merge_spans(start, end, lo, hi, min_ns)
    want = ref.merge_spans(start, end, lo, hi, min_ns)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.nojit
@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_union_preserved_within_window(case):
    """Inside the window, runs cover exactly the spans, plus only absorbed gaps < min_ns."""
    start, end, t0, t1, min_ns = case
    rs, re_, count, first = _merged(start, end, t0, t1, min_ns)
    size = max(int(end.max()) if len(end) else 0, int(re_.max()) if len(re_) else 0, t1) + 1
    cov_in = _coverage(start, end, size)[t0:t1]
    cov_out = _coverage(rs, re_, size)[t0:t1]
    assert not (cov_in & ~cov_out).any(), "a span's time is not drawn"
    extra = np.flatnonzero(cov_out & ~cov_in) + t0
    for x in extra:  # each extra ns lies in a gap between two spans, narrower than min_ns
        j = int(np.searchsorted(start, x, "right"))
        assert 0 < j < len(start)
        assert end[j - 1] <= x < start[j]
        assert start[j] - end[j - 1] < min_ns
    # runs are ordered, disjoint, and account for every span they hold
    assert (rs <= re_).all()
    assert (re_[:-1] <= rs[1:]).all()
    assert (first[1:] == first[:-1] + count[:-1]).all()


@pytest.mark.nojit
@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_runs_are_wide_or_followed_by_a_wide_gap(case):
    start, end, t0, t1, min_ns = case
    rs, re_, count, first = _merged(start, end, t0, t1, min_ns)
    for k in range(len(rs)):
        nxt = first[k] + count[k]
        if nxt >= len(start):
            continue  # the row's last run
        next_start = rs[k + 1] if k + 1 < len(rs) else start[nxt]
        assert re_[k] - rs[k] >= min_ns or next_start - re_[k] >= min_ns, k


def test_run_left_of_window_is_not_counted():
    """Regression (hypothesis, CI): ten empty spans at 0 merge into a run that takes
    the start of span lo (rule 4) and ends at 27, left of the window (29, 55); it is
    invisible there and must not count against the pixel bound."""
    start = np.array([0] * 10 + [18, 54], np.int64)
    end = np.array([0] * 10 + [54, 54], np.int64)
    lo, hi = window(start, end, 29, 55)
    rs_all, re_all, *_ = merge_spans(start, end, lo, hi, 27)
    rs, re_, *_ = merge_spans(start, end, lo, hi, 27, 29)
    assert list(zip(rs_all, re_all, strict=True)) == [(0, 27), (27, 54), (54, 54)]
    assert list(zip(rs, re_, strict=True)) == [(27, 54), (54, 54)]
    assert len(rs) <= (55 - 29) / 27 + 2


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_run_count_bounded_by_pixels(case):
    start, end, t0, t1, min_ns = case
    if min_ns == 0:
        return
    rs, *_ = _merged(start, end, t0, t1, min_ns)
    assert len(rs) <= (t1 - t0) / min_ns + 2


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases(), st.integers(-60, 60), st.integers(-60, 60))
def test_pan_keeps_runs_inside_both_windows(case, d0, d1):
    """After a pan (or zoom at the same min_ns), runs wholly inside both windows are identical."""
    start, end, t0, t1, min_ns = case
    u0, u1 = max(0, t0 + d0), max(0, t1 + d1)
    if u1 <= u0:
        return
    a = set(zip(*(x.tolist() for x in _merged(start, end, t0, t1, min_ns)), strict=True))
    b = set(zip(*(x.tolist() for x in _merged(start, end, u0, u1, min_ns)), strict=True))
    lo_t, hi_t = max(t0, u0), min(t1, u1)
    inside = {r for r in a if lo_t < r[0] and r[1] < hi_t}
    assert inside <= b


def test_examples():
    """A tiny span merges with its tiny neighbours; a big span stays alone, trimmed by the run."""
    s = np.array([0, 10, 11, 12, 30, 100], np.int64)
    e = np.array([10, 11, 12, 30, 31, 200], np.int64)
    rs, re_, count, first = merge_spans(s, e, 0, 6, 5)
    assert rs.tolist() == [0, 10, 15, 30, 100]
    assert re_.tolist() == [10, 15, 30, 31, 200]
    assert count.tolist() == [1, 2, 1, 1, 1]
    assert first.tolist() == [0, 1, 3, 4, 5]


def test_first_run_extends_left_of_the_window():
    """A window starting inside a merged run returns the whole run (gotraceui's left merge)."""
    s = np.arange(0, 1000, 2, dtype=np.int64)
    e = s + 1
    rs, re_, count, first = merge_spans(s, e, 200, 210, 10)
    assert rs.tolist() == [0]
    assert re_.tolist() == [999]
    assert count.tolist() == [500]
    assert first.tolist() == [0]


def test_no_merge_when_min_is_zero():
    s = np.array([0, 1, 5], np.int64)
    e = np.array([1, 1, 9], np.int64)
    rs, re_, count, _ = merge_spans(s, e, 0, 3, 0)
    assert count.tolist() == [1, 1, 1]
    assert merge_spans(s, e, 2, 2, 5)[0].size == 0


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="already without JIT")
def test_nojit_subset_in_subprocess():
    """Run the ``nojit``-marked lod tests with NUMBA_DISABLE_JIT=1 (kernels as plain Python)."""
    run_nojit_subset("tests/lod")
