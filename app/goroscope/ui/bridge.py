"""Background jobs → GUI-thread signals (JobBridge; create and use on the GUI thread).

``submit(key, fn, *args, **kwargs)`` runs ``fn`` on any
``concurrent.futures.Executor`` (a ``ThreadPoolExecutor``, the synchronous
``ImmediateExecutor`` of tests, ``goroscope.jobs``' executors) and returns a
*request id* that rises with every call. When the future is done its callback —
on the worker thread, or inline for an immediate executor — emits a signal of
the process's relay (never of the bridge, which the GUI thread may be deleting
meanwhile); Qt queues it to the GUI thread (STYLE §3.6), where the live
bridge checks it is still the newest request for its key and emits
``finished(request_id, result)`` or ``failed(request_id, error)``. Older
results for the same key are *dropped* (napari's slice id, Perfetto's
``retainOn``) and announced by ``dropped(request_id)``; all bookkeeping happens
on the GUI thread, so no locks. Delivery is always queued, so even with a
synchronous executor the signals come after ``submit`` has returned the id.

Jobs follow ``goroscope.jobs``' contract ``fn(inputs, *, cancel, progress)`` and
never touch Qt. Keyword arguments give them a way back:

* ``cancel=JobBridge.CANCEL`` becomes a fresh ``jobs.CancelToken``, cancelled
  ("superseded") when a newer request for the same key arrives or on
  :meth:`cancel`;
* ``progress=JobBridge.PROGRESS`` (one stage "work") or
  ``progress=JobBridge.stages(["index", "timeline"], weights=[1, 9])`` becomes a
  fresh ``jobs.Progress``; a ``Progress`` the caller made is used as given. The
  bridge subscribes to it and emits ``progress(request_id, stage, overall)`` on
  the GUI thread (dropped once the request is stale).

Executors: anything with ``submit(fn, *args, **kwargs) -> Future`` —
``jobs.ThreadExecutor``, ``jobs.ImmediateExecutor``, a plain
``concurrent.futures.ThreadPoolExecutor``.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import CancelledError, Future
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

from goroscope.jobs.cancel import CancelToken, Progress, ProgressUpdate
from goroscope.jobs.executor import Executor


class _Sentinel:
    __slots__ = ("name", "stages", "weights")

    def __init__(self, name: str, stages: Sequence[str] = ("work",), weights=None) -> None:
        self.name = name
        self.stages = tuple(stages)
        self.weights = None if weights is None else tuple(weights)

    def __repr__(self) -> str:
        return f"JobBridge.{self.name}"


class _Relay(QObject):
    """Job threads emit here, never on a bridge: one per process, never deleted.

    A worker emitting on a bridge while the GUI thread deleted it (its window closed
    with jobs still running) is a use-after-free in shiboken/QtCore — the big trace's
    GUI benchmark segfaulted in libshiboken6 so. The relay lives on the GUI thread,
    holds the bridges weakly, and hands an outcome to its bridge only while it lives.
    """

    done = Signal(object, int, object)  # (weakref to the bridge, request id, future)
    progressed = Signal(object, int, str, float)

    def __init__(self) -> None:
        super().__init__()
        self.done.connect(self._deliver_done, Qt.ConnectionType.QueuedConnection)
        self.progressed.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _live(ref) -> JobBridge | None:
        bridge = ref()
        return bridge if bridge is not None and shiboken6.isValid(bridge) else None

    @Slot(object, int, object)
    def _deliver_done(self, ref, rid: int, future: Future) -> None:
        bridge = self._live(ref)
        if bridge is not None:
            bridge._on_done(rid, future)

    @Slot(object, int, str, float)
    def _deliver_progress(self, ref, rid: int, stage: str, fraction: float) -> None:
        bridge = self._live(ref)
        if bridge is not None:
            bridge._on_progressed(rid, stage, fraction)


_RELAY: list[_Relay] = []


def _relay() -> _Relay:
    """The process's relay (made on first use, on the GUI thread)."""
    if not _RELAY:
        relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None:
            relay.moveToThread(app.thread())
        _RELAY.append(relay)
    return _RELAY[0]


class JobBridge(QObject):
    """Submits jobs and delivers their outcome on the GUI thread; stale results dropped.

    Parameters
    ----------
    executor : goroscope.jobs.Executor or concurrent.futures.Executor
        Where jobs run. The bridge does not own it (does not shut it down).
    """

    PROGRESS = _Sentinel("PROGRESS")
    CANCEL = _Sentinel("CANCEL")

    finished = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, str, float)
    dropped = Signal(int)

    @staticmethod
    def stages(stages: Sequence[str], weights: Sequence[float] | None = None) -> _Sentinel:
        """A ``progress=`` placeholder for a fresh ``jobs.Progress(stages, weights=…)``."""
        return _Sentinel("PROGRESS", stages, weights)

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._ids = itertools.count(1)
        self._latest: dict[Hashable, int] = {}
        self._key_of: dict[int, Hashable] = {}
        self._cancel_of: dict[int, CancelToken] = {}
        self._futures: dict[int, Future] = {}
        # Outcomes travel through the process's relay, queued even when emitted on the
        # GUI thread (an immediate executor, a future already done): they always arrive
        # after submit() has returned the id, and never touch a bridge that is gone.
        self._relay = _relay()
        self._ref = weakref.ref(self)

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
            if isinstance(value, _Sentinel) and value.name == "PROGRESS":
                value = kwargs[name] = Progress(value.stages, weights=value.weights)
            if isinstance(value, Progress):
                value.subscribe(self._progress_forwarder(rid))
            elif value is JobBridge.CANCEL:
                token = CancelToken()
                self._cancel_of[rid] = token
                kwargs[name] = token
        future = self._executor.submit(fn, *args, **kwargs)
        self._futures[rid] = future
        done, ref = self._relay.done, self._ref  # the callback holds no bridge
        future.add_done_callback(lambda f, rid=rid: done.emit(ref, rid, f))
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
            token.cancel("superseded")
        fut = self._futures.get(rid)
        if fut is not None:
            fut.cancel()

    def _progress_forwarder(self, rid: int) -> Callable[[ProgressUpdate], None]:
        progressed, ref = self._relay.progressed, self._ref

        def report(update: ProgressUpdate) -> None:  # the job's thread: cheap, no Qt calls
            progressed.emit(ref, rid, update.stage, float(update.overall))

        return report

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
