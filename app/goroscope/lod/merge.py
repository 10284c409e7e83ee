"""Merging sub-pixel spans into runs: the level-of-detail kernel (any thread; pure).

What
----
``merge_spans(start_ns, end_ns, lo, hi, min_ns)`` turns the spans of one row
that a view window touches (indices ``lo..hi-1``) into *runs*: a span at least
``min_ns`` wide is its own run; a narrower span starts a run that absorbs the
following tiny spans and tiny gaps until a span or a gap reaches ``min_ns``
(gotraceui's ``renderedSpansIterator.next``, Tracy's ``PreprocessZoneLevel``;
STYLE §4.5.4). The caller picks ``min_ns`` as 2 px (``Viewport.merge_min_ns``),
so the number of runs is bounded by pixels, not by spans.

The rules, exactly
------------------
Spans are half-open ``[start, end)``, ``start <= end``, sorted and
non-overlapping (``end[i] <= start[i+1]``), as state spans of one goroutine,
processor or thread are. A run is ``[first, first+count)`` of input spans drawn
as ``[run_start, run_end)``:

1. A span whose (possibly trimmed, rule 4) width is ``>= min_ns`` is a run of one.
2. Otherwise it opens a run. The run keeps its actual content end ``run_end``
   and its *effective* end ``eff = max(run_end, run_start + min_ns)``: what it
   will occupy if it has to be widened to the minimum.
3. The run looks at the next span ``j``: if the gap ``start[j] - run_end`` is
   ``>= min_ns`` the run stops at ``run_end`` (a real gap stays a gap; the run
   may stay narrower than ``min_ns`` and is then drawn at the painter's 1 px).
4. Else, if the part of span ``j`` beyond ``eff`` is ``>= min_ns`` the run stops
   at ``eff`` — widened to exactly the minimum, taking at most ``min_ns`` from
   the tiny gap and the start of span ``j`` — and span ``j``'s run starts at
   ``max(start[j], eff)`` (gotraceui's ``prevEnd`` shift).
5. Else span ``j`` is absorbed (``run_end = end[j]``) and the run goes on. It
   never stops merely because it has reached ``min_ns``: gotraceui's note — two
   merged runs side by side look bad, tiny spans toggle between them, and merged
   spans reappear when zooming out.

So every run is ``>= min_ns`` wide or followed by a gap ``>= min_ns`` (or is the
row's last run), at most ``window / min_ns + 2`` runs fall in a window, and the
runs' union equals the spans' union except for absorbed gaps ``< min_ns``.

Panning never moves a run boundary
----------------------------------
Run boundaries are those of one left-to-right scan over the *whole* row; the
window only selects which runs are returned. The kernel does not scan from
index 0: it walks left from ``lo`` to a *sync point* ``k`` where the whole-row
scan must start a fresh run with no trim — ``k == 0``, or a gap ``>= min_ns``
before ``k`` (rule 3 ends any run there), or a span ``k-1`` at least
``2 * min_ns`` wide (rule 4 can trim at most ``min_ns`` from it, so it stays a
run of one ending at ``end[k-1]``). This is gotraceui's "merge tiny spans to the
left" step made exact. The last run likewise continues past ``hi`` to its
natural end. Runs are therefore identical for every window that contains them,
which is what makes the buffered-bounds cache (``lod.viewport``) and flicker-free
panning work; ``_reference.merge_spans`` checks it by scanning from index 0.

What we deliberately don't do
-----------------------------
* Widen tiny runs that are followed by a real gap (rule 3): the painter draws
  any rect at least 1 px wide instead, so unions stay exact up to small gaps.
* Give the "goroutine exited" span special treatment (gotraceui keeps it out of
  merges): exits are drawn as event markers, not spans.
* Cost: the left walk and the run absorption are O(spans touched), which is the
  number of spans under the window plus the tiny spans left of it up to the
  sync point. OPT: a per-row mipmap (Perfetto's slice mipmap) if profiling
  ever shows whole-trace overviews of dense rows to dominate (STYLE §4.5.10).

Layer: ``goroscope.lod`` (numpy/numba only, imports nothing else from goroscope).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(nogil=True, cache=True)
def _sync_index(start_ns, end_ns, lo, min_ns):  # pragma: no cover - numba
    k = lo
    while k > 0:
        if start_ns[k] - end_ns[k - 1] >= min_ns:
            break
        if end_ns[k - 1] - start_ns[k - 1] >= 2 * min_ns:
            break
        k -= 1
    return k


@njit(nogil=True, cache=True)
def merge_kernel(start_ns, end_ns, lo, hi, min_ns, out_start, out_end, out_count, out_first):
    """Write the runs touching ``[lo, hi)`` into the ``out_*`` arrays; return how many.

    ``out_*`` must hold at least ``hi - lo + 1`` rows (each run holds ≥ 1 span
    of ``[lo, hi)``, except one run left of ``lo`` that took the start of span
    ``lo`` by rule 4). Job or GUI thread; releases the GIL.
    """
    n = start_ns.shape[0]
    if lo >= hi:
        return 0
    i = _sync_index(start_ns, end_ns, lo, min_ns)
    prev_end = start_ns[i]
    m = 0
    while i < n and i < hi:
        first = i
        s = start_ns[i]
        if prev_end > s:
            s = prev_end
        e = end_ns[i]
        if e < s:
            e = s
        i += 1
        if e - s < min_ns:
            run_end = e
            eff = s + min_ns
            if run_end > eff:
                eff = run_end
            while i < n:
                if start_ns[i] - run_end >= min_ns:
                    break
                cs = start_ns[i]
                if eff > cs:
                    cs = eff
                if end_ns[i] - cs >= min_ns:
                    run_end = eff
                    break
                run_end = end_ns[i]
                if run_end > eff:
                    eff = run_end
                i += 1
            e = run_end
        prev_end = e
        # A run ending left of span lo is kept when it took the start of span lo (rule 4).
        if i - 1 >= lo or e > start_ns[lo]:
            out_start[m] = s
            out_end[m] = e
            out_count[m] = i - first
            out_first[m] = first
            m += 1
    return m


def merge_spans(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    lo: int,
    hi: int,
    min_ns: int,
    t0_ns: float | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Merge the spans of one row that a window touches into runs (see module doc).

    Parameters
    ----------
    start_ns, end_ns : (n,) int64
        ns since trace start; sorted, non-overlapping, ``start_ns <= end_ns``.
    lo, hi : int
        The window: usually ``searchsorted(end_ns, t0, 'right')`` and
        ``searchsorted(start_ns, t1)``. Runs holding any of ``lo..hi-1`` are
        returned whole (the first may begin before ``lo``, the last end past ``hi``),
        and so is the run before them if it took the start of span ``lo`` (rule 4).
    min_ns : int
        Minimum width, ns (2 px); ``<= 0`` disables merging.
    t0_ns : float, optional
        The window's left edge. When given, a leading run that ends at or before
        it (the rule-4 run left of span ``lo``, invisible in the window) is
        dropped, so the result is bounded by ``(t1 - t0) / min_ns + 2`` runs.
        Dropping it changes no other run: boundaries never depend on the window.

    Returns
    -------
    start, end : (m,) int64
        Each run's drawn extent, ns; ascending, non-overlapping.
    count : (m,) int64
        Spans in each run (1 for an unmerged span).
    first_idx : (m,) int64
        Index of each run's first span in ``start_ns``.
    """
    n = len(start_ns)
    lo = max(0, int(lo))
    hi = min(n, int(hi))
    size = max(hi - lo + 1, 0)
    out_start = np.empty(size, np.int64)
    out_end = np.empty(size, np.int64)
    out_count = np.empty(size, np.int64)
    out_first = np.empty(size, np.int64)
    m = merge_kernel(
        np.asarray(start_ns, np.int64),
        np.asarray(end_ns, np.int64),
        lo,
        hi,
        int(min_ns),
        out_start,
        out_end,
        out_count,
        out_first,
    )
    k = 0
    if t0_ns is not None:
        while k < m and out_end[k] <= t0_ns:
            k += 1
    return out_start[k:m], out_end[k:m], out_count[k:m], out_first[k:m]


def window(start_ns: NDArray[np.int64], end_ns: NDArray[np.int64], t0_ns: float, t1_ns: float):
    """``(lo, hi)``: the spans overlapping ``(t0_ns, t1_ns)`` by binary search (Tracy's lower_bound)."""
    lo = int(np.searchsorted(end_ns, t0_ns, "right"))
    hi = int(np.searchsorted(start_ns, t1_ns, "left"))
    return lo, max(lo, hi)
