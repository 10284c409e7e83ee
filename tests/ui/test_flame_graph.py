"""Flame-graph layout (``models.flame_data``) and item (``items.flame_graph``).

The layout is checked against a plain recursive computation of the same tree
(stacks merged by function from the root), the item's hit test against the
layout, and the view's click-to-zoom, tooltip and reset through real mouse events.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from PySide6.QtCore import Qt

from goroscope.ui.items.flame_graph import FlameGraphView, package_of
from goroscope.ui.models.flame_data import build_flame

pytestmark = pytest.mark.gui


def _random_stacks(seed: int, n: int = 60):
    rnd = random.Random(seed)
    funcs = ["main.main", "main.work", "runtime.gopark", "sync.(*Mutex).Lock", "net/http.serve",
             "main.(*T).run", "runtime.chanrecv1", "io.ReadFull"]  # fmt: skip
    stacks, values = [], []
    for _ in range(n):
        depth = rnd.randint(0, 6)
        frames = [(rnd.randint(1, 99), rnd.choice(funcs), "f.go", 1) for _ in range(depth)]
        stacks.append(frames)
        values.append(rnd.choice([0, 1, 5, 100, 12345]))
    return stacks, values


def _tree(stacks, values) -> dict:
    """{path tuple (root first): [total, self]} — the independent computation."""
    out: dict = {}
    for frames, v in zip(stacks, values, strict=True):
        if v <= 0:
            continue
        names = [f[1] for f in reversed(frames)]
        for d in range(len(names) + 1):
            o = out.setdefault(tuple(names[:d]), [0, 0])
            o[0] += v
        out[tuple(names)][1] += v
    return out


@pytest.mark.parametrize("seed", range(5))
def test_layout_equals_the_merged_tree(seed):
    stacks, values = _random_stacks(seed)
    fd = build_flame(stacks, values)
    want = _tree(stacks, values)
    got = {}
    for node in range(len(fd)):
        got[tuple(fd.path(node))] = [int(fd.value[node]), int(fd.self_value[node])]
    assert got == want
    assert fd.total == sum(v for v in values if v > 0)
    for node in range(1, len(fd)):
        p = int(fd.parent[node])
        assert fd.depth[node] == fd.depth[p] + 1
        assert fd.x0[p] <= fd.x0[node]
        assert fd.x0[node] + fd.width[node] <= fd.x0[p] + fd.width[p]
    # siblings do not overlap and are left-heavy
    for p in range(len(fd)):
        kids = np.flatnonzero(fd.parent == p)
        kids = kids[np.argsort(fd.x0[kids])]
        assert np.all(np.diff(fd.value[kids]) <= 0)
        assert np.all(fd.x0[kids][1:] >= fd.x0[kids][:-1] + fd.width[kids][:-1] - 1e-9)
    # each stack's leaf node is its path; stacks_under the root = every stack with a value
    for i, (frames, v) in enumerate(zip(stacks, values, strict=True)):
        if v > 0:
            assert fd.path(int(fd.stack_nodes[i])) == [f[1] for f in reversed(frames)]
        else:
            assert fd.stack_nodes[i] == -1
    assert set(fd.stacks_under(0).tolist()) == {i for i, v in enumerate(values) if v > 0}
    for node in range(1, len(fd)):
        under = fd.stacks_under(node)
        prefix = fd.path(node)
        want_under = [
            i
            for i, (f, v) in enumerate(zip(stacks, values, strict=True))
            if v > 0 and [x[1] for x in reversed(f)][: len(prefix)] == prefix
        ]
        assert under.tolist() == want_under


def test_package_of():
    assert package_of("net/http.(*conn).serve") == "net/http"
    assert package_of("main.main.func1") == "main"
    assert package_of("runtime.gopark") == "runtime"


@pytest.fixture
def view(qtbot):
    stacks, values = _random_stacks(3, 200)
    v = FlameGraphView(value_label=lambda x: f"{x} ns")
    qtbot.addWidget(v)
    v.resize(900, 300)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(build_flame(stacks, values))
    qtbot.wait(10)
    return v


def test_hit_test_finds_every_node(view):
    fd = view.item.data
    for node in range(len(fd)):
        x = fd.x0[node] + fd.width[node] / 2
        assert view.item.node_at(x, fd.depth[node] + 0.5) == node
    assert view.item.node_at(fd.total * 2, 0.5) == -1
    assert view.item.node_at(1, fd.max_depth + 1.5) == -1


def test_click_selects_and_zooms_double_click_resets(qtbot, view):
    fd = view.item.data
    node = int(np.flatnonzero((fd.depth == 2) & (fd.width > 0))[0])
    with qtbot.waitSignal(view.node_clicked, timeout=5000) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.view_pos_of(node))
    assert sig.args == [node]
    assert view.item.selected == node
    (x0, x1), _ = view.vb.viewRange()
    assert x0 == pytest.approx(fd.x0[node], abs=fd.total * 1e-6)
    assert x1 == pytest.approx(fd.x0[node] + fd.width[node], abs=fd.total * 1e-6)
    qtbot.wait(10)
    assert view.item.drawn_rect_count > 0
    # the tooltip names the function and its share
    tip = view.item.tooltip(node)
    assert fd.name[node] in tip
    assert f"{100 * fd.value[node] / fd.total:.1f} %" in tip
    pos = view.view_pos_of(
        node
    )  # a double click as Qt delivers it: press, release, dclick, release
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    (x0, x1), _ = view.vb.viewRange()
    assert (x0, x1) == pytest.approx((0, fd.total))


def test_hover_sets_tooltip(qtbot, view):
    fd = view.item.data
    node = int(np.argmax(np.where(fd.depth == 1, fd.width, -1)))
    qtbot.mouseMove(view.viewport(), view.view_pos_of(node))
    qtbot.waitUntil(lambda: view.item.toolTip() != "", timeout=5000)
    assert view.item.toolTip() == view.item.tooltip(node)


def test_drawn_rects_bounded_by_pixels(qtbot):
    # 20k one-frame stacks: most are narrower than a pixel and are not drawn
    stacks = [[(i, f"main.f{i}", "x.go", 1)] for i in range(20_000)]
    v = FlameGraphView()
    qtbot.addWidget(v)
    v.resize(800, 200)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(build_flame(stacks, np.ones(20_000, np.int64)))
    qtbot.waitUntil(lambda: v.item.drawn_rect_count > 0, timeout=5000)
    assert v.item.drawn_rect_count <= 2 * 800 + 1  # the root plus at most ~2 per pixel
    # zoomed into 100 of them, those 100 are drawn
    v.vb.setXRange(0, 100, padding=0)
    qtbot.waitUntil(lambda: v.item.drawn_rect_count >= 101, timeout=5000)
    assert v.item.drawn_rect_count <= 103


class _CountingMetrics:
    """Wraps the item's QFontMetrics: counts the text measurements a paint makes."""

    def __init__(self, fm) -> None:
        self.fm = fm
        self.calls = 0

    def horizontalAdvance(self, text):  # noqa: N802 - Qt's name
        self.calls += 1
        return self.fm.horizontalAdvance(text)

    def elidedText(self, text, mode, width):  # noqa: N802 - Qt's name
        self.calls += 1
        return self.fm.elidedText(text, mode, width)


