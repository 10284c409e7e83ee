"""TaskTreeModel: user tasks as a tree (parent → children across generations) over numpy (GUI thread).

Rows come from :class:`~goroscope.ui.models.task_data.TaskData`'s CSR
(``child_off``/``child_rows``, ``pos_in_parent``), so ``index``, ``parent`` and
``rowCount`` are O(1) array lookups and nothing is built per task. An index's
``internalId`` is the task row + 1 (0 never appears: top-level items have an
invalid parent). Times and goroutines are link columns (the panel turns clicks
into ``selection.reveal``); raw values under ``Qt.UserRole``.

The top level is fetched :data:`FETCH_ROWS` rows at a time (``canFetchMore`` /
``fetchMore``; :meth:`TaskTreeModel.index_of` fetches up to the row it needs):
``QTreeView`` lays out every top-level row on a reset — an ``index`` and a
``hasChildren`` call into Python per row, for the 23,754 tasks of the 450 MB trace
the top item of a GUI-thread profile (``tests/bench/bench_panels.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

__all__ = ["COLUMNS", "FETCH_ROWS", "TaskTreeModel", "task_label"]

#: top-level rows exposed per fetch (a QTreeView layout costs ~20 µs a row in PySide's
#: index/hasChildren calls: 1,000 made two 17 ms timer events after big.trace's load,
#: 200 lay out in ~4.5 ms; the dock's tree shows ~20)
FETCH_ROWS = 200

#: (title, is a link)
COLUMNS = (
    ("Task", False),
    ("Start", True),
    ("Duration", False),
    ("Goroutine", True),
    ("Regions", False),
    ("Logs", False),
)


def link_color() -> QColor:
    """The palette's link colour (follows the light/dark theme)."""
    from PySide6.QtGui import QGuiApplication, QPalette

    return QGuiApplication.palette().color(QPalette.ColorRole.Link)


def task_label(tl, task_row: int) -> str:
    """A task's label: its ID and type ("12  checkout")."""
    t = tl.tasks
    c = int(t.type[task_row])
    return f"{int(t.task_id[task_row])}  {tl.strings[c] if c >= 0 else ''}".rstrip()


def _ms(ns: int) -> str:
    return f"{ns / 1e6:,.3f} ms"


class TaskTreeModel(QAbstractItemModel):
    """The task tree of one trace (see the module doc)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._tl = None
        self._d = None
        self._link_font = QFont()
        self._link_font.setUnderline(True)
        self._top = 0  # top-level rows fetched

    def set_data(self, timeline, data) -> None:
        self.beginResetModel()
        self._tl, self._d = timeline, data
        self._top = 0 if data is None else min(FETCH_ROWS, len(data.children(-1)))
        self.endResetModel()

    def _n_roots(self) -> int:
        return 0 if self._d is None else len(self._d.children(-1))

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self._top < self._n_roots()

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802, B008
        if not parent.isValid():
            self._fetch_to(self._top + FETCH_ROWS)

    def _fetch_to(self, n: int) -> None:
        n = min(n, self._n_roots())
        if n > self._top:
            self.beginInsertRows(QModelIndex(), self._top, n - 1)
            self._top = n
            self.endInsertRows()

    def clear(self) -> None:
        self.set_data(None, None)

    def task_row(self, index: QModelIndex | QPersistentModelIndex) -> int:
        """The ``Timeline.tasks`` row of an index (-1: invalid)."""
        return int(index.internalId()) - 1 if index.isValid() else -1

    def index_of(self, task_row: int, column: int = 0) -> QModelIndex:
        """The index of task ``task_row`` (walks nothing: ``pos_in_parent`` is stored)."""
        if self._d is None or not 0 <= task_row < len(self._d.parent_row):
            return QModelIndex()
        root = ([*self.ancestors(task_row), task_row])[0]
        self._fetch_to(int(self._d.pos_in_parent[root]) + 1)
        return self.createIndex(int(self._d.pos_in_parent[task_row]), column, task_row + 1)

    def ancestors(self, task_row: int) -> list[int]:
        """Parent rows from the root down to the parent of ``task_row``."""
        out = []
        p = int(self._d.parent_row[task_row])
        while p >= 0 and len(out) < 10_000:
            out.append(p)
            p = int(self._d.parent_row[p])
        return out[::-1]

    def goroutine(self, task_row: int) -> int:
        """The goroutine that began the task (else the one that ended it; -1)."""
        t = self._tl.tasks
        g = int(t.begin_g[task_row])
        return g if g >= 0 else int(t.end_g[task_row])

    def label(self, task_row: int) -> str:
        return task_label(self._tl, task_row)

    # -- Qt overrides (camelCase) ---------------------------------------------------------
    def index(self, row: int, column: int, parent=QModelIndex()) -> QModelIndex:  # noqa: B008
        d = self._d
        if d is None or not 0 <= column < len(COLUMNS) or row < 0:
            return QModelIndex()
        pr = self.task_row(parent)  # -1 for the roots
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        kids = d.children(pr)
        if row >= (len(kids) if pr >= 0 else self._top):
            return QModelIndex()
        return self.createIndex(row, column, int(kids[row]) + 1)

    def parent(self, index=QModelIndex()):  # noqa: B008
        if not index.isValid() or self._d is None:
            return QModelIndex()
        p = int(self._d.parent_row[self.task_row(index)])
        if p < 0:
            return QModelIndex()
        return self.createIndex(int(self._d.pos_in_parent[p]), 0, p + 1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        if self._d is None or (parent.isValid() and parent.column() != 0):
            return 0
        if not parent.isValid():
            return self._top
        return len(self._d.children(self.task_row(parent)))

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return len(COLUMNS)

    def hasChildren(self, parent=QModelIndex()) -> bool:  # noqa: N802, B008
        return self.rowCount(parent) > 0

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._d is None:
            return None
        r, c = self.task_row(index), index.column()
        t, d = self._tl.tasks, self._d
        if role == Qt.ItemDataRole.UserRole:
            return (
                r,
                int(t.start_ns[r]),
                int(d.duration_ns[r]),
                self.goroutine(r),
                int(d.n_regions[r]),
                int(d.n_logs[r]),
            )[c]
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return self.label(r)
            if c == 1:
                s = int(t.start_ns[r])
                return _ms(s) if s >= 0 else "before the trace"
            if c == 2:
                dur = int(d.duration_ns[r])
                if dur >= 0:
                    return _ms(dur)
                return "not ended" if int(t.end_ns[r]) < 0 else "began before the trace"
            if c == 3:
                g = self.goroutine(r)
                return f"G{int(self._tl.goroutines.goid[g])}" if g >= 0 else "—"
            if c == 4:
                return f"{int(d.n_regions[r]):,}"
            return f"{int(d.n_logs[r]):,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and c >= 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if COLUMNS[c][1] and role == Qt.ItemDataRole.ForegroundRole:
            return link_color()
        if COLUMNS[c][1] and role == Qt.ItemDataRole.FontRole:
            return self._link_font
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section][0]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
