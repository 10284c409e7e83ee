"""Colouring merged runs by their content (any thread; pure).

A merged run (``lod.merge``) stands for many spans of possibly different states.
Drawing it in a fixed "merged" colour (gotraceui's default) hides *what* is
there; we colour it by its **dominant state**: the per-run histogram of state
durations (each span's duration clipped to the run's drawn extent) and its
argmax. A run whose spans are all zero-length falls back to the most frequent
state. Ties go to the lowest state code, so colours are deterministic.

``state_time_per_bin`` is the per-bin (per-pixel) variant for aggregate rows of
collapsed groups: ns in each state per time bin, summed over the group's rows.

``run_coverage`` is the fraction of each run's drawn extent that spans actually
cover (absorbed gaps excluded): a merged run of tiny stop-the-world spans that
fill 1 % of it must not be drawn as a solid bar, so the painter scales a merged
run's height by it.

``run_state_durations`` also gives tooltips their breakdown ("37 spans merged:
61 % running, 30 % runnable, …"). The alternative of STYLE §4.5.5 — a stacked
strip per pixel drawn as a LUT-coloured ``QImage`` — is left for aggregate
rows. Kernels are ``@njit(nogil=True, cache=True)`` with twins in
``_reference.py``. Layer: ``goroscope.lod``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(nogil=True, cache=True)
def _durations_kernel(start_ns, end_ns, state, run_start, run_end, run_first, run_count, out):
    m = run_first.shape[0]
    n_states = out.shape[1]
    for r in range(m):
        a = run_start[r]
        b = run_end[r]
        for j in range(run_first[r], run_first[r] + run_count[r]):
            st = state[j]
            if st < 0 or st >= n_states:
                continue
            s = start_ns[j]
            if s < a:
                s = a
            e = end_ns[j]
            if e > b:
                e = b
            if e > s:
                out[r, st] += e - s


@njit(nogil=True, cache=True)
def _cover_kernel(start_ns, end_ns, run_start, run_end, run_first, run_count, out):
    for r in range(run_first.shape[0]):
        a = run_start[r]
        b = run_end[r]
        if b <= a:
            out[r] = 1.0
            continue
        tot = 0
        # the neighbours too: rule 4 of lod.merge widens a run into the next span
        j0 = run_first[r] - 1
        if j0 < 0:
            j0 = 0
        j1 = run_first[r] + run_count[r] + 1
        if j1 > start_ns.shape[0]:
            j1 = start_ns.shape[0]
        for j in range(j0, j1):
            s = start_ns[j]
            if s < a:
                s = a
            e = end_ns[j]
            if e > b:
                e = b
            if e > s:
                tot += e - s
        out[r] = tot / (b - a)


def run_coverage(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    run_start: NDArray[np.int64],
    run_end: NDArray[np.int64],
    run_first: NDArray[np.int64],
    run_count: NDArray[np.int64],
) -> NDArray[np.float64]:
    """(m,) float64 in [0, 1]: the fraction of each run's extent covered by its spans.

    Every span overlapping the run's ``[run_start, run_end)`` counts, clipped to
    it — the run's own and its neighbours, since ``lod.merge`` widens a tiny run
    into the start of the next span (rule 4), which is covered time all the same;
    absorbed gaps count as uncovered. An empty extent (a zero-length run) counts as fully covered.
    Parameters as :func:`run_state_durations`.
    """
    out = np.empty(len(run_first), np.float64)
    _cover_kernel(
        np.asarray(start_ns, np.int64),
        np.asarray(end_ns, np.int64),
        np.asarray(run_start, np.int64),
        np.asarray(run_end, np.int64),
        np.asarray(run_first, np.int64),
        np.asarray(run_count, np.int64),
        out,
    )
    return out


@njit(nogil=True, cache=True)
def _dominant_kernel(
    start_ns, end_ns, state, run_start, run_end, run_first, run_count, n_states, out
):
    hist = np.zeros(n_states, np.int64)
    for r in range(run_first.shape[0]):
        f = run_first[r]
        c = run_count[r]
        if c == 1:
            out[r] = state[f]
            continue
        hist[:] = 0
        a = run_start[r]
        b = run_end[r]
        total = 0
        for j in range(f, f + c):
            st = state[j]
            if st < 0 or st >= n_states:
                continue
            s = start_ns[j]
            if s < a:
                s = a
            e = end_ns[j]
            if e > b:
                e = b
            if e > s:
                hist[st] += e - s
                total += e - s
        if total == 0:
            for j in range(f, f + c):
                st = state[j]
                if st >= 0 and st < n_states:
                    hist[st] += 1
                    total += 1
        if total == 0:
            out[r] = state[f] if c > 0 else 0
            continue
        best = 0
        for k in range(1, n_states):
            if hist[k] > hist[best]:
                best = k
        out[r] = best


def run_state_durations(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    state: NDArray[np.integer],
    run_start: NDArray[np.int64],
    run_end: NDArray[np.int64],
    run_first: NDArray[np.int64],
    run_count: NDArray[np.int64],
    n_states: int,
) -> NDArray[np.int64]:
    """Per-run time in each state.

    Parameters
    ----------
    start_ns, end_ns : (n,) int64
        The row's spans, ns since trace start.
    state : (n,) integer
        State code of each span, ``0 <= state < n_states`` (others are ignored).
    run_start, run_end, run_first, run_count : (m,) int64
        Runs as returned by ``lod.merge.merge_spans``.
    n_states : int
        Number of state codes.

    Returns
    -------
    (m, n_states) int64
        ns of each state inside each run's drawn extent.
    """
    out = np.zeros((len(run_first), int(n_states)), np.int64)
    _durations_kernel(
        np.asarray(start_ns, np.int64),
        np.asarray(end_ns, np.int64),
        np.asarray(state),
        np.asarray(run_start, np.int64),
        np.asarray(run_end, np.int64),
        np.asarray(run_first, np.int64),
        np.asarray(run_count, np.int64),
        out,
    )
    return out


def dominant_state(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    state: NDArray[np.integer],
    run_start: NDArray[np.int64],
    run_end: NDArray[np.int64],
    run_first: NDArray[np.int64],
    run_count: NDArray[np.int64],
    n_states: int,
) -> NDArray[np.int64]:
    """(m,) int64: each run's state with the most time (parameters as :func:`run_state_durations`)."""
    out = np.empty(len(run_first), np.int64)
    _dominant_kernel(
        np.asarray(start_ns, np.int64),
        np.asarray(end_ns, np.int64),
        np.asarray(state),
        np.asarray(run_start, np.int64),
        np.asarray(run_end, np.int64),
        np.asarray(run_first, np.int64),
        np.asarray(run_count, np.int64),
        int(n_states),
        out,
    )
    return out


