"""State colours and the legend (GUI thread only for the widget; the palette is plain data).

One colour per *state family* a span can be drawn in: running, runnable, each
blocking-reason family, syscall, GC assist, sweep, created, exited. Go's many
block reasons fold into these families when the model is wired (``chan send``,
``chan receive``, ``select``, ``sync`` (Mutex, RWMutex, WaitGroup, Cond, Once),
``network``, ``sleep``, ``other`` waits). gotraceui paints every blocked state
in shades of one red (``colors.go``: hue 23.89 in OKLCH, lightness steps); we
need the families told apart at a glance, so blocking states get distinct warm
hues, the scheduler states cool ones, GC purples, and lifecycle greys:

* running green and runnable cyan, as in gotraceui (``0x448844``, ``0x4BACB8``);
* blocking: reds/oranges/pinks/browns, each family its own hue;
* syscall blue (in the kernel, not blocked on a Go object: its own hue);
* sleep a quiet sand (long, common, rarely interesting);
* GC assist / sweep purple and lavender (gotraceui's GC ``0x9C6FD6``);
* exited near-black (gotraceui's "done"): the exit is drawn as a thin tick, and nothing
  where a goroutine does not exist; "state unknown" (a goroutine alive before its first
  event) a neutral grey, drawn dashed; created pale (the demo's spans only: a real
  goroutine's creation is where its first span begins, so the legend leaves it out).

Each colour has a light-theme and a dark-theme variant. :func:`text_color_for`
picks black or white label text by luminance.

Dark or light follows the system: :func:`system_is_dark` reads Qt's colour scheme
(``QStyleHints.colorScheme``, Qt ≥ 6.5) or, when the platform does not say, the
lightness of the application palette's window colour; ``GOROSCOPE_THEME=dark|light``
overrides it (screenshots, tests). ``Palette()`` without ``dark=`` takes the system's
choice; :func:`apply_system_theme` gives the widgets a matching Qt palette when the
override asks for one the platform does not provide; :class:`ThemeWatcher` emits
``changed(dark)`` when the system switches while the app runs.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QWidget

#: environment override of the system's colour scheme: "dark", "light" (else: system)
THEME_ENV = "GOROSCOPE_THEME"


def never_raises(event_filter: Callable[..., bool]) -> Callable[..., bool]:
    """Decorate a Qt ``eventFilter(self, obj, event)``: an exception from its body is
    reported through ``sys.excepthook`` and the event left unfiltered (``False``).

    Nothing may raise out of an event filter: with PySide 6.11.3 the process segfaults
    right after (the full bench_gui child did, its filter raising on every paint; a
    20-line script with a filter raising on a key press does too). Lives here, the
    bottom ``ui`` layer, so panels, items and this module share it."""

    @functools.wraps(event_filter)
    def guarded(self, obj, event) -> bool:
        try:
            return bool(event_filter(self, obj, event))
        except Exception:  # noqa: BLE001 - reported, never out of the filter
            sys.excepthook(*sys.exc_info())
            return False

    return guarded


class StateFamily(IntEnum):
    """Colour families of span states (also the demo's state codes)."""

    RUNNING = 0
    RUNNABLE = 1
    BLOCKED_SYNC = 2
    BLOCKED_CHAN_SEND = 3
    BLOCKED_CHAN_RECV = 4
    BLOCKED_SELECT = 5
    BLOCKED_NET = 6
    SLEEP = 7
    SYSCALL = 8
    GC_ASSIST = 9
    SWEEP = 10
    WAITING_OTHER = 11
    CREATED = 12
    EXITED = 13
    UNKNOWN = 14
    GC = 15
    STW = 16
    REGION = 17
    CPU_SAMPLE = 18
    WAITING = 19  # waiting for any reason: group strips and the goroutine-count plot


#: Human names, as shown in tooltips and the legend.
FAMILY_NAMES: dict[StateFamily, str] = {
    StateFamily.RUNNING: "running",
    StateFamily.RUNNABLE: "runnable",
    StateFamily.BLOCKED_SYNC: "blocked: sync",
    StateFamily.BLOCKED_CHAN_SEND: "blocked: chan send",
    StateFamily.BLOCKED_CHAN_RECV: "blocked: chan recv",
    StateFamily.BLOCKED_SELECT: "blocked: select",
    StateFamily.BLOCKED_NET: "blocked: network",
    StateFamily.SLEEP: "sleep",
    StateFamily.SYSCALL: "syscall",
    StateFamily.GC_ASSIST: "GC assist",
    StateFamily.SWEEP: "sweep",
    StateFamily.WAITING_OTHER: "waiting (other)",
    StateFamily.CREATED: "created",
    StateFamily.EXITED: "exited",
    StateFamily.UNKNOWN: "state unknown",
    StateFamily.GC: "GC (mark phase)",
    StateFamily.STW: "stop-the-world",
    StateFamily.REGION: "user region",
    StateFamily.CPU_SAMPLE: "CPU sample",
    StateFamily.WAITING: "waiting",
}

# (light, dark) hex per family. Chosen for distinct hues and similar weight;
# checked side by side in the legend on both backgrounds, and against the background
# (tests/ui/test_theme.py: contrast ratio ≥ 1.8, merged variant ≥ 1.5 — sleep, sweep,
# user region and their merged runs nearly vanished on the light background, GC mark
# phases on the dark one).
_COLORS: dict[StateFamily, tuple[str, str]] = {
    StateFamily.RUNNING: ("#3f9a4a", "#5cbf63"),
    StateFamily.RUNNABLE: ("#4bacb8", "#5ec8d4"),
    StateFamily.BLOCKED_SYNC: ("#c0392b", "#e0574a"),
    StateFamily.BLOCKED_CHAN_SEND: ("#e67e22", "#f39a45"),
    StateFamily.BLOCKED_CHAN_RECV: ("#cca20a", "#f0c929"),
    StateFamily.BLOCKED_SELECT: ("#d35fa0", "#e884bc"),
    StateFamily.BLOCKED_NET: ("#8e5a3c", "#b57b58"),
    StateFamily.SLEEP: ("#cdb889", "#8c8062"),
    StateFamily.SYSCALL: ("#3f6fbf", "#6d96e0"),
    StateFamily.GC_ASSIST: ("#8e5cc8", "#a97fe0"),
    StateFamily.SWEEP: ("#b9a0de", "#8f7bb3"),
    StateFamily.WAITING_OTHER: ("#a3a3a3", "#6f6f6f"),
    StateFamily.CREATED: ("#cfe8c6", "#4a6b44"),
    StateFamily.EXITED: ("#2b2b2b", "#d0d0d0"),
    StateFamily.UNKNOWN: ("#6e6e6e", "#a8a8a8"),
    StateFamily.GC: ("#5b3a8c", "#6f4fb8"),
    StateFamily.STW: ("#e0115f", "#ff3d7f"),
    StateFamily.REGION: ("#8dbbe6", "#4f7fa8"),
    StateFamily.CPU_SAMPLE: ("#000000", "#ffffff"),
    # any blocking reason summed (a collapsed group's strip): a muted mauve, not the red of
    # "blocked: sync" — a net/http group waiting on the network read as mutex contention
    StateFamily.WAITING: ("#9a6a78", "#b88a96"),
}


#: What the legend lists, in this order: every family the timeline draws. ``CREATED`` is
#: left out (no span of a real trace has it: a goroutine's first span is its creation);
#: ``WAITING`` (the group strips' "waiting for any reason") follows "waiting (other)".
LEGEND_FAMILIES: tuple[StateFamily, ...] = tuple(
    g
    for f in StateFamily
    if f not in (StateFamily.CREATED, StateFamily.WAITING)
    for g in ((f, StateFamily.WAITING) if f is StateFamily.WAITING_OTHER else (f,))
)
#: Legend text where it differs from :data:`FAMILY_NAMES` (what is drawn, not the state).
LEGEND_NAMES: dict[StateFamily, str] = {
    StateFamily.EXITED: "exit",
    StateFamily.UNKNOWN: "state unknown",
    StateFamily.WAITING: "waiting (groups)",
}
#: Tooltips of legend entries that need a sentence.
LEGEND_TIPS: dict[StateFamily, str] = {
    StateFamily.EXITED: (
        "A goroutine's exit: a thin tick. Nothing is drawn where a goroutine does not "
        "exist (before its creation, after its exit)."
    ),
    StateFamily.WAITING: (
        "A collapsed group's strip and the goroutine plot: goroutines waiting for any "
        "reason (sync, channels, select, network, sleep, …); its rows show which."
    ),
    StateFamily.UNKNOWN: (
        "Dashed: the goroutine already existed when the trace (or flight-recorder "
        "snapshot) began; its state is unknown until its first event."
    ),
}


def system_is_dark() -> bool:
    """Whether the UI should be dark: ``GOROSCOPE_THEME``, else Qt's colour scheme, else the
    application palette's window lightness (GUI thread; False without an application)."""
    forced = os.environ.get(THEME_ENV, "").strip().lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def qt_palette(dark: bool) -> QPalette:
    """A complete Qt widget palette for the dark or light theme (Fusion-style roles)."""
    p = QPalette()
    if dark:
        roles = {
            QPalette.ColorRole.Window: "#2b2d30",
            QPalette.ColorRole.WindowText: "#e6e6e6",
            QPalette.ColorRole.Base: "#1e1f22",
            QPalette.ColorRole.AlternateBase: "#26282b",
            QPalette.ColorRole.ToolTipBase: "#3c3f41",
            QPalette.ColorRole.ToolTipText: "#e6e6e6",
            QPalette.ColorRole.PlaceholderText: "#8c8c8c",
            QPalette.ColorRole.Text: "#e6e6e6",
            QPalette.ColorRole.Button: "#35373a",
            QPalette.ColorRole.ButtonText: "#e6e6e6",
            QPalette.ColorRole.BrightText: "#ff6b6b",
            QPalette.ColorRole.Light: "#4a4d50",
            QPalette.ColorRole.Midlight: "#3c3f41",
            QPalette.ColorRole.Mid: "#303234",
            QPalette.ColorRole.Dark: "#1a1b1d",
            QPalette.ColorRole.Shadow: "#000000",
            QPalette.ColorRole.Highlight: "#2f65ca",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#6ea8ff",
            QPalette.ColorRole.LinkVisited: "#b58cff",
        }
        disabled = "#7a7a7a"
    else:
        roles = {
            QPalette.ColorRole.Window: "#efefef",
            QPalette.ColorRole.WindowText: "#202020",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f5f5f2",
            QPalette.ColorRole.ToolTipBase: "#ffffdc",
            QPalette.ColorRole.ToolTipText: "#202020",
            QPalette.ColorRole.PlaceholderText: "#808080",
            QPalette.ColorRole.Text: "#202020",
            QPalette.ColorRole.Button: "#efefef",
            QPalette.ColorRole.ButtonText: "#202020",
            QPalette.ColorRole.BrightText: "#ffffff",
            QPalette.ColorRole.Light: "#ffffff",
            QPalette.ColorRole.Midlight: "#e3e3e3",
            QPalette.ColorRole.Mid: "#b8b8b8",
            QPalette.ColorRole.Dark: "#9f9f9f",
            QPalette.ColorRole.Shadow: "#767676",
            QPalette.ColorRole.Highlight: "#308cc6",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#0b57d0",
            QPalette.ColorRole.LinkVisited: "#7b1fa2",
        }
        disabled = "#9a9a9a"
    for role, c in roles.items():
        p.setColor(role, QColor(c))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):  # fmt: skip
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return p


