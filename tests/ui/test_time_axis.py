"""Time axis labels: readable units, decimals by tick spacing, relative to a movable origin."""

from __future__ import annotations

import pytest

from goroscope.ui.items.time_axis import TimeAxisItem, format_duration, tick_labels


def test_units_follow_magnitude_and_spacing():
    assert tick_labels([0, 2e9, 4e9], 2e9) == ["0 s", "2 s", "4 s"]
    assert tick_labels([1.2341e9, 1.2342e9], 1e5) == ["1.2341 s", "1.2342 s"]
    assert tick_labels([0, 500, 1000], 500) == ["0.0 µs", "0.5 µs", "1.0 µs"]  # one unit per axis
    assert tick_labels([0, 200, 400], 200) == ["0 ns", "200 ns", "400 ns"]
    assert tick_labels([2e6, 4e6], 2e6) == ["2 ms", "4 ms"]


def test_labels_relative_to_origin_are_signed():
    assert tick_labels([1000, 1010, 990], 10, origin_ns=1000) == ["0 ns", "+10 ns", "-10 ns"]
    assert tick_labels([5e6, 5.25e6], 2.5e5, origin_ns=5e6) == ["0 µs", "+250 µs"]


def test_format_duration():
    assert format_duration(12) == "12 ns"
    assert format_duration(1_234_567) == "1.235 ms"
    assert format_duration(3e9) == "3 s"
    assert format_duration(1500, signed=True) == "+1.5 µs"


@pytest.mark.gui
def test_axis_item_origin(qtbot):
    axis = TimeAxisItem("top")
    with qtbot.waitSignal(axis.origin_changed, timeout=1000):
        axis.set_origin(1e6)
    assert axis.origin_ns == 1e6
    assert axis.tickStrings([1e6, 2e6], 1.0, 1e6) == ["0 ms", "+1 ms"]
