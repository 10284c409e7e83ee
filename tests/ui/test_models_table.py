"""NumpyTableModel: Qt-model consistency, sort and filter by permutation, sorting as a job."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from goroscope.jobs.executor import ImmediateExecutor
from goroscope.ui.bridge import JobBridge
from goroscope.ui.models.table import Column, NumpyTableModel, format_ns, sort_rows

pytestmark = pytest.mark.gui


def _model(n=1000, **kw):
    rng = np.random.default_rng(1)
    v = rng.integers(0, 100, n)
    m = NumpyTableModel(**kw)
    m.set_columns([Column("a", v, format_ns), Column("b", np.arange(n))])
    return m, v


def test_model_passes_qtmodeltester_through_sort_and_filter(qtmodeltester):
    m, v = _model()
    qtmodeltester.check(m)
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert (np.diff(v[m.rows]) <= 0).all()
    # stable: ties keep source order
    for val in (3, 50):
        r = m.rows[v[m.rows] == val]
        assert (np.diff(r) > 0).all()
    m.filter(v > 50)
    assert set(m.rows.tolist()) == set(np.flatnonzero(v > 50).tolist())
    assert (np.diff(v[m.rows]) <= 0).all()
    qtmodeltester.check(m)
    assert m.view_row(int(m.rows[3])) == 3
    assert m.view_row(int(np.flatnonzero(v <= 50)[0])) == -1
    idx = m.index(0, 0)
    assert m.data(idx, Qt.ItemDataRole.UserRole) == int(v[m.rows[0]])
    assert m.data(idx) == format_ns(v[m.rows[0]])


def test_sort_rows_matches_python_sorted():
    rng = np.random.default_rng(7)
    key = rng.integers(0, 20, 500)
    rows = rng.permutation(500)[:300]
    for desc in (False, True):
        want = sorted(rows.tolist(), key=lambda r: -key[r] if desc else key[r])  # stable
        assert sort_rows(key, rows, desc).tolist() == want


def test_big_sort_runs_as_job_and_keeps_selection(qtbot):
    bridge = JobBridge(ImmediateExecutor())
    m, v = _model(n=500, bridge=bridge, sync_rows=10)
    pidx = m.index(7, 1)
    from PySide6.QtCore import QPersistentModelIndex

    keep = QPersistentModelIndex(pidx)
    src = m.source_row(7)
    with qtbot.waitSignal(m.sort_applied, timeout=5000):
        m.sort(0)
        assert m.sorting
    assert not m.sorting
    assert (np.diff(v[m.rows]) >= 0).all()
    assert m.source_row(keep.row()) == src  # the persistent index followed its row


def test_identity_rows_are_shared_and_view_row_is_direct(qtmodeltester):
    """A fresh set_columns shows the identity permutation as a view of one cached arange
    (no new allocation per table); view_row answers without searching; a sort or a
    filter replaces it with a real permutation and view_row still inverts it."""
    from goroscope.ui.models.rows import identity_rows

    a, b = identity_rows(10), identity_rows(7)
    assert a.base is b.base
    assert np.array_equal(a, np.arange(10))
    assert not a.flags.writeable
    m = NumpyTableModel(None)
    vals = np.array([5, 3, 9, 1, 7])
    m.set_columns([Column("v", vals)])
    assert [m.view_row(i) for i in range(5)] == [0, 1, 2, 3, 4]
    m.sort(0, Qt.SortOrder.AscendingOrder)
    assert [m.source_row(r) for r in range(5)] == np.argsort(vals).tolist()
    assert all(m.source_row(m.view_row(i)) == i for i in range(5))
    m.filter(vals > 4)
    assert m.view_row(1) == -1
    assert all(m.source_row(m.view_row(i)) == i for i in (0, 2, 4))
    qtmodeltester.check(m)


def test_rows_from_a_job_come_with_their_inverse(qtbot):
    """A sort or filter run as a job hands back the inverse permutation with the rows:
    view_row is then a lookup (no compare over the rows on the GUI thread) and inverts
    exactly what is shown."""
    bridge = JobBridge(ImmediateExecutor())
    m = NumpyTableModel(bridge, sync_rows=10)
    rng = np.random.default_rng(5)
    vals = rng.integers(0, 50, 300)
    m.set_columns([Column("v", vals)])
    with qtbot.waitSignal(m.sort_applied, timeout=5000):
        m.sort(0, Qt.SortOrder.DescendingOrder)
    assert m._pos is not None
    assert all(m.source_row(m.view_row(i)) == i for i in range(300))
    with qtbot.waitSignal(m.sorting_changed, timeout=5000):
        m.filter(vals % 3 == 0)
    qtbot.waitUntil(lambda: not m.sorting, timeout=5000)
    shown = set(m.rows.tolist())
    assert shown == set(np.flatnonzero(vals % 3 == 0).tolist())
    for i in range(300):
        v = m.view_row(i)
        assert (v >= 0) == (i in shown)
        if v >= 0:
            assert m.source_row(v) == i
