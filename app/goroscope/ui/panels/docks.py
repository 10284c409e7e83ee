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
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

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
    ("goroutines", "Goroutines", "goroscope.ui.panels.goroutines_panel", "GoroutinesPanel", _B),
    ("tasks", "Tasks & regions", "goroscope.ui.panels.tasks_panel", "TasksPanel", _B),
    ("logs", "Logs", "goroscope.ui.panels.logs_panel", "LogsPanel", _B),
    ("blocking", "Blocking", "goroscope.ui.panels.blocking_panel", "BlockingPanel", _B),
    ("cpu", "CPU", "goroscope.ui.panels.cpu_panel", "CpuPanel", _B),
]


@dataclass(frozen=True)
class PanelContext:
    """What a panel gets: the main window (session, signals), the shared selection, a
    job bridge for background work."""

    window: QMainWindow
    selection: SelectionModel
    bridge: JobBridge


def install_panels(window: QMainWindow, ctx: PanelContext) -> dict[str, QDockWidget]:
    """Create one ``QDockWidget`` per registered panel (object name = registry name, so
    ``saveState``/``restoreState`` find them) and tabify docks sharing an area."""
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
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(panel)
        window.addDockWidget(area, dock)
        if area in first_in_area:
            window.tabifyDockWidget(first_in_area[area], dock)
        else:
            first_in_area[area] = dock
        docks[name] = dock
    for dock in first_in_area.values():
        dock.raise_()
    return docks
