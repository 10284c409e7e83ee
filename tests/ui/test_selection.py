"""SelectionModel: frozen values, ``changed(old, new)``, no signal for equal values."""

from __future__ import annotations

import dataclasses

import pytest

from goroscope.ui.selection import GoroutineRef, SelectionModel, SpanRef, TaskRef, TimeRange

pytestmark = pytest.mark.gui


def test_values_are_frozen_and_compare_by_value():
    a = SpanRef.goroutine(3, 7)
    assert a == SpanRef("goroutine", 3, 7)
    assert hash(a) == hash(SpanRef("goroutine", 3, 7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.span_idx = 1  # type: ignore[misc]
    assert TimeRange(5, 9).duration_ns == 4
    with pytest.raises(ValueError, match="end before start"):
        TimeRange(9, 5)


def test_changed_carries_old_and_new(qtbot):
    sel = SelectionModel()
    seen = []
    sel.changed.connect(lambda old, new: seen.append((old, new)))
    with qtbot.waitSignal(sel.changed, timeout=1000):
        sel.set(GoroutineRef(4))
    sel.set(GoroutineRef(4))  # equal: no signal
    sel.set(TaskRef(2))
    sel.clear()
    assert seen == [(None, GoroutineRef(4)), (GoroutineRef(4), TaskRef(2)), (TaskRef(2), None)]
    assert sel.current is None


def test_rejects_other_values():
    with pytest.raises(TypeError):
        SelectionModel().set((1, 2))
