"""``goroscope.open`` and the session on old-format traces (issue 7): the same API as v2.

Expected values come from the Go oracle's JSON (testdata/expected), never from us.
"""

from __future__ import annotations

import pytest
from tests.v1.conftest import TESTDATA, expected

import goroscope
from goroscope.format.errors import TraceFormatError

ANNOTATIONS = TESTDATA / "traces/go1.21/annotations.trace"


def test_open_reads_an_old_trace_like_a_new_one():
    want_counts = expected("go1.21-annotations", "counts")
    want_summary = expected("go1.21-annotations", "summary")
    with goroscope.open(ANNOTATIONS) as t:
        assert t.version == "go1.21"
        assert t.error is None
        assert t.lost is None
        assert t.num_events == want_counts["events"]
        assert t.start_ns == want_summary["first_ns"]
        assert t.end_ns == want_summary["last_ns"]
        assert len(t.generations) == 1
        assert int(t.generations.events[0]) == want_counts["events"] - 1  # final Sync: none
        assert int(t.goroutines.in_context.sum()) == want_counts["goroutines"]
        assert int(t.procs.in_context.sum()) == want_counts["procs"]
        kinds = want_counts["by_kind"]
        assert len(t.tasks()) == kinds.get("TaskBegin", 0) + kinds.get("TaskEnd", 0) > 0
        st = t.state_transitions()
        # every stack referenced by a transition resolves through the one v1 generation
        sid = st.transition_stack_id
        k = int((sid != 0).argmax())
        frames = t.stack(int(sid[k]), int(st.gen_idx[k]))
        assert frames
        assert all(f.func for f in frames)
        assert t.stats()["events"] == want_counts["events"]


def test_open_raises_where_go_rejects_the_old_trace():
    with pytest.raises(TraceFormatError) as ei:
        goroscope.open(TESTDATA / "traces/go1.21/cgo-cthreads.trace")
    assert ei.value.message == expected("go1.21-cgo-cthreads", "counts")["error"]
    assert ei.value.offset is not None


def test_session_builds_a_timeline_of_an_old_trace():
    from goroscope.jobs import ImmediateExecutor, Stage, TraceSession

    errors = []
    s = TraceSession(ANNOTATIONS, ImmediateExecutor(), on_error=errors.append)
    s.start()
    assert errors == []
    assert s.error is None
    assert s.stage >= Stage.TIMELINE_READY
    assert s.timeline.complete
    assert s.timeline.n_spans > 0
    s.close()
