"""The status bar's procs and threads: numbers a Go engineer can check (issue 6).

Expectations come from tracecount's JSON (``testdata/expected/*.counts.json``, Go's own
reader), from the trace's events (read by the reader the oracle tests check) and from the
timeline's proc rows, never from numbers we wrote down:

- threads are tracecount's ``threads`` on every trace (every event's ``Thread()``, also a
  thread that only starts and stops Ps, e.g. go1.21/service's M2);
- a v2 trace's procs are tracecount's ``procs``;
- an old-format (Go 1.21) trace's procs are its real Ps: tracecount's ``procs`` less the
  tracev1 parser's fake Ps (``FakeP = 1000000 + iota``) that events carry, which is also
  ``go tool trace``'s rule (Proc 0..maxProc over the ProcState transitions) and the
  number of proc rows the timeline draws.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.ui.panel_fixtures import EXPECTED, TRACES, loaded_session

import goroscope
from goroscope.model.events import EventKind, ResourceKind
from goroscope.ui.main_window import status_text
from goroscope.ui.panels.trace_source import R_PROC, TraceTimelineSource
from goroscope.ui.panels.trace_view import build_view_data

pytestmark = pytest.mark.gui

#: Go's tracev1 parser (internal/trace/internal/tracev1/parser.go): FakeP = 1000000 + iota
GO_FAKE_P = 1_000_000
# cgo-cthreads.trace: Go's reader rejects it (no timeline, no counts)
ALL = sorted(
    p
    for d in sorted(TRACES.glob("go1.2[1-9]"))
    for p in d.glob("*.trace")
    if p.stem != "cgo-cthreads"
)
LOAD_TIMEOUT_MS = 60_000


def _ids(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def _oracle(path: Path) -> dict:
    return json.loads((EXPECTED / f"{path.parent.name}-{path.stem}.counts.json").read_text())


def _counts(msg: str) -> tuple[int, int]:
    m = re.search(r": ([\d,]+) goroutines, (\d+) procs, (\d+) threads, ([\d,]+) spans", msg)
    assert m, msg
    return int(m.group(2)), int(m.group(3))


def _event_procs(path: Path) -> tuple[set[int], set[int]]:
    """(every event's Proc(), the Ps with a ProcState transition), from the events."""
    ctx: set[int] = set()
    stated: set[int] = set()
    with goroscope.open(path) as t:
        for ev in t.events():
            ctx |= set(np.unique(ev.proc).tolist())
            pm = (ev.kind == EventKind.StateTransition) & (ev.resource_kind == ResourceKind.Proc)
            stated |= set(np.unique(ev.resource_id[pm]).tolist())
    ctx.discard(-1)
    return ctx, stated


def _want(path: Path) -> tuple[int, int]:
    oracle = _oracle(path)
    if path.parent.name > "go1.21":
        return oracle["procs"], oracle["threads"]
    ctx, stated = _event_procs(path)
    fake = {p for p in ctx if p >= GO_FAKE_P}
    if path.stem == "service":  # it has some (netpoll, syscall, GC): the case that matters
        assert fake
    real = oracle["procs"] - len(fake)
    # go tool trace names Proc 0..maxProc, maxProc over the ProcState transitions
    assert real == max(stated) + 1
    return real, oracle["threads"]


@pytest.mark.parametrize("path", ALL, ids=_ids)
def test_status_counts_are_gos(path):
    s = loaded_session(path)
    tl = s.timeline
    n_p, n_m = _counts(status_text(path.name, build_view_data(tl), s))
    assert (n_p, n_m) == _want(path)
    # and the procs are the proc rows the timeline draws
    src = TraceTimelineSource(tl)
    assert n_p == int(np.count_nonzero(src.row_kind == R_PROC))


# -- in the window ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["go1.21/service", "go1.25/service"])
def test_window_status_bar(qtbot, window, name):
    path = TRACES / f"{name}.trace"
    with qtbot.waitSignal(window.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_path(path)
    qtbot.wait(1)
    msg = window.statusBar().currentMessage()
    assert msg.startswith(f"{path.name}: ")
    assert "loading" not in msg
    assert _counts(msg) == _want(path)
    src = window.view.data.source
    assert _counts(msg)[0] == int(np.count_nonzero(src.row_kind == R_PROC))
