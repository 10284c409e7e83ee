"""Slow pure-Python twins of the ``goroscope.lod`` kernels, for property tests only.

``merge_spans`` here does what ``lod.merge`` documents the *whole-row* scan to
be — one pass from index 0 over every span — and then keeps the runs that hold
a span of ``[lo, hi)``. The kernel instead starts at a sync point left of ``lo``;
equality of the two is the test that the sync point is right.
"""

from __future__ import annotations

import numpy as np


def merge_spans(start_ns, end_ns, lo, hi, min_ns):
    """Twin of ``lod.merge.merge_spans`` (same signature, same result)."""
    starts = [int(x) for x in start_ns]
    ends = [int(x) for x in end_ns]
    n = len(starts)
    lo, hi = max(0, lo), min(n, hi)
    runs = []  # (start, end, count, first)
    i = 0
    prev_end = None
    while i < n:
        first = i
        s = starts[i] if prev_end is None else max(starts[i], prev_end)
        e = max(ends[i], s)
        i += 1
        if e - s < min_ns:
            eff = max(e, s + min_ns)
            while i < n:
                if starts[i] - e >= min_ns:  # a real gap ends the run
                    break
                if ends[i] - max(starts[i], eff) >= min_ns:  # a big span ends it, widened
                    e = eff
                    break
                e = ends[i]
                eff = max(e, s + min_ns)
                i += 1
        runs.append((s, e, i - first, first))
        prev_end = e
    keep = (
        [r for r in runs if r[3] < hi and (r[3] + r[2] - 1 >= lo or r[1] > starts[lo])]
        if lo < hi
        else []
    )
    cols = list(zip(*keep, strict=True)) if keep else [(), (), (), ()]
    return tuple(np.asarray(c, dtype=np.int64) for c in cols)


def run_state_durations(
    start_ns, end_ns, state, run_start, run_end, run_first, run_count, n_states
):
    """Twin of ``lod.raster.run_state_durations``."""
    out = np.zeros((len(run_first), n_states), np.int64)
    for r in range(len(run_first)):
        for j in range(int(run_first[r]), int(run_first[r] + run_count[r])):
            st = int(state[j])
            if st >= n_states:
                continue
            w = min(int(end_ns[j]), int(run_end[r])) - max(int(start_ns[j]), int(run_start[r]))
            out[r, st] += max(w, 0)
    return out


def dominant_state(start_ns, end_ns, state, run_start, run_end, run_first, run_count, n_states):
    """Twin of ``lod.raster.dominant_state``."""
    hist = run_state_durations(
        start_ns, end_ns, state, run_start, run_end, run_first, run_count, n_states
    )
    out = np.empty(len(run_first), np.int64)
    for r in range(len(run_first)):
        if hist[r].sum() > 0:
            out[r] = int(np.argmax(hist[r]))
        else:
            counts = np.zeros(n_states, np.int64)
            for j in range(int(run_first[r]), int(run_first[r] + run_count[r])):
                if int(state[j]) < n_states:
                    counts[int(state[j])] += 1
            out[r] = (
                int(np.argmax(counts))
                if counts.sum()
                else (int(state[run_first[r]]) if run_count[r] else 0)
            )
    return out


def state_time_per_bin(start_ns, end_ns, state, t0_ns, bin_ns, n_bins, n_states):
    """Twin of ``lod.raster.state_time_per_bin`` (bin by bin, span by span)."""
    out = np.zeros((n_bins, n_states), np.int64)
    for a, b, st in zip(start_ns, end_ns, state, strict=True):
        if not 0 <= int(st) < n_states:
            continue
        for i in range(n_bins):
            lo, hi = t0_ns + i * bin_ns, t0_ns + (i + 1) * bin_ns
            out[i, int(st)] += max(0, min(int(b), hi) - max(int(a), lo))
    return out


def stacked_strip(times, scale, height_px, lut):
    """Twin of ``lod.raster.stacked_strip`` (cumulative bands, rounded to pixels)."""
    n_bins, n_states = times.shape
    out = np.empty((height_px, n_bins), np.uint32)
    for j in range(n_bins):
        tops = [
            min(height_px, int(sum(times[j, : k + 1]) / scale * height_px + 0.5))
            for k in range(n_states)
        ]
        for y in range(height_px):  # y counted from the bottom
            k = next((k for k in range(n_states) if y < tops[k]), n_states)
            out[height_px - 1 - y, j] = lut[k]
    return out
