"""Which goroutine groups start expanded (issue 6).

A flight-recorder snapshot is full of small groups of goroutines that live a fraction
of a millisecond: expanded, each row is a blip and a line. They start collapsed (their
header's aggregate strip shows them at a glance); small groups with a goroutine that
lives long start expanded, the ones with the most goroutine time per row first, while a
row budget lasts. The expected choice is recomputed here in plain Python from the
model's per-goroutine rows (``Timeline.goroutine_row``, ``regions_of``), not from the
goroutine table's columns the source reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from tests.ui.panel_fixtures import TRACES, loaded_session

from goroscope.jobs import ImmediateExecutor, TraceSession
from goroscope.model.timeline import KIND_EXITED
from goroscope.ui.main_window import MainWindow
from goroscope.ui.panels import trace_source
from goroscope.ui.panels.trace_source import (
    COLLAPSE_ABOVE,
    MAX_REGION_DEPTH,
    R_GROUP,
    SHORT_LIVED,
    TraceTimelineSource,
)

pytestmark = pytest.mark.gui

FLIGHT = [TRACES / f"go1.{v}/flightrecorder.trace" for v in (25, 26, 27)]
SERVICE = [TRACES / f"go1.{v}/service.trace" for v in (21, 22, 25)]
LOAD_TIMEOUT_MS = 60_000


def _ids(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def _group_facts(tl, members) -> tuple[list[int], int]:
    """(time alive of each goroutine, rows the expanded group adds), from its spans."""
    dur = max(int(tl.covered_ns), 1)
    alive, rows = [], 0
    for g in members.tolist():
        row = tl.goroutine_row(g)
        start = int(row.start_ns[0])
        end = int(row.start_ns[-1]) if int(row.kind[-1]) == KIND_EXITED else dur
        alive.append(max(end - start, 0))
        depth = tl.regions_of(g).depth
        rows += 1 + (min(int(depth.max()), MAX_REGION_DEPTH) + 1 if len(depth) else 0)
    return alive, rows


def _expected(tl, src, budget: int) -> dict[int, bool]:
    """Group index → starts expanded, by the documented rule, for groups with a header."""
    dur = max(int(tl.covered_ns), 1)
    want, ranked = {}, []
    for k, members in enumerate(src.group_members):
        if len(members) < 2:
            continue
        want[k] = False
        if len(members) > COLLAPSE_ABOVE:
            continue
        alive, rows = _group_facts(tl, members)
        ranked.append((-sum(alive) / rows, k, max(alive), rows))
    for _, k, longest, rows in sorted(ranked):
        if longest >= SHORT_LIVED * dur and rows <= budget:
            want[k] = True
            budget -= rows
    return want


def _got(src) -> dict[int, bool]:
    return {k: src.group_expanded(k) for k, m in enumerate(src.group_members) if len(m) > 1}


@pytest.mark.parametrize("path", FLIGHT + SERVICE, ids=_ids)
def test_default_expansion_follows_the_rule(path):
    tl = loaded_session(path).timeline
    src = TraceTimelineSource(tl)
    assert _got(src) == _expected(tl, src, trace_source.DEFAULT_EXPAND_ROWS)
    # the layout shows exactly the members of the expanded groups
    for k, members in enumerate(src.group_members):
        shown = src._g_row[members] >= 0
        assert shown.all() if src.group_expanded(k) else not shown.any()


@pytest.mark.parametrize("path", FLIGHT, ids=_ids)
def test_flight_recorder_blip_groups_start_collapsed(path):
    tl = loaded_session(path).timeline
    src = TraceTimelineSource(tl)
    dur = tl.covered_ns
    blips = 0
    for k, members in enumerate(src.group_members):
        if not 1 < len(members) <= COLLAPSE_ABOVE:
            continue
        alive, _ = _group_facts(tl, members)
        if max(alive) < SHORT_LIVED * dur:
            blips += 1
            assert not src.group_expanded(k), src.group_names[k]
        else:
            assert src.group_expanded(k), src.group_names[k]
    assert blips >= 3  # WithDeadlineCause.func2, pipeline.func1/func3, timers.func1, ...


def test_row_budget_goes_to_the_busiest_groups(monkeypatch):
    """With a smaller budget the groups with the least goroutine time per row lose."""
    tl = loaded_session(TRACES / "go1.25/service.trace").timeline
    full = TraceTimelineSource(tl)
    monkeypatch.setattr(trace_source, "DEFAULT_EXPAND_ROWS", 20)
    src = TraceTimelineSource(tl)
    got = _got(src)
    assert got == _expected(tl, src, 20)
    # some long-lived group the full budget expands is collapsed by the small one
    assert any(full.group_expanded(k) and not v for k, v in got.items())
    rows = sum(_group_facts(tl, src.group_members[k])[1] for k, v in got.items() if v)
    assert 0 < rows <= 20


def test_user_choices_carry_over_snapshots():
    path = TRACES / "go1.27/flightrecorder.trace"
    got: list = []
    s = TraceSession(str(path), ImmediateExecutor(), on_timeline=got.append)
    s.start()
    assert s.wait(120)
    if not got or got[-1] is not s.timeline:
        got.append(s.timeline)
    first = TraceTimelineSource(got[0])
    choices = {}
    for k, name in enumerate(first.group_names):
        if len(first.group_members[k]) > 1 and len(choices) < 4:
            choices[name] = not first.group_expanded(k)  # flip the default
            first.set_group_expanded(k, choices[name])
    assert choices
    prev = first
    for tl in got[1:] + [got[-1]]:
        src = TraceTimelineSource(tl, prev)
        assert src._expanded == choices  # only the user's choices, untouched
        for k, name in enumerate(src.group_names):
            if name in choices:
                assert src.group_expanded(k) == choices[name]
        prev = src


def test_flight_recorder_first_screen_shows_every_group(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    try:
        with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
            win.open_path(TRACES / "go1.27/flightrecorder.trace")
        qtbot.wait(1)
        timeline = win.view.timeline
        src = win.view.data.source
        headers = np.flatnonzero(src.row_kind == R_GROUP).tolist()
        visible = timeline.visible_rows()
        assert headers
        assert all(r in visible for r in headers)
        # a collapsed header draws its group's aggregate strip
        qtbot.waitUntil(lambda: src.stats is not None, timeout=LOAD_TIMEOUT_MS)
        collapsed = [r for r in headers if not src.group_expanded(int(src.row_res[r]))]
        assert collapsed
        for r in collapsed:
            agg = src.aggregate(r)
            assert agg is not None
            assert agg[2].sum() > 0
        shot = tmp_path / "groups.png"
        assert win.grab().save(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        if win.session is not None:
            win.session.cancel()
            win.session.wait(30)
