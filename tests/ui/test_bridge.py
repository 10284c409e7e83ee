"""JobBridge with a real ThreadPoolExecutor: results on the GUI thread, stale ones dropped."""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import pytest
from PySide6.QtCore import QThread

from goroscope.ui.bridge import JobBridge, JobCancelled

pytestmark = pytest.mark.gui


@pytest.fixture
def pool():
    ex = ThreadPoolExecutor(max_workers=2)
    yield ex
    ex.shutdown(wait=True, cancel_futures=True)


class ImmediateExecutor(Executor):
    """Runs jobs synchronously in submit() (napari's force_sync)."""

    def submit(self, fn, /, *args, **kwargs):
        f = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001
            f.set_exception(exc)
        return f


def test_result_arrives_on_gui_thread(qtbot, pool):
    bridge = JobBridge(pool)
    threads = []

    def on_finished(rid, result):
        threads.append(QThread.currentThread())

    bridge.finished.connect(on_finished)
    with qtbot.waitSignal(bridge.finished, timeout=5000) as blocker:
        rid = bridge.submit("sum", sum, [1, 2, 3])
    assert blocker.args == [rid, 6]
    assert threads == [bridge.thread()]
    assert bridge.pending() == 0


def test_ids_rise_and_errors_are_delivered(qtbot, pool):
    bridge = JobBridge(pool)
    a = bridge.submit("a", int, "1")
    with qtbot.waitSignal(bridge.failed, timeout=5000) as blocker:
        b = bridge.submit("b", int, "not a number")
    assert b > a
    assert blocker.args[0] == b
    assert isinstance(blocker.args[1], ValueError)


def test_stale_result_for_same_key_is_dropped(qtbot, pool):
    bridge = JobBridge(pool)
    gate = threading.Event()
    finished = []
    bridge.finished.connect(lambda rid, result: finished.append((rid, result)))

    def slow(value, *, cancel):
        gate.wait(5)
        return (value, cancel.is_set())

    old = bridge.submit("merge", slow, "old", cancel=JobBridge.CANCEL)
    with qtbot.waitSignal(bridge.finished, timeout=5000) as blocker:
        new = bridge.submit("merge", lambda: "new")
    assert blocker.args == [new, "new"]
    assert not bridge.is_current(old)
    with qtbot.waitSignal(bridge.dropped, timeout=5000) as dropped:
        gate.set()
    assert dropped.args == [old]
    assert finished == [(new, "new")]


def test_other_keys_are_independent(qtbot, pool):
    bridge = JobBridge(pool)
    got = {}
    bridge.finished.connect(lambda rid, result: got.__setitem__(rid, result))
    a = bridge.submit("rows", lambda: "a")
    b = bridge.submit("stats", lambda: "b")
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert got == {a: "a", b: "b"}


def test_progress_and_cancel_sentinels(qtbot, pool):
    bridge = JobBridge(pool)
    stages = []
    bridge.progress.connect(lambda rid, stage, frac: stages.append((stage, frac)))

    def job(*, progress, cancel):
        progress("index", 0.5)
        cancel.raise_if_set()
        return "ok"

    with qtbot.waitSignal(bridge.finished, timeout=5000):
        bridge.submit("load", job, progress=JobBridge.PROGRESS, cancel=JobBridge.CANCEL)
    assert stages == [("index", 0.5)]


def test_cancelled_job_raises_and_is_dropped(qtbot, pool):
    bridge = JobBridge(pool)
    started, gate = threading.Event(), threading.Event()

    def job(*, cancel):
        started.set()
        gate.wait(5)
        cancel.raise_if_set()
        return "never"

    rid = bridge.submit("load", job, cancel=JobBridge.CANCEL)
    assert started.wait(5)
    bridge.cancel("load")
    with qtbot.waitSignal(bridge.dropped, timeout=5000) as blocker:
        gate.set()
    assert blocker.args == [rid]


def test_cancel_flag_raises():
    from goroscope.ui.bridge import CancelFlag

    flag = CancelFlag()
    flag.raise_if_set()
    flag.set()
    with pytest.raises(JobCancelled):
        flag.raise_if_set()


def test_immediate_executor_still_delivers_after_submit_returns(qtbot):
    bridge = JobBridge(ImmediateExecutor())
    with qtbot.waitSignal(bridge.finished, timeout=1000) as blocker:
        rid = bridge.submit("x", str.upper, "go")
        assert bridge.pending() == 1  # queued, not yet delivered
    assert blocker.args == [rid, "GO"]
