"""Background jobs → GUI-thread signals (JobBridge; create and use on the GUI thread).

``submit(key, fn, *args, **kwargs)`` runs ``fn`` on any
``concurrent.futures.Executor`` (a ``ThreadPoolExecutor``, the synchronous
``ImmediateExecutor`` of tests, ``goroscope.jobs``' executors) and returns a
*request id* that rises with every call. When the future is done its callback —
on the worker thread, or inline for an immediate executor — emits a private
signal; Qt queues it to the bridge's (GUI) thread (STYLE §3.6), where the
bridge checks it is still the newest request for its key and emits
``finished(request_id, result)`` or ``failed(request_id, error)``. Older
results for the same key are *dropped* (napari's slice id, Perfetto's
``retainOn``) and announced by ``dropped(request_id)``; all bookkeeping happens
on the GUI thread, so no locks. Delivery is always queued, so even with a
synchronous executor the signals come after ``submit`` has returned the id.

Jobs never touch Qt. Two keyword sentinels give them a way back:
``progress=JobBridge.PROGRESS`` is replaced by a callable ``(stage, fraction)``
that emits ``progress(request_id, stage, fraction)`` (dropped once stale), and
``cancel=JobBridge.CANCEL`` by a token (``is_set()``, ``raise_if_set()``) that is
set when a newer request for the same key arrives or on :meth:`cancel`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Executor, Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class JobCancelled(Exception):  # noqa: N818 - reads as an event, like CancelledError
    """Raised by :meth:`CancelFlag.raise_if_set` in a job that was superseded."""


class CancelFlag:
    """A thread-safe cancel flag handed to jobs (``goroscope.jobs`` may supply its own)."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def raise_if_set(self) -> None:
        if self._event.is_set():
            raise JobCancelled


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"JobBridge.{self.name}"


class JobBridge(QObject):
    """Submits jobs and delivers their outcome on the GUI thread; stale results dropped.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Where jobs run. The bridge does not own it (does not shut it down).
    cancel_factory : callable, optional
        Makes the token substituted for ``cancel=JobBridge.CANCEL``; it must have
        ``set()``. Defaults to :class:`CancelFlag`.
    """

    PROGRESS = _Sentinel("PROGRESS")
    CANCEL = _Sentinel("CANCEL")

    finished = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, str, float)
    dropped = Signal(int)

    _done = Signal(int, object)
    _progressed = Signal(int, str, float)

    def __init__(
        self,
        executor: Executor,
        parent: QObject | None = None,
        *,
        cancel_factory: Callable[[], Any] = CancelFlag,
    ) -> None:
        super().__init__(parent)
        self._executor = executor
        self._cancel_factory = cancel_factory
        self._ids = itertools.count(1)
        self._latest: dict[Hashable, int] = {}
        self._key_of: dict[int, Hashable] = {}
        self._cancel_of: dict[int, Any] = {}
        self._futures: dict[int, Future] = {}
        # Queued even when emitted on the GUI thread (an immediate executor, a future
        # already done): outcomes always arrive after submit() has returned the id.
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self._on_progressed, Qt.ConnectionType.QueuedConnection)

    # -- public API (GUI thread) ---------------------------------------------------
    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Run ``fn(*args, **kwargs)`` as the newest request for ``key``; return its id.

        A previous request for ``key`` still running becomes stale: its future is
        cancelled if not started, its cancel token set, its outcome dropped.
        """
        rid = next(self._ids)
        prev = self._latest.get(key)
        self._latest[key] = rid
        self._key_of[rid] = key
        if prev is not None:
            self._supersede(prev)
        for name, value in list(kwargs.items()):
            if value is JobBridge.PROGRESS:
                kwargs[name] = self._progress_callback(rid)
            elif value is JobBridge.CANCEL:
                token = self._cancel_factory()
                self._cancel_of[rid] = token
                kwargs[name] = token
        future = self._executor.submit(fn, *args, **kwargs)
        self._futures[rid] = future
        future.add_done_callback(lambda f, rid=rid: self._emit_done(rid, f))
        return rid

    def is_current(self, request_id: int) -> bool:
        """Whether ``request_id`` is the newest request of its key and not yet delivered."""
        key = self._key_of.get(request_id)
        return key is not None and self._latest.get(key) == request_id

    def key_of(self, request_id: int) -> Hashable | None:
        """The key of a request not yet delivered or dropped."""
        return self._key_of.get(request_id)

    def cancel(self, key: Hashable) -> None:
        """Make the current request for ``key`` stale (its outcome will be dropped)."""
        rid = self._latest.pop(key, None)
        if rid is not None:
            self._supersede(rid)

    def pending(self) -> int:
        """Requests whose outcome has not arrived on the GUI thread yet."""
        return len(self._futures)

    # -- internals -----------------------------------------------------------------
    def _supersede(self, rid: int) -> None:
        token = self._cancel_of.get(rid)
        if token is not None:
            token.set()
        fut = self._futures.get(rid)
        if fut is not None:
            fut.cancel()

    def _progress_callback(self, rid: int) -> Callable[[str, float], None]:
        def report(stage: str, fraction: float) -> None:  # any thread
            self._progressed.emit(rid, str(stage), float(fraction))

        return report

    def _emit_done(self, rid: int, future: Future) -> None:  # worker thread (or inline)
        self._done.emit(rid, future)

    @Slot(int, object)
    def _on_done(self, rid: int, future: Future) -> None:
        self._futures.pop(rid, None)
        self._cancel_of.pop(rid, None)
        key = self._key_of.pop(rid, None)
        if key is None or self._latest.get(key) != rid:
            self.dropped.emit(rid)
            return
        del self._latest[key]
        try:
            result = future.result()
        except CancelledError as exc:
            self.failed.emit(rid, exc)
        except Exception as exc:  # noqa: BLE001 - jobs never swallow errors: hand them to the UI
            self.failed.emit(rid, exc)
        else:
            self.finished.emit(rid, result)

    @Slot(int, str, float)
    def _on_progressed(self, rid: int, stage: str, fraction: float) -> None:
        if self.is_current(rid):
            self.progress.emit(rid, stage, fraction)
