"""Stacks of a selected span or goroutine: the data job and a Qt tree model.

:func:`resolve_span_stacks` / :func:`resolve_goroutine_stacks` (job thread; pure
apart from the :class:`~goroscope.model.spans.DetailResolver`'s cache) re-decode
what the model does not keep — the event that began the span, the one that ended
it, and the goroutine's creation — and return :class:`StackSection` s: a title,
the frames ``[(pc, func, file, line), ...]`` leaf first, exactly Go's
``Event.Stack()`` / ``StateTransition.Stack`` of that event (``go tool trace
-d=parsed`` prints the same), and who the event's context goroutine was.

:class:`StackModel` (GUI thread) shows sections as top-level rows and their
frames beneath (columns: function, file:line). Runs of runtime-internal frames
(``runtime.*``, ``internal/*``) fold into one expandable row ("4 runtime frames")
unless the whole stack is runtime (a system goroutine: nothing else to show).
:func:`stacks_as_text` is the "copy as text" form (every frame, Go traceback style).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt

from goroscope.model.events import GoState

Frame = tuple[int, str, str, int]  # (pc, func, file, line)

_EV_NAMES = {
    14: "GoCreate", 15: "GoCreateSyscall", 16: "GoStart", 17: "GoDestroy",
    18: "GoDestroySyscall", 19: "GoStop", 20: "GoBlock", 21: "GoUnblock",
    22: "GoSyscallBegin", 23: "GoSyscallEnd", 24: "GoSyscallEndBlocked", 25: "GoStatus",
    45: "GoSwitch", 46: "GoSwitchDestroy", 47: "GoCreateBlocked", 48: "GoStatusStack",
}  # fmt: skip


def event_name(ev_type: int) -> str:
    """The wire event's name (Go's ``tracev2`` spelling; synthesized rows: "(synthesized)")."""
    return _EV_NAMES.get(ev_type, "(synthesized)" if ev_type == 255 else f"event {ev_type}")


def is_runtime_frame(func: str) -> bool:
    """Runtime-internal frames that fold away by default (``runtime.*``, ``internal/*``)."""
    return func.startswith(("runtime.", "internal/"))


@dataclass(frozen=True, slots=True)
class StackSection:
    """One stack to show.

    title : what it is ("Began: GoBlock (chan receive)")
    frames : leaf first
    by_g : g_idx of the goroutine whose stack it is (-1: none / unknown)
    time_ns : when (ns since the trace start; -1: unknown)
    kind : "start" | "end" | "created" | "start_function"
    """

    title: str
    frames: list[Frame]
    by_g: int = -1
    time_ns: int = -1
    kind: str = ""


def _own_sections(d, g_idx: int, what: str, time_ns: int, head: str, goid_of) -> list:
    """The stacks of one event (a SpanDetail) as sections: Go's event stack (the
    context goroutine's) and, when it is another one, the transition stack."""
    if d is None:
        return [StackSection(f"{head}: (details unavailable)", [], -1, time_ns, what)]
    name = event_name(d.ev_type)
    out = []
    who = f" by {goid_of(d.by_g)}" if 0 <= d.by_g != g_idx else ""
    if d.stack:
        out.append(StackSection(f"{head}: {name}{who}", list(d.stack), d.by_g, time_ns, what))
    if d.transition_stack and d.transition_stack != d.stack:
        out.append(
            StackSection(f"{head}: {name} — transition stack", list(d.transition_stack), g_idx,
                         time_ns, what)
        )  # fmt: skip
    if not out:
        out.append(StackSection(f"{head}: {name}{who} (no stack)", [], d.by_g, time_ns, what))
    return out


def _goid_of(tl):
    goid = tl.goroutines.goid

    def f(g: int) -> str:
        return f"G{int(goid[g])}" if 0 <= g < len(goid) else "?"

    return f


def creation_span(tl, g_idx: int, upto: int | None = None) -> int:
    """Index of the span that created goroutine ``g_idx`` (its last creation at or before
    span ``upto``), or -1 when it existed before the trace started."""
    row = tl.goroutine_row(g_idx)
    n = len(row)
    if n == 0:
        return -1
    hi = n - 1 if upto is None else min(upto, n - 1)
    exited = np.flatnonzero(row.state[:hi] == int(GoState.NotExist))
    if len(exited):
        return int(exited[-1]) + 1
    first_from = int(tl.goroutines.first_from[g_idx])
    return 0 if first_from == int(GoState.NotExist) else -1


def _creation_sections(details, tl, g_idx: int, upto: int | None, goid_of) -> list:
    c = creation_span(tl, g_idx, upto)
    if c < 0:
        return [StackSection("Created before the trace (no stack)", [], -1,
                             -1, "created")]  # fmt: skip
    d = details.span(g_idx, c)
    t = int(tl.goroutine_row(g_idx).start_ns[c])
    if d is None:
        return [StackSection("Created: (details unavailable)", [], -1, t, "created")]
    out = [
        StackSection(
            f"Created by {goid_of(d.by_g)}" if d.by_g >= 0 else "Created",
            list(d.stack), d.by_g, t, "created",
        ),
        StackSection("Start function", list(d.transition_stack), g_idx, t, "start_function"),
    ]  # fmt: skip
    return out


def state_run(row, span_idx: int) -> tuple[int, int]:
    """``(first, end)`` spans of the run of equal states holding ``span_idx``: spans that
    continue their predecessor's state began at a GoStatus (a generation boundary), not
    at a transition. ``end`` is the span after the run (``len(row)``: still in it)."""
    st = row.state
    s0 = st[span_idx]
    diff = np.flatnonzero(st[:span_idx] != s0)
    first = int(diff[-1]) + 1 if len(diff) else 0
    after = np.flatnonzero(st[span_idx + 1 :] != s0)
    end = span_idx + 1 + int(after[0]) if len(after) else len(row)
    return first, end


def resolve_span_stacks(details, tl, g_idx: int, span_idx: int, *, cancel=None, progress=None):
    """Sections for span ``span_idx`` of goroutine ``g_idx``: the transition that began
    its state, the one that ended it (skipping GoStatus continuations at generation
    boundaries), the goroutine's creation. Job thread."""
    row = tl.goroutine_row(g_idx)
    goid_of = _goid_of(tl)
    out: list[StackSection] = []
    first, end = state_run(row, span_idx)
    t0 = int(row.start_ns[first])
    out += _own_sections(details.span(g_idx, first), g_idx, "start", t0, "Began", goid_of)
    if cancel is not None:
        cancel.raise_if_set()
    if end < len(row):
        t1 = int(row.start_ns[end])
        out += _own_sections(details.span(g_idx, end), g_idx, "end", t1, "Ended", goid_of)
    out += _creation_sections(details, tl, g_idx, span_idx, goid_of)
    return out


def resolve_occupancy_stacks(
    details, tl, kind: str, idx: int, start_ns: int, *, cancel=None, progress=None
):
    """A proc or thread span (``kind`` "proc" / "thread", p_idx / m_idx) that began at
    ``start_ns``: the goroutine running there and its span at that time, then
    :func:`resolve_span_stacks`. Returns ``(g_idx, span_idx, sections)`` (g_idx -1: none).
    Job thread (``Timeline.proc_spans`` over a 1 ns window)."""
    iv = (tl.proc_spans if kind == "proc" else tl.thread_spans)(idx, start_ns, start_ns + 1)
    hit = np.flatnonzero(iv.start_ns == start_ns)
    if not len(hit):
        hit = np.flatnonzero((iv.start_ns <= start_ns) & (iv.end_ns > start_ns))
    if not len(hit):
        return -1, -1, []
    g = int(iv.g_idx[hit[0]])
    row = tl.goroutine_row(g)
    i = int(np.searchsorted(row.start_ns, start_ns, side="right")) - 1
    if i < 0:
        return g, -1, []
    return g, i, resolve_span_stacks(details, tl, g, i, cancel=cancel)


def resolve_goroutine_stacks(details, tl, g_idx: int, *, cancel=None, progress=None):
    """Sections for a whole goroutine: its creation and start function. Job thread."""
    return _creation_sections(details, tl, g_idx, None, _goid_of(tl))


def stacks_as_text(header: str, sections: list[StackSection]) -> str:
    """Every frame of every section, Go traceback style (``func`` / ``\\tfile:line``)."""
    lines = [header] if header else []
    for s in sections:
        lines.append("")
        lines.append(s.title + ":")
        for _pc, func, file, line in s.frames:
            lines.append(func)
            lines.append(f"\t{file}:{line}")
    return "\n".join(lines).strip("\n") + "\n"


#: runs of at least this many runtime frames fold into one row (a single runtime frame,
#: e.g. ``runtime.chanrecv1``, says what the goroutine waits on: it stays visible)
FOLD_MIN_FRAMES = 2


def _frame_node(f: Frame) -> _Node:
    return _Node("frame", f[1], f"{f[2].rsplit('/', 1)[-1]}:{f[3]}", payload=f)


@dataclass(eq=False)
class _Node:
    kind: str  # "section" | "frame" | "fold"
    text: str
    loc: str = ""
    parent: _Node | None = None
    row: int = 0
    children: list[_Node] = field(default_factory=list)
    payload: object = None

    def add(self, child: _Node) -> _Node:
        child.parent = self
        child.row = len(self.children)
        self.children.append(child)
        return child


class StackModel(QAbstractItemModel):
    """Sections → frames (runtime runs folded) as a 2-column tree (GUI thread only)."""

    FOLD_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node("root", "")
        self.sections: list[StackSection] = []

    def set_sections(self, sections: list[StackSection]) -> None:
        self.beginResetModel()
        self.sections = list(sections)
        self._root = _Node("root", "")
        for s in self.sections:
            sec = self._root.add(_Node("section", s.title, payload=s))
            frames = s.frames
            all_rt = bool(frames) and all(is_runtime_frame(f[1]) for f in frames)
            i = 0
            while i < len(frames):
                j = i
                while j < len(frames) and is_runtime_frame(frames[j][1]):
                    j += 1
                if not all_rt and j - i >= FOLD_MIN_FRAMES:  # fold a run of runtime frames
                    run = frames[i:j]
                    fold = sec.add(_Node("fold", f"{len(run)} runtime frames", payload=run))
                    for f in run:
                        fold.add(_frame_node(f))
                    i = j
                else:
                    sec.add(_frame_node(frames[i]))
                    i += 1
        self.endResetModel()

    def node(self, index: QModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    # -- Qt model API ------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        p = self.node(parent)
        if not (0 <= row < len(p.children) and 0 <= column < 2):
            return QModelIndex()
        return self.createIndex(row, column, p.children[row])

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        n: _Node = index.internalPointer()
        p = n.parent
        if p is None or p is self._root:
            return QModelIndex()
        return self.createIndex(p.row, 0, p)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 2

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        n: _Node = index.internalPointer()
        if role == Qt.ItemDataRole.DisplayRole:
            return n.text if index.column() == 0 else n.loc
        if role == Qt.ItemDataRole.ToolTipRole:
            if n.kind == "frame":
                f = n.payload
                return f"{f[1]}\n{f[2]}:{f[3]}  (pc {f[0]:#x})"
            if n.kind == "fold":
                return "\n".join(f[1] for f in n.payload)
            return n.text
        if role == Qt.ItemDataRole.FontRole and n.kind == "section":
            from PySide6.QtGui import QFont

            f = QFont()
            f.setBold(True)
            return f
        if role == self.FOLD_ROLE:
            return n.kind == "fold"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("Function", "File:line")[section] if 0 <= section < 2 else None
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- helpers for the panel and tests ---------------------------------------------------
    def fold_indexes(self) -> list[QModelIndex]:
        """Every folded runtime run (column 0)."""
        out = []
        for s in self._root.children:
            for c in s.children:
                if c.kind == "fold":
                    out.append(self.createIndex(c.row, 0, c))
        return out

    def section_index(self, i: int) -> QModelIndex:
        return self.index(i, 0)
