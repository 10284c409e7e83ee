"""Cancellation tokens and staged progress for jobs (L3, no Qt; any thread).

A job is a pure function ``fn(inputs, *, cancel: CancelToken, progress: Progress)``
(STYLE.md §4.4). It checks :meth:`CancelToken.raise_if_set` in its outer loops
and reports named stages through :class:`Progress`; the GUI bridge forwards the
callbacks to the GUI thread (callbacks run on the job's thread, so they must be
cheap and must not touch Qt directly).

Invariants
----------
* Progress is monotonic: the overall fraction never decreases, whatever the job
  reports (a late or smaller fraction is clamped), and stages only move forward.
* Callbacks are called outside the lock, in the order of the updates that
  produced them (one ``Progress`` is driven by one job thread). An exception in
  a callback propagates into the job: it is a bug, and jobs never swallow errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["CancelToken", "JobCancelled", "Progress", "ProgressUpdate"]


class JobCancelled(Exception):  # noqa: N818 - reads as an event, like concurrent.futures' CancelledError
    """Raised inside a job by :meth:`CancelToken.raise_if_set` once cancellation was requested."""


class CancelToken:
    """A thread-safe, one-way cancellation flag (Tracy's ``m_shutdown``).

    Any thread may :meth:`cancel`; the job polls :meth:`raise_if_set`.
    """

    __slots__ = ("_event", "_reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        """Request cancellation (idempotent; the first reason wins)."""
        if not self._event.is_set():
            self._reason = reason
            self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def reason(self) -> str:
        return self._reason

    def raise_if_set(self) -> None:
        """Raise :class:`JobCancelled` if cancellation was requested."""
        if self._event.is_set():
            raise JobCancelled(self._reason)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds passed; True if cancelled."""
        return self._event.wait(timeout)


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """One progress report.

    stage : name of the current stage
    stage_index : its position in ``Progress.stages``
    fraction : progress within the stage, 0..1
    overall : progress of the whole job, 0..1 (stages weighted as given), monotonic
    """

    stage: str
    stage_index: int
    fraction: float
    overall: float


class Progress:
    """Staged progress: named stages with weights, a fraction per stage, callbacks.

    ``Progress(["index", "timeline"], weights=[1, 9])``; the job calls
    :meth:`stage` to enter a stage (stages may be skipped, never revisited) and
    :meth:`update` with the fraction done within it. Thread-safe; callbacks
    (``subscribe``) receive a :class:`ProgressUpdate` on the reporting thread.
    ``min_step`` throttles callbacks: an update is published only when the overall
    fraction moved by at least that much, or the stage changed, or it is 1.0.
    """

    def __init__(
        self,
        stages: Sequence[str] = ("work",),
        *,
        weights: Sequence[float] | None = None,
        min_step: float = 0.0,
    ) -> None:
        if not stages:
            raise ValueError("Progress needs at least one stage")
        if len(set(stages)) != len(stages):
            raise ValueError(f"duplicate stage names: {list(stages)}")
        w = [1.0] * len(stages) if weights is None else [float(x) for x in weights]
        if len(w) != len(stages) or any(x < 0 for x in w) or sum(w) <= 0:
            raise ValueError("weights must be one non-negative number per stage, not all zero")
        total = sum(w)
        self.stages: tuple[str, ...] = tuple(stages)
        self._base = [sum(w[:i]) / total for i in range(len(w))]
        self._span = [x / total for x in w]
        self._min_step = min_step
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[ProgressUpdate], None]] = []
        self._index = 0
        self._fraction = 0.0
        self._overall = 0.0
        self._published = -1.0

    def subscribe(self, callback: Callable[[ProgressUpdate], None]) -> None:
        """Call ``callback(update)`` on every published update (on the reporting thread)."""
        with self._lock:
            self._callbacks.append(callback)

    @property
    def current(self) -> ProgressUpdate:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> ProgressUpdate:
        return ProgressUpdate(self.stages[self._index], self._index, self._fraction, self._overall)

    def stage(self, name: str, fraction: float = 0.0) -> None:
        """Enter stage ``name`` (forward only; re-entering the current stage is a no-op)."""
        try:
            i = self.stages.index(name)
        except ValueError:
            raise ValueError(f"unknown stage {name!r}; stages are {list(self.stages)}") from None
        with self._lock:
            if i < self._index:
                raise ValueError(
                    f"stage {name!r} is behind the current {self.stages[self._index]!r}"
                )
            changed = i != self._index
            if changed:
                self._index = i
                self._fraction = 0.0
            upd = self._set(fraction, force=changed)
        self._publish(upd)

    def update(self, fraction: float) -> None:
        """Report ``fraction`` (0..1) of the current stage done (clamped, never decreasing)."""
        with self._lock:
            upd = self._set(fraction, force=False)
        self._publish(upd)

    def finish(self) -> None:
        """Mark the whole job done (overall 1.0)."""
        with self._lock:
            self._index = len(self.stages) - 1
            upd = self._set(1.0, force=True)
        self._publish(upd)

    def _set(self, fraction: float, *, force: bool) -> tuple[ProgressUpdate, list] | None:
        f = min(1.0, max(0.0, float(fraction)))
        self._fraction = max(self._fraction, f)
        overall = self._base[self._index] + self._span[self._index] * self._fraction
        self._overall = min(1.0, max(self._overall, overall))
        if not force and self._overall < 1.0 and self._overall - self._published < self._min_step:
            return None
        if self._overall == self._published and not force:
            return None
        self._published = self._overall
        return self._snapshot(), list(self._callbacks)

    @staticmethod
    def _publish(upd: tuple[ProgressUpdate, list] | None) -> None:
        if upd is None:
            return
        snap, callbacks = upd
        for cb in callbacks:
            cb(snap)