def apply_system_theme(app: QApplication | None = None) -> bool:
    """Give the widgets the palette of :func:`system_is_dark` when the platform's palette
    does not match it (a ``GOROSCOPE_THEME`` override, or a platform without a dark
    palette); returns whether the theme is dark. GUI thread."""
    app = app or QApplication.instance()
    dark = system_is_dark()
    if app is None:
        return dark
    have_dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    if have_dark != dark:
        if dark and hasattr(app, "setStyle"):
            app.setStyle("Fusion")  # the platform styles draw light chrome otherwise
        app.setPalette(qt_palette(dark))
    return dark


class ThemeWatcher(QObject):
    """Emits ``changed(dark)`` when the system colour scheme (or the app palette) flips
    between dark and light while the app runs (GUI thread)."""

    changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, watch: QObject | None = None) -> None:
        """``watch``: a top-level widget whose palette-change events to follow (every widget
        gets ``ApplicationPaletteChange``); default the application itself — an event filter
        that sees every event of the process, too costly for the main window's lifetime."""
        super().__init__(parent)
        self.dark = system_is_dark()
        app = QGuiApplication.instance()
        self._watched = watch if watch is not None else app
        # The check (and the re-theme its signal starts) runs in its own event-loop turn:
        # Qt sends ApplicationPaletteChange / colorSchemeChanged while it walks a copy of
        # every widget; re-theming there (stylesheets, plot backgrounds, Python garbage
        # collection deleting a dead window's widgets) crashed the GUI test suite in
        # QApplication.setPalette. A child timer dies with the watcher (no stray call).
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self._check)
        if app is not None:
            app.styleHints().colorSchemeChanged.connect(self._schedule)
        if self._watched is not None:
            self._watched.installEventFilter(self)

    def _schedule(self, *_args) -> None:
        self._pending.start()

    def _check(self, *_args) -> None:
        dark = system_is_dark()
        if dark != self.dark:
            self.dark = dark
            self.changed.emit(dark)

    @never_raises
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self._watched and event.type() == QEvent.Type.ApplicationPaletteChange:
            self._schedule()
        return False


