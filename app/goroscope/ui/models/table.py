"""A generic Qt table model over numpy columns, sorted and filtered by permutation (GUI thread).

:class:`NumpyTableModel` shows ``n`` source rows held as numpy columns
(:class:`Column`: raw values, a formatter, alignment) through a permutation
``rows`` (the source rows shown, in display order). STYLE §3.4 / §4.6: no
``QSortFilterProxyModel`` over big models — sorting is ``np.argsort`` of the sort
column's values over ``rows`` plus ``layoutChanged``; filtering is a numpy mask
turned into a new ``rows`` (``modelReset``). Raw values are under ``Qt.UserRole``,
formatted text under ``DisplayRole``; ``data`` formats only the cells Qt asks for
(the visible ones), so the cost of a repaint does not depend on ``n``.

Big tables sort off the GUI thread: with a :class:`~goroscope.ui.bridge.JobBridge`
and more than ``sync_rows`` rows shown, :meth:`NumpyTableModel.sort` submits the
argsort as a job and applies the permutation when it arrives (``sorting`` is True
in between; ``sort_applied`` is emitted after every applied sort). A new sort or a new
``rows`` supersedes a sort in flight.

The one table model of the panels (goroutines, events, tasks, logs, blocking, CPU;
it replaced ``profile_table.ArrayTableModel``, a second copy of the same idea).

A new order of more than :data:`RESET_ROWS` rows is applied as a model reset, not a
``layoutChanged``: Qt's header walks every row on a layout change (~0.1 s per 600 k
rows on the GUI thread), a reset costs the view O(1) with fixed row heights. The
selection of such a table does not survive a sort (panels re-select on
``modelReset``).

API (stable; other panels build on it):

* ``set_columns(columns, rows=None, *, sort=None)`` — new data (``modelReset``); ``rows``
  default ``arange(n)``; ``sort`` = (column, Qt.SortOrder) to sort by, else the current
  sort is re-applied when its column still exists; ``clear()`` — no data;
* ``column(c)`` / ``column_index(title)`` — a column by index / the index of a title;
* ``set_rows(rows)`` — show these source rows (e.g. a filter's result), sorted by
  the current sort;
* ``filter(mask)`` — ``set_rows(flatnonzero(mask))`` keeping the full sort order:
  cheap when a full-order permutation is cached;
* ``source_row(view_row)`` / ``view_row(source_row)`` (-1 if not shown);
* ``sort(column, order)`` — the Qt override (QTableView calls it from its header).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from goroscope.ui.bridge import JobBridge
from goroscope.ui.models.rows import identity_rows, is_identity

#: rows above which a sort runs as a job (when the model has a bridge): an argsort of
#: 100 k int64 takes ~7 ms on a quiet machine and was the GUI thread's longest slot
#: (tens of ms) under load on the big trace (``tests/bench/bench_panels.py``); 20 k
#: take ~1.5 ms, 2 M ~250 ms
SYNC_SORT_ROWS = 20_000

#: above this many shown rows, view_row compares instead of building an inverse
INVERSE_ROWS = 200_000

#: a new order of more rows than this is a model reset, not a layout change (see above)
RESET_ROWS = SYNC_SORT_ROWS

_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True, eq=False)
class Column:
    """One column: ``values`` (n,) numpy array (the sort key; ``UserRole``), ``fmt``
    turns one value (a numpy scalar or Python value) into display text (default
    ``str``), ``tooltip`` likewise (optional), ``align_right`` for numbers (default:
    numeric dtypes). ``key`` (n,) optional array to sort by instead of ``values``;
    ``link`` marks cells that act as links."""

    title: str
    values: NDArray
    fmt: Callable[[object], str] | None = None
    tooltip: Callable[[object], str] | None = None
    align_right: bool | None = None
    key: NDArray | None = None
    header_tip: str = ""
    #: cells drawn as links (the palette's link colour, underlined): a panel follows
    #: ``clicked`` on them (``NumpyTableModel.is_link(column)``)
    link: bool = False

    def sort_key(self) -> NDArray:
        return self.values if self.key is None else self.key


_LINK_FONT: list[QFont] = []


def _link_font() -> QFont:
    if not _LINK_FONT:
        f = QFont()
        f.setUnderline(True)
        _LINK_FONT.append(f)
    return _LINK_FONT[0]


def sort_rows(key: NDArray, rows: NDArray[np.int64], descending: bool) -> NDArray[np.int64]:
    """``rows`` ordered by ``key[rows]`` (stable; ties keep ``rows``' order). Any thread."""
    k = key[rows]
    if descending:
        # stable descending: reverse, stable ascending sort, reverse back
        order = np.argsort(k[::-1], kind="stable")[::-1]
        return rows[::-1][order]
    return rows[np.argsort(k, kind="stable")]


def _sort_job(key, rows, descending, *, cancel=None, progress=None):
    if cancel is not None:
        cancel.raise_if_set()
    return sort_rows(key, rows, descending)


def _with_inverse(fn, n, *args, cancel=None, progress=None):
    """``(rows, pos)``: a rows job's result and its inverse (source row → view row, -1 not
    shown), both made on the job thread."""
    rows = fn(*args, cancel=cancel, progress=progress)
    pos = np.full(n, -1, np.int64)
    pos[rows] = np.arange(len(rows), dtype=np.int64)
    return rows, pos


def _filter_job(order, mask, *, cancel=None, progress=None):
    return order[mask[order]]


def _filter_sort_job(key, mask, descending, *, cancel=None, progress=None):
    return sort_rows(key, np.flatnonzero(mask), descending)


class NumpyTableModel(QAbstractTableModel):
    """Read-only table over numpy columns through a permutation (GUI thread only).

    Parameters
    ----------
    bridge : JobBridge, optional
        Where big sorts run (``sync_rows`` and above); without one every sort is
        synchronous.
    """

    #: (column, ascending) after a sort was applied
    sort_applied = Signal(int, bool)
    #: True while a sort job runs
    sorting_changed = Signal(bool)

    def __init__(
        self,
        bridge: JobBridge | None = None,
        parent: QObject | None = None,
        *,
        sync_rows: int = SYNC_SORT_ROWS,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._sync_rows = sync_rows
        self._cols: list[Column] = []
        self._n = 0
        self._rows = np.zeros(0, np.int64)
        self._pos: NDArray[np.int64] | None = None  # source row → view row (lazy)
        self._sort_col = -1
        self._sort_desc = False
        self._full_order: NDArray[np.int64] | None = None  # all n rows, sorted
        self._request = -1
        self._request_full = False
        self._request_reset = False
        if bridge is not None:
            bridge.finished.connect(self._on_job_finished)
            bridge.failed.connect(self._on_job_failed)

    # -- data ------------------------------------------------------------------------
    def set_columns(
        self,
        columns: Sequence[Column],
        rows: NDArray | None = None,
        *,
        sort: tuple[int, Qt.SortOrder] | None = None,
    ) -> None:
        """Show new columns (all of length n) and ``rows`` (default all, in source order),
        sorted by ``sort`` (column, order) when given, else by the current sort."""
        n = len(columns[0].values) if columns else 0
        for c in columns:
            if len(c.values) != n or (c.key is not None and len(c.key) != n):
                raise ValueError(f"column {c.title!r}: {len(c.values)} values, expected {n}")
        self._cancel_sort()
        self.beginResetModel()
        self._cols = list(columns)
        self._n = n
        self._rows = identity_rows(n) if rows is None else np.asarray(rows, np.int64)
        self._pos = None
        self._full_order = None
        if sort is not None:
            self._sort_col = sort[0]
            self._sort_desc = sort[1] == Qt.SortOrder.DescendingOrder
        if self._sort_col >= len(self._cols):
            self._sort_col = -1
        self.endResetModel()
        if self._sort_col >= 0:
            self.sort(self._sort_col, self.sort_order())

    def clear(self) -> None:
        self.set_columns([])

    @property
    def columns(self) -> list[Column]:
        return list(self._cols)

    def column(self, c: int) -> Column:
        return self._cols[c]

    def column_index(self, title: str) -> int:
        return next(i for i, c in enumerate(self._cols) if c.title == title)

    @property
    def rows(self) -> NDArray[np.int64]:
        """(m,) int64 — the source rows shown, in display order (read-only view)."""
        v = self._rows.view()
        v.flags.writeable = False
        return v

    @property
    def n_source(self) -> int:
        return self._n

    @property
    def sorting(self) -> bool:
        return self._request >= 0

    def sort_column(self) -> int:
        return self._sort_col

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._sort_desc else Qt.SortOrder.AscendingOrder

    def source_row(self, view_row: int) -> int:
        return int(self._rows[view_row]) if 0 <= view_row < len(self._rows) else -1

    def view_row(self, source_row: int) -> int:
        """The display row of ``source_row`` (-1 when filtered out).

        A table whose rows came from a job has their inverse from the job too (one
        lookup); otherwise big tables answer with one vectorised compare (~1–4 ms per
        million rows) rather than building the inverse on the GUI thread."""
        if not 0 <= source_row < self._n:
            return -1
        if len(self._rows) == self._n and is_identity(self._rows):
            return source_row  # the identity (a fresh set_columns)
        if self._pos is None and len(self._rows) > INVERSE_ROWS:
            hit = np.flatnonzero(self._rows == source_row)
            return int(hit[0]) if len(hit) else -1
        if self._pos is None:
            pos = np.full(self._n, -1, np.int64)
            pos[self._rows] = np.arange(len(self._rows))
            self._pos = pos
        return int(self._pos[source_row]) if 0 <= source_row < self._n else -1

    def set_rows(self, rows: NDArray) -> None:
        """Show ``rows`` (source indices), ordered by the current sort."""
        rows = np.asarray(rows, np.int64)
        self._cancel_sort()
        if self._sort_col >= 0 and len(rows) <= self._sync_rows:
            rows = sort_rows(self._cols[self._sort_col].sort_key(), rows, self._sort_desc)
        self._replace_rows(rows, reset=True)
        if self._sort_col >= 0 and len(rows) > self._sync_rows:
            self.sort(self._sort_col, self.sort_order())

    def filter(self, mask: NDArray[np.bool_] | None) -> None:
        """Show the source rows where ``mask`` is True (None: all), in the current order
        (a job when big and a bridge is set: ``sorting`` is True until it is applied)."""
        if mask is None:
            mask = np.ones(self._n, bool)
        self._cancel_sort()
        big = self._bridge is not None and self._n > self._sync_rows
        if self._full_order is not None:
            if big:
                self._submit(_filter_job, self._full_order, mask, reset=True, full=False)
            else:
                self._replace_rows(self._full_order[mask[self._full_order]], reset=True)
        elif big and self._sort_col >= 0:
            key = self._cols[self._sort_col].sort_key()
            self._submit(_filter_sort_job, key, mask, self._sort_desc, reset=True, full=False)
        else:
            self.set_rows(np.flatnonzero(mask))

    def _replace_rows(self, rows: NDArray[np.int64], *, reset: bool) -> None:
        if reset or len(rows) != len(self._rows) or len(rows) > RESET_ROWS:
            self.beginResetModel()
            self._rows = rows
            self._pos = None
            self.endResetModel()
            return
        self.layoutAboutToBeChanged.emit()
        old = self._rows
        persistent = self.persistentIndexList()
        self._rows = rows
        self._pos = None
        if persistent:
            frm, to = [], []
            few = len(persistent) <= 4  # a compare per index beats building the inverse
            for idx in persistent:
                r = idx.row()
                if 0 <= r < len(old):
                    if few:
                        hit = np.flatnonzero(rows == old[r])
                        v = int(hit[0]) if len(hit) else -1
                    else:
                        v = self.view_row(int(old[r]))
                    frm.append(idx)
                    to.append(self.index(v, idx.column()) if v >= 0 else QModelIndex())
            self.changePersistentIndexList(frm, to)
        self.layoutChanged.emit()

    # -- sorting ---------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D401
        """Sort the shown rows by ``column`` (argsort + ``layoutChanged``; a job when big)."""
        if not 0 <= column < len(self._cols):
            return
        self._sort_col = column
        self._sort_desc = order == Qt.SortOrder.DescendingOrder
        key = self._cols[column].sort_key()
        self._cancel_sort()
        if self._bridge is not None and len(self._rows) > self._sync_rows:
            full = len(self._rows) == self._n
            # (no copy: a rows array is replaced, never changed in place)
            self._submit(_sort_job, key, self._rows, self._sort_desc, reset=False, full=full)
            return
        rows = sort_rows(key, self._rows, self._sort_desc)
        self._full_order = rows if len(rows) == self._n else None
        self._replace_rows(rows, reset=False)
        self.sort_applied.emit(column, not self._sort_desc)

    def _submit(self, fn, *args, reset: bool, full: bool) -> None:
        self._request = self._bridge.submit(
            ("table-rows", id(self)), _with_inverse, fn, self._n, *args, cancel=JobBridge.CANCEL
        )
        self._request_full = full
        self._request_reset = reset
        self.sorting_changed.emit(True)

    def _cancel_sort(self) -> None:
        if self._request >= 0:
            self._request = -1
            if self._bridge is not None:
                self._bridge.cancel(("table-rows", id(self)))
            self.sorting_changed.emit(False)

    @Slot(int, object)
    def _on_job_finished(self, request_id: int, result) -> None:
        if request_id != self._request:
            return
        self._request = -1
        result, pos = result
        if not self._request_reset:  # a sort: the full order is known when all rows are shown
            self._full_order = result if self._request_full else None
        self._replace_rows(result, reset=self._request_reset)
        self._pos = pos  # made in the job: view_row of a big table is one lookup
        self.sorting_changed.emit(False)
        self.sort_applied.emit(self._sort_col, not self._sort_desc)

    @Slot(int, object)
    def _on_job_failed(self, request_id: int, exc) -> None:
        if request_id == self._request:
            self._request = -1
            self.sorting_changed.emit(False)

    # -- Qt model API (camelCase overrides) --------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._cols)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            c = self._cols[index.column()]
            v = c.values[self._rows[index.row()]]
            return c.fmt(v) if c.fmt is not None else str(v)
        if role == Qt.ItemDataRole.UserRole:
            v = self._cols[index.column()].values[self._rows[index.row()]]
            return v.item() if isinstance(v, np.generic) else v
        if role == Qt.ItemDataRole.TextAlignmentRole:
            c = self._cols[index.column()]
            right = c.align_right
            if right is None:
                right = c.values.dtype.kind in "iuf"
            return _ALIGN_RIGHT if right else _ALIGN_LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            c = self._cols[index.column()]
            if c.tooltip is None:
                return None
            return c.tooltip(c.values[self._rows[index.row()]])
        if role == Qt.ItemDataRole.ForegroundRole and self._cols[index.column()].link:
            return QGuiApplication.palette().color(QPalette.ColorRole.Link)
        if role == Qt.ItemDataRole.FontRole and self._cols[index.column()].link:
            return _link_font()
        return None

    def is_link(self, column: int) -> bool:
        return 0 <= column < len(self._cols) and self._cols[column].link

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._cols):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._cols[section].title
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._cols[section].header_tip or self._cols[section].title
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )


def format_ns(v) -> str:
    """A duration in ns as text with a unit (``1.23 ms``); negative → ``—``."""
    v = int(v)
    if v < 0:
        return "—"
    if v < 1_000:
        return f"{v} ns"
    if v < 1_000_000:
        return f"{v / 1e3:.3g} µs"
    if v < 1_000_000_000:
        return f"{v / 1e6:.4g} ms"
    return f"{v / 1e9:.4g} s"


def format_time_ns(v) -> str:
    """A time since the trace start (ns) as ``12.345678 ms``; negative → ``—``."""
    v = int(v)
    if v < 0:
        return "—"
    return f"{v / 1e6:,.6f} ms"