@njit(nogil=True, cache=True)
def _state_time_kernel(start_ns, end_ns, state, lo, hi, t0_ns, bin_ns, acc, diff):
    n_bins = acc.shape[0]
    n_states = acc.shape[1]
    t_end = t0_ns + n_bins * bin_ns
    for j in range(lo, hi):
        st = state[j]
        if st < 0 or st >= n_states:
            continue
        a = start_ns[j]
        b = end_ns[j]
        if a < t0_ns:
            a = t0_ns
        if b > t_end:
            b = t_end
        if b <= a:
            continue
        ja = (a - t0_ns) // bin_ns
        jb = (b - t0_ns) // bin_ns
        if ja == jb:
            acc[ja, st] += b - a
            continue
        acc[ja, st] += t0_ns + (ja + 1) * bin_ns - a
        if jb < n_bins:
            acc[jb, st] += b - (t0_ns + jb * bin_ns)
        if ja + 1 < jb:
            diff[ja + 1, st] += 1
            if jb < n_bins:
                diff[jb, st] -= 1


class StateTimeAccumulator:
    """Adds rows of spans into per-bin state times; :meth:`result` finishes the sums.

    Bins are ``[t0_ns + i*bin_ns, t0_ns + (i+1)*bin_ns)``, ``i < n_bins``. Each
    :meth:`add` is O(spans in the bins' range); full bins covered by a span go
    into a difference array that :meth:`result` integrates once, so a group of
    thousands of rows costs one prefix sum, not one per row. Not thread-safe;
    use one per job.
    """

    def __init__(self, t0_ns: int, bin_ns: int, n_bins: int, n_states: int) -> None:
        if bin_ns <= 0 or n_bins < 0:
            raise ValueError(f"bad bins: bin_ns={bin_ns}, n_bins={n_bins}")
        self.t0_ns, self.bin_ns = int(t0_ns), int(bin_ns)
        self._acc = np.zeros((int(n_bins), int(n_states)), np.int64)
        self._diff = np.zeros_like(self._acc)

    def add(
        self,
        start_ns: NDArray[np.int64],
        end_ns: NDArray[np.int64],
        state: NDArray[np.integer],
        *,
        sorted_row: bool = True,
    ) -> None:
        """Add spans (one sorted row, windowed by binary search; else scanned whole)."""
        start_ns = np.asarray(start_ns, np.int64)
        end_ns = np.asarray(end_ns, np.int64)
        lo, hi = 0, len(start_ns)
        if sorted_row:
            t_end = self.t0_ns + len(self._acc) * self.bin_ns
            lo = int(np.searchsorted(end_ns, self.t0_ns, "right"))
            hi = int(np.searchsorted(start_ns, t_end, "left"))
        _state_time_kernel(
            start_ns,
            end_ns,
            np.asarray(state),
            lo,
            max(lo, hi),
            self.t0_ns,
            self.bin_ns,
            self._acc,
            self._diff,
        )

    def result(self) -> NDArray[np.int64]:
        """(n_bins, n_states) int64: ns per state per bin."""
        return self._acc + np.cumsum(self._diff, axis=0) * self.bin_ns


