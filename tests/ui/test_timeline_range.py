"""Shift+drag time range: time per state summed by a numba kernel (twin-checked) in a
job, the status line filled in when it arrives, a newer range cancelling the older."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from tests.ui.test_timeline import TinySource, _drag

from goroscope.jobs import JobCancelled, ThreadExecutor
from goroscope.ui.bridge import JobBridge
from goroscope.ui.items import state_time as stk
from goroscope.ui.items.state_time import range_state_time, range_state_time_py, state_time_job
from goroscope.ui.panels.timeline import TimelinePanel
from goroscope.ui.selection import SelectionModel, TimeRange
from goroscope.ui.theme import StateFamily

F = StateFamily


def _brute(start, end, state, t0, t1, n):
    """Independent per-span loop: clip each span to [t0, t1] and add it."""
    out = [0] * n
    for a, b, s in zip(start.tolist(), end.tolist(), state.tolist(), strict=True):
        d = min(b, t1) - max(a, t0)
        if d > 0 and 0 <= s < n:
            out[s] += d
    return np.array(out, np.int64)


def _random_row(rng, n):
    gaps = rng.integers(0, 50, n)
    lens = rng.integers(1, 1000, n)
    start = np.cumsum(gaps + np.concatenate([[0], lens[:-1]])).astype(np.int64)
    return start, start + lens, rng.integers(0, 12, n).astype(np.uint8)


@pytest.mark.parametrize("seed", range(5))
def test_kernel_equals_twin_and_a_plain_loop(seed):
    rng = np.random.default_rng(seed)
    s, e, st = _random_row(rng, 2000)
    for t0, t1 in [
        (0, int(e[-1])),
        (int(s[500]) + 7, int(e[1500]) - 3),
        (-5, 10),
        (10**9, 10**9 + 1),
    ]:
        k = np.zeros(10, np.int64)  # fewer codes than in the data: out-of-range ones skipped
        p = np.zeros(10, np.int64)
        range_state_time(s, e, st, t0, t1, k)
        range_state_time_py(s, e, st, t0, t1, p)
        np.testing.assert_array_equal(k, p)
        np.testing.assert_array_equal(k, _brute(s, e, st, t0, t1, 10))


def test_job_sums_rows_in_chunks_and_honours_cancel(monkeypatch):
    monkeypatch.setattr(stk, "CHUNK", 7)  # many chunks per row
    rng = np.random.default_rng(9)
    rows = [_random_row(rng, n) for n in (0, 1, 100, 333)]
    t0, t1 = 1000, 90_000
    want = sum(_brute(*r, t0, t1, 12) for r in rows)
    np.testing.assert_array_equal(state_time_job(rows, t0, t1, 12), want)

    class Token:
        calls = 0

        def raise_if_set(self):
            Token.calls += 1
            if Token.calls > 3:
                raise JobCancelled("superseded")

    with pytest.raises(JobCancelled):
        state_time_job(rows, t0, t1, 12, cancel=Token())


@pytest.fixture
def threaded(qtbot):
    executor = ThreadExecutor(max_workers=1)
    panel = TimelinePanel(TinySource(), SelectionModel(), bridge=JobBridge(executor))
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel
    executor.shutdown()


def test_shift_drag_sums_in_a_job_and_shows_it_when_ready(qtbot, threaded, monkeypatch):
    on: set[int] = set()
    real = stk._range_kernel

    def spy(*a):
        on.add(threading.get_ident())
        return real(*a)

    monkeypatch.setattr(stk, "_range_kernel", spy)
    vp = threaded.plot.viewport()
    a, b = threaded.viewport_pos_for(1, 300_000), threaded.viewport_pos_for(1, 700_000)
    _drag(qtbot, vp, a, b, Qt.KeyboardModifier.ShiftModifier)
    sel = threaded.selection.current
    assert isinstance(sel, TimeRange)
    qtbot.waitUntil(lambda: not threaded.range_stats_pending(), timeout=3000)
    assert on  # summed ...
    assert threading.get_ident() not in on  # ... on a worker thread only
    src = TinySource()
    t0, t1 = int(sel.t0_ns), int(sel.t1_ns)
    want = sum(_brute(*src.spans(r), t0, t1, len(F)) for r in range(3))
    text = threaded.status.text()
    assert text.startswith("range")
    assert "summing" not in text
    from goroscope.ui.items.time_axis import format_duration

    assert f"syscall {format_duration(want[F.SYSCALL])}" in text
    assert f"running {format_duration(want[F.RUNNING])}" in text


def test_a_newer_range_cancels_the_older_job(qtbot, threaded, monkeypatch):
    gate = threading.Event()
    tokens = []
    real = stk.state_time_job

    def slow(rows, t0, t1, n, *, cancel=None):
        tokens.append(cancel)
        gate.wait(2)
        return real(rows, t0, t1, n, cancel=cancel)

    import goroscope.ui.panels.timeline as tl

    monkeypatch.setattr(tl, "state_time_job", slow)
    threaded.selection.set(TimeRange(0, 500_000))
    assert "summing" in threaded.status.text()  # shown at once, the sum follows
    qtbot.waitUntil(lambda: len(tokens) == 1, timeout=3000)  # the first job runs
    threaded.selection.set(TimeRange(200_000, 600_000))
    assert tokens[0].is_set  # the first job's token: cancelled by the newer range
    gate.set()
    qtbot.waitUntil(lambda: not threaded.range_stats_pending(), timeout=3000)
    assert "syscall 400 µs" in threaded.status.text()  # G2's syscall 200-600 µs
    gate.clear()  # the next job waits again
    threaded.selection.set(TimeRange(0, 100_000))
    qtbot.waitUntil(lambda: len(tokens) == 3, timeout=3000)
    threaded.selection.clear()  # leaving the range drops its job
    assert not threaded.range_stats_pending()
    assert tokens[-1].is_set
    gate.set()


def test_a_long_status_line_never_widens_the_panel(qtbot, threaded):
    before = threaded.minimumSizeHint().width()
    threaded.status.setText("range 1 ms — " + "blocked: chan recv 515.442 ms, " * 40)
    assert threaded.minimumSizeHint().width() == before
