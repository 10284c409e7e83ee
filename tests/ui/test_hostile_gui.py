"""Hostile input through the GUI's open path, and the trace file is never written.

* Damaged files (truncations and seeded mutants from ``tests/hostile/harness.py``) end in
  the damage banner (when ``goroscope.stats`` finds an error) or a non-modal dialog with a
  plain message — never a traceback, never an exception escaping into Qt (pytest-qt fails
  the test on one).
* A whole session (open, load, keys, click, sort, close) and the CLI commands leave the
  trace's content, size, mode and mtime unchanged; a Python audit hook sees every ``open``
  and ``mmap`` of the file during the GUI session and checks they are read-only.
* A file with mode 0444 and a file on a read-only mount (``unshare -m``, a read-only bind
  mount; skipped where that is not allowed) open fine in the GUI and the CLI.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from tests.hostile.harness import load_sources, mutate, truncation_offsets

import goroscope

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / "testdata" / "traces"
LOAD_TIMEOUT_MS = 60_000


# -- read-only audit: one process-wide hook (audit hooks cannot be removed), off by default

_WATCH: set[str] = set()
_SEEN: list[tuple[str, str, int]] = []  # (event, path, flags-or-access)


def _fd_path(fd: int) -> str:
    try:
        return os.path.realpath(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _audit(event: str, args) -> None:
    if not _WATCH:
        return
    if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        p = os.path.realpath(os.fsdecode(args[0]))
        if p in _WATCH:
            _SEEN.append(("open", p, int(args[2])))
    elif event == "mmap.__new__":
        fd, _length, access = args[0], args[1], args[2]
        p = _fd_path(fd) if fd >= 0 else ""
        if p in _WATCH:
            _SEEN.append(("mmap", p, int(access)))


sys.addaudithook(_audit)


def _fingerprint(p: Path) -> tuple:
    st = p.stat()
    return hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns, st.st_mode


def _assert_read_only_accesses() -> None:
    assert any(e == "open" for e, _, _ in _SEEN), "the audit saw no open of the trace"
    for event, path, v in _SEEN:
        if event == "open":
            assert v & os.O_ACCMODE == os.O_RDONLY, f"{path} opened with flags {v:#o}"
            assert not v & (os.O_TRUNC | os.O_CREAT | os.O_APPEND), f"{path}: flags {v:#o}"
        else:
            assert v == mmap.ACCESS_READ, f"{path} mapped with access {v}"


# -- fixtures


def _open_and_settle(qtbot, win, path: Path) -> str:
    """Open ``path``; wait for ``loaded`` or ``load_failed``; returns which."""
    got: list[str] = []
    on_loaded = lambda: got.append("loaded")  # noqa: E731
    on_failed = lambda _msg: got.append("failed")  # noqa: E731
    win.loaded.connect(on_loaded)
    win.load_failed.connect(on_failed)
    try:
        win.open_path(path)
        qtbot.waitUntil(lambda: bool(got), timeout=LOAD_TIMEOUT_MS)
        qtbot.wait(1)
    finally:
        win.loaded.disconnect(on_loaded)
        win.load_failed.disconnect(on_failed)
    return got[0]


def _damaged_files(tmp_path: Path) -> list[Path]:
    out = []
    for name, data in sorted(load_sources().items()):
        cuts = truncation_offsets(data, 1 << 30)
        picks = {"hdr": 10, "batch": cuts[len(cuts) // 3], "late": len(data) - 3}
        for tag, i in picks.items():
            out.append((f"{name}-cut-{tag}", data[:i]))
        for seed in (11, 22, 33, 44):
            out.append((f"{name}-mut-{seed}", mutate(data, seed)[0]))
    out.append(("empty", b""))
    out.append(("garbage", bytes(range(256)) * 8))
    paths = []
    for tag, data in out:
        p = tmp_path / f"{tag}.trace"
        p.write_bytes(data)
        paths.append(p)
    return paths


# -- tests


def test_damaged_files_show_banner_or_dialog_never_traceback(qtbot, window, tmp_path):
    seen = {"banner": 0, "dialog": 0, "clean": 0}
    for path in _damaged_files(tmp_path):
        s = goroscope.stats(path)  # the reference verdict: what is damaged and what is not
        how = _open_and_settle(qtbot, window, path)
        if how == "failed":
            title, text = window.last_error
            assert title in (
                "Not a Go execution trace",
                "Unsupported trace version",
                "Damaged or unreadable trace",  # a valid header Go's reader rejects
            ), (
                path.name,
                title,
                text,
            )
            box = window.error_box
            assert box is not None
            assert box.isVisible()
            assert not box.isModal()
            assert "Traceback" not in box.text()
            assert "error" in s, path.name
            box.close()
            seen["dialog"] += 1
            continue
        banner = window.view.banner
        assert "Traceback" not in banner.text()
        if "error" in s:
            assert banner.isVisible(), (path.name, s["error"])
            assert "Damaged trace" in banner.text()
            seen["banner"] += 1
        else:
            assert not banner.isVisible(), path.name
            seen["clean"] += 1
    assert seen["banner"] >= 5
    assert seen["dialog"] >= 2  # the empty file, the garbage, the cut header


def test_full_session_leaves_the_file_untouched(qtbot, window, tmp_path):
    path = tmp_path / "annotations.trace"
    shutil.copy2(TRACES / "go1.22" / "annotations.trace", path)
    before = _fingerprint(path)
    _WATCH.add(os.path.realpath(path))
    _SEEN.clear()
    try:
        assert _open_and_settle(qtbot, window, path) == "loaded"
        tp = window.view.timeline
        for key in (Qt.Key.Key_W, Qt.Key.Key_W, Qt.Key.Key_D, Qt.Key.Key_S, Qt.Key.Key_Home):
            QTest.keyClick(tp.plot, key)
        vp = tp.plot.viewport()
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=vp.rect().center())
        window.set_sort("blocked")
        window.set_sort("id")
        if window.session.details is not None and window.session.timeline.n_goroutines:
            window.session.details.span(0, 0)  # a detail re-decodes from the mapped file
        window.close()
        window.session.wait(30)
        qtbot.wait(1)
    finally:
        _WATCH.clear()
    assert _fingerprint(path) == before
    _assert_read_only_accesses()
    assert any(e == "mmap" for e, _, _ in _SEEN)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "goroscope", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_cli_commands_leave_the_file_untouched(tmp_path):
    path = tmp_path / "cpuprofile.trace"
    shutil.copy2(TRACES / "go1.26" / "cpuprofile.trace", path)
    path.chmod(0o444)  # and a read-only file opens fine
    before = _fingerprint(path)
    out = tmp_path / "out"
    out.mkdir()
    runs = [
        ("stats", "--json", str(path)),
        ("summary", "--json", str(path)),
        ("profile", "--type", "sync", "-o", str(out / "sync.pb.gz"), str(path)),
        ("profile", "--type", "cpu", "-o", str(out / "cpu.pb.gz"), str(path)),
        ("--screenshot", str(out / "shot.png"), str(path)),
    ]
    for args in runs:
        r = _cli(*args, cwd=out)
        assert r.returncode == 0, (args, r.stderr[-2000:])
        assert "Traceback" not in r.stderr
    assert _fingerprint(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpuprofile.trace", "out"]


def test_read_only_file_opens_in_gui(qtbot, window, tmp_path):
    path = tmp_path / "ro.trace"
    shutil.copy2(TRACES / "go1.26" / "flightrecorder.trace", path)
    path.chmod(0o444)
    before = _fingerprint(path)
    assert _open_and_settle(qtbot, window, path) == "loaded"
    assert not window.view.banner.isVisible()
    window.close()
    window.session.wait(30)
    assert _fingerprint(path) == before


@pytest.mark.slow
def test_file_on_read_only_mount_opens(tmp_path):
    """stats and a headless GUI session (--screenshot) on a read-only bind mount."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    ro = tmp_path / "ro"
    ro.mkdir()
    shutil.copy2(TRACES / "go1.22" / "annotations.trace", ro / "a.trace")
    before = _fingerprint(ro / "a.trace")
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro}"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr.decode()[-200:]}")
    shot = tmp_path / "shot.png"
    py = sys.executable
    script = (
        f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro} && "
        f"! touch {ro}/probe 2>/dev/null && "
        f"{py} -m goroscope stats --json {ro}/a.trace && "
        f"{py} -m goroscope --screenshot {shot} {ro}/a.trace"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert '"events"' in r.stdout
    assert shot.stat().st_size > 10_000
    assert _fingerprint(ro / "a.trace") == before