def state_time_per_bin(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    state: NDArray[np.integer],
    t0_ns: int,
    bin_ns: int,
    n_bins: int,
    n_states: int,
    *,
    sorted_row: bool = True,
) -> NDArray[np.int64]:
    """Time spent in each state per time bin: the data of an aggregate ("how many are blocked") row.

    Bins are ``[t0_ns + i*bin_ns, t0_ns + (i+1)*bin_ns)`` for ``i < n_bins``
    (a pixel column each, or a resolution bucket). Exact integer arithmetic: a
    span's time is split over the bins it covers; full bins go through a
    difference array, so the cost is O(spans + bins), not O(spans × bins).
    Dividing by ``bin_ns`` gives the mean number of rows in each state. For
    many rows use :class:`StateTimeAccumulator`.

    Parameters
    ----------
    start_ns, end_ns : (n,) int64
        Spans, ns since trace start.
    state : (n,) integer
        State codes, ``< n_states`` (others ignored).
    sorted_row : bool
        The spans are one sorted, non-overlapping row: window them by binary
        search. ``False`` scans them all (e.g. many rows concatenated).

    Returns
    -------
    (n_bins, n_states) int64
        ns per state per bin.
    """
    acc = StateTimeAccumulator(t0_ns, bin_ns, n_bins, n_states)
    acc.add(start_ns, end_ns, state, sorted_row=sorted_row)
    return acc.result()


@njit(nogil=True, cache=True)
def _stack_kernel(times, scale, height_px, lut, out):
    n_bins, n_states = times.shape
    for j in range(n_bins):
        y = 0  # pixel rows filled from the bottom
        acc = 0.0
        for k in range(n_states):
            acc += times[j, k]
            top = int(acc / scale * height_px + 0.5)
            if top > height_px:
                top = height_px
            while y < top:
                out[height_px - 1 - y, j] = lut[k]
                y += 1
        while y < height_px:
            out[height_px - 1 - y, j] = lut[n_states]
            y += 1


def stacked_strip(
    times: NDArray[np.int64], scale: float, height_px: int, lut: NDArray[np.uint32]
) -> NDArray[np.uint32]:
    """Pixels of a stacked per-bin strip (an aggregate row's image; no Qt).

    Parameters
    ----------
    times : (n_bins, n_states) int64
        Per-bin state times (:class:`StateTimeAccumulator`).
    scale : float
        The per-bin total that fills the full height (> 0).
    height_px : int
        Strip height in pixels.
    lut : (n_states + 1,) uint32
        ARGB per state; the last entry is the background.

    Returns
    -------
    (height_px, n_bins) uint32
        Row 0 is the top; states stack from the bottom in code order, each
        band's top rounded to the nearest pixel of the cumulative height.
    """
    times = np.ascontiguousarray(times, np.int64)
    out = np.empty((int(height_px), times.shape[0]), np.uint32)
    _stack_kernel(times, float(scale), int(height_px), np.asarray(lut, np.uint32), out)
    return out
