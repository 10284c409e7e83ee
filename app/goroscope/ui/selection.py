"""The one shared selection that links panels (GUI thread only).

Panels *read* the trace and *write only* here; they never call each other
(Perfetto's ``SelectionManager``, STYLE §4.6). A selection is one frozen value —
:class:`SpanRef`, :class:`TimeRange`, :class:`GoroutineRef`, :class:`TaskRef` —
or ``None``. References are indices into our tables (``_idx``), never objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True, slots=True)
class SpanRef:
    """One span: ``span_idx`` within the span table of resource ``resource_idx``.

    ``resource_kind`` names the table: ``"goroutine"``, ``"proc"``, ``"thread"``,
    ``"region"``, … (a plain string so rows of any kind can be selected).
    """

    resource_kind: str
    resource_idx: int
    span_idx: int

    @classmethod
    def goroutine(cls, goroutine_idx: int, span_idx: int) -> SpanRef:
        return cls("goroutine", goroutine_idx, span_idx)

    @classmethod
    def proc(cls, proc_idx: int, span_idx: int) -> SpanRef:
        return cls("proc", proc_idx, span_idx)

    @classmethod
    def thread(cls, thread_idx: int, span_idx: int) -> SpanRef:
        return cls("thread", thread_idx, span_idx)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A time range ``[t0_ns, t1_ns]``, ns since trace start, ``t0_ns <= t1_ns``."""

    t0_ns: int
    t1_ns: int

    def __post_init__(self) -> None:
        if self.t1_ns < self.t0_ns:
            raise ValueError(f"TimeRange({self.t0_ns}, {self.t1_ns}): end before start")

    @property
    def duration_ns(self) -> int:
        return self.t1_ns - self.t0_ns


@dataclass(frozen=True, slots=True)
class GoroutineRef:
    """A whole goroutine (row of the goroutine table)."""

    goroutine_idx: int


@dataclass(frozen=True, slots=True)
class TaskRef:
    """A Go user task (row of the task table)."""

    task_idx: int


Selection: TypeAlias = SpanRef | TimeRange | GoroutineRef | TaskRef | None


class SelectionModel(QObject):
    """Holds the current :data:`Selection`; emits ``changed(old, new)`` when it changes.

    Setting an equal value is a no-op (no signal), so panels that echo the
    selection back cannot loop.
    """

    changed = Signal(object, object)
    #: ``reveal(value)``: a panel asks the views to bring ``value`` into view (scroll to
    #: its row, zoom to its time); emitted by :meth:`reveal` after selecting it.
    revealed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Selection = None

    @property
    def current(self) -> Selection:
        return self._current

    def set(self, value: Selection) -> None:
        """Select ``value`` (or clear with ``None``)."""
        if not isinstance(value, SpanRef | TimeRange | GoroutineRef | TaskRef | None):
            raise TypeError(f"not a selection value: {value!r}")
        old = self._current
        if value == old:
            return
        self._current = value
        self.changed.emit(old, value)

    def clear(self) -> None:
        self.set(None)

    def reveal(self, value: Selection) -> None:
        """Select ``value`` and ask the views to show it (a link in a panel: "go to").

        Unlike :meth:`set`, this always emits ``revealed`` (the user clicked the link
        again after scrolling away)."""
        self.set(value)
        if value is not None:
            self.revealed.emit(value)
