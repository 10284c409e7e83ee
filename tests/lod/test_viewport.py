"""``lod.viewport``: power-of-two resolution, merge threshold, buffered bounds."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goroscope.lod.viewport import BufferedBounds, Viewport, resolution_for


@given(st.floats(1.0, 1e12))
def test_resolution_is_the_power_of_two_at_or_below(ns_per_px):
    r = resolution_for(ns_per_px)
    assert r & (r - 1) == 0
    assert r <= ns_per_px < 2 * r


def test_resolution_exact_and_clamped():
    assert resolution_for(1024.0) == 1024
    assert resolution_for(1023.9) == 512
    assert resolution_for(0.3) == 1
    with pytest.raises(ValueError):
        resolution_for(0.0)


def test_viewport_validates():
    with pytest.raises(ValueError):
        Viewport(10, 10, 100)
    with pytest.raises(ValueError):
        Viewport(0, 10, 0)


@given(st.floats(0, 1e12), st.floats(1e3, 1e12), st.floats(100, 4000))
def test_merge_min_is_two_to_four_px(t0, width_ns, width_px):
    vp = Viewport(t0, t0 + width_ns, width_px)
    min_px = vp.merge_min_ns(2.0) / vp.ns_per_px
    assert 2.0 <= min_px <= 4.0 + 1e-6 or vp.ns_per_px < 2


@given(st.floats(0, 1e12), st.floats(1e3, 1e12), st.floats(100, 4000))
def test_buffered_bounds_triple_and_quantised(t0, width_ns, width_px):
    vp = Viewport(t0, t0 + width_ns, width_px)
    b = vp.buffered()
    r = vp.resolution_ns
    assert b.t0_ns % r == 0
    assert b.t1_ns % r == 0
    assert b.t0_ns <= t0 - width_ns + 1e-6 * width_ns
    assert b.t1_ns >= t0 + 2 * width_ns - 1e-6 * width_ns
    assert b.t1_ns - b.t0_ns <= 3 * width_ns + 2 * r
    assert b.serves(vp)


def test_serves_while_panning_inside_and_same_octave():
    vp = Viewport(1_000_000, 2_000_000, 1000)  # 1000 ns/px → resolution 512
    b = vp.buffered()
    assert isinstance(b, BufferedBounds)
    assert b.resolution_ns == 512
    assert b.serves(Viewport(1_400_000, 2_400_000, 1000))  # pan by 40 %
    assert not b.serves(Viewport(2_500_000, 3_500_000, 1000))  # left the buffer
    assert not b.serves(Viewport(1_000_000, 1_400_000, 1000))  # zoomed in an octave
    # hysteresis: just across the octave boundary the cache is still good
    assert b.serves(Viewport(1_000_000, 1_000_000 + 500 * 1000, 1000))
    assert not b.serves(Viewport(1_000_000, 1_000_000 + 440 * 1000, 1000))


def test_px_mapping_round_trips():
    vp = Viewport(100.0, 1100.0, 500.0)
    assert vp.ns_per_px == 2.0
    assert math.isclose(vp.t_ns(vp.x_px(777.0)), 777.0)
