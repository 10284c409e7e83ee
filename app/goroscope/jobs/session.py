"""TraceSession: open → index → timeline model → analyses, with staged readiness (L3, no Qt).

A session owns one trace's loading pipeline. Each step is a *job*, a pure
function ``fn(inputs, *, cancel, progress) -> result`` over immutable inputs
(:func:`index_job`, :func:`timeline_job`, :func:`analyses_job`), run on the
session's executor and chained from the previous job's done-callback. The
session reports through plain callbacks (the GUI's ``JobBridge`` turns them
into queued Qt signals; STYLE.md §4.4):

``on_stage(stage)``
    :class:`Stage` values in order: INDEXED (the TraceIndex is known: generations,
    time span) → TIMELINE_READY (the first generations are modelled: the timeline
    can draw) → STACKS_READY (the model is complete; stacks and details re-decode
    from the mmap on demand) → ANALYSES_READY (every analysis returned).
``on_timeline(timeline)``
    every new :class:`~goroscope.model.timeline.Timeline` snapshot (progressive:
    after each chunk that completed a generation, then the complete one).
``on_progress(update)``
    :class:`~goroscope.jobs.cancel.ProgressUpdate` (stage name, fraction, overall).
``on_error(exc)``
    the job's exception (never swallowed: also on ``session.error`` and on the
    failed job's future); :class:`~goroscope.jobs.cancel.JobCancelled` after
    :meth:`TraceSession.cancel`.

Callbacks run on a job thread, or on the thread that submitted the job when it was
already done by then (``Future.add_done_callback``; always the caller's with
``ImmediateExecutor``): keep them cheap and thread-safe (a Qt bridge emits signals).
Stages only move forward; a failed or cancelled session stops where it was.
"""

from __future__ import annotations

import concurrent.futures as cf
import enum
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from goroscope.jobs.cancel import CancelToken, JobCancelled, Progress, ProgressUpdate
from goroscope.jobs.executor import Executor

__all__ = [
    "STAGES",
    "AnalysisFn",
    "Stage",
    "TraceSession",
    "analyses_job",
    "index_job",
    "timeline_job",
]


class Stage(enum.IntEnum):
    """Readiness of a session's data (Tracy's ``…Ready`` flags)."""

    NONE = 0
    INDEXED = 1
    TIMELINE_READY = 2
    STACKS_READY = 3
    ANALYSES_READY = 4


#: progress stage names and weights (the model build dominates)
STAGES = ("index", "timeline", "analyses")
_WEIGHTS = (1, 18, 1)

#: an analysis: a pure function of the complete timeline (job thread)
AnalysisFn = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class IndexResult:
    """What :func:`index_job` learns: the open file, its TraceIndex and time span.

    ``tracefile`` (a read-only :class:`goroscope.format.TraceFile`) stays open for the
    session: later jobs read it and details re-decode from it; ``TraceSession.close``
    closes it.
    """

    path: str
    size: int
    index: Any  # goroscope.format.TraceIndex
    duration_hint_ns: int
    tracefile: Any  # goroscope.format.TraceFile


def index_job(path: str, *, cancel: CancelToken, progress: Progress) -> IndexResult:
    """Scan the batch headers of the trace at ``path`` (job thread; pure).

    Raises the format's ``TraceFormatError`` for an unreadable header.
    """
    from goroscope.format import TraceFile, index_trace

    progress.stage("index")
    cancel.raise_if_set()
    tf = TraceFile(path, allow_v1=True)  # old formats too (issue 7)
    try:
        idx = index_trace(tf)
    except BaseException:
        tf.close()
        raise
    size = tf.size
    gens = idx.generations
    hint = 0
    if len(gens):
        hint = max(0, int(gens.last_ns.max()) - int(gens.first_ns.min()))
    progress.update(1.0)
    return IndexResult(os.fspath(path), size, idx, hint, tf)


def _state_bin_ns(duration_hint_ns: int) -> int:
    """Bin width for goroutines-per-state counters: about duration / 2**16 (≤ 64 Ki bins,
    ≤ 3.6 MB), at least 1 µs; exact counts for a window come from ``Timeline.state_counts``."""
    return max(1 << 10, duration_hint_ns >> 16)


def timeline_job(
    inputs: IndexResult,
    *,
    cancel: CancelToken,
    progress: Progress,
    on_snapshot: Callable[[Any], None] | None = None,
    chunk_events: int = 1 << 18,
    prefetch: int = 2,
):
    """Build the Timeline from the event stream, generation by generation (job thread).

    Memory: the file is mapped (pages are shared and reclaimable), finished
    generations' decoded columns are released by the event reader, and the model
    grows by its compact spans only. ``on_snapshot`` receives progressive snapshots.
    Returns ``(timeline, error)``: the reader's TraceFormatError for a damaged trace
    (everything before it is modelled), else None.
    """
    from goroscope.model import TraceChunks
    from goroscope.model.spans import build_timeline, release_read_ahead

    progress.stage("timeline")
    # the reader reports the fraction of bytes consumed, once per generation; stacks are
    # resolved once each (start functions), from the file: no frames held (1 M distinct
    # stacks kept ~1.7 GB of frames to the end of the build)
    chunks = TraceChunks(
        inputs.tracefile,
        chunk_events=chunk_events,
        keep_columns=False,
        progress=progress.update,
        lazy_stacks=True,
    )
    tl = build_timeline(
        release_read_ahead(chunks, inputs.tracefile, inputs.index),
        cancel=cancel,
        on_snapshot=on_snapshot,
        state_bin_ns=_state_bin_ns(inputs.duration_hint_ns),
        prefetch=prefetch,
    )
    return tl, chunks.error


