"""The state palette: every family distinct from every other, in both themes; the legend."""

from __future__ import annotations

import itertools

import pytest

from goroscope.ui.theme import FAMILY_NAMES, LegendWidget, Palette, StateFamily, text_color_for

pytestmark = pytest.mark.gui


def _lab_distance(a, b) -> float:
    """Approximate perceptual distance (CIE76 on sRGB→Lab)."""

    def lab(c):
        def lin(v):
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = lin(c.redF()), lin(c.greenF()), lin(c.blueF())
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

        def f(t):
            return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b), strict=True)) ** 0.5


@pytest.mark.parametrize("dark", [False, True])
def test_families_are_distinguishable(qapp, dark):
    pal = Palette(dark=dark)
    fams = [f for f in StateFamily if f is not StateFamily.UNKNOWN]
    for a, b in itertools.combinations(fams, 2):
        assert _lab_distance(pal.color(a), pal.color(b)) > 15, (a.name, b.name)


def test_table_and_unknown_codes(qapp):
    pal = Palette()
    table = pal.table([StateFamily.SYSCALL, StateFamily.RUNNING])
    assert table[0] == pal.color(StateFamily.SYSCALL)
    assert pal.color(99) == pal.color(StateFamily.UNKNOWN)
    assert set(FAMILY_NAMES) == set(StateFamily)


def test_text_colour_contrast(qapp):
    pal = Palette()
    assert text_color_for(pal.color(StateFamily.EXITED)).lightness() == 255
    assert text_color_for(pal.color(StateFamily.BLOCKED_CHAN_RECV)).lightness() == 0


def test_legend_has_a_swatch_per_family(qtbot):
    w = LegendWidget(Palette())
    qtbot.addWidget(w)
    assert len(w.swatches) == len(StateFamily) - 1


@pytest.mark.parametrize("dark", [False, True])
def test_legend_swatches_show_what_is_drawn(qtbot, dark):
    """Spans: a box of their colour. The exit: a thin tick of the exited colour on the
    background; "state unknown": a dashed line of its colour (drawn pixmaps)."""
    pal = Palette(dark=dark)
    w = LegendWidget(pal)
    qtbot.addWidget(w)
    assert StateFamily.CREATED not in w.swatches  # no span of a real trace is "created"
    assert pal.color(StateFamily.RUNNING).name() in w.swatches[StateFamily.RUNNING].styleSheet()
    for fam in (StateFamily.EXITED, StateFamily.UNKNOWN):
        img = w.swatches[fam].pixmap().toImage()
        colours = {img.pixel(x, y) for x in range(img.width()) for y in range(img.height())}
        assert colours == {pal.color(fam).rgb(), pal.background.rgb()}, fam
        ink = sum(
            img.pixel(x, y) == pal.color(fam).rgb()
            for x in range(img.width())
            for y in range(img.height())
        )
        assert 0 < ink < img.width() * img.height() / 4, fam  # a mark, not a box
    assert w.names[StateFamily.EXITED].text() == "exit"
    assert w.swatches[StateFamily.UNKNOWN].toolTip()


#: Families drawn as filled spans on the timeline (CREATED: no real span; UNKNOWN: a
#: dashed line; CPU_SAMPLE / EXITED: ticks, checked on their own below).
_SPAN_FAMILIES = [
    f
    for f in StateFamily
    if f
    not in (StateFamily.CREATED, StateFamily.UNKNOWN, StateFamily.CPU_SAMPLE, StateFamily.EXITED)
]


@pytest.mark.parametrize("dark", [False, True])
def test_span_colours_stand_out_from_the_background(qapp, dark):
    """Every span colour, and its merged-run variant, keeps a contrast ratio with the
    timeline's background (light theme: sleep, sweep, user regions merged were 1.08–1.22,
    i.e. invisible; dark theme: GC mark phases 1.55); merged variants stay apart from
    each other (a mixed run still names its dominant state)."""
    from goroscope.ui.theme import contrast_ratio, merged_color

    pal = Palette(dark=dark)
    bg = pal.background
    for f in _SPAN_FAMILIES:
        assert contrast_ratio(pal.color(f), bg) >= 1.8, f.name
        assert contrast_ratio(merged_color(pal.color(f)), bg) >= 1.5, f.name
    for a, b in itertools.combinations(_SPAN_FAMILIES, 2):
        d = _lab_distance(merged_color(pal.color(a)), merged_color(pal.color(b)))
        assert d > 15, (a.name, b.name)
    for f in (StateFamily.CPU_SAMPLE, StateFamily.EXITED, StateFamily.UNKNOWN):  # thin marks
        assert contrast_ratio(pal.color(f), bg) >= 4.5, f.name


def test_contrast_ratio_matches_wcag_reference_values(qapp):
    from PySide6.QtGui import QColor

    from goroscope.ui.theme import contrast_ratio

    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
