"""L2: pure analyses over the model (goroutine summaries, blocking profiles, MMU).

Public:

* :func:`summary` — ``tracecount -summary`` of a trace (Go's ``Summarizer`` and MMU);
* :func:`analyze` — one streaming pass returning an :class:`Analysis` (goroutines, tasks,
  utilization series, digests, optional profiles);
* :func:`group_distributions`, :func:`task_stats`, :func:`region_stats`, :func:`mmu` —
  distributions, histograms and worst windows beyond what ``go tool trace`` shows;
* :mod:`goroscope.analysis.profiles` — blocking (net/sync/syscall/sched) and CPU profiles,
  filtered like go tool trace's web handlers, and flame-graph data;
* :func:`goroscope.analysis.edges.unblock_edges` — every transition to Runnable (who, when, stack).

Importing this package imports numpy only; numba loads on the first fast-path call.
"""

from __future__ import annotations

from goroscope.analysis.summary import (
    Analysis,
    analyze,
    group_distributions,
    mmu,
    region_stats,
    summary,
    task_stats,
)

__all__ = [
    "Analysis",
    "analyze",
    "group_distributions",
    "mmu",
    "region_stats",
    "summary",
    "task_stats",
]
