"""Jobs without Qt: cancel tokens, staged progress, executors and TraceSession.

Synchronous runs use ``ImmediateExecutor`` (napari's ``force_sync``); a few
tests use real threads (``ThreadExecutor``) to cancel a build mid-way and to
watch progress arrive from another thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goroscope.jobs import (
    CancelToken,
    ImmediateExecutor,
    JobCancelled,
    Progress,
    Stage,
    ThreadExecutor,
    TraceSession,
)

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
SMALL = TESTDATA / "traces" / "go1.27" / "restart.trace"  # several generations, two sessions


# --- CancelToken -----------------------------------------------------------------------------


def test_cancel_token_raises_once_set():
    tok = CancelToken()
    tok.raise_if_set()
    assert not tok.is_set
    tok.cancel("user closed the window")
    tok.cancel("second reason is ignored")
    assert tok.is_set
    assert tok.wait(0)
    with pytest.raises(JobCancelled, match="user closed the window"):
        tok.raise_if_set()


# --- Progress --------------------------------------------------------------------------------


def test_progress_stages_weights_and_callbacks():
    seen = []
    p = Progress(["index", "timeline"], weights=[1, 3])
    p.subscribe(seen.append)
    p.stage("index")
    p.update(0.5)
    p.stage("timeline")
    p.update(0.5)
    p.finish()
    assert [(u.stage, round(u.overall, 3)) for u in seen] == [
        ("index", 0.0),
        ("index", 0.125),
        ("timeline", 0.25),
        ("timeline", 0.625),
        ("timeline", 1.0),
    ]
    with pytest.raises(ValueError, match="behind"):
        p.stage("index")
    with pytest.raises(ValueError, match="unknown stage"):
        p.stage("nope")


def test_progress_rejects_bad_definitions():
    with pytest.raises(ValueError, match="at least one"):
        Progress([])
    with pytest.raises(ValueError, match="duplicate"):
        Progress(["a", "a"])
    with pytest.raises(ValueError, match="weights"):
        Progress(["a", "b"], weights=[1])


@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("update"), st.floats(-1, 2, allow_nan=False)),
            st.tuples(st.just("stage"), st.integers(0, 2)),
        ),
        max_size=40,
    )
)
def test_progress_is_monotonic_whatever_the_job_reports(steps):
    p = Progress(["a", "b", "c"], weights=[2, 1, 1])
    seen = []
    p.subscribe(seen.append)
    for op, v in steps:
        if op == "update":
            p.update(v)
        elif v >= p.current.stage_index:
            p.stage(p.stages[v])
    overall = [u.overall for u in seen]
    assert overall == sorted(overall)
    assert all(0.0 <= x <= 1.0 for x in overall)
    idx = [u.stage_index for u in seen]
    assert idx == sorted(idx)


def test_progress_min_step_throttles_but_keeps_the_end():
    seen = []
    p = Progress(["a"], min_step=0.1)
    p.subscribe(seen.append)
    for i in range(1, 101):
        p.update(i / 100)
    assert len(seen) <= 11
    assert seen[-1].overall == 1.0


def test_progress_is_thread_safe():
    p = Progress(["a"])
    seen = []
    lock = threading.Lock()

    def record(u):
        with lock:
            seen.append(u.overall)

    p.subscribe(record)

    def work(k):
        for i in range(200):
            p.update((i * 4 + k) / 800)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert p.current.overall == pytest.approx(799 / 800)
    assert max(seen) == p.current.overall


# --- executors -------------------------------------------------------------------------------


def _boom(x):
    raise ZeroDivisionError(f"job failed on {x}")


@pytest.mark.parametrize("make", [ImmediateExecutor, ThreadExecutor])
def test_executors_return_results_and_keep_errors_on_the_future(make):
    ex = make()
    try:
        assert ex.submit(lambda a, b=0: a + b, 2, b=3).result(timeout=10) == 5
        fut = ex.submit(_boom, 7)
        with pytest.raises(ZeroDivisionError, match="job failed on 7"):
            fut.result(timeout=10)
        assert isinstance(fut.exception(), ZeroDivisionError)
    finally:
        ex.shutdown()


def test_immediate_executor_runs_done_callbacks_at_once():
    calls = []
    fut = ImmediateExecutor().submit(lambda: 42)
    fut.add_done_callback(lambda f: calls.append(f.result()))
    assert calls == [42]


# --- TraceSession ----------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.stages: list[Stage] = []
        self.timelines = []
        self.progress = []
        self.errors: list[BaseException] = []
        self.threads: set[str] = set()

    def kwargs(self):
        return {
            "on_stage": self.stage,
            "on_timeline": self.timeline,
            "on_progress": self.prog,
            "on_error": self.error,
        }

    def stage(self, s):
        with self.lock:
            self.stages.append(s)
            self.threads.add(threading.current_thread().name)

    def timeline(self, tl):
        with self.lock:
            self.timelines.append(tl)

    def prog(self, u):
        with self.lock:
            self.progress.append(u)

    def error(self, e):
        with self.lock:
            self.errors.append(e)


def _span_count(tl, cancel, progress):
    return tl.n_spans


def test_session_stages_in_order_with_immediate_executor():
    rec = Recorder()
    s = TraceSession(
        SMALL,
        ImmediateExecutor(),
        chunk_events=2000,
        analyses={"spans": _span_count},
        **rec.kwargs(),
    )
    s.start()
    assert s.done
    assert s.error is None
    assert rec.errors == []
    assert rec.stages == [
        Stage.INDEXED,
        Stage.TIMELINE_READY,
        Stage.STACKS_READY,
        Stage.ANALYSES_READY,
    ]
    assert s.stage == Stage.ANALYSES_READY
    # progressive: several snapshots, growing, the last one complete
    assert len(rec.timelines) >= 3
    covered = [t.covered_ns for t in rec.timelines]
    assert covered == sorted(covered)
    assert rec.timelines[-1].complete
    assert not rec.timelines[0].complete
    assert s.timeline is rec.timelines[-1]
    assert s.results == {"spans": s.timeline.n_spans}
    overall = [u.overall for u in rec.progress]
    assert overall == sorted(overall)
    assert overall[-1] == 1.0
    assert len(s.index.index.generations) >= 2


def test_session_reports_a_missing_file_and_stops():
    rec = Recorder()
    s = TraceSession(TESTDATA / "no-such.trace", ImmediateExecutor(), **rec.kwargs())
    fut = s.start()
    assert isinstance(fut.exception(), FileNotFoundError)
    assert isinstance(s.error, FileNotFoundError)
    assert rec.errors == [s.error]
    assert rec.stages == []
    assert s.done


def test_session_reports_a_failing_analysis():
    def bad(tl, cancel, progress):
        raise RuntimeError("analysis bug")

    rec = Recorder()
    s = TraceSession(SMALL, ImmediateExecutor(), analyses={"bad": bad}, **rec.kwargs())
    s.start()
    assert str(s.error) == "analysis bug"
    assert rec.errors == [s.error]
    assert rec.stages[-1] == Stage.STACKS_READY  # stopped where it was


def test_session_reports_a_failing_callback():
    """An exception raised by a subscriber is a bug: it fails the session, visibly."""

    def on_stage(stage):
        if stage == Stage.INDEXED:
            raise KeyError("subscriber bug")

    errors = []
    s = TraceSession(SMALL, ImmediateExecutor(), on_stage=on_stage, on_error=errors.append)
    s.start()
    assert isinstance(s.error, KeyError)
    assert errors == [s.error]


def test_session_rejects_a_second_start():
    s = TraceSession(SMALL, ImmediateExecutor())
    s.start()
    with pytest.raises(RuntimeError, match="twice"):
        s.start()


def test_cancel_mid_build_with_real_threads():
    """Cancelling once the first generations are modelled stops the build: JobCancelled."""
    rec = Recorder()
    ex = ThreadExecutor(max_workers=2)
    session: TraceSession

    def on_timeline(tl):
        rec.timeline(tl)
        if len(rec.timelines) == 1:
            session.cancel()

    kw = rec.kwargs() | {"on_timeline": on_timeline}
    session = TraceSession(SMALL, ex, chunk_events=1000, **kw)
    try:
        session.start()
        assert session.wait(30)
    finally:
        ex.shutdown()
    assert isinstance(session.error, JobCancelled)
    assert rec.errors == [session.error]
    assert rec.stages == [Stage.INDEXED, Stage.TIMELINE_READY]
    assert len(rec.timelines) == 1
    assert not rec.timelines[0].complete
    # callbacks run on a job thread, or on the submitting thread when the job was
    # already done by the time its done-callback was added (concurrent.futures)
    assert rec.threads


def test_session_on_real_threads_matches_the_synchronous_run():
    rec = Recorder()
    ex = ThreadExecutor()
    s = TraceSession(SMALL, ex, chunk_events=3000, **rec.kwargs())
    try:
        s.start()
        assert s.wait(30)
    finally:
        ex.shutdown()
    assert s.error is None
    assert rec.stages == [
        Stage.INDEXED,
        Stage.TIMELINE_READY,
        Stage.STACKS_READY,
        Stage.ANALYSES_READY,
    ]
    sync = TraceSession(SMALL, ImmediateExecutor(), chunk_events=3000)
    sync.start()
    assert s.timeline.n_spans == sync.timeline.n_spans
    assert s.timeline.n_goroutines == sync.timeline.n_goroutines
    overall = [u.overall for u in rec.progress]
    assert overall == sorted(overall)


def test_jobs_do_not_import_qt():
    import subprocess
    import sys

    code = (
        "import sys, goroscope.jobs, goroscope.model.spans;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','shiboken6','pyqtgraph')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_session_details_and_close():
    """After STACKS_READY the session re-decodes span details from its open file."""
    s = TraceSession(SMALL, ImmediateExecutor())
    assert s.details is None
    s.start()
    tl = s.timeline
    g = int(np.argmax([len(tl.goroutine_row(i)) for i in range(tl.n_goroutines)]))
    d = s.details.span(g, len(tl.goroutine_row(g)) - 1)
    assert d is not None
    assert d.gen == int(tl.goroutine_row(g).gen[-1])
    tf = s.index.tracefile
    assert not tf.closed
    s.close()
    assert tf.closed
    s.close()  # twice is fine


def test_close_while_running_closes_when_the_job_stops():
    ex = ThreadExecutor()
    gate = threading.Event()
    session: TraceSession

    def on_stage(stage):
        if stage == Stage.INDEXED:
            session.close()  # from the job thread, mid-way
            gate.set()

    session = TraceSession(SMALL, ex, on_stage=on_stage, chunk_events=1000)
    try:
        session.start()
        assert session.wait(30)
    finally:
        ex.shutdown()
    assert gate.is_set()
    assert isinstance(session.error, JobCancelled)
    assert session.index.tracefile.closed


def test_session_on_a_truncated_trace_models_what_was_read(tmp_path):
    """A damaged trace is not an error of the session: the model covers what Go read."""
    data = (TESTDATA / "traces" / "go1.26" / "cgo.trace").read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[: len(data) * 2 // 3])
    rec = Recorder()
    s = TraceSession(cut, ImmediateExecutor(), **rec.kwargs())
    s.start()
    assert s.error is None
    assert s.read_error is not None
    assert rec.stages[-1] == Stage.ANALYSES_READY
    assert s.timeline.complete
    assert s.timeline.n_spans > 0


def test_session_reports_an_unsupported_version(tmp_path):
    from goroscope.format import UnsupportedVersionError

    old = tmp_path / "go110.trace"  # Go 1.10's format: Go's reader no longer reads it
    old.write_bytes(
        b"go 1.10 trace\x00\x00\x00" + (TESTDATA / "traces/go1.21/cgo.trace").read_bytes()[16:]
    )
    rec = Recorder()
    s = TraceSession(old, ImmediateExecutor(), **rec.kwargs())
    s.start()
    assert isinstance(s.error, UnsupportedVersionError)
    assert rec.errors == [s.error]
    assert rec.stages == []