class Palette:
    """Colours of one theme (``dark=False`` for light backgrounds; ``None``: the system's,
    :func:`system_is_dark`)."""

    def __init__(self, dark: bool | None = None) -> None:
        if dark is None:
            dark = system_is_dark()
        self.dark = dark
        k = 1 if dark else 0
        self._colors = {f: QColor(c[k]) for f, c in _COLORS.items()}
        self.background = QColor("#1e1f22" if dark else "#fdfdf8")
        self.foreground = QColor("#e6e6e6" if dark else "#202020")
        self.grid = QColor("#3a3b3f" if dark else "#e4e4dc")
        self.selection = QColor("#ff00ff")
        self.range_fill = QColor(90, 140, 230, 60)

    def color(self, family: StateFamily | int) -> QColor:
        """The colour of ``family`` (unknown codes → the UNKNOWN colour)."""
        try:
            return QColor(self._colors[StateFamily(family)])
        except ValueError:
            return QColor(self._colors[StateFamily.UNKNOWN])

    def table(self, families: Sequence[StateFamily | int]) -> list[QColor]:
        """Colour per state *code*: ``table(f)[code] == color(f[code])``."""
        return [self.color(f) for f in families]

    def default_table(self) -> list[QColor]:
        """Colour per :class:`StateFamily` value (codes == families, as in the demo)."""
        return self.table(list(StateFamily))