def analyses_job(
    timeline: Any,
    analyses: Mapping[str, AnalysisFn],
    *,
    cancel: CancelToken,
    progress: Progress,
) -> dict[str, Any]:
    """Run each analysis ``fn(timeline, cancel=..., progress=...)`` in turn (job thread)."""
    progress.stage("analyses")
    out: dict[str, Any] = {}
    n = max(1, len(analyses))
    for i, (name, fn) in enumerate(analyses.items()):
        cancel.raise_if_set()
        out[name] = fn(timeline, cancel=cancel, progress=progress)
        progress.update((i + 1) / n)
    return out


@dataclass(eq=False)
class TraceSession:
    """One trace being opened and explored (any thread; callbacks on job threads).

    ``TraceSession(path, executor, on_stage=..., ...)``, then :meth:`start`.
    Attributes are updated before the matching callback is called.
    """

    path: str | os.PathLike[str]
    executor: Executor
    on_stage: Callable[[Stage], None] | None = None
    on_timeline: Callable[[Any], None] | None = None
    on_progress: Callable[[ProgressUpdate], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    analyses: Mapping[str, AnalysisFn] = field(default_factory=dict)
    chunk_events: int = 1 << 18

    def __post_init__(self) -> None:
        self.cancel_token = CancelToken()
        self.progress = Progress(STAGES, weights=_WEIGHTS, min_step=0.005)
        if self.on_progress is not None:
            self.progress.subscribe(self.on_progress)
        self.stage = Stage.NONE
        self.index: IndexResult | None = None
        self.timeline: Any = None
        self.read_error: BaseException | None = None  # damage found in the trace (not fatal)
        self.results: dict[str, Any] = {}
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._futures: list[cf.Future] = []
        self._done = threading.Event()
        self._details = None
        self._closing = False

    # -- control --------------------------------------------------------------------------

    def start(self) -> cf.Future:
        """Submit the first job; returns its future. Call once."""
        if self._futures:
            raise RuntimeError("TraceSession.start() called twice")
        return self._submit(index_job, os.fspath(self.path), self._after_index)

    def cancel(self) -> None:
        """Ask the running job to stop (it raises JobCancelled at its next check)."""
        self.cancel_token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the session finished, failed or was cancelled; True if it did."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def details(self):
        """A :class:`goroscope.model.spans.DetailResolver` over the complete timeline
        (stacks, wire rows, unblockers on demand); None before STACKS_READY and after
        :meth:`close`."""
        if self.stage < Stage.STACKS_READY or self.index is None:
            return None
        with self._lock:
            if self._closing:  # close() was called: the file is (about to be) unmapped
                return None
            if self._details is None:
                from goroscope.model.spans import DetailResolver

                self._details = DetailResolver(
                    self.index.tracefile, self.index.index, self.timeline
                )
            return self._details

    def close(self) -> None:
        """Cancel what runs and close the file once the running job stopped (safe to
        call twice; any thread; never blocks)."""
        self.cancel()
        with self._lock:
            self._closing = True
            self._details = None
        if self.done:
            self._close_file()

    def _close_file(self) -> None:
        idx = self.index
        if idx is not None:
            idx.tracefile.close()

    # -- plumbing -------------------------------------------------------------------------

    def _submit(self, fn, inputs, then, **kwargs) -> cf.Future:
        fut = self.executor.submit(
            fn, inputs, cancel=self.cancel_token, progress=self.progress, **kwargs
        )
        with self._lock:
            self._futures.append(fut)
        fut.add_done_callback(lambda f: self._finished(f, then))
        return fut

    def _finished(self, fut: cf.Future, then) -> None:
        exc = fut.exception()
        if exc is not None:
            self._fail(exc)
            return
        try:
            then(fut.result())
        except BaseException as e:  # a callback or the next submit failed: report it
            self._fail(e)

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        try:
            if self.on_error is not None:
                self.on_error(exc)
        finally:
            self._set_done()

    def _set_done(self) -> None:
        self._done.set()
        with self._lock:
            closing = self._closing
        if closing:
            self._close_file()

    def _advance(self, stage: Stage) -> None:
        with self._lock:
            if stage <= self.stage:
                return
            self.stage = stage
        if self.on_stage is not None:
            self.on_stage(stage)

    def _after_index(self, result: IndexResult) -> None:
        self.index = result
        self._advance(Stage.INDEXED)
        self._submit(
            timeline_job,
            result,
            self._after_timeline,
            on_snapshot=self._snapshot,
            chunk_events=self.chunk_events,
        )

    def _snapshot(self, timeline: Any) -> None:
        self.timeline = timeline
        if self.on_timeline is not None:
            self.on_timeline(timeline)
        self._advance(Stage.TIMELINE_READY)

    def _after_timeline(self, result) -> None:
        timeline, read_error = result
        self.read_error = read_error
        self._snapshot(timeline)
        self._advance(Stage.STACKS_READY)
        self._submit(analyses_job, timeline, self._after_analyses, analyses=self.analyses)

    def _after_analyses(self, results: dict[str, Any]) -> None:
        self.results = results
        self.progress.finish()
        self._advance(Stage.ANALYSES_READY)
        self._set_done()


__all__ += ["IndexResult", "JobCancelled"]
