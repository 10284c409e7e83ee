"""What the linked dock panels share: named background jobs, links, labels (GUI thread).

:class:`PanelJobs` — a panel's jobs by name over its :class:`~goroscope.ui.bridge.JobBridge`:
one request per name in flight (a newer one supersedes it, as the bridge's key does),
each result handed to the callback given with it, a failure reported once through
``failed`` with every other request of the panel dropped (as the panels did by hand).

:class:`LinkReveal` — ``selection.reveal`` of a link's value while a flag tells the
panel's own ``_on_selection_changed`` that the change came from itself (a panel's
links do not move its own scope or filter).

:func:`goroutine_label` / :func:`task_label` — ``G12 main.worker`` / ``7 order``
("—" for -1) from a Timeline, for table columns; :func:`loaded_timeline` — the
window's loaded Timeline (panels start their jobs from it at ``loaded``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from goroscope.ui.bridge import JobBridge

__all__ = ["LinkReveal", "PanelJobs", "goroutine_label", "loaded_timeline", "task_label"]


class PanelJobs(QObject):
    """Named jobs of one panel (see the module doc). ``failed(name, exc)``."""

    failed = Signal(str, object)

    def __init__(self, bridge: JobBridge, panel: QObject) -> None:
        super().__init__(panel)
        self._bridge = bridge
        self._owner = id(panel)
        self._current: dict[str, int] = {}
        self._done: dict[int, tuple[str, Callable[[Any], None]]] = {}
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)

    def submit(self, name: str, fn, *args, done: Callable[[Any], None], **kwargs) -> int:
        """Run ``fn(*args, **kwargs)`` as the newest ``name`` job; ``done(result)`` on the
        GUI thread when it is still the newest."""
        old = self._current.pop(name, None)
        if old is not None:
            self._done.pop(old, None)
        rid = self._bridge.submit((name, self._owner), fn, *args, **kwargs)
        self._current[name] = rid
        self._done[rid] = (name, done)
        return rid

    def running(self, *names: str) -> bool:
        """A job (of one of ``names``; of any name without) is in flight."""
        return any(n in self._current for n in names) if names else bool(self._current)

    def forget_one(self, name: str) -> None:
        """Drop the ``name`` request in flight (its result is ignored)."""
        rid = self._current.pop(name, None)
        if rid is not None:
            self._done.pop(rid, None)

    def forget(self) -> None:
        """Drop every request in flight (a new trace): their results are ignored."""
        self._current.clear()
        self._done.clear()

    @Slot(int, object)
    def _on_finished(self, rid: int, result) -> None:
        hit = self._done.pop(rid, None)
        if hit is None:
            return
        name, done = hit
        del self._current[name]
        done(result)

    @Slot(int, object)
    def _on_failed(self, rid: int, exc) -> None:
        hit = self._done.get(rid)
        if hit is None:
            return
        self.forget()
        self.failed.emit(hit[0], exc)


class LinkReveal:
    """``reveal(value)``: ``selection.reveal(value)`` (None: nothing) with ``active`` True
    meanwhile, so the panel ignores the selection change its own link made."""

    def __init__(self, selection) -> None:
        self._selection = selection
        self.active = False

    def __call__(self, value) -> None:
        if value is None:
            return
        self.active = True
        try:
            self._selection.reveal(value)
        finally:
            self.active = False


def loaded_timeline(window):
    """The Timeline of the window's loaded session (None: no session or not loaded)."""
    session = getattr(window, "session", None)
    return None if session is None else session.timeline


def goroutine_label(tl, g) -> str:
    """``G<goid> <start function>`` of goroutine row ``g`` ("—" for -1 or no timeline)."""
    g = int(g)
    if tl is None or g < 0:
        return "—"
    f = int(tl.goroutines.start_func[g])
    return f"G{int(tl.goroutines.goid[g])} {tl.strings[f] if f >= 0 else ''}".rstrip()


def task_label(tl, t) -> str:
    """``<task id> <type>`` of task row ``t`` ("—" for -1 or no timeline)."""
    t = int(t)
    if tl is None or t < 0:
        return "—"
    c = int(tl.tasks.type[t])
    return f"{int(tl.tasks.task_id[t])} {tl.strings[c] if c >= 0 else ''}".rstrip()
