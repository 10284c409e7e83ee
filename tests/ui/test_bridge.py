"""JobBridge with a real ThreadPoolExecutor: results on the GUI thread, stale ones dropped."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import QThread

from goroscope.jobs import ImmediateExecutor, Progress, ThreadExecutor
from goroscope.ui.bridge import JobBridge

pytestmark = pytest.mark.gui


@pytest.fixture
def pool():
    ex = ThreadPoolExecutor(max_workers=2)
    yield ex
    ex.shutdown(wait=True, cancel_futures=True)


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
        return (value, cancel.is_set)

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


def test_progress_and_cancel_of_a_jobs_style_job(qtbot):
    """A ``fn(inputs, *, cancel, progress)`` job on goroscope.jobs' ThreadExecutor."""
    bridge = JobBridge(ThreadExecutor())
    stages = []
    bridge.progress.connect(lambda rid, stage, frac: stages.append((stage, frac)))

    def job(path, *, cancel, progress):
        progress.stage("index")
        progress.update(0.5)
        cancel.raise_if_set()
        progress.stage("timeline")
        progress.update(1.0)
        return path.upper()

    with qtbot.waitSignal(bridge.finished, timeout=5000) as blocker:
        rid = bridge.submit(
            "load",
            job,
            "a.trace",
            progress=JobBridge.stages(["index", "timeline"], weights=[1, 3]),
            cancel=JobBridge.CANCEL,
        )
    assert blocker.args == [rid, "A.TRACE"]
    qtbot.waitUntil(lambda: stages and stages[-1] == ("timeline", 1.0), timeout=5000)
    assert ("index", 0.125) in stages


def test_a_callers_progress_object_is_forwarded(qtbot, pool):
    bridge = JobBridge(pool)
    prog = Progress(["only"])
    with qtbot.waitSignal(bridge.progress, timeout=5000) as blocker:
        rid = bridge.submit("p", lambda *, progress: progress.update(0.5), progress=prog)
    assert blocker.args == [rid, "only", 0.5]


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


def test_cancelled_job_is_dropped_not_failed(qtbot, pool):
    """A superseded job that raises JobCancelled is dropped, not reported as failed."""
    bridge = JobBridge(pool)
    failed = []
    bridge.failed.connect(lambda rid, exc: failed.append(exc))
    gate = threading.Event()

    def job(*, cancel):
        gate.wait(5)
        cancel.raise_if_set()

    old = bridge.submit("k", job, cancel=JobBridge.CANCEL)
    bridge.submit("k", lambda: None)
    with qtbot.waitSignal(bridge.dropped, timeout=5000, check_params_cb=lambda rid: rid == old):
        gate.set()
    assert failed == []


def test_immediate_executor_still_delivers_after_submit_returns(qtbot):
    bridge = JobBridge(ImmediateExecutor())
    with qtbot.waitSignal(bridge.finished, timeout=1000) as blocker:
        rid = bridge.submit("x", str.upper, "go")
        assert bridge.pending() == 1  # queued, not yet delivered
    assert blocker.args == [rid, "GO"]
