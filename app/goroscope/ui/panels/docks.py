"""Dock panels around the timeline: registry, creation and layout persistence (GUI thread).

Every linked panel (issue #9) is a ``QWidget`` subclass registered in :data:`PANELS`
and constructed as ``cls(ctx)`` with a :class:`PanelContext`. Panels never call each
other: they read the trace through ``ctx.window.session`` (``timeline``, ``details``)
and write only to ``ctx.selection`` (``set`` to select, ``reveal`` for "go to" links);
long work goes through ``ctx.bridge`` (a :class:`~goroscope.ui.bridge.JobBridge`).

Lifecycle signals a panel connects to in its ``__init__`` (all on the GUI thread):

* ``ctx.window.path_opened(str)`` — a new trace starts loading: drop what you show;
* ``ctx.window.loaded()`` — the complete model is shown (``window.session.timeline``
  complete, ``window.session.details`` available): fill in;
* ``ctx.selection.changed(old, new)`` — follow the selection.

Layout: every dock is tabbed in one right-hand column (``RIGHT_WIDTH_PX``), its
tabs down the column's left edge (seven titles fit there, not across 360 px), so
the timeline keeps the window's full height (a bottom row of docks left its rows
~330 px of a 1440×900 window) and most of its width. ``BOTTOM_HEIGHT_PX`` sizes
docks moved to the bottom. View → Panels toggles each dock (its ``toggleViewAction``)
and resets the layout. The layout (docked / floating / tabbed / sizes: Qt's
``saveState``) is saved in the window's ``QSettings`` (``window._settings``, key
``LAYOUT_KEY``) when the window closes and restored by :func:`install_panels`
(:class:`LayoutKeeper`, an event filter on the window: no change to the window's
own code). Themes: :func:`goroscope.ui.theme.apply_system_theme` (dark or light,
following the system).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTabWidget

from goroscope.ui import theme

if TYPE_CHECKING:
    from goroscope.ui.bridge import JobBridge
    from goroscope.ui.selection import SelectionModel

_R = Qt.DockWidgetArea.RightDockWidgetArea
_B = Qt.DockWidgetArea.BottomDockWidgetArea

#: (object name, title, module, class, initial area). A module that does not exist yet
#: is skipped (panels land one by one); any other import error is raised.
PANELS: list[tuple[str, str, str, str, Qt.DockWidgetArea]] = [
    ("stacks", "Stacks", "goroscope.ui.panels.stacks_panel", "StacksPanel", _R),
    (
        "goroutine_events",
        "Goroutine events",
        "goroscope.ui.panels.events_panel",
        "GoroutineEventsPanel",
        _R,
    ),
    ("goroutines", "Goroutines", "goroscope.ui.panels.goroutines_panel", "GoroutinesPanel", _R),
    ("tasks", "Tasks, regions", "goroscope.ui.panels.tasks_panel", "TasksPanel", _R),
    ("logs", "Logs", "goroscope.ui.panels.logs_panel", "LogsPanel", _R),
    ("blocking", "Blocking", "goroscope.ui.panels.blocking_panel", "BlockingPanel", _R),
    ("cpu", "CPU", "goroscope.ui.panels.cpu_panel", "CpuPanel", _R),
]


#: initial size of the right dock column and of the bottom dock row (px)
RIGHT_WIDTH_PX = 360
BOTTOM_HEIGHT_PX = 240
PANEL_MIN_PX = (160, 90)
#: QSettings key of the saved layout; bump LAYOUT_VERSION when the dock set changes shape
LAYOUT_KEY = "panels/layout"
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class PanelContext:
    """What a panel gets: the main window (session, signals), the shared selection, a
    job bridge for background work."""

    window: QMainWindow
    selection: SelectionModel
    bridge: JobBridge


def install_panels(window: QMainWindow, ctx: PanelContext) -> dict[str, QDockWidget]:
    """Create one ``QDockWidget`` per registered panel (object name = ``dock_<name>``, so
    ``saveState``/``restoreState`` find them), tabify docks sharing an area, size them,
    add View → Panels, restore the saved layout and save it when the window closes."""
    theme.apply_system_theme()
    docks: dict[str, QDockWidget] = {}
    first_in_area: dict[Qt.DockWidgetArea, QDockWidget] = {}
    for name, title, module, cls_name, area in PANELS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name == module:
                continue
            raise
        panel = getattr(mod, cls_name)(ctx)
        # a panel's own minimum (long labels, many buttons) must not widen the window or
        # squeeze the timeline at 1280×800: an explicit minimum overrides its hint
        panel.setMinimumSize(*PANEL_MIN_PX)
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(panel)
        # a tab raised in the dock column: the panel is told (its own showEvent does not
        # come: tabbed docks stay "visible" behind the current tab)
        if hasattr(panel, "on_dock_visible"):
            dock.visibilityChanged.connect(panel.on_dock_visible)
        window.addDockWidget(area, dock)
        if area in first_in_area:
            window.tabifyDockWidget(first_in_area[area], dock)
        else:
            first_in_area[area] = dock
        docks[name] = dock
    for dock in first_in_area.values():
        dock.raise_()
    window.setTabPosition(_R, QTabWidget.TabPosition.West)
    window.setDockOptions(
        window.dockOptions()
        | QMainWindow.DockOption.AnimatedDocks
        | QMainWindow.DockOption.AllowTabbedDocks
        | QMainWindow.DockOption.AllowNestedDocks
    )
    _default_sizes(window, first_in_area)
    keeper = LayoutKeeper(window, docks, first_in_area)
    window.installEventFilter(keeper)
    _add_panels_menu(window, docks, keeper)
    keeper.restore()
    return docks


def _default_sizes(window: QMainWindow, first_in_area: dict) -> None:
    right = first_in_area.get(_R)
    bottom = first_in_area.get(_B)
    if right is not None:
        window.resizeDocks([right], [RIGHT_WIDTH_PX], Qt.Orientation.Horizontal)
    if bottom is not None:
        window.resizeDocks([bottom], [BOTTOM_HEIGHT_PX], Qt.Orientation.Vertical)


def _view_menu(window: QMainWindow) -> QMenu:
    for act in window.menuBar().actions():
        m = act.menu()
        if m is not None and act.text().replace("&", "") == "View":
            return m
    return window.menuBar().addMenu("&View")


def _add_panels_menu(window: QMainWindow, docks: dict[str, QDockWidget], keeper) -> QMenu:
    view = _view_menu(window)
    view.addSeparator()
    menu = view.addMenu("&Panels")
    menu.setObjectName("menu_panels")
    for dock in docks.values():
        act = dock.toggleViewAction()
        act.setText(dock.windowTitle())
        menu.addAction(act)
    menu.addSeparator()
    reset = QAction("&Reset layout", window)
    reset.setObjectName("action_reset_layout")
    reset.triggered.connect(keeper.reset)
    menu.addAction(reset)
    return menu


class LayoutKeeper(QObject):
    """Saves the dock layout in the window's QSettings when it closes; restores and
    resets it (GUI thread)."""

    def __init__(self, window: QMainWindow, docks: dict, first_in_area: dict) -> None:
        super().__init__(window)
        self._window = window
        self._docks = docks
        self._first = first_in_area
        self._default = window.saveState(LAYOUT_VERSION)

    def _settings(self):
        return getattr(self._window, "_settings", None)

    def save(self) -> None:
        s = self._settings()
        if s is not None:
            s.setValue(LAYOUT_KEY, self._window.saveState(LAYOUT_VERSION))

    def restore(self) -> bool:
        """Restore the saved layout (False when there is none or it does not fit)."""
        s = self._settings()
        state = s.value(LAYOUT_KEY) if s is not None else None
        if isinstance(state, QByteArray | bytes) and len(state):
            return bool(self._window.restoreState(QByteArray(state), LAYOUT_VERSION))
        return False

    def reset(self) -> None:
        """Back to the default layout: every dock visible, docked and tabbed, default sizes."""
        for dock in self._docks.values():
            dock.setFloating(False)
            dock.show()
        self._window.restoreState(self._default, LAYOUT_VERSION)
        for dock in self._first.values():
            dock.raise_()
        _default_sizes(self._window, self._first)

    @theme.never_raises
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self._window and event.type() == QEvent.Type.Close:
            self.save()
        return False
