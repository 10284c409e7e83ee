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
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

__all__ = ["ArrayTableModel", "Column"]

_LINK = QColor("#1a5fb4")


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


class ArrayTableModel(QAbstractTableModel):
    """Read-only table of numpy columns with numpy sort and filter (see the module doc)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._cols: list[Column] = []
        self._n = 0
        self._order = np.zeros(0, np.int64)
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._font_link = QFont()
        self._font_link.setUnderline(True)

    # -- data -------------------------------------------------------------------------
    def set_columns(self, columns: Sequence[Column], order: NDArray[np.int64] | None = None):
        """Replace the whole content; ``order``: the rows shown (source rows), default all."""
        n = len(columns[0].values) if columns else 0
        if any(len(c.values) != n for c in columns):
            raise ValueError("columns differ in length")
        self.beginResetModel()
        self._cols = list(columns)
        self._n = n
        self._order = np.arange(n, dtype=np.int64) if order is None else np.asarray(order)
        self.endResetModel()
        if self._sort is not None and self._sort[0] < len(self._cols):
            self.sort(*self._sort)

    def set_rows(self, order: NDArray[np.int64]) -> None:
        """Show these source rows (a filter), keeping the current sort."""
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
            return _LINK
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
        self.layoutAboutToBeChanged.emit()
        vals = self._cols[column].values[self._order]
        o = np.argsort(vals, kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            o = o[::-1]
        old = self.persistentIndexList()
        self._order = self._order[o]
        if old:  # keep persistent indexes on their rows (views' selections, editors)
            new_row = np.empty(len(o), np.int64)
            new_row[o] = np.arange(len(o))
            self.changePersistentIndexList(
                old, [self.index(int(new_row[i.row()]), i.column()) for i in old]
            )
        self.layoutChanged.emit()
