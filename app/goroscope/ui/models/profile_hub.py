"""ProfilePass: one profile pass per trace session, shared by the Blocking and CPU panels (GUI thread).

Panels never call each other, yet both need the same expensive pass over the
trace (:func:`goroscope.ui.models.profile_data.profile_job`: one more read of
the file). :meth:`ProfilePass.for_session` returns the one pass object of a
session (one per bridge, replaced on the GUI thread when the bridge's window opens
another trace); the first panel that needs it
calls :meth:`ProfilePass.start`, which submits the job through the panels'
:class:`~goroscope.ui.bridge.JobBridge`; every panel connects to ``ready`` /
``failed`` / ``progressed``. A second ``start`` is a no-op, so the pass never
occupies two job threads.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, Signal, Slot

from goroscope.ui.bridge import JobBridge

__all__ = ["ProfilePass"]

#: GUI thread only: the pass of each bridge's current session (key ``id(bridge)``). A
#: pass leaves here on the GUI thread — when its bridge asks for another session's pass
#: or is destroyed — never through the garbage collection of its session: a weak registry
#: keyed by the session let whichever thread ran the cyclic GC destroy the QObject while
#: the GUI thread emitted to it (a segfault in a full test run).
_CURRENT: dict[int, ProfilePass] = {}


class ProfilePass(QObject):
    """The profile pass of one session: ``result`` once ``ready(ProfileData)`` was emitted."""

    ready = Signal(object)
    failed = Signal(object)
    progressed = Signal(float)

    @classmethod
    def for_session(cls, session, bridge: JobBridge) -> ProfilePass:
        key = id(bridge)
        p = _CURRENT.get(key)
        if p is not None and p._session() is session:
            return p
        if p is not None:  # the same (live) bridge: a destroyed one left _CURRENT
            p.cancel()
        else:  # first pass of this bridge
            bridge.destroyed.connect(lambda *_a, k=key: _CURRENT.pop(k, None))
        p = _CURRENT[key] = cls(session, bridge)
        return p

    def __init__(self, session, bridge: JobBridge) -> None:
        super().__init__()
        self._session = weakref.ref(session)
        self._bridge = bridge
        self._rid = -1
        self.result = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)
        bridge.progress.connect(self._on_progress)

    @property
    def started(self) -> bool:
        return self._rid >= 0 or self.result is not None

    def start(self) -> None:
        """Submit the pass unless it ran or runs already (needs the complete timeline)."""
        if self.started:
            return
        session = self._session()
        if session is None or session.details is None:  # not loaded yet
            return
        from goroscope.ui.models.profile_data import profile_job

        self.error = None
        self._rid = self._bridge.submit(
            ("profile-pass", id(self)),
            _timed,
            profile_job,
            session.index.tracefile,
            session.timeline,
            cancel=JobBridge.CANCEL,
            progress=JobBridge.PROGRESS,
        )

    def cancel(self) -> None:
        """Stop a running pass (a new trace is opened); its outcome is dropped."""
        if self._rid >= 0:
            self._bridge.cancel(("profile-pass", id(self)))
            self._rid = -1

    @Slot(int, object)
    def _on_finished(self, rid: int, result) -> None:
        if rid != self._rid:
            return
        self._rid = -1
        self.result, self.seconds = result
        self.ready.emit(self.result)

    @Slot(int, object)
    def _on_failed(self, rid: int, exc) -> None:
        if rid != self._rid:
            return
        self._rid = -1
        self.error = exc
        self.failed.emit(exc)

    @Slot(int, str, float)
    def _on_progress(self, rid: int, _stage: str, fraction: float) -> None:
        if rid == self._rid:
            self.progressed.emit(fraction)


def _timed(fn, *args, **kwargs):
    import time

    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t