def test_labels_fit_their_frames_and_repaints_measure_nothing(qtbot):
    """The CPU panel's flame graph of a real trace (thousands of samples, deep stacks):
    every drawn label is its function's name, whole when it fits the frame, else a
    prefix + "…" that fits; a repaint, and zooming back to a width seen before, lay out
    no text again (the labels are cached); a frame too narrow for a few characters gets
    no stub."""
    from tests.ui.panel_fixtures import TRACES, make_panel

    from goroscope.ui.items import flame_graph as fg
    from goroscope.ui.panels.cpu_panel import CpuPanel

    panel, _ctx = make_panel(qtbot, CpuPanel, TRACES / "go1.27/cpusamples.trace")
    qtbot.waitUntil(lambda: panel.views_shown >= 1 and not panel.busy, timeout=60_000)
    view = panel.flame
    item = view.item
    counting = _CountingMetrics(item._fm)
    item._fm = counting
    item._full_px.clear()  # (the panel may have painted already: measured from here)
    item._elided.clear()
    real = item._fm.fm
    fd = item.data
    assert fd is not None
    assert len(fd) > 100

    def paint() -> list:
        n = item.paint_count
        item.update()
        qtbot.waitUntil(lambda: item.paint_count > n, timeout=5000)
        return list(item.drawn_labels)

    def check(labels) -> None:
        (x0, x1), _ = view.vb.viewRange()
        px_per_unit = view.vb.width() / (x1 - x0)
        assert labels
        for node, text in labels:
            name = fd.name[node]
            avail = float(fd.width[node]) * px_per_unit - 1 - 6  # a 1 px gap, 3 px margins
            assert avail >= item._min_label_px - 2
            full = real.horizontalAdvance(name)
            if full <= avail - 2:
                assert text == name
            elif full > avail + 2:
                assert text.endswith("…")
                assert name.startswith(text[:-1])
                assert len(text) > 1
            assert real.horizontalAdvance(text) <= avail + 2
        # frames with room for a few characters, width rounded down, are all labelled
        wide = {
            int(n)
            for n in np.flatnonzero(
                (
                    fd.width * px_per_unit - 1
                    >= max(fg.LABEL_MIN_PX, item._min_label_px + 6 + fg.LABEL_BUCKET_PX) + 2
                )
                & (fd.x0 >= x0)
                & (fd.x0 + fd.width <= x1)
                & (fd.depth < view.vb.viewRange()[1][1] - 1)
            )
        }
        assert wide <= {n for n, _ in labels}

    first = paint()
    check(first)
    measured = counting.calls
    assert measured > 0
    assert paint() == first
    assert counting.calls == measured  # a repaint lays out no text
    # zoomed into the widest frame at depth 3: other widths, measured; back: none again
    node = int(np.argmax(np.where(fd.depth == 3, fd.width, -1)))
    view.zoom_to(node)
    zoomed = paint()
    check(zoomed)
    view.reset_zoom()
    calls = counting.calls
    assert paint() == first
    assert counting.calls == calls
