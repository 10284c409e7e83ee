"""ArrayTableModel: a sortable Qt table over numpy columns, rows through a permutation (GUI thread).

Used by the Blocking, CPU, Tasks and Logs panels (issue #9). Columns are numpy
arrays of equal length (numbers, or ``str`` arrays); the view sees
``order[row]`` (STYLE §4.6: sort = ``np.argsort`` + ``layoutChanged``, filter = a
new permutation from a numpy mask; never a ``QSortFilterProxyModel``). Raw values
are under ``Qt.UserRole``, formatted text under ``DisplayRole``; a column marked
``link`` is drawn as a link (the panel turns a click on it into
``selection.reveal``). Formatting is per *visible* cell only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

__all__ = ["ArrayTableModel", "Column"]


def link_color() -> QColor:
    """The palette's link colour (follows the light/dark theme)."""
    from PySide6.QtGui import QGuiApplication, QPalette

    return QGuiApplication.palette().color(QPalette.ColorRole.Link)


@dataclass(frozen=True)
class Column:
    """One column: ``title``, ``values`` (n,), ``fmt(value) -> str``, right-aligned numbers,
    ``link``: cells are links, ``tooltip(row) -> str`` (source row) optional."""

    title: str
    values: NDArray
    fmt: Callable[[object], str] = str
    numeric: bool = True
    link: bool = False
    tooltip: Callable[[int], str] | None = None


#: tables with more rows than this sort in a job (when the model has a bridge): an
#: argsort of 10⁶ int64 takes ~80 ms, of strings far more (STYLE: ≤ ~10 ms on the GUI thread)
SYNC_SORT_ROWS = 100_000


def sorted_order(values: NDArray, order: NDArray[np.int64], descending: bool) -> NDArray[np.int64]:
    """``order`` re-ordered by ``values[order]`` (stable; reversed when descending). Pure."""
    o = np.argsort(values[order], kind="stable")
    if descending:
        o = o[::-1]
    return order[o]


class ArrayTableModel(QAbstractTableModel):
    """Read-only table of numpy columns with numpy sort and filter (see the module doc).

    bridge : a :class:`~goroscope.ui.bridge.JobBridge`; with one, tables of more than
        ``SYNC_SORT_ROWS`` rows sort in a job (``sorted`` is emitted when the new order is
        shown; until then the old order stays). Without one every sort is synchronous.
    """

    sorted = Signal()

    def __init__(self, parent=None, bridge=None) -> None:
        super().__init__(parent)
        self._cols: list[Column] = []
        self._n = 0
        self._order = np.zeros(0, np.int64)
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._font_link = QFont()
        self._font_link.setUnderline(True)
        self._bridge = bridge
        self._sort_rid = -1
        if bridge is not None:
            bridge.finished.connect(self._on_sorted)

    # -- data -------------------------------------------------------------------------
    def set_columns(
        self,
        columns: Sequence[Column],
        order: NDArray[np.int64] | None = None,
        *,
        sort: tuple[int, Qt.SortOrder] | None = None,
    ):
        """Replace the whole content; ``order``: the rows shown (source rows), default all;
        ``sort``: sort by this (column, order) instead of the current sort (one sort, not
        two, when the panel also sets the view's sort indicator)."""
        if sort is not None:
            self._sort = sort
        n = len(columns[0].values) if columns else 0
        if any(len(c.values) != n for c in columns):
            raise ValueError("columns differ in length")
        self._sort_rid = -1  # a running sort was for the old content
        self.beginResetModel()
        self._cols = list(columns)
        self._n = n
        self._order = np.arange(n, dtype=np.int64) if order is None else np.asarray(order)
        self.endResetModel()
        if self._sort is not None and self._sort[0] < len(self._cols):
            self.sort(*self._sort)

    def set_rows(self, order: NDArray[np.int64]) -> None:
        """Show these source rows (a filter), keeping the current sort."""
        self._sort_rid = -1
        self.beginResetModel()
        self._order = np.asarray(order, np.int64)
        self.endResetModel()
        if self._sort is not None:
            self.sort(*self._sort)

    def clear(self) -> None:
        self.set_columns([])

    def source_row(self, row: int) -> int:
        return int(self._order[row])

    def rows(self) -> NDArray[np.int64]:
        """Source rows in view order."""
        return self._order.copy()

    def column(self, c: int) -> Column:
        return self._cols[c]

    def column_index(self, title: str) -> int:
        return next(i for i, c in enumerate(self._cols) if c.title == title)

    # -- Qt overrides (camelCase) -------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._cols)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._order) and 0 <= c < len(self._cols)):
            return None
        col = self._cols[c]
        src = int(self._order[r])
        if role == Qt.ItemDataRole.DisplayRole:
            return col.fmt(col.values[src])
        if role == Qt.ItemDataRole.UserRole:
            v = col.values[src]
            return v.item() if isinstance(v, np.generic) else v
        if role == Qt.ItemDataRole.TextAlignmentRole:
            h = Qt.AlignmentFlag.AlignRight if col.numeric else Qt.AlignmentFlag.AlignLeft
            return int(h | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col.link:
            return link_color()
        if role == Qt.ItemDataRole.FontRole and col.link:
            return self._font_link
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(src)
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self._cols)
        ):
            return self._cols[section].title
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._cols):
            return
        self._sort = (column, order)
        desc = order == Qt.SortOrder.DescendingOrder
        values = self._cols[column].values
        if self._bridge is not None and len(self._order) > SYNC_SORT_ROWS:
            self._sort_rid = self._bridge.submit(
                ("table-sort", id(self)), sorted_order, values, self._order, desc
            )
            return
        self._sort_rid = -1
        self._apply_order(sorted_order(values, self._order, desc))

    def _on_sorted(self, rid: int, new_order) -> None:
        if rid != self._sort_rid:
            return
        self._sort_rid = -1
        if len(new_order) == len(self._order):
            self._apply_order(new_order)

    @property
    def sorting(self) -> bool:
        """A sort job is running."""
        return self._sort_rid >= 0

    def _apply_order(self, new_order: NDArray[np.int64]) -> None:
        if len(new_order) > SYNC_SORT_ROWS:
            # a reset costs the view O(1); a layout change walks every row (0.1 s per
            # 600 k rows). Selections and persistent indexes of a big table do not survive.
            self.beginResetModel()
            self._order = new_order
            self.endResetModel()
            self.sorted.emit()
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        if old:  # keep persistent indexes on their rows (views' selections, editors)
            where = np.zeros(int(new_order.max()) + 1, np.int64)
            where[new_order] = np.arange(len(new_order))
            self.changePersistentIndexList(
                old, [self.index(int(where[self._order[i.row()]]), i.column()) for i in old]
            )
        self._order = new_order
        self.layoutChanged.emit()
        self.sorted.emit()