def merged_color(color: QColor) -> QColor:
    """The variant of a state colour for merged runs (many spans under 2 px): paler — 70 %
    of the saturation, the same value — so it reads as "a mix" next to a solid span in
    both themes without fading into a light background (``lighter(125)`` took sleep,
    sweep and user regions to within 1.1–1.2 contrast of it)."""
    h, s, v, a = color.getHsvF()
    return QColor.fromHsvF(max(h, 0.0), s * 0.7, min(1.0, v * 1.04), a)


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 = identical luminance, 21 = black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def text_color_for(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background`` (relative luminance)."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * lin(background.redF())
        + 0.7152 * lin(background.greenF())
        + 0.0722 * lin(background.blueF())
    )
    return QColor(Qt.GlobalColor.black) if lum > 0.22 else QColor(Qt.GlobalColor.white)


class LegendWidget(QWidget):
    """A grid of colour swatches with state names (GUI thread only)."""

    def __init__(
        self,
        palette: Palette,
        families: Sequence[StateFamily] | None = None,
        columns: int = 5,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        fams = list(families) if families is not None else list(LEGEND_FAMILIES)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.swatches: dict[StateFamily, QLabel] = {}
        self.names: dict[StateFamily, QLabel] = {}
        for i, fam in enumerate(fams):
            sw = QLabel()
            sw.setFixedSize(14, 12)
            name = QLabel(LEGEND_NAMES.get(fam, FAMILY_NAMES[fam]))
            tip = LEGEND_TIPS.get(fam)
            if tip:
                sw.setToolTip(tip)
                name.setToolTip(tip)
            r, c = divmod(i, columns)
            grid.addWidget(sw, r, 2 * c)
            grid.addWidget(name, r, 2 * c + 1)
            self.swatches[fam] = sw
            self.names[fam] = name
        grid.setColumnStretch(2 * columns, 1)
        self.set_palette(palette)

    def set_family_shown(self, family: StateFamily, shown: bool) -> None:
        """Show or hide one entry (a family the trace cannot have: CPU samples in a
        trace recorded without a CPU profile). Hidden entries are listed last, so no
        gap opens in the grid."""
        if family in self.swatches:
            self.swatches[family].setVisible(shown)
            self.names[family].setVisible(shown)

    def shown_families(self) -> list[StateFamily]:
        """The entries listed now (not hidden by :meth:`set_family_shown`)."""
        return [f for f, sw in self.swatches.items() if not sw.isHidden()]

    def set_palette(self, palette: Palette) -> None:
        """Recolour the swatches (a theme switch). A swatch shows what is drawn: a filled
        box for a state's spans, the exit's thin tick, the dashed "state unknown" line."""
        for fam, sw in self.swatches.items():
            color = palette.color(fam)
            if fam in (StateFamily.EXITED, StateFamily.UNKNOWN):
                sw.setStyleSheet(f"background: {palette.background.name()}; border: none;")
                sw.setPixmap(_mark_swatch(fam, color, palette.background, sw.size()))
            else:
                sw.setStyleSheet(f"background: {color.name()}; border: 1px solid #777;")


def _mark_swatch(family: StateFamily, color: QColor, background: QColor, size) -> QPixmap:
    """A legend swatch drawn like the timeline's mark (the exit tick, the dashed line)."""
    pm = QPixmap(size)
    pm.fill(background)
    p = QPainter(pm)
    w, h = pm.width(), pm.height()
    if family is StateFamily.EXITED:
        p.fillRect(w // 2 - 1, 1, 2, h - 2, color)  # EXIT_TICK_PX wide, the bar's height
    else:
        for x in range(0, w, 7):  # 4 px dashes every 7 px, 2 px high (span_track's)
            p.fillRect(x, h // 2 - 1, min(4, w - x), 2, color)
    p.end()
    return pm
